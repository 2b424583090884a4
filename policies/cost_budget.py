"""A stack's monthly cost stays within its budget: an extra zero in a pool's quantity is caught here.

Phone numbers are billed every month from the day they are bought. The policy prices what the plan
commits to each month, the number leases of its phone number pools, with the dated table
data/acs-prices.yaml (cost_model.py), and compares the sum with the stack's `monthlyBudget` (USD, the
table's currency) from the policy config. Usage (SMS, email, PSTN minutes) depends on traffic, not on
resources: `python -m preflight cost` estimates it from each instance's `expectedMonthlyUsage`, with
the same table. A pool whose lease has no price in the table cannot be vouched for: it is reported.
"""

from pulumi_policy import PolicyConfigSchema, ReportViolation, Severity, StackValidationArgs

from .cost_model import CostLine, fixed_lines, heaviest, price_table, subtotal
from .resource_types import PHONE_NUMBER_POOL
from .support import UNKNOWN, known, of_type, stack_rule

PRICING_DOC = "https://learn.microsoft.com/azure/communication-services/concepts/pstn-pricing"


def _shown(line: CostLine, currency: str) -> str:
    quantity = f"{line.quantity:,.0f}" if line.quantity.is_integer() else f"{line.quantity:,.2f}"
    return (
        f"{line.resource}: {quantity} x {line.item} at {currency} {line.unit_price:,.2f} = "
        f"{currency} {line.monthly:,.2f} ({line.source})"
    )


@stack_rule(
    name="monthly-cost-budget",
    description="The monthly cost the plan commits to (phone number leases) stays within the stack's budget.",
    types=[PHONE_NUMBER_POOL],
    severity=Severity.HIGH,
    remediation="Check the quantity of the pools named (every number is billed each month from the day it is "
    "bought); if the cost is meant, raise monthlyBudget in the stack's policy config. A pool without a price "
    "needs its row in policies/data/acs-prices.yaml, read off Microsoft's pricing page. Estimate usage with "
    "`python -m preflight cost --stack STACK`.",
    url=PRICING_DOC,
    config_schema=PolicyConfigSchema(
        properties={
            "monthlyBudget": {"type": "number", "minimum": 0, "default": 100},
            "heaviestLines": {"type": "integer", "minimum": 1, "default": 3},
        }
    ),
)
def monthly_cost_budget(args: StackValidationArgs, report: ReportViolation) -> None:
    table = price_table()
    pools = {}
    for pool in of_type(args.resources, PHONE_NUMBER_POOL):
        props = {key: known(pool.props, key) for key in ("countryCode", "numberType", "quantity")}
        if UNKNOWN not in props.values():
            pools[pool.name] = (pool, props)
    lines = fixed_lines((PHONE_NUMBER_POOL, name, props, name) for name, (_, props) in pools.items())
    config = args.get_config()
    budget, count, currency = float(config["monthlyBudget"]), int(config["heaviestLines"]), table.currency
    for line in lines:
        if line.monthly is None:
            report(
                f"{line.resource}: {line.item} has no price in the table of {table.as_of} ({line.source}): its "
                f"{line.quantity:,.0f} numbers cannot be checked against the budget of {currency} {budget:,.2f}.",
                pools[line.resource][0].urn,
            )
    total = subtotal("fixed", lines)
    if total.known > budget:
        top = heaviest(lines, count)
        report(
            f"the plan commits {currency} {total.known:,.2f} a month in number leases (prices of {table.as_of}), "
            f"over the budget of {currency} {budget:,.2f}; weighing most: "
            + "; ".join(_shown(line, currency) for line in top)
            + ". Usage (SMS, email, minutes) comes on top: `python -m preflight cost`.",
            pools[top[0].resource][0].urn,
        )


POLICIES = [monthly_cost_budget]
