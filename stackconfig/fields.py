"""The building blocks of the config model: strict base model, validated field types, checks."""

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from . import azure_rules as rules
from .roles import role_definition_guid


def matching(pattern, rule: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {rule}")
        return value

    return AfterValidator(check)


def between(low: int, high: int, unit: str):
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be {low} to {high} {unit}")
        return value

    return AfterValidator(check)


def _data_location(value: str) -> str:
    if value in rules.DATA_LOCATIONS:
        return value
    near = [d for d in rules.DATA_LOCATIONS if d.lower() == value.lower()]
    hint = f" (did you mean {near[0]!r}? data locations are case-sensitive)" if near else ""
    raise ValueError(f"is not an ACS data location{hint}; allowed: {', '.join(rules.DATA_LOCATIONS)}")


def _role(value: str) -> str:
    role_definition_guid(value)  # raises ValueError naming what is accepted
    return value


# Set from their own keys (acs-platform:environment, owner, costCenter) on every resource.
STANDARD_TAGS = ("environment", "owner", "cost-center", "managed-by")


def _tags(tags: dict[str, str]) -> dict[str, str]:
    for name, value in tags.items():
        if name.lower() in STANDARD_TAGS:
            raise ValueError(f"tag {name!r} is set by acs-platform itself; standard tags: {', '.join(STANDARD_TAGS)}")
        if not name or len(name) > rules.TAG_NAME_MAX or rules.TAG_NAME_FORBIDDEN.search(name):
            raise ValueError(f"tag name {name!r} must be 1 to {rules.TAG_NAME_MAX} characters without < > % & \\ ? /")
        if len(value) > rules.TAG_VALUE_MAX:
            raise ValueError(f"tag {name!r} has a value longer than {rules.TAG_VALUE_MAX} characters")
    return tags


def unique_by(what: str, key: Callable[[Any], str] = str):
    def check(items: list) -> list:
        seen: set[str] = set()
        for item in items:
            # Azure resource names and ids compare case-insensitively.
            value = key(item).lower()
            if value in seen:
                raise ValueError(f"has {what} {key(item)!r} more than once")
            seen.add(value)
        return items

    return AfterValidator(check)


NonEmpty = Annotated[str, Field(min_length=1)]
AcsName = Annotated[str, matching(rules.ACS_NAME, rules.ACS_NAME_RULE)]
DataLocation = Annotated[str, AfterValidator(_data_location)]
Guid = Annotated[str, matching(rules.GUID, "a GUID such as 00000000-0000-0000-0000-000000000000")]
Region = Annotated[str, matching(rules.REGION_NAME, rules.REGION_NAME_RULE)]
ResourceGroupName = Annotated[str, matching(rules.RESOURCE_GROUP_NAME, rules.RESOURCE_GROUP_NAME_RULE)]
WorkspaceName = Annotated[str, matching(rules.WORKSPACE_NAME, rules.WORKSPACE_NAME_RULE)]
UserAssignedIdentityId = Annotated[str, matching(rules.USER_ASSIGNED_IDENTITY_ID, rules.USER_ASSIGNED_IDENTITY_ID_RULE)]
Tags = Annotated[dict[str, str], AfterValidator(_tags)]
Role = Annotated[str, AfterValidator(_role)]


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, alias_generator=to_camel, populate_by_name=True)
