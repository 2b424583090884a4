"""`preflight.adopt.read.read_inventory` against the fakes of ARM, the phone numbers and the SIP routing data planes,
through the real SDK clients, on the tenant of tests/adoption_tenant.py."""

import pytest

from preflight.adopt.inventory import (
    PhoneNumberFound,
    SipFound,
    SipTrunkFound,
    VoiceRouteFound,
)
from preflight.adopt.read import AdoptReadError, read_inventory
from tests.adoption_tenant import (
    CUSTOM_DOMAIN,
    EU,
    EU_HOST,
    GROUP_TAGS,
    QUEUE_ID,
    US,
    US_HOST,
    WEBHOOK_BASE_URL,
    WRITES,
    endpoints,
)


@pytest.fixture
def fakes(tenant_fakes):
    return tenant_fakes


def test_the_inventory_holds_what_was_seeded(fakes):
    tenant = fakes.tenant
    inventory = fakes.read()

    assert inventory.subscription_id == tenant.subscription
    assert inventory.resource_group == tenant.resource_group
    assert inventory.location == "westeurope"
    assert inventory.resource_group_tags == GROUP_TAGS
    assert inventory.unreadable == ()

    eu, us = inventory.services
    assert (eu.name, us.name) == (EU, US)  # sorted, though seeded the other way round
    assert eu.id == tenant.eu_id and us.id == tenant.us_id
    assert (eu.data_location, us.data_location) == ("Europe", "United States")
    assert (eu.host_name, us.host_name) == (EU_HOST, US_HOST)
    assert (eu.disable_local_auth, us.disable_local_auth) == (False, True)
    assert (eu.public_network_access, us.public_network_access) == ("Enabled", "Enabled")
    assert (eu.identity_type, us.identity_type) == ("SystemAssigned", "None")
    assert eu.user_assigned_identity_ids == () and us.user_assigned_identity_ids == ()
    assert (eu.tags, us.tags) == ({"team": "comms"}, {})
    assert eu.linked_domains == (tenant.azure_domain_id, tenant.custom_domain_id)
    assert us.linked_domains == ()

    assert eu.phone_numbers == (
        PhoneNumberFound(tenant.numbers[EU_HOST][0], "US", "geographic", "application", "none", "inbound+outbound"),
    )
    assert us.phone_numbers == tuple(
        PhoneNumberFound(n, "US", "tollFree", "application", "inbound+outbound", "none")
        for n in sorted(tenant.numbers[US_HOST])
    )
    assert all(n.phone_number.startswith("+") for n in eu.phone_numbers + us.phone_numbers)
    assert eu.sip is None
    assert us.sip == SipFound(
        trunks=(SipTrunkFound("sbc1.contoso.com", 5061), SipTrunkFound("sbc2.contoso.com", 5062)),
        routes=(
            VoiceRouteFound("emergency", r"^\+1911$", ("sbc1.contoso.com",), "to the first SBC"),
            VoiceRouteFound("all", r"^\+1\d{10}$", ("sbc2.contoso.com", "sbc1.contoso.com")),
        ),
    )

    (email,) = inventory.email_services
    assert (email.id, email.name, email.data_location, email.tags) == (
        tenant.email_service_id,
        "email-contoso-eu",
        "Europe",
        {"team": "comms"},
    )
    azure, custom = email.domains
    assert (azure.id, azure.name, azure.domain_management) == (
        tenant.azure_domain_id,
        "AzureManagedDomain",
        "AzureManaged",
    )
    assert (custom.id, custom.name, custom.domain_management) == (
        tenant.custom_domain_id,
        CUSTOM_DOMAIN,
        "CustomerManaged",
    )
    assert (azure.user_engagement_tracking, custom.user_engagement_tracking) == (False, True)
    all_verified = dict.fromkeys(("Domain", "SPF", "DKIM", "DKIM2", "DMARC"), "Verified")
    assert azure.verification_states == all_verified and custom.verification_states == all_verified
    assert [(s.id, s.name, s.username, s.display_name) for s in azure.senders] == [
        (tenant.sender_ids["AzureManagedDomain/DoNotReply"], "DoNotReply", "DoNotReply", None)
    ]
    assert [(s.name, s.username, s.display_name) for s in custom.senders] == [
        ("alerts", "alerts", "Contoso Alerts"),
        ("DoNotReply", "DoNotReply", "Do Not Reply"),
    ]
    assert azure.suppression_lists == ()
    (bounces,) = custom.suppression_lists
    assert (bounces.id, bounces.name, bounces.list_name) == (tenant.suppression_list_id, "bounces", "Bounced addresses")
    assert [(a.id, a.name, a.email, a.first_name, a.last_name, a.notes) for a in bounces.addresses] == [
        (tenant.address_ids["adam@example.com"], "a1", "adam@example.com", "Adam", "Smith", None),
        (tenant.address_ids["zoe@example.com"], "a2", "zoe@example.com", None, None, "hard bounce"),
    ]

    (topic,) = inventory.system_topics
    assert (topic.id, topic.source, topic.topic_type, topic.identity_type) == (
        tenant.topic_id,
        tenant.us_id,
        "Microsoft.Communication.CommunicationServices",
        "SystemAssigned",
    )
    queue, webhook = topic.subscriptions
    assert (queue.id, queue.name) == (tenant.queue_subscription_id, "sms-queue")
    assert queue.destination is None
    assert queue.delivery_with_resource_identity == {
        "identity": {"type": "SystemAssigned"},
        "destination": {"endpointType": "ServiceBusQueue", "properties": {"resourceId": QUEUE_ID}},
    }
    assert queue.included_event_types == ("Microsoft.Communication.SMSReceived",)
    assert queue.advanced_filters == ({"operatorType": "StringIn", "key": "data.to", "values": ["+18005550001"]},)
    assert (queue.max_delivery_attempts, queue.event_time_to_live_minutes) == (10, 60)
    assert queue.event_delivery_schema == "EventGridSchema" and queue.dead_letter is False

    assert (webhook.id, webhook.name) == (tenant.webhook_subscription_id, "sms-webhook")
    assert webhook.destination["endpointType"] == "WebHook"
    assert webhook.destination["properties"]["endpointBaseUrl"] == WEBHOOK_BASE_URL
    assert "endpointUrl" not in webhook.destination["properties"]
    assert webhook.delivery_with_resource_identity is None
    assert webhook.subject_begins_with == "phonenumber/" and webhook.subject_ends_with is None
    assert webhook.event_delivery_schema == "CloudEventSchemaV1_0"
    assert (webhook.max_delivery_attempts, webhook.event_time_to_live_minutes) == (30, 1440)
    assert webhook.dead_letter is True


