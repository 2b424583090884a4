"""The PhoneNumbersClient of a pool: who it signs in as, how it retries, how long it waits.

azure-communication-phonenumbers 1.4.0 speaks API version 2025-06-01 to the ACS data plane
(`https://<name>.communication.azure.com`). It signs with an access key (HMAC-SHA256) when built from a
connection string, and otherwise asks a token credential for `https://communication.azure.com//.default`.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import urlsplit

from azure.communication.phonenumbers import PhoneNumbersClient
from azure.core.credentials import TokenCredential
from azure.core.polling.base_polling import LROBasePolling

from providers.arm import DeadlinePolling
from providers.dataplane import as_whoever_runs_pulumi, build_client
from providers.retry import IDEMPOTENT, SYSTEM_CLOCK, Clock

ClientFactory = Callable[[str, str | None], AbstractContextManager[PhoneNumbersClient]]
"""(endpoint, name of the connection string's environment variable or None) -> a client for the
length of a `with` block."""

# azure-core retries only idempotent methods, and POST and PATCH only on 500, 503 and 504 without
# Retry-After: a 429 or 502 on a search or a purchase would fail at once. Every call here is safe to
# repeat, but not because the service de-duplicates requests: 1.4.0 sends no Repeatability-Request-ID,
# so a repeat is a new request. It is safe because of what each one names:
# - a search (POST :search) holds numbers under a new search id until it expires (searchExpiresBy,
#   minutes): a repeated one only holds other numbers for a while, and nothing is billed until a
#   purchase, which names the one search id whose answer we got;
# - a purchase (POST :purchase) names a search id, not numbers: it can only ever buy the numbers that
#   search holds, and a number bought is no longer available to be bought again. When its outcome is
#   unclear, `numbers.purchase` lists what was bought and releases it;
# - a release (DELETE /phoneNumbers/{n}) of a number already released answers 404, read as released;
# - a capability update (PATCH, merge-patch) sets a target state: repeated, it sets the same.
RETRY_METHODS = IDEMPOTENT | {"POST", "PATCH"}

# How often the long-running operations (search, purchase, release, capability update) are polled,
# unless the service's Retry-After says otherwise, and how long one may run before we give up.
# A search takes seconds to a minute; the SDK's own interval is 2 s.
LRO_POLLING_INTERVAL = 2.0
LRO_TIMEOUT = 600.0


class PhoneNumberPoolError(RuntimeError):
    """A step on a pool failed; the message names the pool, the step and the numbers involved."""


class BoundedPolling(DeadlinePolling, LROBasePolling):
    """The SDK's own polling (Operation-Location, then the final GET), with a deadline. It is passed as
    `polling=` to each `begin_*` call: `begin_update_phone_number_capabilities` waits on its poller
    itself, without a timeout, so this is the only bound it gets."""

    def __init__(
        self,
        endpoint: str,
        interval: float,
        timeout: float,
        final_state_via: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        super().__init__(
            interval,
            lro_options={"final-state-via": final_state_via} if final_state_via else None,
            # Where the service answers with relative URLs, they are relative to the endpoint.
            path_format_arguments={"endpoint": endpoint},
            operation_timeout=timeout,
            clock=clock,
        )

    @property
    def operation_id(self) -> str | None:
        """The id of the operation, once the service has answered its start (202 with an operation-id
        header, and Operation-Location ending in it): where its status can be read again later."""
        initial = getattr(self, "_initial_response", None)
        if initial is None:
            return None
        headers = initial.http_response.headers
        location = headers.get("Operation-Location") or ""
        return headers.get("operation-id") or urlsplit(location).path.rsplit("/", 1)[-1] or None


def phone_numbers_client(
    endpoint: str, connection_string_env: str | None, credential: TokenCredential | None, **options: Any
) -> PhoneNumbersClient:
    """`dataplane.build_client` for phone numbers: a connection string of another ACS resource is refused."""
    return build_client(
        PhoneNumbersClient,
        endpoint,
        connection_string_env,
        credential,
        retry_methods=RETRY_METHODS,
        wrong_resource=PhoneNumberPoolError,
        serving="the pool",
        **options,
    )


@contextmanager
def open_client(
    endpoint: str,
    connection_string_env: str | None,
    credential: TokenCredential | None,
    **options: Any,
) -> Iterator[PhoneNumbersClient]:
    """`phone_numbers_client` for the length of a `with` block."""
    with _closing(phone_numbers_client(endpoint, connection_string_env, credential, **options)) as client:
        yield client


@contextmanager
def _closing(client: PhoneNumbersClient) -> Iterator[PhoneNumbersClient]:
    try:
        yield client
    finally:
        # PhoneNumbersClient 1.4.0 has no close() of its own; its generated client holds the transport.
        inner = getattr(client, "_phone_number_client", None)
        if inner is not None:
            inner.close()


def default_client(endpoint: str, connection_string_env: str | None) -> AbstractContextManager[PhoneNumbersClient]:
    """A client as whoever runs `pulumi up` (`dataplane.as_whoever_runs_pulumi`)."""
    return as_whoever_runs_pulumi(open_client, endpoint, connection_string_env)
