"""AVM's common interface (lock, roleAssignments, tags) on the ACS resource, the email service and each domain:
the config takes and refuses it, the plan carries it, the policies judge it, and plans without it are as before."""

from pathlib import Path

import pytest

from components.access import RoleAssignmentArgs, assignment_name
from preflight.analyzer import analyze
from preflight.policy_config import parse_policy_config
from preflight.stacks import as_cli_value
from stackconfig import ConfigError
from stackconfig.interface import LOCK_NAME_MAX, LOCK_NOTES_MAX
from stackconfig.loader import validate_stack_config
from tests.policy_harness import UNKNOWN, fixture, judge, urn, violations_of
from tests.stacks import (
    ACS,
    EMAIL_DOMAIN,
    EMAIL_SERVICE,
    LOCK,
    PRINCIPAL,
    RESOURCE_GROUP,
    ROLE_ASSIGNMENT,
    minimal_config,
    one,
    plan_config,
    sources,
    with_changes,
)

OTHER = "8e2f7a4b-3c9d-4e1f-a6b5-7d8c9e0f1a22"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
AVM_NAME = "0b3d7a52-2f5e-4a6b-9c1d-7e8f9a0b1c2d"  # an assignment made before, by AVM or by hand
CONDITION = (
    "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
    "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {"
    + READER
    + "}))"
)
DELEGATED = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-identities"
    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-lighthouse"
)
NOTES = "Managed by acs-platform: change it in the stack configuration, not by hand."
ASSIGNMENT_KEYS = {"principalId", "principalType", "roleDefinitionId", "roleAssignmentName", "scope", "description"}


def validate(config, stack="test"):
    return validate_stack_config(stack, {k: as_cli_value(v) for k, v in config.items()}, frozenset())


def only_problem(config) -> str:
    with pytest.raises(ConfigError) as caught:
        validate(config)
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


def grant(**more):
    return {"principalId": PRINCIPAL, "principalType": "Group", "role": "Reader", **more}


def email(domain: dict | None = None, **service) -> dict:
    return {"email": {"domains": [{"name": "AzureManagedDomain", **(domain or {})}], **service}}


def instance_with(**keys):
    """A dev stack whose one instance has `keys` (the lock and roles of the ACS resource, or `email`)."""
    return minimal_config("dev", **keys)


def stack_service(**keys):
    """A stack email service (acs-platform:emailServices) with `keys`."""
    service = {"name": "email-shared", "dataLocation": "Europe", "domains": [{"name": "AzureManagedDomain"}], **keys}
    return with_changes(minimal_config("dev"), emailServices=[service])


# Where each resource's interface keys go, from the stack file's point of view.
PLACES = {
    "instance": (lambda keys: instance_with(**keys), "acs-platform:instances[0]"),
    "email service": (lambda keys: instance_with(**email(**keys)), "acs-platform:instances[0].email"),
    "domain": (lambda keys: instance_with(**email(keys)), "acs-platform:instances[0].email.domains[0]"),
    "stack email service": (lambda keys: stack_service(**keys), "acs-platform:emailServices[0]"),
    "stack domain": (
        lambda keys: stack_service(domains=[{"name": "AzureManagedDomain", **keys}]),
        "acs-platform:emailServices[0].domains[0]",
    ),
}


# --- config: locks ------------------------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES)
def test_a_lock_with_its_name_and_notes_is_taken(place):
    build, _ = PLACES[place]
    validate(build({"lock": {"kind": "CanNotDelete", "name": "keep-me", "notes": "Ask the platform team."}}))
    validate(build({"lock": {"kind": "None"}}))


