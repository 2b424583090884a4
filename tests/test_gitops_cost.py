"""The change in monthly cost a pull request shows (gitops.cost), from two offline estimates.

The estimates are written here by hand, in the shape `python -m preflight cost --format json` writes:
`total`, `instances[]` and `lines[]`, a line's `monthly` null when its price is unknown, and then the
total's and its instance's too. `estimate()` sums them as preflight does.
"""

import json
import random
import subprocess
import sys

import pytest

from gitops import cost
from tests.stacks import REPO

US = "contoso-prod-us"
EU = "contoso-prod-eu"
POOL_ITEM = "phone number lease: US toll-free"


def line(instance, resource, item, quantity, price, *, kind="fixed", unit="number-month", source="row") -> dict:
    monthly = None if price is None else round(quantity * price, 6)
    return {
        "instance": instance,
        "resource": resource,
        "item": item,
        "kind": kind,
        "quantity": quantity,
        "unit": unit,
        "unitPrice": price,
        "monthly": monthly,
        "source": source,
    }


def _amount(lines: list[dict]) -> dict:
    unknown = sum(1 for entry in lines if entry["monthly"] is None)
    known = round(sum(entry["monthly"] for entry in lines if entry["monthly"] is not None), 6)
    return {"monthly": None if unknown else known, "known": known, "unknownLines": unknown}


def estimate(lines: list[dict], *, stack="prod", currency="USD", prices="2026-11-20") -> dict:
    names = sorted({entry["instance"] for entry in lines})
    return {
        "stack": stack,
        "project": "acs-platform",
        "currency": currency,
        "pricesReadOn": prices,
        "total": _amount(lines),
        "instances": [{"name": n, **_amount([e for e in lines if e["instance"] == n])} for n in names],
        "lines": lines,
    }


def base_lines(pool: int = 2) -> list[dict]:
    return [
        line(US, "pool-support", POOL_ITEM, pool, 2.0, source="acs-pstn-us-tollfree-lease"),
        line(US, None, "SMS sent: US toll-free", 1000, 0.0075, kind="usage", unit="message", source="acs-sms-us"),
        line(EU, None, "email sent", 20000, 0.00025, kind="usage", unit="email", source="acs-email"),
        line("shared", "workspace", "Log Analytics ingestion", 10, 2.3, kind="usage", unit="GB", source="la"),
    ]


def render(before: dict | None, after: dict, stack: str = "prod") -> str:
    parsed_before = cost.parse_estimate(json.dumps(before)) if before is not None else None
    return cost.render_markdown(stack, cost.parse_estimate(json.dumps(after)), parsed_before)


def write(tmp_path, name: str, document) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return str(path)


def changed_rows(markdown: str) -> list[list[str]]:
    """The rows of the table of changed lines, as cells."""
    table = markdown.split("#### Lines that changed")[1].split("\n\n")[1]
    return [[c.strip() for c in row.strip("|").split("|")] for row in table.splitlines()[2:]]


# --- before, after, difference ----------------------------------------------------------------------------


def test_the_section_shows_before_after_and_the_difference_per_instance_and_in_total():
    after_lines = base_lines()
    after_lines[1] = line(US, None, "SMS sent: US toll-free", 3000, 0.0075, kind="usage", unit="message")
    body = render(estimate(base_lines()), estimate(after_lines))
    assert "### Monthly cost: stack `prod` (offline estimate)" in body
    assert "**⬆️ +$15.00/month: $39.50 → $54.50**" in body
    assert "| Instance | Before | After | Difference |" in body
    assert f"| {US} | $11.50 | $26.50 | ⬆️ +$15.00 |" in body
    assert f"| {EU} | $5.00 | $5.00 | no change |" in body
    assert "| shared | $23.00 | $23.00 | no change |" in body
    assert "| **Total** | **$39.50** | **$54.50** | **⬆️ +$15.00** |" in body
    assert "in USD, prices of 2026-11-20" in body
    # The one line that changed, with both sides spelled out.
    assert changed_rows(body) == [
        [
            "quantity",
            US,
            "—",
            "SMS sent: US toll-free (usage)",
            "1,000 message × $0.0075 = $7.50",
            "3,000 message × $0.0075 = $22.50",
            "⬆️ +$15.00",
        ]
    ]
    # A small increase is flagged on its line and total, not called out.
    assert "[!WARNING]" not in body
    assert "big=no" in body.splitlines()[0]


