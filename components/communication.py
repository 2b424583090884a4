"""The resource group and one Azure Communication Services resource per configured instance."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.communication as communication
import pulumi_azure_native.resources as resources

from . import name_after


@dataclass(frozen=True)
class AcsInstanceArgs:
    name: str  # the global ACS name: <name>.communication.azure.com
    data_location: str  # fixed at creation; a change would need a new resource
    disable_local_auth: bool
    public_network_access: str
    system_assigned_identity: bool
    user_assigned_identity_ids: Sequence[str]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class CommunicationArgs:
    resource_group_name: str
    # True: the group is someone else's. It is used by name, and neither created nor locked here.
    existing_resource_group: bool
    location: str  # Azure region of the resource group; ACS itself is global
    resource_group_tags: Mapping[str, str]
    instances: Sequence[AcsInstanceArgs]
    protect: bool  # Pulumi `protect` on the resource group and every ACS resource


def identity_type(system_assigned: bool, user_assigned: bool) -> str:
    """ARM's ManagedServiceIdentityType for the identities an instance asks for."""
    kinds = [kind for kind, on in (("SystemAssigned", system_assigned), ("UserAssigned", user_assigned)) if on]
    return ",".join(kinds) or "None"


class Communication(pulumi.ComponentResource):
    """Azure Communication Services resources of a stack, in one resource group."""

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str] | None  # None when the group is not managed here
    services: dict[str, communication.CommunicationService]
    service_names: dict[str, pulumi.Output[str]]  # known at preview, and each waits for its service

    def __init__(self, name: str, args: CommunicationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:Communication", name, None, opts)

        if args.existing_resource_group:
            self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)
            self.resource_group_id = None
        else:
            group = resources.ResourceGroup(
                f"{name}-rg",
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=dict(args.resource_group_tags),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            # Everything placed in the group waits until the group exists.
            self.resource_group_name = name_after(group, args.resource_group_name)
            self.resource_group_id = group.id

        self.services = {instance.name: self._service(name, instance, args.protect) for instance in args.instances}
        self.service_names = {key: name_after(service, key) for key, service in self.services.items()}

        self.register_outputs(
            {
                "resourceGroupName": self.resource_group_name,
                "serviceIds": {key: svc.id for key, svc in self.services.items()},
            }
        )

    def _service(self, name: str, instance: AcsInstanceArgs, protect: bool) -> communication.CommunicationService:
        user_assigned = list(instance.user_assigned_identity_ids)
        return communication.CommunicationService(
            f"{name}-{instance.name}",
            communication_service_name=instance.name,
            resource_group_name=self.resource_group_name,
            location="global",
            data_location=instance.data_location,
            disable_local_auth=instance.disable_local_auth,
            public_network_access=instance.public_network_access,
            identity=communication.ManagedServiceIdentityArgs(
                type=identity_type(instance.system_assigned_identity, bool(user_assigned)),
                user_assigned_identities=user_assigned or None,
            ),
            tags=dict(instance.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protect,
                # dataLocation cannot change in place. Planning a change as a replacement makes it
                # visible in every preview, and `protect` then refuses it instead of losing the
                # resource; ACS names are global, so a permitted replacement must delete first.
                replace_on_changes=["dataLocation"],
                delete_before_replace=True,
                # Linked email domains are set by the email component's link once verified, so
                # the ACS resource never waits on DNS; its own inputs must not undo the link.
                ignore_changes=["linkedDomains"],
            ),
        )
