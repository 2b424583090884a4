"""Phone number pools as code: planned from config, protected where the tier says, judged by
the availability table, and never bought by a plan."""

import contextvars
import logging

import pulumi
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime import mocks
from pulumi.runtime.settings import configure
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from components.credentials import connection_string_env
from components.phone_numbers import PhoneNumbers, PhoneNumbersArgs, ProtectedPool
from policies.phone_numbers import offered_online, online_verdict
from policies.resource_types import PHONE_NUMBER_POOL
from providers.numberpools.client import open_client
from stackconfig.phone_numbers import PoolConfig
from tests.fake_phone_numbers import FakePhoneNumbers
from tests.policy_harness import fixture, judge, violations_of
from tests.stacks import ACS, minimal_config, one, plan_config, sources

POOL = {"name": "sms", "countryCode": "US", "numberType": "tollFree", "sms": "inbound+outbound", "quantity": 3}


def test_the_dev_stack_plans_a_toll_free_sms_pool(dev_plan):
    pool = one(dev_plan, PHONE_NUMBER_POOL)
    assert {k: pool.inputs[k] for k in ("countryCode", "numberType", "sms", "calling", "quantity")} == {
        "countryCode": "US",
        "numberType": "tollFree",
        "sms": "inbound+outbound",
        "calling": "none",
        "quantity": 1,
    }
    assert not pool.protect and not pool.retain_on_delete  # dev releases what it buys


def test_prod_pools_are_protected_and_retained_on_delete(prod_plan):
    pools = prod_plan.of_type(PHONE_NUMBER_POOL)
    assert pools and all(p.protect and p.retain_on_delete for p in pools)


def test_a_dev_pool_may_ask_for_protection_and_a_prod_pool_may_give_it_up(tmp_path):
    dev = plan_config(tmp_path, minimal_config("dev", phoneNumbers={"pools": [{**POOL, "protect": True}]}))
    assert one(dev, PHONE_NUMBER_POOL).protect and one(dev, PHONE_NUMBER_POOL).retain_on_delete
    prod = plan_config(tmp_path, minimal_config("prod", phoneNumbers={"pools": [{**POOL, "protect": False}]}))
    assert not one(prod, PHONE_NUMBER_POOL).protect


def test_the_pool_talks_to_its_instance_endpoint_and_uses_a_connection_string_only_with_local_auth(tmp_path):
    entra = plan_config(tmp_path, minimal_config(phoneNumbers={"pools": [POOL]}))
    pool = one(entra, PHONE_NUMBER_POOL)
    assert sources(pool, "endpoint") == [one(entra, ACS).urn]
    assert pool.inputs.get("connectionStringEnv") is None
    keys = plan_config(tmp_path, minimal_config(disableLocalAuth=False, phoneNumbers={"pools": [POOL]}))
    assert one(keys, PHONE_NUMBER_POOL).inputs["connectionStringEnv"] == "ACS_CONNECTION_STRING_ACS_TEST_EU"


def test_the_pools_numbers_are_an_output(tmp_path):
    plan = plan_config(tmp_path, minimal_config(phoneNumbers={"pools": [POOL]}))
    assert plan.outputs["instances"]["acs-test-eu"]["phoneNumbers"] == {"sms": "[unknown]"}


def test_connection_string_variables_are_named_after_the_instance():
    assert connection_string_env("acs-contoso_dev.eu") == "ACS_CONNECTION_STRING_ACS_CONTOSO_DEV_EU"


def pool(name: str, **inputs):
    base = {"countryCode": "US", "numberType": "tollFree", "sms": "inbound+outbound", "calling": "none", "quantity": 1}
    return fixture(PHONE_NUMBER_POOL, name, {**base, **inputs})


@pytest.fixture(scope="module")
def verdicts():
    return judge(
        [
            pool("us-tollfree-sms"),
            pool("us-geographic", numberType="geographic", calling="inbound+outbound"),
            pool("gb-geographic", countryCode="GB", numberType="geographic", sms="none", calling="inbound+outbound"),
            pool("au-tollfree-sms", countryCode="AU"),
            pool("au-tollfree-inbound", countryCode="AU", sms="none", calling="inbound"),
            pool("mx-tollfree", countryCode="MX", sms="none", calling="inbound"),
        ],
        {"all": "mandatory", "phone-number-availability": {"billingCountry": "US"}},
    )


@pytest.mark.parametrize(
    ("resource", "words"),
    [
        ("us-tollfree-sms", None),
        ("us-geographic", None),
        ("mx-tollfree", None),  # Mexico's toll-free numbers are sold to US billing addresses
        ("gb-geographic", "geographic numbers in GB are not sold to billing country US"),
        ("au-tollfree-sms", "tollFree numbers in AU are not sold to billing country US"),
    ],
)
def test_pools_are_judged_against_the_dated_availability_table(verdicts, resource, words):
    found = violations_of(verdicts, "phone-number-availability", resource)
    assert [words in v.message for v in found] == ([True] if words else [])