def test_a_decrease_is_flagged_down_and_an_unchanged_estimate_says_so():
    cheaper = [entry for entry in base_lines() if entry["instance"] != EU]
    body = render(estimate(base_lines()), estimate(cheaper))
    assert "**⬇️ -$5.00/month: $39.50 → $34.50**" in body
    assert f"| {EU} | $5.00 | — | ⬇️ -$5.00 |" in body
    assert changed_rows(body)[0][:4] == ["removed", EU, "—", "email sent (usage)"]
    assert changed_rows(body)[0][5:] == ["—", "⬇️ -$5.00"]

    same = render(estimate(base_lines()), estimate(base_lines()))
    assert "**no change: $39.50/month**" in same
    assert "No line of the estimate changed." in same and "#### Lines that changed" not in same


def test_a_price_change_and_an_added_line_are_lines_that_changed():
    after_lines = base_lines()
    after_lines[3] = line("shared", "workspace", "Log Analytics ingestion", 10, 2.76, kind="usage", unit="GB")
    after_lines.append(line(EU, "pool-eu", "phone number lease: FR geographic", 3, 1.0))
    rows = changed_rows(render(estimate(base_lines()), estimate(after_lines)))
    assert [(r[0], r[1], r[2], r[-1]) for r in rows] == [
        ("price", "shared", "workspace", "⬆️ +$4.60"),
        ("added", EU, "pool-eu", "⬆️ +$3.00"),
    ]
    assert rows[1][4] == "—" and rows[1][5] == "3 number-month × $1.00 = $3.00"


def test_a_line_is_its_instance_resource_item_and_kind():
    # The same item on another instance, or as usage rather than fixed, is another line.
    before = [line(US, "pool-a", POOL_ITEM, 5, 2.0)]
    after = [line(EU, "pool-a", POOL_ITEM, 5, 2.0), line(US, "pool-a", POOL_ITEM, 5, 2.0, kind="usage")]
    rows = changed_rows(render(estimate(before), estimate(after)))
    assert sorted((r[0], r[1], r[3]) for r in rows) == [
        ("added", EU, POOL_ITEM),
        ("added", US, f"{POOL_ITEM} (usage)"),
        ("removed", US, POOL_ITEM),
    ]


# --- a pool of 1000 numbers ------------------------------------------------------------------------------


def test_a_pool_grown_from_2_to_1000_numbers_is_the_top_changed_line_and_stands_out():
    after_lines = base_lines(pool=1000)
    # Many small changes around it: the pool still comes first, the rest are counted.
    for i in range(30):
        after_lines.append(line(EU, f"pool-{i:02}", "phone number lease: FR geographic", 1, 1.0 + i / 100))
    body = render(estimate(base_lines(pool=2)), estimate(after_lines))
    top = changed_rows(body)[0]
    assert top == [
        "quantity",
        US,
        "pool-support",
        POOL_ITEM,
        "2 number-month × $2.00 = $4.00",
        "1,000 number-month × $2.00 = $2,000.00",
        "⬆️ +$1,996.00",
    ]
    differences = [row[-1] for row in changed_rows(body)]
    assert len(differences) == cost.MAX_LINES
    assert differences[1:4] == ["⬆️ +$1.29", "⬆️ +$1.28", "⬆️ +$1.27"]  # biggest first
    assert f"… and {31 - cost.MAX_LINES} more changed lines, ⬆️ +$" in body
    assert "#### Lines that changed (31)" in body
    # The total's increase is called out before the table, and in the hidden line for the comment.
    warning = body.split("| Instance |")[0]
    assert "> [!WARNING]" in warning and "**The monthly cost goes up by $2,030.35** (+5,140%)" in warning
    assert "big=yes" in body.splitlines()[0]


# --- unknown prices -------------------------------------------------------------------------------------


