"""Direct Routing: the provider through the real SipRoutingClient against a local fake of the SIP routing API."""

import json
import re
import ssl
import urllib.error
import urllib.request

import pulumi
import pytest
from pulumi.runtime import rpc

from providers.retry import RETRY_TOTAL
from providers.siprouting import (
    SipRouting,
    SipRoutingArgs,
    SipRoutingError,
    SipRoutingProvider,
    SipTrunkArgs,
    VoiceRouteArgs,
)
from providers.siprouting.client import open_client, sip_routing_client
from tests.fake_sip_routing import API_VERSION, EXAMPLES, FakeSipRouting
from tests.rest_spec import SIP_ROUTING_SPEC, RestSpec
from tests.stacks import registered_alone

SBC1, SBC2, SBC3 = "sbc1.contoso.example", "sbc2.contoso.example", "sbc3.contoso.example"
PORTAL = "sbc.portal.example"  # a trunk made outside the stack
US, UK = r"^\+1[0-9]{10}$", r"^\+44[0-9]{10}$"


class NoCredential:
    """For the connection string path: a token asked for would be a bug."""

    def get_token(self, *_scopes, **_kwargs):
        raise AssertionError("the connection string path asked for a token")


@pytest.fixture
def fake(certificate):
    with FakeSipRouting(*certificate) as server:
        yield server


@pytest.fixture
def clients(certificate, credential, clock):
    """The client factory the provider takes: the real SDK client, trusting the fake's certificate, waiting
    (backoff and Retry-After) on the injected clock."""

    def factory(endpoint, connection_string_env):
        return open_client(
            endpoint, connection_string_env, credential, clock=clock, connection_verify=str(certificate[0])
        )

    return factory


provider = SipRoutingProvider()


def trunk(fqdn: str, port: int = 5061) -> dict:
    return {"fqdn": fqdn, "port": port}


def route(name: str, pattern: str, *trunks: str, description: str | None = None) -> dict:
    shown = {"name": name}
    if description is not None:
        shown["description"] = description
    return {**shown, "numberPattern": pattern, "trunks": list(trunks)}


def props(fake, trunks, routes, exclusive=True, **overrides) -> dict:
    return {
        "endpoint": fake.url,
        "connectionStringEnv": None,
        "exclusive": exclusive,
        "trunks": trunks,
        "routes": routes,
        **overrides,
    }


def state(inputs: dict, undeclared=None) -> dict:
    """What the provider keeps: the inputs, and what a refresh found undeclared."""
    return {**inputs, "undeclared": undeclared}


# The two-trunk, two-route configuration most tests start from.
TRUNKS = [trunk(SBC1), trunk(SBC2, 5062)]
ROUTES = [route("us", US, SBC1, SBC2, description="US numbers"), route("uk", UK, SBC2)]


def created(fake, clients, trunks=TRUNKS, routes=ROUTES, exclusive=True) -> dict:
    outs = provider.create_with(props(fake, trunks, routes, exclusive), clients).outs
    fake.requests.clear()
    fake.calls.clear()
    return outs


# Create


def test_create_sets_the_declared_trunks_and_routes_in_order_with_one_get_and_one_patch(fake, clients, credential):
    result = provider.create_with(props(fake, TRUNKS, ROUTES), clients)

    assert fake.trunks == {SBC1: 5061, SBC2: 5062}
    assert fake.routes == ROUTES
    assert (fake.calls["GET"], fake.calls["PATCH"]) == (1, 1)
    assert fake.patches == [
        {
            "trunks": {SBC1: {"sipSignalingPort": 5061}, SBC2: {"sipSignalingPort": 5062}},
            "routes": [
                {"name": "us", "description": "US numbers", "numberPattern": US, "trunks": [SBC1, SBC2]},
                {"name": "uk", "numberPattern": UK, "trunks": [SBC2]},
            ],
        }
    ]
    assert result.outs == state(props(fake, TRUNKS, ROUTES))
    assert result.id == fake.host
    assert credential.scopes == ["https://communication.azure.com//.default"]
    assert fake.auth.keys() == {"Bearer"}


