"""The stack's monthly cost budget: an Azure Consumption budget on its resource group that emails the
stack's contacts when the month's actual or forecast cost passes a share of the amount.

A budget alerts; it never stops or limits anything. Its amount is in the billing account's currency.

**The start date.** Azure takes a monthly budget's start date only as the first of a month, on create
not in a past month, and never changes it afterwards ("Start date of budgets cannot be updated").
A stack that sets `startDate` gets that date. Otherwise the budget starts on the first of the month
it is first deployed, and keeps that date: the program gives the first of the current month only
when it really deploys (`pulumi up`), and `ignore_changes` makes every later run keep the date in the
state, so no later month shows a change or sends another date to Azure. A preview (and an offline
plan) shows the date as known after deploy: the same plan whatever the day it is made.
"""

import re
from datetime import date

import pulumi
import pulumi_azure_native.consumption as consumption
from pulumi.output import UNKNOWN

from stackconfig import fields
from stackconfig.budget import BudgetConfig, first_of_month

# The Budget API's name rule: 1 to 63 letters, digits, '_' and '-' (Microsoft.Consumption/budgets).
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")
NAME_MAX = 63
START_DATE = "timePeriod.startDate"  # the input ignore_changes keeps after the first deploy


def budget_name(resource_group_name: str) -> str:
    """`budget-<resource group>`, made a valid budget name: resource group names may also hold '.', '('
    and ')', and be 90 characters long."""
    return _NOT_IN_NAME.sub("-", f"budget-{resource_group_name}")[:NAME_MAX].rstrip("-")


def start_date(config: BudgetConfig, *, today: date, deploying: bool) -> pulumi.Input[str]:
    """The budget's start date as the API takes it (`2026-12-01T00:00:00Z`): the stack's own, else the
    first of `today`'s month when deploying, unknown in a preview (see the module's docstring)."""
    if config.start_date is not None:
        return f"{config.start_date.isoformat()}T00:00:00Z"
    if not deploying:
        return pulumi.Output.from_input(UNKNOWN)
    return f"{first_of_month(today).isoformat()}T00:00:00Z"


def notifications(config: BudgetConfig) -> dict[str, consumption.NotificationArgs]:
    """One notification per threshold, each to every contact, keyed as the portal keys them."""
    return {
        threshold.notification_key: consumption.NotificationArgs(
            enabled=True,
            # GreaterThan: the operator Azure recommends (EqualTo is to be deprecated).
            operator=consumption.OperatorType.GREATER_THAN,
            threshold=threshold.percent,
            threshold_type=threshold.kind,
            contact_emails=list(config.contact_emails),
            contact_roles=list(config.contact_roles) or None,
        )
        for threshold in config.thresholds
    }


def budget(
    name: str,
    *,
    scope: pulumi.Input[str],  # the resource group's id
    resource_group_name: str,
    config: BudgetConfig,
    parent: pulumi.Resource,
    today: date | None = None,  # the day it is, in UTC: stackconfig.fields.utc_now's unless given
    deploying: bool | None = None,  # whether this run deploys (`pulumi up`) rather than previews; unless given, asked
) -> consumption.Budget:
    """A Monthly cost budget of `config.amount` on `scope`, named after the resource group."""
    if not config.contact_emails:  # a stack's budget has its owner's; a package consumer must say
        raise pulumi.RunError(
            f"{name}: budget.contactEmails needs 1 to 50 email addresses: Azure sends a resource group's budget "
            "alerts only to its contacts"
        )
    defaulted = config.start_date is None
    if deploying is None:
        deploying = not pulumi.runtime.is_dry_run()
    return consumption.Budget(
        name,
        budget_name=budget_name(resource_group_name),
        scope=scope,
        category=consumption.CategoryType.COST,
        amount=config.amount,
        time_grain=consumption.TimeGrainType.MONTHLY,
        time_period=consumption.BudgetTimePeriodArgs(
            start_date=start_date(
                config,
                today=today or fields.utc_now().date(),
                deploying=deploying,
            ),
        ),
        notifications=notifications(config),
        opts=pulumi.ResourceOptions(
            parent=parent,
            # A defaulted start date is the first deploy's, kept; a stack's own is sent as it is, and Azure
            # refuses to change it in place: the budget is made again (it holds no data, only its alerts).
            ignore_changes=[START_DATE] if defaulted else None,
            replace_on_changes=None if defaulted else [START_DATE],
            delete_before_replace=True,  # the new budget has the old one's name
        ),
    )
