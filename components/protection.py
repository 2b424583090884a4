"""Management locks that stop anyone, in the portal or any tool, from deleting what they guard."""

import pulumi
import pulumi_azure_native.authorization as authorization


def lock(
    name: str, *, level: str, scope: pulumi.Input[str], parent: pulumi.Resource
) -> authorization.ManagementLockByScope:
    """A lock of `level` on `scope`: "CanNotDelete" lets reads and writes go on and refuses deletes.
    Never ReadOnly: it would also block POST calls such as listing or regenerating ACS keys, which
    look like writes to ARM."""
    return authorization.ManagementLockByScope(
        name,
        lock_name=f"acs-platform-{level.lower()}",
        level=level,
        scope=scope,
        notes="Managed by acs-platform: change it in the stack configuration, not by hand.",
        opts=pulumi.ResourceOptions(parent=parent),
    )
