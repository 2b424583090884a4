"""Email domains: verification and linking through the real SDK client against a local ARM."""

import time

import pytest
from google.protobuf import json_format

from emaildomains import DomainId, EmailDomainError, parse_domain_id
from emaildomains.link import LinkedDomains, LinkedDomainsArgs, LinkedDomainsProvider
from emaildomains.verification import DomainVerification, DomainVerificationArgs, DomainVerificationProvider
from preflight.runner import record_preview
from tests.fake_arm import FakeArm

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
DOMAINS = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-mail/providers/Microsoft.Communication/emailServices/mail-eu"
    "/domains"
)
SERVICES = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-acs/providers/Microsoft.Communication/communicationServices"
)
ALL_VERIFIED = dict.fromkeys(("Domain", "SPF", "DKIM", "DKIM2", "DMARC"), "Verified")


class FakeTime:
    """A monotonic clock that only sleeping moves on; `on_sleep` sees the world between two polls."""

    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


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


def verify(arm, clients, props, fake_time=None, olds=None):
    fake_time = fake_time or FakeTime()
    provider = DomainVerificationProvider()
    timing = {"sleep": fake_time.sleep, "clock": fake_time.clock, "lro_polling_interval": 0.005}
    if olds is None:
        return provider.create_with(props, clients, **timing)
    return provider.update_with(olds, props, clients, **timing)


# Verification


def test_pending_records_are_initiated_once_each_and_followed_until_verified(arm, clients, credential):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states={"Domain": "Verified"})
    arm.script_verification(domain, "SPF", gets=1)
    arm.script_verification(domain, "DKIM", gets=3)
    seen = []
    fake_time = FakeTime(on_sleep=lambda: seen.append(arm.verification_states(domain)["DKIM"]))
    assert arm.verification_states(domain)["DKIM"] == "NotStarted"

    result = verify(arm, clients, verification(arm, domain, ["Domain", "SPF", "DKIM"]), fake_time)

    assert result.id == domain
    assert result.outs == {
        **verification(arm, domain, ["Domain", "SPF", "DKIM"]),
        "verified": True,
        "states": {"Domain": "Verified", "SPF": "Verified", "DKIM": "Verified"},
    }
    assert arm.initiated == [("contoso.com", "SPF"), ("contoso.com", "DKIM")]  # Domain was verified already
    # Each initiation is a long-running operation: 202 and a Location, whose URL answers 202, then 200.
    assert arm.calls == {"getDomain": 4, "initiateVerification": 2, "operationResult": 4}
    assert seen == ["VerificationRequested", "VerificationRequested"]
    assert fake_time.sleeps == [15, 15]
    assert credential.scopes == [f"{arm.url}/.default"]


def test_an_already_verified_domain_costs_one_get_and_no_initiation(arm, clients):
    domain = arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states=ALL_VERIFIED)

    result = verify(arm, clients, verification(arm, domain, ["Domain", "SPF", "DKIM", "DKIM2", "DMARC"]))

    assert result.outs["verified"] is True
    assert result.outs["states"] == ALL_VERIFIED
    assert arm.calls == {"getDomain": 1}


def test_a_failed_dkim_record_names_the_record_the_domain_and_the_error_code(arm, domain, clients):
    arm.script_verification(domain, "DKIM", gets=2, error_code="DkimCnameMismatch")

    with pytest.raises(EmailDomainError) as raised:
        verify(arm, clients, verification(arm, domain, ["SPF", "DKIM"]))

    assert str(raised.value) == (
        "DKIM record of contoso.com failed verification: DkimCnameMismatch; check the CNAME record "
        "'selector1-azurecomm-prod-net._domainkey' of contoso.com points to "
        "'selector1-azurecomm-prod-net._domainkey.azurecomm.net' (email service 'mail-eu', resource group 'rg-mail')"
    )
    assert arm.calls["initiateVerification"] == 2