@pytest.mark.parametrize("place", PLACES)
def test_a_read_only_lock_is_refused_with_the_reason(place):
    build, key = PLACES[place]
    message = only_problem(build({"lock": {"kind": "ReadOnly"}}))
    assert message.startswith(f"{key}.lock.kind: 'ReadOnly' is not allowed: a ReadOnly lock lets authorized users only")
    assert "POST operations count as writes" in message
    if place == "instance":
        assert "listing and regenerating its keys (listKeys, regenerateKey" in message
        assert "linking email domains" in message
    else:
        assert "verification (initiateVerification, a POST)" in message and "senders" in message
    assert message.endswith(
        "allowed: 'CanNotDelete' (deletes are refused, reads and changes go on) or 'None' (no lock)"
    )


@pytest.mark.parametrize(
    ("lock", "problem"),
    [
        ({"kind": "DoNotDelete"}, "lock.kind: 'DoNotDelete' is not allowed; allowed: 'CanNotDelete'"),
        ({"kind": "CanNotDelete", "name": "a:b"}, "lock.name: 'a:b' must be 1 to 260 characters without < > % & :"),
        ({"kind": "CanNotDelete", "name": "x" * (LOCK_NAME_MAX + 1)}, "must be 1 to 260 characters"),
        (
            {"kind": "CanNotDelete", "notes": "n" * (LOCK_NOTES_MAX + 1)},
            "is 513 characters; a lock's notes are at most 512",
        ),
        ({"name": "keep-me"}, "lock.kind: is required"),
        ({"kind": "CanNotDelete", "level": "CanNotDelete"}, "lock.level: unknown key"),
    ],
)
@pytest.mark.parametrize("place", ["instance", "domain"])
def test_a_lock_follows_azures_rules(place, lock, problem):
    build, key = PLACES[place]
    assert problem in only_problem(build({"lock": lock}))


def test_a_lock_name_of_260_characters_and_notes_of_512_are_taken():
    validate(instance_with(lock={"kind": "CanNotDelete", "name": "x" * LOCK_NAME_MAX, "notes": "n" * LOCK_NOTES_MAX}))


# --- config: role assignments -------------------------------------------------------------------


@pytest.mark.parametrize("place", PLACES)
def test_role_assignments_take_avms_keys(place):
    build, _ = PLACES[place]
    full = grant(
        name=AVM_NAME, condition=CONDITION, conditionVersion="2.0", delegatedManagedIdentityResourceId=DELEGATED
    )
    validate(build({"roleAssignments": [full, grant(principalId=OTHER, role="Contributor")]}))


@pytest.mark.parametrize("version", [2.0, 2])
def test_an_unquoted_condition_version_is_the_text_it_reads_as(version):
    config = validate(instance_with(roleAssignments=[grant(condition=CONDITION, conditionVersion=version)]))
    assert config.instances[0].role_assignments[0].condition_version == "2.0"
    refused = only_problem(instance_with(roleAssignments=[grant(condition=CONDITION, conditionVersion=1)]))
    assert refused == "acs-platform:instances[0].roleAssignments[0].conditionVersion: 1 is not allowed; allowed: '2.0'"


def test_a_condition_without_a_version_is_version_2_and_no_condition_has_none():
    config = validate(instance_with(roleAssignments=[grant(condition=CONDITION), grant(principalId=OTHER)]))
    with_condition, without = config.instances[0].role_assignments
    assert with_condition.effective_condition_version == "2.0"
    assert without.effective_condition_version is None


@pytest.mark.parametrize(
    ("more", "problem"),
    [
        ({"name": "acs-owner"}, "roleAssignments[0].name: 'acs-owner' must be a GUID"),
        ({"conditionVersion": "2.0"}, "roleAssignments[0]: conditionVersion is given without a condition"),
        ({"condition": CONDITION, "conditionVersion": "1.0"}, "roleAssignments[0].conditionVersion: '1.0'"),
        ({"condition": ""}, "roleAssignments[0].condition: '' should have at least 1 character"),
        (
            {"delegatedManagedIdentityResourceId": "id-lighthouse"},
            "roleAssignments[0].delegatedManagedIdentityResourceId: 'id-lighthouse' must be an Azure resource id",
        ),
    ],
)
@pytest.mark.parametrize("place", ["instance", "email service", "domain"])
def test_role_assignment_keys_are_checked(place, more, problem):
    build, key = PLACES[place]
    message = only_problem(build({"roleAssignments": [grant(**more)]}))
    assert message.startswith(f"{key}.{problem}"), message


