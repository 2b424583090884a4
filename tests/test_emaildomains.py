"""Email domains: verification and linking through the real SDK client against a local ARM, on
injected time (a FakeClock shared by the client's retries, the provider's waits and the fake's checks)."""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from azure.core.rest import HttpRequest
from google.protobuf import json_format

from preflight.runner import record_preview
from providers.emaildomains import DomainId, EmailDomainError, parse_domain_id
from providers.emaildomains.link import LinkedDomains, LinkedDomainsArgs, LinkedDomainsProvider
from providers.emaildomains.verification import DomainVerification, DomainVerificationArgs, DomainVerificationProvider
from tests.fake_arm import ALL_VERIFIED, SUBSCRIPTION, FakeArm

DOMAINS = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-mail/providers/Microsoft.Communication/emailServices/mail-eu"
    "/domains"
)
SERVICES = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-acs/providers/Microsoft.Communication/communicationServices"
)
RECORD_TYPES = ("Domain", "SPF", "DKIM", "DKIM2", "DMARC")


@pytest.fixture
def domain(arm) -> str:
    return arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com")


def verification(arm: FakeArm, domain_id: str, record_types, wait=True, timeout=600, poll=15) -> dict:
    return {
        "domainId": domain_id,
        "recordTypes": list(record_types),
        "wait": wait,
        "timeoutSeconds": timeout,
        "pollSeconds": poll,
        "armEndpoint": arm.url,
    }


def verify(clients, clock, props, olds=None):
    provider = DomainVerificationProvider()
    if olds is None:
        return provider.create_with(props, clients, clock)
    return provider.update_with(olds, props, clients, clock)


# Verification


def test_five_records_that_verify_promptly_verify_in_one_run_after_one_retry_after(arm, domain, clients, clock):
    started = clock.now

    result = verify(clients, clock, verification(arm, domain, RECORD_TYPES, timeout=300))

    assert result.id == domain
    assert result.outs == {
        **verification(arm, domain, RECORD_TYPES, timeout=300),
        "verified": True,
        "states": ALL_VERIFIED,
    }
    assert arm.initiated == [("contoso.com", t) for t in RECORD_TYPES]  # each once, none waited on
    # ARM's Retry-After of 60 s after the initiations, then one read shows all five verified.
    assert clock.slept == [60]
    assert clock.now - started == 60
    assert arm.calls == {"getDomain": 2, "initiateVerification": 5}


def test_records_that_verify_at_different_times_are_read_every_poll_after_the_retry_after(
    arm, clients, clock, credential
):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states={"Domain": "Verified"})
    arm.script_verification(domain, "DKIM", seconds=100)

    result = verify(clients, clock, verification(arm, domain, ["Domain", "SPF", "DKIM"]))

    assert result.outs["states"] == {"Domain": "Verified", "SPF": "Verified", "DKIM": "Verified"}
    assert arm.initiated == [("contoso.com", "SPF"), ("contoso.com", "DKIM")]  # Domain was verified already
    # SPF is verified at the read at 60 s, DKIM (100 s) at the read at 105 s.
    assert clock.slept == [60, 15, 15, 15]
    assert arm.calls == {"getDomain": 5, "initiateVerification": 2}
    assert credential.scopes == [f"{arm.url}/.default"]


def test_an_already_verified_domain_costs_one_get_and_no_initiation(arm, clients, clock):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states=ALL_VERIFIED)

    result = verify(clients, clock, verification(arm, domain, RECORD_TYPES))

    assert result.outs["verified"] is True
    assert result.outs["states"] == ALL_VERIFIED
    assert arm.calls == {"getDomain": 1}
    assert clock.slept == []


