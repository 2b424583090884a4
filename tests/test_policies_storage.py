"""Storage account, blob service, blob container and blob log policies, judged by the real pack over gRPC."""

import pytest

from policies.resource_types import BLOB_CONTAINER, BLOB_SERVICE, DIAGNOSTIC_SETTING, STORAGE_ACCOUNT
from tests.policy_harness import UNKNOWN, fixture, judge, urn, verdict_tests, violations_of

SECURE = {
    "kind": "StorageV2",
    "sku": {"name": "Standard_ZRS"},
    "enableHttpsTrafficOnly": True,
    "minimumTlsVersion": "TLS1_2",
    "allowBlobPublicAccess": False,
    "allowSharedKeyAccess": False,
    "networkRuleSet": {"defaultAction": "Deny", "bypass": "AzureServices"},
}
SOFT_DELETE = {"enabled": True, "days": 30}


def account(name: str, **inputs) -> object:
    return fixture(
        STORAGE_ACCOUNT,
        name,
        {"accountName": f"st{name}", "resourceGroupName": "rg-acs-test", "location": "westeurope", **inputs},
    )


def blob_service(name: str, of: str, by_name: bool = False, **inputs) -> object:
    """The account's blob service properties: its accountName from the account (as name_after gives
    it), or, with `by_name`, only naming it."""
    deps = {} if by_name else {"accountName": [urn(STORAGE_ACCOUNT, of)]}
    props = {"accountName": f"st{of}", "resourceGroupName": "rg-acs-test", "blobServicesName": "default", **inputs}
    return fixture(BLOB_SERVICE, name, props, property_dependencies=deps)


def container(name: str, **inputs) -> object:
    props = {"containerName": name, "accountName": "stgood", "resourceGroupName": "rg-acs-test", **inputs}
    return fixture(BLOB_CONTAINER, name, props)


def diagnostics(name: str, source: str, source_type: str, logs, uri=UNKNOWN, workspace="/workspaces/log") -> object:
    inputs = {"name": name, "resourceUri": uri, "logs": logs}
    if workspace:
        inputs["workspaceId"] = workspace
    return fixture(DIAGNOSTIC_SETTING, name, inputs, property_dependencies={"resourceUri": [urn(source_type, source)]})


ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]


def logged(name: str, **soft_delete) -> list[object]:
    """A blob service with soft delete, and a setting sending its logs, for the account `name`."""
    policies = {"deleteRetentionPolicy": SOFT_DELETE, "containerDeleteRetentionPolicy": SOFT_DELETE, **soft_delete}
    return [
        blob_service(f"{name}-blobs", name, **policies),
        diagnostics(f"{name}-diag", name, STORAGE_ACCOUNT, ALL_LOGS),
    ]