@pytest.mark.parametrize("place", ["instance", "email service", "domain"])
def test_a_principal_gets_a_role_once_and_a_name_is_used_once(place):
    build, key = PLACES[place]
    twice = only_problem(build({"roleAssignments": [grant(), grant(description="again")]}))
    assert twice.startswith(f"{key}.roleAssignments: has the assignment (principalId, role)")
    same_name = [grant(name=AVM_NAME), grant(principalId=OTHER, name=AVM_NAME.upper())]
    assert only_problem(build({"roleAssignments": same_name})) == (
        f"{key}.roleAssignments: has the assignment name {AVM_NAME.upper()!r} more than once"
    )


# --- config: tags -------------------------------------------------------------------------------


@pytest.mark.parametrize("place", ["email service", "domain", "stack domain"])
def test_email_services_and_domains_take_tags(place):
    build, _ = PLACES[place]
    validate(build({"tags": {"team": "messaging"}}))


ENVIRONMENT_PLACES = {
    "stack": (lambda tags: with_changes(minimal_config("dev"), tags=tags), "acs-platform:tags"),
    "instance": (lambda tags: instance_with(tags=tags), "acs-platform:instances[0].tags"),
    "email service": (lambda tags: instance_with(**email(tags=tags)), "acs-platform:instances[0].email.tags"),
    "domain": (lambda tags: instance_with(**email({"tags": tags})), "acs-platform:instances[0].email.domains[0].tags"),
    "stack email service": (lambda tags: stack_service(tags=tags), "acs-platform:emailServices[0].tags"),
}


@pytest.mark.parametrize("place", ENVIRONMENT_PLACES)
def test_a_tag_environment_clashes_with_the_standard_tag_and_says_what_to_do(place):
    """AVM's examples tag `Environment`; Azure tag names are case-insensitive, so it is acs-platform's own."""
    build, key = ENVIRONMENT_PLACES[place]
    assert only_problem(build({"Environment": "Non-Prod"})) == (
        f"{key}: tag 'Environment' is set by acs-platform itself as 'environment' (Azure tag names are "
        "case-insensitive: a resource cannot carry both 'Environment' and the standard 'environment'); remove "
        "this tag and set its value with acs-platform:environment (by default the stack's name); standard tags: "
        "environment, owner, cost-center, managed-by"
    )


def test_each_standard_tag_says_where_its_value_comes_from():
    build, _ = ENVIRONMENT_PLACES["domain"]
    assert "set its value with acs-platform:costCenter" in only_problem(build({"Cost-Center": "x"}))
    assert "set its value with acs-platform:owner" in only_problem(build({"owner": "x"}))
    assert "remove this tag: its value is always acs-platform" in only_problem(build({"Managed-By": "x"}))


def test_tags_that_differ_only_in_case_are_refused_in_one_map_and_across_levels():
    assert only_problem(instance_with(**email(tags={"Team": "a", "team": "b"}))) == (
        "acs-platform:instances[0].email.tags: has the tags 'Team' and 'team': Azure tag names are case-insensitive, "
        "one resource cannot carry both; keep one"
    )
    across = with_changes(instance_with(**email({"tags": {"team": "b"}})), tags={"Team": "a"})
    assert only_problem(across) == (
        "acs-platform:tags: with instances[0].email.domains[0].tags, the domain AzureManagedDomain would carry the "
        "tags 'Team' and 'team': Azure tag names are case-insensitive, one resource cannot carry both; spell them alike"
    )
    validate(with_changes(instance_with(**email({"tags": {"team": "b"}})), tags={"team": "a"}))  # an override