def test_a_failed_dkim_record_names_the_record_the_domain_and_the_error_code(arm, domain, clients, clock):
    arm.script_verification(domain, "DKIM", error_code="DkimCnameMismatch")

    with pytest.raises(EmailDomainError) as raised:
        verify(clients, clock, verification(arm, domain, ["SPF", "DKIM"]))

    assert str(raised.value) == (
        "DKIM record of contoso.com failed verification: DkimCnameMismatch; check the CNAME record "
        "'selector1-azurecomm-prod-net._domainkey' of contoso.com points to "
        "'selector1-azurecomm-prod-net._domainkey.azurecomm.net' (email service 'mail-eu', resource group 'rg-mail')"
    )
    assert arm.calls["initiateVerification"] == 2


def test_a_failed_initiation_names_the_record_and_waits_for_nothing(arm, domain, clients, clock):
    arm.fail_next("initiateVerification", 403)

    with pytest.raises(EmailDomainError) as raised:
        verify(clients, clock, verification(arm, domain, ["SPF", "DKIM"]))

    assert str(raised.value).startswith(
        "initiating the SPF verification of email domain contoso.com (email service 'mail-eu', resource group "
        "'rg-mail') failed: HTTP 403"
    )
    assert clock.slept == []


def test_a_record_that_failed_before_is_asked_for_again(arm, clients, clock):
    domain = arm.add_domain(
        SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states={"Domain": "Verified", "SPF": "VerificationFailed"}
    )

    result = verify(clients, clock, verification(arm, domain, ["Domain", "SPF"]))

    assert arm.initiated == [("contoso.com", "SPF")]
    assert result.outs["verified"] is True


@pytest.mark.parametrize("endpoint", ["initiateVerification", "getDomain"])
def test_a_429_with_retry_after_is_retried_after_the_time_it_asks(arm, domain, clients, clock, endpoint):
    arm.fail_next(endpoint, 429, retry_after=7)

    result = verify(clients, clock, verification(arm, domain, ["DMARC"]))

    # The retry waits the 7 s the 429 asks for; the 60 s are the initiation's Retry-After.
    assert clock.slept == [7, 60]
    assert result.outs["states"] == {"DMARC": "Verified"}
    assert arm.initiated == [("contoso.com", "DMARC")]  # the throttled call changed nothing
    assert arm.calls[endpoint] == {"initiateVerification": 2, "getDomain": 3}[endpoint]


def test_a_timeout_names_the_pending_types_and_the_time_really_waited(arm, domain, clients, clock):
    arm.script_verification(domain, "DKIM", seconds=1000)
    arm.script_verification(domain, "DKIM2", seconds=1000)
    started = clock.now

    with pytest.raises(EmailDomainError) as raised:
        verify(clients, clock, verification(arm, domain, ["SPF", "DKIM", "DKIM2"], timeout=60))

    assert str(raised.value).startswith(
        "verifying email domain contoso.com (email service 'mail-eu', resource group 'rg-mail') timed out after "
        "60 s; still pending: DKIM (VerificationRequested), DKIM2 (VerificationRequested)."
    )
    assert "SPF" not in str(raised.value)
    assert clock.now - started == 60
    assert arm.calls["getDomain"] == 2  # the first, and one at the deadline


def test_a_retry_after_within_the_deadline_is_waited_out(arm, domain, clients, clock):
    arm.script_verification(domain, "DKIM", seconds=150)
    arm.retry_after("getDomain", 120, after=1)  # every read after the first asks for 120 s

    result = verify(clients, clock, verification(arm, domain, ["DKIM"], timeout=300))

    assert result.outs["verified"] is True
    assert clock.slept == [60, 120]


def test_a_retry_after_past_the_deadline_fails_at_once_saying_how_long_it_really_waited(arm, domain, clients, clock):
    arm.script_verification(domain, "DKIM", seconds=1000)
    arm.retry_after("getDomain", 3600, after=1)
    started = clock.now

    with pytest.raises(EmailDomainError) as raised:
        verify(clients, clock, verification(arm, domain, ["SPF", "DKIM"], timeout=300))

    waited = clock.now - started
    assert waited == 60  # the initiation's Retry-After, then nothing: 3600 s would pass the deadline
    assert str(raised.value).startswith(
        "verifying email domain contoso.com (email service 'mail-eu', resource group 'rg-mail') stopped after "
        f"{waited:.0f} s: ARM asks to be asked again in 3600 s, past the 300 s timeout; still pending: "
        "DKIM (VerificationRequested)."
    )


