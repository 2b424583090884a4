"""Reads the stack's configuration from Pulumi and validates all of it at once."""

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from .errors import FOREIGN_KEYS, NAMESPACE, ConfigError, config_error
from .model import StackConfig
from .secure import INSTANCES_KEY, has_credentials, secure_problems


def _value(raw: Any) -> Any:
    """Structured values reach the program as JSON text, as `Config.require_object` expects."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw  # left for validation to report as the wrong type
    return raw


def model_input(config: Mapping[str, Any]) -> dict[str, Any]:
    """The model's input from a stack's flat config: `acs-platform:` keys without the namespace,
    and the keys of other namespaces the model reads (`azure-native:location`)."""
    prefix = f"{NAMESPACE}:"
    data = {key[len(prefix) :]: _value(raw) for key, raw in config.items() if key.startswith(prefix)}
    data.update({field: config[key] for field, key in FOREIGN_KEYS.items() if key in config})
    return data


def validate_stack_config(
    stack: str, config: Mapping[str, Any], secret_keys: frozenset[str] = frozenset()
) -> StackConfig:
    """The validated configuration, or a ConfigError listing every problem in it.

    `secret_keys` are the keys Pulumi marks secret: their values are never shown in an error, and
    only a webhook URL may be secure (stackconfig/secure.py)."""
    data = model_input(config)
    problems = secure_problems(data, secret_keys)
    # A webhook URL's credential is not shown either, secure or not.
    hidden = secret_keys | ({INSTANCES_KEY} if has_credentials(data) else frozenset())
    try:
        validated = StackConfig.model_validate(data, context={"stack": stack, "config_keys": tuple(config)})
    except ValidationError as exc:
        raise ConfigError(stack, config_error(stack, exc, StackConfig, hidden).problems + problems) from None
    if problems:
        raise ConfigError(stack, problems)
    return validated


def stack_secret_keys(config: Mapping[str, Any] | None = None) -> frozenset[str]:
    """The config keys of the running stack that Pulumi marks secret (`pulumi config set --secret`,
    `--path` included: a nested secure value makes its whole top-level key secret)."""
    config = _running_config() if config is None else config
    secret_keys = frozenset(k for k in config if runtime_config.is_config_secret(k))
    return secret_keys | frozenset(runtime_config.get_config_secret_keys_env())


def _running_config() -> dict[str, Any]:
    # The CLI passes config in the environment; mocks and the automation API set it in-process.
    return {**(runtime_config.get_config_env() or {}), **runtime_config.CONFIG.get()}


def load_stack_config() -> StackConfig:
    """The validated configuration of the running stack, as the engine passed it."""
    config = _running_config()
    return validate_stack_config(pulumi.get_stack(), config, stack_secret_keys(config))
