"""Key rotation: the schedule's arithmetic, and the provider through the real SDK against a local ARM."""

import datetime as dt
import ssl
import urllib.error
import urllib.request

import pulumi
import pytest
from google.protobuf import json_format

from preflight.runner import record_preview
from providers.arm import parse_resource_id
from providers.keyrotation.keys import KeyRotationError
from providers.keyrotation.resource import AcsKeyRotation, AcsKeyRotationArgs, AcsKeyRotationProvider
from providers.retry import RETRY_TOTAL
from stackconfig.rotation import RotationSchedule
from tests.fake_arm import FakeArm

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
SERVICES = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-acs/providers/Microsoft.Communication/communicationServices"
)
START = dt.date(2025, 1, 1)
SCHEDULE = RotationSchedule(START, 30)


# The schedule


@pytest.mark.parametrize(
    ("today", "generation"),
    [
        (START, 0),
        (START + dt.timedelta(days=29), 0),
        (START + dt.timedelta(days=30), 1),
        (START + dt.timedelta(days=59), 1),
        (START + dt.timedelta(days=60), 2),
        (START + dt.timedelta(days=365), 12),
    ],
)
def test_a_generation_starts_on_each_due_date(today, generation):
    assert SCHEDULE.generation(today) == generation
    assert SCHEDULE.due(generation) <= today < SCHEDULE.due(generation + 1)


def test_before_the_start_date_it_is_generation_zero():
    assert SCHEDULE.generation(START - dt.timedelta(days=1)) == 0
    assert SCHEDULE.generation(START - dt.timedelta(days=400)) == 0
    assert SCHEDULE.generation(START - dt.timedelta(days=400), extra_rotations=1) == 1


def test_extra_rotations_move_the_generation_on():
    today = START + dt.timedelta(days=45)
    assert [SCHEDULE.generation(today, extra) for extra in (0, 1, 2)] == [1, 2, 3]
    with pytest.raises(ValueError, match="cannot be negative"):
        SCHEDULE.generation(today, extra_rotations=-1)


def test_the_active_key_alternates():
    assert [RotationSchedule.active_key(g) for g in range(5)] == [
        "Primary",
        "Secondary",
        "Primary",
        "Secondary",
        "Primary",
    ]


def test_a_secret_expires_when_generation_plus_two_starts_at_midnight_utc():
    assert SCHEDULE.due(2) == dt.date(2025, 3, 2)
    assert SCHEDULE.expires(0) == int(dt.datetime(2025, 3, 2, tzinfo=dt.UTC).timestamp()) == 1740873600
    assert SCHEDULE.expires(1) - SCHEDULE.expires(0) == 30 * 86400


def test_a_secret_written_on_any_day_lives_more_than_one_period_and_at_most_two():
    for offset in range(100):
        today = START + dt.timedelta(days=offset)
        midnight = dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC).timestamp()
        lifetime = SCHEDULE.expires(SCHEDULE.generation(today)) - midnight
        assert 30 * 86400 < lifetime <= 60 * 86400, today


def test_the_same_date_gives_the_same_generation_and_expiry():
    today = dt.date(2025, 7, 14)
    again = RotationSchedule(dt.date(2025, 1, 1), 30)
    assert again == SCHEDULE
    assert again.generation(today, 1) == SCHEDULE.generation(today, 1)
    assert again.expires(again.generation(today)) == SCHEDULE.expires(SCHEDULE.generation(today))


def test_a_schedule_needs_a_period_of_a_day_or_more_and_a_date():
    with pytest.raises(ValueError, match="period_days"):
        RotationSchedule(START, 0)
    with pytest.raises(TypeError, match="start must be a date"):
        RotationSchedule(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), 30)


# Resource ids


def test_a_resource_id_gives_subscription_group_and_name():
    resource_id = f"{SERVICES}/acs-eu"
    assert parse_resource_id(resource_id) == (SUBSCRIPTION, "rg-acs", "acs-eu")
    # ARM hands ids back in other casings too.
    assert parse_resource_id(resource_id.replace("resourceGroups", "resourcegroups")) == (
        SUBSCRIPTION,
        "rg-acs",
        "acs-eu",
    )


@pytest.mark.parametrize(
    "resource_id",
    [
        "",
        "acs-eu",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-acs",
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-acs/providers/Microsoft.Communication/emailServices/mail",
        f"{SERVICES}/",
        f"{SERVICES}/acs/x",
    ],
)
def test_a_malformed_resource_id_is_refused(resource_id):
    with pytest.raises(ValueError, match="not an ACS resource id"):
        parse_resource_id(resource_id)


# The provider through the SDK, against a local ARM


@pytest.fixture
def service(arm) -> str:
    return arm.add_service(SUBSCRIPTION, "rg-acs", "acs-eu")


def props(arm: FakeArm, service: str, generation: int) -> dict:
    return {"communicationServiceId": service, "generation": generation, "armEndpoint": arm.url}


