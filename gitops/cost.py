"""python -m gitops.cost --stack STACK --after FILE [--before FILE] [--before-optional] --out FILE

What a change does to a stack's monthly cost, as a pull-request comment section: the monthly cost of each
instance and of the stack before the change (the base branch) and after it (this branch), the difference,
and the lines of the estimate that changed, biggest first.

Its inputs are what `python -m preflight cost --stack STACK --format json` writes, an offline estimate from
the stack file and the price table: `total` (`monthly`, null when any line has no price; `known`, the sum of
the priced lines; `unknownLines`), `instances[]` (the same per instance, and `shared`) and `lines[]`
(`instance`, `resource`, `item`, `kind`, `quantity`, `unit`, `unitPrice`, `monthly`, `source`). A line is
the same line before and after when its instance, resource, item and kind are.

Without --before (the base branch has no `preflight cost` yet, or its estimate failed) the section says so
and shows the estimate of this branch alone. A total with a line without a price is "unknown", never a
number; the difference is still exact when every line that changed has a price (the others are the same on
both sides). An increase of at least BIG_INCREASE (and BIG_INCREASE_RATIO of the cost before) is called out.

The same input gives the same body, byte for byte. Exit codes: 0 written; 2 an estimate cannot be read or
is not one (--before-optional: a --before that cannot be read is said in the section instead, exit 0), or the
command line is wrong.
"""

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from gitops.preview import cell

EXIT_OK, EXIT_UNREADABLE = 0, 2
MARKER = "acs-platform:cost"  # the hidden line gitops.comment reads from
MAX_LINES = 15  # changed lines shown; the rest are counted
MAX_INSTANCES = 25  # instance rows shown; the totals count every instance
BIG_INCREASE = Decimal("100")  # a month, in the estimate's currency
BIG_INCREASE_RATIO = Decimal("0.10")  # of the monthly cost before
SHARED = "shared"
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
CENT = Decimal("0.01")
LARGEST = 10**15  # a quantity or an amount; beyond it, not an estimate (and too big for cents)


class CostError(ValueError):
    """An estimate that cannot be read, or is not one."""


# ---------------------------------------------------------------------------------------------------
# The estimate


@dataclass(frozen=True)
class Amount:
    """A monthly cost: `monthly` is None when a line has no price; `known` sums the priced lines."""

    monthly: Decimal | None
    known: Decimal
    unknown_lines: int


@dataclass(frozen=True)
class Line:
    instance: str
    resource: str | None
    item: str
    kind: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    monthly: Decimal | None
    source: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.instance, self.resource or "", self.item, self.kind)


@dataclass(frozen=True)
class Estimate:
    stack: str
    project: str
    currency: str
    prices_read_on: str
    total: Amount
    instances: Mapping[str, Amount]
    lines: tuple[Line, ...]


def _number(value: Any, where: str, *, nullable: bool = False) -> Decimal | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CostError(f"{where}: expected a number{' or null' if nullable else ''}, got {json.dumps(value)}")
    if abs(value) >= LARGEST:
        raise CostError(f"{where}: {value} is beyond any estimate (at most {LARGEST:,})")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CostError(f"{where}: expected a count (a whole number, 0 or more), got {json.dumps(value)}")
    return value


