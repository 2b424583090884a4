"""The retry policy of every Azure call the project makes itself: bounded, and Retry-After honoured
up to a limit, so a throttled `pulumi up` retries a while and then fails with a clear error.

Callers say which methods are safe to repeat for them: azure-core retries POST and PATCH only on
500, 503 and 504 without Retry-After, so a 429 or a 502 on such a call would fail at once.

Every wait the providers make (a retry's backoff or Retry-After, a long-running operation's poll
interval, a reconciliation's pause) goes through one `Clock`, so tests can inject time: a
`Retry-After: 3600` then costs nothing, and deadlines still behave as they would in reality.
"""

import time
from typing import Any, Protocol

from azure.core.pipeline.policies import RetryPolicy

# Five attempts at most. azure-core counts total and status retries separately (status defaults to
# 3) and stops at whichever runs out first, so both are set.
RETRY_TOTAL = 4
# Backoff between attempts without Retry-After: 0 s, then 1, 2, 4 s.
RETRY_BACKOFF_FACTOR = 0.5
RETRY_BACKOFF_MAX = 8
# azure-core sleeps as long as Retry-After asks, with no upper bound.
RETRY_AFTER_MAX = 60
# The attempts of one request together stop after this long (azure-core's default is a week).
RETRY_TIMEOUT = 300
IDEMPOTENT = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"})


class Clock(Protocol):
    """Where the providers read the time and wait."""

    def monotonic(self) -> float: ...

    def time(self) -> float: ...  # seconds since the epoch, for what is kept in a state between runs

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class BoundedRetryPolicy(RetryPolicy):
    def __init__(
        self,
        methods: frozenset[str],
        backoff_factor: float = RETRY_BACKOFF_FACTOR,
        clock: Clock = SYSTEM_CLOCK,
    ):
        super().__init__(
            retry_total=RETRY_TOTAL,
            retry_status=RETRY_TOTAL,
            retry_backoff_factor=backoff_factor,
            retry_backoff_max=RETRY_BACKOFF_MAX,
            timeout=RETRY_TIMEOUT,
        )
        self._methods = methods
        self._clock = clock

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("retry_on_methods", self._methods)
        return super().configure_retries(options)

    def get_retry_after(self, response: Any) -> float | None:
        retry_after = super().get_retry_after(response)
        return None if retry_after is None else min(retry_after, RETRY_AFTER_MAX)

    # azure-core waits through the transport; the project's waits go through its clock instead.
    def _sleep_for_retry(self, response: Any, transport: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            self._clock.sleep(retry_after)
            return True
        return False

    def _sleep_backoff(self, settings: dict[str, Any], transport: Any) -> None:
        backoff = self.get_backoff_time(settings)
        if backoff > 0:
            self._clock.sleep(backoff)
