"""What `adopt` writes from what it found: exactly what the stack can declare as it is, marked to be
adopted, and the rest left alone with the reason. The inventories here are made by hand; the whole
command against fakes of Azure is in tests/test_adopt_command.py."""

import dataclasses
from pathlib import Path

import pytest

from preflight.adopt import AdoptError, StackOptions, adopt
from preflight.adopt.inventory import (
    AcsFound,
    DnsRecordFound,
    DomainFound,
    EmailServiceFound,
    EventSubscriptionFound,
    Inventory,
    PhoneNumberFound,
    SenderFound,
    SystemTopicFound,
)
from preflight.adopt.stack_file import build
from preflight.stack_yaml import read_yaml
from tests.stacks import REPO, TENANT
from tests.test_adoption import GROUP, PROVIDERS, SUB
from tests.test_adoption import SERVICE_ID as SERVICE

ACS = f"{PROVIDERS}/Microsoft.Communication/communicationServices/acs-comms"
MANAGED = f"{SERVICE}/domains/AzureManagedDomain"
CUSTOM = f"{SERVICE}/domains/mail.contoso.com"
TOPIC = f"{PROVIDERS}/Microsoft.EventGrid/systemTopics/acs-comms-events"
QUEUE = f"/subscriptions/{SUB}/resourceGroups/rg-apps/providers/Microsoft.ServiceBus/namespaces/sb/queues/sms"
OPTIONS = StackOptions(tier="dev", tenant_id=TENANT, owner=None, cost_center=None)


def number(phone: str, number_type: str = "tollFree", sms: str = "inbound+outbound", calling: str = "none"):
    return PhoneNumberFound(phone, "US", number_type, "application", sms, calling)


def event_subscription(name: str, **changes) -> EventSubscriptionFound:
    found = EventSubscriptionFound(
        id=f"{TOPIC}/eventSubscriptions/{name}",
        name=name,
        included_event_types=("Microsoft.Communication.SMSReceived",),
        subject_begins_with=None,
        subject_ends_with=None,
        advanced_filters=(),
        event_delivery_schema="EventGridSchema",
        max_delivery_attempts=5,
        event_time_to_live_minutes=60,
        expiration_time_utc=None,
        destination=None,
        delivery_with_resource_identity={
            "identity": {"type": "SystemAssigned"},
            "destination": {"endpointType": "ServiceBusQueue", "properties": {"resourceId": QUEUE}},
        },
        dead_letter=False,
    )
    return dataclasses.replace(found, **changes)


def inventory(**changes) -> Inventory:
    verified = dict.fromkeys(("Domain", "SPF", "DKIM", "DKIM2"), "Verified")
    found = Inventory(
        subscription_id=SUB,
        resource_group=GROUP,
        location="westeurope",
        resource_group_tags={"Owner": "comms@contoso.com", "cost-center": "CC-1"},
        services=(
            AcsFound(
                id=ACS,
                name="acs-comms",
                data_location="Europe",
                host_name="acs-comms.europe.communication.azure.com",
                disable_local_auth=True,
                public_network_access="Enabled",
                identity_type="SystemAssigned",
                user_assigned_identity_ids=(),
                tags={"team": "comms", "environment": "old"},
                linked_domains=(MANAGED, CUSTOM),
                phone_numbers=(number("+18005550001"), number("+18005550002"), number("+18005550003", "geographic")),
            ),
        ),
        email_services=(
            EmailServiceFound(
                id=SERVICE,
                name="email-comms",
                data_location="Europe",
                domains=(
                    DomainFound(
                        MANAGED,
                        "AzureManagedDomain",
                        "AzureManaged",
                        False,
                        {},
                        senders=(
                            SenderFound(f"{MANAGED}/senderUsernames/DoNotReply", "DoNotReply", "DoNotReply", None),
                        ),
                    ),
                    DomainFound(
                        CUSTOM,
                        "mail.contoso.com",
                        "CustomerManaged",
                        True,
                        verified,
                        senders=(SenderFound(f"{CUSTOM}/senderUsernames/alerts", "alerts", "alerts", "Alerts"),),
                    ),
                ),
            ),
        ),
        system_topics=(
            SystemTopicFound(
                TOPIC,
                "acs-comms-events",
                ACS,
                "Microsoft.Communication.CommunicationServices",
                "None",
                subscriptions=(
                    event_subscription("sms"),
                    event_subscription(
                        "hook",
                        destination={"endpointType": "WebHook", "properties": {"endpointBaseUrl": "https://h.example"}},
                        delivery_with_resource_identity=None,
                    ),
                    event_subscription("lost", dead_letter=True),
                ),
            ),
        ),
    )
    return dataclasses.replace(found, **changes)


