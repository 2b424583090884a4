"""The stack's cost budget (issue 15): `acs-platform:budget` validated with messages that name the key,
the value and what is allowed; its defaults by tier; the Consumption budget every stack plans on its
resource group; a start date that is valid on create and the same in every plan, whatever the day.

Until `StackConfig` has its `budget` field and `__main__.py` passes it, the committed stacks are planned
here with the one line `__main__.py` is to get (`planned_with_budget`); the test of the committed plans
themselves (`test_the_committed_stacks_plan_their_budget`) passes once both are wired.
"""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pulumi
import pytest
from google.protobuf import json_format

from components.budget import budget, budget_name
from components.settings import BudgetSettings, BudgetThresholdSettings
from components.shared import SharedInfrastructure
from preflight.plan import UNKNOWN, Plan
from preflight.render import render_tree
from preflight.runner import record_preview
from stackconfig import fields
from stackconfig.budget import (
    DEFAULT_THRESHOLDS,
    BudgetConfig,
    ThresholdConfig,
)
from stackconfig.errors import ConfigError
from stackconfig.tiers import TIERS
from tests.stacks import (
    RESOURCE_GROUP,
    WORKSPACE,
    minimal_config,
    one,
    plan_committed,
    plan_config,
    sources,
    with_changes,
)
from tests.test_config import validate as validate_stack

