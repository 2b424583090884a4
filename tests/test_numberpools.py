"""Phone number pools: the provider through the real PhoneNumbersClient against a local fake of the API."""

import ssl
import time
import urllib.error
import urllib.request

import pulumi
import pytest
from google.protobuf import json_format
from pulumi.runtime import rpc

from bounded_retry import RETRY_TOTAL
from numberpools import PhoneNumberPool, PhoneNumberPoolArgs, PhoneNumberPoolError, PhoneNumberPoolProvider
from numberpools.client import open_client, phone_numbers_client
from preflight.runner import record_preview
from tests.fake_phone_numbers import API_VERSION, FakePhoneNumbers, new_access_key

POLL = 0.01  # seconds between polls of a long-running operation: the fake answers at once


class NoCredential:
    """For the connection string path: a token asked for would be a bug."""

    def get_token(self, *_scopes, **_kwargs):
        raise AssertionError("the connection string path asked for a token")


@pytest.fixture
def fake(certificate):
    with FakePhoneNumbers(*certificate) as server:
        yield server


@pytest.fixture
def clients(certificate, credential):
    """The client factory the provider takes: the real SDK client, trusting the fake's certificate, with the
    backoff shortened so that the tests stay fast (Retry-After is honoured as sent)."""

    def factory(endpoint, connection_string_env):
        return open_client(
            endpoint,
            connection_string_env,
            credential,
            retry_backoff_factor=0.01,
            connection_verify=str(certificate[0]),
        )

    return factory


def props(fake: FakePhoneNumbers, **overrides) -> dict:
    return {
        "endpoint": fake.url,
        "countryCode": "US",
        "numberType": "tollFree",
        "assignmentType": "application",
        "sms": "inbound+outbound",
        "calling": "none",
        "quantity": 2,
        "areaCode": "800",
        "locality": None,
        "agreeToNotResell": False,
        "allowReplacement": False,
        "connectionStringEnv": None,
        **overrides,
    }


def create(fake, clients, **overrides) -> dict:
    return PhoneNumberPoolProvider().create_with(props(fake, **overrides), clients, polling_interval=POLL).outs


def update(olds, news, clients) -> dict:
    return PhoneNumberPoolProvider().update_with(olds, news, clients, polling_interval=POLL).outs


# Create


@pytest.mark.parametrize("quantity", [1, 5])
def test_create_buys_the_whole_quantity_with_one_search_and_one_purchase(fake, clients, credential, quantity):
    fake.add_numbers("US", "tollFree", 8, "800")

    result = PhoneNumberPoolProvider().create_with(props(fake, quantity=quantity), clients, polling_interval=POLL)

    bought = list(fake.purchased)
    assert len(bought) == quantity
    assert result.outs == {**props(fake, quantity=quantity), "phoneNumbers": bought}
    assert (fake.calls["search"], fake.calls["purchase"]) == (1, 1)
    assert fake.calls["release"] == fake.calls["list"] == fake.calls["capabilities"] == 0
    [search] = fake.searches
    assert search == {
        "country": "US",
        "phoneNumberType": "tollFree",
        "assignmentType": "application",
        "capabilities": {"calling": "none", "sms": "inbound+outbound"},
        "areaCode": "800",
        "quantity": quantity,
    }
    assert all(p.capabilities == {"calling": "none", "sms": "inbound+outbound"} for p in fake.purchased.values())
    assert result.id  # the search id
    assert credential.scopes == ["https://communication.azure.com//.default"]
    assert fake.auth.keys() == {"Bearer"}


def test_fewer_numbers_found_than_asked_buys_nothing_and_says_so(fake, clients):
    fake.add_numbers("US", "tollFree", 2, "800")

    with pytest.raises(PhoneNumberPoolError) as raised:
        create(fake, clients, quantity=5)

    assert str(raised.value).startswith(
        f"searching 5 numbers for the phone number pool (US, tollFree, area code 800) at {fake.url} "
        "found 2 of the 5 asked for; nothing was bought"
    )
    assert fake.calls["purchase"] == 0
    assert fake.purchased == {}