def test_a_create_that_finds_everything_in_place_sends_no_patch(fake, clients):
    fake.configure({SBC1: 5061, SBC2: 5062}, ROUTES)

    outs = provider.create_with(props(fake, TRUNKS, ROUTES), clients).outs

    assert (fake.calls["GET"], fake.calls["PATCH"]) == (1, 0)
    assert outs == state(props(fake, TRUNKS, ROUTES))


# Update


def test_reordering_routes_sends_the_new_order_and_nothing_else(fake, clients):
    olds = created(fake, clients)
    news = props(fake, TRUNKS, ROUTES[::-1])

    outs = provider.update_with(olds, news, clients).outs

    assert fake.routes == ROUTES[::-1]  # the first route is the first to match a call
    assert fake.patches == [{"routes": ROUTES[::-1]}]
    assert (fake.calls["GET"], fake.calls["PATCH"]) == (1, 1)
    assert outs == state(news)


def test_removing_a_route_then_its_trunk_takes_one_patch_each(fake, clients):
    olds = created(fake, clients)

    without_uk = props(fake, TRUNKS, ROUTES[:1])
    mid = provider.update_with(olds, without_uk, clients).outs
    assert fake.routes == ROUTES[:1] and fake.trunks == {SBC1: 5061, SBC2: 5062}
    assert fake.patches == [{"routes": [ROUTES[0]]}]

    without_sbc2 = props(fake, TRUNKS[:1], [route("us", US, SBC1, description="US numbers")])
    provider.update_with(mid, without_sbc2, clients)
    assert fake.trunks == {SBC1: 5061}
    assert fake.patches[1] == {"trunks": {SBC2: None}, "routes": [route("us", US, SBC1, description="US numbers")]}


def test_removing_routes_and_their_trunk_at_once_is_one_patch_that_never_leaves_a_route_without_its_trunk(
    fake, clients
):
    olds = created(fake, clients)
    news = props(fake, TRUNKS[:1], [route("us", US, SBC1)])

    outs = provider.update_with(olds, news, clients).outs

    # The routes that used sbc2 go in the same request as sbc2 itself (the fake checks the references).
    assert fake.patches == [{"trunks": {SBC2: None}, "routes": [route("us", US, SBC1)]}]
    assert fake.trunks == {SBC1: 5061}
    assert fake.routes == [route("us", US, SBC1)]
    assert outs == state(news)


def test_where_the_service_checks_removals_against_the_current_routes_the_routes_change_first(fake, clients):
    olds = created(fake, clients)
    fake.removals_checked_against_current_routes = True
    news = props(fake, [trunk(SBC1), trunk(SBC3)], [route("us", US, SBC3, SBC1)])

    outs = provider.update_with(olds, news, clients).outs

    refused, routes_first, removals = fake.patches
    assert refused == {
        "trunks": {SBC3: {"sipSignalingPort": 5061}, SBC2: None},
        "routes": [route("us", US, SBC3, SBC1)],
    }
    # The new trunk with the new routes, then the trunk no route names any more.
    assert routes_first == {"trunks": {SBC3: {"sipSignalingPort": 5061}}, "routes": [route("us", US, SBC3, SBC1)]}
    assert removals == {"trunks": {SBC2: None}}
    assert fake.trunks == {SBC1: 5061, SBC3: 5061}
    assert outs == state(news)


def test_a_change_of_port_or_description_is_patched_in_place(fake, clients):
    olds = created(fake, clients)
    news = props(fake, [trunk(SBC1, 5063), TRUNKS[1]], [route("us", US, SBC1, SBC2), ROUTES[1]])

    provider.update_with(olds, news, clients)

    assert fake.trunks[SBC1] == 5063
    assert fake.routes[0] == route("us", US, SBC1, SBC2)  # the description is gone
    assert fake.patches == [
        {"trunks": {SBC1: {"sipSignalingPort": 5063}}, "routes": [route("us", US, SBC1, SBC2), ROUTES[1]]}
    ]


def test_an_update_of_the_variable_name_alone_makes_no_call(fake, clients):
    olds = created(fake, clients)
    news = props(fake, TRUNKS, ROUTES, connectionStringEnv="ACS_CONNECTION_STRING")

    outs = provider.update_with(olds, news, clients).outs

    assert sum(fake.calls.values()) == 0
    assert outs == state(news)