BUDGET = "azure-native:consumption:Budget"
OWNER = "platform-team@contoso.com"  # acs-platform:owner of the committed stacks
TODAY = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Every check of a date reads this day unless a test sets another."""
    monkeypatch.setattr(fields, "utc_now", lambda: TODAY)


def validate_budget(given, tier="prod", owner=OWNER):
    """The budget of a minimal stack of `tier` owned by `owner`, `acs-platform:budget` given (None: left out)."""
    changes = {"owner": owner} | ({} if given is None else {"budget": given})
    return validate_stack(with_changes(minimal_config(tier), **changes)).budget


def problems(given, tier="prod", owner=OWNER) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate_budget(given, tier=tier, owner=owner)
    return caught.value.problems


def only_problem(given, **kwargs) -> str:
    found = problems(given, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --- the configuration ------------------------------------------------------------------------


class TestValidConfig:
    def test_every_key_given(self):
        config = validate_budget(
            {
                "amount": 250.5,
                "thresholds": [{"percent": 50}, {"percent": 90.25, "kind": "Forecasted"}],
                "contactEmails": ["finops@contoso.com", "platform-team@contoso.com"],
                "contactRoles": ["Owner", "Contributor"],
                "startDate": "2027-01-01",
            },
            tier="dev",
            owner=OWNER,
        )
        assert config.amount == 250.5
        assert [(t.percent, t.kind) for t in config.thresholds] == [(50, "Actual"), (90.25, "Forecasted")]
        assert config.contact_emails == ["finops@contoso.com", "platform-team@contoso.com"]
        assert config.contact_roles == ["Owner", "Contributor"]
        assert config.start_date == date(2027, 1, 1)

    def test_the_model_validates_on_its_own(self):
        config = BudgetConfig.model_validate({"amount": 10, "contactEmails": ["a@contoso.com"]})
        assert [(t.percent, t.kind) for t in config.thresholds] == [
            (80, "Actual"),
            (100, "Actual"),
            (100, "Forecasted"),
        ]
        assert config.start_date is None and config.contact_roles == []

    def test_an_unquoted_start_date_as_the_cli_passes_it(self):
        config = validate_budget({"startDate": "2027-02-01 00:00:00 +0000 UTC"}, tier="prod", owner=OWNER)
        assert config.start_date == date(2027, 2, 1)

    @pytest.mark.parametrize("start", ["2017-06-01", "2026-12-01", "2027-12-01"])
    def test_start_dates_azure_takes(self, start):
        assert validate_budget({"startDate": start}, tier="prod", owner=OWNER).start_date == date.fromisoformat(start)

    def test_five_thresholds_and_the_bounds_of_a_percent(self):
        thresholds = [{"percent": p} for p in (0.01, 50, 100, 500)] + [{"percent": 1000, "kind": "Forecasted"}]
        assert len(validate_budget({"thresholds": thresholds}, tier="prod", owner=OWNER).thresholds) == 5

    def test_notification_keys_name_kind_and_percent(self):
        assert ThresholdConfig(percent=80).notification_key == "actual80Percent"
        assert ThresholdConfig(percent=92.5, kind="Forecasted").notification_key == "forecasted92p5Percent"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            {"amount": 0},
            "acs-platform:budget.amount: 0 must be more than 0: the budget's monthly amount, in the billing "
            "account's currency; allowed: a number above 0, such as 100",
        ),
        ({"amount": -5}, "acs-platform:budget.amount: -5 must be more than 0"),
        (
            {"amount": "100"},
            "acs-platform:budget.amount: '100' is not a number (unquoted in the stack file); allowed: "
            "a number such as 100 or 250.5",
        ),
        ({"amount": True}, "acs-platform:budget.amount: True is not a number"),
        (
            {"thresholds": []},
            "acs-platform:budget.thresholds: is empty: a budget without thresholds never alerts; "
            "allowed: 1 to 5 thresholds",
        ),
        (
            {"thresholds": [{"percent": p} for p in range(10, 70, 10)]},
            "acs-platform:budget.thresholds: has 6 thresholds; Azure allows at most 5 notifications per budget",
        ),
        (
            {"thresholds": [{"percent": 0}]},
            "acs-platform:budget.thresholds[0].percent: 0 must be more than 0 and at "
            "most 1000: a percent of the amount (100 is the whole amount); allowed: 0.01 to 1000",
        ),
        (
            {"thresholds": [{"percent": 1000.5}]},
            "acs-platform:budget.thresholds[0].percent: 1000.5 must be more than 0 and at most 1000",
        ),
        (
            {"thresholds": [{"percent": 80.125}]},
            "acs-platform:budget.thresholds[0].percent: 80.125 has more than two "
            "decimals; allowed: a percent with at most two decimals, such as 80 or 92.5",
        ),
        (
            {"thresholds": [{"percent": 80, "kind": "actual"}]},
            "acs-platform:budget.thresholds[0].kind: 'actual' is not allowed; allowed: 'Actual' or 'Forecasted'",
        ),
        (
            {"thresholds": [{"percent": 80}, {"percent": 80.0, "kind": "Actual"}]},
            "acs-platform:budget.thresholds: has the threshold (percent, kind) '80 % Actual' more than once",
        ),
        ({"thresholds": [{"kind": "Actual"}]}, "acs-platform:budget.thresholds[0].percent: is required"),
        (
            {"contactEmails": []},
            "acs-platform:budget.contactEmails: is empty: Azure emails a resource group's budget "
            "alerts to its contact emails; allowed: 1 to 50 email addresses",
        ),
        (
            {"contactEmails": ["platform-team"]},
            "acs-platform:budget.contactEmails[0]: 'platform-team' must be an email "
            "address, such as platform-team@contoso.com",
        ),
        (
            {"contactEmails": [f"u{i}@contoso.com" for i in range(51)]},
            "acs-platform:budget.contactEmails: has 51 addresses; allowed: 1 to 50",
        ),
        (
            {"contactEmails": ["a@contoso.com", "A@contoso.com"]},
            "acs-platform:budget.contactEmails: has the address 'A@contoso.com' more than once",
        ),
        (
            {"contactRoles": ["Billing Reader"]},
            "acs-platform:budget.contactRoles[0]: 'Billing Reader' is not allowed; "
            "allowed: 'Owner', 'Contributor' or 'Reader'",
        ),
        (
            {"startDate": "2026-12-15"},
            "acs-platform:budget.startDate: '2026-12-15' must be the first of a month: a "
            "monthly budget starts on the first; allowed: a date such as 2026-12-01",
        ),
        (
            {"startDate": "2017-05-01"},
            "acs-platform:budget.startDate: '2017-05-01' is before 2017-06-01, the first start date Azure accepts",
        ),
        (
            {"startDate": "2028-01-01"},
            "acs-platform:budget.startDate: '2028-01-01' is more than 12 months ahead; "
            "allowed: the first of a month up to 2027-12-01",
        ),
        ({"startDate": "2026-13-01"}, "acs-platform:budget.startDate: '2026-13-01' should be a valid date"),
        (
            {"timeGrain": "Annually"},
            "acs-platform:budget.timeGrain: unknown key; allowed keys here: amount, "
            "contactEmails, contactRoles, startDate, thresholds",
        ),
        ({"contactEmail": [OWNER]}, "acs-platform:budget.contactEmail: unknown key (did you mean contactEmails?)"),
        ("1000", "acs-platform:budget: '1000' should be a valid dictionary"),
    ],
)
def test_a_wrong_value_is_refused_naming_key_value_and_what_is_allowed(given, expected):
    assert only_problem(given).startswith(expected)


def test_every_problem_is_reported_at_once():
    found = problems({"amount": 0, "thresholds": [{"percent": 0}], "contactEmails": ["x"], "startDate": "2026-12-02"})
    assert [p.split(":")[1].split()[0] for p in found] == [
        "budget.amount",
        "budget.thresholds[0].percent",
        "budget.contactEmails[0]",
        "budget.startDate",
    ]


def test_the_twelve_months_ahead_move_with_the_clock(monkeypatch):
    monkeypatch.setattr(fields, "utc_now", lambda: datetime(2027, 6, 30, tzinfo=UTC))
    assert validate_budget({"startDate": "2028-06-01"}, tier="prod", owner=OWNER).start_date == date(2028, 6, 1)
    assert "up to 2028-06-01" in only_problem({"startDate": "2028-07-01"})


# --- the defaults -----------------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "amount"), [("dev", 100), ("prod", 1000)])
def test_a_stack_without_the_key_gets_its_tiers_amount_the_default_thresholds_and_its_owner(tier, amount):
    config = validate_budget(None, tier=tier, owner=OWNER)
    assert TIERS[tier].budget_amount == amount
    assert config.amount == amount
    assert [t.model_dump() for t in config.thresholds] == [
        {"percent": 80.0, "kind": "Actual"},
        {"percent": 100.0, "kind": "Actual"},
        {"percent": 100.0, "kind": "Forecasted"},
    ]
    assert config.contact_emails == [OWNER]
    assert config.contact_roles == [] and config.start_date is None


def test_given_keys_win_over_the_defaults():
    config = validate_budget({"amount": 42, "contactEmails": ["finops@contoso.com"]}, tier="prod", owner=OWNER)
    assert (config.amount, config.contact_emails) == (42, ["finops@contoso.com"])
    assert len(config.thresholds) == len(DEFAULT_THRESHOLDS)


@pytest.mark.parametrize("owner", [None, "x" * 257])
def test_an_owner_refused_on_its_own_key_is_not_reported_again_by_the_budget(owner):
    [problem] = problems(None, owner=owner)
    assert problem.startswith("acs-platform:owner: ")


def test_an_owner_that_is_no_email_address_asks_for_contact_emails():
    assert only_problem(None, owner="Platform Team").startswith(
        "acs-platform:budget: contactEmails is not set, and acs-platform:owner ('Platform Team') is not an email "
        "address to send the budget's alerts to"
    )
    assert validate_budget({"contactEmails": [OWNER]}, tier="dev", owner="Platform Team").contact_emails == [OWNER]


# --- the plans of the committed stacks, with the budget passed -----------------------------------


def planned_with_budget(tmp_path: Path, stack: str, config: dict | None = None) -> Plan:
    """The plan of a committed stack, or of `config`."""
    return plan_committed(stack) if config is None else plan_config(tmp_path, config, stack)


@pytest.fixture(scope="module")
def budget_plans(tmp_path_factory) -> dict[str, Plan]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fields, "utc_now", lambda: TODAY)
        return {stack: planned_with_budget(tmp_path_factory.mktemp(stack), stack) for stack in ("dev", "prod")}


def notification(percent: float, kind: str, emails: list[str]) -> dict:
    return {
        "contactEmails": emails,
        "enabled": True,
        "operator": "GreaterThan",
        "threshold": percent,
        "thresholdType": kind,
    }


@pytest.mark.parametrize(("stack", "amount"), [("dev", 100), ("prod", 1000)])
def test_each_stack_plans_one_budget_on_its_resource_group(budget_plans, stack, amount):
    plan = budget_plans[stack]
    planned = one(plan, BUDGET)
    group = one(plan, RESOURCE_GROUP)
    assert planned.urn == (
        f"urn:pulumi:{stack}::acs-platform::acs-platform:index:SharedInfrastructure$azure-native:consumption:Budget"
        "::shared-budget"
    )
    assert plan.by_urn[planned.parent].type == "acs-platform:index:SharedInfrastructure"
    assert planned.inputs["scope"] == UNKNOWN and sources(planned, "scope") == [group.urn]
    assert group.urn in planned.dependencies
    assert planned.inputs["budgetName"] == f"budget-rg-acs-{stack}"
    assert planned.inputs["category"] == "Cost"
    assert planned.inputs["amount"] == amount
    assert planned.inputs["timeGrain"] == "Monthly"
    assert planned.inputs["timePeriod"] == {"startDate": UNKNOWN}  # the first deploy's month: see below
    assert planned.inputs["notifications"] == {
        "actual80Percent": notification(80, "Actual", [OWNER]),
        "actual100Percent": notification(100, "Actual", [OWNER]),
        "forecasted100Percent": notification(100, "Forecasted", [OWNER]),
    }
    assert not planned.protect  # a budget holds no data


def test_the_plan_text_shows_the_budget(budget_plans):
    text = render_tree(budget_plans["prod"])
    assert "+ azure-native:consumption:Budget  shared-budget" in text
    for line in ("budgetName: budget-rg-acs-prod", "amount: 1000", "timeGrain: Monthly", "scope: from shared-rg"):
        assert line in text
    # One line per alert, in the words of a reader: when it fires and whom it emails.
    assert "notifications:\n" in text
    for alert in ("Actual cost above 80 %", "Actual cost above 100 %", "Forecasted cost above 100 %"):
        assert f"{alert}: platform-team@contoso.com" in text


def test_an_existing_resource_group_gets_the_budget_in_that_group(tmp_path):
    config = with_changes(minimal_config("prod"), resourceGroup={"name": "rg-shared-comms", "existing": True})
    plan = planned_with_budget(tmp_path, "test", config)
    assert plan.of_type(RESOURCE_GROUP) == []
    planned = one(plan, BUDGET)
    assert planned.inputs["budgetName"] == "budget-rg-shared-comms"
    # The group's id is the workspace's subscription and the group's name: known once the workspace is.
    assert planned.inputs["scope"] == UNKNOWN and sources(planned, "scope") == [one(plan, WORKSPACE).urn]


def test_the_plan_is_the_same_whatever_the_day(tmp_path, monkeypatch):
    """Two plans a few months apart: the budget's inputs are the same (no start date that moves)."""
    inputs = []
    for day in (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 3, 17, 23, 59, tzinfo=UTC)):
        monkeypatch.setattr(fields, "utc_now", lambda day=day: day)
        inputs.append(json.dumps(one(planned_with_budget(tmp_path / day.date().isoformat(), "dev"), BUDGET).to_json()))
    assert inputs[0] == inputs[1]


