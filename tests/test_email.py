"""Email end to end: service, domains, DNS records, verification, link, senders, suppression
lists and SMTP usernames, and an ACS resource that never waits on any of it."""

import pytest

from tests.stacks import (
    ACS,
    DOMAIN_VERIFICATION,
    EMAIL_DOMAIN,
    EMAIL_SERVICE,
    EVENT_SUBSCRIPTION,
    KEY_ROTATION,
    LINKED_DOMAINS,
    RECORD_SET,
    SECRET,
    SENDER,
    SMTP_USERNAME,
    SUPPRESSED_ADDRESS,
    SUPPRESSION_LIST,
    SYSTEM_TOPIC,
    depends_on_transitively,
    minimal_config,
    one,
    plan_config,
    sources,
)

DNS_SUBSCRIPTION = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
CUSTOM = {
    "name": "mail.contoso.com",
    "dnsZone": {"name": "contoso.com", "resourceGroup": "rg-dns"},
    "apexTxtRecords": ["v=spf1 include:_spf.google.com ~all"],
    "dmarc": "v=DMARC1; p=quarantine; rua=mailto:dmarc@contoso.com",
    "senders": [{"username": "DoNotReply"}, {"username": "billing", "displayName": "Contoso Billing"}],
    "suppressionLists": [{"name": "bounced", "addresses": [{"email": "gone@example.com", "notes": "hard bounce"}]}],
}
EMAIL = {
    "domains": [{"name": "AzureManagedDomain"}, CUSTOM, {"name": "news.fabrikam.com", "engagementTracking": True}],
    "smtpUsernames": [
        {
            "username": "legacy-app",
            "entraApplicationId": "0b8c7a1e-2f4d-4e6a-9c3b-5d7e9f1a2b3c",
            "tenantId": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
        }
    ],
}


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    config = minimal_config(
        "prod",
        email=EMAIL,
        disableLocalAuth=False,
        events={
            "subscriptions": [
                {
                    "name": "sms",
                    "eventTypes": ["Microsoft.Communication.SMSReceived"],
                    "destination": {"webhook": {"url": "https://x.example/sms"}},
                }
            ]
        },
    )
    return plan_config(tmp_path_factory.mktemp("email"), config)


def domain(plan, name: str):
    return next(d for d in plan.of_type(EMAIL_DOMAIN) if d.inputs["domainName"] == name)


def test_the_email_service_keeps_its_data_where_the_instance_does(plan):
    service = one(plan, EMAIL_SERVICE)
    assert service.inputs["dataLocation"] == one(plan, ACS).inputs["dataLocation"] == "Europe"
    assert service.inputs["location"] == "global"
    assert service.inputs["emailServiceName"] == "email-acs-test-eu"
    assert service.protect and service.replace_on_changes == ["dataLocation"]


def test_domains_are_azure_managed_or_customer_managed_without_tracking_unless_asked(plan):
    assert domain(plan, "AzureManagedDomain").inputs["domainManagement"] == "AzureManaged"
    assert domain(plan, "mail.contoso.com").inputs["domainManagement"] == "CustomerManaged"
    assert domain(plan, "mail.contoso.com").inputs["userEngagementTracking"] == "Disabled"
    assert domain(plan, "news.fabrikam.com").inputs["userEngagementTracking"] == "Enabled"


