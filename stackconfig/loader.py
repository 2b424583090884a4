"""Reads the stack's configuration from Pulumi and validates all of it at once."""

import json
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from .errors import NAMESPACE, config_error
from .model import StackConfig


def _all_config() -> dict[str, Any]:
    """Every config key the engine passed to the program (the CLI uses the environment)."""
    return {**(runtime_config.get_config_env() or {}), **runtime_config.CONFIG.get()}


def _secret_keys() -> frozenset[str]:
    return frozenset(runtime_config._SECRET_KEYS.get()) | frozenset(runtime_config.get_config_secret_keys_env())


def _value(raw: Any) -> Any:
    """Structured values reach the program as JSON text, as `Config.require_object` expects."""
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw  # left for validation to report as the wrong type
    return raw


def stack_config_data() -> dict[str, Any]:
    """The `acs-platform:` keys (without the prefix) and `azure-native:location`, as given."""
    prefix = f"{NAMESPACE}:"
    data = {k[len(prefix):]: _value(v) for k, v in _all_config().items() if k.startswith(prefix)}
    location = pulumi.Config("azure-native").get("location")
    if location is not None:
        data["location"] = location
    return data


def load_stack_config() -> StackConfig:
    """The validated configuration of the running stack, or a ConfigError listing every problem."""
    stack = pulumi.get_stack()
    try:
        return StackConfig.model_validate(stack_config_data(), context={"stack": stack})
    except ValidationError as exc:
        raise config_error(stack, exc, StackConfig, _secret_keys()) from None
