"""Key Vault private link and private endpoint policies, judged by the real pack over gRPC."""

import pytest

from policies.resource_types import KEY_VAULT, PRIVATE_DNS_ZONE_GROUP, PRIVATE_ENDPOINT
from tests.policy_harness import UNKNOWN, fixture, judge, urn, verdict_tests, violations_of

SUBNET = "/subscriptions/x/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe"
ZONE = (
    "/subscriptions/x/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
)
REQUIRED = {"all": "mandatory", "keyvault-private-link": {"requirePrivateEndpoint": True}}


def vault(name: str) -> object:
    return fixture(KEY_VAULT, name, {"vaultName": f"kv-{name}", "resourceGroupName": "rg-acs-test", "properties": {}})


def endpoint(name: str, target: str | None, groups=("vault",), key="privateLinkServiceConnections") -> object:
    connection = {
        "name": name,
        "privateLinkServiceId": UNKNOWN,
        "groupIds": list(groups) if groups is not UNKNOWN else UNKNOWN,
    }
    inputs = {
        "privateEndpointName": f"pe-{name}",
        "resourceGroupName": "rg-acs-test",
        "subnet": {"id": SUBNET},
        key: [connection],
    }
    deps = {key: [urn(KEY_VAULT, target)]} if target else {}
    return fixture(PRIVATE_ENDPOINT, name, inputs, property_dependencies=deps)


def zone_group(name: str, of: str, configs=None, by_name: bool = False) -> object:
    configs = [{"name": "vaultcore", "privateDnsZoneId": ZONE}] if configs is None else configs
    inputs = {
        "privateDnsZoneGroupName": "default",
        "privateEndpointName": f"pe-{of}",
        "resourceGroupName": "rg-acs-test",
        "privateDnsZoneConfigs": configs,
    }
    deps = {} if by_name else {"privateEndpointName": [urn(PRIVATE_ENDPOINT, of)]}
    return fixture(PRIVATE_DNS_ZONE_GROUP, name, inputs, property_dependencies=deps)


FIXTURES = [
    vault("linked"),
    endpoint("linked", "linked"),
    zone_group("linked-dns", "linked"),
    vault("manual"),  # approved by hand: still a private endpoint to the vault
    endpoint("manual", "manual", key="manualPrivateLinkServiceConnections"),
    zone_group("manual-dns", "manual", by_name=True),
    vault("public"),
    vault("wrong-group"),
    endpoint("wrong-group", "wrong-group", groups=("blob",)),
    zone_group("wrong-group-dns", "wrong-group", configs=[]),
    endpoint("no-dns", None, groups=("sqlServer",)),
    vault("later"),
    endpoint("later", "later", groups=UNKNOWN),
    zone_group("later-dns", "later", configs=UNKNOWN),
]


@pytest.fixture(scope="module")
def result():
    return judge(FIXTURES, REQUIRED)


FAILS = [
    ("keyvault-private-link", "public", "kv-public: no private endpoint connects to it"),
    ("private-endpoint-vault-group", "wrong-group", "pe-wrong-group: connects to a Key Vault with groupIds ['blob']"),
    ("private-endpoint-dns-zone-group", "wrong-group", "pe-wrong-group: its DNS zone group names no private DNS zone"),
    ("private-endpoint-dns-zone-group", "no-dns", "pe-no-dns: has no DNS zone group"),
]

PASSES = [
    ("keyvault-private-link", "linked"),
    ("keyvault-private-link", "manual"),
    ("keyvault-private-link", "wrong-group"),  # connected, if wrongly: the group rule says so
    ("keyvault-private-link", "later"),
    ("private-endpoint-vault-group", "linked"),
    ("private-endpoint-vault-group", "manual"),
    ("private-endpoint-vault-group", "no-dns"),  # not to a vault
    ("private-endpoint-vault-group", "later"),
    ("private-endpoint-dns-zone-group", "linked"),
    ("private-endpoint-dns-zone-group", "manual"),
    ("private-endpoint-dns-zone-group", "later"),
]


test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values = verdict_tests(FAILS, PASSES)


def test_a_private_endpoint_is_required_only_where_the_stack_says_so():
    # The committed stacks' default (prod.json too): the vault is closed or firewalled instead.
    assert violations_of(judge([vault("public")]), "keyvault-private-link") == []


def test_metadata_names_the_azure_policy_built_ins(result):
    policies = {p.name: p for p in result.policies}
    assert policies["keyvault-private-link"].framework_reference.endswith("a6abeaec-4d90-4a02-805f-6b26c4d3fbe9")
    assert policies["private-endpoint-dns-zone-group"].framework_reference.endswith(
        "ac673a9a-f77d-4846-b2d8-a57f8e1c01d4"
    )
    for name in {p for p, _, _ in FAILS}:
        assert policies[name].url.startswith("https://learn.microsoft.com/")
        assert policies[name].remediation and policies[name].severity != "unspecified"
