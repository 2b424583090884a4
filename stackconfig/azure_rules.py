"""Azure naming and value rules the stack configuration is checked against.

Each rule is a fact about Azure that a deployment would otherwise only discover when ARM rejects
it, or worse, accepts it: the Communication Services API takes any string as a data location.
Sources are in ../shared/FACTS.md and the Azure naming-rules documentation.
"""

import functools
import re
from pathlib import Path

import yaml

# The facts the policy pack judges by as well live in the pack's folder, which is published alone
# (policies/shared_facts.py says why); re-exported here, so `rules.DATA_LOCATIONS` and the like stay
# where the configuration and the providers look for them.
from policies.shared_facts import (  # noqa: F401
    CAPABILITIES,
    COUNTRY_CODE,
    DATA_LOCATIONS,
    EVENT_TIME_TO_LIVE_MINUTES,
    MAX_DELIVERY_ATTEMPTS,
    PUBLIC_NETWORK_ACCESS,
    SOFT_DELETE_RETENTION_DAYS,
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

# Azure regions as ARM spells them ('westeurope', 'eastus2'), from a dated list with its source.
# 'global' is not a region: the program itself puts the global resources there.
REGIONS_FILE = "stackconfig/data/azure-regions.yaml"
_REGIONS_PATH = Path(__file__).parent / "data" / "azure-regions.yaml"


@functools.cache
def _regions_document() -> dict:
    return yaml.safe_load(_REGIONS_PATH.read_text(encoding="utf-8"))


def azure_regions() -> tuple[frozenset[str], frozenset[str]]:
    """(physical regions, logical locations such as geographies and 'global')."""
    document = _regions_document()
    return frozenset(document["regions"]), frozenset(document["logical"])


def regions_as_of() -> str:
    return str(_regions_document()["data_as_of"])


GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

USER_ASSIGNED_IDENTITY_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+"
    r"/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/[-\w]+$",
    re.IGNORECASE | re.ASCII,
)
USER_ASSIGNED_IDENTITY_ID_RULE = (
    "/subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>"
)

PRINCIPAL_TYPES: tuple[str, ...] = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
LOCK_LEVELS: tuple[str, ...] = ("CanNotDelete", "None")

# Tags: at most 50 per resource; names up to 512 characters (128 on a storage account) without
# < > % & \ ? /, values up to 256 characters.
TAGS_MAX = 50
STORAGE_TAG_NAME_MAX = 128
TAG_NAME_FORBIDDEN = re.compile(r"[<>%&\\?/]")
TAG_NAME_MAX = 512
TAG_VALUE_MAX = 256

# Key Vault: 3 to 24 letters, digits and single hyphens, starting with a letter, not ending with '-'.
KEY_VAULT_NAME = re.compile(r"^(?!.*--)[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
KEY_VAULT_NAME_RULE = "3 to 24 letters, digits and single hyphens, starting with a letter and not ending with '-'"

# Storage account: 3 to 24 lower-case letters and digits, globally unique.
STORAGE_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
STORAGE_ACCOUNT_NAME_RULE = "3 to 24 lower-case letters and digits"

# An IPv4 address or CIDR range, as Key Vault firewall rules take them.
IPV4_RANGE = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:/(?:3[0-2]|[12]?\d))?$")
IPV4_RANGE_RULE = "an IPv4 address or CIDR range such as 203.0.113.0/24"

ARM_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+/providers/[\w.]+/[\w-]+/[^/].*$", re.ASCII
)
ARM_ID_RULE = "an Azure resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/<namespace>/<type>/<name>"
EMAIL_DOMAIN_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+/providers/Microsoft\.Communication"
    r"/emailServices/[A-Za-z0-9-]{1,63}/domains/[^/]+$",
    re.ASCII | re.IGNORECASE,
)
EMAIL_DOMAIN_ID_RULE = (
    "an email domain's resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/"
    "Microsoft.Communication/emailServices/<service>/domains/<domain>"
)

# Event Grid event subscription names: 3 to 64 letters, digits and hyphens.
EVENT_SUBSCRIPTION_NAME = re.compile(r"^[A-Za-z0-9-]{3,64}$")
EVENT_SUBSCRIPTION_NAME_RULE = "3 to 64 letters, digits and hyphens"
DELIVERY_SCHEMAS: tuple[str, ...] = ("EventGridSchema", "CloudEventSchemaV1_0")

