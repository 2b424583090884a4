"""The ARM calls of a rotation: list and regenerate the access keys of one ACS resource."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.communication.models import CommunicationServiceKeys, RegenerateKeyParameters

from bounded_retry import IDEMPOTENT, RETRY_BACKOFF_FACTOR, BoundedRetryPolicy
from keyrotation.schedule import KEY_TYPES

# Both calls here are POST and both are safe to repeat: listKeys reads, and a repeated
# regeneration only replaces a key whose value was never handed to anyone.
RETRY_METHODS = IDEMPOTENT | {"POST"}

_RESOURCE_ID = re.compile(
    r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.Communication/communicationServices/(?P<name>[-\w]{1,63})",
    re.IGNORECASE,
)


class KeyRotationError(RuntimeError):
    """Reading or regenerating an ACS key failed; the message names the resource, the key and the step."""


def acs_client(
    subscription_id: str,
    credential: TokenCredential,
    arm_endpoint: str,
    *,
    retry_backoff_factor: float = RETRY_BACKOFF_FACTOR,
    **transport_options: Any,
) -> CommunicationServiceManagementClient:
    """A client for `arm_endpoint` with a bounded retry policy. `transport_options` go to the HTTP
    transport, such as `connection_verify` (a CA bundle path)."""
    arm_endpoint = arm_endpoint.rstrip("/")
    return CommunicationServiceManagementClient(
        credential,
        subscription_id,
        base_url=arm_endpoint,
        # The token's audience is the endpoint's own cloud; the SDK would take the public cloud's.
        credential_scopes=[f"{arm_endpoint}/.default"],
        retry_policy=BoundedRetryPolicy(RETRY_METHODS, retry_backoff_factor),
        **transport_options,
    )


def parse_resource_id(resource_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of an ACS resource id."""
    match = _RESOURCE_ID.fullmatch(resource_id) if isinstance(resource_id, str) else None
    if match is None:
        raise ValueError(
            f"not an ACS resource id: {resource_id!r}; expected /subscriptions/<id>/resourceGroups/<group>"
            "/providers/Microsoft.Communication/communicationServices/<name>"
        )
    return match["subscription"], match["resource_group"], match["name"]


def connection_string(
    client: CommunicationServiceManagementClient, resource_group: str, name: str, key_type: str
) -> str:
    """The connection string of `key_type` ("Primary" or "Secondary"), as the resource has it now."""
    _check_key_type(key_type)
    step = "reading"
    try:
        keys = client.communication_services.list_keys(resource_group, name)
    except AzureError as error:
        raise _failure(step, resource_group, name, key_type, error) from error
    return _connection_string_of(keys, step, resource_group, name, key_type)


def regenerate(client: CommunicationServiceManagementClient, resource_group: str, name: str, key_type: str) -> str:
    """Regenerates `key_type` and returns its new connection string. The old key stops working at once."""
    _check_key_type(key_type)
    step = "regenerating"
    try:
        keys = client.communication_services.regenerate_key(
            resource_group, name, RegenerateKeyParameters(key_type=key_type)
        )
    except AzureError as error:
        raise _failure(step, resource_group, name, key_type, error) from error
    return _connection_string_of(keys, step, resource_group, name, key_type)


def _connection_string_of(
    keys: CommunicationServiceKeys, step: str, resource_group: str, name: str, key_type: str
) -> str:
    # regenerateKey answers with the regenerated key only; listKeys with both.
    value = keys.primary_connection_string if key_type == "Primary" else keys.secondary_connection_string
    if not value:
        raise _failure(step, resource_group, name, key_type, "the response holds no connection string for it")
    return value


def _check_key_type(key_type: str) -> None:
    if key_type not in KEY_TYPES:
        raise ValueError(f"key type must be one of {', '.join(KEY_TYPES)}: {key_type!r}")


def _failure(step: str, resource_group: str, name: str, key_type: str, reason: object) -> KeyRotationError:
    if isinstance(reason, HttpResponseError) and reason.status_code is not None:
        # The SDK's message repeats ARM's code and message over three lines; the first has both.
        reason = f"HTTP {reason.status_code} {reason.reason}: {str(reason.message).splitlines()[0]}"
    return KeyRotationError(
        f"{step} the {key_type} key of ACS resource '{name}' (resource group '{resource_group}') failed: {reason}"
    )


@contextmanager
def default_client(subscription_id: str, arm_endpoint: str) -> Iterator[CommunicationServiceManagementClient]:
    """A client as whoever runs `pulumi up`: Azure CLI login, environment, managed identity or CI's OIDC."""
    with (
        DefaultAzureCredential() as credential,
        acs_client(subscription_id, credential, arm_endpoint) as client,
    ):
        yield client
