"""Event Grid subscriptions to an ACS instance's events: what to receive, where, and how."""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from . import azure_rules as rules
from .fields import ConfigModel, Guid, NonEmpty, between, matching, unique_by

ArmId = Annotated[str, matching(rules.ARM_ID, rules.ARM_ID_RULE)]


def _https(url: str) -> str:
    # Event Grid would deliver over http too; events carry phone numbers and message text.
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise ValueError("must be an https:// URL: events carry phone numbers and message contents")
    return url


def _acs_event_type(value: str) -> str:
    if value not in rules.ACS_EVENT_TYPES:
        raise ValueError("is not an event type ACS publishes, such as Microsoft.Communication.SMSReceived")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https)]
AcsEventType = Annotated[str, AfterValidator(_acs_event_type)]


class WebhookDestination(ConfigModel):
    url: HttpsUrl
    # Entra ID protected endpoints: Event Grid gets a token for this application.
    entra_tenant_id: Guid | None = None
    entra_application_id_or_uri: NonEmpty | None = None


class ResourceDestination(ConfigModel):
    resource_id: ArmId


class StorageQueueDestination(ConfigModel):
    storage_account_id: ArmId
    queue_name: Annotated[
        str,
        matching(re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$"), "3 to 63 lower-case letters, digits, '-'"),
    ]


class DestinationConfig(ConfigModel):
    """Exactly one of the destination kinds Event Grid delivers ACS events to."""

    webhook: WebhookDestination | None = None
    azure_function: ResourceDestination | None = None
    service_bus_queue: ResourceDestination | None = None
    service_bus_topic: ResourceDestination | None = None
    storage_queue: StorageQueueDestination | None = None
    event_hub: ResourceDestination | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "DestinationConfig":
        given = [name for name, value in self if value is not None]
        if len(given) != 1:
            kinds = "webhook, azureFunction, serviceBusQueue, serviceBusTopic, storageQueue, eventHub"
            raise ValueError(f"needs exactly one destination; got {len(given)}; kinds: {kinds}")
        return self


class AdvancedFilterConfig(ConfigModel):
    operator_type: Literal[  # type: ignore[valid-type]
        rules.STRING_LIST_OPERATORS
        + rules.NUMBER_LIST_OPERATORS
        + rules.NUMBER_OPERATORS
        + ("BoolEquals",)
        + rules.PRESENCE_OPERATORS
    ]
    key: NonEmpty  # such as data.to, or subject
    values: list[str] | list[float] | None = None
    value: float | bool | None = None

    @model_validator(mode="after")
    def _operand(self) -> "AdvancedFilterConfig":
        wants_values = self.operator_type in rules.STRING_LIST_OPERATORS + rules.NUMBER_LIST_OPERATORS
        wants_value = self.operator_type in rules.NUMBER_OPERATORS + ("BoolEquals",)
        if wants_values and not self.values:
            raise ValueError(f"{self.operator_type} needs 'values'")
        if wants_value and self.value is None:
            raise ValueError(f"{self.operator_type} needs 'value'")
        if (not wants_values and self.values is not None) or (not wants_value and self.value is not None):
            raise ValueError(
                f"{self.operator_type} takes {'values' if wants_values else 'value' if wants_value else 'no operand'}"
            )
        return self


class SubscriptionConfig(ConfigModel):
    name: Annotated[str, matching(rules.EVENT_SUBSCRIPTION_NAME, rules.EVENT_SUBSCRIPTION_NAME_RULE)]
    event_types: Annotated[list[AcsEventType], Field(min_length=1), unique_by("the event type")]
    destination: DestinationConfig
    subject_begins_with: NonEmpty | None = None
    subject_ends_with: NonEmpty | None = None
    advanced_filters: list[AdvancedFilterConfig] = []
    delivery_schema: Literal[rules.DELIVERY_SCHEMAS] = "EventGridSchema"  # type: ignore[valid-type]
    max_delivery_attempts: Annotated[int, between(*rules.MAX_DELIVERY_ATTEMPTS, "attempts")] = 10
    event_time_to_live_minutes: Annotated[int, between(*rules.EVENT_TIME_TO_LIVE_MINUTES, "minutes")] = 1440
    dead_letter: bool = True  # undeliverable events go to the stack's dead-letter container
    expires_on: Annotated[datetime, Field(strict=False)] | None = None


class EventsConfig(ConfigModel):
    subscriptions: Annotated[list[SubscriptionConfig], Field(min_length=1), unique_by("the name", lambda s: s.name)]
