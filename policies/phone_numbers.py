"""Phone number pools: only what ACS sells to the subscription's billing country, within limits.

Availability comes from a dated table in the repository (data/phone-number-availability.yaml),
or, in the online mode, from Azure itself (`list_available_offerings`) where credentials exist.
The documented limits are on requests, per tenant: one purchase at a time and five searches a
week. Each pool is one search when it is created or grows, so a stack may declare at most as
many pools as the searches the tenant has left this week (`maxPools`, 5 by default).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from .resource_types import PHONE_NUMBER_POOL
from .support import UNKNOWN, known, of_type, resource_rule, stack_rule

TABLE = Path(__file__).resolve().parent / "data" / "phone-number-availability.yaml"
LIMITS_DOC = "https://learn.microsoft.com/azure/communication-services/concepts/service-limits"
AVAILABILITY_DOC = (
    "https://learn.microsoft.com/azure/communication-services/concepts/numbers/sub-eligibility-number-capability"
)
# What each capability value allows, as sets of directions.
DIRECTIONS = {
    "none": set(),
    "inbound": {"inbound"},
    "outbound": {"outbound"},
    "inbound+outbound": {"inbound", "outbound"},
}


@dataclass(frozen=True)
class Offering:
    country: str
    type: str
    billing: frozenset[str]
    sms: str
    calling: str
    source: str

    def allows(self, sms: str, calling: str) -> bool:
        return DIRECTIONS[sms] <= DIRECTIONS[self.sms] and DIRECTIONS[calling] <= DIRECTIONS[self.calling]


@cache
def table() -> tuple[str, list[Offering]]:
    document = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    lists = document["billing_lists"]
    offerings = [
        Offering(
            row["country"],
            row["type"],
            frozenset(lists[row["billing"]] if isinstance(row["billing"], str) else row["billing"]),
            row["sms"],
            row["calling"],
            row["source"],
        )
        for row in document["offerings"]
    ]
    return str(document["as_of"]), offerings


def _pool(args_props) -> tuple[str, str, str, str] | None:
    values = tuple(known(args_props, key) for key in ("countryCode", "numberType", "sms", "calling"))
    return None if UNKNOWN in values or None in values else values  # type: ignore[return-value]


@resource_rule(
    name="phone-number-availability",
    description="Phone number pools ask only for numbers ACS sells to the subscription's billing country.",
    types=[PHONE_NUMBER_POOL],
    severity=Severity.HIGH,
    remediation="Choose a country, number type and capabilities sold to your billing country (see the table in "
    "policies/data/phone-number-availability.yaml and Microsoft's country pages), or set the policy's "
    "billingCountry to the subscription's.",
    url=AVAILABILITY_DOC,
    config_schema=PolicyConfigSchema(
        properties={"billingCountry": {"type": "string", "pattern": "^[A-Z]{2}$", "default": "US"}}
    ),
)
def availability(args: ResourceValidationArgs, report: ReportViolation) -> None:
    pool = _pool(args.props)
    if pool is None:
        return
    country, number_type, sms, calling = pool
    billing = args.get_config()["billingCountry"]
    as_of, offerings = table()
    sold = [o for o in offerings if (o.country, o.type) == (country, number_type) and billing in o.billing]
    if not sold:
        report(
            f"{args.name}: {number_type} numbers in {country} are not sold to billing country {billing} "
            f"(table of {as_of})."
        )
    elif not any(o.allows(sms, calling) for o in sold):
        offer = sold[0]
        report(
            f"{args.name}: {number_type} numbers in {country} offer sms {offer.sms!r} and calling {offer.calling!r}; "
            f"the pool asks for sms {sms!r} and calling {calling!r} (table of {as_of}, {offer.source})."
        )


@stack_rule(
    name="phone-number-purchase-limits",
    description="A stack asks for no more number searches than a tenant may make in a week.",
    severity=Severity.MEDIUM,
    remediation="Merge pools of the same country, type and capabilities, or raise the limit with Azure support "
    "and the policy's maxPools with it.",
    url=LIMITS_DOC,
    config_schema=PolicyConfigSchema(properties={"maxPools": {"type": "integer", "minimum": 1, "default": 5}}),
)
def purchase_limits(args: StackValidationArgs, report: ReportViolation) -> None:
    pools = of_type(args.resources, PHONE_NUMBER_POOL)
    limit = int(args.get_config()["maxPools"])
    if len(pools) > limit:
        report(f"{len(pools)} phone number pools need {len(pools)} searches; a tenant may make {limit} a week.")


POLICIES = [availability, purchase_limits]
