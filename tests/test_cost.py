"""The monthly cost estimate (`python -m preflight cost`): the committed stacks priced by hand from the
table, unknown prices reported as unknown, the JSON contract, the price table itself, and bad input."""

import json

import pytest
import yaml

from policies.cost_model import (
    TABLE,
    PriceTableError,
    fixed_lines,
    parse_table,
    price_table,
    usage_lines,
)
from policies.resource_types import PHONE_NUMBER_POOL
from preflight import cost
from preflight.__main__ import main
from preflight.plan import Plan, PlannedResource
from stackconfig.loader import validate_stack_config
from tests.stacks import minimal_config, write_stack

PRICE = {row_id: row.price for row_id, row in price_table().rows.items()}
POOL = {"name": "sms", "countryCode": "US", "numberType": "tollFree", "sms": "inbound+outbound", "quantity": 3}


def run_cost(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["cost", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def estimate_json(capsys, stack: str, *argv: str) -> dict:
    code, out, err = run_cost(capsys, "--stack", stack, "--format", "json", *argv)
    assert code == 0, err
    return json.loads(out)


# --- the committed stacks, priced by hand from the table --------------------------------------


def test_the_prod_estimate_is_what_the_table_gives_by_hand(capsys):
    estimate = estimate_json(capsys, "prod")
    us = (
        2 * PRICE["lease/US/tollFree"]
        + 40000 * (PRICE["sms/US/tollFree/outbound"] + PRICE["sms-surcharge/US/tollFree/outbound"])
        + 8000 * (PRICE["sms/US/tollFree/inbound"] + PRICE["sms-surcharge/US/tollFree/inbound"])
        + 6000 * PRICE["pstn/US/tollFree/inbound"]
        + 1500 * PRICE["pstn/US/tollFree/outbound"]
    )
    # 2 x 2.00 + 40,000 x (0.0075 + 0.0025) + 8,000 x (0.0075 + 0.0010) + 6,000 x 0.022 + 1,500 x 0.013
    assert us == pytest.approx(623.50)
    # Email: 150,000 messages of 40 KB from the US instance, 200,000 of 60 KB from the EU one.
    us += 150000 * PRICE["email/message"] + 150000 * 40 / 1024 * PRICE["email/data"]
    eu = 200000 * PRICE["email/message"] + 200000 * 60 / 1024 * PRICE["email/data"]
    assert (us, eu) == (pytest.approx(623.50 + 37.50 + 0.703125), pytest.approx(50 + 1.40625))
    instances = {i["name"]: i for i in estimate["instances"]}
    assert instances["acs-contoso-prod-eu"] == {
        "name": "acs-contoso-prod-eu",
        "monthly": pytest.approx(eu),
        "known": pytest.approx(eu),
        "unknownLines": 0,
    }
    assert instances["acs-contoso-prod-us"] == {
        "name": "acs-contoso-prod-us",
        "monthly": pytest.approx(us),
        "known": pytest.approx(us),
        "unknownLines": 0,
    }
    # The workspace, the vault and the storage account have no price in the table.
    assert estimate["total"] == {"monthly": None, "known": pytest.approx(us + eu, abs=1e-4), "unknownLines": 3}
    assert instances["shared"]["unknownLines"] == 3
    lease = next(line for line in estimate["lines"] if line["kind"] == "fixed")
    assert lease == {
        "instance": "acs-contoso-prod-us",
        "resource": "acs-contoso-prod-us-numbers-support",
        "item": "phone number lease: US toll-free",
        "kind": "fixed",
        "quantity": 2,
        "unit": "number-month",
        "unitPrice": 2.0,
        "monthly": 4,
        "source": "lease/US/tollFree",
    }


def test_the_dev_estimate_is_what_the_table_gives_by_hand(capsys):
    estimate = estimate_json(capsys, "dev")
    dev = (
        1 * PRICE["lease/US/tollFree"]
        + 2000 * (PRICE["sms/US/tollFree/outbound"] + PRICE["sms-surcharge/US/tollFree/outbound"])
        + 500 * (PRICE["sms/US/tollFree/inbound"] + PRICE["sms-surcharge/US/tollFree/inbound"])
    )
    assert dev == pytest.approx(2 + 20 + 4.25)
    email = 5000 * PRICE["email/message"] + 5000 * 40 / 1024 * PRICE["email/data"]
    assert email == pytest.approx(1.25 + 0.0234375)
    assert estimate["total"]["known"] == pytest.approx(dev + email, abs=1e-4)  # the JSON keeps 4 decimals
    by_source = {line["source"]: line for line in estimate["lines"]}
    assert by_source["email/data"]["quantity"] == pytest.approx(5000 * 40 / 1024)
    assert by_source["email/message"]["monthly"] == pytest.approx(1.25)


def test_the_json_follows_the_contract_the_pull_request_comment_reads(capsys):
    estimate = estimate_json(capsys, "prod")
    assert list(estimate) == ["stack", "project", "currency", "pricesReadOn", "total", "instances", "lines"]
    assert (estimate["stack"], estimate["project"], estimate["currency"]) == ("prod", "acs-platform", "USD")
    assert estimate["pricesReadOn"] == price_table().as_of == "2026-12-01"
    assert [i["name"] for i in estimate["instances"]] == ["acs-contoso-prod-eu", "acs-contoso-prod-us", "shared"]
    keys = ["instance", "resource", "item", "kind", "quantity", "unit", "unitPrice", "monthly", "source"]
    for line in estimate["lines"]:
        assert list(line) == keys
        assert line["kind"] in ("fixed", "usage")
        assert (line["unitPrice"] is None) == (line["monthly"] is None)
        assert line["resource"] is not None or line["kind"] == "usage"


# --- unknown is unknown, never zero -------------------------------------------------------------


def table_without(*row_ids: str, currency: dict[str, str] | None = None):
    document = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    document["prices"] = [row for row in document["prices"] if row["id"] not in row_ids]
    for row in document["prices"]:
        row["currency"] = (currency or {}).get(row["id"], row["currency"])
    return parse_table(document)


def test_a_pool_whose_lease_has_no_price_is_unknown_and_the_total_incomplete():
    table = table_without("lease/US/tollFree")
    [line] = fixed_lines([(PHONE_NUMBER_POOL, "pool", POOL, "acs-test")], table)
    assert (line.unit_price, line.monthly, line.quantity, line.source) == (None, None, 3, "lease/US/tollFree")
    [priced] = fixed_lines([(PHONE_NUMBER_POOL, "pool", POOL, "acs-test")])
    assert priced.monthly == pytest.approx(3 * PRICE["lease/US/tollFree"])


def test_a_price_in_another_currency_is_unknown_not_converted():
    table = table_without(currency={"sms/US/tollFree/outbound": "EUR"})
    usage = {"sms": [{"country": "US", "numberType": "tollFree", "direction": "outbound", "segments": 100}]}
    fee, surcharge = usage_lines("acs-test", usage, table)
    assert fee.monthly is None and fee.source == "sms/US/tollFree/outbound"
    assert surcharge.monthly == pytest.approx(100 * PRICE["sms-surcharge/US/tollFree/outbound"])


def test_unknown_lines_are_named_in_text_and_markdown(tmp_path, capsys):
    config = minimal_config(
        expectedMonthlyUsage={
            "pstnMinutes": [{"country": "FR", "numberType": "tollFree", "direction": "inbound", "minutes": 10}],
        }
    )
    write_stack(tmp_path, "test", config)
    code, text, err = run_cost(capsys, "--stack", "test", "--stacks-dir", str(tmp_path))
    assert code == 0, err
    assert "PSTN minutes: FR toll-free, inbound (pstn/FR/tollFree/inbound)" in text
    assert "Total per month: incomplete: USD 0.00 known, 3 lines unknown" in text
    out = tmp_path / "cost.md"
    code, _, err = run_cost(
        capsys, "--stack", "test", "--stacks-dir", str(tmp_path), "--format", "markdown", "--out", str(out)
    )
    assert code == 0, err
    markdown = out.read_text(encoding="utf-8")
    assert "| acs-test-eu | usage | PSTN minutes: FR toll-free, inbound | 10 | minute | unknown | unknown |" in markdown
    assert "The total is incomplete: 3 line(s)" in markdown


def test_a_stack_with_every_price_known_has_a_total():
    table = table_without()
    usage = {"sms": [{"country": "US", "numberType": "tollFree", "direction": "inbound", "segments": 10}]}
    lines = fixed_lines([(PHONE_NUMBER_POOL, "pool", POOL, "i")], table) + usage_lines("i", usage, table)
    assert all(line.monthly is not None for line in lines)
    assert sum(line.monthly for line in lines) == pytest.approx(3 * 2.0 + 10 * (0.0075 + 0.0010))


# --- the table ----------------------------------------------------------------------------------


def test_every_row_is_dated_sourced_and_in_the_tables_currency():
    document = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    table = price_table()
    assert len(table.rows) == len(document["prices"])
    for row in table.rows.values():
        assert row.currency == "USD" and row.read == "2026-12-01"
        assert row.url.startswith(("https://learn.microsoft.com/", "https://github.com/Azure/"))
    for source in document["sources"].values():
        assert len(source["commit"]) == 40


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda row: row.pop("source"), "prices[0] lacks source"),
        (lambda row: row.update(source="somewhere"), "cites source 'somewhere', not in sources"),
        (lambda row: row.update(price="two"), "price 'two' is not a number >= 0"),
        (lambda row: row.update(price=-1), "price -1 is not a number >= 0"),
    ],
)
def test_a_malformed_row_is_refused_with_its_place(change, problem):
    document = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    change(document["prices"][0])
    with pytest.raises(PriceTableError) as raised:
        parse_table(document)
    assert problem in str(raised.value)


