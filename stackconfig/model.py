"""The typed model of a stack's configuration, validated before any resource is declared.

Keys are camelCase in the stack files (`dataLocation`), snake_case here (`data_location`). Every
model forbids unknown keys and is strict about types, so a typo or a quoted boolean is an error
that names the key rather than a default that silently applies.
"""

import hashlib
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from . import azure_rules as rules
from . import interface
from .adoption import adoption_problems, email_service_name, topic_name
from .budget import BudgetConfig
from .diagnostics import DiagnosticSettings
from .direct_routing import DirectRoutingConfig
from .email import EmailConfig
from .email_services import EmailServiceConfig, LinkedDomain, linked_domain_reference
from .errors import FOREIGN_KEYS, NAMESPACE
from .events import EventsConfig
from .fields import (
    STANDARD_TAGS,
    AcsName,
    Bool,
    ConfigModel,
    DataLocation,
    Guid,
    NonEmpty,
    Region,
    ResourceGroupName,
    Tags,
    TagValue,
    UserAssignedIdentityId,
    WorkspaceName,
    between,
    close_to,
    matching,
    unique_by,
)
from .phone_numbers import PhoneNumbersConfig
from .secrets import KeyRotationConfig, KeyVaultConfig
from .tiers import TIERS
from .usage import UsageConfig


class ManagedIdentitiesConfig(ConfigModel):
    system_assigned: Bool = True
    user_assigned_resource_ids: Annotated[list[UserAssignedIdentityId], unique_by("the identity")] = []


class InstanceConfig(ConfigModel):
    name: AcsName
    data_location: DataLocation
    disable_local_auth: Bool = True
    public_network_access: Literal[rules.PUBLIC_NETWORK_ACCESS] = "Enabled"  # type: ignore[valid-type]
    managed_identities: ManagedIdentitiesConfig = ManagedIdentitiesConfig()
    role_assignments: interface.RoleAssignments = []
    # The ACS resource's lock; absent: acs-platform:protection.lock, as always.
    lock: interface.LockConfig | None = None
    tags: Tags = {}
    events: EventsConfig | None = None  # Event Grid subscriptions to this instance's events
    email: EmailConfig | None = None
    # Domains of the stack's own email services (`<service>/<domain>`, acs-platform:emailServices) or of
    # email services outside it (their resource ids) the instance sends from, linked once verified.
    linked_domains: Annotated[list[LinkedDomain], unique_by("the domain", str.lower)] = []
    phone_numbers: PhoneNumbersConfig | None = None
    # SIP trunks and voice routes to the company's own carrier (docs/direct-routing.md).
    direct_routing: DirectRoutingConfig | None = None
    # Expected monthly volumes, for the cost estimate only (docs/cost.md): nothing is deployed from them.
    expected_monthly_usage: UsageConfig | None = None
    # The ACS resource's diagnostic settings, AVM's keys (stackconfig/diagnostics.py). Absent: the one
    # setting it always had, every log and AllMetrics to the stack's workspace. After `name`: defaults use it.
    diagnostic_settings: DiagnosticSettings | None = None


class ResourceGroupConfig(ConfigModel):
    name: ResourceGroupName
    existing: Bool = False  # true: use a resource group someone else manages, by name


# Public network access to a Log Analytics workspace, for ingestion and for queries apart.
NetworkAccess = Literal["Enabled", "Disabled"]


class MonitoringConfig(ConfigModel):
    workspace_name: WorkspaceName
    log_retention_days: Annotated[int, between(*rules.LOG_RETENTION_DAYS, "days")]
    # Diagnostic settings are not public ingestion: they reach the workspace either way.
    public_ingestion: NetworkAccess
    public_query: NetworkAccess  # Disabled: queries only through an Azure Monitor Private Link Scope


class ProtectionConfig(ConfigModel):
    lock: Literal[rules.LOCK_LEVELS]  # type: ignore[valid-type]
    protect: Bool = True  # Pulumi `protect` on the resources whose loss loses data


def _global_name(prefix: str, stack: str, data: dict[str, Any], length: int, separator: str) -> str:
    """A default for a globally unique name: the stack's name and a hash of tenant and stack, so
    two organisations' `prod` stacks do not ask for the same vault or storage account name."""
    digest = hashlib.sha256(f"{data.get('tenantId')}/{stack}".encode()).hexdigest()[:6]
    slug = re.sub("[^a-z0-9]+", separator, stack.lower()).strip("-")
    room = length - len(prefix) - len(separator) - len(digest)
    slug = slug[:room].rstrip("-")
    return f"{prefix}{slug}{separator}{digest}" if slug else f"{prefix}{digest}"