def test_numbers_that_need_the_agreement_not_to_resell_are_not_bought_without_it(fake, clients):
    fake.add_numbers("FR", "geographic", 1, "1")
    fake.agreement_required.add("FR")
    pool = {"countryCode": "FR", "numberType": "geographic", "areaCode": "1", "quantity": 1}

    with pytest.raises(PhoneNumberPoolError, match="set agree_to_not_resell=True"):
        create(fake, clients, **pool)
    assert fake.calls["purchase"] == 0

    fake.add_numbers("FR", "geographic", 1, "1")
    assert len(create(fake, clients, **pool, agreeToNotResell=True)["phoneNumbers"]) == 1


def test_a_429_with_retry_after_is_retried_after_the_time_it_asks(fake, clients):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.fail_next("purchase", 429, retry_after=0.5)
    started = time.monotonic()

    outs = create(fake, clients)

    # Without Retry-After the first retry would come at once: the wait is the header's.
    assert time.monotonic() - started >= 0.45
    assert fake.calls["purchase"] == 2
    assert outs["phoneNumbers"] == list(fake.purchased)


@pytest.mark.parametrize(
    ("kind", "status", "calls"),
    [("search", 502, 2), ("purchase", 503, 2), ("operation", 500, 5), ("list", 504, 2), ("release", 502, 3)],
)
def test_a_server_error_then_success_is_retried(fake, clients, kind, status, calls):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.fail_next(kind, status)  # the first call of that kind, whichever step makes it
    provider = PhoneNumberPoolProvider()

    state = provider.create_with(props(fake), clients, polling_interval=POLL).outs
    assert state["phoneNumbers"] == list(fake.purchased)
    if kind == "list":
        assert provider.read_with("pool", state, clients).outs == state
    if kind == "release":
        provider.delete_with(state, clients, polling_interval=POLL)
        assert fake.purchased == {}

    # Two polls per operation (running, then done) for the search and the purchase, plus the retry.
    assert fake.calls[kind] == calls


def test_a_purchase_whose_answer_was_lost_keeps_the_numbers_it_bought(fake, clients):
    fake.add_numbers("US", "tollFree", 2, "800")
    # The purchase goes through; its answer is a 503; the retry is told the search is bought already.
    fake.lose_answer_of_next("purchase", 503)

    outs = create(fake, clients)

    assert fake.calls["purchase"] == 2
    assert outs["phoneNumbers"] == list(fake.purchased)
    assert len(outs["phoneNumbers"]) == 2
    assert fake.released == []


def test_when_retries_run_out_the_error_names_the_pool_and_the_step(fake, clients):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.fail_next("search", 503, times=10)

    with pytest.raises(PhoneNumberPoolError) as raised:
        create(fake, clients)

    assert fake.calls["search"] == RETRY_TOTAL + 1
    assert str(raised.value) == (
        f"searching 2 numbers for the phone number pool (US, tollFree, area code 800) at {fake.url} failed: "
        "HTTP 503 Service Unavailable: Scripted: A failure the test asked for; nothing was bought"
    )


def test_an_operation_that_never_ends_is_given_up_at_its_deadline(fake, clients):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.running_polls = 10_000

    with pytest.raises(PhoneNumberPoolError, match="search.*still running after 0.2 s; nothing was bought"):
        PhoneNumberPoolProvider().create_with(props(fake), clients, polling_interval=0.05, operation_timeout=0.2)
    assert fake.calls["purchase"] == 0


def test_a_purchase_failing_part_way_releases_what_it_bought_and_lists_it(fake, clients):
    searched = fake.add_numbers("US", "tollFree", 5, "800")
    fake.fail_purchase_after(2)

    with pytest.raises(PhoneNumberPoolError) as raised:
        create(fake, clients, quantity=5)

    message = str(raised.value)
    assert message.startswith(f"purchasing {', '.join(searched)} for the phone number pool (US, tollFree")
    assert "failed: the operation ended failed (PurchaseFailed: The purchase failed part way)" in message
    assert message.endswith(f"It bought 2 of them before failing: {searched[0]} released; {searched[1]} released")
    assert fake.released == searched[:2]
    assert fake.purchased == {}
    assert (fake.calls["search"], fake.calls["purchase"], fake.calls["list"]) == (1, 1, 1)


def test_a_bought_number_whose_release_failed_is_named_as_still_held(fake, clients):
    searched = fake.add_numbers("US", "tollFree", 3, "800")
    fake.fail_purchase_after(2)
    fake.fail_release_of(searched[1])

    with pytest.raises(PhoneNumberPoolError) as raised:
        create(fake, clients, quantity=3)

    assert str(raised.value).endswith(
        f"It bought 2 of them before failing: {searched[0]} released; {searched[1]} STILL HELD "
        "(release failed: the operation ended failed (ReleaseFailed: The release failed))"
    )
    assert list(fake.purchased) == [searched[1]]


