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