def test_a_custom_domain_in_a_zone_gets_its_verification_records(plan):
    records = {r.inputs["relativeRecordSetName"]: r for r in plan.of_type(RECORD_SET)}
    custom = domain(plan, "mail.contoso.com")
    assert len(plan.of_type(RECORD_SET)) == 4
    for record in plan.of_type(RECORD_SET):
        assert (record.inputs["zoneName"], record.inputs["resourceGroupName"]) == ("contoso.com", "rg-dns")
    apex = records["mail"]
    assert apex.inputs["recordType"] == "TXT"
    assert sources(apex, "txtRecords") == [custom.urn]  # the verification values come from the domain
    dmarc = records["_dmarc.mail"]
    assert dmarc.inputs["txtRecords"] == [{"value": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@contoso.com"]}]
    cnames = [r for r in plan.of_type(RECORD_SET) if r.inputs["recordType"] == "CNAME"]
    assert len(cnames) == 2 and all(sources(r, "cnameRecord") == [custom.urn] for r in cnames)


def test_verification_waits_for_the_records_and_checks_every_required_type(plan):
    verifications = {v.name: v for v in plan.of_type(DOMAIN_VERIFICATION)}
    managed_zone = next(v for k, v in verifications.items() if "mail-contoso-com" in k)
    assert managed_zone.inputs["recordTypes"] == ["Domain", "SPF", "DKIM", "DKIM2", "DMARC"]
    assert managed_zone.inputs["wait"] is True
    assert managed_zone.inputs["timeoutSeconds"] == 1800
    assert sources(managed_zone, "domainId") == [domain(plan, "mail.contoso.com").urn]
    assert {r.urn for r in plan.of_type(RECORD_SET)} <= set(managed_zone.dependencies)
    by_hand = next(v for k, v in verifications.items() if "news-fabrikam-com" in k)
    assert by_hand.inputs["wait"] is False
    assert by_hand.inputs["recordTypes"] == ["Domain", "SPF", "DKIM", "DKIM2"]


def test_the_link_takes_the_managed_domain_and_custom_ones_through_their_verification(plan):
    link = one(plan, LINKED_DOMAINS)
    assert sources(link, "communicationServiceId") == [one(plan, ACS).urn]
    expected = {domain(plan, "AzureManagedDomain").urn, *(v.urn for v in plan.of_type(DOMAIN_VERIFICATION))}
    assert set(sources(link, "domainIds")) == expected


def test_the_link_keeps_domains_linked_outside_the_stack_by_default(plan):
    assert one(plan, LINKED_DOMAINS).inputs["exclusive"] is False


def test_a_stack_that_owns_the_whole_list_says_so_to_the_link(tmp_path):
    email = {"domains": [{"name": "AzureManagedDomain"}], "exclusiveLinkedDomains": True}
    plan = plan_config(tmp_path, minimal_config(email=email))
    assert one(plan, LINKED_DOMAINS).inputs["exclusive"] is True


def test_nothing_but_the_link_waits_on_dns_or_verification(plan):
    email_side = {
        r.urn for r in plan.resources if r.type in (DOMAIN_VERIFICATION, RECORD_SET, EMAIL_DOMAIN, EMAIL_SERVICE)
    }
    for type_token in (ACS, KEY_ROTATION, SECRET, SYSTEM_TOPIC, EVENT_SUBSCRIPTION):
        for resource in plan.of_type(type_token):
            assert not depends_on_transitively(plan, resource) & email_side, resource.name
    assert "linkedDomains" not in one(plan, ACS).inputs


def test_senders_default_to_donotreply_and_carry_display_names(plan):
    senders = {
        (s.inputs["domainName"], s.inputs["username"]): s.inputs.get("displayName") for s in plan.of_type(SENDER)
    }
    assert senders == {
        ("AzureManagedDomain", "DoNotReply"): None,
        ("mail.contoso.com", "DoNotReply"): None,
        ("mail.contoso.com", "billing"): "Contoso Billing",
        ("news.fabrikam.com", "DoNotReply"): None,
    }


def test_suppression_lists_hold_their_addresses(plan):
    listed = one(plan, SUPPRESSION_LIST)
    assert (listed.inputs["suppressionListName"], listed.inputs["domainName"]) == ("bounced", "mail.contoso.com")
    address = one(plan, SUPPRESSED_ADDRESS)
    assert address.inputs["email"] == "gone@example.com" and address.inputs["notes"] == "hard bounce"
    assert sources(address, "suppressionListName") == [listed.urn]


def test_smtp_usernames_belong_to_the_acs_resource(plan):
    smtp = one(plan, SMTP_USERNAME)
    assert smtp.inputs["username"] == "legacy-app"
    assert smtp.inputs["communicationServiceName"] == "acs-test-eu"
    assert sources(smtp, "communicationServiceName") == [one(plan, ACS).urn]


def test_outputs_per_domain_and_records_to_create_by_hand_only_without_a_zone(plan):
    domains = plan.outputs["instances"]["acs-test-eu"]["emailDomains"]
    assert set(domains) == {"AzureManagedDomain", "mail.contoso.com", "news.fabrikam.com"}
    assert domains["AzureManagedDomain"]["verificationStates"] == "Verified (Azure-managed)"
    assert "recordsToCreate" in domains["news.fabrikam.com"]
    assert "recordsToCreate" not in domains["mail.contoso.com"]
    assert {"fromSenderDomain", "mailFromSenderDomain"} <= set(domains["mail.contoso.com"])


def test_a_zone_in_another_subscription_uses_its_own_provider(tmp_path):
    zone = {**CUSTOM["dnsZone"], "subscriptionId": DNS_SUBSCRIPTION}
    plan = plan_config(tmp_path, minimal_config(email={"domains": [{**CUSTOM, "dnsZone": zone}]}))
    [provider] = [r for r in plan.resources if r.type == "pulumi:providers:azure-native"]
    assert provider.inputs["subscriptionId"] == DNS_SUBSCRIPTION
    assert all(r.provider and r.provider.startswith(provider.urn) for r in plan.of_type(RECORD_SET))
    assert all(r.provider is None for r in plan.of_type(EMAIL_DOMAIN))


def test_no_email_configured_no_email_resources(tmp_path):
    plan = plan_config(tmp_path, minimal_config())
    assert plan.of_type(EMAIL_SERVICE) == [] and plan.of_type(LINKED_DOMAINS) == []
