"""Every resource type a stack plans is judged by a policy of the pack, or is exempt for a reason.

Each policy declares the types it judges (`policies.support.judged_types`); the rules of every
resource (tags, regions, API versions, plain secrets) declare None and cover no type on their own.
Every committed and fixture stack is planned, as in test_azure_identities.
"""

import json

import pytest

from policies.catalog import POLICIES
from policies.support import judged_types
from preflight.runner import plan_stack
from tests.stacks import REPO
from tests.test_azure_identities import PLANNED

# Planned types no policy judges, and why that is enough.
EXEMPT = {
    "pulumi:pulumi:Stack": "the stack itself: no Azure resource.",
    "azure-native:resources:ResourceGroup": "a container only: judged by the rules of every resource (required-tags, "
    "resource-location-allowed); its lock is the protection component's.",
    "azure-native:authorization:RoleAssignment": "granted from stack config, validated there: only the built-in roles "
    "of stackconfig/roles.py, scoped to one ACS resource, vault or topic destination (tests/test_access.py, "
    "tests/test_azure_identities.py); the pack has no rule of its own for them.",
    "azure-native:communication:SenderUsername": "a sender address on an email domain the email rules judge; it has "
    "no security setting of its own.",
    "azure-native:dns:RecordSet": "the email domains' verification records, their values read from Azure; "
    "email-custom-domain-verified judges the verification they serve.",
    "pulumi-python:dynamic/keyrotation:AcsKeyRotation": "the project's own provider, which rotates the ACS keys into "
    "Key Vault; its inputs hold no credential (no-plain-secret-inputs) and tests/test_keyrotation.py judges it.",
    "azure-native:consumption:Budget": "the stack's cost budget, an alert that changes no resource: its amount, "
    "thresholds, contacts and start date are validated as config (stackconfig/budget.py, tests/test_budget.py); the "
    "cost policy monthly-cost-budget compares the stack's estimated cost with the policy config, not with this "
    "resource, and no-preview-api-version judges its API version.",
}
# Component resources group real ones: they are not deployed themselves.
EXEMPT_PREFIXES = {
    "acs-platform:components:": "a component resource: its children are judged, it deploys nothing.",
    "acs-platform:index:": "a component of the package: its children are judged, it deploys nothing.",
}


def covered_types() -> set[str]:
    return {t for policy in POLICIES for t in judged_types(policy) or ()}


def exempt(type_token: str) -> bool:
    return type_token in EXEMPT or any(type_token.startswith(prefix) for prefix in EXEMPT_PREFIXES)


@pytest.mark.parametrize(
    ("project", "stack"), PLANNED, ids=[str(p.stack_file(s).relative_to(REPO)) for p, s in PLANNED]
)
def test_every_planned_resource_type_is_judged_or_exempt(project, stack):
    covered = covered_types()
    planned = {resource.type for resource in plan_stack(project, stack).resources}
    unjudged = sorted(t for t in planned if t not in covered and not exempt(t))
    assert not unjudged, "no policy judges, and no exemption explains: " + ", ".join(unjudged)


def test_no_type_is_both_judged_and_exempt():
    assert not covered_types() & set(EXEMPT), "an exemption a policy has made stale"


def test_every_policy_declares_what_it_judges():
    undeclared = [p.name for p in POLICIES if not hasattr(p, "judged_types")]
    assert not undeclared
    every_resource = sorted(p.name for p in POLICIES if judged_types(p) is None)
    assert every_resource == [
        "no-plain-secret-inputs",
        "no-preview-api-version",
        "required-tags",
        "resource-location-allowed",
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stacks_policy_config_lists_every_policy(stack):
    config = json.loads((REPO / "policies" / "config" / f"{stack}.json").read_text(encoding="utf-8"))
    missing = sorted(p.name for p in POLICIES if p.name not in config)
    assert not missing, f"policies/config/{stack}.json does not list: " + ", ".join(missing)