# --- bad input: exit 2 with the key, the value and what is allowed ---------------------------


@pytest.mark.parametrize(
    ("usage", "problem"),
    [
        (
            {"sms": [{"country": "US", "numberType": "tollFree", "direction": "sideways", "segments": 1}]},
            "acs-platform:instances[0].expectedMonthlyUsage.sms[0].direction: 'sideways' is not allowed; "
            "allowed: 'inbound' or 'outbound'",
        ),
        (
            {"email": {"messages": -5, "averageSizeKb": 40}},
            "acs-platform:instances[0].expectedMonthlyUsage.email.messages: -5 must be 0 to 1000000000 emails",
        ),
        (
            {"pstnMinutes": [{"country": "usa", "numberType": "tollFree", "direction": "inbound", "minutes": 1}]},
            "acs-platform:instances[0].expectedMonthlyUsage.pstnMinutes[0].country: 'usa' must be an ISO 3166",
        ),
        (
            {"smss": []},
            "acs-platform:instances[0].expectedMonthlyUsage.smss: unknown key (did you mean sms?)",
        ),
        (
            {
                "sms": [
                    {"country": "US", "numberType": "tollFree", "direction": "inbound", "segments": 1},
                    {"country": "US", "numberType": "tollFree", "direction": "inbound", "segments": 2},
                ]
            },
            "has the entry (country, numberType, direction) 'US, tollFree, inbound' more than once",
        ),
    ],
)
def test_bad_usage_is_a_configuration_error(tmp_path, capsys, usage, problem):
    write_stack(tmp_path, "test", minimal_config(expectedMonthlyUsage=usage))
    code, out, err = run_cost(capsys, "--stack", "test", "--stacks-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert problem in err
    assert "Traceback" not in err


def test_the_usual_command_line_errors_exit_2(tmp_path, capsys):
    code, _, err = run_cost(capsys, "--stack", "nope")
    assert code == 2 and "unknown stack 'nope'" in err
    code, _, err = run_cost(capsys, "--stack", "prod", "--out", str(tmp_path / "missing" / "cost.json"))
    assert code == 2 and "create it first" in err


def test_a_plan_with_every_price_known_has_a_total_in_every_format():
    """No workspace, vault or storage account: every line is priced, so the totals are numbers."""
    usage = {"sms": [{"country": "US", "numberType": "tollFree", "direction": "outbound", "segments": 1000}]}
    config = validate_stack_config("test", minimal_config(expectedMonthlyUsage=usage))
    instance = PlannedResource("urn:i", cost.INSTANCE_TYPE, "acs-test-eu", None, False, {}, [], False)
    pool = PlannedResource("urn:p", PHONE_NUMBER_POOL, "acs-test-eu-numbers-sms", "urn:i", True, POOL, [], False)
    estimate = cost.estimate(Plan("acs-platform", "test", [instance, pool], {}), config)
    expected = 3 * PRICE["lease/US/tollFree"] + 1000 * (
        PRICE["sms/US/tollFree/outbound"] + PRICE["sms-surcharge/US/tollFree/outbound"]
    )
    document = estimate.to_json()
    assert document["total"] == {
        "monthly": pytest.approx(expected),
        "known": pytest.approx(expected),
        "unknownLines": 0,
    }
    assert document["instances"] == [
        {"name": "acs-test-eu", "monthly": pytest.approx(expected), "known": pytest.approx(expected), "unknownLines": 0}
    ]
    assert f"Total per month: USD {expected:,.2f}\n" in cost.render_text(estimate)
    assert "unknown" not in cost.render_text(estimate)
    assert f"**USD {expected:,.2f}** per month" in cost.render_markdown(estimate)
