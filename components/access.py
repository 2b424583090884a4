"""Role assignments, by role definition GUID, named so the same grant always has the same name."""

import uuid
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.authorization as authorization

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


def assignment_name(assignment: RoleAssignmentArgs) -> str:
    key = f"{assignment.scope_key}/{assignment.principal_key.lower()}/{assignment.role_definition_guid}"
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, key))


def role_definition_id(scope_id: str, role_definition_guid: str) -> str:
    """The role definition id in the scope's own subscription, the form ARM returns on read:
    any other form shows as a change on every refresh."""
    subscription = scope_id.split("/")[2]
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_definition_guid}"


def role_assignment(name: str, assignment: RoleAssignmentArgs, parent: pulumi.Resource) -> authorization.RoleAssignment:
    """The assignment, as the child `<name>-<scope key>-<its GUID>` of `parent`."""
    guid = assignment_name(assignment)
    return authorization.RoleAssignment(
        f"{name}-{assignment.scope_key}-{guid}",
        role_assignment_name=guid,
        scope=assignment.scope_id,
        principal_id=assignment.principal_id,
        principal_type=assignment.principal_type,
        role_definition_id=pulumi.Output.from_input(assignment.scope_id).apply(
            lambda scope, role=assignment.role_definition_guid: role_definition_id(scope, role)
        ),
        description=assignment.description,
        opts=pulumi.ResourceOptions(parent=parent),
    )
