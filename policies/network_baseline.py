"""Private endpoints: the Key Vault reached through private link, and the endpoints' names in DNS.

An endpoint connects to the resource its `privateLinkServiceConnections` come from (a property
dependency, known in every preview where the vault's id is not). Its DNS zone group is the
PrivateDnsZoneGroup whose `privateEndpointName` comes from it, or names it.
"""

from collections.abc import Mapping

from pulumi_policy import PolicyConfigSchema, PolicyResource, ReportViolation, Severity, StackValidationArgs

from .resource_types import KEY_VAULT, PRIVATE_DNS_ZONE_GROUP, PRIVATE_ENDPOINT
from .support import UNKNOWN, known, label, of_type, sourced_from, stack_rule

PRIVATE_LINK_DOC = "https://learn.microsoft.com/azure/key-vault/general/private-link-service"
DNS_DOC = "https://learn.microsoft.com/azure/private-link/private-endpoint-dns"

CONNECTIONS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
VAULT_GROUP = "vault"  # the private link sub-resource of a Key Vault


def _connected(endpoint: PolicyResource, type_token: str) -> list[PolicyResource]:
    """The resources of `type_token` the endpoint's connections are made to."""
    return [r for key in CONNECTIONS for r in of_type(sourced_from(endpoint, key), type_token)]


def _group_ids(endpoint: PolicyResource) -> list[object] | object:
    """Every groupId of the endpoint's connections, or UNKNOWN when a preview cannot list them."""
    found: list[object] = []
    for key in CONNECTIONS:
        connections = known(endpoint.props, key)
        if connections is UNKNOWN:
            return UNKNOWN
        for connection in connections or []:
            groups = known(connection, "groupIds") if isinstance(connection, Mapping) else UNKNOWN
            if groups is UNKNOWN:
                return UNKNOWN
            found.extend(groups or [])
    return found


@stack_rule(
    name="keyvault-private-link",
    description="Key Vaults are reached through a private endpoint where the stack requires it.",
    types=[KEY_VAULT, PRIVATE_ENDPOINT],
    severity=Severity.MEDIUM,
    remediation=(
        "Give the vault a private endpoint in the workloads' virtual network "
        "(acs-platform:keyVault.privateEndpoint: {subnetId, privateDnsZoneId}); its privateLinkServiceId is "
        "the vault's id and its groupIds ['vault']."
    ),
    url=PRIVATE_LINK_DOC,
    builtin="a6abeaec-4d90-4a02-805f-6b26c4d3fbe9",
    config_schema=PolicyConfigSchema(properties={"requirePrivateEndpoint": {"type": "boolean", "default": False}}),
)
def keyvault_private_link(args: StackValidationArgs, report: ReportViolation) -> None:
    if not args.get_config()["requirePrivateEndpoint"]:
        return
    resources = list(args.resources)
    linked = {
        vault.urn for endpoint in of_type(resources, PRIVATE_ENDPOINT) for vault in _connected(endpoint, KEY_VAULT)
    }
    for vault in of_type(resources, KEY_VAULT):
        if vault.urn not in linked:
            report(f"{label(vault)}: no private endpoint connects to it.", vault.urn)


@stack_rule(
    name="private-endpoint-vault-group",
    description="A private endpoint to a Key Vault connects to its 'vault' sub-resource.",
    types=[PRIVATE_ENDPOINT, KEY_VAULT],  # the vault: what the endpoint connects to
    severity=Severity.MEDIUM,
    remediation="Set the connection's groupIds to ['vault'], the only private link sub-resource of a Key Vault.",
    url=PRIVATE_LINK_DOC,
)
def vault_group(args: StackValidationArgs, report: ReportViolation) -> None:
    for endpoint in of_type(args.resources, PRIVATE_ENDPOINT):
        if not _connected(endpoint, KEY_VAULT):
            continue
        groups = _group_ids(endpoint)
        if groups is not UNKNOWN and groups != [VAULT_GROUP]:
            report(
                f"{label(endpoint)}: connects to a Key Vault with groupIds {groups!r}; expected ['vault'].",
                endpoint.urn,
            )


def _zone_groups(resources: list[PolicyResource], endpoint: PolicyResource) -> list[PolicyResource]:
    found = []
    for group in of_type(resources, PRIVATE_DNS_ZONE_GROUP):
        name = known(group.props, "privateEndpointName")
        if endpoint.urn in {r.urn for r in sourced_from(group, "privateEndpointName")} or (
            isinstance(name, str) and name == known(endpoint.props, "privateEndpointName")
        ):
            found.append(group)
    return found


@stack_rule(
    name="private-endpoint-dns-zone-group",
    description="Every private endpoint registers its address in a private DNS zone through a DNS zone group.",
    types=[PRIVATE_ENDPOINT, PRIVATE_DNS_ZONE_GROUP],
    severity=Severity.MEDIUM,
    remediation=(
        "Add a network PrivateDnsZoneGroup for the endpoint (privateEndpointName from it) with a "
        "privateDnsZoneConfigs entry naming the privatelink zone (for a vault, privatelink.vaultcore.azure.net) "
        "linked to the virtual network; without it, the vault's name still resolves to its public address."
    ),
    url=DNS_DOC,
    # For Key Vault endpoints (groupIds 'vault'), Azure Policy deploys the zone group itself.
    builtin="ac673a9a-f77d-4846-b2d8-a57f8e1c01d4",
)
def dns_zone_group(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for endpoint in of_type(resources, PRIVATE_ENDPOINT):
        groups = _zone_groups(resources, endpoint)
        configs = [known(g.props, "privateDnsZoneConfigs") for g in groups]
        if UNKNOWN in configs or any(configs):
            continue
        if groups:
            report(f"{label(endpoint)}: its DNS zone group names no private DNS zone.", endpoint.urn)
        else:
            report(f"{label(endpoint)}: has no DNS zone group; its name does not resolve privately.", endpoint.urn)


POLICIES = [keyvault_private_link, vault_group, dns_zone_group]
