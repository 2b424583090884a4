"""The common interface Azure Verified Modules give every resource (`lock`, `roleAssignments`, `tags`), as
the stack configuration takes it on an ACS resource, an email service and each email domain.

AVM's modules (Azure/bicep-registry-modules avm/res/communication/communication-service, email-service,
email-service/domain, main.bicep) take `lock: {kind, name?}` and `roleAssignments: [{name?,
roleDefinitionIdOrName, principalId, principalType?, description?, condition?, conditionVersion?,
delegatedManagedIdentityResourceId?}]`. Here a lock also takes `notes`, a role assignment names its role
`role` as the instance's `roleAssignments` always have, and tags are `Tags` (stackconfig/fields.py).
"""

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, model_validator

from . import azure_rules as rules
from .fields import ConfigModel, Guid, NonEmpty, Role, matching, unique_by
from .roles import role_definition_guid
from .secrets import PrincipalConfig

# Microsoft.Authorization/locks (REST API "Management Locks - Create Or Update At Resource Level", 2016-09-01):
# "The lock name can be a maximum of 260 characters. It cannot contain <, > %, &, :, \, ?, /, or any control
# characters"; `notes`: "Notes about the lock. Maximum of 512 characters."
LOCK_NAME_MAX = 260
LOCK_NOTES_MAX = 512
LOCK_NAME_FORBIDDEN = re.compile(r"[<>%&:\\?/\x00-\x1f\x7f]")

# Why a ReadOnly lock is refused, by the resource it would be on. Azure's own words ("Lock your resources to
# protect your infrastructure", learn.microsoft.com/azure/azure-resource-manager/management/lock-resources;
# ManagementLockObject.level): ReadOnly means "authorized users can only read from a resource, but they can't
# modify or delete it", and ARM treats POST operations as writes, so a ReadOnly lock blocks them too (the
# docs' example: listing a storage account's keys, a POST, fails under a ReadOnly lock).
_READ_ONLY = (
    "a ReadOnly lock lets authorized users only read the resource: Azure Resource Manager refuses every write, "
    "and POST operations count as writes"
)
READ_ONLY_ON_ACS = (
    f"{_READ_ONLY}, so on an ACS resource it blocks listing and regenerating its keys (listKeys, regenerateKey: "
    "POSTs, which key rotation and connection strings need) and linking email domains (an update of linkedDomains)"
)
READ_ONLY_ON_EMAIL = (
    f"{_READ_ONLY}, so on an email service or domain it blocks the domain's verification (initiateVerification, "
    "a POST) and every change of senders, suppression lists and the domain's settings"
)
LOCK_KINDS_ALLOWED = "'CanNotDelete' (deletes are refused, reads and changes go on) or 'None' (no lock)"


def _lock_kind(reason: str):
    def check(value: str) -> str:
        if value == "ReadOnly":
            raise ValueError(f"is not allowed: {reason}; allowed: {LOCK_KINDS_ALLOWED}")
        if value not in rules.LOCK_LEVELS:
            raise ValueError(f"is not allowed; allowed: {LOCK_KINDS_ALLOWED}")
        return value

    return AfterValidator(check)


def _lock_name(value: str) -> str:
    if not value or len(value) > LOCK_NAME_MAX or LOCK_NAME_FORBIDDEN.search(value):
        raise ValueError(
            f"must be 1 to {LOCK_NAME_MAX} characters without < > % & : \\ ? / or control characters "
            "(Azure's rule for lock names)"
        )
    return value


def _lock_notes(value: str) -> str:
    if len(value) > LOCK_NOTES_MAX:
        raise ValueError(f"is {len(value)} characters; a lock's notes are at most {LOCK_NOTES_MAX}")
    return value


LockName = Annotated[str, AfterValidator(_lock_name)]
LockNotes = Annotated[NonEmpty, AfterValidator(_lock_notes)]


class LockConfig(ConfigModel):
    """A management lock on an ACS resource: AVM's `lock` with `notes`. `name` defaults to the stack's lock
    name (`acs-platform-<kind in lower case>`), so a lock made before stays the same lock."""

    kind: Annotated[str, _lock_kind(READ_ONLY_ON_ACS)]
    name: LockName | None = None
    notes: LockNotes | None = None


class EmailLockConfig(LockConfig):
    """A management lock on an email service or domain: `name` defaults to AVM's `lock-<resource name>`."""

    kind: Annotated[str, _lock_kind(READ_ONLY_ON_EMAIL)]


def avm_lock_name(resource_name: str) -> str:
    """AVM's default lock name, `lock-<resource name>`, for the resources that had no lock before."""
    return f"lock-{resource_name}"[:LOCK_NAME_MAX]


# ABAC conditions: "Currently the only accepted value is '2.0'" (Microsoft.Authorization roleAssignments,
# `conditionVersion`). An unquoted 2.0 in a stack file is a number, which the CLI passes on as 2: taken as "2.0".
CONDITION_VERSIONS = ("2.0",)


def _condition_version(value: Any) -> Any:
    return "2.0" if isinstance(value, int | float) and not isinstance(value, bool) and value == 2 else value


class RoleAssignmentConfig(PrincipalConfig):
    """A role granted on one resource (an ACS resource, an email service, a domain): AVM's roleAssignments."""

    role: Role  # a built-in role name, a role definition GUID, or a role definition id
    description: NonEmpty | None = None
    # The assignment's name in Azure (a GUID). By default one derived from scope, principal and role; give the
    # name of an assignment made before (by AVM's `guid(scope, principalId, roleDefinitionId)` or by hand) to
    # keep that name instead of a second assignment Azure refuses (RoleAssignmentExists).
    name: Guid | None = None
    # An ABAC condition (such as on the actions a principal may take), with its version: "2.0" only.
    condition: NonEmpty | None = None
    condition_version: Annotated[Literal[CONDITION_VERSIONS], BeforeValidator(_condition_version)] | None = None  # type: ignore[valid-type]
    # Cross-tenant (Azure Lighthouse) assignments: the resource id of the delegated managed identity.
    delegated_managed_identity_resource_id: Annotated[str, matching(rules.ARM_ID, rules.ARM_ID_RULE)] | None = None

    @property
    def role_definition_guid(self) -> str:
        return role_definition_guid(self.role)

    @model_validator(mode="after")
    def _version_with_condition(self) -> "RoleAssignmentConfig":
        if self.condition_version is not None and self.condition is None:
            raise ValueError(
                "conditionVersion is given without a condition: it is the version of the condition's language; "
                "give condition too, or leave conditionVersion out"
            )
        return self

    @property
    def effective_condition_version(self) -> str | None:
        """With a condition, its version ("2.0", the only one Azure takes, when not given); else none."""
        return (self.condition_version or CONDITION_VERSIONS[0]) if self.condition is not None else None


def _names_unique(assignments: list[RoleAssignmentConfig]) -> list[RoleAssignmentConfig]:
    seen: set[str] = set()
    for assignment in assignments:
        if assignment.name is not None:
            if assignment.name.lower() in seen:
                raise ValueError(f"has the assignment name {assignment.name!r} more than once")
            seen.add(assignment.name.lower())
    return assignments


# A principal gets a role once per resource: Azure refuses a second assignment of it (RoleAssignmentExists).
RoleAssignments = Annotated[
    list[RoleAssignmentConfig],
    unique_by("the assignment (principalId, role)", lambda a: f"{a.principal_id}, {a.role_definition_guid}"),
    AfterValidator(_names_unique),
]
