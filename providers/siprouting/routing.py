"""SipRouting: the Direct Routing configuration of one ACS resource (SIP trunks and voice routes), set by Pulumi.

A Pulumi dynamic resource. Like `providers.numberpools.pool`, its provider is pickled into the state by
reference to its class (`providers.siprouting.routing.SipRoutingProvider`: the provider process imports this
package from the project directory) and holds no data: each operation opens and closes its own client.

- create and update: one GET, then one PATCH with the trunks to set, the trunks to remove and the whole
  new route list (no PATCH when nothing differs; two, routes first, where the service refuses to remove a
  trunk that the routes it replaces still name, see `configuration.apply`). The routes end in the declared
  order. `exclusive: true`
  removes every trunk and route the stack does not declare. `exclusive: false` keeps them, the routes after
  the declared ones in their existing order, but removes what the stack declared before and no longer does:
  it was the stack's. A declared trunk or route that exists already (by FQDN, by name) is taken over.
- A trunk still named by a route is never removed before that route: both change in the same PATCH, and a
  change that would leave a route without its trunk (an undeclared route, kept, on a trunk the stack drops)
  is refused before anything is sent.
- delete: removes the trunks and routes of the state (the stack's), nothing else, in one PATCH (or, as
  above, two: routes first).
- Not exclusive, a refresh shows the declared routes in the service's order, but not where undeclared ones
  stand among them: one moved before them in the portal is not seen as a change.
- read (`pulumi refresh`): the declared trunks and routes as the service has them (an edited or reordered
  route shows as a change, a removed one as missing), and with `exclusive: true` the undeclared ones too,
  so that the next plan shows their removal. When none of the declared ones is left, or the ACS resource is
  gone, the resource is reported gone.
- check and diff never call the service; a change of `endpoint` (another ACS resource) is a replacement.

Errors name the ACS resource and what was and was not applied, as read back from the service after the
failure. The connection string is read from the environment when needed, never kept in the state.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi.dynamic
from azure.core.exceptions import AzureError, ResourceNotFoundError
from pulumi.runtime import rpc

from providers.arm import reason
from providers.dataplane import ENV_NAME, host_of
from providers.siprouting import configuration
from providers.siprouting.client import ClientFactory, SipRoutingError, default_client
from providers.siprouting.configuration import Configuration, Owned, Route

# Python attribute and argument names <-> the resource's property names in the state. Only the top level:
# the SDK translates nested keys through the same table, and the trunks' and routes' keys are camelCase.
_PROPERTY_NAMES = {
    "endpoint": "endpoint",
    "connection_string_env": "connectionStringEnv",
    "exclusive": "exclusive",
    "trunks": "trunks",
    "routes": "routes",
    "undeclared": "undeclared",
}
_ATTRIBUTE_NAMES = {prop: attribute for attribute, prop in _PROPERTY_NAMES.items()}
_INPUTS = ("endpoint", "connectionStringEnv", "exclusive", "trunks", "routes")

# The API's limits (SipConfiguration 2023-03-01): FQDNs of 1 to 249 characters, at most 250 trunks and
# 250 routes, route names up to 256 characters, number patterns and descriptions up to 1024.
MAX_TRUNKS = MAX_ROUTES = 250
MAX_FQDN = 249
MAX_NAME = 256
MAX_TEXT = 1024


def _unknown(value: Any) -> bool:
    """A value only known after an earlier resource is created (a preview's placeholder)."""
    return value == rpc.UNKNOWN or isinstance(value, pulumi.Output)


def _is_port(value: Any) -> bool:
    # The state hands numbers back as floats: 5061.0 is 5061.
    whole = not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    )
    return whole and 1 <= value <= 65535


def _is_text(value: Any, most: int) -> bool:
    return isinstance(value, str) and bool(value.strip()) and len(value) <= most


