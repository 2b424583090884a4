"""One Key Vault per stack; connection strings only where local auth is on, secret, and rotated
by the schedule."""

from datetime import UTC, datetime

import pytest

from components.access import RoleAssignmentArgs, assignment_name
from preflight.render import render_json, render_tree
from stackconfig.roles import KEY_VAULT_SECRETS_USER
from stackconfig.rotation import RotationSchedule
from tests.stacks import (
    ACS,
    DIAGNOSTIC_SETTING,
    KEY_ROTATION,
    PRINCIPAL,
    ROLE_ASSIGNMENT,
    SECRET,
    VAULT,
    minimal_config,
    one,
    plan_config,
    sources,
    with_changes,
)

PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
PRIVATE_DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
NETWORK = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network"
SUBNET = f"{NETWORK}/virtualNetworks/vnet-hub/subnets/private-endpoints"
VAULT_ZONE = f"{NETWORK}/privateDnsZones/privatelink.vaultcore.azure.net"


def vault_properties(plan) -> dict:
    return one(plan, VAULT).inputs["properties"]


@pytest.mark.parametrize(("tier", "purge_protection"), [("dev", None), ("prod", True)])
def test_the_vault_uses_rbac_soft_delete_and_purge_protection_by_tier(tmp_path, tier, purge_protection):
    plan = plan_config(tmp_path, minimal_config(tier))
    properties = vault_properties(plan)
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["softDeleteRetentionInDays"] == 90
    assert properties.get("enablePurgeProtection") == purge_protection
    assert properties["publicNetworkAccess"] == "Disabled"
    assert properties["networkAcls"]["defaultAction"] == "Deny"
    assert one(plan, VAULT).protect


def test_a_firewall_opens_the_vault_to_the_listed_ranges_and_subnets_only(tmp_path):
    subnet = (
        "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers"
        "/Microsoft.Network/virtualNetworks/vnet-ops/subnets/build-agents"
    )
    config = with_changes(
        minimal_config(),
        keyVault={"allowedIpRanges": ["203.0.113.0/24"], "allowedSubnetIds": [subnet], "softDeleteRetentionDays": 30},
    )
    properties = vault_properties(plan_config(tmp_path, config))
    assert properties["publicNetworkAccess"] == "Enabled"
    assert properties["networkAcls"] == {
        "bypass": "AzureServices",
        "defaultAction": "Deny",
        "ipRules": [{"value": "203.0.113.0/24"}],
        "virtualNetworkRules": [{"id": subnet}],
    }
    assert properties["softDeleteRetentionInDays"] == 30


def test_a_private_endpoint_connects_the_vault_and_registers_it_in_the_zone(tmp_path):
    config = with_changes(
        minimal_config("prod"), keyVault={"privateEndpoint": {"subnetId": SUBNET, "privateDnsZoneId": VAULT_ZONE}}
    )
    plan = plan_config(tmp_path, config)
    vault, endpoint, group = one(plan, VAULT), one(plan, PRIVATE_ENDPOINT), one(plan, PRIVATE_DNS_ZONE_GROUP)
    vault_name = vault.inputs["vaultName"]
    assert endpoint.inputs["privateEndpointName"] == f"pe-{vault_name}"
    assert endpoint.inputs["location"] == "westeurope"
    assert endpoint.inputs["subnet"]["id"] == SUBNET  # the SDK adds its defaults beside the id
    [connection] = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["vault"]
    assert sources(endpoint, "privateLinkServiceConnections") == [vault.urn]
    assert group.inputs["privateDnsZoneConfigs"] == [{"name": "vaultcore", "privateDnsZoneId": VAULT_ZONE}]
    assert sources(group, "privateEndpointName") == [endpoint.urn]
    assert endpoint.parent == group.parent == vault.parent
    # Reached privately, closed publicly: the private endpoint is not a public network.
    assert vault_properties(plan)["publicNetworkAccess"] == "Disabled"


def test_no_private_endpoint_unless_configured(prod_plan, dev_plan):
    for plan in (prod_plan, dev_plan):
        assert plan.of_type(PRIVATE_ENDPOINT) == [] and plan.of_type(PRIVATE_DNS_ZONE_GROUP) == []


def test_the_vault_name_is_unique_per_stack_and_tenant_and_within_the_rules(tmp_path):
    names = {
        one(plan_config(tmp_path, with_changes(minimal_config(), **{}), stack=stack), VAULT).inputs["vaultName"]
        for stack in ("dev", "prod", "a-rather-long-environment-name")
    }
    assert len(names) == 3
    assert all(3 <= len(n) <= 24 and n.startswith("kv-acs-") and "--" not in n for n in names)


