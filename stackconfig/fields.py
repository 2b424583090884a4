"""The building blocks of the config model: strict base model, validated field types, checks."""

import difflib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

# Set from their own keys (acs-platform:environment, owner, costCenter) on every resource; shared with the
# policy pack's required-tags, so it lives in the pack's folder (see policies/shared_facts.py).
from policies.shared_facts import STANDARD_TAGS

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


# How a date reaches the program when the stack file leaves it unquoted: the Pulumi CLI's YAML reader
# (go-yaml v3) resolves it as a timestamp and Pulumi passes Go's `time.Time.String()` text
# (sdk/go/common/resource/config/object.go), "2026-03-01 00:00:00 +0000 UTC".
_GO_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ([+-]\d{2})(\d{2}) \S+")


def from_go_time(value: Any) -> Any:
    """Go's time text as ISO 8601, for pydantic's date and datetime; anything else as it is."""
    if isinstance(value, str) and (match := _GO_TIME.fullmatch(value.strip())):
        day, clock, hours, minutes = match.groups()
        return f"{day}T{clock}{hours}:{minutes}"
    return value


def utc_now() -> datetime:
    """The one clock the configuration's date checks read (`expiresOn`): tests replace it."""
    return datetime.now(UTC)


def _bool(value: Any) -> bool:
    """A boolean as `pulumi up` reads one: `true` or `false` (Config.get_bool refuses the rest).
    A stack file is YAML 1.2 to the CLI: `no`, `yes`, `on`, `off` are strings, and so is `"true"`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        raise ValueError("is text, not a boolean; allowed: true or false, unquoted")
    hint = " (YAML 1.2, as Pulumi reads stack files: yes, no, on and off are text)" if isinstance(value, str) else ""
    raise ValueError(f"is not a boolean; allowed: true or false{hint}")


def _region(value: str) -> str:
    regions, logical = rules.azure_regions()
    if value in regions:
        return value
    listed = (
        f"Azure regions as `az account list-locations` names them ({rules.REGIONS_FILE}, as of {rules.regions_as_of()})"
    )
    if value == "global":
        raise ValueError(
            "is not a region: the resources that are global (ACS, email, Event Grid system topics) are set so by "
            f"acs-platform itself; give the region of the resource group, workspace and vault, such as westeurope; "
            f"allowed: {listed}"
        )
    if value in logical:
        raise ValueError(f"is a geography, not a region to deploy to; allowed: {listed}, such as westeurope")
    squeezed = "".join(value.split()).lower()
    near = [squeezed] if squeezed in regions else difflib.get_close_matches(squeezed, regions, n=3, cutoff=0.75)
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    raise ValueError(
        f"is not an Azure region; {hint}allowed: {listed}; names are lower case without spaces, such as westeurope"
    )


def _tag_value(value: str) -> str:
    if len(value) > rules.TAG_VALUE_MAX:
        raise ValueError(f"is {len(value)} characters; it becomes a tag value, at most {rules.TAG_VALUE_MAX}")
    return value


def _role(value: str) -> str:
    role_definition_guid(value)  # raises ValueError naming what is accepted
    return value


# Where each standard tag's value comes from.
_STANDARD_TAG_KEYS = {
    "environment": "remove this tag and set its value with acs-platform:environment (by default the stack's name)",
    "owner": "remove this tag and set its value with acs-platform:owner",
    "cost-center": "remove this tag and set its value with acs-platform:costCenter",
    "managed-by": "remove this tag: its value is always acs-platform",
}


def _tags(tags: dict[str, str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for name, value in tags.items():
        if name.lower() in STANDARD_TAGS:
            standard = name.lower()
            # Azure tag names are case-insensitive: `Environment` (as AVM's examples write it) is the same tag.
            clash = (
                f" (Azure tag names are case-insensitive: a resource cannot carry both {name!r} and the standard "
                f"{standard!r})"
                if name != standard
                else ""
            )
            raise ValueError(
                f"tag {name!r} is set by acs-platform itself as {standard!r}{clash}; {_STANDARD_TAG_KEYS[standard]}; "
                f"standard tags: {', '.join(STANDARD_TAGS)}"
            )
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise ValueError(
                f"has the tags {other!r} and {name!r}: Azure tag names are case-insensitive, one resource cannot carry "
                "both; keep one"
            )
        if not name or len(name) > rules.TAG_NAME_MAX or rules.TAG_NAME_FORBIDDEN.search(name):
            raise ValueError(f"tag name {name!r} must be 1 to {rules.TAG_NAME_MAX} characters without < > % & \\ ? /")
        if len(value) > rules.TAG_VALUE_MAX:
            raise ValueError(f"tag {name!r} has a value longer than {rules.TAG_VALUE_MAX} characters")
    if len(tags) > rules.TAGS_MAX - len(STANDARD_TAGS):
        raise ValueError(
            f"has {len(tags)} tags; a resource carries at most {rules.TAGS_MAX}, {len(STANDARD_TAGS)} of them "
            f"the standard tags ({', '.join(STANDARD_TAGS)}): at most {rules.TAGS_MAX - len(STANDARD_TAGS)} here"
        )
    return tags


def close_to(word: str, known: Any, cutoff: float = 0.75) -> str | None:
    """The known word `word` is probably a misspelling of, ignoring case, '-' and '_'."""
    squeeze = {"".join(c for c in k.lower() if c.isalnum()): k for k in known}
    typed = "".join(c for c in word.lower() if c.isalnum())
    if typed in squeeze:
        return squeeze[typed]
    near = difflib.get_close_matches(typed, list(squeeze), n=1, cutoff=cutoff)
    return squeeze[near[0]] if near else None


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
# A boolean key: `true` or `false` and nothing else, with a message that says so.
Bool = Annotated[bool, BeforeValidator(_bool)]
TagValue = Annotated[str, Field(min_length=1), AfterValidator(_tag_value)]
AcsName = Annotated[str, matching(rules.ACS_NAME, rules.ACS_NAME_RULE)]
DataLocation = Annotated[str, AfterValidator(_data_location)]
Guid = Annotated[str, matching(rules.GUID, "a GUID such as 00000000-0000-0000-0000-000000000000")]
Region = Annotated[str, AfterValidator(_region)]
ResourceGroupName = Annotated[str, matching(rules.RESOURCE_GROUP_NAME, rules.RESOURCE_GROUP_NAME_RULE)]
WorkspaceName = Annotated[str, matching(rules.WORKSPACE_NAME, rules.WORKSPACE_NAME_RULE)]
UserAssignedIdentityId = Annotated[str, matching(rules.USER_ASSIGNED_IDENTITY_ID, rules.USER_ASSIGNED_IDENTITY_ID_RULE)]
Tags = Annotated[dict[str, str], AfterValidator(_tags)]
Role = Annotated[str, AfterValidator(_role)]


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, alias_generator=to_camel, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_missing(cls, data: Any) -> Any:
        """`key: null` (or `key:` with nothing) inside an object is the key left out: required keys
        say so, the others take their default."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data
