"""Pulumi components of the ACS platform: `AcsInstance` (acs_instance.py) owns everything of one
instance, `SharedInfrastructure` (shared.py) what the instances of a stack share; the other modules
build one concern each for them.

Here are the helpers they share: one for names, one for secure config values, one for settings."""

import re
from typing import Any, TypeVar

import pulumi
from pulumi.output import UNKNOWN
from pydantic import BaseModel, ValidationError

from stackconfig.errors import describe
from stackconfig.secure import SECRET_PLACEHOLDER

Settings = TypeVar("Settings", bound=BaseModel)


def validated(model: type[Settings], value: Any, key: str, component: str) -> Settings:
    """`value` as the config model `model`: as it is when the program validated the whole stack
    already, else (a program in another language gave a dictionary) checked by the config's own
    rules, each error naming the component and its input. Numbers cross languages as floats, so
    types are not strict."""
    if isinstance(value, model):
        return value
    try:
        return model.model_validate(value, strict=False)
    except ValidationError as error:
        # The config names a key `acs-platform:<path>`; here it is the component's input `<key>.<path>`,
        # in the schema's camelCase whatever the language's SDK sent.
        problems = [
            re.sub(r"_([a-z])", lambda m: m[1].upper(), f"{key}." + describe(e, model, frozenset()).split(":", 1)[1])
            for e in error.errors()
        ]
        raise pulumi.RunError(f"{component} has invalid inputs:\n" + "\n".join(f"  - {p}" for p in problems)) from None


def name_after(resource: pulumi.Resource, name: str) -> pulumi.Output[str]:
    """`name`, known at preview, as an output that waits for `resource`.

    Names come from config, so they are known before anything exists; passing the plain string to
    a child would let Pulumi create the child before its parent. Deriving it from the parent's URN
    keeps the value known at preview and makes whatever takes it depend on the parent."""
    return resource.urn.apply(lambda _: name)


def secret_input(value: str) -> pulumi.Output[str]:
    """A secure config value as a Pulumi secret: encrypted in the state, `[secret]` in every plan
    and preview. Offline (preflight) the value is only the placeholder: unknown, and still secret."""
    return pulumi.Output.secret(UNKNOWN if value == SECRET_PLACEHOLDER else value)
