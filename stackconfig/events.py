"""Event Grid subscriptions to an ACS instance's events: what to receive, where, and how."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from . import azure_rules as rules
from . import fields
from .fields import Bool, ConfigModel, Guid, NonEmpty, between, from_go_time, matching, unique_by
from .secure import SECRET_PLACEHOLDER

ArmId = Annotated[str, matching(rules.ARM_ID, rules.ARM_ID_RULE)]


def _https(url: str) -> str:
    if url == SECRET_PLACEHOLDER:
        return url  # a secure URL offline: checked once decrypted; stackconfig/secure.py says where it may be
    # Event Grid would deliver over http too; events carry phone numbers and message text.
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise ValueError("must be an https:// URL: events carry phone numbers and message contents")
    return url


def _acs_event_type(value: str) -> str:
    if value not in rules.ACS_EVENT_TYPES:
        raise ValueError("is not an event type ACS publishes, such as Microsoft.Communication.SMSReceived")
    return value


def _in_the_future(value: datetime) -> datetime:
    # Without a zone it is UTC, as Event Grid reads it.
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    now = fields.utc_now()
    if when <= now:
        raise ValueError(
            f"is in the past (today is {now.date().isoformat()} UTC); allowed: a date-time after now, "
            "or no expiresOn for a subscription that does not expire"
        )
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


OPERATORS = (
    rules.STRING_LIST_OPERATORS
    + rules.NUMBER_LIST_OPERATORS
    + rules.NUMBER_OPERATORS
    + ("BoolEquals",)
    + rules.PRESENCE_OPERATORS
)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _operand_of(operator: str) -> tuple[str | None, str, Any]:
    """What an operator compares against: ('values' | 'value' | None, in words, a check of one item)."""
    if operator in rules.STRING_LIST_OPERATORS:
        return "values", "a list of strings", lambda v: isinstance(v, str)
    if operator in rules.NUMBER_LIST_OPERATORS:
        return "values", "a list of numbers", _number
    if operator in rules.NUMBER_OPERATORS:
        return "value", "a number", _number
    if operator == "BoolEquals":
        return "value", "true or false", lambda v: isinstance(v, bool)
    return None, "no operand", None


class AdvancedFilterConfig(ConfigModel):
    operator_type: Literal[OPERATORS]  # type: ignore[valid-type]
    key: NonEmpty  # such as data.to, or subject
    # list[str] | list[float] and float | bool, checked against the operator (below): as pydantic
    # unions, a wrong one would be reported once per member type (`value.float`, `value.bool`).
    values: Any = None
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _operand(cls, data: Any) -> Any:
        """The operand its operator takes, and nothing else, said in the operator's terms."""
        operator = data.get("operatorType") if isinstance(data, dict) else None
        if operator not in OPERATORS:
            return data  # a wrong operator is reported at its own key
        wanted, what, accepts = _operand_of(operator)
        given = [k for k in ("values", "value") if data.get(k) is not None]
        if wanted is None:
            if given:
                raise ValueError(f"{operator} takes no `value` or `values`: it tests whether the key is present")
            return data
        other = "value" if wanted == "values" else "values"
        if other in given:
            raise ValueError(f"{operator} takes `{wanted}` ({what}), not `{other}`")
        operand = data.get(wanted)
        if operand is None:
            raise ValueError(f"{operator} needs `{wanted}` ({what})")
        if wanted == "values":
            if not isinstance(operand, list) or not operand or not all(accepts(v) for v in operand):
                raise ValueError(f"{operator} takes `values`: {what}, at least one; got {_short(operand)}")
            # Numbers compare as numbers: 5 and 5.0 are one value to Event Grid.
            return {**data, "values": [float(v) for v in operand] if _number(operand[0]) else operand}
        if not accepts(operand):
            raise ValueError(f"{operator} takes `value`: {what}; got {_short(operand)}")
        return {**data, "value": float(operand) if _number(operand) else operand}


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
    dead_letter: Bool = True  # undeliverable events go to the stack's dead-letter container
    expires_on: (
        Annotated[datetime, Field(strict=False), BeforeValidator(from_go_time), AfterValidator(_in_the_future)] | None
    ) = None


class EventsConfig(ConfigModel):
    # The system topic's name: by default `evgt-<instance>`. Azure allows one system topic per ACS resource, so
    # an adopted instance keeps the one it has.
    topic_name: Annotated[str, matching(rules.SYSTEM_TOPIC_NAME, "3 to 128 letters, digits and '-'")] | None = None
    subscriptions: Annotated[list[SubscriptionConfig], Field(min_length=1), unique_by("the name", lambda s: s.name)]