def test_an_initiation_retry_after_past_the_deadline_fails_before_any_wait(arm, domain, clients, clock):
    arm.retry_after("initiateVerification", 3600)

    with pytest.raises(EmailDomainError) as raised:
        verify(clients, clock, verification(arm, domain, ["DKIM"], timeout=300))

    assert "stopped after 0 s" in str(raised.value)
    assert "still pending: DKIM (check requested)." in str(raised.value)  # not a state ARM reported
    assert clock.slept == []


def test_without_wait_the_states_are_reported_and_the_next_run_initiates_nothing(arm, domain, clients, clock):
    props = verification(arm, domain, ["SPF", "DKIM"], wait=False)

    first = verify(clients, clock, props).outs

    assert first["verified"] is False
    assert first["states"] == {"SPF": "VerificationRequested", "DKIM": "VerificationRequested"}
    assert arm.initiated == [("contoso.com", "SPF"), ("contoso.com", "DKIM")]
    assert clock.slept == []

    clock.now += 300  # the next `pulumi up`: the checks are done, so it only reads
    second = verify(clients, clock, props, olds=first).outs

    assert second["verified"] is True
    assert arm.calls["initiateVerification"] == 2


def test_without_wait_a_failed_record_is_reported_not_raised(arm, domain, clients, clock):
    arm.script_verification(domain, "Domain", seconds=0)
    arm.script_verification(domain, "DMARC", seconds=0, error_code="DmarcRecordNotFound")

    result = verify(clients, clock, verification(arm, domain, ["Domain", "DMARC"], wait=False))

    assert result.outs["verified"] is False
    assert result.outs["states"] == {"Domain": "Verified", "DMARC": "VerificationFailed"}


def test_an_unknown_domain_is_a_clear_error_naming_the_step(arm, clients, clock):
    missing = f"{DOMAINS}/fabrikam.com"

    with pytest.raises(EmailDomainError) as raised:
        verify(clients, clock, verification(arm, missing, ["SPF"]))

    assert str(raised.value).startswith(
        "reading the verification states of email domain fabrikam.com (email service 'mail-eu', resource group "
        "'rg-mail') failed: HTTP 404"
    )
    assert arm.calls == {"getDomain": 1}


# Verification drift


def verified_state(arm: FakeArm, domain_id: str, record_types=RECORD_TYPES) -> dict:
    return {
        **verification(arm, domain_id, record_types),
        "timeoutSeconds": 600.0,  # numbers come back from the state as floats
        "verified": True,
        "states": dict.fromkeys(record_types, "Verified"),
    }


def test_a_diff_plans_a_check_without_a_call_while_unverified_or_for_new_inputs(arm, domain, clients):
    provider = DomainVerificationProvider()
    news = verification(arm, domain, ["SPF", "DKIM"])
    verified = verified_state(arm, domain, ["SPF", "DKIM"])
    pending = {**verified, "verified": False, "states": {"SPF": "Verified", "DKIM": "VerificationRequested"}}

    assert provider.diff_with(pending, news, clients).changes is True
    assert provider.diff_with(verified, {**news, "recordTypes": ["SPF", "DKIM", "DMARC"]}, clients).changes is True
    moved = provider.diff_with(verified, {**news, "domainId": f"{DOMAINS}/fabrikam.com"}, clients)
    assert (moved.changes, moved.replaces) == (True, ["domainId"])
    assert arm.calls == {}


def test_a_domain_still_verified_is_no_change_after_exactly_one_get(arm, clients):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states=ALL_VERIFIED)
    news = verification(arm, domain, ["DKIM", "SPF"])  # the order means nothing

    assert (
        DomainVerificationProvider().diff_with(verified_state(arm, domain, ["SPF", "DKIM"]), news, clients).changes
        is False
    )
    assert arm.calls == {"getDomain": 1}


