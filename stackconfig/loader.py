"""Reads the stack's configuration from Pulumi and validates all of it at once."""

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from .errors import FOREIGN_KEYS, NAMESPACE, config_error
from .model import StackConfig


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
    """The validated configuration, or a ConfigError listing every problem in it."""
    try:
        return StackConfig.model_validate(model_input(config), context={"stack": stack})
    except ValidationError as exc:
        raise config_error(stack, exc, StackConfig, secret_keys) from None


def load_stack_config() -> StackConfig:
    """The validated configuration of the running stack, as the engine passed it."""
    # The CLI passes config in the environment; mocks and the automation API set it in-process.
    config = {**(runtime_config.get_config_env() or {}), **runtime_config.CONFIG.get()}
    secret_keys = frozenset(k for k in config if runtime_config.is_config_secret(k))
    secret_keys |= frozenset(runtime_config.get_config_secret_keys_env())
    return validate_stack_config(pulumi.get_stack(), config, secret_keys)