def test_a_second_read_is_equal_and_every_call_is_a_get(fakes):
    first = fakes.read()
    second = fakes.read()
    assert first == second
    seen = fakes.methods()
    assert seen.get("GET", 0) > 0
    assert {method: seen.get(method, 0) for method in WRITES} == dict.fromkeys(WRITES, 0)
    assert not {"listKeys", "regenerateKey", "initiateVerification"} & set(fakes.arm.calls)


def test_listings_are_followed_across_pages(fakes):
    fakes.arm.page_size = 1  # every listing of two or more comes in pages
    inventory = fakes.read()
    assert [s.name for s in inventory.services] == [EU, US]
    assert len(inventory.email_services[0].domains) == 2
    assert len(inventory.system_topics[0].subscriptions) == 2
    assert fakes.arm.calls["listServices"] == 2
    assert fakes.arm.calls["listEventSubscriptions"] == 2


def test_numbers_listed_without_plus_are_read_in_e164(fakes):
    fakes.numbers[US_HOST].list_without_plus = True
    inventory = fakes.read()
    us = inventory.services[1]
    assert [n.phone_number for n in us.phone_numbers] == sorted(fakes.tenant.numbers[US_HOST])


def test_a_refused_data_plane_leaves_that_part_unread_and_the_rest_read(fakes):
    fakes.numbers[US_HOST].fail_next("list", 403)
    inventory = fakes.read()
    eu, us = inventory.services
    assert us.phone_numbers is None
    assert us.sip is not None and len(us.sip.routes) == 2
    assert eu.phone_numbers is not None and len(eu.phone_numbers) == 1
    (unreadable,) = inventory.unreadable
    assert unreadable.what == f"phone numbers of {US}"
    assert unreadable.why.startswith("403 Scripted")
    assert "fake-token" not in unreadable.why
    assert len(inventory.email_services[0].domains) == 2 and len(inventory.system_topics) == 1


def test_an_unreachable_data_plane_is_unreadable(fakes):
    def nowhere(host_name):
        return "https://127.0.0.1:9" if host_name == EU_HOST else fakes.sip[host_name].url

    inventory = read_inventory(
        fakes.tenant.subscription,
        fakes.tenant.resource_group,
        fakes.credential,
        arm_endpoint=fakes.arm.url,
        data_plane_endpoint=endpoints(fakes.numbers),
        sip_endpoint=nowhere,
        client_kwargs={"connection_verify": str(fakes.certificate[0])},
        clock=fakes.clock,
    )
    eu, us = inventory.services
    assert eu.sip is None and us.sip is not None
    (unreadable,) = inventory.unreadable
    assert unreadable.what == f"Direct Routing (SIP) of {EU}"
    assert unreadable.why.startswith("cannot connect")


def test_a_missing_group_raises_naming_subscription_and_group(fakes):
    with pytest.raises(AdoptReadError) as raised:
        fakes.read(resource_group="rg-nowhere")
    message = str(raised.value)
    assert "rg-nowhere" in message and fakes.tenant.subscription in message
    assert "ResourceGroupNotFound" in message and "Reader" in message


def test_a_refused_group_names_the_role_needed(fakes):
    fakes.arm.fail_next("getResourceGroup", 403)
    with pytest.raises(AdoptReadError) as raised:
        fakes.read()
    message = str(raised.value)
    assert "403" in message and "Reader" in message and fakes.tenant.resource_group in message


def test_a_throttled_listing_is_retried_after_its_retry_after(fakes):
    fakes.arm.fail_next("listServices", 429, times=2, retry_after=7)
    fakes.numbers[EU_HOST].fail_next("list", 429, retry_after=3)
    inventory = fakes.read()
    assert [s.name for s in inventory.services] == [EU, US]
    assert inventory.services[0].phone_numbers is not None and inventory.unreadable == ()
    assert fakes.arm.calls["listServices"] == 3
    assert fakes.clock.slept.count(7) == 2 and 3 in fakes.clock.slept


def test_throttling_without_end_is_bounded(fakes):
    fakes.arm.fail_next("listServices", 429, times=50, retry_after=7)
    with pytest.raises(AdoptReadError) as raised:
        fakes.read()
    assert "429" in str(raised.value)
    assert fakes.arm.calls["listServices"] == 5  # RETRY_TOTAL retries after the first attempt


def test_a_custom_domain_s_records_are_read_and_the_azure_managed_one_has_none(fakes):
    (service,) = fakes.read().email_services
    managed, custom = service.domains
    assert managed.verification_records == ()
    records = {r.verification: (r.type, r.name) for r in custom.verification_records}
    assert records["Domain"] == ("TXT", "@")
    assert records["DKIM"] == ("CNAME", "selector1-azurecomm-prod-net._domainkey")
    assert set(records) == {"Domain", "SPF", "DKIM", "DKIM2", "DMARC"}
