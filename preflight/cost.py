"""The monthly cost estimate of a stack: its plan's fixed costs and its declared usage, priced with
the policy pack's dated table (policies/data/acs-prices.yaml, policies/cost_model.py).

JSON numbers keep 4 decimals; text and markdown show cents. A line without a known price is
"unknown" (JSON null), never zero, and every total that includes one is incomplete (JSON null
`monthly`, with the `known` part and the count of `unknownLines` beside it).
"""

import json
from dataclasses import dataclass
from typing import Any

from policies.cost_model import (
    SHARED,
    CostLine,
    PriceTable,
    Subtotal,
    fixed_lines,
    price_table,
    rounded,
    subtotal,
    usage_lines,
)
from stackconfig import StackConfig

from .plan import Plan, PlannedResource
from .report_markdown import cell

INSTANCE_TYPE = "acs-platform:index:AcsInstance"
TABLE_PATH = "policies/data/acs-prices.yaml"


@dataclass(frozen=True)
class Estimate:
    project: str
    stack: str
    table: PriceTable
    lines: list[CostLine]
    instances: list[str]  # in the stack's order, SHARED last when it has lines

    def of(self, instance: str) -> list[CostLine]:
        return [line for line in self.lines if line.instance == instance]

    @property
    def subtotals(self) -> list[Subtotal]:
        return [subtotal(name, self.of(name)) for name in self.instances]

    @property
    def total(self) -> Subtotal:
        return subtotal("total", self.lines)

    def to_json(self) -> dict[str, Any]:
        total = self.total
        return {
            "stack": self.stack,
            "project": self.project,
            "currency": self.table.currency,
            "pricesReadOn": self.table.as_of,
            "total": {
                "monthly": None if total.monthly is None else rounded(total.monthly),
                "known": rounded(total.known),
                "unknownLines": total.unknown_lines,
            },
            "instances": [s.to_json() for s in self.subtotals],
            "lines": [line.to_json() for line in self.lines],
        }


def instance_of(resource: PlannedResource, plan: Plan) -> str:
    """The name of the ACS instance whose component holds `resource`, else SHARED."""
    current: PlannedResource | None = resource
    while current is not None:
        if current.type == INSTANCE_TYPE:
            return current.name
        current = plan.by_urn.get(current.parent) if current.parent else None
    return SHARED


def estimate(plan: Plan, config: StackConfig, table: PriceTable | None = None) -> Estimate:
    table = table or price_table()
    fixed = fixed_lines(((r.type, r.name, r.inputs, instance_of(r, plan)) for r in plan.resources), table)
    names = [instance.name for instance in config.instances]
    lines: list[CostLine] = []
    for instance in config.instances:
        usage = instance.expected_monthly_usage
        declared = usage.model_dump(by_alias=True, exclude_none=True) if usage is not None else None
        lines += [line for line in fixed if line.instance == instance.name]
        lines += usage_lines(instance.name, declared, table)
    lines += [line for line in fixed if line.instance not in names]
    shared = [SHARED] if any(line.instance == SHARED for line in lines) else []
    return Estimate(plan.project, plan.stack, table, lines, names + shared)


def money(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.2f}"


def unit_price(value: float | None) -> str:
    return "unknown" if value is None else f"{value:,.4f}"


def quantity(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _subtotal_words(total: Subtotal, currency: str) -> str:
    if total.monthly is not None:
        return f"{currency} {money(total.monthly)}"
    unknown = f"{total.unknown_lines} line{'s' if total.unknown_lines != 1 else ''} unknown"
    return f"incomplete: {currency} {money(total.known)} known, {unknown}"


def render_json(estimate: Estimate) -> str:
    return json.dumps(estimate.to_json(), indent=2) + "\n"


def render_text(estimate: Estimate) -> str:
    currency = estimate.table.currency
    out = [
        f"Monthly cost estimate of stack {estimate.stack} ({estimate.project}), in {currency}, "
        f"with the prices read on {estimate.table.as_of} ({TABLE_PATH})",
        "",
    ]
    header = ("kind", "item", "quantity", "unit", "unit price", "monthly", "source")
    for total in estimate.subtotals:
        rows = [
            (
                line.kind,
                line.item + (f" ({line.resource})" if line.resource else ""),
                quantity(line.quantity),
                line.unit,
                unit_price(line.unit_price),
                money(line.monthly),
                line.source,
            )
            for line in estimate.of(total.name)
        ]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        out.append(total.name)
        for row in [header, *rows]:
            cells = [
                str(v).rjust(w) if i in (2, 4, 5) else str(v).ljust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            ]
            out.append("  " + "  ".join(cells).rstrip())
        out.append(f"  subtotal: {_subtotal_words(total, currency)}")
        out.append("")
    total = estimate.total
    out.append(f"Total per month: {_subtotal_words(total, currency)}")
    unknown = [line for line in estimate.lines if line.monthly is None]
    if unknown:
        out.append("Unknown prices (no row in the table; the total leaves them out):")
        out += [f"  - {line.instance}: {line.item} ({line.source})" for line in unknown]
    return "\n".join(out) + "\n"


def render_markdown(estimate: Estimate) -> str:
    currency = estimate.table.currency
    total = estimate.total
    out = [
        f"### Monthly cost estimate: stack `{cell(estimate.stack)}` ({cell(estimate.project)})",
        "",
        f"**{cell(_subtotal_words(total, currency))}** per month, "
        f"with the prices read on {cell(estimate.table.as_of)} (`{TABLE_PATH}`).",
        "",
        "| instance | monthly | known | unknown lines |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {cell(s.name)} | {money(s.monthly)} | {money(s.known)} | {s.unknown_lines} |" for s in estimate.subtotals
    ]
    out += [
        "",
        f"| instance | kind | item | quantity | unit | unit price ({cell(currency)}) "
        f"| monthly ({cell(currency)}) | source |",
        "|---|---|---|---:|---|---:|---:|---|",
    ]
    for line in estimate.lines:
        item = cell(line.item) + (f" (`{cell(line.resource)}`)" if line.resource else "")
        out.append(
            f"| {cell(line.instance)} | {line.kind} | {item} | {quantity(line.quantity)} | {cell(line.unit)} | "
            f"{unit_price(line.unit_price)} | {money(line.monthly)} | `{cell(line.source)}` |"
        )
    if total.unknown_lines:
        out += [
            "",
            f"The total is incomplete: {total.unknown_lines} line(s) have no price in the table and count as "
            "unknown, not zero.",
        ]
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
