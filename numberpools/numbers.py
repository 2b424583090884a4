"""The service steps of a pool: search, purchase (and its clean-up), release, capability update, listing.

Each step takes an open PhoneNumbersClient and the `Pool` it works for, and raises PhoneNumberPoolError
naming the pool, the step and the numbers involved. A purchase is billed: nothing here buys anything
but `purchase`, and `purchase` buys only what one search holds.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from azure.communication.phonenumbers import PhoneNumberCapabilities, PhoneNumbersClient
from azure.core.exceptions import AzureError, ResourceNotFoundError

from acs_arm import OperationTimedOut, reason
from numberpools.client import LRO_POLLING_INTERVAL, LRO_TIMEOUT, BoundedPolling, PhoneNumberPoolError


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

    def describe(self) -> str:
        area = f", area code {self.area_code}" if self.area_code else ""
        return f"phone number pool ({self.country_code}, {self.number_type}{area}) at {self.endpoint}"

    def polling(self, final_state_via: str | None = None) -> BoundedPolling:
        return BoundedPolling(self.endpoint, self.polling_interval, self.operation_timeout, final_state_via)


@dataclass(frozen=True)
class Search:
    search_id: str
    phone_numbers: list[str]
    agreement_required: bool


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
    found = list(result.phone_numbers or [])
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
    return Search(result.search_id, found, bool(result.is_agreement_to_not_resell_required))


def purchase(client: PhoneNumbersClient, pool: Pool, found: Search, agree_to_not_resell: bool) -> list[str]:
    """Buys the numbers of one search, in its order. If the purchase fails, finds out which of them were
    bought anyway, releases those, and raises an error that lists each with whether it was released."""
    numbers = found.phone_numbers
    step = f"purchasing {', '.join(numbers)} for the {pool.describe()}"
    try:
        poller = client.begin_purchase_phone_numbers(
            found.search_id, agree_to_not_resell=agree_to_not_resell, polling=pool.polling()
        )
        poller.result()
        return list(numbers)
    except AzureError as error:
        failure = error
    # The purchase may have bought some of the numbers, or all of them with its answer lost. They are
    # billed, and a failed create or update records nothing in Pulumi's state: find and release them.
    try:
        held = purchased_numbers(client, pool)
    except PhoneNumberPoolError as listing:
        raise PhoneNumberPoolError(
            f"{step} failed: {reason(failure)}. Finding out which were bought failed too ({listing}): "
            f"each of {', '.join(numbers)} may be held and billed; check the ACS resource's phone numbers"
        ) from failure
    bought = still_held(numbers, held)
    if bought == list(numbers):
        # Every number is held: the purchase went through and only its answer failed (say a repeated
        # request answered that the search was bought already). They are ours: keep them.
        return bought
    if isinstance(failure, OperationTimedOut):
        pending = [n for n in numbers if n not in held]
        still = f"; the purchase may still complete: check {', '.join(pending)}" if pending else ""
    else:
        still = ""
    if not bought:
        raise PhoneNumberPoolError(f"{step} failed: {reason(failure)}; none of them was bought{still}") from failure
    outcomes = []
    for number in bought:
        failed = try_release(client, pool, number)
        outcomes.append(f"{number} released" if failed is None else f"{number} STILL HELD (release failed: {failed})")
    raise PhoneNumberPoolError(
        f"{step} failed: {reason(failure)}. It bought {len(bought)} of them before failing: "
        f"{'; '.join(outcomes)}{still}"
    ) from failure


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
    """Every number the ACS resource holds now (all pages)."""
    try:
        return {n.phone_number for n in client.list_purchased_phone_numbers()}
    except AzureError as error:
        raise PhoneNumberPoolError(
            f"listing the purchased numbers of the {pool.describe()} failed: {reason(error)}"
        ) from error


def still_held(numbers: Iterable[str], held: set[str]) -> list[str]:
    """`numbers` the resource holds (`held`), in their order."""
    return [n for n in numbers if n in held]
