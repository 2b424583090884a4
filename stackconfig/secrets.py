"""Where ACS credentials are kept (one Key Vault per stack) and how often their keys rotate."""

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from stackconfig.rotation import RotationSchedule

from . import azure_rules as rules
from .fields import Bool, ConfigModel, Guid, between, from_go_time, matching, unique_by

IpRange = Annotated[str, matching(rules.IPV4_RANGE, rules.IPV4_RANGE_RULE)]
SubnetId = Annotated[
    str,
    matching(
        re.compile(
            r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+/subnets/[^/]+$",
            re.I,
        ),
        "a subnet id: /subscriptions/.../providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
    ),
]

# The Key Vault zone of Azure's public cloud, by id: Private Link names vaults in it.
KEY_VAULT_PRIVATE_DNS_ZONE = "privatelink.vaultcore.azure.net"
PrivateDnsZoneId = Annotated[
    str,
    matching(
        re.compile(
            r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateDnsZones/"
            + re.escape(KEY_VAULT_PRIVATE_DNS_ZONE)
            + "$",
            re.I,
        ),
        f"the id of a private DNS zone named {KEY_VAULT_PRIVATE_DNS_ZONE}: "
        f"/subscriptions/.../providers/Microsoft.Network/privateDnsZones/{KEY_VAULT_PRIVATE_DNS_ZONE}",
    ),
]


class PrivateEndpointConfig(ConfigModel):
    """A private endpoint for the vault in an existing subnet, its name registered in an existing zone."""

    subnet_id: SubnetId  # in a virtual network in the stack's region (azure-native:location)
    private_dns_zone_id: PrivateDnsZoneId


class PrincipalConfig(ConfigModel):
    principal_id: Guid
    principal_type: Literal[rules.PRINCIPAL_TYPES]  # type: ignore[valid-type]


class KeyVaultConfig(ConfigModel):
    name: Annotated[str, matching(rules.KEY_VAULT_NAME, rules.KEY_VAULT_NAME_RULE)]
    soft_delete_retention_days: Annotated[int, between(*rules.SOFT_DELETE_RETENTION_DAYS, "days")] = 90
    # Irreversible once on: a purge-protected vault keeps its name for the retention days after deletion.
    purge_protection: Bool
    # Empty: public network access is disabled. Otherwise the firewall denies all but these.
    allowed_ip_ranges: Annotated[list[IpRange], unique_by("the range")] = []
    allowed_subnet_ids: Annotated[list[SubnetId], unique_by("the subnet")] = []
    # Reached privately from a virtual network; public network access stays as the lists above say.
    private_endpoint: PrivateEndpointConfig | None = None
    # Applications that read the ACS connection strings: "Key Vault Secrets User" on this vault only.
    secrets_users: Annotated[list[PrincipalConfig], unique_by("the principal", lambda p: p.principal_id)] = []


class KeyRotationConfig(ConfigModel):
    start_date: Annotated[date, Field(strict=False), BeforeValidator(from_go_time)] = date(2026, 1, 1)
    period_days: Annotated[int, between(1, 365, "days")] = 90
    # "Rotate now": each increment for an instance moves its keys one rotation ahead of the schedule.
    extra_rotations: dict[str, Annotated[int, between(0, 1000, "rotations")]] = {}

    @property
    def schedule(self) -> RotationSchedule:
        return RotationSchedule(self.start_date, self.period_days)
