"""Direct Routing: the SIP trunks and voice routes of an ACS resource (the project's SipRouting resource).

The resource's inputs: `trunks` ([{fqdn, port}], in the order written), `routes` ([{name, description,
numberPattern, trunks}], in the order ACS tries them) and `exclusive`. Any of them may be unknown in a
preview; a rule judges what it knows and never fails on the rest: an unknown list is not judged, an unknown
entry is left out of the verdict (where leaving it out could make a violation, nothing is reported).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from .number_patterns import Route, read_or_none, unreachable
from .resource_types import SIP_ROUTING
from .shared_facts import SBC_UNSUPPORTED_DOMAINS, SIP_TLS_PORT, in_domain
from .support import UNKNOWN, known, number, resource_rule, shown

ROUTING_DOC = "https://learn.microsoft.com/azure/communication-services/quickstarts/telephony/voice-routing-sdk-config"
DOMAIN_DOC = "https://learn.microsoft.com/azure/communication-services/how-tos/telephony/domain-validation"
INFRASTRUCTURE_DOC = (
    "https://learn.microsoft.com/azure/communication-services/concepts/telephony/direct-routing-infrastructure"
)
_MORE_NAMED = 3  # earlier routes named in a message, at most


def _plain(value: Any) -> Any:
    """A value of the resource's inputs as plain lists and dicts, UNKNOWN where a preview cannot know it."""
    if isinstance(value, Mapping):
        return {key: _item(value, key) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_item(value, index) for index in range(len(value))]
    return value


def _item(container: Any, key: Any) -> Any:
    try:
        return _plain(container[key])
    except UnknownValueError:
        return UNKNOWN


def _entries(args: ResourceValidationArgs, key: str) -> list[Any] | None:
    """The list input `key`, plain; None when it is unknown or not a list."""
    value = known(args.props, key)
    if value is UNKNOWN or not isinstance(value, Sequence) or isinstance(value, str):
        return None
    return _plain(value)


def _field(entry: Any, key: str) -> Any:
    return entry.get(key) if isinstance(entry, dict) else UNKNOWN


def _route_name(route: Any, index: int) -> str:
    name = _field(route, "name")
    return repr(name) if isinstance(name, str) else f"routes[{index}]"


def _route_trunks(route: Any) -> list[Any] | None:
    """A route's trunks, None when the list is unknown."""
    trunks = _field(route, "trunks")
    return trunks if isinstance(trunks, list) else None


@resource_rule(
    name="direct-routing-route-trunks",
    description="Every voice route sends its calls to trunks declared on the same Direct Routing resource.",
    types=[SIP_ROUTING],
    severity=Severity.HIGH,
    remediation="Declare the trunk (its FQDN and port) under the instance's directRouting.trunks, or take it out "
    "of the route's trunks; a route needs at least one trunk.",
    url=ROUTING_DOC,
)
def route_trunks(args: ResourceValidationArgs, report: ReportViolation) -> None:
    trunks, routes = _entries(args, "trunks"), _entries(args, "routes")
    if trunks is None or routes is None:
        return
    fqdns = [_field(t, "fqdn") for t in trunks]
    declared = {f.lower() for f in fqdns if isinstance(f, str)}
    every_trunk_known = all(isinstance(f, str) for f in fqdns)  # else a route may use the unknown one
    for index, route in enumerate(routes):
        refs = _route_trunks(route)
        if refs is None:
            continue
        if not refs:
            report(f"{args.name}: route {_route_name(route, index)} has no trunk: its numbers would go nowhere.")
            continue
        missing = [r for r in refs if isinstance(r, str) and r.lower() not in declared]
        if missing and every_trunk_known:
            report(
                f"{args.name}: route {_route_name(route, index)} sends calls to {', '.join(map(repr, missing))}, "
                f"which this resource does not declare as a trunk; its trunks: {', '.join(sorted(declared)) or 'none'}."
            )


