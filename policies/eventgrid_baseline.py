"""Event delivery from the ACS system topics: safe destinations, no lost events, logged failures.

A system topic event subscription delivers either with Event Grid's own identity (`destination`,
`deadLetterDestination`) or with the system topic's managed identity
(`deliveryWithResourceIdentity`, `deadLetterWithResourceIdentity`); the rules look at both forms.
The managed identity itself (the system topic's `identity` and its role on the destination) is
for the program to set up: these rules only see which form a subscription uses.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from .diagnostics import DIAGNOSTIC_GROUPS, unlogged
from .resource_types import DIAGNOSTIC_SETTING, SYSTEM_TOPIC, SYSTEM_TOPIC_SUBSCRIPTION
from .shared_facts import EVENT_TIME_TO_LIVE_MINUTES, MAX_DELIVERY_ATTEMPTS
from .support import UNKNOWN, known, label, out_of_range, resource_rule, shown, stack_rule

WEBHOOK_DOC = "https://learn.microsoft.com/azure/event-grid/webhook-event-delivery"
DELIVERY_DOC = "https://learn.microsoft.com/azure/event-grid/manage-event-delivery"
RETRY_DOC = "https://learn.microsoft.com/azure/event-grid/delivery-and-retry"
IDENTITY_DOC = "https://learn.microsoft.com/azure/event-grid/managed-service-identity"
LOGS_DOC = "https://learn.microsoft.com/azure/event-grid/enable-diagnostic-logs-topic"

# Destinations that accept delivery with the system topic's managed identity.
IDENTITY_CAPABLE = ("ServiceBusQueue", "ServiceBusTopic", "StorageQueue", "EventHub")


def _destinations(props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Each delivery destination the subscription sets, with the input path it is set at."""
    for path in (("destination",), ("deliveryWithResourceIdentity", "destination")):
        destination = known(props, *path)
        if destination is not None:
            yield ".".join(path), destination