# --- the component: what a deploy sends ---------------------------------------------------------


def registered_budget(config: BudgetConfig, *, today: date, deploying: bool):
    """The Budget's registration, as the engine gets it, from `budget()` on its own."""

    def program():
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        budget(
            "shared-budget",
            scope="/subscriptions/0000/resourceGroups/rg-acs-dev",
            resource_group_name="rg-acs-dev",
            config=config,
            parent=parent,
            today=today,
            deploying=deploying,
        )

    monitor = record_preview(program, "acs-platform", "test")
    return next(request for _, request in monitor.registrations if request.type == BUDGET)


def start_of(request) -> str:
    return request.object.fields["timePeriod"].struct_value.fields["startDate"].string_value


DEFAULTED = BudgetConfig.model_validate({"amount": 100, "contactEmails": [OWNER]})


@pytest.mark.parametrize("today", [date(2026, 12, 1), date(2027, 3, 17), date(2027, 3, 31)])
def test_a_deploy_starts_the_budget_on_the_first_of_its_month_and_keeps_that_date(today):
    request = registered_budget(DEFAULTED, today=today, deploying=True)
    assert start_of(request) == f"{today.replace(day=1).isoformat()}T00:00:00Z"
    # Azure refuses a start date in a past month on create, and any change of it afterwards: later deploys
    # keep the date in the state.
    assert list(request.ignoreChanges) == ["timePeriod.startDate"]
    assert list(request.replaceOnChanges) == []
    assert request.deleteBeforeReplace