def problems(props: dict[str, Any]) -> list[tuple[str, str]]:
    """(property, reason) for each input of `props` (camelCase) whose shape is wrong; unknown values pass.
    What the service alone can judge (a number pattern's regex, whether an SBC answers) is left to it."""
    found: list[tuple[str, str]] = []
    endpoint = props.get("endpoint")
    if not _unknown(endpoint):
        url = urlsplit(endpoint) if isinstance(endpoint, str) else None
        if url is None or url.scheme != "https" or not url.hostname or url.path not in ("", "/") or url.query:
            found.append(("endpoint", f"endpoint must be the ACS endpoint, https://<host>: {endpoint!r}"))
    exclusive = props.get("exclusive")
    if not _unknown(exclusive) and not isinstance(exclusive, bool):
        found.append(("exclusive", f"exclusive must be True or False: {exclusive!r}"))
    env = props.get("connectionStringEnv")
    if env is not None and not _unknown(env) and not (isinstance(env, str) and ENV_NAME.fullmatch(env)):
        found.append(("connectionStringEnv", f"connection_string_env must name an environment variable: {env!r}"))
    declared = _trunk_problems(props.get("trunks"), found)
    _route_problems(props.get("routes"), declared, found)
    return found


def _trunk_problems(trunks: Any, found: list[tuple[str, str]]) -> set[str] | None:
    """Adds the trunks' problems to `found`; returns the declared FQDNs (lowercase), None where not known."""
    if _unknown(trunks):
        return None
    if isinstance(trunks, str) or not isinstance(trunks, Sequence):
        found.append(("trunks", f"trunks must be a list of trunks (fqdn, port): {trunks!r}"))
        return None
    if len(trunks) > MAX_TRUNKS:
        found.append(("trunks", f"trunks: at most {MAX_TRUNKS} trunks, not {len(trunks)}"))
    fqdns: set[str] | None = set()
    for i, trunk in enumerate(trunks):
        if _unknown(trunk):
            fqdns = None
            continue
        if not isinstance(trunk, dict):
            found.append(("trunks", f"trunks[{i}] must be a trunk (fqdn, port): {trunk!r}"))
            continue
        fqdn, port = trunk.get("fqdn"), trunk.get("port")
        if _unknown(fqdn):
            fqdns = None
        elif not (isinstance(fqdn, str) and 0 < len(fqdn) <= MAX_FQDN and fqdn.strip() == fqdn and " " not in fqdn):
            found.append(("trunks", f"trunks[{i}].fqdn must be the SBC's FQDN, 1 to {MAX_FQDN} characters: {fqdn!r}"))
        elif fqdns is not None:
            if fqdn.lower() in fqdns:
                found.append(("trunks", f"trunks: {fqdn} is declared twice"))
            fqdns.add(fqdn.lower())
        if not _unknown(port) and not _is_port(port):
            found.append(("trunks", f"trunks[{i}].port must be a port number, 1 to 65535: {port!r}"))
    return fqdns


def _route_problems(routes: Any, trunks: set[str] | None, found: list[tuple[str, str]]) -> None:
    if _unknown(routes):
        return
    if isinstance(routes, str) or not isinstance(routes, Sequence):
        found.append(("routes", f"routes must be a list of voice routes: {routes!r}"))
        return
    if len(routes) > MAX_ROUTES:
        found.append(("routes", f"routes: at most {MAX_ROUTES} routes, not {len(routes)}"))
    names: set[str] = set()
    for i, route in enumerate(routes):
        if _unknown(route):
            continue
        if not isinstance(route, dict):
            found.append(("routes", f"routes[{i}] must be a voice route (name, number_pattern, trunks): {route!r}"))
            continue
        name, pattern, description = route.get("name"), route.get("numberPattern"), route.get("description")
        if not _unknown(name):
            if not _is_text(name, MAX_NAME):
                found.append(("routes", f"routes[{i}].name must be a name of 1 to {MAX_NAME} characters: {name!r}"))
            elif name in names:
                found.append(("routes", f"routes: {name} is declared twice"))
            else:
                names.add(name)
        if not _unknown(pattern) and not _is_text(pattern, MAX_TEXT):
            found.append(("routes", f"routes[{i}].number_pattern must be a pattern of 1 to {MAX_TEXT} characters"))
        if (
            description is not None
            and not _unknown(description)
            and not (isinstance(description, str) and len(description) <= MAX_TEXT)
        ):
            found.append(("routes", f"routes[{i}].description must be text of at most {MAX_TEXT} characters"))
        _route_trunk_problems(i, route.get("trunks"), trunks, found)


