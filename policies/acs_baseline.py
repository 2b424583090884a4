"""The security baseline of an ACS resource."""

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from .diagnostics import DIAGNOSTIC_GROUPS, unlogged
from .resource_types import ACS, DIAGNOSTIC_SETTING, LOCK
from .shared_facts import PUBLIC_NETWORK_ACCESS
from .support import UNKNOWN, known, label, of_type, off, resource_rule, stack_rule, targeting

SECURITY_BASELINE = (
    "https://learn.microsoft.com/security/benchmark/azure/baselines/azure-communication-services-security-baseline"
)
LOCKS_DOC = "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources"
LOGS_DOC = "https://learn.microsoft.com/azure/communication-services/concepts/analytics/enable-logging"

# The log categories of Microsoft.Communication/CommunicationServices, as Azure Monitor's reference lists
# them ("Supported logs for Microsoft.Communication/CommunicationServices", generated from Azure's API,
# MicrosoftDocs/azure-reference-other azure-monitor-ref/supported-logs/includes/
# microsoft-communication-communicationservices-logs-include.md, 2024-02-07). A setting that lists
# categories instead of a group sends all logs when it enables each of these; categories Azure adds
# later are only in the allLogs group, which is why the program sends that.
ACS_LOG_CATEGORIES = (
    "AuthOperational",
    "CallAutomationMediaSummary",
    "CallAutomationOperational",
    "CallClientMediaStatsTimeSeries",
    "CallClientOperations",
    "CallClosedCaptionsSummary",
    "CallDiagnostics",
    "CallRecordingOperational",
    "CallRecordingSummary",
    "CallSummary",
    "CallSurvey",
    "ChatOperational",
    "EmailSendMailOperational",
    "EmailStatusUpdateOperational",
    "EmailUserEngagementOperational",
    "JobRouterOperational",
    "NetworkTraversalDiagnostics",
    "NetworkTraversalOperational",
    "RoomsOperational",
    "SMSOperational",
    "Usage",
)


@resource_rule(
    name="acs-local-auth-disabled",
    description="ACS resources have local authentication (access keys) disabled: Microsoft Entra ID only.",
    types=[ACS],
    severity=Severity.HIGH,
    remediation="Set disableLocalAuth: true and give applications an Entra ID identity with an ACS role.",
    url=SECURITY_BASELINE,
    builtin="fc264132-db9c-4302-bb7d-3994c36461fe",
)
def local_auth_disabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if off(args.props, True, "disableLocalAuth") is not None:
        report(f"{label(args)}: local authentication is enabled; keys and connection strings work.")


@resource_rule(
    name="acs-managed-identity",
    description="ACS resources use a managed identity.",
    types=[ACS],
    severity=Severity.MEDIUM,
    remediation="Give the resource a system-assigned identity, a user-assigned one, or both.",
    url=SECURITY_BASELINE,
    builtin="bcff6755-335b-484d-b435-d1161db39cdc",
)
def managed_identity(args: ResourceValidationArgs, report: ReportViolation) -> None:
    identity_type = known(args.props, "identity", "type")
    if identity_type is UNKNOWN:
        return
    if identity_type in (None, "None"):
        report(f"{label(args)}: has no managed identity.")


@resource_rule(
    name="acs-public-network-access",
    description="ACS resources allow public network access only as the stack allows.",
    types=[ACS],
    severity=Severity.MEDIUM,
    remediation="Set publicNetworkAccess to one of the values the stack allows.",
    url=SECURITY_BASELINE,
    config_schema=PolicyConfigSchema(
        properties={
            "allowed": {
                "type": "array",
                "items": {"type": "string", "enum": list(PUBLIC_NETWORK_ACCESS)},
                "default": list(PUBLIC_NETWORK_ACCESS),
            }
        }
    ),
)
def public_network_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # ARM's default when the property is not sent is Enabled.
    access = known(args.props, "publicNetworkAccess") or "Enabled"
    allowed = list(args.get_config()["allowed"])
    if access is not UNKNOWN and access not in allowed:
        report(f"{label(args)}: publicNetworkAccess is {access!r}; allowed: {', '.join(allowed)}.")


@stack_rule(
    name="acs-diagnostic-logs",
    description="Every ACS resource sends its resource logs (allLogs or audit, or every ACS log category) to a Log "
    "Analytics workspace through a diagnostic setting.",
    types=[ACS, DIAGNOSTIC_SETTING],
    severity=Severity.MEDIUM,
    remediation="Add a diagnostic setting on the ACS resource with the allLogs (or audit) category group enabled "
    "and a Log Analytics workspace as destination (any workspace; storage, an event hub or a partner may be added "
    "destinations, not the only ones). To agree with the built-in, assign it with categoryGroup set to the group "
    "the setting enables.",
    url=LOGS_DOC,
    builtin="acbb9698-46bd-4800-89da-e3473c4ab10d",
)
def diagnostic_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    # Log Analytics is where the built-in wants them: a setting without a workspace does not count,
    # whatever else it sends to; any workspace does, the stack's or another.
    # allLogs or audit: what the built-in accepts under its categoryGroup parameter (README); or each
    # category by name, the same logs listed one by one.
    unlogged_services = unlogged(
        args.resources, ACS, DIAGNOSTIC_GROUPS, to_workspace=True, every_category=ACS_LOG_CATEGORIES
    )
    for service in unlogged_services:
        report(
            f"{label(service)}: no diagnostic setting sends allLogs or audit logs (or every ACS log category) to a "
            "Log Analytics workspace.",
            service.urn,
        )


@stack_rule(
    name="acs-delete-lock",
    description="Every ACS resource has a CanNotDelete management lock.",
    types=[ACS, LOCK],
    severity=Severity.HIGH,
    remediation="Set acs-platform:protection.lock to CanNotDelete (the prod tier's default).",
    url=LOCKS_DOC,
)
def delete_lock(args: StackValidationArgs, report: ReportViolation) -> None:
    locks = targeting(args.resources, LOCK, "scope")
    for service in of_type(args.resources, ACS):
        levels = [known(lock.props, "level") for lock in locks.get(service.urn, [])]
        if "CanNotDelete" not in levels and UNKNOWN not in levels:
            report(f"{label(service)}: no CanNotDelete lock.", service.urn)


POLICIES = [local_auth_disabled, managed_identity, public_network_access, diagnostic_logs, delete_lock]
