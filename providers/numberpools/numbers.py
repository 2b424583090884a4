"""The service steps of a pool: search, purchase (and its reconciliation), adoption, release, capability update,
listing.

Each step takes an open PhoneNumbersClient and the `Pool` it works for, and raises PhoneNumberPoolError
naming the pool, the step and the numbers involved. A purchase is billed: nothing here buys anything
but `purchase`, and `purchase` buys only what one search holds.

A purchase's outcome is only ever what was observed. When its answer is lost (the SDK repeats the POST
and the service refuses the repeat), or its status cannot be read, `purchase` keeps observing, within
the pool's deadline, until every number is listed as held or the operation is seen to fail. Numbers
whose fate is still unknown at the deadline come back as a `PendingPurchase`, which the pool keeps in
its state and `settle` resolves on a later run: nothing that may be billed is ever left untracked.
"""

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from azure.communication.phonenumbers import PhoneNumberCapabilities, PhoneNumbersClient
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError

from providers.arm import reason
from providers.numberpools.client import LRO_POLLING_INTERVAL, LRO_TIMEOUT, BoundedPolling, PhoneNumberPoolError
from providers.retry import SYSTEM_CLOCK, Clock

# How often an unclear purchase is checked (listing, and the operation's status where it is known).
RECONCILE_INTERVAL = 15.0
# How long after its search expired a purchase whose operation cannot be read is taken to have ended.
# A purchase can only start while its search holds the numbers (searchExpiresBy, under 15 minutes after
# the search); the spec gives no bound on how long one then runs. Assumption: no longer than an LRO
# timeout of ours, which is far longer than the seconds to a minute purchases take.
PURCHASE_SETTLE_SECONDS = LRO_TIMEOUT
# Operation statuses (2025-06-01 PhoneNumberOperationStatus) that end an operation.
ENDED = frozenset({"succeeded", "failed"})
# The POST of a purchase answered one of these on its only attempt: the service refused it, nothing started.
REFUSED = frozenset({400, 401, 403, 404})

_NOT_DIGITS = re.compile(r"[^0-9]")


def e164(number: str) -> str:
    """`number` as E.164, `+` and digits: listings may leave out the `+` or add separators."""
    return "+" + _NOT_DIGITS.sub("", str(number))


@dataclass(frozen=True)
class Pool:
    """What a step needs to know of the pool it works for, and how errors name it."""

    endpoint: str
    country_code: str
    number_type: str
    assignment_type: str
    sms: str
    calling: str
    area_code: str | None = None
    polling_interval: float = LRO_POLLING_INTERVAL
    operation_timeout: float = LRO_TIMEOUT
    reconcile_interval: float = RECONCILE_INTERVAL
    clock: Clock = SYSTEM_CLOCK

    def kind(self) -> dict[str, str]:
        """What a number of this pool is, as the service writes it (`kind_of`)."""
        return {
            "country_code": self.country_code,
            "number_type": self.number_type,
            "assignment_type": self.assignment_type,
            "sms": self.sms,
            "calling": self.calling,
        }

    def describe(self) -> str:
        area = f", area code {self.area_code}" if self.area_code else ""
        return f"phone number pool ({self.country_code}, {self.number_type}{area}) at {self.endpoint}"

    def polling(self, final_state_via: str | None = None) -> BoundedPolling:
        return BoundedPolling(
            self.endpoint, self.polling_interval, self.operation_timeout, final_state_via, clock=self.clock
        )


@dataclass(frozen=True)
class Search:
    search_id: str
    phone_numbers: list[str]
    agreement_required: bool
    expires_by: str | None = None  # ISO 8601, as the service said


@dataclass(frozen=True)
class PendingPurchase:
    """Numbers a purchase may have bought, whose outcome was not observed: kept in the pool's state."""

    search_id: str
    phone_numbers: list[str]
    requested_at: float  # seconds since the epoch
    search_expires_by: str | None = None
    operation_id: str | None = None  # where its status can be read, when the service said

    def to_state(self) -> dict[str, Any]:
        return {
            "searchId": self.search_id,
            # Not "phoneNumbers": the SDK would translate a nested key of that name as the pool's own.
            "numbers": list(self.phone_numbers),
            "requestedAt": iso(self.requested_at),
            "searchExpiresBy": self.search_expires_by,
            "operationId": self.operation_id,
        }

    @classmethod
    def from_state(cls, value: Any) -> "PendingPurchase | None":
        if not value:
            return None
        return cls(
            search_id=value["searchId"],
            phone_numbers=[e164(n) for n in value.get("numbers") or []],
            requested_at=_epoch(value["requestedAt"]),
            search_expires_by=value.get("searchExpiresBy"),
            operation_id=value.get("operationId"),
        )

    def settles_at(self) -> float:
        """When, without the operation's status, the purchase has had every chance to end."""
        expires = _epoch(self.search_expires_by) if self.search_expires_by else self.requested_at
        return max(expires, self.requested_at) + PURCHASE_SETTLE_SECONDS

    def describe(self) -> str:
        return f"{', '.join(self.phone_numbers)} (search {self.search_id}, requested {iso(self.requested_at)})"


