"""No secret in plain inputs: credentials travel as Pulumi secrets, encrypted in the state.

A Key Vault secret's value, and any input that carries an ACS access key or connection string,
must be a Pulumi secret. A `validate` cannot check this: pulumi_policy's Analyze unwraps secrets
before a policy sees the inputs, so a secret and plain text look the same there. Its Remediate
keeps them apart (deserialize_properties(..., proxy_secrets=True)): `args.props` is a
secrets-preserving proxy whose raw target, `args.props["__target"]`, holds every secret as a
`pulumi_policy.Secret` and every nested object as another such proxy.

So this policy only remediates: it returns the inputs with each plain credential wrapped in a
`Secret`, which the engine then encrypts, and returns None when every credential already is one.
Like every policy of the pack it starts "mandatory"; it runs only where a stack's policy config
sets it to "remediate", and at any other level it does nothing.
Values a preview cannot know yet are left alone: a deployment remediates them once known.

What counts as a credential:
- the `properties.value` of an azure-native:keyvault:Secret;
- any string containing an ACS connection string (`endpoint=https://...;accesskey=...`, any case);
- any string under a key named like primaryKey, secondaryKey, primaryConnectionString or
  secondaryConnectionString (any case, any prefix: `acsPrimaryKey`).
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, Secret, Severity
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from .resource_types import KEY_VAULT_SECRET
from .support import declare_types, metadata

NAME = "no-plain-secret-inputs"
DOC = "https://learn.microsoft.com/azure/communication-services/concepts/authentication"

CONNECTION_STRING = re.compile(r"endpoint=https://[^;\s]+;\s*accesskey=[^;\s]+", re.IGNORECASE)
KEY_NAME = re.compile(r"(primary|secondary)_?(key|connection_?string)$", re.IGNORECASE)
UNKNOWNS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


def _raw(value: Any) -> Any:
    """The raw value under pulumi_policy's proxies, whose secrets are still `Secret` objects."""
    if isinstance(value, Mapping | Sequence) and not isinstance(value, dict | list | str):
        try:
            return value["__target"]
        except (KeyError, IndexError, TypeError):
            return value
    return value


def _named_like_a_key(key: str | None) -> bool:
    return key is not None and KEY_NAME.search(key) is not None


def _protect(value: Any, key: str | None, force: bool) -> tuple[Any, bool]:
    """`value` with every plain credential in it wrapped in a Secret, and whether one was."""
    value = _raw(value)
    if isinstance(value, Secret):
        return value, False
    if isinstance(value, str):
        if not value or value in UNKNOWNS:
            return value, False
        credential = force or _named_like_a_key(key) or CONNECTION_STRING.search(value) is not None
        return (Secret(value), True) if credential else (value, False)
    if isinstance(value, Mapping):
        changed = False
        result: dict[str, Any] = {}
        for name in value:
            result[name], wrapped = _protect(value[name], name, False)
            changed = changed or wrapped
        return result, changed
    if isinstance(value, list):
        items = [_protect(item, key, False) for item in value]
        return [item for item, _ in items], any(wrapped for _, wrapped in items)
    return value, False


def protect_credentials(args: ResourceValidationArgs) -> dict[str, Any] | None:
    """The inputs with plain credentials made secret, or None when there is none."""
    props = _raw(args.props)
    if not isinstance(props, Mapping):
        return None
    result, changed = _protect(props, None, False)
    if args.resource_type == KEY_VAULT_SECRET:
        properties = result.get("properties")
        if isinstance(properties, dict) and "value" in properties:
            properties["value"], wrapped = _protect(properties["value"], "value", True)
            changed = changed or wrapped
    return result if changed else None


# Every resource: any input may carry a credential.
no_plain_secret_inputs = ResourceValidationPolicy(
    remediate=protect_credentials,
    **metadata(
        NAME,
        "Key Vault secret values and ACS access keys or connection strings are Pulumi secrets.",
        Severity.HIGH,
        "Pass the value through pulumi.Output.secret(...) or read it from secret config "
        "(config.require_secret); take keys from list_communication_service_keys_output, whose results are "
        "secret, and prefer Microsoft Entra ID (disableLocalAuth: true) to keys altogether.",
        DOC,
        builtin=None,
    ),
)
declare_types(no_plain_secret_inputs, None)

POLICIES = [no_plain_secret_inputs]
