"""Issue 16, "adopt what already exists": the dynamic providers created over what the portal made already.

The first `pulumi up` of an adopted stack creates DomainVerification, LinkedDomains and SipRouting over an
email domain that is verified, domains that are linked and a Direct Routing configuration that is set. Each
create must then only read: no `initiateVerification`, no PATCH of the ACS resource, no PATCH of `/sip`,
and report what is there. The counter-tests show where the skip ends: a create whose GET shows anything
other than what it would write does write it.

Every provider runs through the real SDK client against the local fakes (tests/fake_arm.py,
tests/fake_sip_routing.py), whose call counters are what the network saw.
"""

import pytest

from providers.emaildomains.link import LinkedDomainsProvider
from providers.emaildomains.verification import DomainVerificationProvider
from providers.siprouting import SipRoutingProvider
from providers.siprouting.client import open_client
from tests.fake_arm import ALL_VERIFIED, SUBSCRIPTION, FakeArm
from tests.fake_sip_routing import FakeSipRouting

RECORD_TYPES = ("Domain", "SPF", "DKIM", "DKIM2", "DMARC")


# DomainVerification over a domain verified in the portal


def verification(arm: FakeArm, domain_id: str, record_types=RECORD_TYPES, wait=True) -> dict:
    return {
        "domainId": domain_id,
        "recordTypes": list(record_types),
        "wait": wait,
        "timeoutSeconds": 600,
        "pollSeconds": 15,
        "armEndpoint": arm.url,
    }


@pytest.mark.parametrize("wait", [True, False])
def test_verification_created_over_a_verified_domain_reads_once_initiates_nothing_and_waits_for_nothing(
    arm, clients, clock, wait
):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states=ALL_VERIFIED)
    props = verification(arm, domain, wait=wait)

    result = DomainVerificationProvider().create_with(props, clients, clock)

    assert result.id == domain
    assert result.outs == {**props, "verified": True, "states": ALL_VERIFIED}
    assert arm.calls == {"getDomain": 1}  # no initiateVerification POST, no operationStatus
    assert arm.initiated == []
    assert clock.slept == []
    assert arm.verification_states(domain) == ALL_VERIFIED


@pytest.mark.parametrize("wait", [True, False])
def test_verification_created_over_verified_requested_records_leaves_the_others_alone(arm, clients, clock, wait):
    # Only what is requested counts: DKIM2 and DMARC, not asked for, stay NotStarted and are never initiated.
    verified = {"Domain": "Verified", "SPF": "Verified", "DKIM": "Verified"}
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states=verified)
    props = verification(arm, domain, ["DKIM", "SPF", "Domain"], wait=wait)

    result = DomainVerificationProvider().create_with(props, clients, clock)

    assert result.outs["verified"] is True
    assert result.outs["states"] == verified
    assert result.outs["recordTypes"] == ["Domain", "SPF", "DKIM"]
    assert arm.calls == {"getDomain": 1}
    assert clock.slept == []
    assert arm.verification_states(domain) == {**verified, "DKIM2": "NotStarted", "DMARC": "NotStarted"}


def test_verification_created_over_a_partly_verified_domain_initiates_only_the_unverified_record(arm, clients, clock):
    # The counter-test: the skip is per record, from the GET, not for the domain as a whole.
    domain = arm.add_domain(
        SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states={**ALL_VERIFIED, "DMARC": "NotStarted"}
    )

    result = DomainVerificationProvider().create_with(verification(arm, domain, wait=False), clients, clock)

    assert arm.initiated == [("contoso.com", "DMARC")]
    assert arm.calls == {"getDomain": 2, "initiateVerification": 1}
    assert result.outs["verified"] is False
    assert result.outs["states"] == {**ALL_VERIFIED, "DMARC": "VerificationRequested"}


# LinkedDomains over domains linked in the portal


def links(arm: FakeArm, service: str, domain_ids: list[str], exclusive: bool) -> dict:
    return {"communicationServiceId": service, "domainIds": domain_ids, "exclusive": exclusive, "armEndpoint": arm.url}


def test_links_created_over_the_managed_domains_linked_and_another_one_make_no_patch_and_report_it(
    arm, service, verified_domains, clients
):
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [fabrikam, adatum, contoso])  # as the portal left them, in its order

    result = LinkedDomainsProvider().create_with(links(arm, service, [fabrikam, contoso], exclusive=False), clients)

    assert arm.calls == {"getService": 1}  # no updateService PATCH
    assert arm.linked_domains(service) == [fabrikam, adatum, contoso]  # untouched, order and all
    assert result.id == service
    assert result.outs == {
        **links(arm, service, [contoso, fabrikam], exclusive=False),
        "linkedDomains": [adatum, contoso, fabrikam],
        "unmanagedDomains": [adatum],
        "removedUnmanagedDomains": [],
    }


