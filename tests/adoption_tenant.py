"""The tenant issue 16 describes, seeded into the fakes, for the tests of `python -m preflight adopt`.

    with FakeArm(cert, key) as arm, ExitStack() as stack:
        numbers = {host: stack.enter_context(FakePhoneNumbers(cert, key)) for host in HOSTS}
        sip = {host: stack.enter_context(FakeSipRouting(cert, key)) for host in HOSTS}
        tenant = seed_tenant(arm, numbers, sip)
        read_inventory(tenant.subscription, tenant.resource_group, credential, arm_endpoint=arm.url,
                       data_plane_endpoint=endpoints(numbers), sip_endpoint=endpoints(sip), ...)

One resource group holds two ACS resources:
- acs-contoso-eu: dataLocation Europe, local auth enabled, a system-assigned identity, tags {"team": "comms"},
  both domains of email-contoso-eu linked; one US geographic number (calling inbound+outbound); no Direct Routing;
- acs-contoso-us: dataLocation United States, disableLocalAuth true, no identity; two US toll-free numbers
  (SMS inbound+outbound); Direct Routing with two trunks and two routes; an Event Grid system topic
  (system-assigned identity) with a subscription to a Service Bus queue delivered with that identity and a
  webhook subscription.
And an email service email-contoso-eu (Europe) with its AzureManagedDomain and the custom domain mail.contoso.com,
every record of both Verified; senders DoNotReply on both and alerts ("Contoso Alerts") on the custom one; a
suppression list "bounces" with two addresses on the custom one.

Resources are seeded out of name order, so that a reader that does not sort shows it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from preflight.adopt.read import read_inventory
from tests.fake_arm import RECORD_TYPES, SUBSCRIPTION, FakeArm
from tests.fake_phone_numbers import FakePhoneNumbers
from tests.fake_sip_routing import FakeSipRouting

RESOURCE_GROUP = "rg-contoso-comms"
LOCATION = "westeurope"
GROUP_TAGS = {"env": "prod", "owner": "platform"}
EU, US = "acs-contoso-eu", "acs-contoso-us"
EU_HOST, US_HOST = f"{EU}.communication.azure.com", f"{US}.communication.azure.com"
HOSTS = (EU_HOST, US_HOST)
EMAIL_SERVICE = "email-contoso-eu"
CUSTOM_DOMAIN = "mail.contoso.com"
TOPIC = "acs-contoso-us-events"
EU_PRINCIPAL = "3a9a3f6e-6c1e-4d3b-9a57-2f1c0e7d8b11"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TOPIC_PRINCIPAL = "9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
QUEUE_ID = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.ServiceBus"
    "/namespaces/sb-contoso/queues/acs-sms"
)
WEBHOOK_BASE_URL = "https://hooks.contoso.com/api/acs-events"
TRUNKS = {"sbc1.contoso.com": 5061, "sbc2.contoso.com": 5062}
ROUTES = [
    {
        "name": "emergency",
        "description": "to the first SBC",
        "numberPattern": r"^\+1911$",
        "trunks": ["sbc1.contoso.com"],
    },
    {"name": "all", "numberPattern": r"^\+1\d{10}$", "trunks": ["sbc2.contoso.com", "sbc1.contoso.com"]},
]


@dataclass(frozen=True)
class Tenant:
    subscription: str
    resource_group: str
    location: str
    eu_id: str  # acs-contoso-eu's resource id
    us_id: str
    email_service_id: str
    azure_domain_id: str
    custom_domain_id: str
    sender_ids: dict[str, str]  # "<domain>/<username>" -> id
    suppression_list_id: str
    address_ids: dict[str, str]  # email -> id
    numbers: dict[str, list[str]]  # ACS host name -> its numbers, E.164
    topic_id: str
    queue_subscription_id: str
    webhook_subscription_id: str
    queue_subscription: dict[str, Any]  # the properties seeded, as ARM answers a GET
    webhook_subscription: dict[str, Any]


def endpoints(fakes_by_host: Mapping[str, Any]) -> Callable[[str], str]:
    """`data_plane_endpoint` / `sip_endpoint` for `read_inventory`: an ACS host name -> its fake's URL."""
    return lambda host_name: fakes_by_host[host_name].url