def _route_trunk_problems(i: int, named: Any, trunks: set[str] | None, found: list[tuple[str, str]]) -> None:
    if _unknown(named):
        return
    if isinstance(named, str) or not isinstance(named, Sequence) or not all(isinstance(t, str) for t in named):
        found.append(("routes", f"routes[{i}].trunks must be a list of trunk FQDNs: {named!r}"))
        return
    if len({t.lower() for t in named}) != len(named):
        found.append(("routes", f"routes[{i}].trunks names a trunk twice: {list(named)!r}"))
    # A route may only use a trunk of this stack: one kept outside it could go at any time, and with
    # exclusive it would be removed by the very change that adds the route.
    missing = [t for t in named if trunks is not None and t.lower() not in trunks]
    if missing:
        found.append(("routes", f"routes[{i}] uses trunks that are not declared: {', '.join(missing)}"))


def _valid(props: dict[str, Any]) -> None:
    wrong = problems(props)
    if wrong:
        raise ValueError("; ".join(why for _, why in wrong))


def _endpoint(props: dict[str, Any]) -> str:
    return str(props["endpoint"]).rstrip("/")


def _declared(props: dict[str, Any]) -> Configuration:
    """The trunks and routes `props` lists, in their order."""
    trunks = {trunk["fqdn"]: int(trunk["port"]) for trunk in props.get("trunks") or []}
    return Configuration(trunks, tuple(Route.from_props(route) for route in props.get("routes") or []))


def _owned(props: dict[str, Any]) -> Owned:
    """The trunks and routes a state holds as the stack's own: not those a refresh found undeclared."""
    undeclared = props.get("undeclared") or {}
    declared = _declared(props)
    return Owned(
        frozenset(declared.trunks) - set(undeclared.get("trunks") or []),
        frozenset(route.name for route in declared.routes) - set(undeclared.get("routes") or []),
    )


def _outputs(props: dict[str, Any], current: Configuration, owned: Owned, exclusive: bool) -> dict[str, Any]:
    """The state: the inputs, with the trunks and routes `owned` as `current` has them (trunks in the declared
    order, routes in the service's), and with `exclusive` the others too, listed in `undeclared`."""
    order = list(_declared(props).trunks)
    trunks = [fqdn for fqdn in order if fqdn in owned.trunks and fqdn in current.trunks]
    extra_trunks = [fqdn for fqdn in current.trunks if fqdn not in owned.trunks] if exclusive else []
    routes = [route for route in current.routes if route.name in owned.routes or exclusive]
    extra_routes = [route.name for route in routes if route.name not in owned.routes]
    outs = {prop: props.get(prop) for prop in _INPUTS}
    outs["endpoint"] = _endpoint(props)
    outs["trunks"] = [{"fqdn": fqdn, "port": current.trunks[fqdn]} for fqdn in trunks + extra_trunks]
    outs["routes"] = [route.to_props() for route in routes]
    outs["undeclared"] = {"trunks": extra_trunks, "routes": extra_routes} if extra_trunks or extra_routes else None
    return outs


def _outputs_of_inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {**{prop: props.get(prop) for prop in _INPUTS}, "endpoint": _endpoint(props), "undeclared": None}


def _has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_unknown(v) for v in value)
    return _unknown(value)


def _changed(prop: str, olds: dict[str, Any], news: dict[str, Any]) -> bool:
    new = news.get(prop)
    if _has_unknown(new):  # it may turn out different: a preview says so rather than promise no change
        return True
    if prop == "endpoint":
        return _endpoint(olds).lower() != str(new).rstrip("/").lower()
    if prop == "trunks":
        return list(_declared(olds).trunks.items()) != list(_declared(news).trunks.items())
    if prop == "routes":
        return _declared(olds).routes != _declared(news).routes
    return olds.get(prop) != new