def test_a_record_that_failed_before_is_asked_for_again(arm, clients):
    domain = arm.add_domain(
        SUBSCRIPTION, "rg-mail", "mail-eu", "contoso.com", states={"Domain": "Verified", "SPF": "VerificationFailed"}
    )

    result = verify(arm, clients, verification(arm, domain, ["Domain", "SPF"]))

    assert arm.initiated == [("contoso.com", "SPF")]
    assert result.outs["verified"] is True


@pytest.mark.parametrize("endpoint", ["initiateVerification", "getDomain", "operationResult"])
def test_a_429_with_retry_after_is_retried_after_the_time_it_asks(arm, domain, clients, endpoint):
    arm.fail_next(endpoint, 429, retry_after=0.1)
    started = time.monotonic()

    result = verify(arm, clients, verification(arm, domain, ["DMARC"]))

    assert time.monotonic() - started >= 0.09
    assert result.outs["states"] == {"DMARC": "Verified"}
    assert arm.initiated == [("contoso.com", "DMARC")]  # the throttled call changed nothing
    assert arm.calls[endpoint] == {"initiateVerification": 2, "getDomain": 3, "operationResult": 3}[endpoint]


def test_a_timeout_names_the_pending_types_without_waiting_for_real(arm, domain, clients):
    arm.script_verification(domain, "DKIM", gets=1000)
    arm.script_verification(domain, "DKIM2", gets=1000)
    fake_time = FakeTime()
    started = time.monotonic()

    with pytest.raises(EmailDomainError) as raised:
        verify(arm, clients, verification(arm, domain, ["SPF", "DKIM", "DKIM2"], timeout=60), fake_time)

    assert str(raised.value).startswith(
        "verifying email domain contoso.com (email service 'mail-eu', resource group 'rg-mail') timed out after "
        "60 s; still pending: DKIM (VerificationRequested), DKIM2 (VerificationRequested)."
    )
    assert "SPF" not in str(raised.value)
    assert fake_time.sleeps == [15, 15, 15, 15]
    assert arm.calls["getDomain"] == 6  # the first, the one after the initiations, one per poll
    assert time.monotonic() - started < 1


def test_without_wait_the_states_are_reported_and_the_next_run_initiates_nothing(arm, domain, clients):
    arm.script_verification(domain, "SPF", gets=2)
    arm.script_verification(domain, "DKIM", gets=2)
    fake_time = FakeTime()
    props = verification(arm, domain, ["SPF", "DKIM"], wait=False)

    first = verify(arm, clients, props, fake_time).outs

    assert first["verified"] is False
    assert first["states"] == {"SPF": "VerificationRequested", "DKIM": "VerificationRequested"}
    assert arm.initiated == [("contoso.com", "SPF"), ("contoso.com", "DKIM")]
    assert fake_time.sleeps == []

    # The next `pulumi up`: the checks are under way, so it only reads.
    second = verify(arm, clients, props, fake_time, olds=first).outs

    assert second["verified"] is True
    assert arm.calls["initiateVerification"] == 2


def test_without_wait_a_failed_record_is_reported_not_raised(arm, domain, clients):
    arm.script_verification(domain, "DMARC", gets=1, error_code="DmarcRecordNotFound")

    result = verify(arm, clients, verification(arm, domain, ["Domain", "DMARC"], wait=False))

    assert result.outs["verified"] is False
    assert result.outs["states"] == {"Domain": "Verified", "DMARC": "VerificationFailed"}


def test_an_unknown_domain_is_a_clear_error_naming_the_step(arm, clients):
    missing = f"{DOMAINS}/fabrikam.com"

    with pytest.raises(EmailDomainError) as raised:
        verify(arm, clients, verification(arm, missing, ["SPF"]))

    assert str(raised.value).startswith(
        "reading the verification states of email domain fabrikam.com (email service 'mail-eu', resource group "
        "'rg-mail') failed: HTTP 404"
    )
    assert arm.calls == {"getDomain": 1}