@pytest.fixture(scope="module")
def result():
    return judge(
        [
            account("good", **SECURE),
            *logged("good"),
            # Geo-zone redundant; its blob service named, not depended on; a setting on the blob
            # service resource with the audit group, and one on the account itself with metrics only.
            account(
                "gzrs",
                **{
                    **SECURE,
                    "sku": {"name": "Standard_RAGZRS"},
                    "networkRuleSet": {"defaultAction": "Deny", "bypass": "Logging, AzureServices"},
                },
            ),
            blob_service(
                "gzrs-blobs",
                "gzrs",
                by_name=True,
                deleteRetentionPolicy=SOFT_DELETE,
                containerDeleteRetentionPolicy={"enabled": True, "days": 365},
            ),
            diagnostics("gzrs-diag", "gzrs-blobs", BLOB_SERVICE, [{"categoryGroup": "audit", "enabled": True}]),
            diagnostics("gzrs-metrics", "gzrs", STORAGE_ACCOUNT, [], uri="/subscriptions/x/storageAccounts/stgzrs"),
            # Every fault an account can have, and no blob service or blob logs.
            account(
                "bad",
                sku={"name": "Standard_LRS"},
                enableHttpsTrafficOnly=False,
                minimumTlsVersion="TLS1_0",
                allowBlobPublicAccess=True,
                allowSharedKeyAccess=True,
                networkRuleSet={"defaultAction": "Allow"},
            ),
            # Only what the SDK requires: the properties the built-ins flag when absent.
            account("defaults"),
            # A firewall that keeps trusted services out; soft delete off or too long; logs disabled,
            # or sent nowhere Log Analytics can read them.
            account("nobypass", **{**SECURE, "networkRuleSet": {"defaultAction": "Deny", "bypass": "None"}}),
            blob_service(
                "nobypass-blobs",
                "nobypass",
                deleteRetentionPolicy={"enabled": False},
                containerDeleteRetentionPolicy={"enabled": True, "days": 400},
            ),
            diagnostics("nobypass-diag", "nobypass", STORAGE_ACCOUNT, [{"categoryGroup": "allLogs", "enabled": False}]),
            diagnostics("nobypass-storage", "nobypass-blobs", BLOB_SERVICE, ALL_LOGS, workspace=None),
            account("short", **SECURE),
            *logged("short", deleteRetentionPolicy={"enabled": True, "days": 3}),
            # Values only a deployment knows: no rule may fail or crash on them.
            account(
                "unknown",
                sku={"name": UNKNOWN},
                enableHttpsTrafficOnly=UNKNOWN,
                minimumTlsVersion=UNKNOWN,
                allowBlobPublicAccess=UNKNOWN,
                allowSharedKeyAccess=UNKNOWN,
                networkRuleSet=UNKNOWN,
            ),
            blob_service(
                "unknown-blobs", "unknown", deleteRetentionPolicy=UNKNOWN, containerDeleteRetentionPolicy=UNKNOWN
            ),
            diagnostics("unknown-diag", "unknown", STORAGE_ACCOUNT, UNKNOWN),
            container("private", publicAccess="None"),
            container("unset"),
            container("public", publicAccess="Blob"),
            container("whole", publicAccess="Container"),
            container("later", publicAccess=UNKNOWN),
        ],
        {"all": "mandatory", "storage-blob-soft-delete": {"minimumDays": 7, "maximumDays": 365}},
    )


FAILS = [
    ("storage-network-access", "bad", "stbad: reachable from any network; networkRuleSet.defaultAction is 'Allow'"),
    ("storage-network-access", "defaults", "stdefaults: reachable from any network"),
    ("storage-network-access", "nobypass", "stnobypass: networkRuleSet.bypass is 'None'"),
    ("storage-secure-transfer", "bad", "stbad: accepts plain http"),
    ("storage-shared-key-access", "bad", "stbad: account keys authorize requests; allowSharedKeyAccess is True"),
    (
        "storage-shared-key-access",
        "defaults",
        "stdefaults: account keys authorize requests; allowSharedKeyAccess is not",
    ),
    ("storage-public-blob-access", "bad", "stbad: containers may be made public"),
    (
        "storage-public-blob-access",
        "defaults",
        "stdefaults: containers may be made public; allowBlobPublicAccess is not",
    ),
    ("storage-minimum-tls", "bad", "stbad: minimumTlsVersion is 'TLS1_0'"),
    ("storage-minimum-tls", "defaults", "stdefaults: minimumTlsVersion is not set"),
    ("storage-redundancy", "bad", "stbad: sku 'Standard_LRS' is not zone- or geo-redundant"),
    ("storage-redundancy", "defaults", "stdefaults: sku None is not zone- or geo-redundant"),
    ("storage-container-public-access", "public", "public: publicAccess is 'Blob'"),
    ("storage-container-public-access", "whole", "whole: publicAccess is 'Container'"),
    ("storage-blob-soft-delete", "bad", "stbad: no blob service properties"),
    ("storage-blob-soft-delete", "nobypass-blobs", "stnobypass: blob soft delete is not enabled"),
    ("storage-blob-soft-delete", "nobypass-blobs", "stnobypass: containerDeleteRetentionPolicy.days is 400;"),
    (
        "storage-blob-soft-delete",
        "short-blobs",
        "stshort: deleteRetentionPolicy.days is 3; it must be between 7 and 365",
    ),
    ("storage-diagnostic-logs", "bad", "stbad: no diagnostic setting sends its blob service's logs"),
    ("storage-diagnostic-logs", "defaults", "stdefaults: no diagnostic setting"),
    ("storage-diagnostic-logs", "nobypass", "stnobypass: no diagnostic setting"),
]