@pytest.mark.parametrize(
    ("place", "resource"),
    [
        ("email service", "instances[0].email.tags, the email service email-acs-test-eu"),
        ("domain", "instances[0].email.domains[0].tags, the domain AzureManagedDomain"),
    ],
)
def test_at_most_50_tags_with_the_stacks_and_the_standard_ones(place, resource):
    build, _ = PLACES[place]
    stack_tags = {f"stack-{i}": "x" for i in range(40)}
    validate(with_changes(build({"tags": {f"own-{i}": "x" for i in range(6)}}), tags=stack_tags))
    message = only_problem(with_changes(build({"tags": {f"own-{i}": "x" for i in range(7)}}), tags=stack_tags))
    assert message == (
        f"acs-platform:tags: with {resource} would carry 51 tags (the standard ones included); Azure allows at "
        "most 50 per resource"
    )


# --- the plan -----------------------------------------------------------------------------------


def plan_of(tmp_path: Path, config: dict):
    return plan_config(tmp_path, config)


def locks_on(plan, resource) -> list:
    return [lock for lock in plan.of_type(LOCK) if sources(lock, "scope") == [resource.urn]]


def test_the_instances_lock_overrides_the_stacks_with_its_name_and_notes(tmp_path):
    plan = plan_of(tmp_path, instance_with(lock={"kind": "CanNotDelete", "name": "keep-acs", "notes": "Ask first."}))
    [lock] = locks_on(plan, one(plan, ACS))
    assert {k: lock.inputs[k] for k in ("level", "lockName", "notes")} == {
        "level": "CanNotDelete",
        "lockName": "keep-acs",
        "notes": "Ask first.",
    }
    assert lock.name == "acs-test-eu-lock"


def test_an_instance_lock_without_a_name_is_the_stacks_lock_as_before(tmp_path):
    before = plan_of(tmp_path, minimal_config("prod"))
    after = plan_of(tmp_path, minimal_config("prod", lock={"kind": "CanNotDelete"}))
    [old] = locks_on(before, one(before, ACS))
    [new] = locks_on(after, one(after, ACS))
    assert (new.urn, new.inputs) == (old.urn, old.inputs)
    assert new.inputs["lockName"] == "acs-platform-cannotdelete" and new.inputs["notes"] == NOTES


def test_an_instance_lock_of_kind_none_unlocks_that_acs_resource_only(tmp_path):
    plan = plan_of(tmp_path, minimal_config("prod", lock={"kind": "None"}))
    assert locks_on(plan, one(plan, ACS)) == []
    assert len(locks_on(plan, one(plan, RESOURCE_GROUP))) == 1  # the stack's lock stays on the group


def test_the_email_service_and_domain_locks_take_avms_default_names(tmp_path):
    config = instance_with(**email({"lock": {"kind": "CanNotDelete"}}, lock={"kind": "CanNotDelete", "notes": "n"}))
    plan = plan_of(tmp_path, config)
    [service_lock] = locks_on(plan, one(plan, EMAIL_SERVICE))
    [domain_lock] = locks_on(plan, one(plan, EMAIL_DOMAIN))
    assert (service_lock.inputs["lockName"], service_lock.inputs["notes"]) == ("lock-email-acs-test-eu", "n")
    assert (domain_lock.inputs["lockName"], domain_lock.inputs["notes"]) == ("lock-AzureManagedDomain", NOTES)
    assert service_lock.inputs["level"] == domain_lock.inputs["level"] == "CanNotDelete"
    assert locks_on(plan, one(plan, ACS)) == []  # dev: the ACS resource is not locked


def test_email_locks_with_their_own_names_and_none_without_a_lock(tmp_path):
    config = instance_with(**email({"lock": {"kind": "CanNotDelete", "name": "keep-domain"}}))
    plan = plan_of(tmp_path, config)
    assert locks_on(plan, one(plan, EMAIL_SERVICE)) == []
    [domain_lock] = locks_on(plan, one(plan, EMAIL_DOMAIN))
    assert domain_lock.inputs["lockName"] == "keep-domain"