def test_exclusive_links_created_over_exactly_the_managed_domains_linked_make_no_patch(
    arm, service, verified_domains, clients
):
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [contoso, adatum, fabrikam])

    result = LinkedDomainsProvider().create_with(links(arm, service, verified_domains, exclusive=True), clients)

    assert arm.calls == {"getService": 1}
    assert arm.linked_domains(service) == [contoso, adatum, fabrikam]
    assert result.outs == {
        **links(arm, service, [adatum, contoso, fabrikam], exclusive=True),
        "linkedDomains": [adatum, contoso, fabrikam],
        "unmanagedDomains": [],
        "removedUnmanagedDomains": [],
    }


@pytest.mark.parametrize("exclusive", [True, False])
def test_links_created_over_the_same_domains_spelled_in_another_case_make_no_patch(
    arm, service, verified_domains, clients, exclusive
):
    # ARM resource ids are case-insensitive: the portal's spelling is the same link, and the state reports
    # the ids as ARM holds them.
    as_portal = [
        d.replace("resourceGroups", "resourcegroups").replace("Microsoft.", "microsoft.") for d in verified_domains
    ]
    arm.link(service, as_portal)

    result = LinkedDomainsProvider().create_with(links(arm, service, verified_domains, exclusive), clients)

    assert arm.calls == {"getService": 1}
    assert arm.linked_domains(service) == as_portal
    assert result.outs["linkedDomains"] == sorted(as_portal, key=str.lower)
    assert (result.outs["unmanagedDomains"], result.outs["removedUnmanagedDomains"]) == ([], [])


def test_links_created_where_a_managed_domain_is_missing_patch_once_and_keep_the_others(
    arm, service, verified_domains, clients
):
    # The counter-test: the GET shows less than would be written, so it is written, once.
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [adatum, contoso])

    result = LinkedDomainsProvider().create_with(links(arm, service, [fabrikam, contoso], exclusive=False), clients)

    assert arm.calls == {"getService": 1, "updateService": 1}
    assert arm.linked_domains(service) == [adatum, contoso, fabrikam]
    assert (result.outs["linkedDomains"], result.outs["unmanagedDomains"]) == ([adatum, contoso, fabrikam], [adatum])


def test_exclusive_links_created_where_another_domain_is_linked_patch_it_away(arm, service, verified_domains, clients):
    # The counter-test: the GET shows more than exclusive would write, so the list is written.
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [adatum, contoso, fabrikam])

    result = LinkedDomainsProvider().create_with(links(arm, service, [fabrikam, contoso], exclusive=True), clients)

    assert arm.calls == {"getService": 1, "updateService": 1}
    assert arm.linked_domains(service) == [contoso, fabrikam]
    assert (result.outs["unmanagedDomains"], result.outs["removedUnmanagedDomains"]) == ([adatum], [adatum])


# SipRouting over a Direct Routing configuration set in the portal

SBC1, SBC2 = "sbc1.contoso.example", "sbc2.contoso.example"
US, UK = r"^\+1[0-9]{10}$", r"^\+44[0-9]{10}$"
TRUNKS = [{"fqdn": SBC1, "port": 5061}, {"fqdn": SBC2, "port": 5062}]
ROUTES = [
    {"name": "us", "description": "US numbers", "numberPattern": US, "trunks": [SBC1, SBC2]},
    {"name": "uk", "numberPattern": UK, "trunks": [SBC2]},
]


@pytest.fixture
def sip(certificate):
    with FakeSipRouting(*certificate) as server:
        yield server


@pytest.fixture
def sip_clients(certificate, credential, clock):
    def factory(endpoint, connection_string_env):
        return open_client(
            endpoint, connection_string_env, credential, clock=clock, connection_verify=str(certificate[0])
        )

    return factory


def sip_props(sip: FakeSipRouting, exclusive: bool, routes=ROUTES) -> dict:
    return {
        "endpoint": sip.url,
        "connectionStringEnv": None,
        "exclusive": exclusive,
        "trunks": TRUNKS,
        "routes": routes,
    }


@pytest.mark.parametrize("exclusive", [True, False])
def test_sip_routing_created_over_the_identical_configuration_makes_one_get_and_no_patch(sip, sip_clients, exclusive):
    sip.configure({SBC2: 5062, SBC1: 5061}, ROUTES)  # trunks are a map: their order means nothing

    result = SipRoutingProvider().create_with(sip_props(sip, exclusive), sip_clients)

    assert sip.calls == {"GET": 1}
    assert sip.patches == []
    assert (sip.trunks, sip.routes) == ({SBC1: 5061, SBC2: 5062}, ROUTES)
    assert result.id == sip.host
    assert result.outs == {**sip_props(sip, exclusive), "undeclared": None}


@pytest.mark.parametrize("exclusive", [True, False])
def test_sip_routing_created_over_the_same_routes_in_another_order_patches_the_order_only(sip, sip_clients, exclusive):
    # The counter-test: route order is priority, so a configuration that differs only in it is not identical.
    sip.configure({SBC1: 5061, SBC2: 5062}, ROUTES[::-1])

    result = SipRoutingProvider().create_with(sip_props(sip, exclusive), sip_clients)

    assert sip.calls == {"GET": 1, "PATCH": 1}
    assert sip.patches == [{"routes": ROUTES}]
    assert sip.routes == ROUTES
    assert result.outs["routes"] == ROUTES