def _local_name(prefix: str, stack: str, valid: Any, length: int, disallowed: str) -> str:
    """A default for a name unique in its resource group: `<prefix><stack>` when Azure takes it as it
    is (the names of existing stacks never change); otherwise the stack's name made valid (lower
    case, allowed characters, shortened) with a short hash of the stack's name, so two stacks whose
    names normalize alike still get their own names."""
    name = f"{prefix}{stack}"
    if valid.match(name):
        return name
    digest = hashlib.sha256(stack.encode()).hexdigest()[:6]
    slug = re.sub(f"{disallowed}+", "-", stack.lower()).strip("-.")
    slug = slug[: length - len(prefix) - 1 - len(digest)].rstrip("-.")
    return f"{prefix}{slug}-{digest}" if slug else f"{prefix}{digest}"


def _misspelled_keys(context: dict[str, Any]) -> list[str]:
    """Keys of the flat config whose namespace is probably a misspelling of ours (`acs_platform:tier`),
    or of azure-native for a key the model reads (`azure_native:location`)."""
    foreign = {
        key.split(":", 1)[0]: [k.split(":", 1)[1] for k in FOREIGN_KEYS.values()] for key in FOREIGN_KEYS.values()
    }
    found = []
    for key in context.get("config_keys", ()):
        namespace, colon, name = str(key).partition(":")
        if not colon or namespace in (NAMESPACE, *foreign):
            continue
        ours = close_to(namespace, [NAMESPACE], cutoff=0.8)
        near = close_to(namespace, foreign, cutoff=0.8)
        if ours or (near and close_to(name, foreign[near])):
            found.append(key)
    return found


# Standard SKUs of a StorageV2 account. LRS keeps three copies in one datacenter; ZRS across the
# region's availability zones; GRS and GZRS also copy to the paired region (RA-: readable there).
STORAGE_REDUNDANCY = (
    "Standard_LRS",
    "Standard_ZRS",
    "Standard_GRS",
    "Standard_GZRS",
    "Standard_RAGRS",
    "Standard_RAGZRS",
)
SoftDeleteDays = Annotated[int, between(1, 365, "days")]


class DeadLetterStorageConfig(ConfigModel):
    account_name: Annotated[str, matching(rules.STORAGE_ACCOUNT_NAME, rules.STORAGE_ACCOUNT_NAME_RULE)]
    redundancy: Literal[STORAGE_REDUNDANCY]  # type: ignore[valid-type]
    blob_soft_delete_days: SoftDeleteDays  # a deleted dead letter can be restored for these days
    container_soft_delete_days: SoftDeleteDays  # and a deleted container


