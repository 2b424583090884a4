"""Management locks that stop anyone, in the portal or any tool, from deleting what they guard."""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.authorization as authorization

# The notes every lock of the stack carries unless its config gives its own (`lock.notes`).
NOTES = "Managed by acs-platform: change it in the stack configuration, not by hand."


def lock(
    name: str,
    *,
    level: str,
    scope: pulumi.Input[str],
    parent: pulumi.Resource,
    lock_name: str | None = None,
    notes: str | None = None,
    adopted: Mapping[str, Any] | None = None,  # the import options of a lock that exists already
) -> authorization.ManagementLockByScope:
    """A lock of `level` on `scope`: "CanNotDelete" lets reads and writes go on and refuses deletes.
    Never ReadOnly: it would also block POST calls such as listing or regenerating ACS keys, which
    look like writes to ARM."""
    return authorization.ManagementLockByScope(
        name,
        lock_name=lock_name or f"acs-platform-{level.lower()}",
        level=level,
        scope=scope,
        notes=notes or NOTES,
        opts=pulumi.ResourceOptions(parent=parent, **(adopted or {})),
    )
