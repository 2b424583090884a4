"""Direct Routing of an ACS instance: its SIP trunks (session border controllers) and voice routes.

A trunk is an SBC's FQDN and SIP signalling port; a route sends the numbers its pattern matches to its
trunks. Routes are tried in the order written (the first that matches takes the call; the next is tried
only when every trunk of the earlier one is unavailable), so the order is kept as given. Number patterns
are read by the policy pack's `number_patterns` module, which the pack's rules use too.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from policies.number_patterns import NumberPatternError, read
from policies.shared_facts import (
    SBC_UNSUPPORTED_DOMAINS,
    SIP_NUMBER_PATTERN_MAX,
    SIP_PORTS,
    SIP_ROUTE_DESCRIPTION_MAX,
    SIP_ROUTE_NAME_MAX,
    SIP_ROUTE_TRUNKS_MAX,
    SIP_ROUTES_MAX,
    SIP_TLS_PORT,
    SIP_TRUNK_FQDN_MAX,
    SIP_TRUNKS_MAX,
    in_domain,
)

from .fields import Bool, ConfigModel, unique_by

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
FQDN_RULE = (
    f"a host name such as sbc1.contoso.com: at least two labels of letters, digits and '-' (1 to 63 each, "
    f"not starting or ending with '-'), at most {SIP_TRUNK_FQDN_MAX} characters, not an IP address"
)


def _fqdn(value: str) -> str:
    """An SBC's FQDN, in lower case (host names are case-insensitive)."""
    name = value.lower()
    labels = name.split(".")
    if (
        len(name) > SIP_TRUNK_FQDN_MAX
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError(f"must be {FQDN_RULE}")
    unsupported = [d for d in SBC_UNSUPPORTED_DOMAINS if in_domain(name, d)]
    if unsupported:
        raise ValueError(
            f"is under {unsupported[0]}, which ACS does not take for an SBC; use a name in a domain of your own "
            "that you verify on the ACS resource (docs/direct-routing.md)"
        )
    return name


def _port(value: int) -> int:
    low, high = SIP_PORTS
    if not low <= value <= high:
        raise ValueError(f"must be a port, {low} to {high} (SIP over TLS is {SIP_TLS_PORT})")
    return value


def _number_pattern(value: str) -> str:
    if len(value) > SIP_NUMBER_PATTERN_MAX:
        raise ValueError(f"is {len(value)} characters; ACS takes at most {SIP_NUMBER_PATTERN_MAX}")
    try:
        read(value)
    except NumberPatternError as error:
        raise ValueError(
            f"{error}; a number pattern is a regular expression that matches only digits with an optional "
            rf"leading '+', such as '^\+1(\d{{10}})$'"
        ) from None
    return value


def _text(what: str, most: int):
    def check(value: str) -> str:
        if not value.strip():
            raise ValueError(f"is empty; a {what} has text")
        if len(value) > most:
            raise ValueError(f"is {len(value)} characters; ACS takes at most {most}")
        return value

    return AfterValidator(check)


def _at_most(most: int, what: str):
    def check(items: list) -> list:
        if len(items) > most:
            raise ValueError(f"has {len(items)} {what}; ACS takes at most {most}")
        return items

    return AfterValidator(check)


Fqdn = Annotated[str, AfterValidator(_fqdn)]


class SipTrunkConfig(ConfigModel):
    fqdn: Fqdn  # the SBC's FQDN: its domain (or itself) verified on the ACS resource first
    port: Annotated[int, AfterValidator(_port)]  # SIP signalling port; SIP over TLS is 5061


class VoiceRouteConfig(ConfigModel):
    name: Annotated[str, _text("route name", SIP_ROUTE_NAME_MAX)]
    description: Annotated[str, _text("description", SIP_ROUTE_DESCRIPTION_MAX)] | None = None
    number_pattern: Annotated[str, AfterValidator(_number_pattern)]
    # The trunks calls of this route go to, by FQDN, each declared under `trunks`.
    trunks: Annotated[
        list[Fqdn],
        Field(min_length=1),
        _at_most(SIP_ROUTE_TRUNKS_MAX, "trunks"),
        unique_by("the trunk"),
    ]


class DirectRoutingConfig(ConfigModel):
    trunks: Annotated[
        list[SipTrunkConfig],
        Field(min_length=1),
        _at_most(SIP_TRUNKS_MAX, "trunks"),
        unique_by("the trunk", lambda t: t.fqdn),
    ]
    # In the order written: the order in which ACS tries them.
    routes: Annotated[
        list[VoiceRouteConfig],
        _at_most(SIP_ROUTES_MAX, "routes"),
        unique_by("the route", lambda r: r.name),
    ] = []
    # true: the stack owns the instance's whole Direct Routing configuration, and removes trunks and
    # routes it does not declare; false: they are kept. Unset: the tier's default (true in prod).
    exclusive: Bool | None = None

    @field_validator("routes")
    @classmethod
    def _routes_use_declared_trunks(cls, routes: list[VoiceRouteConfig], info: ValidationInfo) -> list:
        if "trunks" not in info.data:  # the trunks have errors of their own
            return routes
        declared = [t.fqdn for t in info.data["trunks"]]
        undeclared = [
            f"routes[{index}] ({route.name!r}) uses {fqdn!r}"
            for index, route in enumerate(routes)
            for fqdn in route.trunks
            if fqdn not in declared
        ]
        if undeclared:
            raise ValueError(f"{'; '.join(undeclared)}, which trunks does not declare; declared: {', '.join(declared)}")
        return routes

    def effective_exclusive(self, tier_default: bool) -> bool:
        """Whether the stack removes trunks and routes it does not declare: `exclusive` where it is set,
        else the tier's default (`TierDefaults.direct_routing_exclusive`)."""
        return self.exclusive if self.exclusive is not None else tier_default
