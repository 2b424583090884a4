"""Event Grid for ACS events: a global system topic per instance, subscriptions to every kind of
destination, dead letters written by the topic's identity, and roles on one resource each, granted
once per topic however many subscriptions need them."""

import pytest

from components.access import RoleAssignmentArgs, assignment_name
from stackconfig import roles
from tests.stacks import (
    ACS,
    BLOB_CONTAINER,
    DIAGNOSTIC_SETTING,
    EVENT_SUBSCRIPTION,
    ROLE_ASSIGNMENT,
    STORAGE_ACCOUNT,
    SYSTEM_TOPIC,
    WORKSPACE,
    minimal_config,
    one,
    plan_config,
    sources,
    with_changes,
)

BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
RESOURCES = "/subscriptions/6f1c2a52-4f0e-4b8e-9d0a-5d3f2c1b7a10/resourceGroups/rg-apps/providers"
QUEUE = f"{RESOURCES}/Microsoft.ServiceBus/namespaces/sb-apps/queues/sms"
TOPIC = f"{RESOURCES}/Microsoft.ServiceBus/namespaces/sb-apps/topics/calls"
HUB = f"{RESOURCES}/Microsoft.EventHub/namespaces/eh-apps/eventhubs/chat"
FUNCTION = f"{RESOURCES}/Microsoft.Web/sites/func-apps/functions/OnEmail"
ACCOUNT = f"{RESOURCES}/Microsoft.Storage/storageAccounts/stapps"
# What the azure-native SDK sends for webhook and function destinations when none is given.
SDK_BATCH_DEFAULTS = {"maxEventsPerBatch": 1, "preferredBatchSizeInKilobytes": 64}

SUBSCRIPTIONS = [
    {
        "name": "to-webhook",
        "eventTypes": ["Microsoft.Communication.SMSReceived"],
        "destination": {
            "webhook": {
                "url": "https://hooks.contoso.example/sms",
                "entraTenantId": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
                "entraApplicationIdOrUri": "api://hooks",
            }
        },
        "subjectBeginsWith": "phonenumber/+1",
        "advancedFilters": [{"operatorType": "StringIn", "key": "data.to", "values": ["+18005550100"]}],
        "deliverySchema": "CloudEventSchemaV1_0",
        "maxDeliveryAttempts": 5,
        "eventTimeToLiveMinutes": 60,
        "expiresOn": "2027-06-30T00:00:00Z",
    },
    {
        "name": "to-function",
        "eventTypes": ["Microsoft.Communication.EmailDeliveryReportReceived"],
        "destination": {"azureFunction": {"resourceId": FUNCTION}},
    },
    {
        "name": "to-queue",
        "eventTypes": ["Microsoft.Communication.SMSReceived"],
        "destination": {"serviceBusQueue": {"resourceId": QUEUE}},
    },
    {
        # The same queue as to-queue, its id written in another case: one destination, one grant.
        "name": "to-queue-again",
        "eventTypes": ["Microsoft.Communication.SMSDeliveryReportReceived"],
        "destination": {"serviceBusQueue": {"resourceId": QUEUE.replace("/queues/sms", "/queues/SMS")}},
    },
    {
        "name": "to-topic",
        "eventTypes": ["Microsoft.Communication.IncomingCall"],
        "destination": {"serviceBusTopic": {"resourceId": TOPIC}},
    },
    {
        "name": "to-storage-queue",
        "eventTypes": ["Microsoft.Communication.CallEnded"],
        "destination": {"storageQueue": {"storageAccountId": ACCOUNT, "queueName": "calls"}},
    },
    {
        "name": "to-event-hub",
        "eventTypes": ["Microsoft.Communication.ChatMessageReceived"],
        "destination": {"eventHub": {"resourceId": HUB}},
        "deadLetter": False,
    },
]


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return plan_config(
        tmp_path_factory.mktemp("events"), minimal_config("prod", events={"subscriptions": SUBSCRIPTIONS})
    )


