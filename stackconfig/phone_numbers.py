"""Phone number pools of an ACS instance: numbers bought and released by the stack."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from . import azure_rules as rules
from .fields import Bool, ConfigModel, NonEmpty, between, matching, unique_by

Capability = Literal[rules.CAPABILITIES]  # type: ignore[valid-type]


class PoolConfig(ConfigModel):
    name: Annotated[str, matching(rules.POOL_NAME, "1 to 32 lower-case letters, digits and '-'")]
    country_code: Annotated[str, matching(rules.COUNTRY_CODE, "an ISO 3166 country code such as US")]
    number_type: Literal[rules.NUMBER_TYPES]  # type: ignore[valid-type]
    assignment_type: Literal[rules.ASSIGNMENT_TYPES] = "application"  # type: ignore[valid-type]
    sms: Capability = "none"
    calling: Capability = "none"
    area_code: Annotated[str, matching(rules.AREA_CODE, rules.AREA_CODE_RULE)] | None = None
    locality: NonEmpty | None = None
    quantity: Annotated[int, between(1, 1000, "numbers")]
    agree_to_not_resell: Bool = False  # some countries sell only to those who agree
    # On by default in prod (the tier's default): numbers are not released by a delete or a destroy.
    protect: Bool | None = None
    # A change of country, type, assignment, area or locality means other numbers: refused unless allowed.
    allow_replacement: Bool = False

    @model_validator(mode="after")
    def _has_a_use(self) -> "PoolConfig":
        if self.sms == "none" and self.calling == "none":
            raise ValueError("asks for numbers with neither sms nor calling: set one of them")
        return self


class PhoneNumbersConfig(ConfigModel):
    pools: Annotated[list[PoolConfig], Field(min_length=1), unique_by("the pool", lambda p: p.name)]