@dataclass(frozen=True)
class Purchase:
    """What a purchase is known to have bought, and what it may still have bought."""

    bought: list[str]
    pending: PendingPurchase | None = None


def search(client: PhoneNumbersClient, pool: Pool, quantity: int, agree_to_not_resell: bool) -> Search:
    """One search for `quantity` numbers. Raises, having bought nothing, when it finds fewer, or when the
    numbers need the agreement not to resell and it is not given. The numbers a search holds and nobody
    buys go back to the service when the search expires, in minutes."""
    step = f"searching {quantity} number{'s' if quantity != 1 else ''} for the {pool.describe()}"
    try:
        poller = client.begin_search_available_phone_numbers(
            pool.country_code,
            pool.number_type,
            pool.assignment_type,
            PhoneNumberCapabilities(sms=pool.sms, calling=pool.calling),
            area_code=pool.area_code,
            quantity=quantity,
            # No locality: the search request of 1.4.0 (API 2025-06-01) has none. The pool keeps it as
            # part of its identity; the area code is what narrows the search.
            polling=pool.polling("location"),
        )
        result = poller.result()
    except AzureError as error:
        raise PhoneNumberPoolError(f"{step} failed: {reason(error)}; nothing was bought") from error
    found = [e164(n) for n in result.phone_numbers or []]
    if len(found) < quantity:
        service = f" ({result.error_code}: {result.error})" if result.error_code or result.error else ""
        raise PhoneNumberPoolError(
            f"{step} found {len(found)} of the {quantity} asked for{service}; nothing was bought. "
            "Ask for fewer, another area code, or try again later"
        )
    if len(found) > quantity:  # never buy more than asked, whatever the service holds
        raise PhoneNumberPoolError(f"{step} found {len(found)} numbers, more than asked; nothing was bought")
    if result.is_agreement_to_not_resell_required and not agree_to_not_resell:
        raise PhoneNumberPoolError(
            f"{step}: the numbers found ({', '.join(found)}) can only be bought with the agreement not to "
            "resell them; set agree_to_not_resell=True to give it. Nothing was bought"
        )
    expires = iso(result.search_expires_by.timestamp()) if result.search_expires_by else None
    return Search(result.search_id, found, bool(result.is_agreement_to_not_resell_required), expires)


def purchase(client: PhoneNumbersClient, pool: Pool, found: Search, agree_to_not_resell: bool) -> Purchase:
    """Buys the numbers of one search, in its order.

    - The operation succeeded: all of them are bought.
    - The service refused the request outright, or the operation is seen to fail: whatever it bought
      anyway is released, and the error lists each number with whether it was released.
    - Anything else (a lost answer, a repeat refused because the first went through, status checks
      throttled or out of time) leaves the outcome unknown: it is observed until the deadline, and
      whatever is still unknown then comes back as pending, never as "not bought"."""
    numbers = found.phone_numbers
    step = f"purchasing {', '.join(numbers)} for the {pool.describe()}"
    deadline, requested_at = pool.clock.monotonic() + pool.operation_timeout, pool.clock.time()
    polling = pool.polling()
    attempts: list[object] = []
    try:
        poller = client.begin_purchase_phone_numbers(
            found.search_id,
            agree_to_not_resell=agree_to_not_resell,
            polling=polling,
            # Runs once per attempt (the hook stands after the retry policy): a refusal of the only
            # attempt is an observed outcome; a refusal of a repeat says nothing about the first.
            raw_request_hook=attempts.append,
        )
        poller.result()
        return Purchase(list(numbers))
    except AzureError as error:
        failure = error
    if _refused(failure, attempts) or _operation_failed(failure):
        _undo(client, pool, f"{step} failed: {reason(failure)}", numbers, failure)
    pending = PendingPurchase(found.search_id, list(numbers), requested_at, found.expires_by, polling.operation_id)
    return _observe(client, pool, step, pending, failure, deadline)


