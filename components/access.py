"""Role assignments, by role definition GUID, named so the same grant always has the same name."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.authorization as authorization

from stackconfig.interface import RoleAssignmentConfig
from stackconfig.roles import role_display_name

# Fixed namespace for role assignment names: the same (scope, principal, role) always gives the
# same GUID, so a re-run or a new machine never creates a duplicate assignment.
ASSIGNMENT_NAMESPACE = uuid.UUID("6f1c2a52-4f0e-4b8e-9d0a-5d3f2c1b7a10")


@dataclass(frozen=True)
class RoleAssignmentArgs:
    scope_key: str  # a short, stable name of the scope, such as the ACS instance name
    scope_id: pulumi.Input[str]  # the resource id the role is granted on
    principal_id: pulumi.Input[str]  # known from config, or a managed identity Azure creates
    principal_key: str  # a stable name for the principal: its id when known, else what owns it
    principal_type: str
    role_definition_guid: str
    description: str
    # AVM's roleAssignments keys (stackconfig/interface.py); none of them by default, as before.
    name: str | None = None  # the assignment's name in Azure; by default `assignment_name`
    condition: str | None = None
    condition_version: str | None = None  # with a condition only
    delegated_managed_identity_resource_id: str | None = None


def assignment_name(assignment: RoleAssignmentArgs) -> str:
    key = f"{assignment.scope_key}/{assignment.principal_key.lower()}/{assignment.role_definition_guid}"
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, key))


def role_definition_id(scope_id: str, role_definition_guid: str) -> str:
    """The role definition id in the scope's own subscription, the form ARM returns on read:
    any other form shows as a change on every refresh."""
    subscription = scope_id.split("/")[2]
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_definition_guid}"


def role_assignment(
    name: str, assignment: RoleAssignmentArgs, parent: pulumi.Resource, adopted: Mapping[str, Any] | None = None
) -> authorization.RoleAssignment:
    """The assignment, as the child `<name>-<scope key>-<its GUID>` of `parent`. An assignment given its
    own name keeps that resource name (the derived GUID): only its name in Azure is the one given."""
    guid = assignment_name(assignment)
    extra = {
        key: value
        for key, value in (
            ("condition", assignment.condition),
            ("condition_version", assignment.condition_version),
            ("delegated_managed_identity_resource_id", assignment.delegated_managed_identity_resource_id),
        )
        if value is not None
    }
    return authorization.RoleAssignment(
        f"{name}-{assignment.scope_key}-{guid}",
        role_assignment_name=assignment.name or guid,
        scope=assignment.scope_id,
        principal_id=assignment.principal_id,
        principal_type=assignment.principal_type,
        role_definition_id=pulumi.Output.from_input(assignment.scope_id).apply(
            lambda scope, role=assignment.role_definition_guid: role_definition_id(scope, role)
        ),
        description=assignment.description,
        **extra,
        # `adopted`: the import options of an assignment that exists already (AVM's, or one made by hand),
        # taken over by its name (components/adoption.py).
        opts=pulumi.ResourceOptions(parent=parent, **(adopted or {})),
    )


def configured(
    assignment: RoleAssignmentConfig, *, scope_key: str, scope_id: pulumi.Input[str], scope_label: str
) -> RoleAssignmentArgs:
    """The arguments of a role assignment of the config (`roleAssignments[]` of an ACS resource, an email
    service or a domain) on the resource `scope_id`, called `scope_label` in its default description."""
    return RoleAssignmentArgs(
        scope_key=scope_key,
        scope_id=scope_id,
        principal_id=assignment.principal_id,
        principal_key=assignment.principal_id,
        principal_type=assignment.principal_type,
        role_definition_guid=assignment.role_definition_guid,
        description=assignment.description
        or f"{role_display_name(assignment.role)} on {scope_label}, granted by acs-platform",
        name=assignment.name,
        condition=assignment.condition,
        condition_version=assignment.effective_condition_version,
        delegated_managed_identity_resource_id=assignment.delegated_managed_identity_resource_id,
    )
