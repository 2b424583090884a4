"""The stack's cost budget (`acs-platform:budget`): an Azure Consumption budget on the resource group that
emails its contacts when the month's actual or forecast spend passes a share of the amount.

The rules are the Budget API's (Microsoft.Consumption 2024-08-01, the version pulumi-azure-native 3.x
uses; azure-rest-api-specs `specification/consumption/resource-manager/Microsoft.Consumption/stable/
2024-08-01/consumption.json`, `BudgetProperties` and `Notification`):

- `amount` is the amount to track, in the billing account's currency (the API has no currency field);
- the time grain is Monthly here: the amount resets on the first of each month;
- `timePeriod.startDate` is the first of a month, on or after 2017-06-01, at most twelve months ahead;
  on create it may not be in a past month ("past start date should be selected within the timegrain
  period"), and it can never be changed afterwards ("Start date of budgets cannot be updated");
- at most five notifications; each threshold is a percent of the amount, between 0 and 1000 (two
  decimals at most, as Microsoft.CostManagement's description of the same field says);
- at most 50 contact emails per notification, and at the resource group scope at least one contact
  email or action group.

A stack that leaves keys out gets the amount of its tier (`TierDefaults.budget_amount`), the thresholds
below, and its owner as the contact (stackconfig/model.py).
"""

import math
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from . import azure_rules as rules
from . import fields
from .fields import ConfigModel, from_go_time, matching, unique_by

FIRST_START = date(2017, 6, 1)  # "Budget start date must be on or after June 1, 2017"
MAX_NOTIFICATIONS = 5  # "Budget can have up to five notifications"
MAX_CONTACT_EMAILS = 50  # Notification.contactEmails maxItems
MAX_MONTHS_AHEAD = 12  # "Future start date should not be more than twelve months"
THRESHOLD_KINDS = ("Actual", "Forecasted")
# The roles the portal offers as alert recipients; Azure emails whoever holds the role on the resource group.
CONTACT_ROLES = ("Owner", "Contributor", "Reader")

# What a stack gets when it gives no thresholds: a warning at 80 % of the month's amount actually spent,
# one when the amount is spent, and one as soon as Azure forecasts that the month will end above it.
DEFAULT_THRESHOLDS: tuple[dict[str, Any], ...] = (
    {"percent": 80, "kind": "Actual"},
    {"percent": 100, "kind": "Actual"},
    {"percent": 100, "kind": "Forecasted"},
)


def _number(value: Any) -> Any:
    """A number as the stack file gives it: an int or a float, never a boolean or text ("100")."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = " (unquoted in the stack file)" if isinstance(value, str) else ""
        raise ValueError(f"is not a number{hint}; allowed: a number such as 100 or 250.5")
    return float(value)


def _amount(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            "must be more than 0: the budget's monthly amount, in the billing account's currency; allowed: a number "
            "above 0, such as 100"
        )
    return value


def _percent(value: float) -> float:
    if not math.isfinite(value) or not 0 < value <= 1000:
        raise ValueError(
            "must be more than 0 and at most 1000: a percent of the amount (100 is the whole amount); "
            "allowed: 0.01 to 1000"
        )
    if round(value, 2) != value:
        raise ValueError("has more than two decimals; allowed: a percent with at most two decimals, such as 80 or 92.5")
    return value


def _start_date(value: date) -> date:
    if value.day != 1:
        raise ValueError(
            f"must be the first of a month: a monthly budget starts on the first; allowed: a date such as "
            f"{value.replace(day=1).isoformat()}"
        )
    if value < FIRST_START:
        raise ValueError(f"is before {FIRST_START.isoformat()}, the first start date Azure accepts")
    latest = add_months(first_of_month(fields.utc_now().date()), MAX_MONTHS_AHEAD)
    if value > latest:
        raise ValueError(
            f"is more than {MAX_MONTHS_AHEAD} months ahead; allowed: the first of a month up to {latest.isoformat()}"
        )
    return value


def _emails(addresses: list[str]) -> list[str]:
    if not addresses:
        raise ValueError(
            "is empty: Azure emails a resource group's budget alerts to its contact emails; allowed: 1 to "
            f"{MAX_CONTACT_EMAILS} email addresses (or leave the key out: the stack's owner)"
        )
    if len(addresses) > MAX_CONTACT_EMAILS:
        raise ValueError(f"has {len(addresses)} addresses; allowed: 1 to {MAX_CONTACT_EMAILS}")
    return addresses


def _thresholds(thresholds: list["ThresholdConfig"]) -> list["ThresholdConfig"]:
    if not thresholds:
        raise ValueError(
            f"is empty: a budget without thresholds never alerts; allowed: 1 to {MAX_NOTIFICATIONS} thresholds"
        )
    if len(thresholds) > MAX_NOTIFICATIONS:
        raise ValueError(
            f"has {len(thresholds)} thresholds; Azure allows at most {MAX_NOTIFICATIONS} notifications per budget"
        )
    return thresholds


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


Number = Annotated[float, BeforeValidator(_number)]
# A date as the stack file gives it: quoted text (2026-12-01) or unquoted, as the CLI's Go time text.
StartDate = Annotated[date, Field(strict=False), BeforeValidator(from_go_time), AfterValidator(_start_date)]
EmailAddress = Annotated[str, matching(rules.EMAIL_ADDRESS, "an email address, such as platform-team@contoso.com")]


class ThresholdConfig(ConfigModel):
    """One notification: when the month's cost passes `percent` of the amount, actual or forecast."""

    percent: Annotated[Number, AfterValidator(_percent)]
    # Actual: the cost already accrued this month. Forecasted: what Azure expects the month to end at.
    kind: Literal[THRESHOLD_KINDS] = "Actual"  # type: ignore[valid-type]

    @property
    def notification_key(self) -> str:
        """The notification's key in the budget: `actual80Percent`, `forecasted92p5Percent` (any name goes;
        camelCase as every other key the provider receives)."""
        shown = f"{self.percent:g}".replace(".", "p")
        return f"{self.kind.lower()}{shown}Percent"


class BudgetConfig(ConfigModel):
    """`acs-platform:budget`: a monthly cost budget on the stack's resource group."""

    # In the billing account's currency (USD, EUR, ...): Azure has no currency field and converts nothing.
    amount: Annotated[Number, AfterValidator(_amount)]
    thresholds: Annotated[
        list[ThresholdConfig],
        AfterValidator(_thresholds),
        unique_by("the threshold (percent, kind)", lambda t: f"{t.percent:g} % {t.kind}"),
    ] = [ThresholdConfig.model_validate(t) for t in DEFAULT_THRESHOLDS]
    # None: the stack's owner (acs-platform:owner), when that is an email address (StackConfig).
    contact_emails: Annotated[list[EmailAddress], AfterValidator(_emails), unique_by("the address")] | None = None
    contact_roles: Annotated[list[Literal[CONTACT_ROLES]], unique_by("the role")] = []  # type: ignore[valid-type]
    # None: the first of the month the budget is first deployed, kept from then on (components/budget.py).
    start_date: StartDate | None = None
