"""Log Analytics workspace policies, and the category groups the diagnostic-settings rules accept,
judged by the real pack over gRPC."""

import pytest

from policies.resource_types import ACS, DIAGNOSTIC_SETTING, SYSTEM_TOPIC, WORKSPACE
from tests.policy_harness import UNKNOWN, fixture, judge, urn, verdict_tests, violations_of

BOTH = ["Enabled", "Disabled"]


def workspace(name: str, **inputs) -> object:
    base = {"workspaceName": f"log-{name}", "resourceGroupName": "rg-acs-test", "location": "westeurope"}
    return fixture(WORKSPACE, name, {**base, "sku": {"name": "PerGB2018"}, **inputs})


CLOSED = {
    "features": {"disableLocalAuth": True},
    "publicNetworkAccessForIngestion": "Disabled",
    "publicNetworkAccessForQuery": "Disabled",
}


@pytest.fixture(scope="module")
def result():
    return judge(
        [
            workspace("closed", **CLOSED),
            workspace("keys", features={"disableLocalAuth": False}, publicNetworkAccessForIngestion="Enabled"),
            workspace("defaults"),  # Azure's defaults: keys work, public ingestion and query
            workspace("query", **{**CLOSED, "publicNetworkAccessForQuery": "Enabled"}),
            workspace(
                "unknown",
                features={"disableLocalAuth": UNKNOWN},
                publicNetworkAccessForIngestion=UNKNOWN,
                publicNetworkAccessForQuery=UNKNOWN,
            ),
        ]
    )


FAILS = [
    ("workspace-local-auth-disabled", "keys", "log-keys: the workspace keys work; features.disableLocalAuth is False"),
    (
        "workspace-local-auth-disabled",
        "defaults",
        "log-defaults: the workspace keys work; features.disableLocalAuth is not set",
    ),
    (
        "workspace-public-network-access",
        "keys",
        "log-keys: publicNetworkAccessForIngestion is 'Enabled' (allowed: Disabled); publicNetworkAccessForQuery",
    ),
    (
        "workspace-public-network-access",
        "defaults",
        "log-defaults: publicNetworkAccessForIngestion is 'Enabled' (allowed: Disabled); "
        "publicNetworkAccessForQuery is 'Enabled'",
    ),
    ("workspace-public-network-access", "query", "log-query: publicNetworkAccessForQuery is 'Enabled'"),
]

PASSES = [
    ("workspace-local-auth-disabled", "closed"),
    ("workspace-local-auth-disabled", "query"),
    ("workspace-local-auth-disabled", "unknown"),
    ("workspace-public-network-access", "closed"),
    ("workspace-public-network-access", "unknown"),
]


test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values = verdict_tests(FAILS, PASSES)


def test_public_access_follows_the_stacks_policy_config():
    prod_like = {"all": "mandatory", "workspace-public-network-access": {"allowedForQuery": BOTH}}
    assert (
        violations_of(
            judge([workspace("query", **{**CLOSED, "publicNetworkAccessForQuery": "Enabled"})], prod_like),
            "workspace-public-network-access",
        )
        == []
    )
    # Ingestion stays closed: the prod stack's config allows only Disabled.
    open_ingestion = workspace("ingest", **{**CLOSED, "publicNetworkAccessForIngestion": "Enabled"})
    [violation] = violations_of(judge([open_ingestion], prod_like), "workspace-public-network-access")
    assert violation.message == "log-ingest: publicNetworkAccessForIngestion is 'Enabled' (allowed: Disabled)."


def test_metadata_names_the_azure_policy_built_ins(result):
    policies = {p.name: p for p in result.policies}
    assert policies["workspace-local-auth-disabled"].framework_reference.endswith(
        "e15effd4-2278-4c65-a0da-4d6f6d1890e2"
    )
    assert policies["workspace-public-network-access"].framework_reference.endswith(
        "6c53d030-cc64-46f0-906d-2bc061cd1334"
    )
    for name in {p for p, _, _ in FAILS}:
        assert policies[name].url.startswith("https://learn.microsoft.com/")
        assert policies[name].remediation and policies[name].severity != "unspecified"


# The diagnostic-settings built-ins acbb9698 (ACS) and 0fff3e39 (Event Grid system topics) deploy a
# setting of one category group, audit by default or allLogs, to the assigned workspace; a setting
# of either group to a workspace satisfies the pack.


def setting(name: str, type_token: str, target: str, group: str, enabled: bool = True, workspace=UNKNOWN) -> object:
    inputs = {"name": name, "resourceUri": UNKNOWN, "logs": [{"categoryGroup": group, "enabled": enabled}]}
    if workspace is not None:
        inputs["workspaceId"] = workspace
    deps = {"resourceUri": [urn(type_token, target)]}
    return fixture(DIAGNOSTIC_SETTING, name, inputs, property_dependencies=deps)


DIAGNOSTIC_RULES = [("acs-diagnostic-logs", ACS), ("eventgrid-system-topic-diagnostic-logs", SYSTEM_TOPIC)]


@pytest.fixture(scope="module")
def diagnosed():
    resources = []
    for _, type_token in DIAGNOSTIC_RULES:
        kind = type_token.rsplit(":", 1)[1].lower()
        resources += [
            fixture(type_token, f"{kind}-all", {}),
            setting(f"{kind}-all-diag", type_token, f"{kind}-all", "allLogs"),
            fixture(type_token, f"{kind}-audit", {}),
            setting(f"{kind}-audit-diag", type_token, f"{kind}-audit", "audit"),
            fixture(type_token, f"{kind}-off", {}),
            setting(f"{kind}-off-diag", type_token, f"{kind}-off", "audit", enabled=False),
            fixture(type_token, f"{kind}-nowhere", {}),
            setting(f"{kind}-nowhere-diag", type_token, f"{kind}-nowhere", "allLogs", workspace=None),
        ]
    return judge(resources)


@pytest.mark.parametrize(("policy", "type_token"), DIAGNOSTIC_RULES)
def test_diagnostic_rules_accept_all_logs_or_audit_to_a_workspace(diagnosed, policy, type_token):
    kind = type_token.rsplit(":", 1)[1].lower()
    assert violations_of(diagnosed, policy, f"{kind}-all") == []
    assert violations_of(diagnosed, policy, f"{kind}-audit") == []


@pytest.mark.parametrize(("policy", "type_token"), DIAGNOSTIC_RULES)
def test_diagnostic_rules_refuse_disabled_logs_or_no_workspace(diagnosed, policy, type_token):
    kind = type_token.rsplit(":", 1)[1].lower()
    assert len(violations_of(diagnosed, policy, f"{kind}-off")) == 1
    assert len(violations_of(diagnosed, policy, f"{kind}-nowhere")) == 1