def test_a_stack_email_services_lock_and_its_domains(tmp_path):
    config = stack_service(
        lock={"kind": "CanNotDelete"}, domains=[{"name": "AzureManagedDomain", "lock": {"kind": "CanNotDelete"}}]
    )
    plan = plan_of(tmp_path, config)
    assert [lock.inputs["lockName"] for lock in locks_on(plan, one(plan, EMAIL_SERVICE))] == ["lock-email-shared"]
    assert [lock.inputs["lockName"] for lock in locks_on(plan, one(plan, EMAIL_DOMAIN))] == ["lock-AzureManagedDomain"]


def assignments_on(plan, resource) -> list:
    return [a for a in plan.of_type(ROLE_ASSIGNMENT) if sources(a, "scope") == [resource.urn]]


def test_an_assignment_with_a_name_keeps_it_and_its_resource_name(tmp_path):
    before = plan_of(tmp_path, instance_with(roleAssignments=[grant()]))
    after = plan_of(tmp_path, instance_with(roleAssignments=[grant(name=AVM_NAME)]))
    [old] = assignments_on(before, one(before, ACS))
    [new] = assignments_on(after, one(after, ACS))
    assert new.urn == old.urn  # the Pulumi resource stays; only its name in Azure is the one given
    assert new.inputs["roleAssignmentName"] == AVM_NAME
    assert old.inputs["roleAssignmentName"] == assignment_name(
        RoleAssignmentArgs("acs-test-eu", "", PRINCIPAL, PRINCIPAL, "Group", READER, "")
    )
    assert {k: v for k, v in new.inputs.items() if k != "roleAssignmentName"} == {
        k: v for k, v in old.inputs.items() if k != "roleAssignmentName"
    }


def test_an_assignment_without_the_new_keys_has_the_inputs_it_always_had(tmp_path):
    plan = plan_of(tmp_path, instance_with(roleAssignments=[grant()]))
    [assignment] = assignments_on(plan, one(plan, ACS))
    assert set(assignment.inputs) == ASSIGNMENT_KEYS
    assert assignment.inputs["description"] == "Reader on acs-test-eu, granted by acs-platform"


def test_an_assignments_condition_version_and_delegated_identity_reach_the_plan(tmp_path):
    full = grant(condition=CONDITION, delegatedManagedIdentityResourceId=DELEGATED)
    plan = plan_of(tmp_path, instance_with(roleAssignments=[full]))
    [assignment] = assignments_on(plan, one(plan, ACS))
    assert set(assignment.inputs) == ASSIGNMENT_KEYS | {
        "condition",
        "conditionVersion",
        "delegatedManagedIdentityResourceId",
    }
    assert assignment.inputs["condition"] == CONDITION
    assert assignment.inputs["conditionVersion"] == "2.0"  # AVM's default with a condition
    assert assignment.inputs["delegatedManagedIdentityResourceId"] == DELEGATED


def test_the_email_service_and_each_domain_have_their_own_assignments(tmp_path):
    config = instance_with(
        **email(
            {"roleAssignments": [grant(role="Contributor", condition=CONDITION, conditionVersion="2.0")]},
            roleAssignments=[grant(name=AVM_NAME)],
        )
    )
    plan = plan_of(tmp_path, config)
    assert assignments_on(plan, one(plan, ACS)) == []
    [on_service] = assignments_on(plan, one(plan, EMAIL_SERVICE))
    [on_domain] = assignments_on(plan, one(plan, EMAIL_DOMAIN))
    assert sources(on_service, "roleDefinitionId") == [one(plan, EMAIL_SERVICE).urn]
    assert on_service.inputs["roleAssignmentName"] == AVM_NAME
    assert on_service.inputs["description"] == "Reader on the email service email-acs-test-eu, granted by acs-platform"
    assert "condition" not in on_service.inputs
    assert on_domain.inputs["description"] == (
        "Contributor on the domain AzureManagedDomain of email-acs-test-eu, granted by acs-platform"
    )
    assert (on_domain.inputs["condition"], on_domain.inputs["conditionVersion"]) == (CONDITION, "2.0")
    assert on_domain.name != on_service.name


