"""Phone number pools: the provider through the real PhoneNumbersClient against a local fake of the API."""

import json
import re
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pulumi
import pytest
from azure.communication.phonenumbers import PhoneNumberCapabilities
from pulumi.runtime import rpc

from policies.resource_types import PHONE_NUMBER_POOL
from providers.numberpools import PhoneNumberPool, PhoneNumberPoolArgs, PhoneNumberPoolError, PhoneNumberPoolProvider
from providers.numberpools.client import open_client, phone_numbers_client
from providers.retry import RETRY_TOTAL
from tests.fake_phone_numbers import API_VERSION, FakePhoneNumbers, new_access_key
from tests.rest_spec import PHONE_NUMBERS_SPEC
from tests.stacks import minimal_config, one, plan_config, registered_alone


class NoCredential:
    """For the connection string path: a token asked for would be a bug."""

    def get_token(self, *_scopes, **_kwargs):
        raise AssertionError("the connection string path asked for a token")


@pytest.fixture
def fake(certificate, clock):
    with FakePhoneNumbers(*certificate, clock=clock) as server:
        yield server


@pytest.fixture
def clients(certificate, credential, clock):
    """The client factory the provider takes: the real SDK client, trusting the fake's certificate, waiting
    (backoff, Retry-After, polls) on the injected clock."""

    def factory(endpoint, connection_string_env):
        return open_client(
            endpoint, connection_string_env, credential, clock=clock, connection_verify=str(certificate[0])
        )

    return factory


@pytest.fixture
def provider(clock):
    """The provider's operations on the injected clock, with the real intervals and deadlines."""
    return Provider(clock)


class Provider:
    def __init__(self, clock):
        self.clock = clock

    def create(self, fake, clients, **overrides) -> dict:
        return self.create_from(props(fake, **overrides), clients).outs

    def create_from(self, inputs, clients, **timing):
        return PhoneNumberPoolProvider().create_with(inputs, clients, self.clock, **timing)

    def update(self, olds, news, clients):
        return PhoneNumberPoolProvider().update_with(olds, news, clients, self.clock).outs

    def read(self, state, clients):
        return PhoneNumberPoolProvider().read_with("pool", state, clients, self.clock)

    def delete(self, state, clients):
        PhoneNumberPoolProvider().delete_with(state, clients, self.clock)


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


def state(fake, numbers, **overrides) -> dict:
    """What the provider keeps: the inputs, the numbers held, and no purchase pending."""
    return {**props(fake, **overrides), "phoneNumbers": numbers, "pendingPurchase": None}


# Create


@pytest.mark.parametrize("quantity", [1, 5])
def test_create_buys_the_whole_quantity_with_one_search_and_one_purchase(fake, clients, credential, quantity, provider):
    fake.add_numbers("US", "tollFree", 8, "800")

    result = provider.create_from(props(fake, quantity=quantity), clients)

    bought = list(fake.purchased)
    assert len(bought) == quantity
    assert result.outs == state(fake, bought, quantity=quantity)
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


def test_fewer_numbers_found_than_asked_buys_nothing_and_says_so(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients, quantity=5)

    assert str(raised.value).startswith(
        f"searching 5 numbers for the phone number pool (US, tollFree, area code 800) at {fake.url} "
        "found 2 of the 5 asked for; nothing was bought"
    )
    assert fake.calls["purchase"] == 0
    assert fake.purchased == {}


def test_numbers_that_need_the_agreement_not_to_resell_are_not_bought_without_it(fake, clients, provider):
    fake.add_numbers("FR", "geographic", 1, "1")
    fake.agreement_required.add("FR")
    pool = {"countryCode": "FR", "numberType": "geographic", "areaCode": "1", "quantity": 1}

    with pytest.raises(PhoneNumberPoolError, match="set agree_to_not_resell=True"):
        provider.create(fake, clients, **pool)
    assert fake.calls["purchase"] == 0

    fake.add_numbers("FR", "geographic", 1, "1")
    assert len(provider.create(fake, clients, **pool, agreeToNotResell=True)["phoneNumbers"]) == 1