def test_an_unknown_total_is_never_shown_as_a_number():
    after_lines = base_lines()
    after_lines.append(line(US, None, "Teams interop minutes", 500, None, kind="usage", unit="minute"))
    after_lines.append(line(US, "trunk", "Direct Routing minutes", 100, None, kind="usage", unit="minute"))
    after = estimate(after_lines)
    assert after["total"] == {"monthly": None, "known": 39.5, "unknownLines": 2}
    body = render(estimate(base_lines()), after)
    assert "**change unknown: 2 changed lines without a price; total unknown (2 lines without a price)**" in body
    total = "| **$39.50** | **unknown (2 lines without a price)** | **unknown (2 changed lines without a price)** |"
    assert f"| **Total** {total}" in body
    assert f"| {US} | $11.50 | unknown (2 lines without a price) | unknown (2 changed lines without a price) |" in body
    assert f"| {EU} | $5.00 | $5.00 | no change |" in body
    assert "Priced lines alone, without those that have no price: $39.50 before, $39.50 after." in body
    rows = changed_rows(body)
    assert [r[0] for r in rows] == ["added", "added"]
    assert rows[0][3] == "Teams interop minutes (usage)" and rows[0][5] == "500 minute × no price = unknown"
    assert rows[0][-1] == "unknown"
    assert body.splitlines()[0] == ("<!-- acs-platform:cost stack=prod before=39.50 after=- difference=- big=no -->")


def test_a_line_without_a_price_before_and_after_is_unknown_on_both_sides():
    before = estimate([line(US, None, "SMS", 1, None, kind="usage")] + base_lines())
    body = render(before, estimate(base_lines()))
    assert "**change unknown: 1 changed line without a price; total $39.50/month**" in body
    assert changed_rows(body) == [
        ["removed", US, "—", "SMS (usage)", "1 number-month × no price = unknown", "—", "unknown"]
    ]


def test_unknown_totals_with_every_changed_line_priced_still_give_the_exact_difference():
    # As prod today: usage without a price on both sides, unchanged; the pool grows from 2 to 1000 numbers.
    unpriced = [line(US, None, "Teams interop minutes", 500, None, kind="usage", unit="minute")]
    before, after = estimate(base_lines(pool=2) + unpriced), estimate(base_lines(pool=1000) + unpriced)
    body = render(before, after)
    assert "**⬆️ +$1,996.00/month; total unknown (1 line without a price)**" in body
    assert (
        "| **Total** | **unknown (1 line without a price)** | **unknown (1 line without a price)** | **⬆️ +$1,996.00** |"
        in (body)
    )
    assert "> **The monthly cost goes up by $1,996.00** (the total itself is unknown: lines without a price)." in body
    assert "Priced lines alone, without those that have no price: $39.50 before, $2,035.50 after." in body
    assert changed_rows(body)[0][-1] == "⬆️ +$1,996.00"
    assert body.splitlines()[0] == "<!-- acs-platform:cost stack=prod before=- after=- difference=1996.00 big=yes -->"


def test_priced_lines_that_add_much_stand_out_even_beside_lines_without_a_price():
    after_lines = base_lines(pool=1000) + [line(US, None, "Teams interop minutes", 500, None, kind="usage")]
    body = render(estimate(base_lines()), estimate(after_lines))
    assert "**change unknown: 1 changed line without a price, priced lines ⬆️ +$1,996.00/month; total unknown" in body
    assert "**unknown (priced lines ⬆️ +$1,996.00; 1 changed line without a price)** |" in body
    assert "> **The priced lines that changed add $1,996.00 a month**, and 1 changed line without a price" in body


# --- no estimate of the base branch ----------------------------------------------------------------------


def test_without_a_before_it_says_so_and_shows_the_after_alone():
    body = render(None, estimate(base_lines()))
    assert "**$39.50/month (no estimate of the base branch)**" in body
    assert "> No estimate of the base branch: it has no `preflight cost` yet, or its estimate failed" in body
    assert "| Instance | Monthly |" in body and f"| {US} | $11.50 |" in body and "| **Total** | **$39.50** |" in body
    assert "Difference" not in body and "Before: the base branch" not in body
    assert body.splitlines()[0] == "<!-- acs-platform:cost stack=prod before=- after=39.50 difference=- big=no -->"


def test_estimates_in_two_currencies_are_not_compared():
    body = render(estimate(base_lines(), currency="EUR"), estimate(base_lines()))
    assert "the base branch's estimate is in EUR, this branch's in USD" in body
    assert "Difference" not in body


def test_other_currencies_are_written_with_their_code_or_symbol():
    assert cost.money(cost.Decimal("1234.5"), "EUR") == "€1,234.50"
    assert cost.money(cost.Decimal("-3"), "CHF") == "-3.00 CHF"
    assert cost.money(cost.Decimal("0.00025"), "USD", exact=True) == "$0.00025"
    assert cost.money(cost.Decimal("2"), "USD", exact=True) == "$2.00"


