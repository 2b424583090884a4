"""PhoneNumberPool: a number of ACS phone numbers of one kind, bought, resized and released by Pulumi.

A Pulumi dynamic resource. Like `providers.keyrotation.resource`, its provider is pickled into the state by
reference to its class (`providers.numberpools.pool.PhoneNumberPoolProvider`: the provider process imports this
package from the project directory) and holds no data: each operation opens and closes its own client.

- create: one search for the whole quantity, then one purchase of that search. A search that finds
  fewer numbers buys nothing. A purchase that fails part way releases what it bought, and says so.
- update: a larger quantity buys the difference (one search, one purchase); a smaller one releases the
  surplus, newest first; new capabilities are set on each number in place. The country, type,
  assignment, area code, locality and endpoint are the pool's identity: changing one is refused unless
  `allow_replacement`, and then it is a replacement (a new pool bought, then the old one released).
- delete: releases exactly the numbers in the state, nothing else. Protection and retain-on-delete are
  resource options of whoever declares the pool.
- read (`pulumi refresh`): drops from the state the numbers released outside Pulumi (compared in E.164,
  however the listing writes them), and settles a pending purchase.
- check and diff never call the service: a preview must never buy, nor even search.

A purchase whose outcome could not be observed before its deadline (`numbers.purchase`) leaves its
numbers in the state as `pendingPurchase`. The pool then always shows a change, and the next run settles
it before anything else: the numbers that turned up are adopted, the ones known not to have been bought
are dropped, and only then is anything still missing bought. While it cannot be settled, update and
delete refuse to act, so a number that may be billed is never bought twice nor forgotten.
"""

from collections.abc import Callable
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
    return found


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
            prop for prop in _INPUTS if prop not in IDENTITY and prop != "quantity" and _changed(prop, olds, news)
        ]
        # A pool holding fewer numbers than asked (some released outside Pulumi and refreshed away) is
        # a change too: the update buys the missing ones.
        resized = _changed("quantity", olds, news) or (
            not _unknown(news.get("quantity")) and _is_whole(news.get("quantity")) and len(held) != news["quantity"]
        )
        # Without allow_replacement an identity change stays an update, which refuses it with the old and
        # new values: Pulumi never gets to release a pool's numbers for a change of kind by accident.
        replaces = identity if news.get("allowReplacement") is True else []
        changes = bool(identity or others or resized or pending)
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
        with client_factory(pool.endpoint, props.get("connectionStringEnv")) as client:
            found = numbers.search(client, pool, int(props["quantity"]), agree)
            bought = numbers.purchase(client, pool, found, agree)
        # The first search's id names the pool: it is the service's record of the purchase. A purchase
        # still pending is in the state, so the pool exists, and the next run settles it.
        return pulumi.dynamic.CreateResult(id_=found.search_id, outs=_outputs(props, bought.bought, bought.pending))

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
        if len(current) == wanted and not recapable and pending is None:
            # Only what needs no call changed (agree_to_not_resell, allow_replacement, the variable's name).
            return pulumi.dynamic.UpdateResult(outs=_outputs(news, current, None))
        with client_factory(pool.endpoint, news.get("connectionStringEnv")) as client:
            if pending is not None:
                # Settled before anything else: what turned up is the pool's, and counts toward its size.
                adopted, pending = numbers.settle(client, pool, pending, numbers.purchased_numbers(client, pool))
                if pending is not None:
                    raise _unsettled(pool, pending, "updating")
                current += adopted
            # Releases first and purchases last: a step that fails leaves Pulumi with the old state, and
            # nothing bought may be left out of it.
            released: list[str] = []
            if len(current) > wanted:
                released = list(reversed(current[wanted:]))  # the newest first
                numbers.release_all(client, pool, released, f"releasing {len(released)} surplus numbers")
                current = current[:wanted]
            try:
                if recapable:
                    numbers.update_capabilities(client, pool, current)
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
        props.update(phone_numbers=None, pending_purchase=None)
        super().__init__(PhoneNumberPoolProvider(), name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PROPERTY_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ATTRIBUTE_NAMES.get(prop, prop)