def _observe(
    client: PhoneNumbersClient,
    pool: Pool,
    step: str,
    pending: PendingPurchase,
    failure: AzureError,
    deadline: float,
) -> Purchase:
    """Watches an unclear purchase until every number is held, its operation is seen to fail, or the
    deadline; what is still unknown then is pending."""
    numbers = pending.phone_numbers
    bought: list[str] = []
    while True:
        status = operation_status(client, pending.operation_id)
        if status == "failed":
            _undo(client, pool, f"{step} failed: its operation {pending.operation_id} ended failed", numbers, failure)
        held = _held_now(client, pool)
        if held is not None:
            bought = still_held(numbers, held)
            if len(bought) == len(numbers):
                # The purchase went through and only its answer failed: the numbers are ours.
                return Purchase(bought)
        remaining = deadline - pool.clock.monotonic()
        if remaining <= 0:
            # Kept in the state and resolved by the next run; the program reports it as an error.
            return Purchase(bought, replace(pending, phone_numbers=[n for n in numbers if n not in bought]))
        pool.clock.sleep(min(pool.reconcile_interval, remaining))


def _undo(client: PhoneNumbersClient, pool: Pool, failed: str, numbers: Sequence[str], failure: AzureError) -> NoReturn:
    """After a purchase known to have failed (`failed` says how): releases what it bought anyway, and
    raises an error that lists each number with whether it was released."""
    try:
        held = purchased_numbers(client, pool)
    except PhoneNumberPoolError as listing:
        raise PhoneNumberPoolError(
            f"{failed}. Finding out which were bought failed too ({listing}): "
            f"each of {', '.join(numbers)} may be held and billed; check the ACS resource's phone numbers"
        ) from failure
    bought = still_held(numbers, held)
    if not bought:
        raise PhoneNumberPoolError(f"{failed}; none of them was bought") from failure
    outcomes = []
    for number in bought:
        refused = try_release(client, pool, number)
        outcomes.append(f"{number} released" if refused is None else f"{number} STILL HELD (release failed: {refused})")
    raise PhoneNumberPoolError(
        f"{failed}. It bought {len(bought)} of them before failing: {'; '.join(outcomes)}"
    ) from failure


def settle(
    client: PhoneNumbersClient, pool: Pool, pending: PendingPurchase, held: set[str]
) -> tuple[list[str], PendingPurchase | None]:
    """(the pending numbers now held, what is still pending) for a purchase an earlier run could not
    see to its end, given the numbers `held` now. A number not held is dropped only once the purchase
    is known to have ended: its operation says so, or, where its status cannot be read, the purchase
    has had every chance to end (`PendingPurchase.settles_at`)."""
    adopted = still_held(pending.phone_numbers, held)
    missing = [n for n in pending.phone_numbers if n not in adopted]
    if not missing:
        return adopted, None
    status = operation_status(client, pending.operation_id)
    if status in ENDED or (status is None and pool.clock.time() >= pending.settles_at()):
        return adopted, None
    return adopted, replace(pending, phone_numbers=missing)


def adopt(client: PhoneNumbersClient, pool: Pool, numbers: Sequence[str]) -> list[str]:
    """`numbers` (E.164), once each is read (a GET, nothing else) and seen to be held by the pool's ACS
    resource with the pool's country, type, assignment and capabilities. Raises one error naming every
    number that is not, what the resource has, what the pool asks and what to change: nothing is bought,
    released or changed either way."""
    wrong: list[str] = []
    for number in numbers:
        try:
            held = client.get_purchased_phone_number(number)
        except ResourceNotFoundError as error:
            wrong.append(
                f"{number} is not held by this ACS resource ({reason(error)}), and only a number it holds can be "
                "adopted: remove it from adopt_numbers, or check the endpoint and the number"
            )
            continue
        except AzureError as error:
            wrong.append(f"{number} could not be read ({reason(error)}): try again later")
            continue
        has = kind_of(held)
        differs = [key for key, wanted in pool.kind().items() if has[key].lower() != wanted.lower()]
        if differs:
            wrong.append(
                f"{number} is {_kind_text(has)}, where the pool asks for {_kind_text(pool.kind())}: remove it "
                f"from adopt_numbers, or {_fix(differs, pool)}"
            )
    if wrong:
        raise PhoneNumberPoolError(
            f"adopting {', '.join(numbers)} into the {pool.describe()} failed, so nothing was bought: "
            f"{'; '.join(wrong)}"
        )
    return list(numbers)


def kind_of(number: Any) -> dict[str, str]:
    """The kind of a PurchasedPhoneNumber, as `Pool.kind` writes a pool's: the service's enums as text."""
    capabilities = number.capabilities

    def text(value: Any) -> str:
        return str(getattr(value, "value", value))

    return {
        "country_code": text(number.country_code),
        "number_type": text(number.phone_number_type),
        "assignment_type": text(number.assignment_type),
        "sms": text(getattr(capabilities, "sms", None)),
        "calling": text(getattr(capabilities, "calling", None)),
    }


