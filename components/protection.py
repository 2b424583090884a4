"""Management locks that stop anyone, in the portal or any tool, from deleting what they guard."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.authorization as authorization


@dataclass(frozen=True)
class ProtectionArgs:
    level: str  # "CanNotDelete": reads and writes go on; deletes are refused
    resource_group_id: pulumi.Input[str] | None  # None: the group is not this stack's to lock
    # ACS resources to lock: instance name to resource id.
    services: Mapping[str, pulumi.Input[str]]


class Protection(pulumi.ComponentResource):
    locks: dict[str, authorization.ManagementLockByScope]

    def __init__(self, name: str, args: ProtectionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:Protection", name, None, opts)

        # A CanNotDelete lock, not ReadOnly: ReadOnly would also block POST calls such as
        # listing or regenerating ACS keys, which look like writes to ARM.
        scopes = {f"acs-{key}": service_id for key, service_id in args.services.items()}
        if args.resource_group_id is not None:
            scopes["resource-group"] = args.resource_group_id
        self.locks = {
            key: authorization.ManagementLockByScope(
                f"{name}-{key}",
                lock_name=f"acs-platform-{args.level.lower()}",
                level=args.level,
                scope=scope,
                notes="Managed by acs-platform: change it in the stack configuration, not by hand.",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, scope in scopes.items()
        }

        self.register_outputs({"lockIds": {key: lock.id for key, lock in self.locks.items()}})