def test_a_verified_domain_arm_now_fails_is_refreshed_diffed_and_verified_again(arm, clients, clock):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states=ALL_VERIFIED)
    state = verified_state(arm, domain)
    arm.set_verification_state(domain, "DKIM", "VerificationFailed", "DkimCnameMismatch")  # the CNAME was deleted
    provider = DomainVerificationProvider()

    refreshed = provider.read_with(domain, state, clients)

    assert refreshed.id == domain
    assert refreshed.outs == {**state, "verified": False, "states": {**ALL_VERIFIED, "DKIM": "VerificationFailed"}}
    assert provider.diff_with(state, verification(arm, domain, RECORD_TYPES), clients).changes is True
    assert arm.initiated == []  # reading and diffing ask for nothing

    updated = verify(clients, clock, verification(arm, domain, RECORD_TYPES), olds=state)

    assert arm.initiated == [("contoso.com", "DKIM")]
    assert updated.outs["verified"] is True


def test_a_diff_whose_get_fails_plans_an_update_instead_of_failing(arm, clients):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states=ALL_VERIFIED)
    arm.fail_next("getDomain", 403)

    diff = DomainVerificationProvider().diff_with(
        verified_state(arm, domain), verification(arm, domain, RECORD_TYPES), clients
    )

    assert (diff.changes, diff.replaces) == (True, [])


def test_refreshing_a_verification_whose_domain_is_gone_drops_it(arm, clients):
    result = DomainVerificationProvider().read_with(
        f"{DOMAINS}/fabrikam.com", verified_state(arm, f"{DOMAINS}/fabrikam.com"), clients
    )

    assert (result.id, result.outs) == ("", {})


# Domain ids and arguments


def test_a_domain_id_gives_its_parts_and_a_malformed_one_is_refused():
    assert parse_domain_id(f"{DOMAINS}/contoso.com") == DomainId(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com")
    for bad in ("", "contoso.com", f"{SERVICES}/acs-eu", f"{DOMAINS}/", f"{DOMAINS}/contoso.com/x"):
        with pytest.raises(ValueError, match="not an email domain resource id"):
            parse_domain_id(bad)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"record_types": []}, "non-empty"),
        ({"record_types": "SPF"}, "non-empty"),
        ({"record_types": ["SPF", "DKIM3"]}, "unknown record types"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"poll_seconds": 0}, "poll_seconds"),
        ({"wait": "yes"}, "wait"),
        ({"domain_id": "contoso.com"}, "not an email domain resource id"),
    ],
)
def test_verification_arguments_are_checked(changes, message):
    args = {"domain_id": f"{DOMAINS}/contoso.com", "record_types": ["SPF"], "wait": True, "timeout_seconds": 600}
    with pytest.raises(ValueError, match=message):
        DomainVerificationArgs(**{**args, **changes})


# Linking


def links(arm: FakeArm, service: str, domain_ids: list[str], exclusive=False) -> dict:
    return {"communicationServiceId": service, "domainIds": domain_ids, "exclusive": exclusive, "armEndpoint": arm.url}


def linked_state(arm: FakeArm, service: str, domain_ids: list[str], exclusive=False) -> dict:
    return {
        **links(arm, service, sorted(domain_ids), exclusive),
        "linkedDomains": sorted(domain_ids),
        "unmanagedDomains": [],
        "removedUnmanagedDomains": [],
    }


def test_linking_adds_the_given_domains_and_keeps_and_reports_one_linked_outside_the_stack(
    arm, service, verified_domains, clients
):
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [adatum])

    result = LinkedDomainsProvider().create_with(links(arm, service, [fabrikam, contoso, fabrikam]), clients)

    assert result.id == service
    assert result.outs == {
        **links(arm, service, [contoso, fabrikam]),
        "linkedDomains": [adatum, contoso, fabrikam],
        "unmanagedDomains": [adatum],
        "removedUnmanagedDomains": [],
    }
    assert arm.linked_domains(service) == [adatum, contoso, fabrikam]
    assert arm.calls == {"getService": 1, "updateService": 1}


