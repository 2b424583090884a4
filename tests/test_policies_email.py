"""Email domain policies, judged by the real pack over gRPC."""

import pytest

from policies.resource_types import ACS, EMAIL_DOMAIN, EMAIL_SERVICE
from tests.policy_harness import UNKNOWN, fixture, judge, urn, violations_of

# The verification step has no resource type yet: any resource other than the Domain will do.
VERIFICATION = "acs-platform:email:DomainVerification"


def domain(name: str, management, **inputs) -> object:
    return fixture(
        EMAIL_DOMAIN,
        name,
        {
            "domainName": "AzureManagedDomain" if management == "AzureManaged" else f"{name}.contoso.com",
            "domainManagement": management,
            "emailServiceName": "ecs-test",
            "resourceGroupName": "rg",
            "location": "global",
            **inputs,
        },
        property_dependencies={"emailServiceName": [urn(EMAIL_SERVICE, "email")]},
    )


def acs(name: str, *linked: tuple[str, str]) -> object:
    """An ACS resource whose linkedDomains come from the resources `linked` ((type, name) pairs)."""
    return fixture(
        ACS,
        name,
        {
            "communicationServiceName": f"acs-{name}",
            "dataLocation": "Europe",
            "location": "global",
            "linkedDomains": [UNKNOWN for _ in linked],
        },
        property_dependencies={"linkedDomains": [urn(t, n) for t, n in linked]},
    )


@pytest.fixture(scope="module")
def result():
    return judge(
        [
            fixture(EMAIL_SERVICE, "email", {"emailServiceName": "ecs-test", "dataLocation": "Europe"}),
            domain("azure", "AzureManaged"),
            domain("custom", "CustomerManaged", userEngagementTracking="Disabled"),
            domain("tracked", "CustomerManaged", userEngagementTracking="Enabled"),
            domain("exchange", "CustomerManagedInExchangeOnline"),
            domain("unknown", UNKNOWN, userEngagementTracking=UNKNOWN),
            fixture(
                VERIFICATION,
                "verify-custom",
                {"domainId": UNKNOWN},
                property_dependencies={"domainId": [urn(EMAIL_DOMAIN, "custom")]},
            ),
            acs("direct", (EMAIL_DOMAIN, "azure"), (EMAIL_DOMAIN, "custom")),
            acs("exchange", (EMAIL_DOMAIN, "exchange")),
            acs("verified", (EMAIL_DOMAIN, "azure"), (VERIFICATION, "verify-custom")),
            acs("azure-only", (EMAIL_DOMAIN, "azure")),
            acs("unknown", (EMAIL_DOMAIN, "unknown")),
        ]
    )


def messages(result, policy: str, resource: str) -> list[str]:
    return [v.message for v in violations_of(result, policy, resource)]


def test_engagement_tracking_enabled_is_a_violation(result):
    assert messages(result, "email-engagement-tracking-disabled", "tracked") == [
        "tracked.contoso.com: user engagement tracking is 'Enabled'; opens and clicks of recipients are tracked."
    ]


@pytest.mark.parametrize("name", ["azure", "custom", "exchange", "unknown"])
def test_engagement_tracking_absent_disabled_or_unknown_passes(result, name):
    assert messages(result, "email-engagement-tracking-disabled", name) == []


def test_a_custom_domain_linked_directly_is_a_violation_filed_under_the_acs_resource(result):
    assert messages(result, "email-custom-domain-verified", "direct") == [
        "acs-direct: links the CustomerManaged domain custom.contoso.com directly; it must be verified first."
    ]


def test_an_exchange_online_custom_domain_needs_verification_too(result):
    (message,) = messages(result, "email-custom-domain-verified", "exchange")
    assert message.startswith("acs-exchange: links the CustomerManagedInExchangeOnline domain exchange.contoso.com")


@pytest.mark.parametrize("name", ["verified", "azure-only", "unknown"])
def test_linking_through_verification_an_azure_managed_domain_or_an_unknown_one_passes(result, name):
    assert messages(result, "email-custom-domain-verified", name) == []


def test_the_rule_judges_only_acs_resources(result):
    urns = {v.urn for v in violations_of(result, "email-custom-domain-verified")}
    assert urns == {urn(ACS, "direct"), urn(ACS, "exchange")}