# The events ACS publishes to Event Grid (azure-eventgrid's SystemEventNames, Microsoft.Communication.*).
ACS_EVENT_TYPES: tuple[str, ...] = tuple(
    f"Microsoft.Communication.{name}"
    for name in (
        "AdvancedMessageDeliveryStatusUpdated",
        "AdvancedMessageReceived",
        "CallEnded",
        "CallParticipantAdded",
        "CallParticipantRemoved",
        "CallStarted",
        "ChatAzureBotCommandReceivedInThread",
        "ChatMemberAddedToThreadWithUser",
        "ChatMemberRemovedFromThreadWithUser",
        "ChatMessageDeleted",
        "ChatMessageDeletedInThread",
        "ChatMessageEdited",
        "ChatMessageEditedInThread",
        "ChatMessageReceived",
        "ChatMessageReceivedInThread",
        "ChatParticipantAddedToThreadWithUser",
        "ChatParticipantRemovedFromThreadWithUser",
        "ChatThreadCreated",
        "ChatThreadCreatedWithUser",
        "ChatThreadDeleted",
        "ChatThreadParticipantAdded",
        "ChatThreadParticipantRemoved",
        "ChatThreadPropertiesUpdated",
        "ChatThreadPropertiesUpdatedPerUser",
        "ChatThreadWithUserDeleted",
        "ChatTypingIndicatorReceivedInThread",
        "EmailDeliveryReportReceived",
        "EmailEngagementTrackingReportReceived",
        "IncomingCall",
        "RecordingFileStatusUpdated",
        "RouterJobCancelled",
        "RouterJobClassificationFailed",
        "RouterJobClassified",
        "RouterJobClosed",
        "RouterJobCompleted",
        "RouterJobDeleted",
        "RouterJobExceptionTriggered",
        "RouterJobQueued",
        "RouterJobReceived",
        "RouterJobSchedulingFailed",
        "RouterJobUnassigned",
        "RouterJobWaitingForActivation",
        "RouterJobWorkerSelectorsExpired",
        "RouterWorkerDeleted",
        "RouterWorkerDeregistered",
        "RouterWorkerOfferAccepted",
        "RouterWorkerOfferDeclined",
        "RouterWorkerOfferExpired",
        "RouterWorkerOfferIssued",
        "RouterWorkerOfferRevoked",
        "RouterWorkerRegistered",
        "RouterWorkerUpdated",
        "SMSDeliveryReportReceived",
        "SMSReceived",
        "UserDisconnected",
    )
)

# Advanced filter operators, by what they compare against.
STRING_LIST_OPERATORS = ("StringIn", "StringNotIn", "StringBeginsWith", "StringEndsWith", "StringContains")
NUMBER_LIST_OPERATORS = ("NumberIn", "NumberNotIn")
NUMBER_OPERATORS = ("NumberGreaterThan", "NumberGreaterThanOrEquals", "NumberLessThan", "NumberLessThanOrEquals")
PRESENCE_OPERATORS = ("IsNotNull", "IsNullOrUndefined")

# Email: the Azure-managed domain has this name and no other; custom domains are DNS names.
AZURE_MANAGED_DOMAIN = "AzureManagedDomain"
DNS_NAME = re.compile(r"^(?=.{4,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")
DNS_NAME_RULE = "a lower-case DNS name such as mail.contoso.com"
SENDER_USERNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")
SENDER_USERNAME_RULE = "the part of an address before @: letters, digits, '.', '_', '-', 1 to 64"
EMAIL_ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s]+$")
SUPPRESSION_LIST_NAME = re.compile(r"^[A-Za-z0-9-]{1,63}$")
# Microsoft.Communication 2025-09-01, emailServiceName: ^[a-zA-Z0-9-]+$, 1 to 63 (Azure naming rules).
EMAIL_SERVICE_NAME = re.compile(r"^[A-Za-z0-9-]{1,63}$")
# Event Grid system topics: 3 to 128 letters, digits and '-' (Azure naming rules for Microsoft.EventGrid).
SYSTEM_TOPIC_NAME = re.compile(r"^[A-Za-z0-9-]{3,128}$")
VERIFICATION_TIMEOUT_MINUTES = (1, 180)

# Phone numbers: ISO 3166 alpha-2 countries, the number types and capabilities ACS sells.
NUMBER_TYPES: tuple[str, ...] = ("geographic", "tollFree", "mobile")
ASSIGNMENT_TYPES: tuple[str, ...] = ("application", "person")
# The area code a number search narrows to, as the ACS phone numbers API lists them (national, without
# the trunk prefix 0): 3 digits in the US and Canada, 1 digit for France's geographic regions, up to 5
# in the UK and Germany.
AREA_CODE = re.compile(r"^[0-9]{1,5}$")
AREA_CODE_RULE = "1 to 5 digits, such as 425"
POOL_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