def state(arm: FakeArm, service: str, generation: int) -> dict:
    """The inputs of a generation with what its state holds after a create: its active key."""
    return {**props(arm, service, generation), "activeKey": RotationSchedule.active_key(generation)}


def accesskey(connection_string: str) -> str:
    return connection_string.split(";accesskey=", 1)[1]


@pytest.mark.parametrize(("generation", "key_type"), [(0, "Primary"), (7, "Secondary")])
def test_create_reads_the_active_key_and_regenerates_nothing(arm, service, clients, credential, generation, key_type):
    keys_before = {k: arm.key(service, k) for k in ("Primary", "Secondary")}

    result = AcsKeyRotationProvider().create_with(props(arm, service, generation), clients)

    assert result.id == service
    assert result.outs == {
        **props(arm, service, generation),
        "activeKey": key_type,
        "connectionString": f"endpoint=https://acs-eu.communication.azure.com/;accesskey={keys_before[key_type]}",
    }
    assert arm.calls == {"listKeys": 1}
    assert {k: arm.key(service, k) for k in ("Primary", "Secondary")} == keys_before
    # The token is asked for the endpoint's own audience.
    assert credential.scopes == [f"{arm.url}/.default"]


def test_each_new_generation_regenerates_exactly_the_key_that_becomes_active(arm, service, clients):
    provider = AcsKeyRotationProvider()
    state = provider.create_with(props(arm, service, 0), clients).outs
    for generation, rotated, kept in ((1, "Secondary", "Primary"), (2, "Primary", "Secondary")):
        before = {k: arm.key(service, k) for k in ("Primary", "Secondary")}
        regenerations = arm.calls["regenerateKey"]

        state = provider.update_with(state, props(arm, service, generation), clients).outs

        assert arm.calls["regenerateKey"] == regenerations + 1
        assert arm.regenerated[-1] == rotated
        assert arm.key(service, kept) == before[kept]
        assert arm.key(service, rotated) != before[rotated]
        assert state["activeKey"] == rotated
        assert state["generation"] == generation
        assert accesskey(state["connectionString"]) == arm.key(service, rotated)


def test_a_jump_of_several_generations_still_regenerates_the_standby_key_only(arm, service, clients):
    provider = AcsKeyRotationProvider()
    state = provider.create_with(props(arm, service, 4), clients).outs  # Primary in the secret
    in_use = arm.key(service, "Primary")

    state = provider.update_with(state, props(arm, service, 6), clients).outs  # a missed due date

    assert arm.regenerated == ["Secondary"]
    assert arm.key(service, "Primary") == in_use  # what apps hold keeps working
    assert state["activeKey"] == "Secondary"
    assert accesskey(state["connectionString"]) == arm.key(service, "Secondary")


@pytest.mark.parametrize(("old", "new", "key_type"), [(3, 3, "Secondary"), (3.0, 3, "Secondary"), (4, 3, "Secondary")])
def test_an_unchanged_or_lower_generation_only_reads(arm, service, clients, old, new, key_type):
    # The state hands numbers back as floats: 3.0 is the same generation as 3.
    olds = {**props(arm, service, old), "activeKey": key_type}
    result = AcsKeyRotationProvider().update_with(olds, props(arm, service, new), clients)

    assert arm.calls == {"listKeys": 1}
    assert result.outs["activeKey"] == key_type
    assert accesskey(result.outs["connectionString"]) == arm.key(service, key_type)


def test_only_the_service_and_the_generation_make_a_diff(arm, service):
    provider = AcsKeyRotationProvider()
    olds = {**props(arm, service, 3.0), "activeKey": "Secondary", "connectionString": "endpoint=..."}

    unchanged = provider.diff(service, olds, props(arm, service, 3))
    assert (unchanged.changes, unchanged.replaces) == (False, [])
    assert provider.diff(service, olds, {**props(arm, service, 3), "armEndpoint": "https://x"}).changes is False

    rotated = provider.diff(service, olds, props(arm, service, 4))
    assert (rotated.changes, rotated.replaces) == (True, [])

    other = provider.diff(service, olds, props(arm, service.replace("acs-eu", "acs-us"), 3))
    assert (other.changes, other.replaces) == (True, ["communicationServiceId"])


def test_a_429_with_retry_after_is_retried_after_the_time_it_asks(arm, service, clients, clock):
    arm.fail_next("regenerateKey", 429, retry_after=9)

    result = AcsKeyRotationProvider().update_with(state(arm, service, 0), props(arm, service, 1), clients)

    # Without Retry-After the first retry would come at once: the wait is the header's.
    assert clock.slept == [9]
    assert arm.calls["regenerateKey"] == 2
    assert accesskey(result.outs["connectionString"]) == arm.key(service, "Secondary")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_without_retry_after_are_retried(arm, service, clients, status):
    arm.fail_next("regenerateKey", status)

    result = AcsKeyRotationProvider().update_with(state(arm, service, 0), props(arm, service, 1), clients)

    assert arm.calls["regenerateKey"] == 2
    assert accesskey(result.outs["connectionString"]) == arm.key(service, "Secondary")