# Read (refresh)


def test_a_route_edited_in_the_portal_shows_as_drift_and_the_next_update_puts_it_back(fake, clients):
    olds = created(fake, clients)
    fake.configure(routes=[ROUTES[1], route("us", r"^\+1[0-9]+$", SBC1, description="edited")])

    refreshed = provider.read_with(fake.host, olds, clients)

    assert refreshed.id == fake.host
    assert refreshed.outs["routes"] == [ROUTES[1], route("us", r"^\+1[0-9]+$", SBC1, description="edited")]
    assert (fake.calls["GET"], fake.calls["PATCH"]) == (1, 0)  # a refresh changes nothing
    inputs = props(fake, TRUNKS, ROUTES)
    assert provider.diff(fake.host, refreshed.outs, inputs).changes
    provider.update_with(refreshed.outs, inputs, clients)
    assert fake.routes == ROUTES


def test_a_trunk_removed_in_the_portal_is_missing_from_the_refreshed_state(fake, clients):
    olds = created(fake, clients, exclusive=False)
    fake.configure(trunks={SBC2: 5062, SBC3: 5061}, routes=[])

    outs = provider.read_with(fake.host, olds, clients).outs

    assert outs["trunks"] == [trunk(SBC2, 5062)]  # not sbc3: this stack is not exclusive
    assert outs["routes"] == []
    assert outs["undeclared"] is None


@pytest.mark.parametrize("how", ["emptied", "acs resource gone"])
def test_a_configuration_gone_entirely_is_reported_gone(fake, clients, how):
    olds = created(fake, clients)
    if how == "emptied":
        fake.configure(trunks={PORTAL: 5061}, routes=[])  # only what is not the stack's is left
    else:
        fake.fail_next("GET", 404)

    refreshed = provider.read_with(fake.host, olds, clients)

    assert refreshed.id == ""  # the engine drops it from the state; `pulumi up` creates it again
    assert fake.calls["PATCH"] == 0


# Exclusive and not


def test_exclusive_removes_what_the_stack_does_not_declare_in_the_same_patch(fake, clients):
    fake.configure({PORTAL: 5061}, [route("portal", r"^\+33[0-9]+$", PORTAL)])

    provider.create_with(props(fake, TRUNKS, ROUTES, exclusive=True), clients)

    assert fake.trunks == {SBC1: 5061, SBC2: 5062}
    assert fake.routes == ROUTES
    assert fake.calls["PATCH"] == 1
    assert fake.patches[0]["trunks"][PORTAL] is None


def test_exclusive_refresh_shows_undeclared_entries_so_the_next_plan_removes_them(fake, clients):
    olds = created(fake, clients)
    fake.configure({SBC1: 5061, SBC2: 5062, PORTAL: 5061}, [route("portal", r"^\+33[0-9]+$", PORTAL), *ROUTES])

    refreshed = provider.read_with(fake.host, olds, clients).outs

    assert refreshed["trunks"] == [*TRUNKS, trunk(PORTAL)]
    assert refreshed["routes"] == [route("portal", r"^\+33[0-9]+$", PORTAL), *ROUTES]
    assert refreshed["undeclared"] == {"trunks": [PORTAL], "routes": ["portal"]}
    inputs = props(fake, TRUNKS, ROUTES)
    assert provider.diff(fake.host, refreshed, inputs).changes

    outs = provider.update_with(refreshed, inputs, clients).outs

    assert fake.trunks == {SBC1: 5061, SBC2: 5062} and fake.routes == ROUTES
    assert outs == state(inputs)


def test_turning_exclusive_off_after_a_refresh_keeps_what_the_refresh_found_undeclared(fake, clients):
    olds = created(fake, clients)
    fake.configure({SBC1: 5061, SBC2: 5062, PORTAL: 5061}, [*ROUTES, route("portal", r"^\+33[0-9]+$", PORTAL)])
    refreshed = provider.read_with(fake.host, olds, clients).outs

    provider.update_with(refreshed, props(fake, TRUNKS, ROUTES, exclusive=False), clients)

    assert PORTAL in fake.trunks  # found by the refresh, but never the stack's
    assert [r["name"] for r in fake.routes] == ["us", "uk", "portal"]


