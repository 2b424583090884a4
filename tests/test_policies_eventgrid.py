"""Event Grid system topic and subscription policies, judged by the real pack over gRPC."""

import pytest

from policies.resource_types import ACS_TOPIC_TYPE, DIAGNOSTIC_SETTING, SYSTEM_TOPIC, SYSTEM_TOPIC_SUBSCRIPTION
from tests.policy_harness import UNKNOWN, fixture, judge, urn, verdict_tests, violations_of

QUEUE = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ServiceBus/namespaces/sb/queues/events"
STORAGE = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stdeadletter"
SYSTEM_ASSIGNED = {"type": "SystemAssigned"}
RETRY = {"maxDeliveryAttempts": 10, "eventTimeToLiveInMinutes": 120}
BLOB = {"endpointType": "StorageBlob", "resourceId": STORAGE, "blobContainerName": "deadletter"}
DEAD_LETTER = {"identity": SYSTEM_ASSIGNED, "deadLetterDestination": BLOB}


def subscription(name: str, **inputs) -> object:
    base = {"eventSubscriptionName": f"evs-{name}", "systemTopicName": "egst-acs", "resourceGroupName": "rg"}
    return fixture(SYSTEM_TOPIC_SUBSCRIPTION, name, {**base, **inputs})


def webhook(url) -> dict:
    return {"endpointType": "WebHook", "endpointUrl": url}


def topic(name: str) -> object:
    inputs = {"systemTopicName": f"egst-{name}", "location": "global", "topicType": ACS_TOPIC_TYPE}
    return fixture(SYSTEM_TOPIC, name, inputs)


def diagnostics(name: str, target: str, logs: list) -> object:
    inputs = {"name": name, "resourceUri": "/id", "workspaceId": "/workspaces/log", "logs": logs}
    return fixture(DIAGNOSTIC_SETTING, name, inputs, property_dependencies={"resourceUri": [urn(SYSTEM_TOPIC, target)]})


@pytest.fixture(scope="module")
def result():
    return judge(
        [
            subscription(
                "identity",
                deliveryWithResourceIdentity={
                    "identity": SYSTEM_ASSIGNED,
                    "destination": {"endpointType": "ServiceBusQueue", "resourceId": QUEUE},
                },
                deadLetterWithResourceIdentity=DEAD_LETTER,
                retryPolicy=RETRY,
            ),
            subscription(
                "hook",
                destination=webhook("https://api.contoso.com/events"),
                deadLetterWithResourceIdentity=DEAD_LETTER,
                retryPolicy={"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440},
            ),
            subscription("plain-hook", destination=webhook("http://api.contoso.com/events?code=s3cret")),
            subscription(
                "plain-identity-hook",
                deliveryWithResourceIdentity={"identity": SYSTEM_ASSIGNED, "destination": webhook("HTTP://hook.local")},
                deadLetterDestination=BLOB,
                retryPolicy={"maxDeliveryAttempts": 31, "eventTimeToLiveInMinutes": 0},
            ),
            subscription(
                "plain-queue",
                destination={"endpointType": "ServiceBusQueue", "resourceId": QUEUE},
                deadLetterDestination=BLOB,
                retryPolicy={"maxDeliveryAttempts": 5},
            ),
            subscription(
                "plain-function",
                destination={"endpointType": "AzureFunction", "resourceId": "/sites/func/functions/f"},
                deadLetterWithResourceIdentity=DEAD_LETTER,
                retryPolicy=RETRY,
            ),
            # Values only a deployment knows: no rule may fail or crash on them.
            subscription(
                "unknown",
                destination=webhook(UNKNOWN),
                deadLetterWithResourceIdentity=UNKNOWN,
                retryPolicy={"maxDeliveryAttempts": UNKNOWN, "eventTimeToLiveInMinutes": UNKNOWN},
            ),
            topic("logged"),
            diagnostics("diag-logged", "logged", [{"categoryGroup": "allLogs", "enabled": True}]),
            topic("failures"),
            diagnostics("diag-failures", "failures", [{"category": "DeliveryFailures", "enabled": True}]),
            topic("silent"),
            topic("metrics-only"),
            diagnostics("diag-metrics-only", "metrics-only", []),
        ]
    )


FAILS = [
    ("eventgrid-webhook-https", "plain-hook", "evs-plain-hook: destination.endpointUrl is not https: "),
    (
        "eventgrid-webhook-https",
        "plain-identity-hook",
        "evs-plain-identity-hook: deliveryWithResourceIdentity.destination.endpointUrl is not https",
    ),
    ("eventgrid-dead-letter", "plain-hook", "evs-plain-hook: has no dead-letter destination"),
    ("eventgrid-identity-delivery", "plain-queue", "evs-plain-queue: delivers to a ServiceBusQueue"),
    ("eventgrid-identity-dead-letter", "plain-queue", "evs-plain-queue: dead-letters with Event Grid's identity"),
    ("eventgrid-identity-dead-letter", "plain-identity-hook", "evs-plain-identity-hook: dead-letters"),
    ("eventgrid-retry-policy", "plain-hook", "evs-plain-hook: has no retryPolicy"),
    ("eventgrid-retry-policy", "plain-queue", "evs-plain-queue: retryPolicy.eventTimeToLiveInMinutes is not set"),
    (
        "eventgrid-retry-policy",
        "plain-identity-hook",
        "evs-plain-identity-hook: retryPolicy.maxDeliveryAttempts is 31;",
    ),
    (
        "eventgrid-retry-policy",
        "plain-identity-hook",
        "evs-plain-identity-hook: retryPolicy.eventTimeToLiveInMinutes is 0;",
    ),
    ("eventgrid-system-topic-diagnostic-logs", "silent", "egst-silent: no diagnostic setting enables"),
    ("eventgrid-system-topic-diagnostic-logs", "metrics-only", "egst-metrics-only: no diagnostic setting"),
]

SUBSCRIPTION_POLICIES = sorted({p for p, _, _ in FAILS} - {"eventgrid-system-topic-diagnostic-logs"})
PASSES = [
    *[(policy, name) for policy in SUBSCRIPTION_POLICIES for name in ("identity", "unknown")],
    *[(policy, "hook") for policy in SUBSCRIPTION_POLICIES],
    ("eventgrid-identity-delivery", "plain-function"),  # Azure Functions take no identity delivery
    ("eventgrid-identity-delivery", "plain-hook"),
    ("eventgrid-webhook-https", "plain-queue"),
    ("eventgrid-dead-letter", "plain-queue"),
    ("eventgrid-system-topic-diagnostic-logs", "logged"),
    ("eventgrid-system-topic-diagnostic-logs", "failures"),
]


test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values = verdict_tests(FAILS, PASSES)


def test_a_webhook_url_in_a_message_drops_its_query_string(result):
    (violation,) = violations_of(result, "eventgrid-webhook-https", "plain-hook")
    assert "s3cret" not in violation.message


def test_system_topic_logs_agree_with_the_azure_policy_built_in(result):
    (meta,) = [p for p in result.policies if p.name == "eventgrid-system-topic-diagnostic-logs"]
    assert meta.framework_reference.endswith("0fff3e39-f422-45b0-b497-33a05b996d3e")
