"""Helpers that plan stack configurations the way `python -m preflight plan` does."""

import copy
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format

from preflight.plan import Plan, PlannedResource
from preflight.runner import plan_stack, record_preview
from preflight.stacks import load_project

REPO = Path(__file__).resolve().parent.parent

ACS = "azure-native:communication:CommunicationService"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
WORKSPACE = "azure-native:operationalinsights:Workspace"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
LOCK = "azure-native:authorization:ManagementLockByScope"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"

PRINCIPAL = "5b1d1c1e-6a0e-4c4b-9d55-0f3c2a7e9e01"
TENANT = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
UAMI = (
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-identities"
    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-acs-sender"
)


def minimal_config(tier: str = "dev", **instance: Any) -> dict[str, Any]:
    """The smallest valid stack configuration, one instance, with `instance` keys on top."""
    return {
        "azure-native:location": "westeurope",
        "azure-native:tenantId": TENANT,
        "acs-platform:tier": tier,
        "acs-platform:owner": "platform-team@contoso.com",
        "acs-platform:costCenter": "CC-4711",
        "acs-platform:instances": [{"name": "acs-test-eu", "dataLocation": "Europe", **instance}],
    }


def with_changes(config: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of `config` with `acs-platform:` keys replaced (given without the namespace)."""
    changed = copy.deepcopy(config)
    changed.update({f"acs-platform:{key}": value for key, value in changes.items()})
    return changed


def write_stack(directory: Path, stack: str, config: dict[str, Any]) -> Path:
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path


def plan_config(directory: Path, config: dict[str, Any], stack: str = "test") -> Plan:
    write_stack(directory, stack, config)
    return plan_stack(load_project(REPO, directory), stack)


def plan_committed(stack: str) -> Plan:
    return plan_stack(load_project(REPO), stack)


def registered_alone(program) -> tuple[str, Any, dict[str, Any]]:
    """The one resource `program` registers in a preview under the mocks: its URN, its RegisterResource
    request and the inputs its provider is sent (without the provider reference)."""
    monitor = record_preview(program, "acs-platform", "test")
    [(urn, request)] = [(u, r) for u, r in monitor.registrations if r.type != "pulumi:pulumi:Stack"]
    inputs = json_format.MessageToDict(request.object)
    return urn, request, {k: v for k, v in inputs.items() if k != "__provider"}


def one(plan: Plan, type_token: str) -> PlannedResource:
    found = plan.of_type(type_token)
    assert len(found) == 1, f"expected one {type_token}, found {len(found)}"
    return found[0]


def service(plan: Plan, name: str) -> PlannedResource:
    return next(r for r in plan.of_type(ACS) if r.inputs["communicationServiceName"] == name)


def sources(resource: PlannedResource, key: str) -> list[str]:
    """The URNs the input `key` of `resource` is computed from."""
    return resource.property_dependencies.get(key, [])


VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
KEY_ROTATION = "pulumi-python:dynamic/keyrotation:AcsKeyRotation"
SYSTEM_TOPIC = "azure-native:eventgrid:SystemTopic"
EVENT_SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
EMAIL_SERVICE = "azure-native:communication:EmailService"
EMAIL_DOMAIN = "azure-native:communication:Domain"
SENDER = "azure-native:communication:SenderUsername"
SUPPRESSION_LIST = "azure-native:communication:SuppressionList"
SUPPRESSED_ADDRESS = "azure-native:communication:SuppressionListAddress"
SMTP_USERNAME = "azure-native:communication:SmtpUsername"
RECORD_SET = "azure-native:dns:RecordSet"
DOMAIN_VERIFICATION = "pulumi-python:dynamic/emaildomains:DomainVerification"
LINKED_DOMAINS = "pulumi-python:dynamic/emaildomains:LinkedDomains"


def depends_on_transitively(plan, resource) -> set[str]:
    """Every URN `resource` waits for, through dependencies and what they wait for."""
    by_urn, seen, todo = plan.by_urn, set(), list(resource.dependencies)
    while todo:
        urn = todo.pop()
        if urn not in seen:
            seen.add(urn)
            todo.extend(by_urn[urn].dependencies if urn in by_urn else [])
    return seen


PHONE_NUMBER_POOL = "pulumi-python:dynamic/numberpools:PhoneNumberPool"
