"""The typed model of a stack's configuration, validated before any resource is declared.

Keys are camelCase in the stack files (`dataLocation`), snake_case here (`data_location`). Every
model forbids unknown keys and is strict about types, so a typo or a quoted boolean is an error
that names the key rather than a default that silently applies.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic.alias_generators import to_camel

from . import azure_rules as rules
from .roles import role_definition_guid
from .tiers import TIERS


def _matching(pattern, rule: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {rule}")
        return value

    return AfterValidator(check)


def _between(low: int, high: int, unit: str):
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


def _unique_by(what: str, key: Callable[[Any], str] = str):
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
AcsName = Annotated[str, _matching(rules.ACS_NAME, rules.ACS_NAME_RULE)]
DataLocation = Annotated[str, AfterValidator(_data_location)]
Guid = Annotated[str, _matching(rules.GUID, "a GUID such as 00000000-0000-0000-0000-000000000000")]
Region = Annotated[str, _matching(rules.REGION_NAME, rules.REGION_NAME_RULE)]
ResourceGroupName = Annotated[str, _matching(rules.RESOURCE_GROUP_NAME, rules.RESOURCE_GROUP_NAME_RULE)]
WorkspaceName = Annotated[str, _matching(rules.WORKSPACE_NAME, rules.WORKSPACE_NAME_RULE)]
UserAssignedIdentityId = Annotated[
    str, _matching(rules.USER_ASSIGNED_IDENTITY_ID, rules.USER_ASSIGNED_IDENTITY_ID_RULE)
]
Tags = Annotated[dict[str, str], AfterValidator(_tags)]
Role = Annotated[str, AfterValidator(_role)]


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, alias_generator=to_camel, populate_by_name=True)


class RoleAssignmentConfig(ConfigModel):
    principal_id: Guid
    principal_type: Literal[rules.PRINCIPAL_TYPES]  # type: ignore[valid-type]
    role: Role  # a built-in role name, a role definition GUID, or a role definition id
    description: NonEmpty | None = None

    @property
    def role_definition_guid(self) -> str:
        return role_definition_guid(self.role)


class ManagedIdentitiesConfig(ConfigModel):
    system_assigned: bool = True
    user_assigned_resource_ids: Annotated[list[UserAssignedIdentityId], _unique_by("the identity")] = []


class InstanceConfig(ConfigModel):
    name: AcsName
    data_location: DataLocation
    disable_local_auth: bool = True
    public_network_access: Literal[rules.PUBLIC_NETWORK_ACCESS] = "Enabled"  # type: ignore[valid-type]
    managed_identities: ManagedIdentitiesConfig = ManagedIdentitiesConfig()
    role_assignments: Annotated[
        list[RoleAssignmentConfig],
        _unique_by("the assignment (principalId, role)", lambda a: f"{a.principal_id}, {a.role_definition_guid}"),
    ] = []
    tags: Tags = {}


class ResourceGroupConfig(ConfigModel):
    name: ResourceGroupName
    existing: bool = False  # true: use a resource group someone else manages, by name


class MonitoringConfig(ConfigModel):
    workspace_name: WorkspaceName
    log_retention_days: Annotated[int, _between(*rules.LOG_RETENTION_DAYS, "days")]


class ProtectionConfig(ConfigModel):
    lock: Literal[rules.LOCK_LEVELS]  # type: ignore[valid-type]
    protect: bool = True  # Pulumi `protect` on the resources whose loss loses data


class StackConfig(ConfigModel):
    """Everything under the `acs-platform:` namespace, plus `azure-native:location`."""

    location: Region
    tier: Literal[tuple(TIERS)]  # type: ignore[valid-type]
    environment: NonEmpty
    owner: NonEmpty
    cost_center: NonEmpty
    tags: Tags = {}
    resource_group: ResourceGroupConfig
    monitoring: MonitoringConfig
    protection: ProtectionConfig
    instances: Annotated[list[InstanceConfig], Field(min_length=1), _unique_by("the name", lambda i: i.name)]

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill what the stack file leaves out: names from the stack name, the rest from the tier."""
        if not isinstance(data, dict):
            return data
        stack = (info.context or {}).get("stack", "stack")
        data = dict(data)
        data.setdefault("environment", stack)
        # An unknown tier is reported on its own; prod's defaults keep it from causing more errors.
        tier = TIERS.get(str(data.get("tier")), TIERS["prod"])
        section_defaults: dict[str, dict[str, Any]] = {
            "resourceGroup": {"name": f"rg-acs-{stack}"},
            "monitoring": {"workspaceName": f"log-acs-{stack}", "logRetentionDays": tier.log_retention_days},
            "protection": {"lock": tier.lock},
        }
        for section, defaults in section_defaults.items():
            given = data.get(section, {})
            if isinstance(given, dict):  # a wrong type is left for field validation to report
                data[section] = {**defaults, **given}
        return data

    def tags_for(self, extra: dict[str, str]) -> dict[str, str]:
        """A taggable resource's tags: the stack's, its own, then the standard ones, which win."""
        standard = (self.environment, self.owner, self.cost_center, "acs-platform")
        return {**self.tags, **extra, **dict(zip(STANDARD_TAGS, standard, strict=True))}