def test_a_start_date_of_the_stack_is_sent_as_it_is_and_changing_it_makes_the_budget_again():
    pinned = BudgetConfig.model_validate({"amount": 100, "contactEmails": [OWNER], "startDate": "2027-01-01"})
    for deploying in (False, True):
        request = registered_budget(pinned, today=date(2027, 5, 4), deploying=deploying)
        assert start_of(request) == "2027-01-01T00:00:00Z"
        assert list(request.ignoreChanges) == []
        assert list(request.replaceOnChanges) == ["timePeriod.startDate"]
        assert request.deleteBeforeReplace


def test_contact_roles_go_to_every_notification_and_are_left_out_when_none():
    config = BudgetConfig.model_validate(
        {"amount": 5, "contactEmails": [OWNER], "contactRoles": ["Owner"], "thresholds": [{"percent": 50}]}
    )
    sent = json_format.MessageToDict(registered_budget(config, today=date(2026, 12, 1), deploying=False).object)
    assert sent["notifications"] == {
        "actual50Percent": {**notification(50, "Actual", [OWNER]), "contactRoles": ["Owner"]}
    }
    defaulted = json_format.MessageToDict(registered_budget(DEFAULTED, today=date(2026, 12, 1), deploying=False).object)
    assert all("contactRoles" not in n for n in defaulted["notifications"].values())


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("rg-acs-dev", "budget-rg-acs-dev"),
        ("rg.acs(dev)", "budget-rg-acs-dev"),
        ("rg_acs", "budget-rg_acs"),
        ("r" * 90, "budget-" + "r" * 56),
        ("rg-" + "x" * 52 + ".(", "budget-rg-" + "x" * 52),
    ],
)
def test_the_budget_name_follows_the_groups_within_azures_rule(group, expected):
    assert budget_name(group) == expected
    assert len(budget_name(group)) <= 63