# Update


def test_growing_buys_the_difference_with_one_search_and_one_purchase(fake, clients):
    fake.add_numbers("US", "tollFree", 6, "800")
    state = create(fake, clients, quantity=2)

    outs = update(state, props(fake, quantity=5), clients)

    assert [s["quantity"] for s in fake.searches] == [2, 3]
    assert (fake.calls["search"], fake.calls["purchase"], fake.calls["release"]) == (2, 2, 0)
    assert outs["phoneNumbers"][:2] == state["phoneNumbers"]
    assert outs["phoneNumbers"] == list(fake.purchased)
    assert outs["quantity"] == 5


def test_shrinking_releases_the_surplus_newest_first(fake, clients):
    fake.add_numbers("US", "tollFree", 5, "800")
    state = create(fake, clients, quantity=5)
    bought = state["phoneNumbers"]

    outs = update({**state, "quantity": 5.0}, props(fake, quantity=2), clients)  # the state's numbers are floats

    assert fake.released == [bought[4], bought[3], bought[2]]
    assert outs["phoneNumbers"] == bought[:2] == list(fake.purchased)
    assert (fake.calls["search"], fake.calls["purchase"]) == (1, 1)


def test_a_capability_change_updates_each_number_in_place(fake, clients):
    fake.add_numbers("US", "tollFree", 3, "800")
    state = create(fake, clients, quantity=3)

    outs = update(state, props(fake, quantity=3, sms="outbound", calling="inbound"), clients)

    assert fake.calls["capabilities"] == 3
    assert (fake.calls["search"], fake.calls["purchase"], fake.calls["release"]) == (1, 1, 0)
    assert [n for n, _ in fake.capability_updates] == state["phoneNumbers"]
    assert all(p.capabilities == {"sms": "outbound", "calling": "inbound"} for p in fake.purchased.values())
    assert (outs["sms"], outs["calling"], outs["phoneNumbers"]) == ("outbound", "inbound", state["phoneNumbers"])


@pytest.mark.parametrize(
    ("change", "attribute", "old", "new"),
    [
        ({"countryCode": "CA"}, "country_code", "US", "CA"),
        ({"numberType": "geographic"}, "number_type", "tollFree", "geographic"),
        ({"areaCode": "888"}, "area_code", "800", "888"),
        ({"locality": "Seattle"}, "locality", None, "Seattle"),
    ],
)
def test_an_identity_change_is_refused_without_allow_replacement(fake, clients, change, attribute, old, new):
    fake.add_numbers("US", "tollFree", 2, "800")
    state = create(fake, clients)
    calls = dict(fake.calls)
    news = props(fake, **change)

    diff = PhoneNumberPoolProvider().diff("pool", state, news)
    assert (diff.changes, diff.replaces) == (True, [])  # kept as an update, so that the update refuses it
    with pytest.raises(PhoneNumberPoolError) as raised:
        update(state, news, clients)

    assert f"cannot change {attribute} from {old!r} to {new!r} in place" in str(raised.value)
    assert "set allow_replacement=True" in str(raised.value)
    assert ", ".join(state["phoneNumbers"]) in str(raised.value)
    assert dict(fake.calls) == calls  # nothing asked of the service


def test_with_allow_replacement_an_identity_change_is_a_replacement(fake):
    state = {**props(fake, allowReplacement=True), "phoneNumbers": ["+18005550001", "+18005550002"]}
    news = props(fake, countryCode="CA", numberType="geographic", allowReplacement=True)

    diff = PhoneNumberPoolProvider().diff("pool", state, news)

    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, ["countryCode", "numberType"], False)
    assert PhoneNumberPoolProvider().diff("pool", state, {**news, "sms": "none", **{"countryCode": "US"}}).replaces == [
        "numberType"
    ]


# Delete and read


def test_delete_releases_exactly_the_numbers_in_the_state(fake, clients):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.add_numbers("US", "tollFree", 2, "888")
    pool = create(fake, clients, quantity=2)
    other = create(fake, clients, quantity=2, areaCode="888")

    PhoneNumberPoolProvider().delete_with(pool, clients, polling_interval=POLL)

    assert fake.released == list(reversed(pool["phoneNumbers"]))
    assert list(fake.purchased) == other["phoneNumbers"]
    assert fake.calls["list"] == 0  # the state says what to release, not a listing


