"""Pulumi components of the ACS platform: one module each, each with a typed args dataclass.

Here are the helpers they share: two for names, one for secure config values."""

import pulumi
from pulumi.output import UNKNOWN

from stackconfig.secure import SECRET_PLACEHOLDER


def name_after(resource: pulumi.Resource, name: str) -> pulumi.Output[str]:
    """`name`, known at preview, as an output that waits for `resource`.

    Names come from config, so they are known before anything exists; passing the plain string to
    a child would let Pulumi create the child before its parent. Deriving it from the parent's URN
    keeps the value known at preview and makes whatever takes it depend on the parent."""
    return resource.urn.apply(lambda _: name)


def dashed_name(instance: str, *, prefix: str = "", suffix: str = "", max_length: int = 63) -> str:
    """`prefix + instance + suffix` for an Azure name of letters, digits and '-': ACS names may
    also have '_', which becomes '-'. Cut to `max_length`, never ending in '-'."""
    return f"{prefix}{instance.replace('_', '-')}{suffix}"[:max_length].rstrip("-")


def secret_input(value: str) -> pulumi.Output[str]:
    """A secure config value as a Pulumi secret: encrypted in the state, `[secret]` in every plan
    and preview. Offline (preflight) the value is only the placeholder: unknown, and still secret."""
    return pulumi.Output.secret(UNKNOWN if value == SECRET_PLACEHOLDER else value)
