import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from providers.arm import acs_client
from tests.adoption_tenant import HOSTS, Fakes, seed_tenant
from tests.fake_arm import ALL_VERIFIED, SUBSCRIPTION, FakeArm, make_certificate
from tests.fake_clock import FakeClock
from tests.fake_phone_numbers import FakePhoneNumbers
from tests.fake_sip_routing import FakeSipRouting
from tests.stacks import plan_committed


@pytest.fixture(scope="session")
def dev_plan():
    return plan_committed("dev")


@pytest.fixture(scope="session")
def prod_plan():
    return plan_committed("prod")


class FakeCredential:
    """A token credential that hands out a token and remembers the scopes asked for."""

    def __init__(self):
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_kwargs) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken("fake-token", int(time.time()) + 3600)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("fake-arm"))


@pytest.fixture
def arm(certificate, clock):
    """The fake ARM on the test's clock: ARM's checks end on the time the providers wait on."""
    with FakeArm(*certificate, clock=clock) as fake:
        yield fake


@pytest.fixture
def service(arm) -> str:
    """An ACS resource in the fake ARM."""
    return arm.add_service(SUBSCRIPTION, "rg-acs", "acs-eu")


@pytest.fixture
def verified_domains(arm) -> list[str]:
    """fabrikam, contoso, adatum: verified domains of one email service, in the fake ARM."""
    return [
        arm.add_domain(SUBSCRIPTION, "rg-mail", "mail-eu", name, states=ALL_VERIFIED)
        for name in ("fabrikam.com", "contoso.com", "adatum.com")
    ]


@pytest.fixture
def credential() -> FakeCredential:
    return FakeCredential()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tenant_fakes(certificate, credential, clock):
    """The tenant issue 16 describes (tests/adoption_tenant.py), in fakes of ARM and of each ACS resource's
    phone numbers and SIP routing data planes."""
    with ExitStack() as stack:
        arm = stack.enter_context(FakeArm(*certificate, clock=clock))
        numbers = {host: stack.enter_context(FakePhoneNumbers(*certificate, clock=clock)) for host in HOSTS}
        sip = {host: stack.enter_context(FakeSipRouting(*certificate)) for host in HOSTS}
        tenant = seed_tenant(arm, numbers, sip)
        yield Fakes(arm, numbers, sip, tenant, certificate, credential, clock)


@pytest.fixture
def clients(certificate, credential, clock):
    """The client factory the providers take: the real SDK client, trusting the fake's certificate,
    waiting (backoff and Retry-After, as sent) on the injected clock."""

    def factory(subscription: str, arm_endpoint: str):
        return acs_client(subscription, credential, arm_endpoint, clock=clock, connection_verify=str(certificate[0]))

    return factory
