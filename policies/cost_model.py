"""What a stack costs each month, priced with the dated table data/acs-prices.yaml.

Pure functions, shared by the policy monthly-cost-budget (cost_budget.py) and `python -m preflight cost`:
- `fixed_lines` prices what resources commit to every month (phone number leases), and lists the
  resources billed by volumes the stack does not declare (a workspace, a vault, a storage account) as
  lines of unknown price;
- `usage_lines` prices the expected volumes of an instance (`expectedMonthlyUsage`: SMS segments,
  emails, PSTN minutes).

A line whose row is missing from the table, or is in another currency than the table's, has no unit
price and no monthly amount: it is unknown, never zero, and a total that includes it is incomplete.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .resource_types import KEY_VAULT, PHONE_NUMBER_POOL, STORAGE_ACCOUNT, WORKSPACE

TABLE = Path(__file__).resolve().parent / "data" / "acs-prices.yaml"
CURRENCY = "USD"
SHARED = "shared"  # the instance name of what the instances share (workspace, vault, storage)
FIXED, USAGE = "fixed", "usage"
NUMBER_TYPE_WORDS = {"tollFree": "toll-free", "geographic": "geographic", "mobile": "mobile"}
DIRECTION_WORDS = {"outbound": "sent", "inbound": "received"}
KB_PER_MB = 1024
ROW_KEYS = ("id", "item", "unit", "price", "currency", "read", "source")

# Resources billed by volumes the stacks do not declare: (row id, item, unit). The table has no row
# for them (a workspace has no monthly price of its own), so they are reported as unknown.
USAGE_BILLED = {
    WORKSPACE: (
        "log-analytics/workspace-month",
        "Log Analytics workspace: data ingestion and retention",
        "workspace-month",
    ),
    KEY_VAULT: ("key-vault/vault-month", "Key Vault: operations", "vault-month"),
    STORAGE_ACCOUNT: ("storage/account-month", "storage account: capacity and operations", "account-month"),
}


class PriceTableError(ValueError):
    """The price table is malformed: the message names the row and the key."""


@dataclass(frozen=True)
class Price:
    id: str
    item: str
    unit: str
    price: float
    currency: str
    read: str
    source: str  # a key of the table's `sources`
    url: str


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    currency: str
    rows: Mapping[str, Price]

    def unit_price(self, row_id: str) -> float | None:
        """The price of a row in the table's currency; None when there is no such row or it is in
        another currency (prices are never converted)."""
        row = self.rows.get(row_id)
        return row.price if row is not None and row.currency == self.currency else None


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def parse_table(document: Any, where: str = "the price table") -> PriceTable:
    if not isinstance(document, Mapping) or not isinstance(document.get("prices"), list):
        raise PriceTableError(f"{where}: expected a mapping with as_of, currency, sources and a list of prices")
    sources = document.get("sources") or {}
    rows: dict[str, Price] = {}
    for index, row in enumerate(document["prices"]):
        missing = [key for key in ROW_KEYS if not isinstance(row, Mapping) or row.get(key) in (None, "")]
        if missing:
            raise PriceTableError(f"{where}: prices[{index}] lacks {', '.join(missing)}")
        price = row["price"]
        if isinstance(price, bool) or not isinstance(price, int | float) or price < 0:
            raise PriceTableError(f"{where}: prices[{index}] ({row['id']}) price {price!r} is not a number >= 0")
        if row["source"] not in sources or not (sources[row["source"]] or {}).get("url"):
            raise PriceTableError(
                f"{where}: prices[{index}] ({row['id']}) cites source {row['source']!r}, not in sources"
            )
        if row["id"] in rows:
            raise PriceTableError(f"{where}: prices[{index}] repeats the id {row['id']!r}")
        rows[row["id"]] = Price(
            str(row["id"]),
            str(row["item"]),
            str(row["unit"]),
            float(price),
            str(row["currency"]),
            _text(row["read"]),
            str(row["source"]),
            str(sources[row["source"]]["url"]),
        )
    return PriceTable(_text(document.get("as_of")), str(document.get("currency", CURRENCY)), rows)


@cache
def price_table(path: Path = TABLE) -> PriceTable:
    return parse_table(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)


@dataclass(frozen=True)
class CostLine:
    instance: str
    resource: str | None  # the Pulumi resource name; None for a usage line
    item: str
    kind: str  # FIXED or USAGE
    quantity: float
    unit: str
    unit_price: float | None  # None: unknown
    source: str  # the row id in the table (for an unknown line, the id that is missing)

    @property
    def monthly(self) -> float | None:
        return None if self.unit_price is None else self.quantity * self.unit_price

    def to_json(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "resource": self.resource,
            "item": self.item,
            "kind": self.kind,
            "quantity": rounded(self.quantity),
            "unit": self.unit,
            "unitPrice": self.unit_price,
            "monthly": None if self.monthly is None else rounded(self.monthly),
            "source": self.source,
        }


def rounded(value: float) -> float | int:
    """A JSON number rounded to 4 decimals (3 is shown as 3)."""
    value = round(value, 4)
    return int(value) if value.is_integer() else value


def _line(
    table: PriceTable, instance: str, resource: str | None, item: str, kind: str, quantity: float, unit: str, row: str
) -> CostLine:
    return CostLine(instance, resource, item, kind, float(quantity), unit, table.unit_price(row), row)


def _words(number_type: str) -> str:
    return NUMBER_TYPE_WORDS.get(number_type, number_type)


def lease_id(country: str, number_type: str) -> str:
    return f"lease/{country}/{number_type}"


def _number(value: Any) -> float | None:
    return None if isinstance(value, bool) or not isinstance(value, int | float) else float(value)


def fixed_lines(
    resources: Iterable[tuple[str, str, Mapping[str, Any], str]], table: PriceTable | None = None
) -> list[CostLine]:
    """The monthly lines of resources given as (type, name, props, instance): a phone number pool is
    `quantity` number leases; a workspace, vault or storage account is a line of unknown price. A pool
    whose country, type or quantity a preview cannot know yet is left out (judged once known)."""
    table = table or price_table()
    lines = []
    for type_token, name, props, instance in resources:
        if type_token == PHONE_NUMBER_POOL:
            country, number_type = props.get("countryCode"), props.get("numberType")
            quantity = _number(props.get("quantity"))
            if not isinstance(country, str) or not isinstance(number_type, str) or quantity is None:
                continue
            item = f"phone number lease: {country} {_words(number_type)}"
            lines.append(
                _line(table, instance, name, item, FIXED, quantity, "number-month", lease_id(country, number_type))
            )
        elif type_token in USAGE_BILLED:
            row, item, unit = USAGE_BILLED[type_token]
            lines.append(_line(table, instance, name, item, USAGE, 1, unit, row))
    return lines


def usage_lines(instance: str, usage: Mapping[str, Any] | None, table: PriceTable | None = None) -> list[CostLine]:
    """The lines of an instance's expected monthly usage, in the camelCase shape of the stack file:
    {sms: [{country, numberType, direction, segments}], email: {messages, averageSizeKb},
    pstnMinutes: [{country, numberType, direction, minutes}]}. An SMS segment costs its usage fee and,
    where Microsoft lists one, a carrier surcharge: two lines."""
    table = table or price_table()
    if not usage:
        return []
    lines = []
    for sms in usage.get("sms") or []:
        country, number_type, direction = sms["country"], sms["numberType"], sms["direction"]
        what = f"{country} {_words(number_type)}, {DIRECTION_WORDS.get(direction, direction)}"
        key = f"{country}/{number_type}/{direction}"
        segments = sms["segments"]
        lines.append(_line(table, instance, None, f"SMS: {what}", USAGE, segments, "message segment", f"sms/{key}"))
        lines.append(
            _line(
                table,
                instance,
                None,
                f"SMS carrier surcharge: {what}",
                USAGE,
                segments,
                "message segment",
                f"sms-surcharge/{key}",
            )
        )
    email = usage.get("email")
    if email:
        messages = email["messages"]
        lines.append(_line(table, instance, None, "email: messages sent", USAGE, messages, "email", "email/message"))
        megabytes = messages * email.get("averageSizeKb", 0) / KB_PER_MB
        lines.append(_line(table, instance, None, "email: data sent", USAGE, megabytes, "MB", "email/data"))
    for call in usage.get("pstnMinutes") or []:
        country, number_type, direction = call["country"], call["numberType"], call["direction"]
        item = f"PSTN minutes: {country} {_words(number_type)}, {direction}"
        row = f"pstn/{country}/{number_type}/{direction}"
        lines.append(_line(table, instance, None, item, USAGE, call["minutes"], "minute", row))
    return lines


@dataclass(frozen=True)
class Subtotal:
    name: str
    known: float
    unknown_lines: int

    @property
    def monthly(self) -> float | None:
        return None if self.unknown_lines else self.known

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "monthly": None if self.monthly is None else rounded(self.monthly),
            "known": rounded(self.known),
            "unknownLines": self.unknown_lines,
        }


def subtotal(name: str, lines: Iterable[CostLine]) -> Subtotal:
    lines = list(lines)
    known = sum(line.monthly for line in lines if line.monthly is not None)
    return Subtotal(name, float(known), sum(1 for line in lines if line.monthly is None))


def heaviest(lines: Iterable[CostLine], count: int) -> list[CostLine]:
    """The `count` known lines that cost most, heaviest first (ties by instance, item)."""
    known = [line for line in lines if line.monthly is not None]
    return sorted(known, key=lambda line: (-(line.monthly or 0), line.instance, line.item))[:count]
