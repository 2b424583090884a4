"""The project's dynamic providers live in the stack's state as a reference to their class."""

import base64

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from providers.emaildomains.link import LinkedDomainsProvider
from providers.emaildomains.verification import DomainVerificationProvider
from providers.keyrotation.resource import AcsKeyRotationProvider
from providers.numberpools.pool import PhoneNumberPoolProvider
from providers.siprouting import SipRoutingProvider


@pytest.mark.parametrize(
    "provider_class",
    [
        AcsKeyRotationProvider,
        DomainVerificationProvider,
        LinkedDomainsProvider,
        PhoneNumberPoolProvider,
        SipRoutingProvider,
    ],
)
def test_a_provider_pickles_as_a_reference_to_its_class(provider_class):
    provider = provider_class()
    assert vars(provider) == {}  # no client, no thread, no credential in the state

    serialized = serialize_provider(provider)

    assert isinstance(dill.loads(base64.b64decode(serialized)), provider_class)
    assert len(serialized) < 200  # its code is not in the state, only where to import it from
