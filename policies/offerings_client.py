"""The PhoneNumbersClient of the online mode of `phone-number-availability`, built inside the pack.

A published pack runs without the repository, so it cannot use the providers' client
(providers/numberpools/client.py); this one needs only what the pack's requirements.txt installs:
azure-communication-phonenumbers (API 2025-06-01) and azure-identity, both imported only when the
online mode asks Azure.

Who it signs in as: the connection string in the pool's `connectionStringEnv` variable where that is
set (an instance that allows local auth, as the pool's provider does), else DefaultAzureCredential:
`az login`, the `AZURE_*` variables, workload or managed identity. Unlike the providers
(providers/credential.py), it does not read azure-native's `ARM_*` variables: that sign-in is the
repository's own code, and a published pack carries none of it. In CI, a job that turns the online
mode on signs in with `azure/login` (its Azure CLI session) or sets `AZURE_CLIENT_ID`,
`AZURE_TENANT_ID` and a secret or federated token file. Where no identity answers, the call fails
and the rule judges by the dated table, as it does when Azure is unreachable.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

# The name of an environment variable, as a pool's connectionStringEnv gives it.
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# A policy runs inside a preview: a few quick retries and short timeouts, so that a throttled or
# silent service falls back to the table instead of holding the preview.
CLIENT_OPTIONS: dict[str, Any] = {
    "retry_total": 2,
    "retry_backoff_max": 10,
    "connection_timeout": 10,
    "read_timeout": 30,
}


def host_of(endpoint: str) -> str:
    return (urlsplit(endpoint).netloc or endpoint).lower()


def connection_string(connection_string_env: str | None) -> str | None:
    """The connection string in the variable `connection_string_env`; None when no (valid) name is
    given, or the variable is unset or empty."""
    if not connection_string_env or not ENV_NAME.fullmatch(connection_string_env):
        return None
    return os.environ.get(connection_string_env) or None


@contextmanager
def default_client(endpoint: str, connection_string_env: str | None) -> Iterator[Any]:
    """A PhoneNumbersClient for `endpoint` for the length of a `with` block, signed in as described
    above. A connection string of another ACS resource is refused: it would ask about another one."""
    from azure.communication.phonenumbers import PhoneNumbersClient

    value = connection_string(connection_string_env)
    if value is not None:
        client = PhoneNumbersClient.from_connection_string(value, **CLIENT_OPTIONS)
        if host_of(client._endpoint) != host_of(endpoint):
            raise ValueError(
                f"the connection string in ${connection_string_env} is for {host_of(client._endpoint)}, "
                f"not for the pool's endpoint {host_of(endpoint)}"
            )
        with _closing(client):
            yield client
        return

    from azure.identity import DefaultAzureCredential

    with (
        DefaultAzureCredential() as credential,
        _closing(PhoneNumbersClient(endpoint, credential, **CLIENT_OPTIONS)) as client,
    ):
        yield client


@contextmanager
def _closing(client: Any) -> Iterator[Any]:
    try:
        yield client
    finally:
        # PhoneNumbersClient 1.4.0 has no close() of its own; its generated client holds the transport.
        inner = getattr(client, "_phone_number_client", None)
        if inner is not None:
            inner.close()
