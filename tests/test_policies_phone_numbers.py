"""The online mode of phone-number-availability with the pack's own client (policies/offerings_client.py),
which a published pack uses: the pool's connection string where it is set, else DefaultAzureCredential,
against the local HTTPS fake of the phone numbers API."""

import azure.identity
import pytest

from policies.phone_numbers import offered_online
from policies.resource_types import PHONE_NUMBER_POOL
from tests.conftest import FakeCredential
from tests.fake_phone_numbers import FakePhoneNumbers
from tests.policy_harness import fixture, judge, violations_of

ENV = "ACS_CONNECTION_STRING_ACS_TEST_GB"
GB_GEOGRAPHIC = {
    "phoneNumberType": "geographic",
    "assignmentType": "application",
    "availableCapabilities": {"sms": "none", "calling": "inbound+outbound"},
}


@pytest.fixture
def fake(certificate, monkeypatch):
    """The fake, trusted through REQUESTS_CA_BUNDLE as the pack's client (and the pack's process) would
    trust a proxy's certificate."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    with FakePhoneNumbers(*certificate) as fake:
        fake.offerings["GB"] = [GB_GEOGRAPHIC]
        yield fake


class ClosableCredential(FakeCredential):
    """A stand-in for DefaultAzureCredential, which the client uses in a `with` block."""

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return None


def test_the_packs_client_signs_with_the_pools_connection_string(fake, monkeypatch):
    monkeypatch.setenv(ENV, fake.connection_string())
    assert offered_online(fake.url, "GB", "geographic", "application", connection_string_env=ENV) == [
        ("none", "inbound+outbound")
    ]
    assert fake.auth["HMAC-SHA256"] == 1 and fake.auth["Bearer"] == 0


def test_without_a_connection_string_the_packs_client_uses_default_azure_credential(fake, monkeypatch):
    credentials: list[ClosableCredential] = []

    def default_credential(**_kwargs):
        credentials.append(ClosableCredential())
        return credentials[-1]

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", default_credential)
    monkeypatch.delenv(ENV, raising=False)
    assert offered_online(fake.url, "GB", "tollFree", "application", connection_string_env=ENV) == []
    assert fake.auth["Bearer"] == 1
    assert credentials[0].scopes == ["https://communication.azure.com//.default"]


def test_a_connection_string_of_another_resource_is_refused(fake, monkeypatch):
    monkeypatch.setenv(ENV, "endpoint=https://acs-other.communication.azure.com/;accesskey=a2V5")
    with pytest.raises(ValueError, match="is for acs-other.communication.azure.com, not for the pool's endpoint"):
        offered_online(fake.url, "GB", "geographic", "application", connection_string_env=ENV)
    assert fake.calls["offerings"] == 0


def test_the_pack_judges_a_pool_by_azures_offerings_online(fake, monkeypatch):
    monkeypatch.setenv(ENV, fake.connection_string())
    pools = [
        fixture(
            PHONE_NUMBER_POOL,
            name,
            {
                "endpoint": fake.url,
                "connectionStringEnv": ENV,
                "countryCode": "GB",
                "numberType": "geographic",
                "assignmentType": "application",
                "sms": sms,
                "calling": "inbound",
                "quantity": 1,
            },
        )
        for name, sms in (("gb-calls", "none"), ("gb-sms", "outbound"))
    ]
    # The table sells GB geographic numbers to no US billing address: online, Azure's answer decides.
    verdicts = judge(pools, {"all": "mandatory", "phone-number-availability": {"online": True, "billingCountry": "US"}})
    assert violations_of(verdicts, "phone-number-availability", "gb-calls") == []
    [refusal] = violations_of(verdicts, "phone-number-availability", "gb-sms")
    assert "Azure offers no application geographic numbers in GB with sms 'outbound'" in refusal.message
    assert fake.calls["offerings"] == 2 and fake.auth["HMAC-SHA256"] == 2
