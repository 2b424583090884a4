"""PhoneNumberPool: a number of ACS phone numbers of one kind, bought (or adopted), resized and released by Pulumi.

A Pulumi dynamic resource. Like `providers.keyrotation.resource`, its provider is pickled into the state by
reference to its class (`providers.numberpools.pool.PhoneNumberPoolProvider`: the provider process imports this
package from the project directory) and holds no data: each operation opens and closes its own client.

- create: first adopts the numbers of `adopt_numbers` (adoptNumbers), which the ACS resource already holds
  (bought in the portal): each is read (`get_purchased_phone_number`, a GET) and must be held by this
  resource with the pool's country, type, assignment and sms and calling capabilities. One that is not
  held, or is of another kind, fails the create with an error that names it, what the resource has, what
  the pool asks and what to change, and nothing is bought. Then one search for the rest of the quantity
  (`quantity` counts the adopted numbers), then one purchase of that search; no search at all when the
  adopted numbers are the whole quantity. A search that finds fewer numbers buys nothing. A purchase that
  fails part way releases what it bought, and says so. The state's numbers: the adopted ones first, in
  the order listed, then the bought ones.
- update: numbers newly listed in adopt_numbers (not in the state yet) are adopted as on create, before
  anything is released or bought; when the numbers held and those adopted would be more than the quantity,
  the update is refused (adopting never releases a number). A larger quantity buys the difference (one
  search, one purchase); a smaller one releases the surplus, newest first, never a number adopt_numbers
  lists; new capabilities are set on each number in place. Once in the pool, an adopted number is like a
  bought one: removing it from adopt_numbers (or the whole key) changes nothing, and diff reports no change
  for it, so the list can be emptied after the first `pulumi up`. The country, type, assignment, area code,
  locality and endpoint are the pool's identity: changing one is refused unless `allow_replacement`, and
  then it is a replacement (a new pool bought, then the old one released); diff refuses a replacement
  whose adopt_numbers lists numbers the old pool holds, which the old pool's delete would release.
- delete: releases exactly the numbers in the state, adopted ones included, nothing else. Protection and
  retain-on-delete are resource options of whoever declares the pool.
- read (`pulumi refresh`): drops from the state the numbers released outside Pulumi (compared in E.164,
  however the listing writes them), and settles a pending purchase.
- check and diff never call the service: a preview must never buy, nor even search. check also refuses an
  adopt_numbers that is not a list of distinct E.164 numbers, at most quantity of them.

A purchase whose outcome could not be observed before its deadline (`numbers.purchase`) leaves its
numbers in the state as `pendingPurchase`. The pool then always shows a change, and the next run settles
it before anything else: the numbers that turned up are adopted, the ones known not to have been bought
are dropped, and only then is anything still missing bought. While it cannot be settled, update and
delete refuse to act, so a number that may be billed is never bought twice nor forgotten.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi.dynamic
from pulumi.runtime import rpc

from providers.dataplane import ENV_NAME
from providers.numberpools import numbers
from providers.numberpools.client import (
    LRO_POLLING_INTERVAL,
    LRO_TIMEOUT,
    ClientFactory,
    PhoneNumberPoolError,
    default_client,
)
from providers.retry import SYSTEM_CLOCK, Clock
from stackconfig.azure_rules import AREA_CODE, ASSIGNMENT_TYPES, CAPABILITIES, COUNTRY_CODE, NUMBER_TYPES
from stackconfig.phone_numbers import E164, E164_RULE

# Python attribute and argument names <-> the resource's property names in the state.
_PROPERTY_NAMES = {
    "endpoint": "endpoint",
    "country_code": "countryCode",
    "number_type": "numberType",
    "assignment_type": "assignmentType",
    "sms": "sms",
    "calling": "calling",
    "quantity": "quantity",
    "area_code": "areaCode",
    "locality": "locality",
    "agree_to_not_resell": "agreeToNotResell",
    "allow_replacement": "allowReplacement",
    "connection_string_env": "connectionStringEnv",
    "adopt_numbers": "adoptNumbers",
    "phone_numbers": "phoneNumbers",
    "pending_purchase": "pendingPurchase",
}
_ATTRIBUTE_NAMES = {prop: attribute for attribute, prop in _PROPERTY_NAMES.items()}
_OUTPUTS = ("phoneNumbers", "pendingPurchase")
_INPUTS = tuple(prop for prop in _PROPERTY_NAMES.values() if prop not in _OUTPUTS)
# What a pool is: numbers of another kind, or of another ACS resource, are another pool.
IDENTITY = ("endpoint", "countryCode", "numberType", "assignmentType", "areaCode", "locality")


def _unknown(value: Any) -> bool:
    """A value only known after an earlier resource is created (a preview's placeholder)."""
    return value == rpc.UNKNOWN or isinstance(value, pulumi.Output)


def _is_whole(value: Any) -> bool:
    # The state hands numbers back as floats: 3.0 is 3.
    return not isinstance(value, bool) and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))


def problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for each input of `props` (camelCase) that is wrong; unknown values pass."""
    found: list[tuple[str, str]] = []

    def check(prop: str, ok: Callable[[Any], bool], expected: str, optional: bool = False) -> None:
        value = props.get(prop)
        if _unknown(value) or (optional and value is None):
            return
        if not ok(value):
            found.append((prop, f"{_ATTRIBUTE_NAMES[prop]} must be {expected}: {value!r}"))

    def endpoint_ok(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        url = urlsplit(value)
        return url.scheme == "https" and bool(url.hostname) and url.path in ("", "/") and not url.query

    def one_of(choices: tuple[str, ...]) -> Callable[[Any], bool]:
        return lambda value: value in choices

    check("endpoint", endpoint_ok, "the ACS endpoint, https://<host> (the client insists on https)")
    check("countryCode", lambda v: isinstance(v, str) and bool(COUNTRY_CODE.fullmatch(v)), "ISO 3166 alpha-2, as US")
    check("numberType", one_of(NUMBER_TYPES), f"one of {', '.join(NUMBER_TYPES)}")
    check("assignmentType", one_of(ASSIGNMENT_TYPES), f"one of {', '.join(ASSIGNMENT_TYPES)}")
    check("sms", one_of(CAPABILITIES), f"one of {', '.join(CAPABILITIES)}")
    check("calling", one_of(CAPABILITIES), f"one of {', '.join(CAPABILITIES)}")
    check("quantity", lambda v: _is_whole(v) and v >= 1, "a whole number, at least 1")
    check(
        "areaCode",
        lambda v: isinstance(v, str) and bool(AREA_CODE.fullmatch(v)),
        "digits, as 425, or None",
        optional=True,
    )
    check("locality", lambda v: isinstance(v, str) and bool(v.strip()), "a name, as Seattle, or None", optional=True)
    check("agreeToNotResell", lambda v: isinstance(v, bool), "True or False")
    check("allowReplacement", lambda v: isinstance(v, bool), "True or False")
    check(
        "connectionStringEnv",
        lambda v: isinstance(v, str) and bool(ENV_NAME.fullmatch(v)),
        "the name of an environment variable, or None",
        optional=True,
    )
    found += _adoption_problems(props)
    return found


def _adoption_problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    """adoptNumbers: None, or a list of distinct E.164 numbers, at most quantity of them."""
    value = props.get("adoptNumbers")
    if value is None or _unknown(value):
        return []
    if not isinstance(value, (list, tuple)):
        return [("adoptNumbers", f"adopt_numbers must be a list of E.164 numbers, or None: {value!r}")]
    wrong = [n for n in value if not _unknown(n) and not (isinstance(n, str) and E164.fullmatch(n))]
    if wrong:
        shown = ", ".join(repr(n) for n in wrong)
        return [("adoptNumbers", f"adopt_numbers must list only {E164_RULE}: {shown}")]
    known = [n for n in value if not _unknown(n)]
    twice = sorted({n for n in known if known.count(n) > 1})
    if twice:
        return [("adoptNumbers", f"adopt_numbers must list each number once: {', '.join(twice)} more than once")]
    quantity = props.get("quantity")
    if _is_whole(quantity) and len(value) > quantity:
        return [
            (
                "adoptNumbers",
                f"adopt_numbers must list at most quantity ({int(quantity)}) numbers, which counts them: "
                f"{len(value)} listed ({', '.join(map(str, value))}); raise quantity or list fewer",
            )
        ]
    return []


def _listed(props: dict[str, Any]) -> list[str]:
    """The numbers adoptNumbers lists, in E.164 (none when it is unset)."""
    return [numbers.e164(n) for n in props.get("adoptNumbers") or []]


def _newly_adopted(props: dict[str, Any], held: list[str]) -> list[str]:
    """The numbers adoptNumbers lists that the pool does not hold yet (`held`, E.164), in their order."""
    return [n for n in _listed(props) if n not in held]


def _pool(props: dict[str, Any], clock: Clock, polling_interval: float, operation_timeout: float) -> numbers.Pool:
    return numbers.Pool(
        endpoint=str(props["endpoint"]).rstrip("/"),
        country_code=props["countryCode"],
        number_type=props["numberType"],
        assignment_type=props["assignmentType"],
        sms=props["sms"],
        calling=props["calling"],
        area_code=props.get("areaCode"),
        polling_interval=polling_interval,
        operation_timeout=operation_timeout,
        clock=clock,
    )


def _valid(props: dict[str, Any]) -> None:
    wrong = problems(props)
    if wrong:
        raise ValueError("; ".join(reason for _, reason in wrong))


def _comparable(prop: str, value: Any) -> Any:
    if prop == "endpoint" and isinstance(value, str):
        return value.rstrip("/").lower()
    if prop == "quantity" and _is_whole(value):
        return int(value)
    return value


def _changed(prop: str, olds: dict[str, Any], news: dict[str, Any]) -> bool:
    new = news.get(prop)
    # An unknown value may turn out to be different: a preview says so rather than promise no change.
    return _unknown(new) or _comparable(prop, olds.get(prop)) != _comparable(prop, new)


def _outputs(
    props: dict[str, Any], phone_numbers: list[str], pending: numbers.PendingPurchase | None
) -> dict[str, Any]:
    outs = {prop: props.get(prop) for prop in _INPUTS}
    if outs["adoptNumbers"] is None:  # a pool that adopts nothing keeps the state it always had
        del outs["adoptNumbers"]
    outs["quantity"] = int(props["quantity"])  # numbers come back from the state as floats
    outs["phoneNumbers"] = list(phone_numbers)
    outs["pendingPurchase"] = pending.to_state() if pending else None
    return outs


def _state(props: dict[str, Any]) -> tuple[list[str], numbers.PendingPurchase | None]:
    """The numbers a state holds, in E.164, and the purchase it has pending."""
    held = [numbers.e164(n) for n in props.get("phoneNumbers") or []]
    return held, numbers.PendingPurchase.from_state(props.get("pendingPurchase"))


def _unsettled(pool: numbers.Pool, pending: numbers.PendingPurchase, step: str) -> PhoneNumberPoolError:
    settles = numbers.iso(pending.settles_at())
    operation = f"operation {pending.operation_id} still running" if pending.operation_id else "no operation status"
    return PhoneNumberPoolError(
        f"{step}: the {pool.describe()} has a purchase whose outcome is not known yet: {pending.describe()} "
        f"({operation}). They may be held and billed, so nothing was done. Run `pulumi up` again once they show "
        f"in the ACS resource's phone numbers, or after {settles}, when a purchase that has not shown is known "
        "not to have bought them"
    )


class PhoneNumberPoolProvider(pulumi.dynamic.ResourceProvider):
    """Pulumi calls check, diff, create, read, update and delete; the `*_with` methods hold the logic and
    take the client factory and the polling interval, so tests can point them at another endpoint."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        # Runs on every preview: validation only, never a call to the service.
        failures = [pulumi.dynamic.CheckFailure(prop, why) for prop, why in problems(news)]
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        # Runs on every preview: compares the state with the inputs, never calls the service. A preview
        # must never buy a number, nor search for one (a search holds numbers for minutes).
        identity = [prop for prop in IDENTITY if _changed(prop, olds, news)]
        held = olds.get("phoneNumbers") or []
        # A purchase whose outcome was not seen is a change too: the update settles it first.
        pending = bool(olds.get("pendingPurchase"))
        others = [
            prop
            for prop in _INPUTS
            if prop not in IDENTITY and prop not in ("quantity", "adoptNumbers") and _changed(prop, olds, news)
        ]
        # adoptNumbers changes the pool only by numbers it does not hold yet: once adopted, a number is the
        # pool's like a bought one, and removing it from the list (or the whole list) changes nothing.
        listed = news.get("adoptNumbers")
        adopting = _unknown(listed) or (
            isinstance(listed, (list, tuple))
            and (any(_unknown(n) for n in listed) or bool(_newly_adopted(news, [numbers.e164(n) for n in held])))
        )
        # A pool holding fewer numbers than asked (some released outside Pulumi and refreshed away) is
        # a change too: the update buys the missing ones.
        resized = _changed("quantity", olds, news) or (
            not _unknown(news.get("quantity")) and _is_whole(news.get("quantity")) and len(held) != news["quantity"]
        )
        # Without allow_replacement an identity change stays an update, which refuses it with the old and
        # new values: Pulumi never gets to release a pool's numbers for a change of kind by accident.
        replaces = identity if news.get("allowReplacement") is True else []
        if replaces and isinstance(listed, (list, tuple)):
            # The new pool would adopt them, then the old pool's delete would release them.
            kept = [n for n in _listed(news) if n in [numbers.e164(h) for h in held]]
            if kept:
                raise PhoneNumberPoolError(
                    f"replacing the phone number pool ({', '.join(replaces)} changed) would adopt {', '.join(kept)}, "
                    "which the pool holds already, into the new pool and then release them with the old one: "
                    "remove them from adopt_numbers, or keep the pool's identity"
                )
        changes = bool(identity or others or resized or pending or adopting)
        return pulumi.dynamic.DiffResult(changes=changes, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return self.create_with(props, default_client)

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        return self.read_with(id_, props, default_client)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return self.update_with(olds, news, default_client)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.delete_with(props, default_client)

    def create_with(
        self,
        props: dict[str, Any],
        client_factory: ClientFactory,
        clock: Clock = SYSTEM_CLOCK,
        polling_interval: float = LRO_POLLING_INTERVAL,
        operation_timeout: float = LRO_TIMEOUT,
    ) -> pulumi.dynamic.CreateResult:
        _valid(props)
        pool = _pool(props, clock, polling_interval, operation_timeout)
        agree = bool(props["agreeToNotResell"])
        listed = _listed(props)
        with client_factory(pool.endpoint, props.get("connectionStringEnv")) as client:
            # Read only, and first: a number that cannot be adopted fails the create before any search.
            adopted = numbers.adopt(client, pool, listed) if listed else []
            missing = int(props["quantity"]) - len(adopted)
            if missing == 0:
                # Nothing bought, so no search to name the pool: an id of its own.
                return pulumi.dynamic.CreateResult(id_=f"adopted-{uuid.uuid4()}", outs=_outputs(props, adopted, None))
            found = numbers.search(client, pool, missing, agree)
            bought = numbers.purchase(client, pool, found, agree)
        # The first search's id names the pool: it is the service's record of the purchase. A purchase
        # still pending is in the state, so the pool exists, and the next run settles it.
        return pulumi.dynamic.CreateResult(
            id_=found.search_id, outs=_outputs(props, adopted + bought.bought, bought.pending)
        )

    def read_with(
        self, id_: str, props: dict[str, Any], client_factory: ClientFactory, clock: Clock = SYSTEM_CLOCK
    ) -> pulumi.dynamic.ReadResult:
        if not props.get("endpoint") or "phoneNumbers" not in props:
            raise PhoneNumberPoolError(
                f"reading phone number pool {id_} needs its state (endpoint and numbers): "
                "a pool cannot be imported, declare it and let Pulumi buy its numbers"
            )
        pool = _pool(props, clock, LRO_POLLING_INTERVAL, LRO_TIMEOUT)
        current, pending = _state(props)
        with client_factory(pool.endpoint, props.get("connectionStringEnv")) as client:
            held = numbers.purchased_numbers(client, pool)
            adopted, pending = numbers.settle(client, pool, pending, held) if pending else ([], None)
        kept = numbers.still_held(current, held) + adopted
        return pulumi.dynamic.ReadResult(id_=id_, outs={**props, **_outputs(props, kept, pending)})

    def update_with(
        self,
        olds: dict[str, Any],
        news: dict[str, Any],
        client_factory: ClientFactory,
        clock: Clock = SYSTEM_CLOCK,
        polling_interval: float = LRO_POLLING_INTERVAL,
        operation_timeout: float = LRO_TIMEOUT,
    ) -> pulumi.dynamic.UpdateResult:
        _valid(news)
        old_pool = _pool(olds, clock, polling_interval, operation_timeout)
        refused = [prop for prop in IDENTITY if _changed(prop, olds, news)]
        if refused:
            # diff makes these a replacement when allow_replacement is set; an update never makes them.
            changes = ", ".join(
                f"{_ATTRIBUTE_NAMES[prop]} from {olds.get(prop)!r} to {news.get(prop)!r}" for prop in refused
            )
            hint = (
                "set allow_replacement=True to buy a new pool and release this one"
                if news.get("allowReplacement") is not True
                else "this needs a replacement, which an update cannot do"
            )
            raise PhoneNumberPoolError(
                f"the {old_pool.describe()} cannot change {changes} in place: its numbers "
                f"({', '.join(olds.get('phoneNumbers') or []) or 'none'}) are of the old kind. To change it, {hint}"
            )
        pool = _pool(news, clock, polling_interval, operation_timeout)
        current, pending = _state(olds)
        wanted = int(news["quantity"])
        agree = bool(news["agreeToNotResell"])
        recapable = (olds.get("sms"), olds.get("calling")) != (news["sms"], news["calling"])
        if len(current) == wanted and not recapable and pending is None and not _newly_adopted(news, current):
            # Only what needs no call changed (agree_to_not_resell, allow_replacement, the variable's name,
            # numbers taken off adopt_numbers).
            return pulumi.dynamic.UpdateResult(outs=_outputs(news, current, None))
        with client_factory(pool.endpoint, news.get("connectionStringEnv")) as client:
            if pending is not None:
                # Settled before anything else: what turned up is the pool's, and counts toward its size.
                adopted, pending = numbers.settle(client, pool, pending, numbers.purchased_numbers(client, pool))
                if pending is not None:
                    raise _unsettled(pool, pending, "updating")
                current += adopted
            # Adopted next, read only: a number that cannot be, or one too many, fails the update before
            # anything is released or bought. They already have the pool's (new) capabilities.
            newly = _newly_adopted(news, current)
            if newly and len(current) + len(newly) > wanted:
                raise PhoneNumberPoolError(
                    f"adopting {', '.join(newly)} into the {pool.describe()} would make it hold "
                    f"{len(current) + len(newly)} numbers ({len(current)} held and {len(newly)} adopted), more than "
                    f"its quantity {wanted}; adopting never releases a number. Raise quantity to "
                    f"{len(current) + len(newly)}, or lower it in one run and adopt in the next. Nothing was changed"
                )
            recapped = list(current)
            current += numbers.adopt(client, pool, newly) if newly else []
            # Releases first and purchases last: a step that fails leaves Pulumi with the old state, and
            # nothing bought may be left out of it.
            released: list[str] = []
            if len(current) > wanted:
                # The newest first, never one adopt_numbers lists (there are at most quantity of them).
                listed = _listed(news)
                released = [n for n in reversed(current) if n not in listed][: len(current) - wanted]
                numbers.release_all(client, pool, released, f"releasing {len(released)} surplus numbers")
                current = [n for n in current if n not in released]
            try:
                if recapable:
                    numbers.update_capabilities(client, pool, [n for n in recapped if n in current])
                if len(current) < wanted:
                    found = numbers.search(client, pool, wanted - len(current), agree)
                    bought = numbers.purchase(client, pool, found, agree)
                    current += bought.bought
                    pending = bought.pending
            except PhoneNumberPoolError as error:
                if not released:
                    raise
                # A failed update leaves Pulumi with the old state, which still lists these.
                raise PhoneNumberPoolError(
                    f"{error}. Before that, this update released {', '.join(released)}: "
                    "`pulumi refresh` drops them from the state"
                ) from error
        return pulumi.dynamic.UpdateResult(outs=_outputs(news, current, pending))

    def delete_with(
        self,
        props: dict[str, Any],
        client_factory: ClientFactory,
        clock: Clock = SYSTEM_CLOCK,
        polling_interval: float = LRO_POLLING_INTERVAL,
        operation_timeout: float = LRO_TIMEOUT,
    ) -> None:
        # Exactly the numbers this pool bought, as the state records them: never anything else listed.
        held, pending = _state(props)
        if not held and pending is None:
            return
        pool = _pool(props, clock, polling_interval, operation_timeout)
        with client_factory(pool.endpoint, props.get("connectionStringEnv")) as client:
            if pending is not None:
                adopted, pending = numbers.settle(client, pool, pending, numbers.purchased_numbers(client, pool))
                if pending is not None:
                    raise _unsettled(pool, pending, "deleting")
                held += adopted
            if held:
                numbers.release_all(client, pool, list(reversed(held)), f"releasing {len(held)} numbers")


@dataclass(frozen=True)
class PhoneNumberPoolArgs:
    endpoint: pulumi.Input[str]  # the ACS data-plane endpoint, https://<name>.communication.azure.com
    country_code: str  # ISO 3166 alpha-2, as US
    number_type: str  # geographic, tollFree or mobile
    assignment_type: str  # application or person
    sms: str  # none, inbound, outbound or inbound+outbound
    calling: str  # likewise
    quantity: int  # at least 1
    area_code: str | None = None
    # Kept as part of the pool's identity but not sent: the search of azure-communication-phonenumbers
    # 1.4.0 takes no locality. Choose the area code of a locality with `list_available_area_codes`.
    locality: str | None = None
    agree_to_not_resell: bool = False  # some countries sell numbers only with this agreement
    allow_replacement: bool = False  # a change of identity replaces the pool (new numbers) when True
    # The environment variable holding the instance's connection string, where local auth is allowed;
    # when unset or empty, DefaultAzureCredential.
    connection_string_env: str | None = None
    # Numbers the ACS resource already holds (E.164), taken into the pool instead of bought; quantity
    # counts them. None or empty: none (and the input is not sent, so existing pools plan as before).
    adopt_numbers: Sequence[str] | None = None

    def __post_init__(self) -> None:
        props = {prop: getattr(self, _ATTRIBUTE_NAMES[prop]) for prop in _INPUTS}
        if isinstance(self.quantity, float):  # whole floats are for the state, not for programs
            raise ValueError(f"quantity must be a whole number, at least 1: {self.quantity!r}")
        _valid(props)


class PhoneNumberPool(pulumi.dynamic.Resource, module="numberpools", name="PhoneNumberPool"):
    """A number of ACS phone numbers of one kind (country, type, assignment, area code), with their
    capabilities: a billed resource. Its output `phone_numbers` lists them in E.164, in purchase order;
    `pending_purchase` holds the numbers of a purchase whose outcome is not known yet (None when there is
    none)."""

    phone_numbers: pulumi.Output[list[str]]
    pending_purchase: pulumi.Output[dict[str, Any] | None]
    quantity: pulumi.Output[int]

    def __init__(self, name: str, args: PhoneNumberPoolArgs, opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = {_ATTRIBUTE_NAMES[prop]: getattr(args, _ATTRIBUTE_NAMES[prop]) for prop in _INPUTS}
        if isinstance(args.endpoint, str):
            props["endpoint"] = args.endpoint.rstrip("/")
        # None (not sent) rather than an empty list: a pool that adopts nothing has the inputs it always had.
        props["adopt_numbers"] = list(args.adopt_numbers) if args.adopt_numbers else None
        props.update(phone_numbers=None, pending_purchase=None)
        super().__init__(PhoneNumberPoolProvider(), name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PROPERTY_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ATTRIBUTE_NAMES.get(prop, prop)