def test_delete_counts_a_number_already_released_as_released_and_names_one_still_held(fake, clients):
    fake.add_numbers("US", "tollFree", 3, "800")
    pool = create(fake, clients, quantity=3)
    first, second, third = pool["phoneNumbers"]
    fake.release_outside(first)
    fake.fail_release_of(second)

    with pytest.raises(PhoneNumberPoolError) as raised:
        PhoneNumberPoolProvider().delete_with(pool, clients, polling_interval=POLL)

    assert str(raised.value) == (
        f"releasing 3 numbers for the phone number pool (US, tollFree, area code 800) at {fake.url} failed: "
        f"released {third}, {first}; STILL HELD: {second} (the operation ended failed (ReleaseFailed: The release "
        "failed)). Run `pulumi refresh` to drop the released numbers from the state, then try again"
    )
    assert list(fake.purchased) == [second]


def test_read_drops_a_number_released_outside_pulumi_and_the_next_update_buys_it_back(fake, clients):
    fake.add_numbers("US", "tollFree", 4, "800")
    fake.page_size = 1  # the listing comes in pages, one number each
    state = create(fake, clients, quantity=3)
    first, second, third = state["phoneNumbers"]
    fake.release_outside(second)

    refreshed = PhoneNumberPoolProvider().read_with("pool", state, clients)

    assert refreshed.id == "pool"
    assert refreshed.outs == {**state, "phoneNumbers": [first, third]}
    assert fake.calls["list"] == 2  # two numbers left: two pages, the second through nextLink
    assert PhoneNumberPoolProvider().diff("pool", refreshed.outs, props(fake, quantity=3)).changes is True

    outs = update(refreshed.outs, props(fake, quantity=3), clients)

    assert outs["phoneNumbers"][:2] == [first, third] and len(outs["phoneNumbers"]) == 3
    assert fake.searches[-1]["quantity"] == 1


# Previews


def test_check_and_diff_make_no_calls(fake):
    provider = PhoneNumberPoolProvider()
    state = {**props(fake), "phoneNumbers": ["+18005550001", "+18005550002"]}

    assert provider.check({}, props(fake)).failures == []
    failures = provider.check({}, props(fake, quantity=0, sms="both", endpoint="http://x")).failures
    assert [f.property for f in failures] == ["endpoint", "sms", "quantity"]
    assert provider.diff("pool", state, props(fake)).changes is False
    assert provider.diff("pool", state, props(fake, quantity=4)).changes is True
    assert provider.diff("pool", state, props(fake, calling="inbound")).replaces == []
    # A value known only after another resource is created: no failure, and maybe a change.
    assert provider.check({}, props(fake, endpoint=rpc.UNKNOWN)).failures == []
    unknown = provider.diff("pool", state, props(fake, endpoint=rpc.UNKNOWN, allowReplacement=True))
    assert (unknown.changes, unknown.replaces) == (True, ["endpoint"])

    assert sum(fake.calls.values()) == 0


def pool_args(**overrides) -> PhoneNumberPoolArgs:
    return PhoneNumberPoolArgs(
        **{
            "endpoint": "https://acs.communication.azure.com",
            "country_code": "US",
            "number_type": "tollFree",
            "assignment_type": "application",
            "sms": "inbound+outbound",
            "calling": "none",
            "quantity": 3,
            "area_code": "800",
            **overrides,
        }
    )