PASSES = [
    *[(policy, name) for policy in {p for p, _, _ in FAILS if "container" not in p} for name in ("good", "unknown")],
    *[(policy, "gzrs") for policy in {p for p, _, _ in FAILS if "container" not in p}],
    ("storage-blob-soft-delete", "good-blobs"),
    ("storage-blob-soft-delete", "gzrs-blobs"),
    ("storage-blob-soft-delete", "unknown-blobs"),
    ("storage-network-access", "short"),
    ("storage-diagnostic-logs", "short"),
    ("storage-container-public-access", "private"),
    ("storage-container-public-access", "unset"),
    ("storage-container-public-access", "later"),
]


test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values = verdict_tests(FAILS, PASSES)


def test_redundancy_is_not_judged_where_the_stack_does_not_require_it():
    lrs = account("lrs", **{**SECURE, "sku": {"name": "Standard_LRS"}})
    assert (
        violations_of(
            judge([lrs], {"all": "mandatory", "storage-redundancy": {"required": False}}), "storage-redundancy"
        )
        == []
    )
    geo_only = {"all": "mandatory", "storage-redundancy": {"allowedSkus": ["Standard_GZRS"]}}
    [violation] = violations_of(judge([account("zrs", **SECURE)], geo_only), "storage-redundancy")
    assert violation.message.endswith("allowed: Standard_GZRS.")


def test_soft_delete_days_come_from_the_stacks_policy_config():
    resources = [account("good", **SECURE), *logged("good")]  # 30 days
    prod_like = {"all": "mandatory", "storage-blob-soft-delete": {"minimumDays": 31, "maximumDays": 365}}
    messages = sorted(v.message for v in violations_of(judge(resources, prod_like), "storage-blob-soft-delete"))
    assert messages == [
        f"stgood: {key}.days is 30; it must be between 31 and 365."
        for key in ("containerDeleteRetentionPolicy", "deleteRetentionPolicy")
    ]


def test_metadata_names_the_azure_policy_built_ins(result):
    policies = {p.name: p for p in result.policies}
    builtins = {
        "storage-network-access": "34c877ad-507e-4c82-993e-3452a6e0ad3c",
        "storage-secure-transfer": "404c3081-a854-4457-ae30-26a93ef643f9",
        "storage-shared-key-access": "8c6a50c6-9ffd-4ae7-986f-5fa6111f9a54",
        "storage-public-blob-access": "4fa4b6c0-31ca-4c0d-b10d-24b96f62a751",
        "storage-minimum-tls": "fe83a0eb-a853-422d-aac2-1bffd182c5d0",
        "storage-redundancy": "bf045164-79ba-4215-8f95-f8048dc1780b",
        "storage-blob-soft-delete": "9fbd64e3-67b8-489b-98e5-fa0007d17e76",
        "storage-diagnostic-logs": "b4fe1a3b-0715-4c6c-a5ea-ffc33cf823cb",
    }
    for name, guid in builtins.items():
        assert policies[name].framework_reference.endswith(guid)
    for name in {p for p, _, _ in FAILS}:
        assert policies[name].url.startswith("https://learn.microsoft.com/")
        assert policies[name].remediation and policies[name].severity != "unspecified"
