"""Clients of an ACS resource's data plane (`https://<name>.communication.azure.com`): phone numbers and
Direct Routing, each through its azure-communication-phonenumbers client.

Such a client signs with an access key (HMAC-SHA256) when built from a connection string, and otherwise
asks a token credential for `https://communication.azure.com//.default`. Only the name of the environment
variable holding a connection string ever reaches a resource's state; its value is read when a client is
built.
"""

import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential

from providers.retry import RETRY_BACKOFF_FACTOR, SYSTEM_CLOCK, BoundedRetryPolicy, Clock

Client = TypeVar("Client")

# The name of an environment variable, as a resource's connection_string_env gives it.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

OpenClient = Callable[[str, str | None, TokenCredential | None], AbstractContextManager[Any]]
"""(endpoint, name of the connection string's environment variable or None, credential or None) -> a client
for the length of a `with` block."""


def host_of(endpoint: str) -> str:
    return (urlsplit(endpoint).netloc or endpoint).lower()


def connection_string(connection_string_env: str | None) -> str | None:
    """The connection string in the environment variable `connection_string_env`; None when no name is
    given, or the variable is unset or empty."""
    if not connection_string_env:
        return None
    if not ENV_NAME.fullmatch(connection_string_env):
        raise ValueError(f"not an environment variable name: {connection_string_env!r}")
    return os.environ.get(connection_string_env) or None


def build_client(
    client_class: type[Client],
    endpoint: str,
    connection_string_env: str | None,
    credential: TokenCredential | None,
    *,
    retry_methods: frozenset[str],
    wrong_resource: type[Exception],
    serving: str,
    retry_backoff_factor: float = RETRY_BACKOFF_FACTOR,
    clock: Clock = SYSTEM_CLOCK,
    **transport_options: Any,
) -> Client:
    """A `client_class` for `endpoint` with the bounded retry policy for `retry_methods` (waiting through
    `clock`): signed with the access key of the connection string in `connection_string_env` when that is
    set and non-empty, else with `credential`. A connection string of another ACS resource raises
    `wrong_resource`, naming `serving` ("the pool"). `transport_options` go to the HTTP transport, such as
    `connection_verify` (a CA bundle path)."""
    options = {"retry_policy": BoundedRetryPolicy(retry_methods, retry_backoff_factor, clock), **transport_options}
    value = connection_string(connection_string_env)
    if value is not None:
        client = client_class.from_connection_string(value, **options)  # type: ignore[attr-defined]
        # The key signs for the resource the connection string names: a connection string of another ACS
        # resource would buy its numbers, or route its calls.
        if host_of(client._endpoint) != host_of(endpoint):
            raise wrong_resource(
                f"the connection string in ${connection_string_env} is for {host_of(client._endpoint)}, "
                f"not for {serving}'s endpoint {host_of(endpoint)}"
            )
        return client
    if credential is None:
        raise ValueError("a token credential is needed where no connection string is set")
    return client_class(endpoint, credential, **options)  # type: ignore[call-arg]


@contextmanager
def as_whoever_runs_pulumi(open_client: OpenClient, endpoint: str, connection_string_env: str | None) -> Iterator[Any]:
    """A client as whoever runs `pulumi up`: the connection string where the instance allows local auth
    and the variable is set, else azure-native's sign-in (Azure CLI login, environment, managed identity
    or CI's OIDC)."""
    if connection_string(connection_string_env) is not None:
        with open_client(endpoint, connection_string_env, None) as client:
            yield client
        return
    from providers.credential import provider_credential  # imports azure.identity when called

    with provider_credential() as credential, open_client(endpoint, None, credential) as client:
        yield client