def test_what_exists_is_written_as_it_is():
    written = build(inventory(), OPTIONS)
    (instance,) = written.config["acs-platform:instances"]
    assert instance["name"] == "acs-comms" and instance["disableLocalAuth"] is True
    assert instance["tags"] == {"team": "comms"}  # `environment` is the stack's own tag
    assert instance["email"]["serviceName"] == "email-comms"
    managed, custom = instance["email"]["domains"]
    assert managed == {
        "name": "AzureManagedDomain",
        "senders": [{"username": "DoNotReply", "resourceName": "DoNotReply"}],
    }
    assert custom["engagementTracking"] is True
    assert custom["senders"] == [{"username": "alerts", "displayName": "Alerts"}]
    assert instance["events"]["topicName"] == "acs-comms-events"
    assert instance["events"]["subscriptions"] == [
        {
            "name": "sms",
            "eventTypes": ["Microsoft.Communication.SMSReceived"],
            "destination": {"serviceBusQueue": {"resourceId": QUEUE}},
            "deliverySchema": "EventGridSchema",
            "maxDeliveryAttempts": 5,
            "eventTimeToLiveMinutes": 60,
            "deadLetter": False,
        }
    ]
    assert written.config["acs-platform:owner"] == "comms@contoso.com"  # the group's Owner tag, any case
    assert written.config["acs-platform:resourceGroup"] == {"name": GROUP, "existing": True}


def test_numbers_go_to_one_pool_per_kind_that_buys_nothing():
    (instance,) = build(inventory(), OPTIONS).config["acs-platform:instances"]
    pools = instance["phoneNumbers"]["pools"]
    assert [(p["name"], p["quantity"], p["adoptNumbers"]) for p in pools] == [
        ("us-geographic", 1, ["+18005550003"]),
        ("us-tollfree", 2, ["+18005550001", "+18005550002"]),
    ]


def test_every_written_resource_is_marked_and_only_those():
    written = build(inventory(), OPTIONS)
    assert written.adopted == written.config["acs-platform:adopt"]
    assert set(written.adopted) == {
        ACS,
        SERVICE,
        MANAGED,
        f"{MANAGED}/senderUsernames/DoNotReply",
        CUSTOM,
        f"{CUSTOM}/senderUsernames/alerts",
        TOPIC,
        f"{TOPIC}/eventSubscriptions/sms",
    }


def test_what_cannot_be_declared_as_it_is_is_left_alone_with_the_reason():
    left = build(inventory(), OPTIONS).left_alone
    assert any(line.startswith("event subscription hook of acs-comms-events: a webhook's URL") for line in left)
    assert any(line.startswith("event subscription lost of acs-comms-events: it dead-letters") for line in left)


def test_a_domain_in_exchange_online_is_written_as_such():
    service = inventory().email_services[0]
    exchange = dataclasses.replace(service.domains[1], domain_management="CustomerManagedInExchangeOnline")
    found = inventory(email_services=(dataclasses.replace(service, domains=(service.domains[0], exchange)),))
    written = build(found, OPTIONS)
    assert CUSTOM in written.adopted
    domains = written.config["acs-platform:instances"][0]["email"]["domains"]
    assert domains[1]["domainManagement"] == "CustomerManagedInExchangeOnline"
    assert "domainManagement" not in domains[0]  # AzureManagedDomain: it follows from the name


def test_an_email_service_in_another_geography_is_the_stack_s_own_and_not_linked():
    service = dataclasses.replace(inventory().email_services[0], data_location="United States")
    written = build(inventory(email_services=(service,)), OPTIONS)
    (instance,) = written.config["acs-platform:instances"]
    assert "email" not in instance and "linkedDomains" not in instance
    assert written.config["acs-platform:emailServices"][0]["name"] == "email-comms"
    assert SERVICE in written.adopted
    assert any(line.startswith("the link of acs-comms to email-comms/") for line in written.left_alone)


def test_an_email_service_no_instance_links_is_the_stack_s_own():
    service = dataclasses.replace(
        inventory().email_services[0], name="email-spare", id=SERVICE.replace("email-comms", "email-spare"), domains=()
    )
    found = inventory(email_services=(*inventory().email_services, service))
    written = build(found, OPTIONS)
    (spare,) = written.config["acs-platform:emailServices"]
    assert spare["name"] == "email-spare" and spare["dataLocation"] == "Europe"
    assert service.id in written.adopted
    assert written.config["acs-platform:instances"][0]["email"]["serviceName"] == "email-comms"


