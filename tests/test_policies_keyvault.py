"""Key Vault and Key Vault secret policies, judged by the real pack over gRPC."""

import pytest

from policies.resource_types import DIAGNOSTIC_SETTING, KEY_VAULT, KEY_VAULT_SECRET
from tests.policy_harness import UNKNOWN, fixture, judge, urn, verdict_tests

TENANT = "00000000-0000-0000-0000-000000000001"
EXPIRES = 1798761600  # 2027-01-01T00:00:00Z


def vault(name: str, **properties) -> object:
    return fixture(
        KEY_VAULT,
        name,
        {
            "vaultName": f"kv-{name}",
            "resourceGroupName": "rg-acs-test",
            "properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, **properties},
        },
    )


def diagnostics(name: str, target: str | None, logs) -> object:
    inputs = {"name": name, "resourceUri": "/subscriptions/x/vaults/literal", "workspaceId": "/workspaces/log"}
    if logs is not None:
        inputs["logs"] = logs
    deps = {"resourceUri": [urn(KEY_VAULT, target)]} if target else {}
    return fixture(DIAGNOSTIC_SETTING, name, inputs, property_dependencies=deps)


def secret(name: str, properties: dict) -> object:
    inputs = {"secretName": f"s-{name}", "vaultName": "kv-good", "resourceGroupName": "rg-acs-test"}
    return fixture(KEY_VAULT_SECRET, name, {**inputs, "properties": properties})


SECURE = {
    "enableRbacAuthorization": True,
    "enableSoftDelete": True,
    "softDeleteRetentionInDays": 90,
    "enablePurgeProtection": True,
    "publicNetworkAccess": "Disabled",
}


@pytest.fixture(scope="module")
def result():
    return judge(
        [
            vault("good", **SECURE),
            diagnostics("diag-good", "good", [{"categoryGroup": "audit", "enabled": True}]),
            # The SDK's defaults (publicNetworkAccess "enabled", soft delete on) with a firewall that denies.
            vault(
                "firewall",
                enableRbacAuthorization=True,
                enablePurgeProtection=True,
                publicNetworkAccess="enabled",
                networkAcls={"defaultAction": "Deny", "bypass": "AzureServices"},
            ),
            diagnostics("diag-firewall", "firewall", [{"categoryGroup": "allLogs", "enabled": True}]),
            vault(
                "bad",
                enableRbacAuthorization=False,
                enableSoftDelete=False,
                softDeleteRetentionInDays=3,
                publicNetworkAccess="Enabled",
                networkAcls={"defaultAction": "Allow"},
            ),
            vault("defaults"),  # only what the SDK requires: its defaults apply
            vault("long", **{**SECURE, "softDeleteRetentionInDays": 120, "enablePurgeProtection": False}),
            vault("open", **{**SECURE, "publicNetworkAccess": "Enabled"}),
            # Its setting disables the audit logs; another setting names the vault by a literal id only.
            diagnostics("diag-long", "long", [{"categoryGroup": "audit", "enabled": False}]),
            diagnostics("diag-literal", None, [{"categoryGroup": "allLogs", "enabled": True}]),
            diagnostics("diag-open", "open", [{"category": "AzurePolicyEvaluationDetails", "enabled": True}]),
            # Values only a deployment knows: no rule may fail or crash on them.
            vault(
                "unknown",
                enableRbacAuthorization=UNKNOWN,
                enableSoftDelete=UNKNOWN,
                softDeleteRetentionInDays=UNKNOWN,
                enablePurgeProtection=UNKNOWN,
                publicNetworkAccess=UNKNOWN,
            ),
            diagnostics("diag-unknown", "unknown", UNKNOWN),
            secret("good", {"value": "x", "contentType": "text/plain", "attributes": {"expires": EXPIRES}}),
            secret("bare", {"value": "x"}),
            secret("empty", {"value": "x", "contentType": "", "attributes": {"enabled": True}}),
            secret("unknown", {"value": UNKNOWN, "contentType": UNKNOWN, "attributes": {"expires": UNKNOWN}}),
        ]
    )


FAILS = [
    ("keyvault-rbac-authorization", "bad", "kv-bad: uses the access policy permission model"),
    ("keyvault-soft-delete", "bad", "kv-bad: soft delete is disabled"),
    ("keyvault-soft-delete", "bad", "kv-bad: softDeleteRetentionInDays is 3;"),
    ("keyvault-soft-delete", "long", "kv-long: softDeleteRetentionInDays is 120;"),
    ("keyvault-purge-protection", "bad", "kv-bad: purge protection is not enabled"),
    ("keyvault-purge-protection", "long", "kv-long: purge protection is not enabled"),
    ("keyvault-network-access", "bad", "kv-bad: reachable from any network"),
    ("keyvault-network-access", "open", "kv-open: reachable from any network"),
    (
        "keyvault-rbac-authorization",
        "defaults",
        "kv-defaults: uses the access policy permission model; enableRbacAuthorization is not set",
    ),
    ("keyvault-purge-protection", "defaults", "kv-defaults: purge protection is not enabled"),
    (
        "keyvault-network-access",
        "defaults",
        "kv-defaults: reachable from any network; publicNetworkAccess is 'enabled'",
    ),
    ("keyvault-diagnostic-logs", "bad", "kv-bad: no diagnostic setting enables its audit logs"),
    ("keyvault-diagnostic-logs", "long", "kv-long: no diagnostic setting"),
    ("keyvault-diagnostic-logs", "open", "kv-open: no diagnostic setting"),
    ("keyvault-secret-content-type", "bare", "s-bare: has no content type"),
    ("keyvault-secret-content-type", "empty", "s-empty: has no content type"),
    ("keyvault-secret-expiry", "bare", "s-bare: has no expiry date"),
    ("keyvault-secret-expiry", "empty", "s-empty: has no expiry date"),
]

PASSES = [
    *[(policy, name) for policy in {p for p, _, _ in FAILS if "secret" not in p} for name in ("good", "unknown")],
    ("keyvault-rbac-authorization", "firewall"),
    ("keyvault-soft-delete", "firewall"),
    ("keyvault-purge-protection", "firewall"),
    ("keyvault-network-access", "firewall"),
    ("keyvault-diagnostic-logs", "firewall"),
    ("keyvault-rbac-authorization", "long"),
    ("keyvault-soft-delete", "defaults"),
    ("keyvault-secret-content-type", "good"),
    ("keyvault-secret-content-type", "unknown"),
    ("keyvault-secret-expiry", "good"),
    ("keyvault-secret-expiry", "unknown"),
]


test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values = verdict_tests(FAILS, PASSES)


def test_metadata_names_the_azure_policy_built_in(result):
    policies = {p.name: p for p in result.policies}
    assert policies["keyvault-purge-protection"].framework_reference.endswith("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53")
    for name in {p for p, _, _ in FAILS}:
        assert policies[name].url.startswith("https://learn.microsoft.com/")
        assert policies[name].remediation and policies[name].severity != "unspecified"
