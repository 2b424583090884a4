"""The ARM calls of a rotation: list and regenerate the access keys of one ACS resource."""

from azure.core.exceptions import AzureError
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.communication.models import CommunicationServiceKeys, RegenerateKeyParameters

from providers.arm import reason
from stackconfig.rotation import KEY_TYPES


class KeyRotationError(RuntimeError):
    """Reading or regenerating an ACS key failed; the message names the resource, the key and the step."""


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


def _failure(step: str, resource_group: str, name: str, key_type: str, cause: object) -> KeyRotationError:
    text = reason(cause) if isinstance(cause, BaseException) else cause
    return KeyRotationError(
        f"{step} the {key_type} key of ACS resource '{name}' (resource group '{resource_group}') failed: {text}"
    )
