"""Email rules follow a link made by the LinkedDomains resource as well as by linkedDomains."""

import pytest

from policies.resource_types import ACS, DOMAIN_VERIFICATION, EMAIL_DOMAIN, EMAIL_SERVICE, LINKED_DOMAINS
from tests.policy_harness import UNKNOWN, fixture, judge, urn, violations_of


def acs(name: str):
    return fixture(ACS, name, {"communicationServiceName": name, "location": "global", "dataLocation": "Europe"})


def email_service(name: str, data_location: str):
    return fixture(EMAIL_SERVICE, name, {"emailServiceName": name, "location": "global", "dataLocation": data_location})


def domain(name: str, service: str, management: str):
    return fixture(
        EMAIL_DOMAIN,
        name,
        {"domainManagement": management, "location": "global", "emailServiceName": UNKNOWN},
        property_dependencies={"emailServiceName": [urn(EMAIL_SERVICE, service)]},
    )


def verification(name: str, domain_name: str):
    return fixture(
        DOMAIN_VERIFICATION,
        name,
        {"domainId": UNKNOWN},
        property_dependencies={"domainId": [urn(EMAIL_DOMAIN, domain_name)]},
    )


def link(name: str, service: str, sources: list[str]):
    return fixture(
        LINKED_DOMAINS,
        name,
        {"communicationServiceId": UNKNOWN, "domainIds": UNKNOWN},
        property_dependencies={"communicationServiceId": [urn(ACS, service)], "domainIds": sources},
    )


FIXTURES = [
    acs("acs-a"),
    acs("acs-b"),
    acs("acs-c"),
    email_service("email-eu", "Europe"),
    email_service("email-us", "United States"),
    domain("managed-eu", "email-eu", "AzureManaged"),
    domain("custom-eu", "email-eu", "CustomerManaged"),
    domain("managed-us", "email-us", "AzureManaged"),
    verification("custom-eu-verified", "custom-eu"),
    # acs-a: the managed domain and the custom one through its verification: all good.
    link("links-a", "acs-a", [urn(EMAIL_DOMAIN, "managed-eu"), urn(DOMAIN_VERIFICATION, "custom-eu-verified")]),
    # acs-b: the custom domain straight from its Domain resource.
    link("links-b", "acs-b", [urn(EMAIL_DOMAIN, "custom-eu")]),
    # acs-c: a domain of an email service in the US.
    link("links-c", "acs-c", [urn(EMAIL_DOMAIN, "managed-us")]),
]


@pytest.fixture(scope="module")
def verdicts():
    return judge(FIXTURES)


def test_a_custom_domain_linked_through_its_verification_passes(verdicts):
    assert violations_of(verdicts, "email-custom-domain-verified", "links-a") == []
    assert violations_of(verdicts, "email-domain-same-geography", "links-a") == []


def test_a_custom_domain_linked_straight_from_its_domain_is_a_violation_of_the_link(verdicts):
    [violation] = violations_of(verdicts, "email-custom-domain-verified", "links-b")
    assert "acs-b: links the CustomerManaged domain custom-eu directly" in violation.message


def test_a_link_to_a_domain_in_another_geography_is_a_violation_of_the_link(verdicts):
    [violation] = violations_of(verdicts, "email-domain-same-geography", "links-c")
    assert "acs-c (Europe) links domain managed-us of email service email-us (United States)" in violation.message
    assert violations_of(verdicts, "email-domain-same-geography", "links-b") == []
