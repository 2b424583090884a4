"""What an instance is expected to use each month, for the cost estimate (`python -m preflight cost`).

Volumes only, no prices: the prices are in the policy pack's table (policies/data/acs-prices.yaml).
SMS and PSTN minutes are given per country, number type and direction, as ACS prices them; a sent SMS
is priced by the country it goes to, a received one by the country it comes from.
"""

from typing import Annotated, Literal

from . import azure_rules as rules
from .fields import ConfigModel, between, matching, unique_by

Direction = Literal["inbound", "outbound"]
NumberType = Literal[rules.NUMBER_TYPES]  # type: ignore[valid-type]
Country = Annotated[str, matching(rules.COUNTRY_CODE, "an ISO 3166 country code such as US")]
MAX_VOLUME = 1_000_000_000  # a billion a month: beyond it, a typo rather than a forecast


def _key(entry: "SmsUsageConfig | PstnUsageConfig") -> str:
    return f"{entry.country}, {entry.number_type}, {entry.direction}"


class SmsUsageConfig(ConfigModel):
    country: Country
    number_type: NumberType
    direction: Direction
    segments: Annotated[int, between(0, MAX_VOLUME, "message segments")]


class EmailUsageConfig(ConfigModel):
    messages: Annotated[int, between(0, MAX_VOLUME, "emails")]
    # ACS takes a message of up to 10 MB, 30 MB with a raised limit.
    average_size_kb: Annotated[int, between(1, 30 * 1024, "KB")]


class PstnUsageConfig(ConfigModel):
    country: Country
    number_type: NumberType
    direction: Direction
    minutes: Annotated[int, between(0, MAX_VOLUME, "minutes")]


class UsageConfig(ConfigModel):
    sms: Annotated[list[SmsUsageConfig], unique_by("the entry (country, numberType, direction)", _key)] = []
    email: EmailUsageConfig | None = None
    pstn_minutes: Annotated[list[PstnUsageConfig], unique_by("the entry (country, numberType, direction)", _key)] = []
