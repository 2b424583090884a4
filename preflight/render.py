"""The plan as a person reads it: a tree of what would be created, with the settings that matter."""

import json
from typing import Any

from .plan import UNKNOWN, Plan, PlannedResource, children_by_parent

# The inputs worth a line in the tree, per resource type. The JSON plan has all of them.
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
    "azure-native:communication:CommunicationService": (
        "communicationServiceName",
        "location",
        "dataLocation",
        "disableLocalAuth",
        "publicNetworkAccess",
        "identity.type",
    ),
    "azure-native:operationalinsights:Workspace": ("workspaceName", "location", "sku.name", "retentionInDays"),
    "azure-native:monitor:DiagnosticSetting": (
        "name",
        "resourceUri",
        "workspaceId",
        "logAnalyticsDestinationType",
        "storageAccountId",
        "eventHubAuthorizationRuleId",
        "eventHubName",
        "marketplacePartnerId",
        "logs",
        "metrics",
    ),
    "azure-native:authorization:ManagementLockByScope": ("lockName", "level", "scope"),
    "azure-native:authorization:RoleAssignment": (
        "description",
        "principalType",
        "principalId",
        "scope",
        # Only where the config gives them (an ABAC condition, a Lighthouse identity): no line otherwise.
        "condition",
        "conditionVersion",
        "delegatedManagedIdentityResourceId",
    ),
    "azure-native:keyvault:Vault": (
        "vaultName",
        "location",
        "properties.enableRbacAuthorization",
        "properties.enableSoftDelete",
        "properties.softDeleteRetentionInDays",
        "properties.enablePurgeProtection",
        "properties.publicNetworkAccess",
        "properties.networkAcls.defaultAction",
    ),
    "azure-native:keyvault:Secret": (
        "secretName",
        "vaultName",
        "properties.value",
        "properties.contentType",
        "properties.attributes.expires",
    ),
    "pulumi-python:dynamic/keyrotation:AcsKeyRotation": ("communicationServiceId", "generation"),
    "azure-native:eventgrid:SystemTopic": ("systemTopicName", "location", "topicType", "source", "identity.type"),
    "azure-native:eventgrid:SystemTopicEventSubscription": (
        "eventSubscriptionName",
        "filter.includedEventTypes",
        "destination.endpointType",
        "destination.endpointUrl",
        "deliveryWithResourceIdentity.destination.endpointType",
        "deadLetterWithResourceIdentity.deadLetterDestination.blobContainerName",
        "retryPolicy",
    ),
    "azure-native:communication:EmailService": ("emailServiceName", "location", "dataLocation"),
    "azure-native:communication:Domain": ("domainName", "domainManagement", "userEngagementTracking"),
    "azure-native:communication:SenderUsername": ("domainName", "username", "displayName"),
    "azure-native:dns:RecordSet": ("zoneName", "relativeRecordSetName", "recordType", "txtRecords", "cnameRecord"),
    "pulumi-python:dynamic/emaildomains:DomainVerification": ("domainId", "recordTypes", "wait", "timeoutSeconds"),
    "pulumi-python:dynamic/emaildomains:LinkedDomains": ("communicationServiceId", "domainIds"),
    "pulumi-python:dynamic/numberpools:PhoneNumberPool": (
        "countryCode",
        "numberType",
        "assignmentType",
        "sms",
        "calling",
        "areaCode",
        "quantity",
        "adoptNumbers",
    ),
    "pulumi-python:dynamic/siprouting:SipRouting": ("exclusive", "trunks", "routes"),
    "azure-native:storage:StorageAccount": (
        "accountName",
        "location",
        "enableHttpsTrafficOnly",
        "minimumTlsVersion",
        "allowBlobPublicAccess",
        "allowSharedKeyAccess",
    ),
    "azure-native:consumption:Budget": (
        "budgetName",
        "scope",
        "amount",
        "timeGrain",
        "timePeriod.startDate",
        "notifications",
    ),
}


