"""Access: role assignments from config, scoped to their ACS resource."""

import uuid

from components.access import RoleAssignmentArgs, assignment_name, role_definition_id
from tests.stacks import ACS, PRINCIPAL, ROLE_ASSIGNMENT, minimal_config, one, plan_config, service, sources

OWNER_ROLE = "09976791-48a7-449e-bb21-39d1a415f350"
SCOPE = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-acs-prod"
    "/providers/Microsoft.Communication/communicationServices/acs-contoso-prod-eu"
)


def args(**overrides) -> RoleAssignmentArgs:
    fields = dict(
        scope_key="acs-contoso-prod-eu",
        scope_id=SCOPE,
        principal_id=PRINCIPAL,
        principal_key=PRINCIPAL,
        principal_type="Group",
        role_definition_guid=OWNER_ROLE,
        description="",
    )
    return RoleAssignmentArgs(**{**fields, **overrides})


def test_each_assignment_is_scoped_to_its_own_acs_resource(prod_plan):
    services = {r.urn for r in prod_plan.of_type(ACS)}
    assignments = [a for a in prod_plan.of_type(ROLE_ASSIGNMENT) if set(sources(a, "scope")) & services]
    assert len(assignments) == 2
    for name, principal in (
        ("acs-contoso-prod-eu", "5b1d1c1e-6a0e-4c4b-9d55-0f3c2a7e9e01"),
        ("acs-contoso-prod-us", "8e2f7a4b-3c9d-4e1f-a6b5-7d8c9e0f1a22"),
    ):
        [assignment] = [a for a in assignments if a.inputs["principalId"] == principal]
        assert sources(assignment, "scope") == [service(prod_plan, name).urn]
        assert sources(assignment, "roleDefinitionId") == [service(prod_plan, name).urn]
        assert assignment.inputs["principalType"] == "Group"
        assert (
            assignment.inputs["description"]
            == f"Communication and Email Service Owner on {name}, granted by acs-platform"
        )


def test_the_role_definition_is_in_the_subscription_of_the_scope():
    assert role_definition_id(SCOPE, OWNER_ROLE) == (
        "/subscriptions/11111111-2222-3333-4444-555555555555/providers/Microsoft.Authorization"
        f"/roleDefinitions/{OWNER_ROLE}"
    )


def test_the_assignment_name_is_a_guid_stable_for_scope_principal_and_role():
    name = assignment_name(args())
    assert uuid.UUID(name).version == 5
    assert assignment_name(args(description="changed", principal_key=PRINCIPAL.upper())) == name
    assert assignment_name(args(principal_key="8e2f7a4b-3c9d-4e1f-a6b5-7d8c9e0f1a22")) != name
    assert assignment_name(args(role_definition_guid="acdd72a7-3385-48ef-bd42-f606fba81ae7")) != name
    assert assignment_name(args(scope_key="acs-contoso-prod-us")) != name


def test_a_configured_description_and_role_by_guid_are_used(tmp_path):
    config = minimal_config(
        roleAssignments=[
            {
                "principalId": PRINCIPAL,
                "principalType": "ServicePrincipal",
                "role": OWNER_ROLE,
                "description": "sender app",
            }
        ]
    )
    plan = plan_config(tmp_path, config)
    assignment = one(plan, ROLE_ASSIGNMENT)
    assert assignment.inputs["description"] == "sender app"
    assert assignment.inputs["principalType"] == "ServicePrincipal"
    assert assignment.inputs["roleAssignmentName"] == assignment_name(
        args(scope_key="acs-test-eu", role_definition_guid=OWNER_ROLE)
    )
    assert sources(assignment, "scope") == [one(plan, ACS).urn]


def test_no_assignments_no_access_component(tmp_path):
    plan = plan_config(tmp_path, minimal_config())
    assert plan.of_type("acs-platform:components:Access") == []
    assert plan.of_type(ROLE_ASSIGNMENT) == []