def _reading_failed(host: str, error: AzureError) -> SipRoutingError:
    return SipRoutingError(
        f"reading the Direct Routing configuration of {host} failed: {reason(error)}; nothing was changed"
    )


class SipRoutingProvider(pulumi.dynamic.ResourceProvider):
    """Pulumi calls check, diff, create, read, update and delete; the `*_with` methods hold the logic and take the
    client factory (whose client carries the retry policy and its clock), so tests can point them at another
    endpoint."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        # Runs on every preview: validation only, never a call to the service.
        failures = [pulumi.dynamic.CheckFailure(prop, why) for prop, why in problems(news)]
        return pulumi.dynamic.CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        # Runs on every preview: compares the state with the inputs, never calls the service.
        changed = [prop for prop in _INPUTS if _changed(prop, olds, news)]
        # Another endpoint is another ACS resource: the new one is configured, then the old one cleared. One
        # not known yet (its ACS resource changes in the same run) is a change: the diff of `pulumi up`, with
        # the value known, says whether it is a replacement.
        moved = "endpoint" in changed and not _unknown(news.get("endpoint"))
        replaces = ["endpoint"] if moved else []
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return self.create_with(props, default_client)

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        return self.read_with(id_, props, default_client)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return self.update_with(olds, news, default_client)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.delete_with(props, default_client)

    def create_with(self, props: dict[str, Any], client_factory: ClientFactory) -> pulumi.dynamic.CreateResult:
        _valid(props)
        outs = self._configure(props, Owned(), client_factory, "creating")
        return pulumi.dynamic.CreateResult(id_=host_of(outs["endpoint"]), outs=outs)

    def update_with(
        self, olds: dict[str, Any], news: dict[str, Any], client_factory: ClientFactory
    ) -> pulumi.dynamic.UpdateResult:
        _valid(news)
        same = (_declared(olds), olds.get("undeclared")) == (_declared(news), None)
        if same and not (news["exclusive"] and not olds.get("exclusive")):
            # Only what needs no call changed: the variable's name, or exclusive turned off (what it kept
            # is there already, and nothing is to go).
            return pulumi.dynamic.UpdateResult(outs={**olds, **_outputs_of_inputs(news)})
        return pulumi.dynamic.UpdateResult(outs=self._configure(news, _owned(olds), client_factory, "updating"))

    def _configure(
        self, props: dict[str, Any], owned: Owned, client_factory: ClientFactory, step: str
    ) -> dict[str, Any]:
        endpoint, host = _endpoint(props), host_of(_endpoint(props))
        declared, exclusive = _declared(props), bool(props["exclusive"])
        with client_factory(endpoint, props.get("connectionStringEnv")) as client:
            try:
                current = configuration.read(client)
            except AzureError as error:
                raise _reading_failed(host, error) from error
            change = configuration.plan(current, declared, exclusive, owned)
            after = configuration.apply(client, f"{step} the Direct Routing of {host}", current, change)
        mine = Owned(frozenset(declared.trunks), frozenset(route.name for route in declared.routes))
        return _outputs(props, after, mine, exclusive=False)

    def read_with(self, id_: str, props: dict[str, Any], client_factory: ClientFactory) -> pulumi.dynamic.ReadResult:
        if not props.get("endpoint") or "trunks" not in props or "routes" not in props:
            raise SipRoutingError(
                f"reading Direct Routing {id_} needs its state (endpoint, trunks and routes): it cannot be "
                "imported; declare it, and `pulumi up` takes over the trunks and routes it names"
            )
        host = host_of(_endpoint(props))
        owned = _owned(props)
        with client_factory(_endpoint(props), props.get("connectionStringEnv")) as client:
            try:
                current = configuration.read(client)
            except ResourceNotFoundError:
                # The ACS resource is gone, and its configuration with it: a blank id tells the engine so.
                return pulumi.dynamic.ReadResult(id_="", outs={})
            except AzureError as error:
                raise _reading_failed(host, error) from error
        left = owned.trunks & set(current.trunks) or owned.routes & {route.name for route in current.routes}
        if (owned.trunks or owned.routes) and not left:
            # Every trunk and route of the stack is gone: so is the resource. `pulumi up` creates it again.
            return pulumi.dynamic.ReadResult(id_="", outs={})
        return pulumi.dynamic.ReadResult(id_=id_, outs=_outputs(props, current, owned, bool(props.get("exclusive"))))

    def delete_with(self, props: dict[str, Any], client_factory: ClientFactory) -> None:
        # Exactly the trunks and routes of the state, never anything else the ACS resource has.
        owned = _owned(props)
        if not owned.trunks and not owned.routes:
            return
        endpoint = _endpoint(props)
        host = host_of(endpoint)
        with client_factory(endpoint, props.get("connectionStringEnv")) as client:
            try:
                current = configuration.read(client)
            except ResourceNotFoundError:
                return  # the ACS resource is gone, and its configuration with it
            except AzureError as error:
                raise _reading_failed(host, error) from error
            change = configuration.removal(current, owned)
            configuration.apply(client, f"deleting the Direct Routing of {host}", current, change)


@dataclass(frozen=True)
class SipTrunkArgs:
    fqdn: str  # the SBC's FQDN, as its certificate names it
    port: int  # its SIP signalling port


@dataclass(frozen=True)
class VoiceRouteArgs:
    name: str
    number_pattern: str  # a .NET regex over digits with an optional leading +, as ^\+1[0-9]{10}$
    trunks: Sequence[str]  # FQDNs of declared trunks, tried in this order
    description: str | None = None


def _route_props(route: VoiceRouteArgs) -> dict[str, Any]:
    return Route(route.name, route.number_pattern, tuple(route.trunks), route.description).to_props()


@dataclass(frozen=True)
class SipRoutingArgs:
    endpoint: pulumi.Input[str]  # the ACS data-plane endpoint, https://<name>.communication.azure.com
    trunks: Sequence[SipTrunkArgs]
    routes: Sequence[VoiceRouteArgs]  # in priority order: the first route whose pattern matches takes the call
    # True: the ACS resource's Direct Routing is exactly this (anything else is removed). False: trunks and
    # routes made outside the stack stay, their routes after these.
    exclusive: bool
    # The environment variable holding the instance's connection string, where local auth is allowed;
    # when unset or empty, Microsoft Entra ID.
    connection_string_env: str | None = None

    def props(self) -> dict[str, Any]:
        """The resource's inputs, camelCase, as the provider and policies see them."""
        return {
            "endpoint": self.endpoint.rstrip("/") if isinstance(self.endpoint, str) else self.endpoint,
            "connectionStringEnv": self.connection_string_env,
            "exclusive": self.exclusive,
            "trunks": [{"fqdn": trunk.fqdn, "port": trunk.port} for trunk in self.trunks],
            "routes": [_route_props(route) for route in self.routes],
        }

    def __post_init__(self) -> None:
        if isinstance(self.endpoint, str):  # an Output is checked by the provider once it is known
            _valid(self.props())
        else:
            _valid({**self.props(), "endpoint": rpc.UNKNOWN})


class SipRouting(pulumi.dynamic.Resource, module="siprouting", name="SipRouting"):
    """The Direct Routing of one ACS resource: its SIP trunks and voice routes. Outputs `trunks` and `routes`
    as the service has them; `undeclared` lists what a refresh found there that an exclusive stack does not
    declare (None when nothing)."""

    trunks: pulumi.Output[list[dict[str, Any]]]
    routes: pulumi.Output[list[dict[str, Any]]]
    undeclared: pulumi.Output[dict[str, Any] | None]

    def __init__(self, name: str, args: SipRoutingArgs, opts: pulumi.ResourceOptions | None = None):
        props: dict[str, Any] = {_ATTRIBUTE_NAMES[prop]: value for prop, value in args.props().items()}
        props["undeclared"] = None
        super().__init__(SipRoutingProvider(), name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PROPERTY_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ATTRIBUTE_NAMES.get(prop, prop)