def test_a_diff_rechecks_while_unverified_and_not_once_verified(arm, domain):
    provider = DomainVerificationProvider()
    news = verification(arm, domain, ["SPF", "DKIM"])
    verified = {**news, "timeoutSeconds": 600.0, "verified": True, "states": {"SPF": "Verified", "DKIM": "Verified"}}
    pending = {**verified, "verified": False, "states": {"SPF": "Verified", "DKIM": "VerificationRequested"}}

    assert provider.diff(domain, verified, news).changes is False
    assert provider.diff(domain, verified, {**news, "recordTypes": ["DKIM", "SPF"]}).changes is False
    assert provider.diff(domain, pending, news).changes is True
    assert provider.diff(domain, verified, {**news, "recordTypes": ["SPF", "DKIM", "DMARC"]}).changes is True
    moved = provider.diff(domain, verified, {**news, "domainId": f"{DOMAINS}/fabrikam.com"})
    assert (moved.changes, moved.replaces) == (True, ["domainId"])


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


@pytest.fixture
def service(arm) -> str:
    return arm.add_service(SUBSCRIPTION, "rg-acs", "acs-eu")


@pytest.fixture
def verified_domains(arm) -> list[str]:
    return [
        arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", name, states=ALL_VERIFIED)
        for name in ("fabrikam.com", "contoso.com", "adatum.com")
    ]


def links(arm: FakeArm, service: str, domain_ids: list[str]) -> dict:
    return {"communicationServiceId": service, "domainIds": domain_ids, "armEndpoint": arm.url}


def test_linking_sets_exactly_the_given_domains(arm, service, verified_domains, clients):
    fabrikam, contoso, adatum = verified_domains
    arm.link(service, [adatum])

    result = LinkedDomainsProvider().create_with(links(arm, service, [fabrikam, contoso, fabrikam]), clients)

    assert result.id == service
    assert result.outs["linkedDomains"] == sorted([contoso, fabrikam])
    assert result.outs["domainIds"] == sorted([contoso, fabrikam])
    assert arm.linked_domains(service) == sorted([contoso, fabrikam])  # adatum is no longer linked
    assert arm.calls == {"getService": 1, "updateService": 1}


def test_no_patch_when_the_domains_are_linked_already(arm, service, verified_domains, clients):
    arm.link(service, [d.replace("resourceGroups", "resourcegroups") for d in verified_domains])

    result = LinkedDomainsProvider().update_with({}, links(arm, service, verified_domains[::-1]), clients)

    assert result.outs["linkedDomains"] == sorted(verified_domains)
    assert arm.calls == {"getService": 1}


def test_delete_unlinks_every_domain_and_keeps_the_service(arm, service, verified_domains, clients):
    arm.link(service, verified_domains)

    LinkedDomainsProvider().delete_with(links(arm, service, verified_domains), clients)

    assert arm.linked_domains(service) == []
    assert arm.calls == {"getService": 1, "updateService": 1}
    # A service deleted already links nothing: nothing to do, no error.
    LinkedDomainsProvider().delete_with(links(arm, f"{SERVICES}/acs-gone", verified_domains), clients)


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


def test_a_malformed_domain_id_fails_before_any_call(arm, service, clients):
    with pytest.raises(ValueError, match="not an email domain resource id"):
        LinkedDomainsProvider().create_with(links(arm, service, ["contoso.com"]), clients)
    assert arm.calls == {}


def test_the_link_diff_ignores_order_and_replaces_for_another_service(arm, service, verified_domains):
    provider = LinkedDomainsProvider()
    olds = {**links(arm, service, sorted(verified_domains)), "linkedDomains": sorted(verified_domains)}

    assert provider.diff(service, olds, links(arm, service, verified_domains[::-1])).changes is False
    assert provider.diff(service, olds, {**links(arm, service, verified_domains), "armEndpoint": "x"}).changes is False
    fewer = provider.diff(service, olds, links(arm, service, verified_domains[:2]))
    assert (fewer.changes, fewer.replaces) == (True, [])
    other = provider.diff(service, olds, links(arm, f"{SERVICES}/acs-us", verified_domains))
    assert (other.changes, other.replaces) == (True, ["communicationServiceId"])


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
            LinkedDomainsArgs(communication_service_id=f"{SERVICES}/acs-eu", domain_ids=[fabrikam, contoso]),
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
            "armEndpoint": "https://management.azure.com",
        },
    }