def _lookup(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _shown(resource: PlannedResource, key: str, value: Any, names: dict[str, str]) -> str:
    if value == UNKNOWN:
        sources = resource.property_dependencies.get(key.split(".")[0], [])
        if sources:
            # Unknown until Azure creates the source: say where the value comes from.
            return "from " + ", ".join(names.get(urn, urn) for urn in sources)
        return "(known after deploy)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _sip_trunks(trunks: list[dict[str, Any]]) -> list[str]:
    return [", ".join(f"{trunk['fqdn']}:{_number(trunk['port'])}" for trunk in trunks) or "none"]


def _voice_routes(routes: list[dict[str, Any]]) -> list[str]:
    """One line per route after the key's, in priority order: the first whose pattern matches takes the call."""
    if not routes:
        return ["none"]
    return [""] + [
        f"  {rank}. {route['name']}: {route['numberPattern']} -> {', '.join(route['trunks'])}"
        for rank, route in enumerate(routes, start=1)
    ]


def _sip_exclusive(exclusive: bool) -> list[str]:
    kept = "removed" if exclusive else "kept"
    return [f"{json.dumps(exclusive)} (trunks and routes not declared here are {kept})"]


def _budget_alerts(notifications: dict[str, dict[str, Any]]) -> list[str]:
    """One line per alert: when it fires (actual or forecast cost above a share of the amount), to whom."""
    if not notifications:
        return ["none"]
    lines = [""]
    for alert in sorted(notifications.values(), key=lambda a: (a.get("thresholdType", ""), a.get("threshold", 0))):
        whom = ", ".join([*alert.get("contactEmails", []), *alert.get("contactRoles", [])]) or "nobody"
        lines.append(f"  {alert.get('thresholdType')} cost above {_number(alert.get('threshold'))} %: {whom}")
    return lines


# Settings shown their own way where one line of JSON would not be read: the text after "key:", then
# any lines below it.
FORMATS = {
    ("azure-native:consumption:Budget", "notifications"): _budget_alerts,
    ("pulumi-python:dynamic/siprouting:SipRouting", "exclusive"): _sip_exclusive,
    ("pulumi-python:dynamic/siprouting:SipRouting", "trunks"): _sip_trunks,
    ("pulumi-python:dynamic/siprouting:SipRouting", "routes"): _voice_routes,
}


def _number(value: Any) -> str:
    # Protobuf carries every number as a float: 5061.0 is port 5061.
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _settings(resource: PlannedResource, names: dict[str, str]) -> list[str]:
    lines = []
    for key in KEY_SETTINGS.get(resource.type, ()):
        value = _lookup(resource.inputs, key)
        if value is None:
            continue
        shown = FORMATS.get((resource.type, key))
        if shown is None or UNKNOWN in json.dumps(value):  # a value not known yet says where it comes from
            lines.append(f"{key}: {_shown(resource, key, value, names)}")
        else:
            first, *below = shown(value)
            lines += [f"{key}: {first}".rstrip(), *below]
    return lines


def _import_lines(resource: PlannedResource) -> list[str]:
    """Where an imported resource comes from, and what the import leaves as Azure has it."""
    if not resource.import_id:
        return []
    lines = [f"import: {resource.import_id}"]
    if resource.ignore_changes:
        lines.append(f"left as Azure has it: {', '.join(resource.ignore_changes)}")
    return lines


def render_tree(plan: Plan) -> str:
    names = {r.urn: r.name for r in plan.resources}
    children = children_by_parent(plan.resources)  # the plan is in tree order already

    lines = [f"Plan of stack {plan.stack!r} ({plan.project}), offline: Pulumi mocks, no Azure calls", ""]

    def visit(parent: str | None, prefix: str) -> None:
        siblings = children.get(parent, [])
        for index, resource in enumerate(siblings):
            last = index == len(siblings) - 1
            branch, inner = ("└─ ", "   ") if last else ("├─ ", "│  ")
            if parent is None:
                branch, inner = "", ""
            flags = "  [protected]" if resource.protect else ""
            flags += "  [retained on delete]" if resource.retain_on_delete else ""
            # As `pulumi preview` marks them: + created, = imported.
            operation = "=" if resource.import_id else "+"
            lines.append(f"{prefix}{branch}{operation} {resource.type}  {resource.name}{flags}")
            detail = prefix + inner + ("│  " if children.get(resource.urn) else "   ")
            lines.extend(f"{detail}  {setting}" for setting in _import_lines(resource))
            lines.extend(f"{detail}  {setting}" for setting in _settings(resource, names))
            visit(resource.urn, prefix + inner)

    visit(None, "")
    custom = sum(r.custom for r in plan.resources)
    protected = sum(r.protect for r in plan.resources)
    imported = sum(bool(r.import_id) for r in plan.resources)
    to_import = f", {imported} to import" if imported else ""
    lines += [
        "",
        f"{custom - imported} Azure resources to create{to_import} ({protected} protected), "
        f"{len(plan.resources) - custom} components.",
    ]
    if plan.outputs:
        lines += ["", "Outputs:"]
        for key, value in sorted(plan.outputs.items()):
            lines += _output_lines(key, value, depth=1)
    return "\n".join(lines) + "\n"


def _output_lines(key: str, value: Any, depth: int) -> list[str]:
    pad = "  " * depth
    if isinstance(value, dict):
        nested = [line for k, v in sorted(value.items()) for line in _output_lines(k, v, depth + 1)]
        return [f"{pad}{key}:", *nested]
    shown = (
        "(known after deploy)" if value == UNKNOWN else json.dumps(value) if isinstance(value, (bool, list)) else value
    )
    return [f"{pad}{key}: {shown}"]


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2) + "\n"
