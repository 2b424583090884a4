"""The SipRoutingClient of an ACS resource's Direct Routing configuration: who it signs in as and how it retries.

azure-communication-phonenumbers 1.4.0 speaks API version 2023-03-01 to the ACS data plane
(`https://<name>.communication.azure.com`), where the configuration is one document: `GET /sip` reads it
and `PATCH /sip` changes it as a JSON merge patch. It signs in as `providers.dataplane` says.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from azure.communication.phonenumbers.siprouting import SipRoutingClient
from azure.core.credentials import TokenCredential

from providers.dataplane import as_whoever_runs_pulumi, build_client
from providers.retry import IDEMPOTENT

ClientFactory = Callable[[str, str | None], AbstractContextManager[SipRoutingClient]]
"""(endpoint, name of the connection string's environment variable or None) -> a client for the
length of a `with` block."""

# azure-core retries PATCH only on 500, 503 and 504 without Retry-After: a 429 or a 502 would fail at
# once. The PATCH here is safe to repeat: it sets each trunk it names to a port or removes it (a trunk
# removed twice is answered 200, as the SDK's recorded tests show), and replaces the whole route list,
# so a repeat after a lost answer asks for the same configuration again.
RETRY_METHODS = IDEMPOTENT | {"PATCH"}


class SipRoutingError(RuntimeError):
    """A step on a Direct Routing configuration failed; the message names the ACS resource, the step,
    and what was and was not applied."""


def sip_routing_client(
    endpoint: str, connection_string_env: str | None, credential: TokenCredential | None, **options: Any
) -> SipRoutingClient:
    """`dataplane.build_client` for Direct Routing: a connection string of another ACS resource is refused."""
    return build_client(
        SipRoutingClient,
        endpoint,
        connection_string_env,
        credential,
        retry_methods=RETRY_METHODS,
        wrong_resource=SipRoutingError,
        serving="the Direct Routing",
        **options,
    )


@contextmanager
def open_client(
    endpoint: str,
    connection_string_env: str | None,
    credential: TokenCredential | None,
    **options: Any,
) -> Iterator[SipRoutingClient]:
    """`sip_routing_client` for the length of a `with` block."""
    with sip_routing_client(endpoint, connection_string_env, credential, **options) as client:
        yield client


def default_client(endpoint: str, connection_string_env: str | None) -> AbstractContextManager[SipRoutingClient]:
    """A client as whoever runs `pulumi up` (`dataplane.as_whoever_runs_pulumi`)."""
    return as_whoever_runs_pulumi(open_client, endpoint, connection_string_env)
