"""ACS connection strings in Key Vault, for instances that allow local auth, with their keys
rotated on a schedule. Instances with local auth disabled get nothing here: their applications
use Microsoft Entra ID and the endpoint."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.keyvault as keyvault

from keyrotation.resource import AcsKeyRotation, AcsKeyRotationArgs

from . import dashed_name

CONTENT_TYPE = "text/plain; acs-connection-string"


@dataclass(frozen=True)
class InstanceCredentialArgs:
    instance: str
    service_id: pulumi.Input[str]
    generation: int  # of the rotation schedule: each new one regenerates the standby key and moves to it
    expires: int  # Unix seconds: when the key in the secret is regenerated, two due dates on


@dataclass(frozen=True)
class CredentialsArgs:
    vault_name: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    instances: Sequence[InstanceCredentialArgs]
    tags: Mapping[str, str]


def secret_name(instance: str) -> str:
    """Key Vault secret names take letters, digits and '-', up to 127 of them."""
    return dashed_name(instance, suffix="-connection-string", max_length=127)


class Credentials(pulumi.ComponentResource):
    secrets: dict[str, keyvault.Secret]

    def __init__(self, name: str, args: CredentialsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:Credentials", name, None, opts)

        self.secrets = {}
        for instance in args.instances:
            keys = AcsKeyRotation(
                f"{name}-{instance.instance}-keys",
                AcsKeyRotationArgs(communication_service_id=instance.service_id, generation=instance.generation),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.secrets[instance.instance] = keyvault.Secret(
                f"{name}-{instance.instance}",
                secret_name=secret_name(instance.instance),
                vault_name=args.vault_name,
                resource_group_name=args.resource_group_name,
                properties=keyvault.SecretPropertiesArgs(
                    # A Pulumi secret: encrypted in the state, never printed, whatever the provider says.
                    value=pulumi.Output.secret(keys.connection_string),
                    content_type=CONTENT_TYPE,
                    # From the schedule, not the clock: the same generation always gives the same date.
                    attributes=keyvault.SecretAttributesArgs(enabled=True, expires=instance.expires),
                ),
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.register_outputs({"secretNames": {key: secret_name(key) for key in self.secrets}})