def seed_tenant(
    arm: FakeArm,
    numbers_by_host: Mapping[str, FakePhoneNumbers],
    sip_by_host: Mapping[str, FakeSipRouting],
    subscription: str = SUBSCRIPTION,
    resource_group: str = RESOURCE_GROUP,
) -> Tenant:
    """Seeds the tenant above into `arm` and the data-plane fakes (keyed by ACS host name, EU_HOST and US_HOST)."""
    arm.add_resource_group(subscription, resource_group, LOCATION, GROUP_TAGS)
    email_id = arm.add_email_service(subscription, resource_group, EMAIL_SERVICE, "Europe", {"team": "comms"})
    verified = dict.fromkeys(RECORD_TYPES, "Verified")
    custom_id = arm.add_domain(
        subscription, resource_group, EMAIL_SERVICE, CUSTOM_DOMAIN, verified, user_engagement_tracking=True
    )
    azure_id = arm.add_domain(
        subscription, resource_group, EMAIL_SERVICE, "AzureManagedDomain", verified, domain_management="AzureManaged"
    )
    us_id = arm.add_acs(subscription, resource_group, US, data_location="United States", disable_local_auth=True)
    eu_id = arm.add_acs(
        subscription,
        resource_group,
        EU,
        data_location="Europe",
        identity={"type": "SystemAssigned", "principalId": EU_PRINCIPAL, "tenantId": TENANT_ID},
        tags={"team": "comms"},
        linked_domains=[azure_id, custom_id],
    )
    senders = {
        f"{CUSTOM_DOMAIN}/DoNotReply": arm.add_sender(custom_id, "DoNotReply", "Do Not Reply"),
        f"{CUSTOM_DOMAIN}/alerts": arm.add_sender(custom_id, "alerts", "Contoso Alerts"),
        "AzureManagedDomain/DoNotReply": arm.add_sender(azure_id, "DoNotReply"),
    }
    list_id = arm.add_suppression_list(custom_id, "bounces", "Bounced addresses")
    addresses = {
        "zoe@example.com": arm.add_suppressed_address(list_id, "a2", "zoe@example.com", notes="hard bounce"),
        "adam@example.com": arm.add_suppressed_address(list_id, "a1", "adam@example.com", "Adam", "Smith"),
    }
    topic_id = arm.add_system_topic(
        subscription,
        resource_group,
        TOPIC,
        us_id,
        identity={"type": "SystemAssigned", "principalId": TOPIC_PRINCIPAL, "tenantId": TENANT_ID},
    )
    queue = {
        "deliveryWithResourceIdentity": {
            "identity": {"type": "SystemAssigned"},
            "destination": {"endpointType": "ServiceBusQueue", "properties": {"resourceId": QUEUE_ID}},
        },
        "filter": {
            "includedEventTypes": ["Microsoft.Communication.SMSReceived"],
            "advancedFilters": [{"operatorType": "StringIn", "key": "data.to", "values": ["+18005550001"]}],
        },
        "eventDeliverySchema": "EventGridSchema",
        "retryPolicy": {"maxDeliveryAttempts": 10, "eventTimeToLiveInMinutes": 60},
        "labels": [],
    }
    webhook = {
        "destination": {
            "endpointType": "WebHook",
            "properties": {
                "endpointBaseUrl": WEBHOOK_BASE_URL,
                "maxEventsPerBatch": 1,
                "preferredBatchSizeInKilobytes": 64,
            },
        },
        "filter": {
            "includedEventTypes": [
                "Microsoft.Communication.SMSDeliveryReportReceived",
                "Microsoft.Communication.SMSReceived",
            ],
            "subjectBeginsWith": "phonenumber/",
        },
        "eventDeliverySchema": "CloudEventSchemaV1_0",
        "retryPolicy": {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440},
        "deadLetterDestination": {
            "endpointType": "StorageBlob",
            "properties": {
                "resourceId": f"{QUEUE_ID.split('/providers/')[0]}/providers/Microsoft.Storage"
                "/storageAccounts/stcontoso",
                "blobContainerName": "deadletters",
            },
        },
    }
    # Out of name order: the webhook first.
    webhook_id = arm.add_event_subscription(topic_id, "sms-webhook", webhook)
    queue_id = arm.add_event_subscription(topic_id, "sms-queue", queue)
    # Each fake numbers its own from +18005550001: the EU one starts further on, so no number is on both.
    numbers_by_host[EU_HOST]._sequence = max(numbers_by_host[EU_HOST]._sequence, 100)
    numbers = {
        US_HOST: numbers_by_host[US_HOST].add_purchased(
            "US", "tollFree", 2, sms="inbound+outbound", calling="none", assignment_type="application"
        ),
        EU_HOST: numbers_by_host[EU_HOST].add_purchased(
            "US", "geographic", 1, sms="none", calling="inbound+outbound", assignment_type="application"
        ),
    }
    sip_by_host[US_HOST].configure(TRUNKS, ROUTES)
    return Tenant(
        subscription=subscription,
        resource_group=resource_group,
        location=LOCATION,
        eu_id=eu_id,
        us_id=us_id,
        email_service_id=email_id,
        azure_domain_id=azure_id,
        custom_domain_id=custom_id,
        sender_ids=senders,
        suppression_list_id=list_id,
        address_ids=addresses,
        numbers=numbers,
        topic_id=topic_id,
        queue_subscription_id=queue_id,
        webhook_subscription_id=webhook_id,
        queue_subscription=queue,
        webhook_subscription=webhook,
    )


WRITES = ("PUT", "PATCH", "POST", "DELETE")


class Fakes:
    """The seeded fakes of one test, and the read of them as `adopt` makes it."""

    def __init__(self, arm, numbers, sip, tenant, certificate, credential, clock):
        self.arm, self.numbers, self.sip, self.tenant = arm, numbers, sip, tenant
        self.certificate, self.credential, self.clock = certificate, credential, clock

    def read(self, resource_group=None, subscription=None, credential=None):
        return read_inventory(
            subscription or self.tenant.subscription,
            resource_group or self.tenant.resource_group,
            credential or self.credential,
            arm_endpoint=self.arm.url,
            data_plane_endpoint=endpoints(self.numbers),
            sip_endpoint=endpoints(self.sip),
            client_kwargs={"connection_verify": str(self.certificate[0])},
            clock=self.clock,
        )

    def methods(self):
        """Every request any fake saw, counted by HTTP method."""
        seen = dict(self.arm.methods)
        for fake in self.sip.values():
            for method, count in fake.calls.items():
                seen[method] = seen.get(method, 0) + count
        for fake in self.numbers.values():
            for method, count in fake.methods.items():
                seen[method] = seen.get(method, 0) + count
        return seen
