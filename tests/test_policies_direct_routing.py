"""The Direct Routing rules, on SipRouting resources as the engine hands them to the pack: trunks declared
for every route, no shadowed route, the SIP over TLS port, the stack's SBC domains; unknown values judged
as far as they are known."""

import pytest

from policies.number_patterns import Route, read, unreachable
from policies.resource_types import SIP_ROUTING
from tests.policy_harness import UNKNOWN, fixture, judge, verdict_tests, violations_of

SBC1, SBC2, SBC3 = "sbc1.contoso.com", "sbc2.contoso.com", "sbc3.contoso.com"
US, SEATTLE, ANY = r"^\+1\d{10}$", r"^\+1206\d{7}$", r"^\+\d+$"


def trunk(fqdn, port=5061):
    return {"fqdn": fqdn, "port": port}


def route(name, pattern, *trunks, description=None):
    return {"name": name, "description": description, "numberPattern": pattern, "trunks": list(trunks)}


BOTH = (trunk(SBC1), trunk(SBC2))


def sip_routing(name, trunks=BOTH, routes=(), **more):
    inputs = {
        "endpoint": "https://acs-test-eu.europe.communication.azure.com",
        "connectionStringEnv": None,
        "exclusive": True,
        "trunks": list(trunks) if isinstance(trunks, tuple | list) else trunks,
        "routes": list(routes) if isinstance(routes, tuple | list) else routes,
        **more,
    }
    return fixture(SIP_ROUTING, name, inputs)


FIXTURES = [
    # Everything as the rules want it: TLS port, the stack's domain, routes from narrow to wide, and a failover
    # route with the same pattern on another trunk (Microsoft's documented way to fail over).
    sip_routing(
        "good",
        routes=[
            route("seattle", SEATTLE, SBC1),
            route("us", US, SBC1),
            route("us-failover", US, SBC2),
            route("anything", ANY, SBC1, SBC2),
        ],
    ),
    # direct-routing-route-trunks
    sip_routing("undeclared", routes=[route("us", US, SBC1, "sbc9.contoso.com")]),
    sip_routing("case-insensitive", trunks=[trunk("SBC1.Contoso.com")], routes=[route("us", US, SBC1)]),
    sip_routing("no-trunk", routes=[route("us", US)]),
    # direct-routing-route-reachable
    sip_routing("shadowed", routes=[route("us", US, SBC1), route("seattle", SEATTLE, SBC1)]),
    sip_routing("same-pattern-same-trunk", routes=[route("us", US, SBC1, SBC2), route("us-again", US, SBC2)]),
    # Numbers taken by two earlier routes, each on one of the later route's trunks.
    sip_routing(
        "shadowed-by-two",
        routes=[route("us-1", US, SBC1), route("us-2", US, SBC2), route("seattle", SEATTLE, SBC1, SBC2)],
    ),
    # Unanchored: found anywhere in the number, or matched whole, +1 and ten digits is taken by ^\+\d+$ both ways.
    sip_routing("shadowed-unanchored", routes=[route("anything", ANY, SBC1), route("us", r"\+1\d{10}", SBC1)]),
    # Unanchored \+1 takes every US number when found anywhere in the number, none when matched whole: which ACS
    # does is not documented, so the later route is not reported.
    sip_routing("reachable-one-way-only", routes=[route("plus-one", r"\+1", SBC1), route("us", US, SBC1)]),
    sip_routing("wider-later", routes=[route("seattle", SEATTLE, SBC1), route("us", US, SBC1)]),
    sip_routing("pattern-not-read", routes=[route("any", r"(?=\+)\+\d+", SBC1), route("us", US, SBC1)]),
    # direct-routing-sip-tls-port
    sip_routing("port-5060", trunks=[trunk(SBC1, 5060), trunk(SBC2)]),
    # direct-routing-trunk-domains
    sip_routing("other-domain", trunks=[trunk("sbc.fabrikam.com"), trunk("sbc.eu.contoso.com")]),
    sip_routing("lookalike-domain", trunks=[trunk("sbc.notcontoso.com")]),
    sip_routing("azure-domain", trunks=[trunk("sbc.contoso.onmicrosoft.com")]),
    # Unknown in a preview: whole lists, entries and fields.
    sip_routing("unknown-lists", trunks=UNKNOWN, routes=UNKNOWN),
    sip_routing(
        "unknown-entries",
        trunks=[trunk(SBC1), UNKNOWN, {"fqdn": UNKNOWN, "port": UNKNOWN}],
        routes=[UNKNOWN, route("us", UNKNOWN, SBC1), {**route("x", US, SBC1), "trunks": UNKNOWN}],
    ),
    # A trunk whose FQDN is unknown may be the one a route names: no undeclared-trunk verdict.
    sip_routing("unknown-fqdn", trunks=[trunk(SBC1), {"fqdn": UNKNOWN, "port": 5061}], routes=[route("u", US, SBC2)]),
    # An unknown route trunk may be one no earlier route uses: the later route is not judged.
    sip_routing("unknown-route-trunk", routes=[route("us", US, SBC1), route("seattle", SEATTLE, SBC1, UNKNOWN)]),
    # An earlier route whose pattern is unknown takes no numbers the rule can count on.
    sip_routing("unknown-earlier-pattern", routes=[route("any", UNKNOWN, SBC1), route("us", US, SBC1)]),
]

CONFIG = {
    "all": "mandatory",
    "direct-routing-sip-tls-port": {"requireTlsPort": True},
    "direct-routing-trunk-domains": {"allowedDomains": ["contoso.com"]},
}