# --- the command ---------------------------------------------------------------------------------------


def test_the_command_writes_the_section(tmp_path):
    before = write(tmp_path, "cost-base-prod.json", estimate(base_lines()))
    after = write(tmp_path, "cost-prod.json", estimate(base_lines(pool=1000)))
    out = tmp_path / "cost-prod.md"
    assert cost.main(["--stack", "prod", "--before", before, "--after", after, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render(estimate(base_lines()), estimate(base_lines(pool=1000)))


def test_the_same_input_gives_the_same_section_byte_for_byte(tmp_path):
    after_lines = base_lines(pool=1000) + [line(EU, f"p{i}", "lease", 1, 1.0) for i in range(40)]
    shuffled = list(after_lines)
    random.Random(15).shuffle(shuffled)
    before = write(tmp_path, "before.json", estimate(base_lines()))
    bodies = []
    for name, lines in (("a.json", after_lines), ("b.json", after_lines), ("c.json", shuffled)):
        after = write(tmp_path, name, estimate(lines))
        out = tmp_path / f"{name}.md"
        assert cost.main(["--stack", "prod", "--before", before, "--after", after, "--out", str(out)]) == 0
        bodies.append(out.read_bytes())
    # Twice the same, and the same whatever order the estimate lists its lines in.
    assert bodies[0] == bodies[1] == bodies[2]


BAD = {
    "not-json.json": ("{", "not JSON"),
    "a-list.json": ("[]", "the estimate: expected an object"),
    "no-total.json": (lambda e: e.pop("total"), "total: expected an object"),
    "text-quantity.json": (
        lambda e: e["lines"][0].update(quantity="2"),
        'lines[0].quantity: expected a number, got "2"',
    ),
    "bad-kind.json": (lambda e: e["lines"][0].update(kind="monthly"), "lines[0].kind: expected 'fixed' or 'usage'"),
    "negative-count.json": (lambda e: e["total"].update(unknownLines=-1), "total.unknownLines: expected a count"),
    "nan.json": (lambda e: e["total"].update(known=float("nan")), "not JSON: NaN is not a number"),
    "huge.json": (lambda e: e["lines"][0].update(monthly=1e300), "lines[0].monthly: 1e+300 is beyond any estimate"),
    "other-stack.json": (lambda e: e.update(stack="dev"), "an estimate of stack 'dev', not 'prod'"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_wrong_estimate_exits_2_with_an_error_that_says_where(tmp_path, capsys, name):
    change, message = BAD[name]
    if isinstance(change, str):
        document = change
    else:
        document = estimate(base_lines())
        change(document)
        document = json.dumps(document)
    bad = write(tmp_path, name, document)
    good = write(tmp_path, "good.json", estimate(base_lines()))
    out = tmp_path / "out.md"
    for args in (["--after", bad], ["--after", good, "--before", bad]):
        assert cost.main(["--stack", "prod", *args, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {bad}: ") and message in err, err
        assert not out.exists()


def test_a_missing_file_exits_2(tmp_path, capsys):
    absent = str(tmp_path / "absent.json")
    assert cost.main(["--stack", "prod", "--after", absent, "--out", str(tmp_path / "out.md")]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_a_base_estimate_that_cannot_be_read_can_be_left_out(tmp_path, capsys):
    after = write(tmp_path, "after.json", estimate(base_lines()))
    bad = write(tmp_path, "before.json", '{"stack": "prod"')
    out = tmp_path / "out.md"
    code = cost.main(["--stack", "prod", "--after", after, "--before", bad, "--before-optional", "--out", str(out)])
    assert code == 0
    assert "warning: the base branch's estimate is left out" in capsys.readouterr().err
    body = out.read_text(encoding="utf-8")
    assert "> No estimate of the base branch: its estimate could not be read (see the job log)." in body
    assert "| **Total** | **$39.50** |" in body
    # --before-optional forgives the base only: this branch's estimate must be read.
    code = cost.main(["--stack", "prod", "--after", bad, "--before-optional", "--out", str(out)])
    assert code == 2


def test_the_module_runs_and_fails_without_a_traceback(tmp_path):
    bad = write(tmp_path, "bad.json", '{"stack": "prod", "total": 3}')
    result = subprocess.run(
        [sys.executable, "-m", "gitops.cost", "--stack", "prod", "--after", bad, "--out", str(tmp_path / "o.md")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "error:" in result.stderr