def test_tags_of_the_email_service_and_domain_come_on_top_of_the_stacks(tmp_path):
    config = with_changes(
        instance_with(tags={"tier": "gold"}, **email({"tags": {"team": "domain"}}, tags={"team": "service"})),
        tags={"team": "stack", "region": "eu"},
    )
    plan = plan_of(tmp_path, config)
    standard = {"environment": "test", "owner": "platform-team@contoso.com", "cost-center": "CC-4711"}
    standard["managed-by"] = "acs-platform"
    assert one(plan, EMAIL_SERVICE).inputs["tags"] == {"team": "service", "region": "eu", **standard}
    assert one(plan, EMAIL_DOMAIN).inputs["tags"] == {"team": "domain", "region": "eu", **standard}
    assert one(plan, ACS).inputs["tags"] == {"team": "stack", "region": "eu", "tier": "gold", **standard}


def test_without_tags_of_their_own_they_carry_the_stacks_as_before(tmp_path):
    plan = plan_of(tmp_path, with_changes(instance_with(**email()), tags={"team": "stack"}))
    assert one(plan, EMAIL_SERVICE).inputs["tags"] == one(plan, EMAIL_DOMAIN).inputs["tags"]
    assert one(plan, EMAIL_SERVICE).inputs["tags"]["team"] == "stack"


# --- policies -----------------------------------------------------------------------------------


def lock_fixture(name: str, target: str, **inputs):
    return fixture(LOCK, name, {"scope": UNKNOWN, **inputs}, property_dependencies={"scope": [urn(ACS, target)]})


def acs_fixture(name: str):
    return fixture(ACS, name, {"communicationServiceName": name, "disableLocalAuth": True})


def test_a_lock_with_its_own_name_and_notes_satisfies_the_delete_lock_policy():
    resources = [
        acs_fixture("custom-lock"),
        lock_fixture("custom", "custom-lock", level="CanNotDelete", lockName="keep-acs", notes="Ask first."),
        acs_fixture("read-only"),
        lock_fixture("read-only-lock", "read-only", level="ReadOnly", lockName="keep-acs"),
    ]
    result = judge(resources)
    assert violations_of(result, "acs-delete-lock", "custom-lock") == []
    assert [v.message for v in violations_of(result, "acs-delete-lock", "read-only")] == [
        "read-only: no CanNotDelete lock."
    ]


def verdicts(plan) -> set[tuple[str, str | None]]:
    path = Path("policy-config.json")
    return {
        (v.policy, v.resource_name)
        for v in analyze(plan, parse_policy_config({"all": "mandatory"}, path), path).violations
    }


def test_the_pack_judges_a_planned_custom_lock_and_a_conditional_assignment_as_before(tmp_path):
    plain = minimal_config("prod", roleAssignments=[grant()])
    custom = minimal_config(
        "prod",
        lock={"kind": "CanNotDelete", "name": "keep-acs", "notes": "Ask first."},
        roleAssignments=[grant(name=AVM_NAME, condition=CONDITION, delegatedManagedIdentityResourceId=DELEGATED)],
    )
    before, after = verdicts(plan_of(tmp_path, plain)), verdicts(plan_of(tmp_path, custom))
    assert after == before
    assert not [v for v in after if v[0] == "acs-delete-lock"]
    unlocked = verdicts(plan_of(tmp_path, minimal_config("prod", lock={"kind": "None"})))
    assert ("acs-delete-lock", "acs-test-eu-acs") in unlocked