def test_not_exclusive_keeps_other_entries_with_their_routes_after_the_declared_ones(fake, clients):
    portal_routes = [route("portal-b", r"^\+33[0-9]+$", PORTAL), route("portal-a", r"^\+49[0-9]+$", PORTAL)]
    fake.configure({PORTAL: 5061}, portal_routes)

    outs = provider.create_with(props(fake, TRUNKS, ROUTES, exclusive=False), clients).outs

    assert fake.trunks == {PORTAL: 5061, SBC1: 5061, SBC2: 5062}
    assert fake.routes == [*ROUTES, *portal_routes]  # declared first, the others in their existing order
    assert outs["trunks"] == TRUNKS and outs["routes"] == ROUTES  # the state holds only the stack's


def test_not_exclusive_removes_what_the_stack_declared_before_and_no_longer_does(fake, clients):
    fake.configure({PORTAL: 5061}, [route("portal", r"^\+33[0-9]+$", PORTAL)])
    olds = created(fake, clients, exclusive=False)
    news = props(fake, TRUNKS[:1], [route("us", US, SBC1)], exclusive=False)

    provider.update_with(olds, news, clients)

    assert fake.trunks == {PORTAL: 5061, SBC1: 5061}
    assert fake.routes == [route("us", US, SBC1), route("portal", r"^\+33[0-9]+$", PORTAL)]
    assert fake.calls["PATCH"] == 1


def test_a_trunk_that_a_kept_route_still_uses_is_not_removed_and_nothing_is_sent(fake, clients):
    olds = created(fake, clients, exclusive=False)
    fake.configure(routes=[*ROUTES, route("portal", r"^\+33[0-9]+$", SBC2)])

    with pytest.raises(SipRoutingError) as raised:
        provider.update_with(olds, props(fake, TRUNKS[:1], [route("us", US, SBC1)], exclusive=False), clients)

    assert str(raised.value) == (
        f"updating the Direct Routing of {fake.host}: nothing was applied: route portal would name trunk "
        f"{SBC2}, which this change removes. A route that this stack does not declare is kept; change or "
        "remove it (or keep declaring the trunk) first"
    )
    assert fake.calls["PATCH"] == 0
    assert SBC2 in fake.trunks


# Delete


def test_delete_removes_the_stacks_routes_and_trunks_and_nothing_else_in_one_patch(fake, clients):
    fake.configure({PORTAL: 5061}, [route("portal", r"^\+33[0-9]+$", PORTAL)])
    olds = created(fake, clients, exclusive=False)

    provider.delete_with(olds, clients)

    assert fake.trunks == {PORTAL: 5061}
    assert fake.routes == [route("portal", r"^\+33[0-9]+$", PORTAL)]
    assert fake.patches == [{"trunks": {SBC1: None, SBC2: None}, "routes": [route("portal", r"^\+33[0-9]+$", PORTAL)]}]


def test_delete_where_the_service_checks_removals_against_the_current_routes_removes_the_routes_first(fake, clients):
    olds = created(fake, clients)
    fake.removals_checked_against_current_routes = True

    provider.delete_with(olds, clients)

    assert fake.patches[1:] == [{"routes": []}, {"trunks": {SBC1: None, SBC2: None}}]
    assert fake.trunks == {} and fake.routes == []


def test_delete_of_a_state_whose_entries_are_gone_only_reads(fake, clients):
    olds = created(fake, clients)
    fake.configure({}, [])

    provider.delete_with(olds, clients)

    assert (fake.calls["GET"], fake.calls["PATCH"]) == (1, 0)


# Throttling, server errors, lost answers


def test_a_429_with_retry_after_is_retried_after_the_time_it_asks(fake, clients, clock):
    fake.fail_next("PATCH", 429, retry_after=7)

    provider.create_with(props(fake, TRUNKS, ROUTES), clients)

    assert 7 in clock.slept  # without Retry-After the first retry would come at once
    assert fake.calls["PATCH"] == 2
    assert fake.routes == ROUTES