@resource_rule(
    name="eventgrid-webhook-https",
    description="Event subscriptions deliver to webhooks over https only.",
    types=[SYSTEM_TOPIC_SUBSCRIPTION],
    severity=Severity.HIGH,
    remediation="Give the WebHook destination an https:// endpointUrl; Event Grid then validates the endpoint "
    "over TLS. Protect the endpoint with Microsoft Entra authentication (azureActiveDirectoryApplicationIdOrUri).",
    url=WEBHOOK_DOC,
)
def webhook_https(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for path, destination in _destinations(args.props):
        if destination is UNKNOWN or known(destination, "endpointType") != "WebHook":
            continue
        url = known(destination, "endpointUrl")
        if isinstance(url, str) and not url.lower().startswith("https://"):
            report(f"{label(args)}: {path}.endpointUrl is not https: {url.split('?')[0]!r}.")


@resource_rule(
    name="eventgrid-dead-letter",
    description="Event subscriptions dead-letter the events they cannot deliver.",
    types=[SYSTEM_TOPIC_SUBSCRIPTION],
    severity=Severity.MEDIUM,
    remediation="Set deadLetterWithResourceIdentity with a StorageBlob deadLetterDestination (a storage account "
    "and blob container), so events that exhaust their retries are kept instead of dropped.",
    url=DELIVERY_DOC,
)
def dead_letter(args: ResourceValidationArgs, report: ReportViolation) -> None:
    plain = known(args.props, "deadLetterDestination")
    with_identity = known(args.props, "deadLetterWithResourceIdentity")
    if plain is None and with_identity is None:
        report(f"{label(args)}: has no dead-letter destination; undeliverable events are dropped.")


@resource_rule(
    name="eventgrid-identity-delivery",
    description="Event subscriptions deliver with a managed identity to destinations that support one.",
    types=[SYSTEM_TOPIC_SUBSCRIPTION],
    severity=Severity.MEDIUM,
    remediation="Give the system topic a managed identity, grant it the data sender role on the destination "
    "(for example 'Azure Service Bus Data Sender'), and move `destination` to "
    "deliveryWithResourceIdentity {identity: {type: 'SystemAssigned'}, destination: ...}.",
    url=IDENTITY_DOC,
)
def identity_delivery(args: ResourceValidationArgs, report: ReportViolation) -> None:
    destination = known(args.props, "destination")
    if destination is None or destination is UNKNOWN:
        return
    endpoint_type = known(destination, "endpointType")
    if endpoint_type in IDENTITY_CAPABLE:
        report(
            f"{label(args)}: delivers to a {endpoint_type} with Event Grid's identity; "
            "use deliveryWithResourceIdentity."
        )


@resource_rule(
    name="eventgrid-identity-dead-letter",
    description="Event subscriptions dead-letter with a managed identity.",
    types=[SYSTEM_TOPIC_SUBSCRIPTION],
    severity=Severity.MEDIUM,
    remediation="Give the system topic a managed identity with 'Storage Blob Data Contributor' on the "
    "dead-letter container, and move deadLetterDestination to deadLetterWithResourceIdentity "
    "{identity: {type: 'SystemAssigned'}, deadLetterDestination: ...}.",
    url=IDENTITY_DOC,
)
def identity_dead_letter(args: ResourceValidationArgs, report: ReportViolation) -> None:
    plain = known(args.props, "deadLetterDestination")
    if plain is not None and plain is not UNKNOWN:
        report(f"{label(args)}: dead-letters with Event Grid's identity; use deadLetterWithResourceIdentity.")


@resource_rule(
    name="eventgrid-retry-policy",
    description="Event subscriptions set a bounded retry policy.",
    types=[SYSTEM_TOPIC_SUBSCRIPTION],
    severity=Severity.LOW,
    remediation="Set retryPolicy with maxDeliveryAttempts (1 to 30) and eventTimeToLiveInMinutes (1 to 1440) "
    "chosen for the event: how long a late event is still worth delivering.",
    url=RETRY_DOC,
)
def retry_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    policy = known(args.props, "retryPolicy")
    if policy is UNKNOWN:
        return
    if policy is None:
        report(f"{label(args)}: has no retryPolicy; Azure's default retries for 24 hours.")
        return
    for key, bounds in (
        ("maxDeliveryAttempts", MAX_DELIVERY_ATTEMPTS),
        ("eventTimeToLiveInMinutes", EVENT_TIME_TO_LIVE_MINUTES),
    ):
        value = known(policy, key)
        if value is UNKNOWN:
            continue
        if value is None:
            report(f"{label(args)}: retryPolicy.{key} is not set.")
        elif out_of_range(value, bounds):
            report(
                f"{label(args)}: retryPolicy.{key} is {shown(value)}; it must be between {bounds[0]} and {bounds[1]}."
            )


@stack_rule(
    name="eventgrid-system-topic-diagnostic-logs",
    description="Every Event Grid system topic sends its delivery failure logs to Log Analytics through a "
    "diagnostic setting.",
    types=[SYSTEM_TOPIC, DIAGNOSTIC_SETTING],
    severity=Severity.MEDIUM,
    remediation="Add a monitor DiagnosticSetting whose resourceUri is the system topic's id, with a log entry "
    "{categoryGroup: 'allLogs' (or 'audit'), enabled: true} (or category 'DeliveryFailures') and the stack's "
    "Log Analytics workspace as workspaceId.",
    url=LOGS_DOC,
    builtin="0fff3e39-f422-45b0-b497-33a05b996d3e",
)
def system_topic_diagnostic_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    # allLogs or audit: what the built-in accepts under its categoryGroup parameter (README); like the
    # built-in, only a setting that sends to a Log Analytics workspace counts.
    groups, categories = DIAGNOSTIC_GROUPS, ("DeliveryFailures",)
    for topic in unlogged(args.resources, SYSTEM_TOPIC, groups, categories, to_workspace=True):
        report(f"{label(topic)}: no diagnostic setting enables its delivery failure logs.", topic.urn)


POLICIES = [
    webhook_https,
    dead_letter,
    identity_delivery,
    identity_dead_letter,
    retry_policy,
    system_topic_diagnostic_logs,
]
