"""Azure facts the policy pack judges by, which the stack configuration validates against too.

This module lives in the policy pack's folder, not in `stackconfig/`, because `pulumi policy publish`
uploads the pack's folder alone: everything a published pack imports must be inside it. The stack
configuration (`stackconfig/azure_rules.py`, `stackconfig/fields.py`) imports these facts from here,
so the pack and the configuration share one table each and cannot disagree. Keep it a leaf: the
standard library only, no import from the rest of the repository or from the pack's rules.
Sources are in ../shared/FACTS.md and the Azure documentation named below.
"""

import re

# Where an ACS resource keeps its data at rest (azurerm provider docs). Fixed at creation: changing
# it means a new resource. The API takes any string: a wrong value fails only at deploy.
DATA_LOCATIONS: tuple[str, ...] = (
    "Africa",
    "Asia Pacific",
    "Australia",
    "Brazil",
    "Canada",
    "Europe",
    "France",
    "Germany",
    "India",
    "Japan",
    "Korea",
    "Norway",
    "Switzerland",
    "UAE",
    "UK",
    "United States",
    "usgov",
)

# ACS `publicNetworkAccess` values.
PUBLIC_NETWORK_ACCESS: tuple[str, ...] = ("Enabled", "Disabled", "SecuredByPerimeter")

# Key Vault soft delete retention, in days (inclusive).
SOFT_DELETE_RETENTION_DAYS = (7, 90)

# Event Grid event subscription retry policy bounds (inclusive).
MAX_DELIVERY_ATTEMPTS = (1, 30)
EVENT_TIME_TO_LIVE_MINUTES = (1, 1440)

# Phone numbers: ISO 3166 alpha-2 countries and the capabilities ACS sells.
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
CAPABILITIES: tuple[str, ...] = ("none", "inbound", "outbound", "inbound+outbound")

# The tags acs-platform puts on every resource itself; `required-tags` asks for them by default.
STANDARD_TAGS = ("environment", "owner", "cost-center", "managed-by")

# Direct Routing: SIP trunks (session border controllers) and voice routes of an ACS resource, as the
# SIP routing API takes them (specification/communication/data-plane/SipRouting, stable/2023-03-01:
# SipConfiguration, Trunk, TrunkRoute). The port where SIP runs over TLS (RFC 3261, section 26.2.1):
# Microsoft's examples give SBCs 5061.
SIP_TLS_PORT = 5061
SIP_PORTS = (1, 65535)
SIP_TRUNKS_MAX = 250  # SipConfiguration.trunks: maxProperties
SIP_ROUTES_MAX = 250  # SipConfiguration.routes: maxItems
SIP_ROUTE_TRUNKS_MAX = 250  # TrunkRoute.trunks: maxItems
SIP_TRUNK_FQDN_MAX = 249  # "Map key is trunk's FQDN (1-249 characters)"
SIP_ROUTE_NAME_MAX = 256
SIP_ROUTE_DESCRIPTION_MAX = 1024
SIP_NUMBER_PATTERN_MAX = 1024
# Domains ACS does not take for an SBC's FQDN ("Validate a domain for direct routing", learn.microsoft.com).
SBC_UNSUPPORTED_DOMAINS = ("onmicrosoft.com", "azure.com")


def in_domain(fqdn: str, domain: str) -> bool:
    """Whether `fqdn` is `domain` or a name under it, ignoring case and a final dot."""
    name, parent = fqdn.lower().rstrip("."), domain.lower().rstrip(".")
    return name == parent or name.endswith("." + parent)