@pytest.mark.parametrize(("method", "status"), [("GET", 502), ("GET", 500), ("PATCH", 503), ("PATCH", 502)])
def test_a_server_error_then_success_is_retried(fake, clients, method, status):
    fake.fail_next(method, status)

    provider.create_with(props(fake, TRUNKS, ROUTES), clients)

    assert fake.calls[method] == 2
    assert fake.routes == ROUTES


def test_retries_are_bounded_and_the_error_says_nothing_was_applied(fake, clients):
    fake.fail_next("PATCH", 503, times=RETRY_TOTAL + 1)

    with pytest.raises(SipRoutingError) as raised:
        provider.create_with(props(fake, TRUNKS, ROUTES), clients)

    assert fake.calls["PATCH"] == RETRY_TOTAL + 1
    assert fake.calls["GET"] == 2  # the read before, and the read back after the failure
    assert str(raised.value).startswith(
        f"creating the Direct Routing of {fake.host} failed: HTTP 503 Service Unavailable: InternalError: "
        f"A failure the test asked for. Read back after the failure: trunks set ({SBC1}:5061, {SBC2}:5062) not "
        "applied; routes (us, uk, in this order) not applied."
    )


def test_a_patch_whose_answer_is_lost_is_repeated_and_sets_the_same(fake, clients):
    fake.lose_answer_of_next("PATCH", 503)

    outs = provider.create_with(props(fake, TRUNKS, ROUTES), clients).outs

    assert fake.calls["PATCH"] == 2
    assert fake.patches[0] == fake.patches[1]
    assert fake.routes == ROUTES and outs["routes"] == ROUTES


def test_an_outcome_only_read_back_after_the_retries_ran_out_is_a_success_once_seen(fake, clients):
    fake.lose_answer_of_next("PATCH", 503)  # carried out, its answer lost
    fake.fail_next("PATCH", 503, times=RETRY_TOTAL)  # and every repeat refused

    outs = provider.create_with(props(fake, TRUNKS, ROUTES), clients).outs

    assert fake.calls["GET"] == 2  # read back: everything asked for is there
    assert outs == state(props(fake, TRUNKS, ROUTES))


def test_a_failure_half_way_says_what_was_applied_and_what_was_not(fake, clients):
    olds = created(fake, clients)
    fake.removals_checked_against_current_routes = True
    fake.fail_patch(3, 500, times=RETRY_TOTAL + 1)  # the removals, after the routes went through
    news = props(fake, TRUNKS[:1], [route("us", US, SBC1)])

    with pytest.raises(SipRoutingError) as raised:
        provider.update_with(olds, news, clients)

    assert (
        f"Read back after the failure: trunks removed ({SBC2}) not applied; routes (us, in this order) applied."
        in str(raised.value)
    )
    assert fake.routes == [route("us", US, SBC1)] and SBC2 in fake.trunks


def test_a_refused_patch_is_reported_with_the_services_reason_and_not_retried(fake, clients):
    fake.fail_next("PATCH", 422)  # as the service refuses a number pattern it cannot parse

    with pytest.raises(SipRoutingError) as raised:
        provider.create_with(props(fake, TRUNKS, ROUTES), clients)

    assert "failed: HTTP 422 Unprocessable Entity: UnprocessableEntity: A failure the test asked for" in str(
        raised.value
    )
    assert "routes (us, uk, in this order) not applied" in str(raised.value)
    assert fake.calls["PATCH"] == 1


# Authentication


def test_the_connection_string_path_signs_with_the_access_key_and_keeps_it_out_of_the_state(
    fake, certificate, clock, monkeypatch
):
    monkeypatch.setenv("ACS_CONNECTION_STRING", fake.connection_string())

    def factory(endpoint, connection_string_env):
        return open_client(
            endpoint, connection_string_env, NoCredential(), clock=clock, connection_verify=str(certificate[0])
        )

    inputs = props(fake, TRUNKS, ROUTES, connectionStringEnv="ACS_CONNECTION_STRING")
    outs = provider.create_with(inputs, factory).outs

    assert fake.auth.keys() == {"HMAC-SHA256"}  # and the fake checked each signature against the key
    assert outs["connectionStringEnv"] == "ACS_CONNECTION_STRING"
    assert fake.access_key not in json.dumps(outs)


