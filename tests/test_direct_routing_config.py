"""Direct Routing in the stack configuration: trunks and voice routes checked before any resource, each
error naming its key, the routes kept in the order written, `exclusive` by tier."""

import pytest

from policies.number_patterns import SIZE_MAX
from policies.resource_types import SIP_ROUTING
from tests.stacks import minimal_config, one, plan_config
from tests.test_config import only_problem, problems, validate

KEY = "acs-platform:instances[0].directRouting"
SBC1 = {"fqdn": "sbc1.contoso.com", "port": 5061}
SBC2 = {"fqdn": "sbc2.contoso.com", "port": 5061}


def route(name="us", pattern=r"^\+1(\d{10})$", trunks=("sbc1.contoso.com",), **more):
    return {"name": name, "numberPattern": pattern, "trunks": list(trunks), **more}


US_ROUTE = route()


def routing(trunks=(SBC1, SBC2), routes=(US_ROUTE,), **more):
    return {"trunks": list(trunks), "routes": list(routes), **more}


def stack(tier="dev", **direct_routing):
    return minimal_config(tier, directRouting=routing(**direct_routing))


def planned(tmp_path, config):
    """The instance's Direct Routing resource as the program plans it."""
    return one(plan_config(tmp_path, config), SIP_ROUTING)


class TestAValidConfiguration:
    def test_routes_keep_the_order_written_which_is_their_priority(self, tmp_path):
        names = ["seattle", "us", "uk", "anything"]
        patterns = [r"^\+1206\d{7}$", r"^\+1\d{10}$", r"^\+44\d{10}$", r"^\+\d+$"]
        routing = planned(tmp_path, stack(routes=[route(n, p) for n, p in zip(names, patterns, strict=True)]))
        assert [r["name"] for r in routing.inputs["routes"]] == names
        assert [r["numberPattern"] for r in routing.inputs["routes"]] == patterns

    def test_the_resource_takes_trunks_and_routes_in_the_providers_shape(self, tmp_path):
        routing = planned(
            tmp_path,
            stack(
                trunks=[{"fqdn": "SBC1.Contoso.com", "port": 5061}, SBC2],
                routes=[route(trunks=["sbc2.contoso.com", "Sbc1.contoso.com"], description="US numbers")],
            ),
        )
        assert routing.inputs["trunks"] == [
            {"fqdn": "sbc1.contoso.com", "port": 5061},
            {"fqdn": "sbc2.contoso.com", "port": 5061},
        ]
        assert routing.inputs["routes"] == [
            {
                "name": "us",
                "description": "US numbers",
                "numberPattern": r"^\+1(\d{10})$",
                # the trunks in the route's own order (ACS tries the first available first), in lower case
                "trunks": ["sbc2.contoso.com", "sbc1.contoso.com"],
            }
        ]

    def test_trunks_without_routes_are_an_inbound_only_configuration(self, tmp_path):
        assert planned(tmp_path, stack(routes=[])).inputs["routes"] == []

    @pytest.mark.parametrize(
        "pattern",
        [r"^\+\d+$", r"^\+1(425|206)(\d{7})$", r"^\+0?1234$", r"^\+[1-9][0-9]{3,23}$", r"^(?<cc>\+44)\d{10}$"],
    )
    def test_microsofts_example_patterns_are_taken(self, pattern):
        assert validate(stack(routes=[route(pattern=pattern)]))

    def test_an_instance_without_direct_routing_has_none(self, tmp_path):
        assert validate(minimal_config()).instances[0].direct_routing is None
        assert not plan_config(tmp_path, minimal_config()).of_type(SIP_ROUTING)


class TestExclusiveByTier:
    @pytest.mark.parametrize(("tier", "expected"), [("dev", False), ("prod", True)])
    def test_unset_takes_the_tiers_default(self, tmp_path, tier, expected):
        assert validate(stack(tier)).instances[0].direct_routing.exclusive is None
        assert planned(tmp_path, stack(tier)).inputs["exclusive"] is expected

    @pytest.mark.parametrize(("tier", "given"), [("dev", True), ("prod", False)])
    def test_a_stack_that_says_so_wins(self, tmp_path, tier, given):
        assert planned(tmp_path, stack(tier, exclusive=given)).inputs["exclusive"] is given

    def test_exclusive_is_a_boolean(self):
        message = only_problem(stack(exclusive="yes"))
        assert message.startswith(f"{KEY}.exclusive: 'yes' is not a boolean; allowed: true or false")


