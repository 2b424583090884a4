"""The ACS security baseline and required tags, with passing and failing fixtures."""

import pytest

from policies.resource_types import ACS, DIAGNOSTIC_SETTING, LOCK, RESOURCE_GROUP
from tests.policy_harness import UNKNOWN, fixture, judge, urn, violations_of

TAGS = {"environment": "test", "owner": "o", "cost-center": "c", "managed-by": "acs-platform"}
CONFIG = {"all": "mandatory", "acs-public-network-access": {"allowed": ["Enabled", "SecuredByPerimeter"]}}


def acs(name: str, **inputs):
    base = {
        "communicationServiceName": name,
        "location": "global",
        "dataLocation": "Europe",
        "disableLocalAuth": True,
        "identity": {"type": "SystemAssigned"},
        "tags": TAGS,
    }
    return fixture(ACS, name, {**base, **inputs})


def targeting(type_token: str, name: str, key: str, target: str, **inputs):
    return fixture(type_token, name, {key: UNKNOWN, **inputs}, property_dependencies={key: [urn(ACS, target)]})


def all_logs(name: str, target: str, logs=None):
    logs = logs if logs is not None else [{"categoryGroup": "allLogs", "enabled": True}]
    return targeting(DIAGNOSTIC_SETTING, name, "resourceUri", target, workspaceId=UNKNOWN, logs=logs)


def lock(name: str, target: str, level: str = "CanNotDelete"):
    return targeting(LOCK, name, "scope", target, level=level)


FIXTURES = [
    acs("compliant"),
    all_logs("compliant-logs", "compliant"),
    lock("compliant-lock", "compliant"),
    acs("local-auth-on", disableLocalAuth=False),
    acs("local-auth-unset", disableLocalAuth=None),
    acs("no-identity", identity={"type": "None"}),
    acs("identity-absent", identity=None),
    acs("user-assigned", identity={"type": "UserAssigned", "userAssignedIdentities": ["/subscriptions/x/id"]}),
    acs("network-disabled", publicNetworkAccess="Disabled"),
    acs("network-perimeter", publicNetworkAccess="SecuredByPerimeter"),
    acs("some-logs-only"),
    all_logs("audit-only", "some-logs-only", logs=[{"categoryGroup": "audit", "enabled": True}]),
    acs("logs-disabled"),
    all_logs("all-logs-off", "logs-disabled", logs=[{"categoryGroup": "allLogs", "enabled": False}]),
    acs("read-only-locked"),
    lock("read-only", "read-only-locked", level="ReadOnly"),
    acs("untagged", tags=None),
    acs("half-tagged", tags={"environment": "test", "owner": ""}),
    fixture(RESOURCE_GROUP, "group-untagged", {"location": "westeurope"}),
    fixture(DIAGNOSTIC_SETTING, "not-taggable", {"name": "x"}),
]


@pytest.fixture(scope="module")
def verdicts():
    return judge(FIXTURES, CONFIG)


@pytest.mark.parametrize(
    ("policy", "resource", "expected"),
    [
        ("acs-local-auth-disabled", "compliant", []),
        ("acs-local-auth-disabled", "local-auth-on", ["local authentication is enabled"]),
        ("acs-local-auth-disabled", "local-auth-unset", ["local authentication is enabled"]),
        ("acs-managed-identity", "compliant", []),
        ("acs-managed-identity", "user-assigned", []),
        ("acs-managed-identity", "no-identity", ["has no managed identity"]),
        ("acs-managed-identity", "identity-absent", ["has no managed identity"]),
        ("acs-public-network-access", "compliant", []),
        ("acs-public-network-access", "network-perimeter", []),
        ("acs-public-network-access", "network-disabled", ["'Disabled'; allowed: Enabled, SecuredByPerimeter"]),
        ("acs-diagnostic-logs", "compliant", []),
        # The audit group satisfies the built-in assigned with its default categoryGroup: audit.
        ("acs-diagnostic-logs", "some-logs-only", []),
        ("acs-diagnostic-logs", "logs-disabled", ["no diagnostic setting sends allLogs"]),
        ("acs-diagnostic-logs", "untagged", ["no diagnostic setting sends allLogs"]),
        ("acs-delete-lock", "compliant", []),
        ("acs-delete-lock", "read-only-locked", ["no CanNotDelete lock"]),
        ("acs-delete-lock", "untagged", ["no CanNotDelete lock"]),
        ("required-tags", "compliant", []),
        ("required-tags", "untagged", ["missing tags environment, owner, cost-center, managed-by"]),
        ("required-tags", "half-tagged", ["missing tags owner, cost-center, managed-by"]),
        ("required-tags", "group-untagged", ["missing tags environment"]),
        ("required-tags", "not-taggable", []),
    ],
)
def test_rule_verdicts(verdicts, policy, resource, expected):
    found = violations_of(verdicts, policy, resource)
    assert len(found) == len(expected), [v.message for v in found]
    for violation, words in zip(found, expected, strict=True):
        assert words in violation.message