def test_a_connection_string_of_another_resource_is_refused_before_any_call(fake, monkeypatch):
    monkeypatch.setenv("ACS_CONNECTION_STRING", f"endpoint=https://other.communication.azure.com/;accesskey={'a' * 44}")

    with pytest.raises(SipRoutingError, match="is for other.communication.azure.com, not for the Direct Routing's"):
        sip_routing_client(fake.url, "ACS_CONNECTION_STRING", NoCredential())
    assert sum(fake.calls.values()) == 0


# Check and diff: no calls


def test_check_and_diff_make_no_call(fake):
    inputs = props(fake, TRUNKS, ROUTES)

    assert provider.check({}, inputs).failures == []
    assert not provider.diff(fake.host, state(inputs), inputs).changes
    assert provider.diff(fake.host, state(inputs), {**inputs, "routes": ROUTES[::-1]}).changes
    moved = provider.diff(fake.host, state(inputs), {**inputs, "endpoint": "https://other.communication.azure.com"})
    assert moved.replaces == ["endpoint"]
    assert sum(fake.calls.values()) == 0


def test_a_diff_against_a_refreshed_state_with_ports_as_floats_sees_no_change(fake):
    inputs = props(fake, TRUNKS, ROUTES)
    refreshed = state({**inputs, "trunks": [trunk(SBC1, 5061.0), trunk(SBC2, 5062.0)]})

    assert not provider.diff(fake.host, refreshed, inputs).changes


def test_a_preview_with_values_known_later_shows_a_change():
    inputs = {
        "endpoint": rpc.UNKNOWN,
        "connectionStringEnv": None,
        "exclusive": True,
        "trunks": TRUNKS,
        "routes": ROUTES,
    }
    olds = state({**inputs, "endpoint": "https://acs.communication.azure.com"})

    assert provider.check({}, inputs).failures == []
    diff = provider.diff("acs", olds, inputs)
    assert diff.changes and diff.replaces == []  # `pulumi up` decides, with the endpoint known


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"endpoint": "http://acs.communication.azure.com"}, "endpoint must be the ACS endpoint, https://<host>"),
        ({"exclusive": "yes"}, "exclusive must be True or False"),
        ({"trunks": [trunk(SBC1, 0), TRUNKS[1]]}, r"trunks\[0\].port must be a port number"),
        ({"trunks": [*TRUNKS, trunk(SBC1.upper())]}, f"trunks: {SBC1.upper()} is declared twice"),
        ({"trunks": [trunk("sbc one.example"), *TRUNKS]}, r"trunks\[0\].fqdn must be the SBC's FQDN"),
        ({"routes": [*ROUTES, ROUTES[0]]}, "routes: us is declared twice"),
        ({"routes": [route("x", US, SBC3)]}, rf"routes\[0\] uses trunks that are not declared: {SBC3}"),
        ({"routes": [route("x", US, SBC1, SBC1)]}, r"routes\[0\].trunks names a trunk twice"),
        ({"routes": [route("", US, SBC1)]}, r"routes\[0\].name must be a name"),
        ({"routes": [route("x", "", SBC1)]}, r"routes\[0\].number_pattern must be a pattern"),
        ({"connectionStringEnv": "ACS-CS"}, "connection_string_env must name an environment variable"),
    ],
)
def test_obviously_wrong_inputs_are_refused_by_check_without_a_call(fake, change, message):
    inputs = {**props(fake, TRUNKS, ROUTES), **change}

    [failure] = provider.check({}, inputs).failures

    assert sum(fake.calls.values()) == 0
    assert re.search(message, failure.reason)
    with pytest.raises(ValueError, match=message):
        provider.create_with(inputs, lambda *_: pytest.fail("no client for wrong inputs"))


# The resource, as a program declares it


