"""The security baseline of the storage accounts the platform deploys (the Event Grid dead letters):
their network access, transport and authorization, replication, soft delete, public containers and
blob logs.

The account rules agree with the Azure Policy built-ins for storage (Azure/azure-policy,
built-in-policies/policyDefinitions/Storage). Where the built-in flags an absent property, so does
the rule: an account says what it wants, not what today's API version happens to default to.
"""

from collections.abc import Iterable

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

from .diagnostics import enables_logs
from .resource_types import BLOB_CONTAINER, BLOB_SERVICE, DIAGNOSTIC_SETTING, STORAGE_ACCOUNT
from .support import UNKNOWN, known, label, number, of_type, off, resource_rule, shown, sourced_from, stack_rule

NETWORK_DOC = "https://learn.microsoft.com/azure/storage/common/storage-network-security"
TRANSFER_DOC = "https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer"
SHARED_KEY_DOC = "https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent"
PUBLIC_ACCESS_DOC = "https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent"
TLS_DOC = "https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version"
REDUNDANCY_DOC = "https://learn.microsoft.com/azure/storage/common/storage-redundancy"
SOFT_DELETE_DOC = "https://learn.microsoft.com/azure/storage/blobs/soft-delete-blob-overview"
LOGS_DOC = "https://learn.microsoft.com/azure/storage/blobs/monitor-blob-storage"

# SKUs that keep copies outside one datacenter: across the region's zones (ZRS), in the paired
# region (GRS), or both (GZRS); RA-: readable in the paired region.
REDUNDANT_SKUS = ["Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS", "Premium_ZRS"]
TLS_VERSIONS = ("TLS1_2", "TLS1_3")  # TLS 1.2 or later
BLOB_LOG_CATEGORIES = ("StorageRead", "StorageWrite", "StorageDelete")
SOFT_DELETE_DAYS = (1, 365)  # what Azure accepts for blob and container soft delete


@resource_rule(
    name="storage-network-access",
    description="Storage accounts deny network access by default and let trusted Azure services through.",
    types=[STORAGE_ACCOUNT],
    severity=Severity.HIGH,
    remediation=(
        "Set networkRuleSet: {defaultAction: 'Deny', bypass: 'AzureServices'}, and add ipRules / "
        "virtualNetworkRules only for the networks that must reach the account. The bypass lets Event Grid, "
        "a trusted service, write dead letters with its managed identity."
    ),
    url=NETWORK_DOC,
    builtin="34c877ad-507e-4c82-993e-3452a6e0ad3c",
)
def network_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    action = known(args.props, "networkRuleSet", "defaultAction")
    bypass = known(args.props, "networkRuleSet", "bypass")
    if UNKNOWN in (action, bypass):
        return
    if str(action or "Allow").lower() != "deny":
        report(f"{label(args)}: reachable from any network; networkRuleSet.defaultAction is {action or 'Allow'!r}.")
    elif "azureservices" not in [part.strip().lower() for part in str(bypass or "").split(",")]:
        report(
            f"{label(args)}: networkRuleSet.bypass is {bypass or 'None'!r}; trusted Azure services "
            "(Event Grid dead-lettering) cannot reach the account."
        )