def test_exclusive_linking_removes_and_reports_a_domain_linked_outside_the_stack(
    arm, service, verified_domains, clients
):
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [adatum, fabrikam])

    result = LinkedDomainsProvider().create_with(links(arm, service, [fabrikam, contoso], exclusive=True), clients)

    assert result.outs["linkedDomains"] == [contoso, fabrikam]
    assert (result.outs["unmanagedDomains"], result.outs["removedUnmanagedDomains"]) == ([adatum], [adatum])
    assert arm.linked_domains(service) == [contoso, fabrikam]


def test_an_update_unlinks_what_it_no_longer_manages_and_keeps_what_others_linked(
    arm, service, verified_domains, clients
):
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [adatum, contoso, fabrikam])

    result = LinkedDomainsProvider().update_with(
        linked_state(arm, service, [fabrikam, contoso]), links(arm, service, [contoso]), clients
    )

    assert arm.linked_domains(service) == [adatum, contoso]
    assert result.outs["unmanagedDomains"] == [adatum]


def test_no_patch_when_the_domains_are_linked_already(arm, service, verified_domains, clients):
    arm.link(service, [d.replace("resourceGroups", "resourcegroups") for d in verified_domains])

    result = LinkedDomainsProvider().update_with(
        linked_state(arm, service, verified_domains), links(arm, service, verified_domains[::-1]), clients
    )

    assert {d.lower() for d in result.outs["linkedDomains"]} == {d.lower() for d in verified_domains}
    assert result.outs["unmanagedDomains"] == []
    assert arm.calls == {"getService": 1}


def test_delete_unlinks_only_the_managed_domains_and_keeps_the_service(arm, service, verified_domains, clients):
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, verified_domains)

    LinkedDomainsProvider().delete_with(linked_state(arm, service, [fabrikam, contoso]), clients)

    assert arm.linked_domains(service) == [adatum]
    assert arm.calls == {"getService": 1, "updateService": 1}
    # A service deleted already links nothing: nothing to do, no error.
    LinkedDomainsProvider().delete_with(linked_state(arm, f"{SERVICES}/acs-gone", verified_domains), clients)


def test_an_exclusive_delete_unlinks_every_domain(arm, service, verified_domains, clients):
    fabrikam, contoso, _ = verified_domains
    arm.link(service, verified_domains)

    LinkedDomainsProvider().delete_with(linked_state(arm, service, [fabrikam, contoso], exclusive=True), clients)

    assert arm.linked_domains(service) == []


def test_linking_an_unverified_domain_names_the_step_and_why(arm, service, domain, clients):
    with pytest.raises(EmailDomainError) as raised:
        LinkedDomainsProvider().create_with(links(arm, service, [domain]), clients)

    message = str(raised.value)
    assert message.startswith(f"linking {domain} to ACS resource 'acs-eu' (resource group 'rg-acs') failed: HTTP 400")
    assert "InvalidLinkedDomains" in message and "verified" in message
    assert arm.linked_domains(service) == []


def test_a_throttled_patch_is_retried(arm, service, verified_domains, clients):
    arm.fail_next("updateService", 429)  # no Retry-After: azure-core alone would not retry a PATCH

    LinkedDomainsProvider().create_with(links(arm, service, verified_domains), clients)

    assert arm.calls["updateService"] == 2
    assert arm.linked_domains(service) == sorted(verified_domains)


def test_a_patch_whose_answer_is_lost_is_retried_and_ends_linked(arm, service, verified_domains, clients):
    arm.apply_then_fail(500, endpoint="updateService")  # applied, then the answer is lost

    result = LinkedDomainsProvider().create_with(links(arm, service, verified_domains), clients)

    assert arm.calls["updateService"] == 2
    assert result.outs["linkedDomains"] == arm.linked_domains(service) == sorted(verified_domains)


