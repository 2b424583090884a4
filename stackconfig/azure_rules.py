"""Azure naming and value rules the stack configuration is checked against.

Each rule is a fact about Azure that a deployment would otherwise only discover when ARM rejects
it, or worse, accepts it: the Communication Services API takes any string as a data location.
Sources are in ../shared/FACTS.md and the Azure naming-rules documentation.
"""

import re

# Where an ACS resource keeps its data at rest. Fixed at creation: changing it means a new resource.
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

# ACS names are global (<name>.communication.azure.com): letters, digits, '-' and '_', 1 to 63.
ACS_NAME = re.compile(r"^[-\w]{1,63}$", re.ASCII)
ACS_NAME_RULE = "1 to 63 letters, digits, '-' or '_'"

# Resource group: 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'.
RESOURCE_GROUP_NAME = re.compile(r"^[-\w.()]{0,89}[-\w()]$", re.ASCII)
RESOURCE_GROUP_NAME_RULE = "1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending with '.'"

# Log Analytics workspace: 4 to 63 letters, digits or '-', starting and ending alphanumeric.
WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$")
WORKSPACE_NAME_RULE = "4 to 63 letters, digits or '-', starting and ending with a letter or digit"

# Log Analytics retention on the PerGB2018 SKU.
LOG_RETENTION_DAYS = (30, 730)

# An Azure region as ARM spells it: 'westeurope', 'eastus2'. 'global' is not a region.
REGION_NAME = re.compile(r"^[a-z][a-z0-9]+$")
REGION_NAME_RULE = "an Azure region name in lower case without spaces, such as 'westeurope'"

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

USER_ASSIGNED_IDENTITY_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+"
    r"/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[-\w]+$",
    re.IGNORECASE | re.ASCII,
)
USER_ASSIGNED_IDENTITY_ID_RULE = (
    "/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"
)

PUBLIC_NETWORK_ACCESS: tuple[str, ...] = ("Enabled", "Disabled", "SecuredByPerimeter")
PRINCIPAL_TYPES: tuple[str, ...] = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
LOCK_LEVELS: tuple[str, ...] = ("CanNotDelete", "None")

# Tags: names up to 512 characters without < > % & \ ? /, values up to 256 characters.
TAG_NAME_FORBIDDEN = re.compile(r"[<>%&\\?/]")
TAG_NAME_MAX = 512
TAG_VALUE_MAX = 256
