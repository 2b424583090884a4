"""The Direct Routing configuration of an ACS resource, and the steps that read and change it.

The service keeps one document per ACS resource: trunks by FQDN (each with its SIP signalling port) and
an ordered list of voice routes (the first whose number pattern matches a call takes it, to the first
available of its trunks). `read` GETs it. `plan` and `removal` work out the one change that takes it where
a stack wants it; `apply` sends that change as one merge-patch PATCH (trunks to set, trunks to remove
with null, and the whole new route list), and reports only what it observed.

SipRoutingClient 1.4.0's public methods split such a change: `set_trunks` GETs and then PATCHes the
trunks, `set_routes` PATCHes the routes, and `list_trunks` and `list_routes` GET once each. This module
calls the generated operations those methods call themselves (`_rest_service.sip_routing.get` and
`.update`), so that a change is one GET and one PATCH, and the trunks and routes change together: a
route never names a trunk that is gone, nor one that is not there yet.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from azure.communication.phonenumbers.siprouting import SipRoutingClient
from azure.communication.phonenumbers.siprouting._generated.models import (
    SipConfiguration,
    SipTrunkInternal,
    SipTrunkRouteInternal,
)
from azure.core.exceptions import AzureError, HttpResponseError

from providers.arm import reason
from providers.siprouting.client import SipRoutingError


@dataclass(frozen=True)
class Route:
    """A voice route, as the service and the state hold it."""

    name: str
    number_pattern: str
    trunks: tuple[str, ...] = ()
    description: str | None = None  # the service may leave it out; "" is none too

    @classmethod
    def from_props(cls, value: Mapping[str, Any]) -> "Route":
        return cls(
            name=value["name"],
            number_pattern=value["numberPattern"],
            trunks=tuple(value.get("trunks") or ()),
            description=value.get("description") or None,
        )

    def to_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            props["description"] = self.description
        props["numberPattern"] = self.number_pattern
        props["trunks"] = list(self.trunks)
        return props


@dataclass(frozen=True)
class Configuration:
    """Trunks (FQDN -> signalling port) and routes (in priority order)."""

    trunks: Mapping[str, int] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()

    def dangling(self) -> list[tuple[str, str]]:
        """(route, trunk) for each trunk a route names that the configuration does not have."""
        return [(route.name, fqdn) for route in self.routes for fqdn in route.trunks if fqdn not in self.trunks]


@dataclass(frozen=True)
class Owned:
    """What a stack declared before: its own trunks (FQDNs) and routes (names)."""

    trunks: frozenset[str] = frozenset()
    routes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Change:
    """One PATCH: trunks to set (FQDN -> port), trunks to remove, and the new route list (None: unchanged)."""

    set_trunks: Mapping[str, int] = field(default_factory=dict)
    remove_trunks: tuple[str, ...] = ()
    routes: tuple[Route, ...] | None = None

    @property
    def empty(self) -> bool:
        # The service refuses a PATCH that changes nothing (422 EmptyPatch): such a change is not sent.
        return not self.set_trunks and not self.remove_trunks and self.routes is None

    def applied_to(self, config: Configuration) -> Configuration:
        trunks = {fqdn: port for fqdn, port in config.trunks.items() if fqdn not in self.remove_trunks}
        trunks.update(self.set_trunks)
        return Configuration(trunks, config.routes if self.routes is None else self.routes)

    def describe(self, before: Configuration, after: Configuration) -> str:
        """Each part of the change and whether `after` shows it applied, coming from `before`."""
        parts: list[str] = []
        if self.set_trunks:
            done = [fqdn for fqdn, port in self.set_trunks.items() if after.trunks.get(fqdn) == port]
            wanted = ", ".join(f"{fqdn}:{port}" for fqdn, port in self.set_trunks.items())
            parts.append(f"trunks set ({wanted}) {_how_much(done, self.set_trunks)}")
        if self.remove_trunks:
            done = [fqdn for fqdn in self.remove_trunks if fqdn not in after.trunks]
            parts.append(f"trunks removed ({', '.join(self.remove_trunks)}) {_how_much(done, self.remove_trunks)}")
        if self.routes is not None:
            wanted = ", ".join(route.name for route in self.routes) or "none"
            if after.routes == self.routes:
                state = "applied"
            elif after.routes == before.routes:
                state = "not applied"
            else:
                state = f"not applied as asked (now: {', '.join(r.name for r in after.routes) or 'none'})"
            parts.append(f"routes ({wanted}, in this order) {state}")
        return "; ".join(parts)

    def fully_applied(self, after: Configuration) -> bool:
        return (
            all(after.trunks.get(fqdn) == port for fqdn, port in self.set_trunks.items())
            and not any(fqdn in after.trunks for fqdn in self.remove_trunks)
            and (self.routes is None or after.routes == self.routes)
        )


def _how_much(done: Sequence[str], wanted: Sequence[str] | Mapping[str, Any]) -> str:
    if len(done) == len(wanted):
        return "applied"
    return f"partly applied ({', '.join(done)})" if done else "not applied"


def plan(current: Configuration, declared: Configuration, exclusive: bool, owned: Owned) -> Change:
    """The change that gives `current` exactly the declared trunks and routes, the routes first and in their
    declared order. Exclusive: every other trunk and route goes. Otherwise the others stay, the routes after
    the declared ones in their existing order, except those the stack declared before (`owned`): they are its
    own, and no longer declared."""
    if exclusive:
        removed = tuple(fqdn for fqdn in current.trunks if fqdn not in declared.trunks)
        routes = declared.routes
    else:
        removed = tuple(fqdn for fqdn in current.trunks if fqdn in owned.trunks and fqdn not in declared.trunks)
        # A declared route takes the place of an existing one of the same name: it is adopted.
        managed = owned.routes | {route.name for route in declared.routes}
        routes = declared.routes + tuple(route for route in current.routes if route.name not in managed)
    return Change(
        {fqdn: port for fqdn, port in declared.trunks.items() if current.trunks.get(fqdn) != port},
        removed,
        None if routes == current.routes else routes,
    )


def removal(current: Configuration, owned: Owned) -> Change:
    """The change that takes away the stack's own routes and trunks that are there, and nothing else."""
    routes = tuple(route for route in current.routes if route.name not in owned.routes)
    return Change(
        {},
        tuple(fqdn for fqdn in current.trunks if fqdn in owned.trunks),
        None if routes == current.routes else routes,
    )