def subscription(plan, name: str):
    return next(s for s in plan.of_type(EVENT_SUBSCRIPTION) if s.inputs["eventSubscriptionName"] == name)


def test_one_global_system_topic_whose_source_is_the_acs_resource(plan):
    topic = one(plan, SYSTEM_TOPIC)
    assert topic.inputs["location"] == "global"
    assert topic.inputs["topicType"] == "Microsoft.Communication.CommunicationServices"
    assert topic.inputs["identity"] == {"type": "SystemAssigned"}
    assert topic.inputs["systemTopicName"] == "evgt-acs-test-eu"
    assert sources(topic, "source") == [one(plan, ACS).urn]


def test_the_topic_sends_its_logs_to_the_workspace(plan):
    topic = one(plan, SYSTEM_TOPIC)
    assert [s for s in plan.of_type(DIAGNOSTIC_SETTING) if sources(s, "resourceUri") == [topic.urn]]


def test_a_webhook_subscription_carries_filters_schema_retry_expiry_and_entra_settings(plan):
    hook = subscription(plan, "to-webhook").inputs
    assert hook["destination"] == {
        "endpointType": "WebHook",
        "endpointUrl": "https://hooks.contoso.example/sms",
        "azureActiveDirectoryTenantId": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
        "azureActiveDirectoryApplicationIdOrUri": "api://hooks",
        **SDK_BATCH_DEFAULTS,
    }
    assert hook["filter"] == {
        "includedEventTypes": ["Microsoft.Communication.SMSReceived"],
        "subjectBeginsWith": "phonenumber/+1",
        "advancedFilters": [{"operatorType": "StringIn", "key": "data.to", "values": ["+18005550100"]}],
        "isSubjectCaseSensitive": False,  # the SDK's default
    }
    assert hook["eventDeliverySchema"] == "CloudEventSchemaV1_0"
    assert hook["retryPolicy"] == {"maxDeliveryAttempts": 5, "eventTimeToLiveInMinutes": 60}
    assert hook["expirationTimeUtc"] == "2027-06-30T00:00:00+00:00"


@pytest.mark.parametrize(
    ("name", "endpoint_type", "extra"),
    [
        ("to-queue", "ServiceBusQueue", {"resourceId": QUEUE}),
        ("to-topic", "ServiceBusTopic", {"resourceId": TOPIC}),
        ("to-storage-queue", "StorageQueue", {"resourceId": ACCOUNT, "queueName": "calls"}),
        ("to-event-hub", "EventHub", {"resourceId": HUB}),
    ],
)
def test_destinations_that_take_an_identity_are_delivered_with_the_topics(plan, name, endpoint_type, extra):
    inputs = subscription(plan, name).inputs
    assert "destination" not in inputs
    assert inputs["deliveryWithResourceIdentity"] == {
        "identity": {"type": "SystemAssigned"},
        "destination": {"endpointType": endpoint_type, **extra},
    }


def test_an_azure_function_is_a_direct_destination(plan):
    assert subscription(plan, "to-function").inputs["destination"] == {
        "endpointType": "AzureFunction",
        "resourceId": FUNCTION,
        **SDK_BATCH_DEFAULTS,
    }


def test_dead_letters_go_to_the_stack_container_with_the_topics_identity(plan):
    container = one(plan, BLOB_CONTAINER)
    account = one(plan, STORAGE_ACCOUNT)
    for name in ("to-webhook", "to-function", "to-queue", "to-topic", "to-storage-queue"):
        dead_letter = subscription(plan, name).inputs["deadLetterWithResourceIdentity"]
        assert dead_letter["identity"] == {"type": "SystemAssigned"}
        assert dead_letter["deadLetterDestination"]["blobContainerName"] == container.inputs["containerName"]
        assert sources(subscription(plan, name), "deadLetterWithResourceIdentity") == [account.urn]
    assert "deadLetterWithResourceIdentity" not in subscription(plan, "to-event-hub").inputs


