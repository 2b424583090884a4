import time
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from providers.arm import acs_client
from tests.fake_arm import FakeArm, make_certificate
from tests.fake_clock import FakeClock
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
def arm(certificate):
    with FakeArm(*certificate) as fake:
        yield fake


@pytest.fixture
def credential() -> FakeCredential:
    return FakeCredential()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clients(certificate, credential, clock):
    """The client factory the providers take: the real SDK client, trusting the fake's certificate,
    waiting (backoff and Retry-After, as sent) on the injected clock."""

    def factory(subscription: str, arm_endpoint: str):
        return acs_client(subscription, credential, arm_endpoint, clock=clock, connection_verify=str(certificate[0]))

    return factory
