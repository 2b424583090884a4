"""Regional availability rules, each with passing and failing fixtures, judged by the real pack."""

import pytest

from policies.resource_types import ACS, ACS_TOPIC_TYPE, EMAIL_DOMAIN, EMAIL_SERVICE, SYSTEM_TOPIC, WORKSPACE
from tests.policy_harness import UNKNOWN, fixture, judge, urn, violations_of

CONFIG = {
    "all": "mandatory",
    "acs-data-location-allowed": {"allowedDataLocations": ["Europe", "United States"]},
    "resource-location-allowed": {"allowedRegions": ["westeurope"]},
}


def acs(name: str, **inputs):
    return fixture(ACS, name, {"communicationServiceName": name, "location": "global", **inputs})


def email_service(name: str, data_location: str):
    return fixture(EMAIL_SERVICE, name, {"emailServiceName": name, "location": "global", "dataLocation": data_location})


def domain_of(name: str, service: str):
    return fixture(
        EMAIL_DOMAIN,
        name,
        {"domainManagement": "AzureManaged", "location": "global", "emailServiceName": UNKNOWN},
        property_dependencies={"emailServiceName": [urn(EMAIL_SERVICE, service)]},
    )


def linking(name: str, data_location: str, domain: str):
    return fixture(
        ACS,
        name,
        {
            "communicationServiceName": name,
            "location": "global",
            "dataLocation": data_location,
            "linkedDomains": [UNKNOWN],
        },
        property_dependencies={"linkedDomains": [urn(EMAIL_DOMAIN, domain)]},
    )


FIXTURES = [
    acs("in-europe", dataLocation="Europe"),
    acs("in-japan", dataLocation="Japan"),
    acs("on-mars", dataLocation="Mars"),
    acs("data-location-unknown", dataLocation=UNKNOWN),
    email_service("email-us", "United States"),
    email_service("email-eu", "Europe"),
    email_service("email-br", "Brazil"),
    domain_of("domain-us", "email-us"),
    domain_of("domain-eu", "email-eu"),
    linking("links-us-domain", "Europe", "domain-us"),
    linking("links-eu-domain", "Europe", "domain-eu"),
    acs("acs-in-a-region", dataLocation="Europe", location="westeurope"),
    fixture(WORKSPACE, "workspace-allowed", {"location": "westeurope"}),
    fixture(WORKSPACE, "workspace-elsewhere", {"location": "eastus"}),
    fixture(WORKSPACE, "workspace-location-unknown", {"location": UNKNOWN}),
    fixture(SYSTEM_TOPIC, "acs-topic-global", {"location": "global", "topicType": ACS_TOPIC_TYPE}),
    fixture(SYSTEM_TOPIC, "acs-topic-regional", {"location": "westeurope", "topicType": ACS_TOPIC_TYPE}),
    fixture(
        SYSTEM_TOPIC,
        "storage-topic-regional",
        {"location": "westeurope", "topicType": "Microsoft.Storage.StorageAccounts"},
    ),
    fixture("azure-native:communication/v20230601preview:CommunicationService", "pinned-preview", {}),
    fixture("azure-native:communication/v20230401:CommunicationService", "pinned-stable", {}),
]


@pytest.fixture(scope="module")
def verdicts():
    return judge(FIXTURES, CONFIG)


@pytest.mark.parametrize(
    ("policy", "resource", "expected"),
    [
        ("acs-data-location-allowed", "in-europe", []),
        (
            "acs-data-location-allowed",
            "in-japan",
            ["'Japan' is not allowed in this stack; allowed: Europe, United States"],
        ),
        ("acs-data-location-allowed", "on-mars", ["'Mars' is not an ACS data location"]),
        ("acs-data-location-allowed", "data-location-unknown", []),
        ("acs-data-location-allowed", "email-us", []),
        ("acs-data-location-allowed", "email-br", ["'Brazil' is not allowed in this stack"]),
        ("email-domain-same-geography", "links-eu-domain", []),
        (
            "email-domain-same-geography",
            "links-us-domain",
            ["(Europe) links domain domain-us of email service email-us (United States)"],
        ),
        ("resource-location-allowed", "in-europe", []),
        ("resource-location-allowed", "acs-in-a-region", ["location is 'westeurope'; this type is global"]),
        ("resource-location-allowed", "workspace-allowed", []),
        ("resource-location-allowed", "workspace-elsewhere", ["region 'eastus' is not allowed in this stack"]),
        ("resource-location-allowed", "workspace-location-unknown", []),
        ("resource-location-allowed", "acs-topic-global", []),
        ("resource-location-allowed", "acs-topic-regional", ["this type is global"]),
        ("resource-location-allowed", "storage-topic-regional", []),
        ("no-preview-api-version", "pinned-preview", ["uses a preview API version"]),
        ("no-preview-api-version", "pinned-stable", []),
        ("no-preview-api-version", "in-europe", []),
    ],
)
def test_rule_verdicts(verdicts, policy, resource, expected):
    found = violations_of(verdicts, policy, resource)
    assert len(found) == len(expected), [v.message for v in found]
    for violation, words in zip(found, expected, strict=True):
        assert words in violation.message
        assert violation.enforcement_level == "mandatory"


def test_unknown_values_never_raise_a_preview_diagnostic(verdicts):
    assert [v for v in verdicts.violations if "during preview" in v.message] == []


def test_defaults_allow_every_valid_data_location_and_any_region():
    verdicts = judge([acs("in-japan", dataLocation="Japan"), fixture(WORKSPACE, "anywhere", {"location": "eastus"})])
    assert violations_of(verdicts, "acs-data-location-allowed") == []
    assert violations_of(verdicts, "resource-location-allowed") == []
