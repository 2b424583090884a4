"""What the project's own Azure calls share: the ACS management (ARM) client, the one-line error
formatter, and the deadline of long-running operations.

`providers.keyrotation` and `providers.emaildomains` call ARM through `acs_client`;
`providers.numberpools` calls the ACS data plane through its own client, and shares `reason` and
`DeadlinePolling` with them.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.mgmt.communication import CommunicationServiceManagementClient

from providers.retry import IDEMPOTENT, RETRY_BACKOFF_FACTOR, SYSTEM_CLOCK, BoundedRetryPolicy, Clock

# azure-core retries POST only on 500, 503 and 504 without Retry-After. Every POST the project sends to
# ARM is safe to repeat, so all of them are retried like the idempotent methods:
# - listKeys (providers.keyrotation) only reads;
# - regenerateKey (providers.keyrotation): a repeated regeneration only replaces a key whose value was never
#   handed to anyone;
# - initiateVerification (providers.emaildomains): asks ARM to check a domain's DNS record again; a repeat only
#   queues the same check.
# The PATCH that links domains (providers.emaildomains.link) sets the whole list; it adds PATCH for that call only.
RETRY_METHODS = IDEMPOTENT | {"POST"}

ClientFactory = Callable[[str, str], AbstractContextManager[CommunicationServiceManagementClient]]
"""(subscription id, ARM endpoint) -> a client for the length of a `with` block."""

_RESOURCE_ID = re.compile(
    r"/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.Communication/communicationServices/(?P<name>[-\w]{1,63})",
    re.IGNORECASE,
)


class OperationTimedOut(AzureError):
    """A long-running operation was still running at its deadline, or asked to be polled again only
    after it. The message says how long was really waited, and what the service asked for."""


class DeadlinePolling:
    """A deadline for an azure-core polling method (LROBasePolling or one of its subclasses), mixed in
    before it: `class P(DeadlinePolling, LROBasePolling)`. A poller given a timeout (`result(timeout=)`)
    returns at it but leaves its thread polling; this one stops polling, and the poller raises
    OperationTimedOut. The deadline runs from the polling method's creation: make one per operation,
    passed as `polling=` to its `begin_*` call. Its waits (the interval, or the service's Retry-After)
    go through `clock`, and so does the deadline."""

    def __init__(self, *args: Any, operation_timeout: float, clock: Clock = SYSTEM_CLOCK, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._started = clock.monotonic()
        self._deadline = self._started + operation_timeout
        self._operation_timeout = operation_timeout

    def _delay(self) -> None:
        delay = self._extract_delay()  # type: ignore[attr-defined]
        now = self._clock.monotonic()
        if now + delay > self._deadline:
            waited = now - self._started
            raise OperationTimedOut(
                f"the operation was still running after {waited:.0f} s, and the next status check was due in "
                f"{delay:g} s, past the deadline of {self._operation_timeout:g} s"
            )
        self._sleep(delay)  # type: ignore[attr-defined]

    def _sleep(self, delay: float) -> None:
        self._clock.sleep(delay)


def reason(error: BaseException) -> str:
    """An SDK error in one line: the service's code and message, without the SDK's repetitions."""
    if isinstance(error, HttpResponseError):
        detail = getattr(error, "error", None)
        code, message = getattr(detail, "code", None), getattr(detail, "message", None)
        text = f"{code}: {message}" if code and message else str(error.message or error).splitlines()[0]
        text = text.rstrip(".")
        if error.status_code is not None and error.status_code >= 400:
            return f"HTTP {error.status_code} {error.reason}: {text}"
        # The operation's status answered 200 and said failed: the code and message are the operation's.
        return f"the operation ended failed ({text})" if code else text
    return str(error).splitlines()[0].rstrip(".") if str(error) else type(error).__name__


def parse_resource_id(resource_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of an ACS resource id."""
    match = _RESOURCE_ID.fullmatch(resource_id) if isinstance(resource_id, str) else None
    if match is None:
        raise ValueError(
            f"not an ACS resource id: {resource_id!r}; expected /subscriptions/<id>/resourceGroups/<group>"
            "/providers/Microsoft.Communication/communicationServices/<name>"
        )
    return match["subscription"], match["resource_group"], match["name"]


def acs_client(
    subscription_id: str,
    credential: TokenCredential,
    arm_endpoint: str,
    *,
    retry_backoff_factor: float = RETRY_BACKOFF_FACTOR,
    clock: Clock = SYSTEM_CLOCK,
    **transport_options: Any,
) -> CommunicationServiceManagementClient:
    """A client for `arm_endpoint` with a bounded retry policy that waits through `clock`.
    `transport_options` go to the HTTP transport, such as `connection_verify` (a CA bundle path)."""
    arm_endpoint = arm_endpoint.rstrip("/")
    return CommunicationServiceManagementClient(
        credential,
        subscription_id,
        base_url=arm_endpoint,
        # The token's audience is the endpoint's own cloud; the SDK would take the public cloud's.
        credential_scopes=[f"{arm_endpoint}/.default"],
        retry_policy=BoundedRetryPolicy(RETRY_METHODS, retry_backoff_factor, clock),
        **transport_options,
    )


@contextmanager
def default_client(subscription_id: str, arm_endpoint: str) -> Iterator[CommunicationServiceManagementClient]:
    """A client as whoever runs `pulumi up`: Azure CLI login, environment, managed identity or CI's OIDC."""
    from providers.credential import provider_credential  # azure-native's sign-in; imports azure.identity when called

    with (
        provider_credential() as credential,
        acs_client(subscription_id, credential, arm_endpoint) as client,
    ):
        yield client