def test_a_preview_of_a_program_declaring_sip_routing_calls_nothing_and_registers_camel_case_inputs(fake):
    def program():
        SipRouting(
            "direct-routing",
            SipRoutingArgs(
                endpoint=fake.url + "/",
                trunks=[SipTrunkArgs(SBC1, 5061), SipTrunkArgs(SBC2, 5062)],
                routes=[
                    VoiceRouteArgs("us", US, [SBC1, SBC2], description="US numbers"),
                    VoiceRouteArgs("uk", UK, [SBC2]),
                ],
                exclusive=True,
                connection_string_env="ACS_CONNECTION_STRING",
            ),
        )

    urn, request, inputs = registered_alone(program)

    assert sum(fake.calls.values()) == 0
    assert request.type == "pulumi-python:dynamic/siprouting:SipRouting"
    assert urn.endswith("::direct-routing")
    assert inputs == {
        "endpoint": fake.url,
        "connectionStringEnv": "ACS_CONNECTION_STRING",
        "exclusive": True,
        "trunks": TRUNKS,
        "routes": ROUTES,
    }


def test_args_with_a_route_on_an_undeclared_trunk_are_refused():
    with pytest.raises(ValueError, match=f"uses trunks that are not declared: {SBC3}"):
        SipRoutingArgs(
            "https://acs.communication.azure.com", [SipTrunkArgs(SBC1, 5061)], [VoiceRouteArgs("x", US, [SBC3])], True
        )


def test_an_endpoint_known_later_is_accepted():
    endpoint = pulumi.Output.from_input("https://acs.communication.azure.com")
    assert SipRoutingArgs(endpoint, [], [], exclusive=False).endpoint is endpoint


# The fake itself: the spec's examples, and merge-patch removals


def _send(fake, certificate, method: str, target: str, body: bytes | None = None, content_type=None) -> tuple:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    headers = {"Authorization": "Bearer fake-token"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(fake.url + target, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, context=context) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_fake_answers_the_specs_examples_as_they_are_written(fake, certificate):
    spec = RestSpec.load(SIP_ROUTING_SPEC)
    assert spec.missing_files == []
    examples = {example.operation_id: example for example in spec.examples()}
    assert examples.keys() == {"SipRouting_Get", "SipRouting_Update"}

    update = examples["SipRouting_Update"]
    status, body = _send(fake, certificate, "PATCH", update.target, update.body, "application/merge-patch+json")
    assert (status, body) == (200, update.responses[200].body)

    get = examples["SipRouting_Get"]
    fake.configure({"vendor.xyz.biz": 5061, "vendor.abc.biz": 5061}, get.responses[200].body["routes"])
    status, body = _send(fake, certificate, "GET", get.target)
    assert status == 200
    assert body["trunks"] == get.responses[200].body["trunks"]
    # The example leaves out a route's empty trunk list; the fake writes it as [] (as recordings show).
    assert [{**r, "trunks": r.get("trunks", [])} for r in get.responses[200].body["routes"]] == body["routes"]


def test_the_fakes_errors_are_the_examples(fake, certificate):
    example = json.loads((EXAMPLES / "PatchSipConfiguration.json").read_text(encoding="utf-8"))["responses"]
    target = f"/sip?api-version={API_VERSION}"

    status, body = _send(fake, certificate, "PATCH", target, b'{"routes": []}', "application/json")
    assert (status, body) == (415, example["415"]["body"])

    status, body = _send(fake, certificate, "PATCH", target, b'{"trunks": {}}', "application/merge-patch+json")
    assert status == 422
    assert body["error"]["code"] == example["422"]["body"]["error"]["code"]
    assert body["error"]["innererror"]["code"] == "EmptyPatch"


def test_a_merge_patch_null_is_a_removal_to_the_spec_check_but_a_null_in_a_route_is_not():
    spec = RestSpec.load(SIP_ROUTING_SPEC)
    target = f"/sip?api-version={API_VERSION}"
    headers = {"Content-Type": "application/merge-patch+json"}

    assert spec.request_problems("PATCH", target, headers, b'{"trunks": {"a.example": null}}') == []
    [problem] = spec.request_problems("PATCH", target, headers, b'{"routes": [{"name": null, "numberPattern": "1"}]}')
    assert "None is not of type 'string'" in problem