def test_the_vault_sends_its_logs_to_the_workspace(prod_plan):
    vault = one(prod_plan, VAULT)
    [setting] = [s for s in prod_plan.of_type(DIAGNOSTIC_SETTING) if sources(s, "resourceUri") == [vault.urn]]
    assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_secrets_users_read_secrets_on_the_vault_only(prod_plan):
    vault = one(prod_plan, VAULT)
    readers = [a for a in prod_plan.of_type(ROLE_ASSIGNMENT) if sources(a, "scope") == [vault.urn]]
    assert [(a.inputs["principalId"], a.inputs["principalType"]) for a in readers] == [(PRINCIPAL, "Group")]
    vault_name = vault.inputs["vaultName"]
    assert readers[0].inputs["description"] == f"Key Vault Secrets User on {vault_name}, granted by acs-platform"
    # The assignment's name is derived from scope, principal and role: it proves the role granted.
    expected = RoleAssignmentArgs(vault_name, "", PRINCIPAL, PRINCIPAL, "Group", KEY_VAULT_SECRETS_USER, "")
    assert readers[0].inputs["roleAssignmentName"] == assignment_name(expected)


def test_a_secret_exists_only_where_local_auth_is_on(tmp_path):
    config = minimal_config(disableLocalAuth=False)
    config["acs-platform:instances"].append({"name": "acs-entra-only", "dataLocation": "Europe"})
    plan = plan_config(tmp_path, config)
    [secret] = plan.of_type(SECRET)
    assert secret.inputs["secretName"] == "acs-test-eu-connection-string"
    [rotation] = plan.of_type(KEY_ROTATION)
    service = next(s for s in plan.of_type(ACS) if s.inputs["communicationServiceName"] == "acs-test-eu")
    assert sources(rotation, "communicationServiceId") == [service.urn]
    assert sources(secret, "properties") == [rotation.urn]
    assert plan.outputs["instances"]["acs-test-eu"]["connectionStringSecret"] == "acs-test-eu-connection-string"
    assert "connectionStringSecret" not in plan.outputs["instances"]["acs-entra-only"]


def test_no_local_auth_anywhere_means_no_secret_and_no_rotation(prod_plan):
    assert prod_plan.of_type(SECRET) == [] and prod_plan.of_type(KEY_ROTATION) == []


def test_the_connection_string_is_a_secret_in_every_output(tmp_path):
    plan = plan_config(tmp_path, minimal_config(disableLocalAuth=False))
    secret = one(plan, SECRET)
    assert secret.inputs["properties"]["value"] == "[secret]"
    assert secret.inputs["properties"]["contentType"] == "text/plain; acs-connection-string"
    for text in (render_json(plan), render_tree(plan)):
        assert "accesskey" not in text.lower() and 'connectionString": "' not in text


def test_expiry_follows_the_schedule_and_is_the_same_on_every_run(tmp_path):
    config = with_changes(
        minimal_config(disableLocalAuth=False), keyRotation={"startDate": "2026-01-01", "periodDays": 30}
    )
    schedule = RotationSchedule(datetime(2026, 1, 1).date(), 30)
    generation = schedule.generation(datetime.now(UTC).date())
    plans = [plan_config(tmp_path, config) for _ in range(2)]
    expiries = [one(p, SECRET).inputs["properties"]["attributes"]["expires"] for p in plans]
    assert expiries == [schedule.expires(generation)] * 2
    assert one(plans[0], KEY_ROTATION).inputs["generation"] == generation


def test_rotate_now_moves_one_instance_a_generation_ahead(tmp_path):
    base = minimal_config(disableLocalAuth=False)
    before = one(plan_config(tmp_path, base), KEY_ROTATION).inputs["generation"]
    bumped = with_changes(base, keyRotation={"extraRotations": {"acs-test-eu": 1}})
    after = plan_config(tmp_path, bumped)
    assert one(after, KEY_ROTATION).inputs["generation"] == before + 1
    # The key now in the secret is regenerated two due dates on, whatever "rotate now" did.
    expires = [
        one(p, SECRET).inputs["properties"]["attributes"]["expires"] for p in (plan_config(tmp_path, base), after)
    ]
    assert expires[0] == expires[1]
