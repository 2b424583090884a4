"""No stack plans two resources that are one resource in Azure.

Pulumi tells resources apart by URN, Azure by what it names them: of two declarations of one
Azure resource, `pulumi up` fails to create the second ("already exists"), and deleting either
deletes what the other still needs. Every committed stack and every fixture stack is planned and checked.
"""

import json

import pytest

from preflight.plan import UNKNOWN, Plan, PlannedResource
from preflight.runner import plan_stack
from preflight.stacks import load_project
from stackconfig import roles
from tests.stacks import EVENT_SUBSCRIPTION, LOCK, REPO, ROLE_ASSIGNMENT

STACKS_DIR = REPO / "tests" / "stacks"
FIXTURES = REPO / "tests" / "fixtures"
# The committed stacks, the program's faulty stacks, and the fixture programs' stacks.
PROJECTS = [
    load_project(REPO),
    load_project(REPO, STACKS_DIR),
    *[load_project(program) for program in sorted(FIXTURES.iterdir()) if (program / "Pulumi.yaml").exists()],
]
PLANNED = [(project, stack) for project in PROJECTS for stack in project.stacks]


def _reference(resource: PlannedResource, key: str):
    """An input that points at a resource: known, its value; unknown, the resources it is taken
    from, as an id taken from one resource is that resource's id."""
    value = resource.inputs.get(key)
    if value == UNKNOWN:
        return {"from": sorted(resource.property_dependencies.get(key, []))}
    return value


def azure_identities(resource: PlannedResource) -> list[str]:
    """What Azure knows `resource` by, as far as the plan tells: its type, its `*Name` inputs
    (its own name and its parents') and its `scope`. A role assignment is also one with any other
    of the same role for the same principal at the same scope: Azure refuses that one too.

    A name the plan does not know (one Azure makes, such as a DKIM record's) cannot be compared:
    such a resource, and one with no name input, is left out."""
    if not resource.type.startswith("azure-native:"):
        return []
    names = {key: value for key, value in resource.inputs.items() if key.endswith("Name")}
    if not names or UNKNOWN in names.values():
        return []
    identities = [{"type": resource.type, **names, "scope": _reference(resource, "scope")}]
    if resource.type == ROLE_ASSIGNMENT:
        identities.append(
            {
                "type": resource.type,
                **{k: _reference(resource, k) for k in ("scope", "principalId", "roleDefinitionId")},
            }
        )
    # Azure names and ids are case-insensitive.
    return [json.dumps(identity, sort_keys=True).lower() for identity in identities]


def duplicates(plan: Plan) -> dict[str, list[str]]:
    """Each Azure identity declared more than once -> the names of the resources declaring it."""
    declared: dict[str, list[str]] = {}
    for resource in plan.resources:
        for identity in azure_identities(resource):
            declared.setdefault(identity, []).append(resource.name)
    return {identity: names for identity, names in declared.items() if len(names) > 1}


@pytest.mark.parametrize(
    ("project", "stack"), PLANNED, ids=[str(p.stack_file(s).relative_to(REPO)) for p, s in PLANNED]
)
def test_no_stack_declares_one_azure_resource_twice(project, stack):
    declared_twice = sorted({", ".join(names) for names in duplicates(plan_stack(project, stack)).values()})
    assert not declared_twice, "one Azure resource, declared by:\n" + "\n".join(declared_twice)


def test_the_shared_grants_stack_has_subscriptions_that_share_every_grant():
    # What keeps the check above meaningful: without these, the duplicates it looks for cannot occur.
    plan = plan_stack(load_project(REPO, STACKS_DIR), "shared-grants")
    subscriptions = [s for s in plan.of_type(EVENT_SUBSCRIPTION) if "acs-contoso-shared-eu" in s.name]
    assert all("deadLetterWithResourceIdentity" in s.inputs for s in subscriptions) and len(subscriptions) == 3
    queues = [
        s.inputs["deliveryWithResourceIdentity"]["destination"]["resourceId"]
        for s in subscriptions
        if "deliveryWithResourceIdentity" in s.inputs
    ]
    assert len(queues) == 2 and len(set(queues)) == 1


