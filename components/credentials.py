"""An ACS connection string in Key Vault, for an instance that allows local auth, with its keys
rotated on a schedule. Instances with local auth disabled get nothing here: their applications
use Microsoft Entra ID and the endpoint."""

import re

import pulumi
import pulumi_azure_native.keyvault as keyvault

from providers.keyrotation.resource import AcsKeyRotation, AcsKeyRotationArgs
from stackconfig.names import dashed_name

CONTENT_TYPE = "text/plain; acs-connection-string"


def connection_string_env(instance: str) -> str:
    """Where the dynamic providers read the instance's connection string from, when it allows local auth
    (ACS_CONNECTION_STRING_<NAME>): only the variable's name goes into the state, never its value."""
    return "ACS_CONNECTION_STRING_" + re.sub("[^A-Z0-9]", "_", instance.upper())


def secret_name(instance: str) -> str:
    """Key Vault secret names take letters, digits and '-', up to 127 of them."""
    return dashed_name(instance, suffix="-connection-string", max_length=127)


def connection_string_secret(
    name: str,
    *,
    instance: str,
    service_id: pulumi.Input[str],
    generation: int,  # of the rotation schedule: each new one regenerates the standby key and moves to it
    expires: int,  # Unix seconds: when the key in the secret is regenerated, two due dates on
    vault_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> keyvault.Secret:
    keys = AcsKeyRotation(
        f"{name}-keys",
        AcsKeyRotationArgs(communication_service_id=service_id, generation=generation),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return keyvault.Secret(
        f"{name}-connection-string",
        secret_name=secret_name(instance),
        vault_name=vault_name,
        resource_group_name=resource_group_name,
        properties=keyvault.SecretPropertiesArgs(
            # A Pulumi secret: encrypted in the state, never printed, whatever the provider says.
            value=pulumi.Output.secret(keys.connection_string),
            content_type=CONTENT_TYPE,
            # From the schedule, not the clock: the same generation always gives the same date.
            attributes=keyvault.SecretAttributesArgs(enabled=True, expires=expires),
        ),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