def test_every_rule_carries_its_metadata(verdicts):
    for policy in verdicts.policies:
        assert policy.description and policy.remediation
        assert policy.url.startswith("https://learn.microsoft.com/")
        assert policy.severity in ("low", "medium", "high", "critical")
    builtins = {p.name: p.framework_reference for p in verdicts.policies}
    assert builtins["acs-local-auth-disabled"].endswith("/fc264132-db9c-4302-bb7d-3994c36461fe")
    assert builtins["acs-managed-identity"].endswith("/bcff6755-335b-484d-b435-d1161db39cdc")
    assert builtins["acs-data-location-allowed"].endswith("/93c45b74-42a1-4967-b25d-82c4dc630921")
    assert builtins["acs-diagnostic-logs"].endswith("/acbb9698-46bd-4800-89da-e3473c4ab10d")


# --- acs-diagnostic-logs and the shapes of `diagnosticSettings` (AVM's keys) ---------------------------

PROVIDERS = "/subscriptions/6f1c2a52-4f0e-4b8e-9d0a-5d3f2c1b7a10/resourceGroups/rg-observability/providers"
OTHER_WORKSPACE = f"{PROVIDERS}/Microsoft.OperationalInsights/workspaces/log-central"
ARCHIVE = f"{PROVIDERS}/Microsoft.Storage/storageAccounts/starchive"
HUB_RULE = f"{PROVIDERS}/Microsoft.EventHub/namespaces/evhns-logs/authorizationRules/send"
PARTNER = f"{PROVIDERS}/Microsoft.Datadog/monitors/dd"
AUDIT = [{"categoryGroup": "audit", "enabled": True}]
ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]


def setting(name: str, target: str, logs=ALL_LOGS, **destinations):
    return targeting(DIAGNOSTIC_SETTING, name, "resourceUri", target, logs=logs, **destinations)


def every_category(but: str | None = None):
    from policies.acs_baseline import ACS_LOG_CATEGORIES

    return [{"category": c, "enabled": True} for c in ACS_LOG_CATEGORIES if c != but]


SHAPES = [
    # Passing: to another workspace, with storage, an event hub and a partner besides.
    acs("other-workspace"),
    setting(
        "everywhere",
        "other-workspace",
        workspaceId=OTHER_WORKSPACE,
        logAnalyticsDestinationType="Dedicated",
        storageAccountId=ARCHIVE,
        eventHubAuthorizationRuleId=HUB_RULE,
        eventHubName="acs-logs",
        marketplacePartnerId=PARTNER,
    ),
    # Passing: every ACS category by name, to a workspace.
    acs("by-category"),
    setting("categories", "by-category", logs=every_category(), workspaceId=OTHER_WORKSPACE),
    # Passing: one setting of two meets the baseline (storage alone beside it does not matter).
    acs("two-settings"),
    setting("archive-only", "two-settings", storageAccountId=ARCHIVE),
    setting("audit-to-workspace", "two-settings", logs=AUDIT, workspaceId=UNKNOWN),
    # Failing: storage only, an event hub only, a partner only: no workspace.
    acs("storage-only"),
    setting("to-storage", "storage-only", storageAccountId=ARCHIVE),
    acs("hub-only"),
    setting("to-hub", "hub-only", eventHubAuthorizationRuleId=HUB_RULE, eventHubName="acs-logs"),
    acs("partner-only"),
    setting("to-partner", "partner-only", marketplacePartnerId=PARTNER),
    # Failing: categories by name, one missing.
    acs("one-category-short"),
    setting("short", "one-category-short", logs=every_category(but="SMSOperational"), workspaceId=OTHER_WORKSPACE),
    # Failing: a workspace with no logs (logCategoriesAndGroups: []), all logs to storage only.
    acs("split"),
    setting("metrics-to-workspace", "split", logs=[], workspaceId=OTHER_WORKSPACE),
    setting("logs-to-storage", "split", storageAccountId=ARCHIVE),
]


@pytest.mark.parametrize(
    ("resource", "fails"),
    [
        ("other-workspace", False),
        ("by-category", False),
        ("two-settings", False),
        ("storage-only", True),
        ("hub-only", True),
        ("partner-only", True),
        ("one-category-short", True),
        ("split", True),
    ],
)
def test_diagnostic_logs_judge_each_shape_of_diagnostic_settings(resource, fails):
    found = violations_of(judge(SHAPES, CONFIG), "acs-diagnostic-logs", resource)
    assert len(found) == (1 if fails else 0), [v.message for v in found]
    if fails:
        assert "no diagnostic setting sends allLogs or audit logs (or every ACS log category)" in found[0].message