def test_capabilities_beyond_what_is_sold_are_refused():
    verdicts = judge(
        [pool("au-sms", countryCode="AU", sms="outbound", calling="inbound")],
        {"all": "mandatory", "phone-number-availability": {"billingCountry": "AU"}},
    )
    [violation] = violations_of(verdicts, "phone-number-availability", "au-sms")
    assert "offer sms 'none' and calling 'inbound'; the pool asks for sms 'outbound'" in violation.message


def test_more_pools_than_weekly_searches_is_a_violation():
    verdicts = judge([pool(f"pool-{i}") for i in range(6)])
    [violation] = violations_of(verdicts, "phone-number-purchase-limits")
    assert violation.message == "6 phone number pools need 6 searches; a tenant may make 5 a week."
    assert violations_of(judge([pool(f"pool-{i}") for i in range(5)]), "phone-number-purchase-limits") == []


def test_the_online_mode_asks_azure_what_it_offers_this_subscription(certificate, credential):
    with FakePhoneNumbers(*certificate) as fake:
        fake.offerings["GB"] = [
            {
                "phoneNumberType": "geographic",
                "assignmentType": "application",
                "availableCapabilities": {"sms": "none", "calling": "inbound+outbound"},
            }
        ]

        def factory(endpoint, connection_string_env):
            return open_client(endpoint, connection_string_env, credential, connection_verify=str(certificate[0]))

        offered = offered_online(fake.url, "GB", "geographic", "application", client_factory=factory)
        assert offered == [("none", "inbound+outbound")]
        assert offered_online(fake.url, "GB", "tollFree", "application", client_factory=factory) == []
        assert fake.calls["offerings"] == 2
    assert online_verdict("gb", "numbers", "none", "inbound", offered) == ""
    refusal = online_verdict("gb", "application geographic numbers in GB", "outbound", "inbound", offered)
    assert refusal.startswith("gb: Azure offers no application geographic numbers in GB with sms 'outbound'")


class PendingPurchaseMocks(mocks.Mocks):
    """An `up` whose pool purchase was not seen to end: the provider kept its numbers as pending."""

    def new_resource(self, args: mocks.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ == PHONE_NUMBER_POOL:
            state["phoneNumbers"] = []
            state["pendingPurchase"] = {
                "searchId": "search-1",
                "numbers": ["+18005550001"],
                "requestedAt": "2026-11-30T00:00:02Z",
                "searchExpiresBy": "2026-11-30T00:14:02Z",
                "operationId": None,
            }
        return f"{args.name}-id", state

    def call(self, args: mocks.MockCallArgs):
        return {}, []


def run_up(program, mocks_: mocks.Mocks) -> None:
    """Runs `program` as `pulumi up` would (not a preview), under `mocks_`, in a fresh context."""

    def run() -> None:
        monitor = mocks.MockMonitor(mocks_)
        configure(
            mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures),
                engine=mocks.MockEngine(logging.getLogger("test")),
                project="acs-platform",
                stack="test",
                dry_run=False,
                organization="organization",
                callbacks=None,
            )
        )
        _sync_await(run_in_stack(program))

    contextvars.Context().run(run)


def test_an_up_whose_purchase_is_pending_ends_in_an_error_naming_the_numbers():
    def program():
        PhoneNumbers(
            "numbers-acs-test-eu",
            PhoneNumbersArgs(
                instance="acs-test-eu",
                endpoint="https://acs-test-eu.communication.azure.com",
                local_auth=False,
                pools=[ProtectedPool(PoolConfig.model_validate(POOL), protected=True)],
            ),
        )

    with pytest.raises(pulumi.RunError) as raised:
        run_up(program, PendingPurchaseMocks())

    assert str(raised.value).startswith(
        "phone number pool 'sms' of acs-test-eu: the outcome of purchasing +18005550001 (search search-1, "
        "requested 2026-11-30T00:00:02Z) was not seen before the deadline"
    )
    assert "run `pulumi up` again later" in str(raised.value)


def test_an_up_whose_purchases_settled_ends_without_error():
    class Settled(PendingPurchaseMocks):
        def new_resource(self, args):
            name, state = super().new_resource(args)
            return name, {**state, "pendingPurchase": None}

    run_up(
        lambda: PhoneNumbers(
            "numbers-acs-test-eu",
            PhoneNumbersArgs(
                "acs-test-eu",
                "https://acs-test-eu.communication.azure.com",
                False,
                [ProtectedPool(PoolConfig.model_validate(POOL), protected=True)],
            ),
        ),
        Settled(),
    )