def _text(value: Any, where: str, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise CostError(f"{where}: expected a string{' or null' if nullable else ''}, got {json.dumps(value)}")
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise CostError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise CostError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _amount(raw: Any, where: str) -> Amount:
    raw = _object(raw, where)
    return Amount(
        _number(raw.get("monthly"), f"{where}.monthly", nullable=True),
        _number(raw.get("known"), f"{where}.known"),
        _count(raw.get("unknownLines"), f"{where}.unknownLines"),
    )


def parse_estimate(text: str) -> Estimate:
    """An estimate from `preflight cost --format json`, its shape checked; CostError says where it is wrong."""

    def no_constant(name: str) -> Any:
        raise CostError(f"not JSON: {name} is not a number")

    try:
        raw = json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise CostError(f"not JSON: {exc}") from exc
    raw = _object(raw, "the estimate")
    instances: dict[str, Amount] = {}
    for i, entry in enumerate(_list(raw.get("instances"), "instances")):
        where = f"instances[{i}]"
        name = _text(_object(entry, where).get("name"), f"{where}.name")
        if name in instances:
            raise CostError(f"{where}: instance {name!r} listed twice")
        instances[name] = _amount(entry, where)
    lines = []
    for i, entry in enumerate(_list(raw.get("lines"), "lines")):
        where = f"lines[{i}]"
        entry = _object(entry, where)
        kind = _text(entry.get("kind"), f"{where}.kind")
        if kind not in ("fixed", "usage"):
            raise CostError(f"{where}.kind: expected 'fixed' or 'usage', got {json.dumps(kind)}")
        lines.append(
            Line(
                instance=_text(entry.get("instance"), f"{where}.instance"),
                resource=_text(entry.get("resource"), f"{where}.resource", nullable=True),
                item=_text(entry.get("item"), f"{where}.item"),
                kind=kind,
                quantity=_number(entry.get("quantity"), f"{where}.quantity"),
                unit=_text(entry.get("unit"), f"{where}.unit"),
                unit_price=_number(entry.get("unitPrice"), f"{where}.unitPrice", nullable=True),
                monthly=_number(entry.get("monthly"), f"{where}.monthly", nullable=True),
                source=_text(entry.get("source"), f"{where}.source"),
            )
        )
    return Estimate(
        stack=_text(raw.get("stack"), "stack"),
        project=_text(raw.get("project"), "project"),
        currency=_text(raw.get("currency"), "currency"),
        prices_read_on=_text(raw.get("pricesReadOn"), "pricesReadOn"),
        total=_amount(raw.get("total"), "total"),
        instances=instances,
        lines=tuple(lines),
    )


def read_estimate(path: Path) -> Estimate:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CostError(f"cannot read it: {exc}") from exc
    return parse_estimate(text)


# ---------------------------------------------------------------------------------------------------
# What changed


@dataclass(frozen=True)
class LineChange:
    before: Line | None
    after: Line | None

    @property
    def line(self) -> Line:
        return self.after or self.before  # type: ignore[return-value]

    @property
    def what(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        changed = []
        if self.before.quantity != self.after.quantity or self.before.unit != self.after.unit:
            changed.append("quantity")
        if self.before.unit_price != self.after.unit_price:
            changed.append("price")
        return ", ".join(changed) or "cost"

    @property
    def difference(self) -> Decimal | None:
        """After minus before, a month; None when a side has no price."""
        old = Decimal(0) if self.before is None else self.before.monthly
        new = Decimal(0) if self.after is None else self.after.monthly
        return None if old is None or new is None else new - old


def _differs(before: Line, after: Line) -> bool:
    return (before.quantity, before.unit, before.unit_price, before.monthly) != (
        after.quantity,
        after.unit,
        after.unit_price,
        after.monthly,
    )


def _keyed(lines: Sequence[Line]) -> dict[tuple, Line]:
    """Lines by identity; a second line of the same identity is told apart by its rank among them."""
    keyed: dict[tuple, Line] = {}
    for line in lines:
        rank = 0
        while (*line.key, rank) in keyed:
            rank += 1
        keyed[(*line.key, rank)] = line
    return keyed


def changed_lines(before: Estimate, after: Estimate) -> list[LineChange]:
    """Lines added, removed, or whose quantity, price or cost changed: known differences biggest first, then
    those without a price, then those whose cost did not change; ties by instance, resource, item."""
    old, new = _keyed(before.lines), _keyed(after.lines)
    keys = sorted(set(old) | set(new))
    changes = [
        (key, LineChange(old.get(key), new.get(key)))
        for key in keys
        if key not in old or key not in new or _differs(old[key], new[key])
    ]

    def order(item: tuple[tuple, LineChange]) -> tuple:
        key, change = item
        diff = change.difference
        group = 1 if diff is None else 2 if _cents(diff) == 0 else 0
        return (group, -abs(diff) if diff is not None else 0, key)

    return [change for _, change in sorted(changes, key=order)]


# ---------------------------------------------------------------------------------------------------
# The markdown


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal, currency: str, *, signed: bool = False, exact: bool = False) -> str:
    """`$1,234.50`, `-$4.00`, `+$1,996.00` (signed), `$0.0075` (exact: a unit price, to its last digit)."""
    amount = _cents(value) if not exact or value == _cents(value) else value.normalize()
    sign = "-" if amount < 0 else "+" if signed and amount > 0 else ""
    digits = f"{abs(amount):,.2f}" if amount == _cents(amount) else f"{abs(amount):,f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def quantity(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _unknown(amount: Amount) -> str:
    return f"unknown ({_plural(amount.unknown_lines, 'line')} without a price)"


def _amount_cell(amount: Amount | None, currency: str) -> str:
    if amount is None:
        return "—"
    return money(amount.monthly, currency) if amount.monthly is not None else _unknown(amount)


def _difference(diff: Decimal | None, currency: str) -> str:
    """'⬆️ +$1,996.00', '⬇️ -$4.00', 'no change', 'unknown'."""
    if diff is None:
        return "unknown"
    diff = _cents(diff)
    if diff > 0:
        return f"⬆️ {money(diff, currency, signed=True)}"
    if diff < 0:
        return f"⬇️ {money(diff, currency)}"
    return "no change"


def _amount_difference(before: Amount | None, after: Amount | None) -> Decimal | None:
    old = Decimal(0) if before is None else before.monthly
    new = Decimal(0) if after is None else after.monthly
    return None if old is None or new is None else new - old


def is_big_increase(before: Decimal, increase: Decimal) -> bool:
    """At least BIG_INCREASE a month more, and at least BIG_INCREASE_RATIO of what it cost."""
    return increase >= BIG_INCREASE and increase >= before * BIG_INCREASE_RATIO


def _line_side(line: Line | None, currency: str) -> str:
    if line is None:
        return "—"
    price = money(line.unit_price, currency, exact=True) if line.unit_price is not None else "no price"
    monthly = money(line.monthly, currency) if line.monthly is not None else "unknown"
    return f"{quantity(line.quantity)} {line.unit} × {price} = {monthly}"


def _instance_order(names: set[str]) -> list[str]:
    return sorted(names, key=lambda name: (name == SHARED, name))


def _mark(stack: str, **fields: str) -> str:
    return f"<!-- {MARKER} stack={stack} " + " ".join(f"{k}={v}" for k, v in fields.items()) + " -->"


def _number_field(value: Decimal | None) -> str:
    return "-" if value is None else str(_cents(value))


def _heading(stack: str) -> str:
    return f"### Monthly cost: stack `{stack}` (offline estimate)"


def _source_line(before: Estimate | None, after: Estimate) -> str:
    prices = f"prices of {after.prices_read_on}"
    if before is not None and before.prices_read_on != after.prices_read_on:
        prices = f"prices of {after.prices_read_on} (the base branch's: of {before.prices_read_on})"
    sides = " Before: the base branch; after: this branch." if before is not None else ""
    return (
        f"`python -m preflight cost`, from the stack file alone, in {after.currency}, {prices}; usage lines are "
        f"the stack's assumptions.{sides}"
    )


@dataclass(frozen=True)
class Difference:
    """After minus before, a month: `exact` when it is known, which it is when both amounts are, or when
    every line that changed has a price (the lines without one are then the same on both sides)."""

    exact: Decimal | None
    priced: Decimal  # what the lines that changed and have a price add together
    unpriced: int  # lines that changed without a price on one side


def difference_of(before: Amount | None, after: Amount | None, changes: Sequence[LineChange]) -> Difference:
    known = [c.difference for c in changes if c.difference is not None]
    priced, unpriced = sum(known, Decimal(0)), len(changes) - len(known)
    exact = _amount_difference(before, after)
    if exact is None and not unpriced:
        exact = priced
    return Difference(exact, priced, unpriced)


def _difference_cell(diff: Difference, currency: str) -> str:
    if diff.exact is not None:
        return _difference(diff.exact, currency)
    unpriced = f"{_plural(diff.unpriced, 'changed line')} without a price"
    if _cents(diff.priced) == 0:
        return f"unknown ({unpriced})"
    return f"unknown (priced lines {_difference(diff.priced, currency)}; {unpriced})"


def _instance_rows(before: Estimate, after: Estimate, changes: Sequence[LineChange]) -> list[str]:
    names = set(before.instances) | set(after.instances)
    rows = []
    diffs = {
        name: difference_of(
            before.instances.get(name), after.instances.get(name), [c for c in changes if c.line.instance == name]
        )
        for name in names
    }

    def unchanged(name: str) -> bool:
        return diffs[name].exact is not None and _cents(diffs[name].exact) == 0

    shown = _instance_order(names)
    if len(shown) > MAX_INSTANCES:
        # The instances whose cost changed first, biggest first; the unchanged ones are the ones left out.
        def rank(name: str) -> tuple:
            exact = diffs[name].exact
            group = 2 if unchanged(name) else 1 if exact is None else 0
            return (group, -abs(exact) if exact is not None else 0, name)

        shown = sorted(names, key=rank)[:MAX_INSTANCES]
    for name in shown:
        was = _amount_cell(before.instances.get(name), before.currency)
        now = _amount_cell(after.instances.get(name), after.currency)
        rows.append(f"| {cell(name)} | {was} | {now} | {_difference_cell(diffs[name], after.currency)} |")
    if len(names) > len(shown):
        left = [name for name in names if name not in shown]
        rows.append(f"| … and {len(left)} more instances ({sum(map(unchanged, left))} unchanged) | | | |")
    return rows


def _changes_table(changes: Sequence[LineChange], currency: str) -> list[str]:
    lines = [
        "| Change | Instance | Resource | Item | Before | After | Difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for change in changes[:MAX_LINES]:
        line = change.line
        resource = cell(line.resource) if line.resource else "—"
        item = cell(line.item) + (" (usage)" if line.kind == "usage" else "")
        was, now = cell(_line_side(change.before, currency)), cell(_line_side(change.after, currency))
        lines.append(
            f"| {change.what} | {cell(line.instance)} | {resource} | {item} | {was} | {now} "
            f"| {_difference(change.difference, currency)} |"
        )
    rest = changes[MAX_LINES:]
    if rest:
        known = [c.difference for c in rest if c.difference is not None]
        net = f", {_difference(sum(known, Decimal(0)), currency)} together" if known else ""
        unpriced = len(rest) - len(known)
        unpriced_text = f", {unpriced} of them without a price" if unpriced else ""
        lines += ["", f"… and {len(rest)} more changed lines{net}{unpriced_text}: see `preflight cost` for the stack."]
    return lines


def _per_month(amount: Amount, currency: str) -> str:
    return f"{money(amount.monthly, currency)}/month" if amount.monthly is not None else _unknown(amount)


def verdict(before: Estimate | None, after: Estimate, diff: Difference | None = None) -> str:
    """'⬆️ +$1,996.00/month: $4.00 → $2,000.00', 'no change: $4.00/month', '$2,000.00/month (no estimate of
    the base branch)', '⬆️ +$1,996.00/month; total unknown (7 lines without a price)', 'change unknown: 2
    changed lines without a price; total unknown (2 lines without a price)'."""
    currency = after.currency
    now = _per_month(after.total, currency)
    if before is None:
        return f"{now} (no estimate of the base branch)"
    if diff is None:
        diff = difference_of(before.total, after.total, changed_lines(before, after))
    if diff.exact is None:
        priced = f", priced lines {_difference(diff.priced, currency)}/month" if _cents(diff.priced) else ""
        return f"change unknown: {_plural(diff.unpriced, 'changed line')} without a price{priced}; total {now}"
    if _cents(diff.exact) == 0:
        return f"no change: {now}"
    if before.total.monthly is None or after.total.monthly is None:
        return f"{_difference(diff.exact, currency)}/month; total {now}"
    was, then = money(before.total.monthly, currency), money(after.total.monthly, currency)
    return f"{_difference(diff.exact, currency)}/month: {was} → {then}"


def _big_increase_note(before: Estimate, after: Estimate, diff: Difference) -> list[str]:
    currency = after.currency
    was, now = before.total.monthly, after.total.monthly
    if diff.exact is not None:
        if not is_big_increase(was if was is not None else before.total.known, diff.exact):
            return []
        head = f"**The monthly cost goes up by {money(diff.exact, currency)}**"
        if was is not None and was > 0:
            percent = (diff.exact / was * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            head += f" (+{percent:,}%)"
        if was is not None and now is not None:
            head += f": from {money(was, currency)} to {money(now, currency)}"
        else:
            head += " (the total itself is unknown: lines without a price)"
        return ["> [!WARNING]", f"> {head}. Check it is intended.", ""]
    # Lines without a price changed too: what the priced ones add is known, and held to the same bar.
    if not is_big_increase(before.total.known, diff.priced):
        return []
    return [
        "> [!WARNING]",
        f"> **The priced lines that changed add {money(diff.priced, currency)} a month**, and "
        f"{_plural(diff.unpriced, 'changed line')} without a price add an unknown amount. Check it is intended.",
        "",
    ]


def render_markdown(stack: str, after: Estimate, before: Estimate | None = None, before_note: str = "") -> str:
    """The comment section of one stack. `before_note`: why there is no `before`, when it was unreadable."""
    if before is not None and before.currency != after.currency:
        before_note = f"the base branch's estimate is in {before.currency}, this branch's in {after.currency}"
        before = None
    currency = after.currency
    changes = changed_lines(before, after) if before is not None else []
    diff = difference_of(before.total, after.total, changes) if before is not None else None
    warning = _big_increase_note(before, after, diff) if before is not None else []
    lines = [
        _mark(
            stack,
            before=_number_field(before.total.monthly) if before is not None else "-",
            after=_number_field(after.total.monthly),
            difference=_number_field(diff.exact if diff is not None else None),
            big="yes" if warning else "no",
        ),
        _heading(stack),
        "",
        f"**{verdict(before, after, diff)}**",
        "",
        _source_line(before, after),
        "",
    ]
    if before is None:
        why = cell(before_note) if before_note else "it has no `preflight cost` yet, or its estimate failed"
        lines += [
            "> [!NOTE]",
            f"> No estimate of the base branch: {why} (see the job log). This branch's estimate alone:",
            "",
            "| Instance | Monthly |",
            "|---|---|",
        ]
        for name in _instance_order(set(after.instances))[:MAX_INSTANCES]:
            lines.append(f"| {cell(name)} | {_amount_cell(after.instances[name], currency)} |")
        if len(after.instances) > MAX_INSTANCES:
            lines.append(f"| … and {len(after.instances) - MAX_INSTANCES} more instances | |")
        lines.append(f"| **Total** | **{_amount_cell(after.total, currency)}** |")
        return "\n".join(lines).rstrip("\n") + "\n"

    lines += warning
    lines += ["| Instance | Before | After | Difference |", "|---|---|---|---|"]
    lines += _instance_rows(before, after, changes)
    lines.append(
        f"| **Total** | **{_amount_cell(before.total, currency)}** | **{_amount_cell(after.total, currency)}** "
        f"| **{_difference_cell(diff, currency)}** |"
    )
    lines.append("")
    if before.total.monthly is None or after.total.monthly is None:
        lines += [
            f"Priced lines alone, without those that have no price: {money(before.total.known, currency)} before, "
            f"{money(after.total.known, currency)} after.",
            "",
        ]
    if changes:
        lines += [f"#### Lines that changed ({len(changes)})", ""]
        lines += _changes_table(changes, currency)
    else:
        lines.append("No line of the estimate changed.")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------------
# The command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gitops.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the stack the estimates are of")
    parser.add_argument("--after", required=True, type=Path, help="this branch's `preflight cost --format json`")
    parser.add_argument("--before", type=Path, help="the base branch's `preflight cost --format json`")
    parser.add_argument(
        "--before-optional",
        action="store_true",
        help="a --before that cannot be read is said in the section (after only), not an error",
    )
    parser.add_argument("--out", required=True, type=Path, help="where to write the markdown section")
    return parser


def _estimate(path: Path, stack: str) -> Estimate:
    try:
        estimate = read_estimate(path)
    except CostError as exc:
        raise CostError(f"{path}: {exc}") from exc
    if estimate.stack != stack:
        raise CostError(f"{path}: an estimate of stack {estimate.stack!r}, not {stack!r}")
    return estimate


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        after = _estimate(args.after, args.stack)
    except CostError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    before, note = None, ""
    if args.before is not None:
        try:
            before = _estimate(args.before, args.stack)
        except CostError as exc:
            if not args.before_optional:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_UNREADABLE
            print(f"warning: the base branch's estimate is left out: {exc}", file=sys.stderr)
            note = "its estimate could not be read"
    try:
        args.out.write_text(render_markdown(args.stack, after, before, note), encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