def test_a_preview_of_a_program_declaring_a_pool_calls_nothing_and_registers_camel_case_inputs(fake):
    fake.add_numbers("US", "tollFree", 3, "800")
    pools = []

    def program():
        pools.append(
            PhoneNumberPool(
                "support-line",
                pool_args(endpoint=fake.url + "/", connection_string_env="ACS_CONNECTION_STRING"),
                pulumi.ResourceOptions(protect=True, retain_on_delete=True),
            )
        )

    monitor = record_preview(program, "acs-platform", "test")

    assert sum(fake.calls.values()) == 0
    [(urn, request)] = [(u, r) for u, r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
    assert request.type == "pulumi-python:dynamic/numberpools:PhoneNumberPool"
    assert urn.endswith("::support-line")
    inputs = json_format.MessageToDict(request.object)
    assert {k: v for k, v in inputs.items() if k != "__provider"} == {
        "endpoint": fake.url,
        "countryCode": "US",
        "numberType": "tollFree",
        "assignmentType": "application",
        "sms": "inbound+outbound",
        "calling": "none",
        "quantity": 3,
        "areaCode": "800",
        "agreeToNotResell": False,
        "allowReplacement": False,
        "connectionStringEnv": "ACS_CONNECTION_STRING",
    }
    assert request.protect and request.retainOnDelete  # the caller's options are kept
    [pool] = pools
    assert isinstance(pool.phone_numbers, pulumi.Output)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"endpoint": "http://acs.communication.azure.com"}, "endpoint must be the ACS endpoint, https://<host>"),
        ({"endpoint": "https://acs.communication.azure.com/x"}, "endpoint must be"),
        ({"country_code": "us"}, "country_code must be ISO 3166 alpha-2"),
        ({"number_type": "tollfree"}, "number_type must be one of geographic, tollFree, mobile: 'tollfree'"),
        ({"assignment_type": "user"}, "assignment_type must be one of application, person"),
        ({"sms": "both"}, "sms must be one of none, inbound, outbound, inbound\\+outbound"),
        ({"calling": None}, "calling must be one of"),
        ({"quantity": 0}, "quantity must be a whole number, at least 1: 0"),
        ({"quantity": True}, "quantity must be a whole number"),
        ({"quantity": 2.0}, "quantity must be a whole number"),
        ({"area_code": "42a"}, "area_code must be digits"),
        ({"locality": " "}, "locality must be a name"),
        ({"agree_to_not_resell": "yes"}, "agree_to_not_resell must be True or False"),
        ({"connection_string_env": "ACS-CS"}, "connection_string_env must be the name of an environment variable"),
    ],
)
def test_wrong_args_are_refused_with_a_clear_message(overrides, message):
    with pytest.raises(ValueError, match=message):
        pool_args(**overrides)


def test_an_endpoint_known_later_is_accepted():
    endpoint = pulumi.Output.from_input("https://acs.communication.azure.com")
    assert pool_args(endpoint=endpoint).endpoint is endpoint


# Authentication


def test_the_connection_string_path_signs_with_the_access_key(fake, certificate, monkeypatch):
    fake.add_numbers("US", "tollFree", 2, "800")
    monkeypatch.setenv("ACS_CONNECTION_STRING", fake.connection_string())

    def factory(endpoint, connection_string_env):
        return open_client(endpoint, connection_string_env, NoCredential(), connection_verify=str(certificate[0]))

    outs = PhoneNumberPoolProvider().create_with(
        props(fake, connectionStringEnv="ACS_CONNECTION_STRING"), factory, polling_interval=POLL
    )
    assert outs.outs["phoneNumbers"] == list(fake.purchased)
    assert fake.auth.keys() == {"HMAC-SHA256"}  # and the fake checked each signature against the key

    fake.access_key = new_access_key()  # the key was regenerated: the old one is refused
    with pytest.raises(PhoneNumberPoolError, match="HTTP 401"):
        PhoneNumberPoolProvider().delete_with(outs.outs, factory, polling_interval=POLL)


def test_a_connection_string_of_another_resource_is_refused_before_any_call(fake, monkeypatch):
    monkeypatch.setenv("ACS_CONNECTION_STRING", f"endpoint=https://other.communication.azure.com/;accesskey={'a' * 44}")

    with pytest.raises(PhoneNumberPoolError, match="is for other.communication.azure.com, not for the pool's endpoint"):
        phone_numbers_client(fake.url, "ACS_CONNECTION_STRING", NoCredential())
    assert sum(fake.calls.values()) == 0


def test_an_empty_connection_string_variable_means_the_token_credential(fake, clients, monkeypatch):
    fake.add_numbers("US", "tollFree", 2, "800")
    monkeypatch.setenv("ACS_CONNECTION_STRING", "")

    create(fake, clients, connectionStringEnv="ACS_CONNECTION_STRING")

    assert fake.auth.keys() == {"Bearer"}


def test_the_fake_refuses_a_request_without_authorization(fake, certificate):
    request = urllib.request.Request(f"{fake.url}/phoneNumbers?api-version={API_VERSION}")
    context = ssl.create_default_context(cafile=str(certificate[0]))

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, context=context, timeout=5)

    assert raised.value.code == 401
