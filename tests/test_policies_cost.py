"""monthly-cost-budget: the number leases a plan commits to, within the stack's budget.

Judged through the real pack (tests/policy_harness.py), and through `preflight check` on the committed
prod stack with one pool's quantity grown from 2 to 1000, the most a pool may ask for."""

import json
from pathlib import Path

import yaml

from policies.cost_model import price_table
from policies.resource_types import PHONE_NUMBER_POOL
from preflight.__main__ import main
from tests.policy_harness import fixture, judge, violations_of

REPO = Path(__file__).resolve().parent.parent
POLICY = "monthly-cost-budget"
PROD = json.loads((REPO / "policies" / "config" / "prod.json").read_text(encoding="utf-8"))
DEV = json.loads((REPO / "policies" / "config" / "dev.json").read_text(encoding="utf-8"))
TOLL_FREE = price_table().rows["lease/US/tollFree"].price


def pool(name: str, quantity: int, country: str = "US", number_type: str = "tollFree"):
    return fixture(
        PHONE_NUMBER_POOL,
        name,
        {
            "countryCode": country,
            "numberType": number_type,
            "sms": "inbound+outbound",
            "calling": "none",
            "quantity": quantity,
        },
    )


def test_the_budgets_of_the_committed_configs():
    assert PROD[POLICY] == {"enforcementLevel": "mandatory", "monthlyBudget": 100}
    assert DEV[POLICY] == {"enforcementLevel": "advisory", "monthlyBudget": 25}


def test_pools_within_the_budget_pass():
    # 2 + 40 toll-free numbers at 2.00: 84.00 a month, within prod's 100.
    assert violations_of(judge([pool("support", 2), pool("alerts", 40)], PROD), POLICY) == []


def test_a_pool_grown_past_the_budget_fails_naming_the_pools_that_weigh_most():
    verdicts = judge([pool("support", 1000), pool("alerts", 5), pool("marketing", 30)], PROD)
    [violation] = violations_of(verdicts, POLICY)
    assert violation.enforcement_level == "mandatory"
    assert violation.resource_name == "support"
    total = (1000 + 5 + 30) * TOLL_FREE
    assert violation.message.startswith(
        f"the plan commits USD {total:,.2f} a month in number leases (prices of 2026-12-01), "
        "over the budget of USD 100.00; weighing most: "
        "support: 1,000 x phone number lease: US toll-free at USD 2.00 = USD 2,000.00 (lease/US/tollFree); "
        "marketing: 30 x phone number lease: US toll-free at USD 2.00 = USD 60.00 (lease/US/tollFree); "
        "alerts: 5 x"
    )


def test_the_number_of_lines_named_is_configurable():
    config = {**PROD, POLICY: {**PROD[POLICY], "heaviestLines": 1}}
    [violation] = violations_of(judge([pool("support", 1000), pool("alerts", 5)], config), POLICY)
    assert "support: 1,000 x" in violation.message and "alerts" not in violation.message


def test_dev_only_advises():
    [violation] = violations_of(judge([pool("sms-tollfree", 20)], DEV), POLICY)
    assert violation.enforcement_level == "advisory"
    assert "over the budget of USD 25.00" in violation.message
    assert violations_of(judge([pool("sms-tollfree", 1)], DEV), POLICY) == []


def test_a_pool_without_a_price_is_reported_never_counted_as_zero():
    # Mexico's toll-free numbers are sold (phone-number-availability) but have no lease price in the table.
    [violation] = violations_of(judge([pool("mx", 1, country="MX")], PROD), POLICY)
    assert violation.resource_name == "mx"
    assert violation.message.startswith(
        "mx: phone number lease: MX toll-free has no price in the table of 2026-12-01 (lease/MX/tollFree)"
    )


def check_prod(capsys, stacks_dir: Path | None = None) -> tuple[int, dict]:
    arguments = ["--stacks-dir", str(stacks_dir)] if stacks_dir else []
    code = main(["check", "--stack", "prod", "--format", "json", *arguments])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


def test_the_prod_gate_fails_when_the_support_pool_grows_from_2_to_1000(tmp_path, capsys):
    committed = (REPO / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    code, result = check_prod(capsys)
    assert (code, [v for v in result["violations"] if v["policy"] == POLICY]) == (0, [])

    document = yaml.safe_load(committed)
    us = next(i for i in document["config"]["acs-platform:instances"] if i["name"] == "acs-contoso-prod-us")
    [support] = us["phoneNumbers"]["pools"]
    assert support["quantity"] == 2
    support["quantity"] = 1000
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    code, result = check_prod(capsys, tmp_path)
    assert code == 1
    [violation] = [v for v in result["violations"] if v["policy"] == POLICY]
    assert violation["enforcementLevel"] == "mandatory"
    assert violation["resourceName"] == "acs-contoso-prod-us-numbers-support"
    assert "acs-contoso-prod-us-numbers-support: 1,000 x phone number lease: US toll-free" in violation["message"]
    assert "over the budget of USD 100.00" in violation["message"]
