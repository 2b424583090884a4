"""The Log Analytics workspace the platform's logs go to: Microsoft Entra ID only, and reachable from
public networks only as the stack allows.

Diagnostic settings reach a workspace over Microsoft's network whatever its public access: closing
public ingestion closes it to agents and APIs elsewhere, not to the platform's own logs.
"""

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity

from .resource_types import WORKSPACE
from .support import UNKNOWN, known, label, off, resource_rule

LOCAL_AUTH_DOC = "https://learn.microsoft.com/azure/azure-monitor/logs/azure-ad-authentication-logs"
NETWORK_DOC = "https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security"

NETWORK_ACCESS = ["Enabled", "Disabled"]


@resource_rule(
    name="workspace-local-auth-disabled",
    description="Log Analytics workspaces take Microsoft Entra ID only: no ingestion or query with the workspace keys.",
    types=[WORKSPACE],
    severity=Severity.HIGH,
    remediation="Set features.disableLocalAuth: true; agents send with the Azure Monitor Agent's managed "
    "identity, and readers need a Log Analytics role.",
    url=LOCAL_AUTH_DOC,
    builtin="e15effd4-2278-4c65-a0da-4d6f6d1890e2",
)
def local_auth_disabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if (setting := off(args.props, True, "features", "disableLocalAuth")) is not None:
        report(f"{label(args)}: the workspace keys work; features.disableLocalAuth is {setting}.")


@resource_rule(
    name="workspace-public-network-access",
    description="Log Analytics workspaces take ingestion and queries from public networks only as the stack allows.",
    types=[WORKSPACE],
    severity=Severity.MEDIUM,
    remediation=(
        "Set publicNetworkAccessForIngestion and publicNetworkAccessForQuery to values the stack allows "
        "(acs-platform:monitoring.publicIngestion / publicQuery). Disabling queries needs an Azure Monitor "
        "Private Link Scope, or operators can no longer read the logs from the portal."
    ),
    url=NETWORK_DOC,
    # The built-in wants both Disabled: with both allowed lists ["Disabled"], the rule agrees with it.
    builtin="6c53d030-cc64-46f0-906d-2bc061cd1334",
    config_schema=PolicyConfigSchema(
        properties={
            "allowedForIngestion": {
                "type": "array",
                "items": {"type": "string", "enum": NETWORK_ACCESS},
                "default": ["Disabled"],
            },
            "allowedForQuery": {
                "type": "array",
                "items": {"type": "string", "enum": NETWORK_ACCESS},
                "default": ["Disabled"],
            },
        }
    ),
)
def public_network_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    faults = []
    for key, allowed in (
        ("publicNetworkAccessForIngestion", config["allowedForIngestion"]),
        ("publicNetworkAccessForQuery", config["allowedForQuery"]),
    ):
        # Azure's default when the property is not sent is Enabled.
        access = known(args.props, key) or "Enabled"
        if access is not UNKNOWN and str(access).lower() not in [a.lower() for a in allowed]:
            faults.append(f"{key} is {access!r} (allowed: {', '.join(allowed)})")
    if faults:
        # One finding per workspace: a report's fingerprint is the policy and the resource.
        report(f"{label(args)}: {'; '.join(faults)}.")


POLICIES = [local_auth_disabled, public_network_access]