class StackConfig(ConfigModel):
    """Everything under the `acs-platform:` namespace, plus `azure-native:location` and `:tenantId`."""

    location: Region
    tenant_id: Guid  # the Entra ID tenant of the Key Vault
    tier: Literal[tuple(TIERS)]  # type: ignore[valid-type]
    # Tag values (environment, owner, cost-center on every resource): at most 256 characters.
    environment: TagValue
    owner: TagValue
    cost_center: TagValue
    resource_group: ResourceGroupConfig
    monitoring: MonitoringConfig
    protection: ProtectionConfig
    # The stack's email services on their own, before the instances that link their domains.
    email_services: Annotated[list[EmailServiceConfig], unique_by("the name", lambda s: s.name.lower())] = []
    # At least one, unless the stack deploys email services only (then `instances: []`).
    instances: Annotated[list[InstanceConfig], unique_by("the name", lambda i: i.name)]
    # After the instances: what their resources carry decides the limits on the stack's tags.
    tags: Tags = {}
    key_vault: KeyVaultConfig
    key_rotation: KeyRotationConfig = KeyRotationConfig()
    dead_letter_storage: DeadLetterStorageConfig
    # The monthly cost budget on the resource group (docs/budget.md): its amount from the tier, its alerts
    # to the owner unless it names its contacts.
    budget: BudgetConfig
    # Existing resources the stack takes over: the first `pulumi up` imports them instead of creating them
    # (docs/adoption.md). Written by `python -m preflight adopt`; can be removed once they are in the state.
    adopt: Annotated[list[NonEmpty], unique_by("the id", str.lower)] = []

    @field_validator("instances")
    @classmethod
    def _instances_name_their_own_resources(
        cls, instances: list[InstanceConfig], info: ValidationInfo
    ) -> list[InstanceConfig]:
        """An email service or a system topic is one instance's (or the stack's, for its own email services):
        two of the same name would be one resource."""
        services: list[EmailServiceConfig] = info.data.get("email_services", [])
        for what, name_of, has, taken in (
            (
                "email service",
                email_service_name,
                lambda i: i.email is not None,
                {s.name.lower(): "the stack" for s in services},
            ),
            ("Event Grid system topic", topic_name, lambda i: i.events is not None, {}),
        ):
            owners: dict[str, str] = dict(taken)
            for instance in filter(has, instances):
                other = owners.setdefault(name_of(instance).lower(), instance.name)
                if other != instance.name:
                    raise ValueError(
                        f"{other} and {instance.name} would both have the {what} {name_of(instance)}; "
                        "each needs its own"
                    )
        return instances

    @field_validator("instances")
    @classmethod
    def _instances_link_domains_of_their_geography(
        cls, instances: list[InstanceConfig], info: ValidationInfo
    ) -> list[InstanceConfig]:
        services = {s.name.lower(): s for s in info.data.get("email_services", [])}
        if not instances and not services:
            raise ValueError(
                "the stack deploys nothing: give at least one instance, or an email service (emailServices)"
            )
        for index, instance in enumerate(instances):
            for linked in instance.linked_domains:
                reference = linked_domain_reference(linked)
                if reference is None:
                    continue  # a domain outside the stack, by id
                service = services.get(reference[0].lower())
                if service is None or reference[1] not in [d.name for d in service.domains]:
                    known = ", ".join(f"{s.name}/{d.name}" for s in services.values() for d in s.domains) or "none"
                    raise ValueError(
                        f"instances[{index}].linkedDomains: {linked!r} is no domain of acs-platform:emailServices; "
                        f"allowed: {known}"
                    )
                if service.data_location != instance.data_location:
                    raise ValueError(
                        f"instances[{index}].linkedDomains: {linked!r} keeps its data in {service.data_location}, "
                        f"{instance.name} in {instance.data_location}; Azure links only domains of the instance's "
                        "data location (InvalidLinkedDomains)"
                    )
        return instances

    @field_validator("adopt")
    @classmethod
    def _adopts_what_it_declares(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        if "instances" not in info.data or "resource_group" not in info.data:
            return ids  # their own errors say why
        group = info.data["resource_group"]
        problems = adoption_problems(ids, group.name, info.data["instances"], info.data.get("email_services", []))
        if ids and not group.existing:
            problems.append(
                f"the resources to adopt are in the resource group {group.name}, which exists already: set "
                "acs-platform:resourceGroup.existing: true (the stack would try to create it)"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return ids

    @field_validator("budget")
    @classmethod
    def _budget_alerts_someone(cls, budget: BudgetConfig, info: ValidationInfo) -> BudgetConfig:
        if budget.contact_emails is not None or "owner" not in info.data:  # a refused owner has its own error
            return budget
        owner = info.data["owner"].strip()
        if not rules.EMAIL_ADDRESS.match(owner):
            raise ValueError(
                f"contactEmails is not set, and acs-platform:owner ({owner!r}) is not an email address to send the "
                "budget's alerts to; allowed: contactEmails, a list of 1 to 50 email addresses"
            )
        return budget.model_copy(update={"contact_emails": [owner]})

    @field_validator("tags")
    @classmethod
    def _tags_fit_every_resource(cls, tags: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        instances: list[InstanceConfig] = info.data.get("instances", [])
        # Each resource with tags of its own (AVM's `tags`): the key they are under, the resource, and its tags.
        carriers: list[tuple[str, str, list[dict[str, str]]]] = []
        for index, instance in enumerate(instances):
            carriers.append((f"instances[{index}].tags", f"the ACS resource {instance.name}", [instance.tags]))
            if instance.email is not None:
                key, service = f"instances[{index}].email", email_service_name(instance)
                carriers.append((f"{key}.tags", f"the email service {service}", [instance.email.tags]))
                for at, domain in enumerate(instance.email.domains):
                    carriers.append((f"{key}.domains[{at}].tags", f"the domain {domain.name}", [domain.tags]))
        for index, service in enumerate(info.data.get("email_services", [])):
            key = f"emailServices[{index}]"
            carriers.append((f"{key}.tags", f"the email service {service.name}", [service.tags]))
            for at, domain in enumerate(service.domains):
                carriers.append((f"{key}.domains[{at}].tags", f"the domain {domain.name}", [service.tags, domain.tags]))
        for key, resource, own in carriers:
            names = [*tags, *(name for more in own for name in more)]
            carried = {name.lower() for name in [*names, *STANDARD_TAGS]}
            if len(carried) > rules.TAGS_MAX:
                raise ValueError(
                    f"with {key}, {resource} would carry {len(carried)} tags "
                    f"(the standard ones included); Azure allows at most {rules.TAGS_MAX} per resource"
                )
            spellings: dict[str, str] = {}
            for name in names:
                if spellings.setdefault(name.lower(), name) != name:
                    raise ValueError(
                        f"with {key}, {resource} would carry the tags {spellings[name.lower()]!r} and {name!r}: Azure "
                        "tag names are case-insensitive, one resource cannot carry both; spell them alike"
                    )
        dead_letters = any(s.dead_letter for i in instances if i.events is not None for s in i.events.subscriptions)
        long = [name for name in tags if len(name) > rules.STORAGE_TAG_NAME_MAX]
        if dead_letters and long:
            raise ValueError(
                f"tag name {long[0][:40]!r}... is {len(long[0])} characters; these tags go to the dead-letter storage "
                f"account too, whose tag names are at most {rules.STORAGE_TAG_NAME_MAX} characters"
            )
        return tags

    @field_validator("key_vault")
    @classmethod
    def _prod_keeps_purge_protection(cls, vault: KeyVaultConfig, info: ValidationInfo) -> KeyVaultConfig:
        if info.data.get("tier") == "prod" and not vault.purge_protection:
            raise ValueError("purgeProtection is always on in prod: a purged vault loses every secret at once")
        return vault

    @field_validator("dead_letter_storage")
    @classmethod
    def _prod_dead_letters_survive_a_datacenter(
        cls, dead_letters: DeadLetterStorageConfig, info: ValidationInfo
    ) -> DeadLetterStorageConfig:
        if info.data.get("tier") == "prod" and dead_letters.redundancy == "Standard_LRS":
            raise ValueError(
                "redundancy: 'Standard_LRS' is not allowed in prod: it keeps every copy in one datacenter; "
                "allowed: " + ", ".join(repr(r) for r in STORAGE_REDUNDANCY if r != "Standard_LRS")
            )
        return dead_letters

    @field_validator("key_rotation")
    @classmethod
    def _rotations_name_instances(cls, rotation: KeyRotationConfig, info: ValidationInfo) -> KeyRotationConfig:
        names = [i.name for i in info.data.get("instances", [])]
        unknown = sorted(set(rotation.extra_rotations) - set(names))
        if names and unknown:
            raise ValueError(f"extraRotations names {', '.join(unknown)}; instances: {', '.join(names)}")
        return rotation

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill what the stack file leaves out: names from the stack name, the rest from the tier."""
        if not isinstance(data, dict):
            return data
        context = info.context or {}
        stack = context.get("stack", "stack")
        # As the CLI passes them, an empty value is "" and `key: null` is "null": both are missing.
        data = {k: v for k, v in data.items() if not (v is None or (isinstance(v, str) and v.strip() in ("", "null")))}
        data.setdefault("environment", stack)
        # An unknown tier is reported on its own; prod's defaults keep it from causing more errors.
        tier = TIERS.get(str(data.get("tier")), TIERS["prod"])
        section_defaults: dict[str, dict[str, Any]] = {
            "resourceGroup": {"name": _local_name("rg-acs-", stack, rules.RESOURCE_GROUP_NAME, 90, r"[^-\w.()]")},
            "monitoring": {
                "workspaceName": _local_name("log-acs-", stack, rules.WORKSPACE_NAME, 63, "[^a-z0-9-]"),
                "logRetentionDays": tier.log_retention_days,
                "publicIngestion": tier.public_ingestion,
                "publicQuery": tier.public_query,
            },
            "protection": {"lock": tier.lock},
            "keyVault": {
                "name": _global_name("kv-acs-", stack, data, 24, "-"),
                "purgeProtection": tier.purge_protection,
            },
            "deadLetterStorage": {
                "accountName": _global_name("stacsdl", stack, data, 24, ""),
                "redundancy": tier.dead_letter_redundancy,
                "blobSoftDeleteDays": tier.dead_letter_soft_delete_days,
                "containerSoftDeleteDays": tier.dead_letter_soft_delete_days,
            },
            "budget": {"amount": tier.budget_amount},
        }
        for section, defaults in section_defaults.items():
            given = data.get(section, {})
            if isinstance(given, dict):  # a wrong type is left for field validation to report
                data[section] = {**defaults, **given}
        # Misspelled namespaces are unknown keys: the error says which key was probably meant.
        data.update({key: True for key in _misspelled_keys(context)})
        return data

    def key_generations(self, today: date) -> dict[str, int]:
        """The rotation generation on `today` of each instance that keeps keys, "rotate now" included.
        With Entra ID only (local auth disabled) there is no key to keep or rotate."""
        schedule = self.key_rotation.schedule
        return {
            instance.name: schedule.generation(today, self.key_rotation.extra_rotations.get(instance.name, 0))
            for instance in self.instances
            if not instance.disable_local_auth
        }

    def tags_for(self, extra: dict[str, str]) -> dict[str, str]:
        """A taggable resource's tags: the stack's, its own, then the standard ones, which win."""
        standard = (self.environment, self.owner, self.cost_center, "acs-platform")
        return {**self.tags, **extra, **dict(zip(STANDARD_TAGS, standard, strict=True))}
