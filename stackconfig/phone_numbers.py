"""Phone number pools of an ACS instance: numbers bought and released by the stack.

A pool may also adopt numbers the ACS resource already holds (bought in the portal): `adoptNumbers`
lists them, `quantity` counts them, and only the rest is bought (none when they are as many).
"""

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from . import azure_rules as rules
from .fields import Bool, ConfigModel, NonEmpty, between, matching, unique_by

Capability = Literal[rules.CAPABILITIES]  # type: ignore[valid-type]

# A phone number as ACS writes one (E.164): '+', then 2 to 15 digits, the first not 0.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
E164_RULE = "an E.164 number: '+' then 2 to 15 digits, the first not 0, such as +18005550123"


def _e164(value: str) -> str:
    if not E164.fullmatch(value):
        raise ValueError(f"is not {E164_RULE}")
    return value


def _text_number(value: Any) -> Any:
    # YAML reads an unquoted +18005550123 as the integer 18005550123: the '+' is gone before we see it.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"is a number, not text (YAML drops the '+' of an unquoted +{value}); allowed: {E164_RULE}, "
            f"in quotes: '+{value}'"
        )
    return value


PhoneNumber = Annotated[str, BeforeValidator(_text_number), AfterValidator(_e164)]


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
    # Numbers the ACS resource already holds, taken into the pool instead of bought; `quantity` counts
    # them. Once in the pool, removing them from the list changes nothing.
    adopt_numbers: Annotated[list[PhoneNumber], unique_by("the number")] = []

    @model_validator(mode="after")
    def _has_a_use(self) -> "PoolConfig":
        if self.sms == "none" and self.calling == "none":
            raise ValueError("asks for numbers with neither sms nor calling: set one of them")
        return self

    @model_validator(mode="after")
    def _adopts_at_most_quantity(self) -> "PoolConfig":
        if len(self.adopt_numbers) > self.quantity:
            raise ValueError(
                f"adoptNumbers lists {len(self.adopt_numbers)} numbers ({', '.join(self.adopt_numbers)}), more than "
                f"the pool's quantity {self.quantity}; allowed: at most quantity, which counts the adopted numbers: "
                f"raise quantity to {len(self.adopt_numbers)} or list fewer"
            )
        return self


class PhoneNumbersConfig(ConfigModel):
    pools: Annotated[list[PoolConfig], Field(min_length=1), unique_by("the pool", lambda p: p.name)]

    @model_validator(mode="after")
    def _a_number_is_one_pool_s(self) -> "PhoneNumbersConfig":
        owners: dict[str, str] = {}
        for pool in self.pools:
            for number in pool.adopt_numbers:
                other = owners.setdefault(number, pool.name)
                if other != pool.name:
                    raise ValueError(f"pools {other} and {pool.name} both adopt {number}; a number is one pool's")
        return self