@pytest.mark.parametrize(
    ("action", "step", "key_type", "run"),
    [
        ("listKeys", "reading", "Primary", lambda p, arm, s, c: p.create_with(props(arm, s, 0), c)),
        (
            "regenerateKey",
            "regenerating",
            "Secondary",
            lambda p, arm, s, c: p.update_with(state(arm, s, 0), props(arm, s, 1), c),
        ),
    ],
)
def test_when_retries_run_out_the_error_names_the_resource_key_and_step(
    arm, service, clients, action, step, key_type, run
):
    arm.fail_next(action, 503, times=10)

    with pytest.raises(KeyRotationError) as raised:
        run(AcsKeyRotationProvider(), arm, service, clients)

    assert arm.calls[action] == RETRY_TOTAL + 1
    message = str(raised.value)
    assert message.startswith(f"{step} the {key_type} key of ACS resource 'acs-eu' (resource group 'rg-acs') failed")
    assert "HTTP 503 Service Unavailable" in message


def test_a_lost_answer_to_a_regeneration_is_retried_and_the_key_now_held_returned(arm, service, clients):
    arm.apply_then_fail(500)

    result = AcsKeyRotationProvider().update_with(state(arm, service, 0), props(arm, service, 1), clients)

    # The retry regenerated the key again: the answer carries the key the service holds, not the lost one.
    assert arm.regenerated == ["Secondary", "Secondary"]
    assert accesskey(result.outs["connectionString"]) == arm.key(service, "Secondary")


def test_an_update_that_failed_after_regenerating_completes_on_the_next_run(arm, service, clients):
    provider = AcsKeyRotationProvider()
    state = provider.create_with(props(arm, service, 0), clients).outs
    arm.apply_then_fail(500, times=RETRY_TOTAL + 1)

    with pytest.raises(KeyRotationError, match="regenerating the Secondary key of ACS resource 'acs-eu'"):
        provider.update_with(state, props(arm, service, 1), clients)
    # The key changed on the service, but Pulumi keeps the old state: the secret still holds the
    # Primary key, which stays valid.
    assert arm.regenerated == ["Secondary"] * (RETRY_TOTAL + 1)
    assert accesskey(state["connectionString"]) == arm.key(service, "Primary")

    result = provider.update_with(state, props(arm, service, 1), clients)

    assert accesskey(result.outs["connectionString"]) == arm.key(service, "Secondary")
    assert result.outs["activeKey"] == "Secondary"


def test_an_unknown_resource_is_a_clear_error_without_retries(arm, clients):
    missing = f"{SERVICES}/acs-gone"

    with pytest.raises(KeyRotationError) as raised:
        AcsKeyRotationProvider().create_with(props(arm, missing, 0), clients)

    assert str(raised.value).startswith("reading the Primary key of ACS resource 'acs-gone' (resource group 'rg-acs')")
    assert "ResourceNotFound" in str(raised.value)
    assert arm.calls == {"listKeys": 1}


def test_a_malformed_service_id_fails_before_any_call(arm, clients):
    with pytest.raises(ValueError, match="not an ACS resource id"):
        AcsKeyRotationProvider().create_with(props(arm, "acs-eu", 0), clients)
    assert arm.calls == {}


def test_the_fake_refuses_a_request_without_a_bearer_token(arm, service, certificate):
    request = urllib.request.Request(f"{arm.url}{service}/listKeys?api-version=2025-09-01", data=b"", method="POST")
    context = ssl.create_default_context(cafile=str(certificate[0]))

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, context=context, timeout=5)

    assert raised.value.code == 401


# The resource


def test_the_resource_registers_camel_case_inputs_and_a_secret_connection_string():
    rotations = []

    def program():
        rotations.append(
            AcsKeyRotation(
                "acs-eu-keys",
                AcsKeyRotationArgs(communication_service_id=f"{SERVICES}/acs-eu", generation=4),
                pulumi.ResourceOptions(protect=True),
            )
        )

    monitor = record_preview(program, "acs-platform", "test")

    [(urn, request)] = [(u, r) for u, r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
    assert request.type == "pulumi-python:dynamic/keyrotation:AcsKeyRotation"
    inputs = json_format.MessageToDict(request.object)
    assert {k: v for k, v in inputs.items() if k != "__provider"} == {
        "communicationServiceId": f"{SERVICES}/acs-eu",
        "generation": 4,
        "armEndpoint": "https://management.azure.com",
    }
    assert list(request.additionalSecretOutputs) == ["connectionString"]
    assert request.protect  # the caller's options are kept
    assert urn.endswith("::acs-eu-keys")
    [rotation] = rotations
    assert all(
        isinstance(o, pulumi.Output) for o in (rotation.connection_string, rotation.active_key, rotation.generation)
    )


def test_a_negative_generation_is_refused():
    with pytest.raises(ValueError, match="generation"):
        AcsKeyRotationArgs(communication_service_id="id", generation=-1)
