"""Phone number pools: only what ACS sells to the subscription's billing country, within limits.

Availability comes from a dated table in the repository (data/phone-number-availability.yaml),
or, in the online mode (`online: true`, where credentials exist), from Azure itself:
`list_available_offerings` on the pool's ACS endpoint, which answers for the subscription's own
billing country (the client and who it signs in as: offerings_client.py). A pool whose endpoint a
preview cannot know yet (a new ACS resource), or an answer that does not come, is judged by the table.
The documented limits are on requests, per tenant: one purchase at a time and five searches a
week. Each pool is one search when it is created or grows, so a stack may declare at most as
many pools as the searches the tenant has left this week (`maxPools`, 5 by default).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pulumi_policy import PolicyConfigSchema, ReportViolation, ResourceValidationArgs, Severity, StackValidationArgs

from .offerings_client import default_client
from .resource_types import PHONE_NUMBER_POOL
from .shared_facts import CAPABILITIES, COUNTRY_CODE
from .support import UNKNOWN, known, of_type, resource_rule, stack_rule

TABLE = Path(__file__).resolve().parent / "data" / "phone-number-availability.yaml"
LIMITS_DOC = "https://learn.microsoft.com/azure/communication-services/concepts/service-limits"
AVAILABILITY_DOC = (
    "https://learn.microsoft.com/azure/communication-services/concepts/numbers/sub-eligibility-number-capability"
)
# What each capability value allows, as sets of directions: "inbound+outbound" allows both, "none" neither.
DIRECTIONS = {c: frozenset(c.split("+")) - {"none"} for c in CAPABILITIES}


def covers(offered_sms: str, offered_calling: str, sms: str, calling: str) -> bool:
    """Whether an offering of (offered_sms, offered_calling) allows every direction asked for."""
    return DIRECTIONS[sms] <= DIRECTIONS[offered_sms] and DIRECTIONS[calling] <= DIRECTIONS[offered_calling]


@dataclass(frozen=True)
class Offering:
    country: str
    type: str
    billing: frozenset[str]
    sms: str
    calling: str
    source: str

    def allows(self, sms: str, calling: str) -> bool:
        return covers(self.sms, self.calling, sms, calling)


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


def offered_online(
    endpoint: str,
    country: str,
    number_type: str,
    assignment: str,
    client_factory=default_client,
    connection_string_env: str | None = None,
):
    """The (sms, calling) capabilities Azure offers for these numbers to this subscription.
    `client_factory(endpoint, connection_string_env)` opens the client for a `with` block."""
    with client_factory(endpoint, connection_string_env) as client:
        offerings = client.list_available_offerings(country, phone_number_type=number_type, assignment_type=assignment)
        return [(o.available_capabilities.sms, o.available_capabilities.calling) for o in offerings]


def _online_verdict(args: ResourceValidationArgs, country: str, number_type: str, sms: str, calling: str) -> str | None:
    """A violation message from Azure's own offerings, "" when they allow the pool, None when unasked."""
    endpoint, assignment = known(args.props, "endpoint"), known(args.props, "assignmentType") or "application"
    if not args.get_config()["online"] or not isinstance(endpoint, str):
        return None
    env = known(args.props, "connectionStringEnv")
    try:
        offered = offered_online(
            endpoint, country, number_type, assignment, connection_string_env=env if isinstance(env, str) else None
        )
    except Exception:  # noqa: BLE001  offline, unauthorised, throttled: the table still judges
        return None
    return online_verdict(args.name, f"{assignment} {number_type} numbers in {country}", sms, calling, offered)


def online_verdict(name: str, numbers: str, sms: str, calling: str, offered: list[tuple[str, str]]) -> str:
    """ "" when one of Azure's offerings covers the capabilities asked for, else why not."""
    if any(covers(s, c, sms, calling) for s, c in offered):
        return ""
    return (
        f"{name}: Azure offers no {numbers} with sms {sms!r} and calling {calling!r} to this subscription; "
        f"it offers (sms, calling) {offered or 'nothing'}."
    )


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
        properties={
            "billingCountry": {"type": "string", "pattern": COUNTRY_CODE.pattern, "default": "US"},
            "online": {"type": "boolean", "default": False},
        }
    ),
)
def availability(args: ResourceValidationArgs, report: ReportViolation) -> None:
    pool = _pool(args.props)
    if pool is None:
        return
    country, number_type, sms, calling = pool
    online = _online_verdict(args, country, number_type, sms, calling)
    if online is not None:
        if online:
            report(online)
        return
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
    types=[PHONE_NUMBER_POOL],
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
