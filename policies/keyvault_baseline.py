"""The security baseline of the Key Vaults that hold the platform's secrets, and of those secrets.

The checks agree with the Azure Policy built-ins for Key Vault. The SDK fills some inputs in when
the program leaves them out (enableSoftDelete true, softDeleteRetentionInDays 90,
publicNetworkAccess "enabled"), so an absent input is judged as Azure's default. Numbers reach the
pack through protobuf as floats: 90 arrives as 90.0.
"""

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from .diagnostics import unlogged
from .resource_types import DIAGNOSTIC_SETTING, KEY_VAULT, KEY_VAULT_SECRET
from .shared_facts import SOFT_DELETE_RETENTION_DAYS
from .support import UNKNOWN, known, label, number, off, out_of_range, resource_rule, shown, stack_rule

RBAC_DOC = "https://learn.microsoft.com/azure/key-vault/general/rbac-guide"
SOFT_DELETE_DOC = "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview"
NETWORK_DOC = "https://learn.microsoft.com/azure/key-vault/general/network-security"
LOGGING_DOC = "https://learn.microsoft.com/azure/key-vault/general/logging"
SECRETS_DOC = "https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices"


@resource_rule(
    name="keyvault-rbac-authorization",
    description="Key Vaults authorize data access with Azure RBAC, not with access policies.",
    types=[KEY_VAULT],
    severity=Severity.HIGH,
    remediation=(
        "Set properties.enableRbacAuthorization: true, remove properties.accessPolicies, and grant the "
        "identities that read secrets the 'Key Vault Secrets User' role on the vault."
    ),
    url=RBAC_DOC,
    builtin="12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",
)
def rbac_authorization(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Azure's default when the input is absent is false: the access policy model.
    if (setting := off(args.props, True, "properties", "enableRbacAuthorization")) is not None:
        report(f"{label(args)}: uses the access policy permission model; enableRbacAuthorization is {setting}.")


@resource_rule(
    name="keyvault-soft-delete",
    description="Key Vaults keep soft delete on, with a retention of 7 to 90 days.",
    types=[KEY_VAULT],
    severity=Severity.HIGH,
    remediation=(
        "Leave properties.enableSoftDelete unset or true, and set properties.softDeleteRetentionInDays "
        "between 7 and 90 (Azure's default is 90)."
    ),
    url=SOFT_DELETE_DOC,
    builtin="1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d",
)
def soft_delete(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if known(args.props, "properties", "enableSoftDelete") is False:
        report(f"{label(args)}: soft delete is disabled; a deleted vault or secret cannot be recovered.")
    days = known(args.props, "properties", "softDeleteRetentionInDays")
    if days is None or days is UNKNOWN:
        return
    if out_of_range(days, SOFT_DELETE_RETENTION_DAYS):
        low, high = SOFT_DELETE_RETENTION_DAYS
        report(f"{label(args)}: softDeleteRetentionInDays is {shown(days)}; it must be between {low} and {high}.")


@resource_rule(
    name="keyvault-purge-protection",
    description="Key Vaults have purge protection enabled.",
    types=[KEY_VAULT],
    severity=Severity.HIGH,
    remediation=(
        "Set properties.enablePurgeProtection: true. It cannot be turned off again, and the vault's name "
        "stays reserved for the soft-delete retention period after a deletion."
    ),
    url=SOFT_DELETE_DOC,
    builtin="0b60c0b2-2dc2-4e1c-b5c9-abbed971de53",
)
def purge_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if off(args.props, True, "properties", "enablePurgeProtection") is not None:
        report(f"{label(args)}: purge protection is not enabled; a deleted vault can be purged at once.")


@resource_rule(
    name="keyvault-network-access",
    description="Key Vaults disable public network access or have a firewall that denies by default.",
    types=[KEY_VAULT],
    severity=Severity.HIGH,
    remediation=(
        "Set properties.publicNetworkAccess: 'Disabled' and reach the vault through a private endpoint, or "
        "set properties.networkAcls.defaultAction: 'Deny' with the needed ipRules / virtualNetworkRules "
        "(bypass: 'AzureServices' for trusted services)."
    ),
    url=NETWORK_DOC,
    # Also satisfies 405c5871-3e91-4644-8a63-58e19d68ff5b (public network access disabled).
    builtin="55615ac9-af46-4a59-874e-391cc3dfb490",
)
def network_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    access = known(args.props, "properties", "publicNetworkAccess")
    action = known(args.props, "properties", "networkAcls", "defaultAction")
    if UNKNOWN in (access, action):
        return
    if str(access or "enabled").lower() == "disabled" or str(action or "allow").lower() == "deny":
        return
    report(
        f"{label(args)}: reachable from any network; publicNetworkAccess is {access or 'enabled'!r} and "
        f"networkAcls.defaultAction is {action or 'Allow'!r}."
    )


@stack_rule(
    name="keyvault-diagnostic-logs",
    description="Every Key Vault sends its audit logs through a diagnostic setting.",
    types=[KEY_VAULT, DIAGNOSTIC_SETTING],
    severity=Severity.MEDIUM,
    remediation=(
        "Add a monitor DiagnosticSetting whose resourceUri is the vault's id, with a log entry "
        "{categoryGroup: 'audit' (or 'allLogs'), enabled: true} and the stack's Log Analytics workspace "
        "as workspaceId."
    ),
    url=LOGGING_DOC,
    builtin="cf820ca0-f99e-4f3e-84fb-66e913812d21",
)
def diagnostic_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    for vault in unlogged(args.resources, KEY_VAULT, ("audit", "allLogs"), ("AuditEvent",)):
        report(f"{label(vault)}: no diagnostic setting enables its audit logs (audit or allLogs).", vault.urn)


@resource_rule(
    name="keyvault-secret-content-type",
    description="Key Vault secrets declare a content type.",
    types=[KEY_VAULT_SECRET],
    severity=Severity.LOW,
    remediation=(
        "Set properties.contentType to what the value is, for example 'text/plain' or "
        "'application/x-acs-connection-string', so whoever rotates it knows how to."
    ),
    url=SECRETS_DOC,
    builtin="75262d3e-ba4a-4f43-85f8-9f72c090e5e3",
)
def secret_content_type(args: ResourceValidationArgs, report: ReportViolation) -> None:
    content_type = known(args.props, "properties", "contentType")
    if content_type is not UNKNOWN and not content_type:
        report(f"{label(args)}: has no content type.")


@resource_rule(
    name="keyvault-secret-expiry",
    description="Key Vault secrets have an expiry date.",
    types=[KEY_VAULT_SECRET],
    severity=Severity.MEDIUM,
    remediation=(
        "Set properties.attributes.expires (Unix seconds) to the date the secret must be rotated by, and "
        "rotate it before then."
    ),
    url=SECRETS_DOC,
    builtin="98728c90-32c7-4049-8429-847dc0f4fe37",
)
def secret_expiry(args: ResourceValidationArgs, report: ReportViolation) -> None:
    expires = known(args.props, "properties", "attributes", "expires")
    if expires is UNKNOWN:
        return
    if expires is None:
        report(f"{label(args)}: has no expiry date (properties.attributes.expires).")
    elif (value := number(expires)) is None or value <= 0:
        report(f"{label(args)}: expires is {shown(expires)}; it must be a date in Unix seconds.")


POLICIES = [
    rbac_authorization,
    soft_delete,
    purge_protection,
    network_access,
    diagnostic_logs,
    secret_content_type,
    secret_expiry,
]