# (what to change, the key the error names, words that say what is allowed)
BAD = [
    ({"trunks": []}, "trunks", "at least 1 item"),
    ({"trunks": [{"fqdn": "sbc1", "port": 5061}]}, "trunks[0].fqdn", "at least two labels"),
    ({"trunks": [{"fqdn": "sbc_1.contoso.com", "port": 5061}]}, "trunks[0].fqdn", "letters, digits and '-'"),
    ({"trunks": [{"fqdn": "-sbc.contoso.com", "port": 5061}]}, "trunks[0].fqdn", "not starting or ending with '-'"),
    ({"trunks": [{"fqdn": "192.0.2.10", "port": 5061}]}, "trunks[0].fqdn", "not an IP address"),
    ({"trunks": [{"fqdn": "a." * 124 + "com", "port": 5061}]}, "trunks[0].fqdn", "at most 249 characters"),
    ({"trunks": [{"fqdn": "sbc.contoso.onmicrosoft.com", "port": 5061}]}, "trunks[0].fqdn", "under onmicrosoft.com"),
    ({"trunks": [{"fqdn": "sbc.azure.com", "port": 5061}]}, "trunks[0].fqdn", "under azure.com"),
    ({"trunks": [{"fqdn": "sbc1.contoso.com", "port": 0}]}, "trunks[0].port", "1 to 65535 (SIP over TLS is 5061)"),
    ({"trunks": [{"fqdn": "sbc1.contoso.com", "port": 65536}]}, "trunks[0].port", "1 to 65535"),
    ({"trunks": [{"fqdn": "sbc1.contoso.com", "port": "5061"}]}, "trunks[0].port", "valid integer"),
    ({"trunks": [{"fqdn": "sbc1.contoso.com"}]}, "trunks[0].port", "is required"),
    ({"trunks": [SBC1, {"fqdn": "SBC1.contoso.com", "port": 5062}]}, "trunks", "the trunk 'sbc1.contoso.com' more"),
    ({"trunks": [{**SBC1, "transport": "tls"}]}, "trunks[0].transport", "unknown key"),
    ({"routes": [route(), route()]}, "routes", "has the route 'us' more than once"),
    ({"routes": [route(), route(name="US")]}, "routes", "has the route 'US' more than once"),
    ({"routes": [route(name="")]}, "routes[0].name", "is empty"),
    ({"routes": [route(name="r" * 257)]}, "routes[0].name", "at most 256"),
    ({"routes": [route(description="d" * 1025)]}, "routes[0].description", "at most 1024"),
    ({"routes": [route(trunks=[])]}, "routes[0].trunks", "at least 1 item"),
    ({"routes": [route(trunks=[SBC1["fqdn"]] * 2)]}, "routes[0].trunks", "the trunk 'sbc1.contoso.com' more"),
    ({"routes": [{"name": "us", "trunks": ["sbc1.contoso.com"]}]}, "routes[0].numberPattern", "is required"),
    ({"routes": [route(pattern=r"^\+1(\d{10}$")]}, "routes[0].numberPattern", "is not a valid regular expression"),
    ({"routes": [route(pattern=r"^\+1\d{10}$ ")]}, "routes[0].numberPattern", "can match text other than digits"),
    ({"routes": [route(pattern=r"^\+1.\d+$")]}, "routes[0].numberPattern", "can match text other than digits"),
    ({"routes": [route(pattern=r"^1\+\d+$")]}, "routes[0].numberPattern", "a '+' after a digit"),
    ({"routes": [route(pattern=r"^[a-z]+$")]}, "routes[0].numberPattern", "can match text other than digits"),
    ({"routes": [route(pattern="")]}, "routes[0].numberPattern", "matches no phone number"),
    ({"routes": [route(pattern=r"^\+$")]}, "routes[0].numberPattern", "matches no phone number"),
    ({"routes": [route(pattern=r"^(?=\+1)\+\d+$")]}, "routes[0].numberPattern", "lookarounds"),
    ({"routes": [route(pattern=r"^\+1\d{,10}$")]}, "routes[0].numberPattern", "not a quantifier"),
    ({"routes": [route(pattern=r"^(\+1)\1$")]}, "routes[0].numberPattern", "uses \\1"),
    ({"routes": [route(pattern="(\\d{1,50}){1,50}")]}, "routes[0].numberPattern", f"at most {SIZE_MAX}"),
    ({"routes": [route(pattern="\\d" * 513)]}, "routes[0].numberPattern", "at most 1024"),
    # The anchors are read as two control characters; a pattern that names them is not an anchored one.
    ({"routes": [route(pattern=r"\x02\+1\d+")]}, "routes[0].numberPattern", "a control character"),
    ({"routes": [route(pattern="\x02\\+1\\d+")]}, "routes[0].numberPattern", "a control character"),
    ({"exclusive": None, "mode": "exclusive"}, "mode", "unknown key"),
]


@pytest.mark.parametrize(("change", "key", "words"), BAD, ids=[f"{k}:{w[:30]}" for _, k, w in BAD])
def test_a_bad_entry_is_refused_naming_its_key(change, key, words):
    message = only_problem(stack(**change))
    assert message.startswith(f"{KEY}.{key}: "), message
    assert words in message, message


def test_a_number_pattern_error_says_what_a_pattern_is():
    message = only_problem(stack(routes=[route(pattern=r"^\+1[0-9a-f]{10}$")]))
    assert r"'^\\+1[0-9a-f]{10}$' can match text other than digits" in message
    assert r"such as '^\+1(\d{10})$'" in message


def test_a_route_to_an_undeclared_trunk_names_the_route_the_trunk_and_what_is_declared():
    routes = [route(), route("uk", r"^\+44\d{10}$", ["sbc1.contoso.com", "sbc9.contoso.com"])]
    message = only_problem(stack(routes=routes))
    assert message == (
        f"{KEY}.routes: routes[1] ('uk') uses 'sbc9.contoso.com', which trunks does not declare; "
        "declared: sbc1.contoso.com, sbc2.contoso.com"
    )


def test_every_error_of_direct_routing_is_reported_at_once():
    found = problems(
        stack(
            trunks=[{"fqdn": "sbc1.contoso.com", "port": 70000}, SBC2],
            routes=[route(pattern="abc"), route("uk", r"^\+44\d+$", ["sbc2.contoso.com"], description="")],
        )
    )
    assert sorted(p.split(":", 2)[1] for p in found) == sorted(
        [
            "instances[0].directRouting.trunks[0].port",
            "instances[0].directRouting.routes[0].numberPattern",
            "instances[0].directRouting.routes[1].description",
        ]
    )


def test_the_route_limits_are_the_apis():
    many = [route(f"r{i}", rf"^\+{i}\d+$") for i in range(251)]
    message = only_problem(stack(routes=many))
    assert message == f"{KEY}.routes: has 251 routes; ACS takes at most 250"