def read(client: SipRoutingClient) -> Configuration:
    """The configuration, from one GET."""
    return _configuration(_operations(client).get())


def apply(client: SipRoutingClient, action: str, before: Configuration, change: Change) -> Configuration:
    """Sends `change` (one PATCH, none when it is empty) to a configuration read as `before`, and returns the
    configuration the service answered with. `action` ("updating the Direct Routing of <host>") starts every
    error, which names what was and was not applied as read back from the service after the failure."""
    if change.empty:
        return before
    dangling = change.applied_to(before).dangling()
    if dangling:
        uses = "; ".join(
            f"route {route} would name trunk {fqdn}, which "
            + ("this change removes" if fqdn in change.remove_trunks else "is not configured")
            for route, fqdn in dangling
        )
        raise SipRoutingError(
            f"{action}: nothing was applied: {uses}. A route that this stack does not declare is kept; "
            "change or remove it (or keep declaring the trunk) first"
        )
    try:
        return _patch(client, change)
    except AzureError as error:
        if not _refused_for_routes_in_use(error, before, change):
            return _reconcile(client, action, before, change, error)
    # ASSUMPTION (the spec does not say): the service checks a PATCH's routes against the trunks the whole
    # PATCH leaves, so the routes that used a trunk and the trunk can go in the same request. Were it to
    # check each trunk removal against the routes as they were (422, nothing applied, as it refuses a
    # removal alone), the change is made in two steps that each keep every route's trunks there: the new
    # routes with the new trunks first, then the removals.
    try:
        _patch(client, Change(change.set_trunks, (), change.routes))
        return _patch(client, Change({}, change.remove_trunks, None))
    except AzureError as error:
        return _reconcile(client, action, before, change, error)


def _refused_for_routes_in_use(error: AzureError, before: Configuration, change: Change) -> bool:
    in_use = {fqdn for route in before.routes for fqdn in route.trunks}
    return (
        isinstance(error, HttpResponseError)
        and error.status_code == 422
        and change.routes is not None
        and any(fqdn in in_use for fqdn in change.remove_trunks)
    )


def _reconcile(
    client: SipRoutingClient, action: str, before: Configuration, change: Change, error: AzureError
) -> Configuration:
    """After a PATCH failed (retries spent, or its answer lost): what the service holds decides. All of the
    change there is a success; anything else is an error that says what is there and what is not."""
    try:
        after = read(client)
    except AzureError as again:
        raise SipRoutingError(
            f"{action} failed: {reason(error)}. Whether any of it was applied is not known: reading the "
            f"configuration back failed too ({reason(again)}). Run `pulumi refresh` to see what is there"
        ) from error
    if change.fully_applied(after):
        return after
    raise SipRoutingError(
        f"{action} failed: {reason(error)}. Read back after the failure: {change.describe(before, after)}. "
        "Run `pulumi refresh` to record what is there, then `pulumi up` again"
    ) from error


def _operations(client: SipRoutingClient) -> Any:
    # The generated operations SipRoutingClient's own methods call (see the module's docstring).
    return client._rest_service.sip_routing


def _patch(client: SipRoutingClient, change: Change) -> Configuration:
    trunks: dict[str, SipTrunkInternal | None] = {
        fqdn: SipTrunkInternal(sip_signaling_port=port) for fqdn, port in change.set_trunks.items()
    }
    trunks.update(dict.fromkeys(change.remove_trunks))  # null removes a trunk (merge patch)
    routes = None
    if change.routes is not None:
        routes = [
            SipTrunkRouteInternal(
                name=route.name,
                number_pattern=route.number_pattern,
                description=route.description,
                trunks=list(route.trunks),
            )
            for route in change.routes
        ]
    body = SipConfiguration(trunks=trunks or None, routes=routes)  # type: ignore[arg-type]
    return _configuration(_operations(client).update(body=body))


def _configuration(model: SipConfiguration) -> Configuration:
    trunks = {fqdn: int(trunk.sip_signaling_port) for fqdn, trunk in (model.trunks or {}).items()}
    routes = tuple(
        Route(
            name=route.name,
            number_pattern=route.number_pattern,
            trunks=tuple(route.trunks or ()),
            description=route.description or None,
        )
        for route in model.routes or ()
    )
    return Configuration(trunks, routes)