# The rule itself, on hand-made plans.
CONTAINER = "urn:pulumi:test::acs-platform::azure-native:storage:BlobContainer::deadletters"
TOPIC = "urn:pulumi:test::acs-platform::azure-native:eventgrid:SystemTopic::topic"
QUEUE = (
    "/subscriptions/6f1c2a52-4f0e-4b8e-9d0a-5d3f2c1b7a10/resourceGroups/rg-apps"
    "/providers/Microsoft.ServiceBus/namespaces/sb-apps/queues/sms"
)
SENDER = f"/providers/Microsoft.Authorization/roleDefinitions/{roles.SERVICE_BUS_DATA_SENDER}"


def planned(name: str, type_token: str, inputs: dict, sources: dict[str, list[str]] | None = None) -> PlannedResource:
    return PlannedResource(
        urn=f"urn:pulumi:test::acs-platform::{type_token}::{name}",
        type=type_token,
        name=name,
        parent=None,
        custom=True,
        inputs=inputs,
        dependencies=[],
        protect=False,
        property_dependencies=sources or {},
    )


def grant(name: str, assignment: str, scope: str, principal: str = UNKNOWN) -> PlannedResource:
    inputs = {"roleAssignmentName": assignment, "scope": scope, "principalId": principal, "roleDefinitionId": SENDER}
    sources = {"principalId": [TOPIC]} if principal == UNKNOWN else {}
    if scope == UNKNOWN:
        sources["scope"] = [CONTAINER]
    return planned(name, ROLE_ASSIGNMENT, inputs, sources)


def found(*resources: PlannedResource) -> list[list[str]]:
    return sorted(duplicates(Plan("acs-platform", "test", list(resources), {})).values())


def test_two_role_assignments_of_one_name_at_one_scope_are_found():
    # Found twice: by name at the scope, and by role, principal and scope.
    assert found(grant("a", "8f0c", QUEUE), grant("b", "8f0c", QUEUE)) == [["a", "b"]] * 2


def test_two_role_assignments_of_one_name_on_one_unknown_scope_are_found():
    # The dead-letter grant as each subscription declared it: its scope is the container's id.
    assert found(grant("a", "8f0c", UNKNOWN), grant("b", "8f0c", UNKNOWN)) == [["a", "b"]] * 2


def test_two_names_for_one_role_of_one_principal_at_one_scope_are_found():
    # The destination grant as each subscription to one queue declared it, under its own name.
    assert found(grant("a", "8f0c", QUEUE), grant("b", "41d2", QUEUE.upper())) == [["a", "b"]]


def test_one_role_for_different_principals_or_scopes_is_not_a_duplicate():
    other_principal = grant("b", "41d2", QUEUE, principal="5b1d1c1e-6a0e-4c4b-9d55-0f3c2a7e9e01")
    other_scope = grant("c", "77ab", QUEUE.replace("/sms", "/email"))
    assert found(grant("a", "8f0c", QUEUE), other_principal, other_scope) == []


def test_one_lock_name_on_different_resources_is_not_a_duplicate():
    locks = [
        planned(name, LOCK, {"lockName": "no-delete", "scope": UNKNOWN}, {"scope": [f"urn:{name}"]})
        for name in ("acs", "group")
    ]
    assert found(*locks) == []


def test_names_only_azure_knows_and_resources_of_other_providers_are_left_out():
    records = [
        planned(name, "azure-native:dns:RecordSet", {"relativeRecordSetName": UNKNOWN, "zoneName": "contoso.com"})
        for name in ("dkim", "dkim2")
    ]
    dynamic = [planned(name, "pulumi-python:dynamic/x:Y", {"poolName": "p"}) for name in ("x", "y")]
    assert found(*records, *dynamic) == []
