"""AVM's common interface on an ACS resource, an email service or a domain: its lock, role assignments
and tags (stackconfig/interface.py)."""

from collections.abc import Mapping, Sequence

import pulumi

from stackconfig.adoption import lock_key, role_assignment_key
from stackconfig.fields import STANDARD_TAGS
from stackconfig.interface import LockConfig, RoleAssignmentConfig

from .access import configured, role_assignment
from .adoption import Adoption
from .protection import lock


def with_own_tags(stack_tags: Mapping[str, str], own: Mapping[str, str] | None) -> dict[str, str]:
    """A resource's tags: the stack's, its own on top, the standard ones (of the stack's) winning."""
    standard = {key: stack_tags[key] for key in STANDARD_TAGS if key in stack_tags}
    return {**stack_tags, **(own or {}), **standard}


def resource_interface(
    name: str,
    *,
    default_lock_name: str | None,  # None: the stack's `acs-platform-<level>` (components/protection.py)
    scope_key: str,
    scope_id: pulumi.Input[str],
    scope_label: str,
    lock_config: LockConfig | None,
    role_assignments: Sequence[RoleAssignmentConfig],
    parent: pulumi.Resource,
    adoption: Adoption,
    adoption_key: str,  # the resource's `stackconfig.adoption` key: its lock and roles are found below it
) -> None:
    """The lock (`<name>-lock`, named `default_lock_name` in Azure unless it says) and the role assignments
    (`<name>-access-<scope key>-<GUID>`) of one resource, children of `parent`. A lock or an assignment the
    configuration names can be adopted (stackconfig/adoption.py declares only those)."""
    if lock_config is not None and lock_config.kind != "None":
        lock(
            f"{name}-lock",
            level=lock_config.kind,
            scope=scope_id,
            parent=parent,
            lock_name=lock_config.name or default_lock_name,
            notes=lock_config.notes,
            adopted=adoption.options(lock_key(adoption_key, lock_config.name)) if lock_config.name else None,
        )
    for assignment in role_assignments:
        role_assignment(
            f"{name}-access",
            configured(assignment, scope_key=scope_key, scope_id=scope_id, scope_label=scope_label),
            parent=parent,
            adopted=adoption.options(role_assignment_key(adoption_key, assignment.name)) if assignment.name else None,
        )