def test_the_dead_letter_account_takes_no_keys_no_public_blobs_and_old_tls(plan):
    account = one(plan, STORAGE_ACCOUNT).inputs
    assert account["enableHttpsTrafficOnly"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["location"] == "westeurope"
    assert one(plan, BLOB_CONTAINER).inputs["publicAccess"] == "None"


def test_the_dead_letter_account_denies_every_network_but_trusted_azure_services(plan):
    # Event Grid writes dead letters with the topic's system-assigned identity, as a trusted service.
    rules = one(plan, STORAGE_ACCOUNT).inputs["networkRuleSet"]
    assert rules == {"bypass": "AzureServices", "defaultAction": "Deny"}


def test_prod_dead_letters_are_zone_redundant_and_soft_deleted_for_30_days(plan):
    account = one(plan, STORAGE_ACCOUNT)
    assert account.inputs["sku"] == {"name": "Standard_ZRS"}
    blobs = one(plan, BLOB_SERVICE)
    assert blobs.inputs["blobServicesName"] == "default"
    assert blobs.inputs["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert blobs.inputs["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert sources(blobs, "accountName") == [account.urn]


DEAD_LETTERING = {"subscriptions": [SUBSCRIPTIONS[2]]}


def test_dev_dead_letters_are_locally_redundant_and_soft_deleted_for_7_days(tmp_path):
    plan = plan_config(tmp_path, minimal_config("dev", events=DEAD_LETTERING))
    assert one(plan, STORAGE_ACCOUNT).inputs["sku"] == {"name": "Standard_LRS"}
    blobs = one(plan, BLOB_SERVICE).inputs
    assert blobs["deleteRetentionPolicy"]["days"] == blobs["containerDeleteRetentionPolicy"]["days"] == 7
    assert one(plan, STORAGE_ACCOUNT).inputs["networkRuleSet"]["defaultAction"] == "Deny"


def test_redundancy_and_soft_delete_days_come_from_config(tmp_path):
    config = with_changes(
        minimal_config("prod", events=DEAD_LETTERING),
        deadLetterStorage={"redundancy": "Standard_GZRS", "blobSoftDeleteDays": 90, "containerSoftDeleteDays": 14},
    )
    plan = plan_config(tmp_path, config)
    assert one(plan, STORAGE_ACCOUNT).inputs["sku"] == {"name": "Standard_GZRS"}
    blobs = one(plan, BLOB_SERVICE).inputs
    assert (blobs["deleteRetentionPolicy"]["days"], blobs["containerDeleteRetentionPolicy"]["days"]) == (90, 14)


def test_the_dead_letter_blob_service_sends_its_logs_to_the_workspace(plan):
    account = one(plan, STORAGE_ACCOUNT)
    [setting] = [s for s in plan.of_type(DIAGNOSTIC_SETTING) if sources(s, "resourceUri") == [account.urn]]
    assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    # Storage services name their metrics `Transaction`: they have no `AllMetrics` category.
    assert setting.inputs["metrics"] == [{"category": "Transaction", "enabled": True}]
    assert sources(setting, "workspaceId") == [one(plan, WORKSPACE).urn]


def grants(plan) -> dict[str, str]:
    """Role assignment name -> what it is scoped to (a URN, or the scope id when known)."""
    topic = one(plan, SYSTEM_TOPIC)
    found = {}
    for assignment in plan.of_type(ROLE_ASSIGNMENT):
        if sources(assignment, "principalId") == [topic.urn]:
            scope = sources(assignment, "scope") or [assignment.inputs["scope"]]
            found[assignment.inputs["roleAssignmentName"]] = scope[0]
    return found


def expected_name(scope_key: str, role: str) -> str:
    return assignment_name(RoleAssignmentArgs(scope_key, "", "", "evgt-acs-test-eu", "ServicePrincipal", role, ""))


DEAD_LETTER_GRANT = expected_name("acs-test-eu-deadletters", roles.STORAGE_BLOB_DATA_CONTRIBUTOR)
QUEUE_GRANT = expected_name("acs-test-eu-sb-apps-queues-sms", roles.SERVICE_BUS_DATA_SENDER)
TOPIC_GRANT = expected_name("acs-test-eu-sb-apps-topics-calls", roles.SERVICE_BUS_DATA_SENDER)
HUB_GRANT = expected_name("acs-test-eu-eh-apps-eventhubs-chat", roles.EVENT_HUBS_DATA_SENDER)
STORAGE_QUEUE_GRANT = expected_name(
    "acs-test-eu-stapps-queueservices-default-queues-calls", roles.STORAGE_QUEUE_DATA_MESSAGE_SENDER
)


def test_the_topic_identity_gets_each_role_on_one_resource_only_once(plan):
    container = one(plan, BLOB_CONTAINER)
    queue_scope = f"{ACCOUNT}/queueServices/default/queues/calls"
    # The webhook and the function take no role; the two subscriptions to one queue share one.
    assert grants(plan) == {
        DEAD_LETTER_GRANT: container.urn,
        QUEUE_GRANT: QUEUE,
        TOPIC_GRANT: TOPIC,
        HUB_GRANT: HUB,
        STORAGE_QUEUE_GRANT: queue_scope,
    }
    assert len(plan.of_type(ROLE_ASSIGNMENT)) == 5


def test_one_dead_letter_grant_for_the_topic_that_every_dead_lettering_subscription_waits_for(plan):
    container = one(plan, BLOB_CONTAINER)
    [grant] = [a for a in plan.of_type(ROLE_ASSIGNMENT) if sources(a, "scope") == [container.urn]]
    dead_lettering = [s for s in plan.of_type(EVENT_SUBSCRIPTION) if "deadLetterWithResourceIdentity" in s.inputs]
    assert len(dead_lettering) == 6
    assert all(grant.urn in s.dependencies for s in dead_lettering)


def test_the_grants_belong_to_the_topic_not_to_a_subscription(plan):
    for assignment in plan.of_type(ROLE_ASSIGNMENT):
        assert assignment.parent.endswith("::acs-test-eu-events")


def assignment_urn(plan, name: str) -> str:
    return next(a.urn for a in plan.of_type(ROLE_ASSIGNMENT) if a.inputs["roleAssignmentName"] == name)


@pytest.mark.parametrize(
    ("name", "needed"),
    [
        ("to-webhook", [DEAD_LETTER_GRANT]),
        ("to-function", [DEAD_LETTER_GRANT]),
        ("to-queue", [DEAD_LETTER_GRANT, QUEUE_GRANT]),
        ("to-queue-again", [DEAD_LETTER_GRANT, QUEUE_GRANT]),
        ("to-topic", [DEAD_LETTER_GRANT, TOPIC_GRANT]),
        ("to-storage-queue", [DEAD_LETTER_GRANT, STORAGE_QUEUE_GRANT]),
        ("to-event-hub", [HUB_GRANT]),
    ],
)
def test_each_subscription_is_created_after_exactly_the_grants_it_needs(plan, name, needed):
    # Event Grid checks the identity's access when the subscription is created.
    assignments = {a.urn for a in plan.of_type(ROLE_ASSIGNMENT)}
    waits_for = set(subscription(plan, name).dependencies) & assignments
    assert waits_for == {assignment_urn(plan, grant) for grant in needed}


def test_no_dead_lettering_no_storage_account(tmp_path):
    config = minimal_config(events={"subscriptions": [{**SUBSCRIPTIONS[2], "deadLetter": False}]})
    plan = plan_config(tmp_path, config)
    assert plan.of_type(STORAGE_ACCOUNT) == [] and plan.of_type(BLOB_CONTAINER) == []
    assert plan.of_type(BLOB_SERVICE) == []


def test_no_events_configured_no_topic(tmp_path):
    plan = plan_config(tmp_path, with_changes(minimal_config()))
    assert plan.of_type(SYSTEM_TOPIC) == [] and plan.of_type(EVENT_SUBSCRIPTION) == []