def test_a_malformed_domain_id_fails_before_any_call(arm, service, clients):
    with pytest.raises(ValueError, match="not an email domain resource id"):
        LinkedDomainsProvider().create_with(links(arm, service, ["contoso.com"]), clients)
    assert arm.calls == {}


def test_the_link_diff_plans_without_a_call_for_new_inputs(arm, service, verified_domains, clients):
    provider = LinkedDomainsProvider()
    olds = linked_state(arm, service, verified_domains)

    fewer = provider.diff_with(olds, links(arm, service, verified_domains[:2]), clients)
    assert (fewer.changes, fewer.replaces) == (True, [])
    assert provider.diff_with(olds, links(arm, service, verified_domains, exclusive=True), clients).changes is True
    other = provider.diff_with(olds, links(arm, f"{SERVICES}/acs-us", verified_domains), clients)
    assert (other.changes, other.replaces) == (True, ["communicationServiceId"])
    assert arm.calls == {}


def test_links_that_hold_are_no_change_after_one_get_whatever_the_order_or_endpoint(
    arm, service, verified_domains, clients
):
    provider = LinkedDomainsProvider()
    olds = linked_state(arm, service, verified_domains)
    arm.link(service, verified_domains)

    assert provider.diff_with(olds, links(arm, service, verified_domains[::-1]), clients).changes is False
    assert (
        provider.diff_with(olds, {**links(arm, service, verified_domains), "armEndpoint": "x"}, clients).changes
        is False
    )
    assert arm.calls == {"getService": 2}


def test_links_cleared_behind_the_stack_are_refreshed_diffed_and_put_back(arm, service, verified_domains, clients):
    provider = LinkedDomainsProvider()
    state = linked_state(arm, service, verified_domains)
    arm.link(service, [])  # an update of the ACS resource, a PUT without linkedDomains, cleared them

    refreshed = provider.read_with(service, state, clients)

    assert refreshed.id == service
    assert refreshed.outs == {**state, "linkedDomains": []}
    assert provider.diff_with(state, links(arm, service, verified_domains), clients).changes is True

    provider.update_with(state, links(arm, service, verified_domains), clients)

    assert arm.linked_domains(service) == sorted(verified_domains)


def test_a_domain_linked_outside_the_stack_is_a_change_only_when_exclusive(arm, service, verified_domains, clients):
    fabrikam, contoso, adatum = verified_domains
    provider = LinkedDomainsProvider()
    arm.link(service, [adatum, contoso, fabrikam])

    shared = linked_state(arm, service, [fabrikam, contoso])
    exclusive = linked_state(arm, service, [fabrikam, contoso], exclusive=True)

    assert provider.diff_with(shared, links(arm, service, [fabrikam, contoso]), clients).changes is False
    assert provider.diff_with(exclusive, links(arm, service, [fabrikam, contoso], True), clients).changes is True
    assert provider.read_with(service, shared, clients).outs["unmanagedDomains"] == [adatum]


def test_a_link_diff_whose_get_fails_plans_an_update_instead_of_failing(arm, service, verified_domains, clients):
    arm.fail_next("getService", 403)

    diff = LinkedDomainsProvider().diff_with(
        linked_state(arm, service, verified_domains), links(arm, service, verified_domains), clients
    )

    assert (diff.changes, diff.replaces) == (True, [])


def test_refreshing_links_of_a_service_that_is_gone_drops_them(arm, verified_domains, clients):
    result = LinkedDomainsProvider().read_with(
        f"{SERVICES}/acs-gone", linked_state(arm, f"{SERVICES}/acs-gone", verified_domains), clients
    )

    assert (result.id, result.outs) == ("", {})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exclusive": "yes"}, "exclusive must be true or false"),
        ({"communication_service_id": "acs-eu"}, "not an ACS resource id"),
        ({"domain_ids": f"{DOMAINS}/contoso.com"}, "must be a list"),
    ],
)
def test_link_arguments_are_checked(changes, message):
    args = {"communication_service_id": f"{SERVICES}/acs-eu", "domain_ids": [f"{DOMAINS}/contoso.com"]}
    assert LinkedDomainsArgs(**args).exclusive is False
    with pytest.raises(ValueError, match=message):
        LinkedDomainsArgs(**{**args, **changes})