@pytest.fixture(scope="module")
def result():
    return judge(FIXTURES, CONFIG)


TRUNKS = "direct-routing-route-trunks"
REACHABLE = "direct-routing-route-reachable"
TLS = "direct-routing-sip-tls-port"
DOMAINS = "direct-routing-trunk-domains"
POLICIES = (TRUNKS, REACHABLE, TLS, DOMAINS)

FAILS = [
    (
        TRUNKS,
        "undeclared",
        "undeclared: route 'us' sends calls to 'sbc9.contoso.com', which this resource does not declare as a trunk; "
        "its trunks: sbc1.contoso.com, sbc2.contoso.com.",
    ),
    (TRUNKS, "no-trunk", "no-trunk: route 'us' has no trunk"),
    (
        REACHABLE,
        "shadowed",
        "shadowed: route 'seattle' (routes[1]) can never carry a call: every number it matches is taken first by "
        "'us' on its trunks (sbc1.contoso.com)",
    ),
    (REACHABLE, "same-pattern-same-trunk", "same-pattern-same-trunk: route 'us-again' (routes[1]) can never carry"),
    (REACHABLE, "shadowed-by-two", "shadowed-by-two: route 'seattle' (routes[2]) can never carry a call: every number"),
    (REACHABLE, "shadowed-unanchored", "shadowed-unanchored: route 'us' (routes[1]) can never carry a call"),
    (TLS, "port-5060", "port-5060: trunk sbc1.contoso.com signals on port 5060; the stack requires 5061."),
    (
        DOMAINS,
        "other-domain",
        "other-domain: trunk sbc.fabrikam.com is outside the stack's Direct Routing domains (contoso.com).",
    ),
    (DOMAINS, "lookalike-domain", "lookalike-domain: trunk sbc.notcontoso.com is outside the stack's"),
    (
        DOMAINS,
        "azure-domain",
        "azure-domain: trunk sbc.contoso.onmicrosoft.com is under onmicrosoft.com, which ACS does not take for an SBC.",
    ),
]

PASSES = [
    *[(policy, "good") for policy in POLICIES],
    (TRUNKS, "case-insensitive"),
    (REACHABLE, "reachable-one-way-only"),
    (REACHABLE, "wider-later"),
    (REACHABLE, "pattern-not-read"),
    *[(policy, name) for policy in POLICIES for name in ("unknown-lists", "unknown-entries")],
    (TRUNKS, "unknown-fqdn"),
    (REACHABLE, "unknown-route-trunk"),
    (REACHABLE, "unknown-earlier-pattern"),
]

test_violation, test_no_violation, test_no_rule_fails_to_run_on_unknown_values = verdict_tests(FAILS, PASSES)


def test_each_violation_is_reported_once_per_offending_entry(result):
    assert len(violations_of(result, TRUNKS, "undeclared")) == 1
    assert len(violations_of(result, TLS, "port-5060")) == 1  # sbc2 is on 5061
    assert len(violations_of(result, DOMAINS, "other-domain")) == 1  # sbc.eu.contoso.com is a subdomain


def test_without_allowed_domains_any_domain_of_ones_own_is_taken_and_azures_never():
    verdicts = judge(FIXTURES, {"all": "mandatory"})
    assert violations_of(verdicts, DOMAINS, "other-domain") == []
    assert len(violations_of(verdicts, DOMAINS, "azure-domain")) == 1


def test_the_tls_port_is_asked_for_only_where_the_stack_requires_it():
    verdicts = judge(FIXTURES, {"all": "mandatory", TLS: {"requireTlsPort": False}})
    assert violations_of(verdicts, TLS) == []


@pytest.mark.parametrize(
    ("earlier", "later", "shadowed"),
    [
        # (pattern, trunks) of the earlier routes; the later route; whether it can never carry a call.
        ([(US, "a")], (SEATTLE, "a"), True),
        ([(SEATTLE, "a")], (US, "a"), False),
        ([(US, "a")], (US, "b"), False),  # failover on another trunk
        ([(US, "a")], (SEATTLE, "a,b"), False),  # reaches b when a is down
        ([(US, "a"), (US, "b")], (SEATTLE, "a,b"), True),
        ([(r"^\+1(206|425)\d{7}$", "a")], (r"^\+1425\d{7}$", "a"), True),
        ([(r"^\+1(206|425)\d{7}$", "a")], (r"^\+1(425|360)\d{7}$", "a"), False),  # +1360... is its own
        ([(r"^\+44\d{10}$", "a"), (r"^\+33\d{9}$", "a")], (r"^\+(44\d{10}|33\d{9})$", "a"), True),
        ([(r"^\+0?1234$", "a")], (r"^\+01234$", "a"), True),
        ([(r"^\+[1-9][0-9]{3,23}$", "a")], (r"^\+1\d{10}$", "a"), True),
        ([(r"^\+1\d{10}$", "a")], (r"^\+1\d{10,11}$", "a"), False),
    ],
)
def test_a_route_is_unreachable_exactly_when_earlier_routes_on_each_of_its_trunks_take_all_its_numbers(
    earlier, later, shadowed
):
    def as_route(name, pattern, trunks):
        return Route(name, read(pattern), frozenset(trunks.split(",")))

    routes = [as_route(f"r{i}", *r) for i, r in enumerate(earlier)] + [as_route("later", *later)]
    found = [route.name for _, route, _ in unreachable(routes)]
    assert ("later" in found) is shadowed
