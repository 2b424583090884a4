"""AVM's common interface on an email service or domain: its own lock, role assignments and tags
(stackconfig/interface.py). The ACS resource's lock and roles are in components/acs_instance.py, whose lock
keeps the name and resource it always had."""

from collections.abc import Mapping, Sequence

import pulumi

from stackconfig.adoption import lock_key, role_assignment_key
from stackconfig.fields import STANDARD_TAGS
from stackconfig.interface import LockConfig, RoleAssignmentConfig, avm_lock_name

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
    resource_name: str,
    scope_key: str,
    scope_id: pulumi.Input[str],
    scope_label: str,
    lock_config: LockConfig | None,
    role_assignments: Sequence[RoleAssignmentConfig],
    parent: pulumi.Resource,
    adoption: Adoption,
    adoption_key: str,  # the resource's `stackconfig.adoption` key: its lock and roles are found below it
) -> None:
    """The lock (`<name>-lock`, named `lock-<resource name>` in Azure unless it says) and the role assignments
    (`<name>-access-<scope key>-<GUID>`) of one resource, children of `parent`."""
    if lock_config is not None and lock_config.kind != "None":
        lock_name = lock_config.name or avm_lock_name(resource_name)
        lock(
            f"{name}-lock",
            level=lock_config.kind,
            scope=scope_id,
            parent=parent,
            lock_name=lock_name,
            notes=lock_config.notes,
            adopted=adoption.options(lock_key(adoption_key, lock_name)),
        )
    for assignment in role_assignments:
        role_assignment(
            f"{name}-access",
            configured(assignment, scope_key=scope_key, scope_id=scope_id, scope_label=scope_label),
            parent=parent,
            adopted=adoption.options(role_assignment_key(adoption_key, assignment.name)) if assignment.name else None,
        )