# --- the component's input ------------------------------------------------------------------


def shared_args(**budget_settings) -> dict:
    return {
        "location": "westeurope",
        "tenant_id": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
        "resource_group": {"name": "rg-acs-x"},
        "monitoring": {
            "workspace_name": "log-acs-x",
            "log_retention_days": 30,
            "public_ingestion": "Enabled",
            "public_query": "Enabled",
        },
        "key_vault": {"name": "kv-acs-x-123456", "purge_protection": False},
        "budget": budget_settings,
        "tags": {},
        "lock": "None",
        "protect": False,
    }


def test_a_component_input_from_another_language_is_validated_by_the_configs_rules():
    def program():
        SharedInfrastructure("shared", shared_args(amount=-1, contact_emails=["nope"]))

    with pytest.raises(Exception) as caught:
        record_preview(program, "acs-platform", "test")
    message = str(caught.value)
    assert "SharedInfrastructure shared has invalid inputs:" in message
    assert "budget.amount: -1 must be more than 0" in message
    assert "budget.contactEmails[0]: 'nope' must be an email address" in message


def test_a_component_input_as_a_dictionary_plans_the_budget():
    def program():
        SharedInfrastructure("shared", shared_args(amount=50, contact_emails=[OWNER], start_date="2027-01-01"))

    monitor = record_preview(program, "acs-platform", "test")
    request = next(request for _, request in monitor.registrations if request.type == BUDGET)
    assert request.object.fields["amount"].number_value == 50
    assert start_of(request) == "2027-01-01T00:00:00Z"


def test_without_a_budget_input_the_component_plans_none():
    def program():
        args = shared_args()
        del args["budget"]
        SharedInfrastructure("shared", args)

    monitor = record_preview(program, "acs-platform", "test")
    assert not [r for _, r in monitor.registrations if r.type == BUDGET]


@pytest.mark.parametrize(
    ("settings", "model"), [(BudgetSettings, BudgetConfig), (BudgetThresholdSettings, ThresholdConfig)]
)
def test_the_settings_mirror_the_config_model(settings, model):
    """As tests/test_component_package.py checks the mirrors of components/settings.py."""
    assert set(settings.__annotations__) == set(model.model_fields)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert set(settings.__required_keys__) == required


# --- once wired: the committed stacks themselves --------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_stacks_plan_their_budget(stack, request):
    """Fails until StackConfig has `budget` and __main__.py passes `budget=config.budget`."""
    plan = request.getfixturevalue(f"{stack}_plan")
    planned = one(plan, BUDGET)
    assert planned.inputs["amount"] == TIERS[stack].budget_amount
    assert sources(planned, "scope") == [one(plan, RESOURCE_GROUP).urn]