def _kind_text(kind: dict[str, str]) -> str:
    return (
        f"{kind['country_code']} {kind['number_type']}, assignment {kind['assignment_type']}, "
        f"sms {kind['sms']}, calling {kind['calling']}"
    )


def _fix(differs: Sequence[str], pool: Pool) -> str:
    """What would make `number` fit the pool: its capabilities can change in place, its kind cannot."""
    wanted = pool.kind()
    if set(differs) <= {"sms", "calling"}:
        capabilities = ", ".join(f"{key} {wanted[key]}" for key in differs)
        return f"set its capabilities to {capabilities} (in the portal) first"
    kind = ", ".join(key for key in differs if key not in ("sms", "calling"))
    return f"adopt it in a pool of its own kind (a number's {kind} cannot change)"


def operation_status(client: PhoneNumbersClient, operation_id: str | None) -> str | None:
    """The status of a phone numbers operation (notStarted, running, succeeded, failed), or None when it
    is not known where it is or it cannot be read now (the service forgets old operations)."""
    if not operation_id:
        return None
    try:
        # PhoneNumbersClient 1.4.0 has no public call for it; its generated client has.
        operation = client._phone_number_client.phone_numbers.get_operation(operation_id)
    except AzureError:
        return None
    return str(getattr(operation.status, "value", operation.status))


def try_release(client: PhoneNumbersClient, pool: Pool, number: str) -> str | None:
    """Releases one number: None when it is released (or was already), else why it is still held."""
    try:
        client.begin_release_phone_number(number, polling=pool.polling()).result()
    except ResourceNotFoundError:
        return None
    except AzureError as error:
        return reason(error)
    return None


def release_all(client: PhoneNumbersClient, pool: Pool, numbers: Sequence[str], step: str) -> None:
    """Releases each of `numbers` in the order given, going on past failures, and raises one error that
    names every number released and every one still held."""
    released, held = [], []
    for number in numbers:
        failed = try_release(client, pool, number)
        if failed is None:
            released.append(number)
        else:
            held.append(f"{number} ({failed})")
    if held:
        done = f"released {', '.join(released)}; " if released else "released none; "
        raise PhoneNumberPoolError(
            f"{step} for the {pool.describe()} failed: {done}STILL HELD: {'; '.join(held)}. "
            "Run `pulumi refresh` to drop the released numbers from the state, then try again"
        )


def update_capabilities(client: PhoneNumbersClient, pool: Pool, numbers: Sequence[str]) -> None:
    """Sets the pool's SMS and calling capabilities on each of `numbers`, in place."""
    updated: list[str] = []
    for number in numbers:
        try:
            client.begin_update_phone_number_capabilities(
                number, sms=pool.sms, calling=pool.calling, polling=pool.polling("location")
            )
        except AzureError as error:
            rest = [n for n in numbers if n not in updated and n != number]
            raise PhoneNumberPoolError(
                f"updating the capabilities of {number} (sms {pool.sms}, calling {pool.calling}) in the "
                f"{pool.describe()} failed: {reason(error)}. Updated already: {', '.join(updated) or 'none'}; "
                f"not updated: {', '.join([number, *rest])}"
            ) from error
        updated.append(number)


def purchased_numbers(client: PhoneNumbersClient, pool: Pool) -> set[str]:
    """Every number the ACS resource holds now (all pages), in E.164."""
    try:
        return {e164(n.phone_number) for n in client.list_purchased_phone_numbers()}
    except AzureError as error:
        raise PhoneNumberPoolError(
            f"listing the purchased numbers of the {pool.describe()} failed: {reason(error)}"
        ) from error


def still_held(numbers: Iterable[str], held: set[str]) -> list[str]:
    """`numbers` the resource holds (`held`, in E.164), in their order."""
    return [n for n in numbers if e164(n) in held]


def _held_now(client: PhoneNumbersClient, pool: Pool) -> set[str] | None:
    """The numbers held now, or None when the listing fails this time (a later look may succeed)."""
    try:
        return purchased_numbers(client, pool)
    except PhoneNumberPoolError:
        return None


def _refused(failure: AzureError, attempts: Sequence[object]) -> bool:
    return (
        isinstance(failure, HttpResponseError)
        and len(attempts) == 1
        and failure.status_code in REFUSED
        and failure.response is not None
        and failure.response.request.method == "POST"
    )


def _operation_failed(failure: AzureError) -> bool:
    """The operation's status answered (HTTP 200) that it failed: a known end, not a lost answer."""
    return isinstance(failure, HttpResponseError) and failure.status_code is not None and failure.status_code < 400


def iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat().replace("+00:00", "Z")


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