@resource_rule(
    name="storage-secure-transfer",
    description="Storage accounts accept requests over https only.",
    types=[STORAGE_ACCOUNT],
    severity=Severity.HIGH,
    remediation="Leave enableHttpsTrafficOnly unset or set it to true (Azure's default).",
    url=TRANSFER_DOC,
    builtin="404c3081-a854-4457-ae30-26a93ef643f9",
)
def secure_transfer(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # The built-in flags only an explicit false: absent is https only since API 2019-04-01.
    if known(args.props, "enableHttpsTrafficOnly") is False:
        report(f"{label(args)}: accepts plain http; enableHttpsTrafficOnly is false.")


@resource_rule(
    name="storage-shared-key-access",
    description="Storage accounts refuse shared key (account key and SAS) authorization: Microsoft Entra ID only.",
    types=[STORAGE_ACCOUNT],
    severity=Severity.HIGH,
    remediation=(
        "Set allowSharedKeyAccess: false, and grant the identities that read or write a data role (for "
        "example 'Storage Blob Data Contributor') on the account or container."
    ),
    url=SHARED_KEY_DOC,
    builtin="8c6a50c6-9ffd-4ae7-986f-5fa6111f9a54",
)
def shared_key_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Not set, Azure allows shared keys.
    if (setting := off(args.props, False, "allowSharedKeyAccess")) is not None:
        report(f"{label(args)}: account keys authorize requests; allowSharedKeyAccess is {setting}.")


@resource_rule(
    name="storage-public-blob-access",
    description="Storage accounts disallow anonymous public access to blobs and containers.",
    types=[STORAGE_ACCOUNT],
    severity=Severity.HIGH,
    remediation="Set allowBlobPublicAccess: false; no container of the account can then be made public.",
    url=PUBLIC_ACCESS_DOC,
    builtin="4fa4b6c0-31ca-4c0d-b10d-24b96f62a751",
)
def public_blob_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if (setting := off(args.props, False, "allowBlobPublicAccess")) is not None:
        report(f"{label(args)}: containers may be made public; allowBlobPublicAccess is {setting}.")


@resource_rule(
    name="storage-minimum-tls",
    description="Storage accounts refuse TLS versions older than 1.2.",
    types=[STORAGE_ACCOUNT],
    severity=Severity.MEDIUM,
    remediation="Set minimumTlsVersion: 'TLS1_2'.",
    url=TLS_DOC,
    builtin="fe83a0eb-a853-422d-aac2-1bffd182c5d0",
)
def minimum_tls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    version = known(args.props, "minimumTlsVersion")
    if version is not UNKNOWN and version not in TLS_VERSIONS:
        setting = "not set (Azure accepts TLS 1.0)" if version is None else repr(version)
        report(f"{label(args)}: minimumTlsVersion is {setting}; it must be TLS1_2 or later.")


@resource_rule(
    name="storage-redundancy",
    description="Storage accounts replicate across zones or regions where the stack requires it.",
    types=[STORAGE_ACCOUNT],
    severity=Severity.MEDIUM,
    remediation=(
        "Set sku.name to a zone- or geo-redundant SKU (Standard_ZRS, Standard_GZRS, ...), for the stack with "
        "acs-platform:deadLetterStorage.redundancy. A SKU change from LRS to ZRS is a migration "
        "Azure performs, not an in-place update."
    ),
    url=REDUNDANCY_DOC,
    # The built-in accepts only geo-redundant SKUs (GRS, RAGRS, GZRS, RAGZRS); with allowedSkus
    # narrowed to those, the rule and the built-in agree.
    builtin="bf045164-79ba-4215-8f95-f8048dc1780b",
    config_schema=PolicyConfigSchema(
        properties={
            "required": {"type": "boolean", "default": True},
            "allowedSkus": {"type": "array", "items": {"type": "string"}, "default": REDUNDANT_SKUS},
        }
    ),
)
def redundancy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    if not config["required"]:
        return
    sku = known(args.props, "sku", "name")
    allowed = list(config["allowedSkus"])
    if sku is not UNKNOWN and sku not in allowed:
        report(f"{label(args)}: sku {sku!r} is not zone- or geo-redundant; allowed: {', '.join(allowed)}.")


@resource_rule(
    name="storage-container-public-access",
    description="Blob containers allow no anonymous public access.",
    types=[BLOB_CONTAINER],
    severity=Severity.HIGH,
    remediation="Set publicAccess: 'None' (or leave it unset) and share blobs through identities or user "
    "delegation SAS instead.",
    url=PUBLIC_ACCESS_DOC,
)
def container_public_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    access = known(args.props, "publicAccess")
    if access not in (None, "None", UNKNOWN):
        report(f"{label(args)}: publicAccess is {access!r}; anyone can read its blobs without signing in.")


def _belongs_to(resource: PolicyResource, account: PolicyResource) -> bool:
    """Whether `resource` (a blob service) is `account`'s: its accountName comes from the account, or
    names it."""
    if account.urn in {r.urn for r in sourced_from(resource, "accountName")}:
        return True
    name = known(resource.props, "accountName")
    return isinstance(name, str) and name == known(account.props, "accountName")


def _blob_services(resources: list[PolicyResource], account: PolicyResource) -> list[PolicyResource]:
    return [service for service in of_type(resources, BLOB_SERVICE) if _belongs_to(service, account)]


def _soft_delete_faults(service: PolicyResource, key: str, what: str, days: tuple[int, int]) -> Iterable[str]:
    policy = known(service.props, key)
    if policy is UNKNOWN:
        return
    enabled, retention = known(policy or {}, "enabled"), known(policy or {}, "days")
    if enabled is UNKNOWN:
        return
    if enabled is not True:
        yield f"{what} soft delete is not enabled ({key}.enabled)"
    elif retention is not UNKNOWN and ((n := number(retention)) is None or not days[0] <= n <= days[1]):
        yield f"{key}.days is {shown(retention)}; it must be between {days[0]} and {days[1]}"


@stack_rule(
    name="storage-blob-soft-delete",
    description="Every storage account keeps deleted blobs and containers restorable, for the days the stack allows.",
    types=[STORAGE_ACCOUNT, BLOB_SERVICE],
    severity=Severity.MEDIUM,
    remediation=(
        "Add a storage BlobServiceProperties named 'default' for the account with deleteRetentionPolicy and "
        "containerDeleteRetentionPolicy {enabled: true, days: N}, N within the stack's minimumDays and "
        "maximumDays (acs-platform:deadLetterStorage.blobSoftDeleteDays / containerSoftDeleteDays)."
    ),
    url=SOFT_DELETE_DOC,
    builtin="9fbd64e3-67b8-489b-98e5-fa0007d17e76",
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {"type": "integer", "minimum": SOFT_DELETE_DAYS[0], "default": 7},
            "maximumDays": {"type": "integer", "maximum": SOFT_DELETE_DAYS[1], "default": SOFT_DELETE_DAYS[1]},
        }
    ),
)
def blob_soft_delete(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    days = (int(config["minimumDays"]), int(config["maximumDays"]))
    resources = list(args.resources)
    for account in of_type(resources, STORAGE_ACCOUNT):
        services = _blob_services(resources, account)
        if not services:
            # Azure's default for an account created through ARM: no soft delete.
            report(f"{label(account)}: no blob service properties; deleted blobs and containers are lost.", account.urn)
        for service in services:
            for key, what in (("deleteRetentionPolicy", "blob"), ("containerDeleteRetentionPolicy", "container")):
                for fault in _soft_delete_faults(service, key, what, days):
                    report(f"{label(account)}: {fault}.", service.urn)


def _watches_blobs(setting: PolicyResource, account: PolicyResource, services: list[PolicyResource]) -> bool:
    """Whether a diagnostic setting watches `account`'s blob service: its resourceUri comes from one of
    `services`, or from the account as `<account id>/blobServices/default` (unknown in a preview)."""
    sources = {r.urn for r in sourced_from(setting, "resourceUri")}
    if any(service.urn in sources for service in services):
        return True
    if account.urn not in sources:
        return False
    uri = known(setting.props, "resourceUri")
    return uri is UNKNOWN or (isinstance(uri, str) and uri.lower().endswith("/blobservices/default"))


@stack_rule(
    name="storage-diagnostic-logs",
    description="Every storage account's blob service sends its resource logs to Log Analytics through a "
    "diagnostic setting.",
    types=[STORAGE_ACCOUNT, BLOB_SERVICE, DIAGNOSTIC_SETTING],
    severity=Severity.MEDIUM,
    remediation=(
        "Add a monitor DiagnosticSetting whose resourceUri is the account's id + '/blobServices/default', with "
        "a log entry {categoryGroup: 'allLogs' (or 'audit'), enabled: true} and the stack's Log Analytics "
        "workspace as workspaceId. A setting on the account itself carries metrics only."
    ),
    url=LOGS_DOC,
    builtin="b4fe1a3b-0715-4c6c-a5ea-ffc33cf823cb",
)
def diagnostic_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    settings = [s for s in of_type(resources, DIAGNOSTIC_SETTING) if known(s.props, "workspaceId") is not None]
    for account in of_type(resources, STORAGE_ACCOUNT):
        services = _blob_services(resources, account)
        watching = [s for s in settings if _watches_blobs(s, account, services)]
        if not any(enables_logs(s, ("allLogs", "audit"), BLOB_LOG_CATEGORIES) for s in watching):
            report(
                f"{label(account)}: no diagnostic setting sends its blob service's logs to a workspace.", account.urn
            )


POLICIES = [
    network_access,
    secure_transfer,
    shared_key_access,
    public_blob_access,
    minimum_tls,
    redundancy,
    container_public_access,
    blob_soft_delete,
    diagnostic_logs,
]