def test_an_email_service_two_instances_link_is_the_stack_s_own_and_both_link_it(tmp_path):
    first = inventory().services[0]
    second = dataclasses.replace(
        first, id=ACS.replace("acs-comms", "acs-comms-2"), name="acs-comms-2", linked_domains=(MANAGED,)
    )
    written = build(inventory(services=(first, second)), OPTIONS)
    assert written.config["acs-platform:emailServices"][0]["name"] == "email-comms"
    instances = {i["name"]: i for i in written.config["acs-platform:instances"]}
    assert instances["acs-comms"]["linkedDomains"] == ["email-comms/AzureManagedDomain", "email-comms/mail.contoso.com"]
    assert instances["acs-comms-2"]["linkedDomains"] == ["email-comms/AzureManagedDomain"]
    assert "email" not in instances["acs-comms"]
    # The file plans, importing the service and its domains under the shared component.
    adoption = adopt(inventory(services=(first, second)), OPTIONS, REPO, tmp_path / "Pulumi.two.yaml", "two", echo=str)
    assert SERVICE in adoption.adopted


def test_missing_owner_and_tenant_are_asked_for():
    with pytest.raises(AdoptError, match=r"needs --owner, --tenant-id"):
        build(inventory(resource_group_tags={"cost-center": "CC-1"}), StackOptions("dev", None, None, None))


def test_a_group_without_acs_has_nothing_to_adopt():
    with pytest.raises(AdoptError, match="has no ACS resource"):
        build(inventory(services=(), system_topics=()), OPTIONS)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, str]:
    target = tmp_path_factory.mktemp("adopt") / "Pulumi.adopted.yaml"
    lines: list[str] = []
    adopt(inventory(), OPTIONS, REPO, target, "adopted", echo=lines.append)
    return target, "\n".join(lines)


def test_the_file_written_is_a_stack_file_the_cli_reads(written):
    target, _ = written
    config = read_yaml(target)["config"]
    assert config["acs-platform:adopt"][0] == ACS
    assert target.read_text().startswith("# Written by `python -m preflight adopt --subscription")


def test_it_says_what_it_found_what_it_left_and_what_the_first_up_does(written):
    _, said = written
    assert "ACS resource acs-comms (Europe): email service email-comms" in said
    assert "8 resources to adopt" in said
    assert "event subscription hook of acs-comms-events" in said
    assert "imports 8 resources as they are" in said
    assert "takes 3 phone numbers into pools and buys none" in said


def test_an_existing_stack_file_is_kept(written):
    target, _ = written
    before = target.read_text()
    with pytest.raises(AdoptError, match="exists already"):
        adopt(inventory(), OPTIONS, REPO, target, "adopted")
    assert target.read_text() == before


def test_a_stack_file_that_would_not_plan_is_not_written(tmp_path):
    bad = dataclasses.replace(inventory().services[0], data_location="Atlantis")
    target = tmp_path / "Pulumi.adopted.yaml"
    with pytest.raises(Exception, match="Atlantis"):
        adopt(inventory(services=(bad,), email_services=()), OPTIONS, REPO, target, "adopted")
    assert not target.exists()


def test_a_domain_not_verified_yet_is_adopted_and_its_records_are_said():
    service = inventory().email_services[0]
    pending = dataclasses.replace(
        service.domains[1],
        verification_states={"Domain": "Verified", "SPF": "NotStarted", "DKIM": "Verified", "DKIM2": "Verified"},
        verification_records=(
            DnsRecordFound("Domain", "TXT", "@", "ms-domain-verification=abc", 3600),
            DnsRecordFound("SPF", "TXT", "@", "v=spf1 include:spf.protection.outlook.com -all", 3600),
        ),
    )
    found = inventory(email_services=(dataclasses.replace(service, domains=(service.domains[0], pending)),))
    written = build(found, OPTIONS)
    assert CUSTOM in written.adopted
    (line,) = [line for line in written.left_alone if line.startswith("domain mail.contoso.com")]
    assert "SPF not verified yet" in line
    assert "TXT @ v=spf1 include:spf.protection.outlook.com -all" in line
    assert "ms-domain-verification" not in line  # that record is verified already