# The resources


def test_the_resources_register_camel_case_inputs():
    contoso, fabrikam = f"{DOMAINS}/contoso.com", f"{DOMAINS}/fabrikam.com"

    def program():
        DomainVerification(
            "contoso-verification",
            DomainVerificationArgs(
                domain_id=contoso, record_types=["DKIM", "SPF", "DKIM"], wait=True, timeout_seconds=900
            ),
        )
        LinkedDomains(
            "acs-eu-domains",
            LinkedDomainsArgs(
                communication_service_id=f"{SERVICES}/acs-eu", domain_ids=[fabrikam, contoso], exclusive=True
            ),
        )

    monitor = record_preview(program, "acs-platform", "test")

    registered = {
        request.type: {k: v for k, v in json_format.MessageToDict(request.object).items() if k != "__provider"}
        for _, request in monitor.registrations
        if request.type != "pulumi:pulumi:Stack"
    }
    assert registered == {
        "pulumi-python:dynamic/emaildomains:DomainVerification": {
            "domainId": contoso,
            "recordTypes": ["SPF", "DKIM"],
            "wait": True,
            "timeoutSeconds": 900,
            "pollSeconds": 15,
            "armEndpoint": "https://management.azure.com",
        },
        "pulumi-python:dynamic/emaildomains:LinkedDomains": {
            "communicationServiceId": f"{SERVICES}/acs-eu",
            "domainIds": [contoso, fabrikam],
            "exclusive": True,
            "armEndpoint": "https://management.azure.com",
        },
    }


# The fake, against the spec

INITIATE_EXAMPLE = (
    Path(__file__).parent
    / "specs/azure-rest-api-specs/specification/communication/resource-manager/Microsoft.Communication/stable"
    / "2025-05-01/examples/domains/initiateVerification.json"
)


def initiate_spf(client, domain: str):
    """Asks for the SPF check of `domain` without polling, and returns ARM's raw answer."""
    answers = []
    parts = parse_domain_id(domain)
    client.domains.begin_initiate_verification(
        parts.resource_group,
        parts.email_service,
        parts.domain,
        {"verificationType": "SPF"},
        polling=False,
        raw_response_hook=lambda response: answers.append(response.http_response),
    )
    [answer] = answers
    return answer


def test_the_fake_answers_initiate_verification_as_the_spec_example_does(arm, domain, clients):
    example = json.loads(INITIATE_EXAMPLE.read_text())["responses"]["202"]

    with clients(SUBSCRIPTION, arm.url) as client:
        answer = initiate_spf(client, domain)

    assert (answer.status_code, answer.text()) == (202, "")
    assert answer.headers["Retry-After"] == str(example["headers"]["Retry-After"])
    expected_path = re.sub(r"[^/]+$", "[0-9a-f]+", urlsplit(example["headers"]["Location"]).path)
    assert re.fullmatch(expected_path, urlsplit(answer.headers["Location"]).path)


def test_the_fake_operation_at_location_runs_as_long_as_the_check_it_started(arm, domain, clients, clock):
    with clients(SUBSCRIPTION, arm.url) as client:
        location = initiate_spf(client, domain).headers["Location"]
        running = client.send_request(HttpRequest("GET", location))
        clock.now += 30  # the check's time on the fake
        done = client.send_request(HttpRequest("GET", location))

    assert (running.status_code, running.headers["Retry-After"], running.text()) == (202, "60", "")
    assert (done.status_code, done.text()) == (200, "")
    assert arm.calls["operationStatus"] == 2
