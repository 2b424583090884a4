"""One Key Vault per stack, for the ACS credentials: RBAC only, soft delete, purge protection,
closed to the internet unless the stack names who may reach it, and optionally a private endpoint
in a virtual network, its name in the stack's `privatelink.vaultcore.azure.net` zone."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.keyvault as keyvault

from . import name_after


@dataclass(frozen=True)
class PrivateEndpointArgs:
    subnet_id: str  # an existing subnet, in a virtual network in the vault's region
    private_dns_zone_id: str  # an existing privatelink.vaultcore.azure.net zone, linked to the network


@dataclass(frozen=True)
class KeyVaultArgs:
    name: str  # global: <name>.vault.azure.net
    resource_group_name: pulumi.Input[str]
    location: str
    tenant_id: str
    soft_delete_retention_days: int
    purge_protection: bool
    allowed_ip_ranges: Sequence[str]  # empty, with no subnets either: public network access off
    allowed_subnet_ids: Sequence[str]
    tags: Mapping[str, str]
    protect: bool  # Pulumi `protect`: deleting the vault loses every secret in it
    private_endpoint: PrivateEndpointArgs | None = None


class KeyVault(pulumi.ComponentResource):
    vault: keyvault.Vault
    vault_name: pulumi.Output[str]  # known at preview, and waits for the vault
    private_endpoint: pulumi.CustomResource | None  # a network.PrivateEndpoint

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:KeyVault", name, None, opts)

        firewall = bool(args.allowed_ip_ranges or args.allowed_subnet_ids)
        self.vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family="A", name="standard"),
                # RBAC, not access policies: who reads a secret is a role assignment, audited like any other.
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.soft_delete_retention_days,
                # ARM refuses `false` here: purge protection can only be left unset or turned on.
                enable_purge_protection=True if args.purge_protection else None,
                # Disabled closes every public network, trusted services' bypass included; a private
                # endpoint is not a public network and still connects.
                public_network_access="Enabled" if firewall else "Disabled",
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action="Deny",
                    bypass="AzureServices",
                    ip_rules=[keyvault.IPRuleArgs(value=ip) for ip in args.allowed_ip_ranges],
                    virtual_network_rules=[
                        keyvault.VirtualNetworkRuleArgs(id=subnet) for subnet in args.allowed_subnet_ids
                    ],
                ),
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.vault_name = name_after(self.vault, args.name)
        self.private_endpoint = self._private_endpoint(name, args) if args.private_endpoint else None

        self.register_outputs({"vaultId": self.vault.id, "vaultName": self.vault_name})

    def _private_endpoint(self, name: str, args: KeyVaultArgs) -> pulumi.CustomResource:
        # Imported here: the network module is the SDK's largest, and most stacks use no endpoint.
        import pulumi_azure_native.network as network

        settings = args.private_endpoint
        assert settings is not None
        endpoint_name = f"pe-{args.name}"
        endpoint = network.PrivateEndpoint(
            f"{name}-private-endpoint",
            private_endpoint_name=endpoint_name,
            resource_group_name=args.resource_group_name,
            location=args.location,  # a private endpoint is in its virtual network's region
            subnet=network.SubnetArgs(id=settings.subnet_id),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=endpoint_name, private_link_service_id=self.vault.id, group_ids=["vault"]
                )
            ],
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The zone group keeps the vault's A record in the private zone for as long as the endpoint
        # lives: <vault>.vault.azure.net resolves to the endpoint's address inside linked networks.
        network.PrivateDnsZoneGroup(
            f"{name}-private-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=name_after(endpoint, endpoint_name),
            resource_group_name=args.resource_group_name,
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name="vaultcore", private_dns_zone_id=settings.private_dns_zone_id)
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return endpoint