@resource_rule(
    name="direct-routing-route-reachable",
    description="No voice route is shadowed: earlier routes on its trunks do not already take every number it matches.",
    types=[SIP_ROUTING],
    severity=Severity.MEDIUM,
    remediation="Move the route before the routes that take its numbers, narrow their number patterns, or give it a "
    "trunk of its own (a later route on another trunk is a failover, and is tried when the earlier trunks are down).",
    url=ROUTING_DOC,
)
def route_reachable(args: ResourceValidationArgs, report: ReportViolation) -> None:
    routes = _entries(args, "routes")
    if routes is None:
        return
    read_routes, judged = [], []
    for index, route in enumerate(routes):
        refs = _route_trunks(route) or []
        trunks = frozenset(r.lower() for r in refs if isinstance(r, str))
        read_routes.append(Route(_route_name(route, index), read_or_none(_field(route, "numberPattern")), trunks))
        # A route with an unknown trunk might have one no earlier route has: it is not judged (it still
        # counts, on its known trunks, as taking numbers before later routes).
        if _route_trunks(route) is not None and len(trunks) == len(refs):
            judged.append(index)
    for index, route, takers in unreachable(read_routes):
        if index not in judged:
            continue
        named = ", ".join(t.name for t in takers[:_MORE_NAMED]) + (" ..." if len(takers) > _MORE_NAMED else "")
        report(
            f"{args.name}: route {route.name} (routes[{index}]) can never carry a call: every number it matches is "
            f"taken first by {named} on its trunks ({', '.join(sorted(route.trunks))}), and it would be tried only "
            "once those trunks are unavailable."
        )


@resource_rule(
    name="direct-routing-sip-tls-port",
    description="SIP trunks signal on 5061, the SIP over TLS port, where the stack requires it (`requireTlsPort`).",
    types=[SIP_ROUTING],
    severity=Severity.HIGH,
    remediation=f"Configure the SBC to listen for SIP over TLS on {SIP_TLS_PORT} and set the trunk's port to it, or "
    "turn requireTlsPort off in the stack's policy config.",
    url=INFRASTRUCTURE_DOC,
    config_schema=PolicyConfigSchema(properties={"requireTlsPort": {"type": "boolean", "default": True}}),
)
def sip_tls_port(args: ResourceValidationArgs, report: ReportViolation) -> None:
    trunks = _entries(args, "trunks")
    if not args.get_config()["requireTlsPort"] or trunks is None:
        return
    for trunk in trunks:
        fqdn, port = _field(trunk, "fqdn"), _field(trunk, "port")
        if port is UNKNOWN or number(port) == SIP_TLS_PORT:
            continue
        name = fqdn if isinstance(fqdn, str) else "a trunk"
        report(f"{args.name}: trunk {name} signals on port {shown(port)}; the stack requires {SIP_TLS_PORT}.")


@resource_rule(
    name="direct-routing-trunk-domains",
    description="SIP trunk FQDNs are in the domains the stack declares for Direct Routing (`allowedDomains`), and "
    "never under a domain ACS does not take for an SBC.",
    types=[SIP_ROUTING],
    severity=Severity.HIGH,
    remediation="Use an SBC name in one of the stack's Direct Routing domains (verified on the ACS resource), or add "
    "its domain to allowedDomains in the stack's policy config once it is verified there.",
    url=DOMAIN_DOC,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedDomains": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        }
    ),
)
def trunk_domains(args: ResourceValidationArgs, report: ReportViolation) -> None:
    trunks = _entries(args, "trunks")
    if trunks is None:
        return
    allowed = list(args.get_config()["allowedDomains"])
    for trunk in trunks:
        fqdn = _field(trunk, "fqdn")
        if not isinstance(fqdn, str):
            continue
        unsupported = [d for d in SBC_UNSUPPORTED_DOMAINS if in_domain(fqdn, d)]
        if unsupported:
            report(f"{args.name}: trunk {fqdn} is under {unsupported[0]}, which ACS does not take for an SBC.")
        elif allowed and not any(in_domain(fqdn, domain) for domain in allowed):
            report(f"{args.name}: trunk {fqdn} is outside the stack's Direct Routing domains ({', '.join(allowed)}).")


POLICIES = [route_trunks, route_reachable, sip_tls_port, trunk_domains]