def test_a_429_with_retry_after_is_retried_after_the_time_it_asks(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.fail_next("purchase", 429, retry_after=7)

    outs = provider.create(fake, clients)

    # Without Retry-After the first retry would come at once: the wait is the header's.
    assert 7 in provider.clock.slept
    assert fake.calls["purchase"] == 2
    assert outs["phoneNumbers"] == list(fake.purchased)


@pytest.mark.parametrize(
    ("kind", "status", "calls"),
    [("search", 502, 2), ("purchase", 503, 2), ("operation", 500, 5), ("list", 504, 2), ("release", 502, 3)],
)
def test_a_server_error_then_success_is_retried(fake, clients, kind, status, calls, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.fail_next(kind, status)  # the first call of that kind, whichever step makes it

    state = provider.create(fake, clients)
    assert state["phoneNumbers"] == list(fake.purchased)
    if kind == "list":
        assert provider.read(state, clients).outs == state
    if kind == "release":
        provider.delete(state, clients)
        assert fake.purchased == {}

    # Two polls per operation (running, then done) for the search and the purchase, plus the retry.
    assert fake.calls[kind] == calls


def test_a_purchase_whose_answer_was_lost_keeps_the_numbers_it_bought(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    # The purchase goes through; its answer is a 503; the retry is told the search is bought already.
    fake.lose_answer_of_next("purchase", 503)

    outs = provider.create(fake, clients)

    assert fake.calls["purchase"] == 2
    assert outs["phoneNumbers"] == list(fake.purchased)
    assert len(outs["phoneNumbers"]) == 2
    assert fake.released == []


def test_when_retries_run_out_the_error_names_the_pool_and_the_step(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.fail_next("search", 503, times=10)

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients)

    assert fake.calls["search"] == RETRY_TOTAL + 1
    assert str(raised.value) == (
        f"searching 2 numbers for the phone number pool (US, tollFree, area code 800) at {fake.url} failed: "
        "HTTP 503 Service Unavailable: Scripted: A failure the test asked for; nothing was bought"
    )


def test_an_operation_that_never_ends_is_given_up_at_its_deadline(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.running_polls = 10_000

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients)

    # Polled every 2 s: the next poll would have come after the 600 s deadline.
    assert provider.clock.waited == 600
    assert "searching 2 numbers" in str(raised.value)
    assert "still running after 600 s, and the next status check was due in 2 s, past the deadline of 600 s" in str(
        raised.value
    )
    assert str(raised.value).endswith("nothing was bought")
    assert fake.calls["purchase"] == 0


def test_a_retry_after_beyond_the_deadline_fails_at_once_and_says_what_was_waited(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.operation_retry_after = "3600"

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients)

    assert provider.clock.waited == 0  # no hour waited, and none claimed
    assert "still running after 0 s, and the next status check was due in 3600 s, past the deadline of 600 s" in (
        str(raised.value)
    )
    assert fake.calls["purchase"] == 0


def test_a_purchase_failing_part_way_releases_what_it_bought_and_lists_it(fake, clients, provider):
    searched = fake.add_numbers("US", "tollFree", 5, "800")
    fake.fail_purchase_after(2)

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients, quantity=5)

    message = str(raised.value)
    assert message.startswith(f"purchasing {', '.join(searched)} for the phone number pool (US, tollFree")
    assert "failed: the operation ended failed (PurchaseFailed: The purchase failed part way)" in message
    assert message.endswith(f"It bought 2 of them before failing: {searched[0]} released; {searched[1]} released")
    assert fake.released == searched[:2]
    assert fake.purchased == {}
    assert (fake.calls["search"], fake.calls["purchase"], fake.calls["list"]) == (1, 1, 1)


def test_a_bought_number_whose_release_failed_is_named_as_still_held(fake, clients, provider):
    searched = fake.add_numbers("US", "tollFree", 3, "800")
    fake.fail_purchase_after(2)
    fake.fail_release_of(searched[1])

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients, quantity=3)

    assert str(raised.value).endswith(
        f"It bought 2 of them before failing: {searched[0]} released; {searched[1]} STILL HELD "
        "(release failed: the operation ended failed (ReleaseFailed: The release failed))"
    )
    assert list(fake.purchased) == [searched[1]]


# Purchases whose outcome is unclear: never a number billed and untracked, never one bought twice


def test_a_lost_purchase_answer_refused_as_a_repeat_is_followed_until_the_numbers_show(fake, clients, provider):
    searched = fake.add_numbers("US", "tollFree", 2, "800")
    fake.purchase_seconds = 45  # the numbers are held 45 s after the purchase starts
    # The purchase is carried out, its answer lost; the SDK repeats it and the service refuses the repeat.
    fake.lose_answer_of_next("purchase", 503)

    outs = provider.create(fake, clients)

    assert fake.calls["purchase"] == 2
    assert outs["phoneNumbers"] == searched == list(fake.purchased)
    assert outs["pendingPurchase"] is None
    assert 45 <= provider.clock.waited < 600  # it kept looking, bounded, and stopped once they showed
    assert fake.released == []


def test_status_checks_throttled_past_the_retry_budget_do_not_make_a_purchase_look_failed(fake, clients, provider):
    searched = fake.add_numbers("US", "tollFree", 2, "800")
    fake.purchase_seconds = 90
    fake.fail_next("operation:purchase", 429, times=40, retry_after=3)

    outs = provider.create(fake, clients)

    assert outs["phoneNumbers"] == searched == list(fake.purchased)
    assert (fake.calls["search"], fake.calls["purchase"], fake.released) == (1, 1, [])
    assert provider.clock.waited >= 90


def test_a_purchase_not_seen_to_end_by_the_deadline_is_kept_as_pending_and_settled_by_the_next_run(
    fake, clients, provider
):
    searched = fake.add_numbers("US", "tollFree", 2, "800")
    fake.purchase_seconds = 3_600  # still under way at the 600 s deadline
    fake.lose_answer_of_next("purchase", 503)  # and no operation to ask about

    outs = provider.create(fake, clients)

    assert outs["phoneNumbers"] == []
    pending = outs["pendingPurchase"]
    assert pending["numbers"] == searched and pending["operationId"] is None
    assert pending["requestedAt"] == "2026-11-30T00:00:02Z"  # after the search's one poll
    assert 600 <= provider.clock.waited < 620  # the deadline, not more, and not a claim of it
    assert PhoneNumberPoolProvider().diff("pool", outs, props(fake)).changes is True

    # Before the purchase has had every chance to end, nothing is bought and nothing is forgotten.
    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.update(outs, props(fake), clients)
    assert ", ".join(searched) in str(raised.value) and "nothing was done" in str(raised.value)
    assert (fake.calls["search"], fake.calls["purchase"]) == (1, 2)

    provider.clock.advance(3_600)  # the numbers turned up
    settled = provider.update(outs, props(fake), clients)

    assert settled["phoneNumbers"] == searched == list(fake.purchased)
    assert settled["pendingPurchase"] is None
    assert (fake.calls["search"], fake.calls["purchase"]) == (1, 2)  # adopted, not bought again


def test_a_pending_purchase_seen_to_fail_is_dropped_and_only_what_is_missing_is_bought(fake, clients, provider):
    searched = fake.add_numbers("US", "tollFree", 2, "800")
    fake.purchase_seconds = 3_600
    fake.fail_purchase_after(1)  # it will buy the first number, then fail
    outs = provider.create(fake, clients)
    assert outs["pendingPurchase"]["numbers"] == searched
    assert outs["pendingPurchase"]["operationId"]  # the service said where its status is

    provider.clock.advance(3_600)
    fake.purchase_seconds = 0
    settled = provider.update(outs, props(fake), clients)

    # The first number turned up and is adopted; the operation says the second was never bought, so
    # one more is searched for and bought (the service may well offer the same number again).
    assert settled["phoneNumbers"][0] == searched[0]
    assert settled["phoneNumbers"] == list(fake.purchased) and len(settled["phoneNumbers"]) == 2
    assert fake.searches[-1]["quantity"] == 1 and fake.calls["purchase"] == 2


def test_without_an_operation_a_pending_number_counts_as_not_bought_once_the_purchase_had_every_chance(
    fake, clients, provider
):
    searched = fake.add_numbers("US", "tollFree", 2, "800")
    fake.purchase_seconds = 3_600
    fake.fail_purchase_after(0)  # it will buy nothing
    fake.lose_answer_of_next("purchase", 503)
    outs = provider.create(fake, clients)
    assert outs["pendingPurchase"]["numbers"] == searched
    expires = outs["pendingPurchase"]["searchExpiresBy"]
    assert expires == "2026-11-30T00:14:00Z"  # 14 minutes after the search

    # The search expired 14 minutes after it began; the purchase is given ten more minutes to end.
    provider.clock.advance(24 * 60 - provider.clock.waited - 1)
    with pytest.raises(PhoneNumberPoolError, match="after 2026-11-30T00:24:00Z"):
        provider.update(outs, props(fake), clients)
    provider.clock.advance(2)
    fake.purchase_seconds = 0
    settled = provider.update(outs, props(fake), clients)

    # The first purchase is taken to have bought nothing: the pool buys its two numbers anew.
    assert settled["phoneNumbers"] == list(fake.purchased) and len(settled["phoneNumbers"]) == 2
    assert settled["pendingPurchase"] is None and fake.calls["search"] == 2


def test_growing_a_pool_whose_purchase_is_not_seen_to_end_keeps_the_new_numbers_as_pending(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 3, "800")
    state = provider.create(fake, clients, quantity=1)
    fake.purchase_seconds = 3_600

    outs = provider.update(state, props(fake, quantity=3), clients)

    assert outs["phoneNumbers"] == state["phoneNumbers"]
    assert len(outs["pendingPurchase"]["numbers"]) == 2
    assert PhoneNumberPoolProvider().diff("pool", outs, props(fake, quantity=3)).changes is True


def test_refresh_adopts_pending_numbers_that_turned_up_and_keeps_the_others_pending(fake, clients, provider):
    searched = fake.add_numbers("US", "tollFree", 2, "800")
    fake.purchase_seconds = 3_600
    outs = provider.create(fake, clients)
    assert outs["pendingPurchase"]["numbers"] == searched

    assert provider.read(outs, clients).outs["pendingPurchase"]["numbers"] == searched  # nothing shown yet
    provider.clock.advance(3_600)
    refreshed = provider.read(outs, clients).outs

    assert refreshed["phoneNumbers"] == searched and refreshed["pendingPurchase"] is None


def test_deleting_a_pool_with_an_unsettled_purchase_releases_nothing_until_it_settles(fake, clients, provider):
    searched = fake.add_numbers("US", "tollFree", 2, "800")
    fake.purchase_seconds = 3_600
    outs = provider.create(fake, clients)

    with pytest.raises(PhoneNumberPoolError, match="deleting: .* has a purchase whose outcome is not known yet"):
        provider.delete(outs, clients)
    assert fake.released == []

    provider.clock.advance(3_600)
    provider.delete(outs, clients)
    assert sorted(fake.released) == sorted(searched) and fake.purchased == {}


def test_a_purchase_refused_on_its_only_attempt_is_known_to_have_bought_nothing(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.fail_next("purchase", 400)

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients)

    assert str(raised.value).endswith(
        "HTTP 400 Bad Request: Scripted: A failure the test asked for; none of them was bought"
    )
    assert (fake.calls["purchase"], fake.calls["list"]) == (1, 1)  # one look at what is held, to be sure
    assert provider.clock.waited == 2  # the search's one poll: a refusal is observed, not waited out


# Numbers as the service writes them


def test_a_listing_without_plus_signs_keeps_every_number_and_delete_releases_them(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    state = provider.create(fake, clients)
    fake.list_without_plus = True

    refreshed = provider.read(state, clients).outs

    assert refreshed["phoneNumbers"] == state["phoneNumbers"]
    provider.delete(refreshed, clients)
    assert fake.purchased == {}


# Update


def test_growing_buys_the_difference_with_one_search_and_one_purchase(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 6, "800")
    state = provider.create(fake, clients, quantity=2)

    outs = provider.update(state, props(fake, quantity=5), clients)

    assert [s["quantity"] for s in fake.searches] == [2, 3]
    assert (fake.calls["search"], fake.calls["purchase"], fake.calls["release"]) == (2, 2, 0)
    assert outs["phoneNumbers"][:2] == state["phoneNumbers"]
    assert outs["phoneNumbers"] == list(fake.purchased)
    assert outs["quantity"] == 5


def test_shrinking_releases_the_surplus_newest_first(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 5, "800")
    state = provider.create(fake, clients, quantity=5)
    bought = state["phoneNumbers"]

    outs = provider.update(
        {**state, "quantity": 5.0}, props(fake, quantity=2), clients
    )  # the state's numbers are floats

    assert fake.released == [bought[4], bought[3], bought[2]]
    assert outs["phoneNumbers"] == bought[:2] == list(fake.purchased)
    assert (fake.calls["search"], fake.calls["purchase"]) == (1, 1)


def test_a_capability_change_updates_each_number_in_place(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 3, "800")
    state = provider.create(fake, clients, quantity=3)

    outs = provider.update(state, props(fake, quantity=3, sms="outbound", calling="inbound"), clients)

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
def test_an_identity_change_is_refused_without_allow_replacement(fake, clients, change, attribute, old, new, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    state = provider.create(fake, clients)
    calls = dict(fake.calls)
    news = props(fake, **change)

    diff = PhoneNumberPoolProvider().diff("pool", state, news)
    assert (diff.changes, diff.replaces) == (True, [])  # kept as an update, so that the update refuses it
    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.update(state, news, clients)

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


def test_delete_releases_exactly_the_numbers_in_the_state(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    fake.add_numbers("US", "tollFree", 2, "888")
    pool = provider.create(fake, clients, quantity=2)
    other = provider.create(fake, clients, quantity=2, areaCode="888")

    provider.delete(pool, clients)

    assert fake.released == list(reversed(pool["phoneNumbers"]))
    assert list(fake.purchased) == other["phoneNumbers"]
    assert fake.calls["list"] == 0  # the state says what to release, not a listing


def test_delete_counts_a_number_already_released_as_released_and_names_one_still_held(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 3, "800")
    pool = provider.create(fake, clients, quantity=3)
    first, second, third = pool["phoneNumbers"]
    fake.release_outside(first)
    fake.fail_release_of(second)

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.delete(pool, clients)

    assert str(raised.value) == (
        f"releasing 3 numbers for the phone number pool (US, tollFree, area code 800) at {fake.url} failed: "
        f"released {third}, {first}; STILL HELD: {second} (the operation ended failed (ReleaseFailed: The release "
        "failed)). Run `pulumi refresh` to drop the released numbers from the state, then try again"
    )
    assert list(fake.purchased) == [second]


def test_read_drops_a_number_released_outside_pulumi_and_the_next_update_buys_it_back(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 4, "800")
    fake.page_size = 1  # the listing comes in pages, one number each
    state = provider.create(fake, clients, quantity=3)
    first, second, third = state["phoneNumbers"]
    fake.release_outside(second)

    refreshed = provider.read(state, clients)

    assert refreshed.id == "pool"
    assert refreshed.outs == {**state, "phoneNumbers": [first, third]}
    assert fake.calls["list"] == 2  # two numbers left: two pages, the second through nextLink
    assert PhoneNumberPoolProvider().diff("pool", refreshed.outs, props(fake, quantity=3)).changes is True

    outs = provider.update(refreshed.outs, props(fake, quantity=3), clients)

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

    urn, request, inputs = registered_alone(program)

    assert sum(fake.calls.values()) == 0
    assert request.type == "pulumi-python:dynamic/numberpools:PhoneNumberPool"
    assert urn.endswith("::support-line")
    assert inputs == {
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


def test_the_connection_string_path_signs_with_the_access_key(fake, certificate, monkeypatch, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    monkeypatch.setenv("ACS_CONNECTION_STRING", fake.connection_string())

    def factory(endpoint, connection_string_env):
        return open_client(
            endpoint, connection_string_env, NoCredential(), clock=provider.clock, connection_verify=str(certificate[0])
        )

    outs = provider.create_from(props(fake, connectionStringEnv="ACS_CONNECTION_STRING"), factory)
    assert outs.outs["phoneNumbers"] == list(fake.purchased)
    assert fake.auth.keys() == {"HMAC-SHA256"}  # and the fake checked each signature against the key

    fake.access_key = new_access_key()  # the key was regenerated: the old one is refused
    with pytest.raises(PhoneNumberPoolError, match="HTTP 401"):
        provider.delete(outs.outs, factory)


def test_a_connection_string_of_another_resource_is_refused_before_any_call(fake, monkeypatch):
    monkeypatch.setenv("ACS_CONNECTION_STRING", f"endpoint=https://other.communication.azure.com/;accesskey={'a' * 44}")

    with pytest.raises(PhoneNumberPoolError, match="is for other.communication.azure.com, not for the pool's endpoint"):
        phone_numbers_client(fake.url, "ACS_CONNECTION_STRING", NoCredential())
    assert sum(fake.calls.values()) == 0


def test_an_empty_connection_string_variable_means_the_token_credential(fake, clients, monkeypatch, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    monkeypatch.setenv("ACS_CONNECTION_STRING", "")

    provider.create(fake, clients, connectionStringEnv="ACS_CONNECTION_STRING")

    assert fake.auth.keys() == {"Bearer"}


def test_the_fake_refuses_a_request_without_authorization(fake, certificate):
    request = urllib.request.Request(f"{fake.url}/phoneNumbers?api-version={API_VERSION}")
    context = ssl.create_default_context(cafile=str(certificate[0]))

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, context=context, timeout=5)

    assert raised.value.code == 401


# The fake against the spec's examples


EXAMPLES = PHONE_NUMBERS_SPEC.parent / "examples"


def started_like_the_example(answer, example: str) -> None:
    """The fake started an operation as the spec's example shows: the same status, the same headers, the
    links in the same form (relative, to the same kind of resource), a body where the example has one."""
    expected = json.loads((EXAMPLES / f"{example}.json").read_text())["responses"]["202"]
    assert answer.status_code == 202
    assert {h.lower() for h in expected["headers"]} <= {h.lower() for h in answer.headers}
    for header in ("Operation-Location", "Location"):
        if header in expected["headers"]:
            shape = re.sub(r"[^/]+$", "", expected["headers"][header])  # up to the id, which differs
            assert urlsplit(answer.headers[header]).path.startswith(shape), header
            assert not urlsplit(answer.headers[header]).netloc  # relative, as in the example
    assert bool(answer.text()) == ("body" in expected)


def test_the_fake_starts_each_operation_as_the_spec_example_does(fake, clients):
    fake.add_numbers("US", "tollFree", 1, "800")
    answers = []

    def keep(response):  # the hook sees the polls too: keep each operation's start
        if response.http_request.method != "GET":
            answers.append(response.http_response)

    with clients(fake.url, None) as client:
        capabilities = PhoneNumberCapabilities(sms="inbound+outbound", calling="none")
        found = client.begin_search_available_phone_numbers(
            "US", "tollFree", "application", capabilities, area_code="800", quantity=1, raw_response_hook=keep
        ).result()
        client.begin_purchase_phone_numbers(found.search_id, raw_response_hook=keep).result()
        [number] = found.phone_numbers
        client.begin_update_phone_number_capabilities(number, sms="outbound", raw_response_hook=keep).result()
        client.begin_release_phone_number(number, raw_response_hook=keep).result()

    search, purchase, capabilities_update, release = answers
    started_like_the_example(search, "SearchPhoneNumbers")
    started_like_the_example(purchase, "PurchasePhoneNumbers")
    started_like_the_example(capabilities_update, "UpdatePhoneNumberCapabilities")
    started_like_the_example(release, "ReleasePhoneNumber")
    assert search.headers["operation-id"] == f"search_{search.headers['search-id']}"  # as in the example


# Adopting numbers the ACS resource already holds (issue 16)

# The pool of `props`: US toll-free, application, sms inbound+outbound, calling none.
KIND = {"sms": "inbound+outbound", "calling": "none"}


def bought_by_the_pool(fake, adopted):
    return [n for n in fake.purchased if n not in adopted]


# Create


def test_a_pool_of_only_adopted_numbers_neither_searches_nor_buys(fake, clients, provider):
    adopted = fake.add_purchased("US", "tollFree", 2, **KIND)
    fake.add_numbers("US", "tollFree", 5, "800")  # there to be bought, if the pool wrongly bought

    result = provider.create_from(props(fake, quantity=2, adoptNumbers=adopted), clients)

    assert fake.calls["search"] == fake.calls["purchase"] == 0
    assert fake.calls["get"] == 2  # each adopted number read, once
    assert result.outs == {**state(fake, adopted, quantity=2), "adoptNumbers": adopted}
    assert list(fake.purchased) == adopted
    assert result.id.startswith("adopted-")


def test_a_pool_larger_than_its_adopted_numbers_buys_only_the_difference(fake, clients, provider):
    adopted = fake.add_purchased("US", "tollFree", 1, **KIND)
    fake.add_numbers("US", "tollFree", 5, "800")

    outs = provider.create(fake, clients, quantity=3, adoptNumbers=adopted)

    [search] = fake.searches
    assert search["quantity"] == 2
    assert (fake.calls["search"], fake.calls["purchase"]) == (1, 1)
    bought = bought_by_the_pool(fake, adopted)
    assert len(bought) == 2
    assert outs["phoneNumbers"] == adopted + bought  # the adopted ones first


def test_a_number_the_resource_does_not_hold_fails_the_create_naming_it_and_nothing_is_bought(fake, clients, provider):
    adopted = fake.add_purchased("US", "tollFree", 1, **KIND)
    fake.add_numbers("US", "tollFree", 5, "800")

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients, quantity=3, adoptNumbers=[*adopted, "+18009990000"])

    message = str(raised.value)
    assert message.startswith(f"adopting {adopted[0]}, +18009990000 into the phone number pool (US, tollFree")
    assert "nothing was bought" in message
    assert "+18009990000 is not held by this ACS resource" in message
    assert "remove it from adopt_numbers" in message
    assert adopted[0] + " is" not in message  # the number that fits is not blamed
    assert fake.calls["search"] == fake.calls["purchase"] == 0
    assert list(fake.purchased) == adopted


@pytest.mark.parametrize(
    ("held", "has", "fix"),
    [
        (
            {"country": "GB", "number_type": "tollFree"},
            "is GB tollFree, assignment application, sms inbound+outbound, calling none",
            "a number's country_code cannot change",
        ),
        (
            {"country": "US", "number_type": "geographic"},
            "is US geographic, assignment application",
            "a number's number_type cannot change",
        ),
        (
            {"country": "US", "number_type": "tollFree", "assignment_type": "person"},
            "is US tollFree, assignment person",
            "a number's assignment_type cannot change",
        ),
        (
            {"country": "US", "number_type": "tollFree", "sms": "inbound"},
            "is US tollFree, assignment application, sms inbound, calling none",
            "set its capabilities to sms inbound+outbound (in the portal) first",
        ),
        (
            {"country": "US", "number_type": "tollFree", "calling": "inbound+outbound"},
            "is US tollFree, assignment application, sms inbound+outbound, calling inbound+outbound",
            "set its capabilities to calling none (in the portal) first",
        ),
    ],
)
def test_a_number_of_another_kind_fails_the_create_saying_what_it_is_and_what_the_pool_asks(
    fake, clients, provider, held, has, fix
):
    [number] = fake.add_purchased(count=1, **{**KIND, **held})
    fake.add_numbers("US", "tollFree", 5, "800")

    with pytest.raises(PhoneNumberPoolError) as raised:
        provider.create(fake, clients, quantity=2, adoptNumbers=[number])

    message = str(raised.value)
    assert f"{number} {has}" in message
    assert "the pool asks for US tollFree, assignment application, sms inbound+outbound, calling none" in message
    assert fix in message and "remove it from adopt_numbers" in message
    assert fake.calls["search"] == fake.calls["purchase"] == 0
    assert list(fake.purchased) == [number]


# Diff and update


def test_removing_adopted_numbers_from_the_list_after_the_create_changes_nothing(fake, clients, provider):
    adopted = fake.add_purchased("US", "tollFree", 2, **KIND)
    outs = provider.create(fake, clients, quantity=2, adoptNumbers=adopted)
    calls = sum(fake.calls.values())
    diff = PhoneNumberPoolProvider().diff

    without = {k: v for k, v in props(fake, quantity=2).items() if k != "adoptNumbers"}
    for news in (without, {**without, "adoptNumbers": None}, {**without, "adoptNumbers": adopted[:1]}):
        assert diff("pool", outs, news).changes is False
        assert provider.update(outs, news, clients)["phoneNumbers"] == adopted

    assert sum(fake.calls.values()) == calls  # neither diff nor those updates called the service
    assert list(fake.purchased) == adopted


def test_an_update_adopts_a_newly_listed_number_before_buying_for_a_larger_quantity(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 5, "800")
    outs = provider.create(fake, clients, quantity=2)
    first = list(outs["phoneNumbers"])
    [portal] = fake.add_purchased("US", "tollFree", 1, **KIND)
    news = props(fake, quantity=4, adoptNumbers=[portal])

    assert PhoneNumberPoolProvider().diff("pool", outs, news).changes is True
    grown = provider.update(outs, news, clients)

    assert fake.calls["get"] == 1
    assert [s["quantity"] for s in fake.searches] == [2, 1]  # only what adoption left missing
    [bought] = [n for n in fake.purchased if n not in [*first, portal]]
    assert grown["phoneNumbers"] == [*first, portal, bought]
    # Listed again on a later run: held already, so no change.
    assert PhoneNumberPoolProvider().diff("pool", grown, news).changes is False


def test_a_newly_listed_number_with_the_quantity_unchanged_is_refused_and_nothing_is_released(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 2, "800")
    outs = provider.create(fake, clients, quantity=2)
    [portal] = fake.add_purchased("US", "tollFree", 1, **KIND)
    news = props(fake, quantity=2, adoptNumbers=[portal])

    # A number listed that the pool does not hold is a change even at the same quantity: the update says why not.
    assert PhoneNumberPoolProvider().diff("pool", outs, news).changes is True
    with pytest.raises(PhoneNumberPoolError, match=f"adopting \\{portal} .* more than its quantity 2"):
        provider.update(outs, news, clients)

    assert fake.calls["release"] == fake.calls["search"] - 1 == 0
    assert len(fake.purchased) == 3


def test_an_update_refuses_a_number_of_another_kind_before_releasing_or_buying(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 5, "800")
    outs = provider.create(fake, clients, quantity=2)
    [other] = fake.add_purchased("US", "geographic", 1, **KIND)

    with pytest.raises(PhoneNumberPoolError, match=f"\\{other} is US geographic"):
        provider.update(outs, props(fake, quantity=3, adoptNumbers=[other]), clients)

    assert fake.calls["search"] == 1 and fake.calls["release"] == 0


def test_shrinking_never_releases_a_listed_number(fake, clients, provider):
    fake.add_numbers("US", "tollFree", 5, "800")
    outs = provider.create(fake, clients, quantity=2)
    [portal] = fake.add_purchased("US", "tollFree", 1, **KIND)
    grown = provider.update(outs, props(fake, quantity=3, adoptNumbers=[portal]), clients)
    assert grown["phoneNumbers"][-1] == portal  # the newest

    shrunk = provider.update(grown, props(fake, quantity=2, adoptNumbers=[portal]), clients)

    assert fake.released == [outs["phoneNumbers"][-1]]
    assert shrunk["phoneNumbers"] == [outs["phoneNumbers"][0], portal]


def test_a_replacement_that_would_adopt_numbers_the_old_pool_holds_is_refused_in_the_preview(fake, clients, provider):
    adopted = fake.add_purchased("US", "tollFree", 1, **KIND)
    outs = provider.create(fake, clients, quantity=1, adoptNumbers=adopted)
    news = props(fake, quantity=1, adoptNumbers=adopted, locality="Seattle", allowReplacement=True)

    with pytest.raises(PhoneNumberPoolError, match="then release them with the old one"):
        PhoneNumberPoolProvider().diff("pool", outs, news)
    news.pop("adoptNumbers")
    assert PhoneNumberPoolProvider().diff("pool", outs, news).replaces == ["locality"]


def test_delete_releases_adopted_numbers_like_bought_ones(fake, clients, provider):
    adopted = fake.add_purchased("US", "tollFree", 1, **KIND)
    fake.add_numbers("US", "tollFree", 1, "800")
    outs = provider.create(fake, clients, quantity=2, adoptNumbers=adopted)

    provider.delete(outs, clients)

    assert fake.purchased == {}
    assert sorted(fake.released) == sorted(outs["phoneNumbers"])


# Check and the program's inputs


@pytest.mark.parametrize(
    ("adopt", "quantity", "words"),
    [
        (["18005550100"], 2, "adopt_numbers must list only an E.164 number"),
        (["+08005550100"], 2, "adopt_numbers must list only an E.164 number"),
        (["+1800555010012345"], 2, "adopt_numbers must list only an E.164 number"),
        ([18005550100], 2, "adopt_numbers must list only an E.164 number"),
        ("+18005550100", 2, "adopt_numbers must be a list of E.164 numbers"),
        (["+18005550100", "+18005550100"], 2, "each number once: +18005550100 more than once"),
        (["+18005550100", "+18005550101"], 1, "at most quantity (1) numbers"),
    ],
)
def test_check_refuses_wrong_adopt_numbers_without_calling_the_service(fake, adopt, quantity, words):
    provider = PhoneNumberPoolProvider()

    failures = provider.check({}, props(fake, quantity=quantity, adoptNumbers=adopt)).failures

    assert [(f.property, words in f.reason) for f in failures] == [("adoptNumbers", True)]
    assert sum(fake.calls.values()) == 0


def test_check_accepts_adopt_numbers_up_to_the_quantity(fake):
    provider = PhoneNumberPoolProvider()
    for adopt in (None, [], ["+18005550100"], ["+18005550100", "+442071838750"]):
        assert provider.check({}, props(fake, quantity=2, adoptNumbers=adopt)).failures == []


def test_wrong_adopt_numbers_args_are_refused():
    with pytest.raises(ValueError, match="adopt_numbers must list at most quantity"):
        pool_args(quantity=1, adopt_numbers=["+18005550100", "+18005550101"])


@pytest.mark.parametrize(("adopt", "sent"), [(None, None), ([], None), (["+18005550100"], ["+18005550100"])])
def test_adopt_numbers_is_sent_only_when_it_lists_numbers(adopt, sent):
    def program():
        PhoneNumberPool("support-line", pool_args(adopt_numbers=adopt))

    _urn, _request, inputs = registered_alone(program)

    assert inputs.get("adoptNumbers") == sent
    assert ("adoptNumbers" in inputs) is (sent is not None)


# The stack


def test_a_stack_s_adopt_numbers_reach_the_pool_and_a_pool_without_them_plans_as_before(tmp_path, dev_plan):
    pool = {"name": "sms", "countryCode": "US", "numberType": "tollFree", "sms": "inbound+outbound", "quantity": 3}
    listed = ["+18005550100", "+18005550101"]

    adopting = plan_config(tmp_path, minimal_config(phoneNumbers={"pools": [{**pool, "adoptNumbers": listed}]}))
    plain = plan_config(tmp_path, minimal_config(phoneNumbers={"pools": [pool]}))

    assert one(adopting, PHONE_NUMBER_POOL).inputs["adoptNumbers"] == listed
    assert "adoptNumbers" not in one(plain, PHONE_NUMBER_POOL).inputs
    assert "adoptNumbers" not in one(dev_plan, PHONE_NUMBER_POOL).inputs
