"""Reads a resource group's ACS resources and everything of theirs into an `Inventory`, with read-only calls.

ARM through the management SDKs (azure-mgmt-resource, azure-mgmt-communication, azure-mgmt-eventgrid), and each
ACS resource's data plane (phone numbers, Direct Routing) through azure-communication-phonenumbers with the same
token credential (Entra ID, never keys). Every call is a GET: no listKeys, getFullUrl, getDeliveryAttributes,
nor anything that writes. Every client retries as the providers' do (`providers.retry.BoundedRetryPolicy`): a
429 with Retry-After is retried a bounded number of times, each wait capped.

What cannot be read on an ACS resource's data plane (401, 403, no connection, as for a resource whose public
network access is disabled) does not stop the read: that part of the resource is None and an `Unreadable` says
what and why. So does a listing under the group that ARM refuses (email services, Event Grid). The group itself,
and its ACS resources, must be readable: otherwise `AdoptReadError` says who and what role is needed.

Everything is sorted by name (case-insensitively), so two reads of the same group give equal Inventories.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from azure.communication.phonenumbers import PhoneNumbersClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError, ServiceRequestError
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.eventgrid import EventGridManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from components.events import ACS_TOPIC_TYPE
from preflight.adopt.inventory import (
    AcsFound,
    DnsRecordFound,
    DomainFound,
    EmailServiceFound,
    EventSubscriptionFound,
    Inventory,
    PhoneNumberFound,
    SenderFound,
    SipFound,
    SipTrunkFound,
    SuppressedAddressFound,
    SuppressionListFound,
    SystemTopicFound,
    Unreadable,
    VoiceRouteFound,
)
from providers.numberpools.client import phone_numbers_client
from providers.numberpools.numbers import e164
from providers.retry import IDEMPOTENT, SYSTEM_CLOCK, BoundedRetryPolicy, Clock
from providers.siprouting import configuration as sip_configuration
from providers.siprouting.client import sip_routing_client

READER_HINT = (
    "the identity needs the Reader role on the resource group (or above), and, to read phone numbers and "
    "Direct Routing, an ACS data-plane role such as 'Communication and Email Service Owner' on each ACS resource"
)

T = TypeVar("T")


class AdoptReadError(RuntimeError):
    """The group could not be read: the message names the subscription, the group and what to do."""


def read_inventory(
    subscription_id: str,
    resource_group: str,
    credential: TokenCredential,
    *,
    arm_endpoint: str = "https://management.azure.com",
    data_plane_endpoint: Callable[[str], str] | None = None,
    sip_endpoint: Callable[[str], str] | None = None,
    client_kwargs: dict | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Inventory:
    """The ACS resources of `resource_group` and everything of theirs, read with GETs only.

    `data_plane_endpoint(host_name)` is the phone numbers endpoint of an ACS resource (default
    `https://{host_name}`), `sip_endpoint(host_name)` its Direct Routing one (default the same).
    `client_kwargs` go to every SDK client (such as `connection_verify`); waits (Retry-After, backoff) go
    through `clock`."""
    reader = _Reader(
        subscription_id,
        resource_group,
        credential,
        arm_endpoint.rstrip("/"),
        data_plane_endpoint or _https,
        sip_endpoint or data_plane_endpoint or _https,
        dict(client_kwargs or {}),
        clock,
    )
    return reader.read()


def _https(host_name: str) -> str:
    return f"https://{host_name}"


class _Reader:
    def __init__(
        self,
        subscription_id: str,
        resource_group: str,
        credential: TokenCredential,
        arm_endpoint: str,
        data_plane_endpoint: Callable[[str], str],
        sip_endpoint: Callable[[str], str],
        client_kwargs: dict[str, Any],
        clock: Clock,
    ):
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.credential = credential
        self.arm_endpoint = arm_endpoint
        self.data_plane_endpoint = data_plane_endpoint
        self.sip_endpoint = sip_endpoint
        self.client_kwargs = client_kwargs
        self.clock = clock
        self.unreadable: list[Unreadable] = []

    def _arm(self, client_class: type[T]) -> T:
        return client_class(  # type: ignore[call-arg]
            self.credential,
            self.subscription_id,
            base_url=self.arm_endpoint,
            # The token's audience is the endpoint's own cloud (as providers.arm.acs_client does).
            credential_scopes=[f"{self.arm_endpoint}/.default"],
            retry_policy=BoundedRetryPolicy(IDEMPOTENT, clock=self.clock),
            **self.client_kwargs,
        )

    def read(self) -> Inventory:
        with (
            self._arm(ResourceManagementClient) as resources,
            self._arm(CommunicationServiceManagementClient) as communication,
            self._arm(EventGridManagementClient) as eventgrid,
        ):
            group = self._group(resources)
            rg = group.name or self.resource_group
            services_read = self._fatal(
                f"the ACS resources of {rg}",
                lambda: list(communication.communication_services.list_by_resource_group(rg)),
            )
            services = tuple(self._service(s) for s in _by_name(services_read))
            email_services = self._email_services(communication, rg)
            topics = self._system_topics(eventgrid, rg, {s.id.lower() for s in services})
        return Inventory(
            subscription_id=self.subscription_id,
            resource_group=rg,
            location=group.location,
            resource_group_tags=dict(group.tags or {}),
            services=services,
            email_services=email_services,
            system_topics=topics,
            unreadable=tuple(self.unreadable),
        )

    # ARM

    def _where(self) -> str:
        return f"resource group {self.resource_group!r} in subscription {self.subscription_id}"

    def _group(self, resources: ResourceManagementClient) -> Any:
        try:
            return resources.resource_groups.get(self.resource_group)
        except ResourceNotFoundError as error:
            raise AdoptReadError(
                f"{self._where()} was not found ({_why(error)}): check the subscription id and the group's name, "
                f"and that the identity signed in can see it ({READER_HINT})"
            ) from None
        except AzureError as error:
            raise AdoptReadError(self._refusal(f"reading {self._where()}", error)) from None

    def _refusal(self, doing: str, error: AzureError) -> str:
        status = getattr(error, "status_code", None)
        if status in (401, 403):
            return f"{doing} was refused ({_why(error)}): {READER_HINT}"
        return f"{doing} failed ({_why(error)})"

    def _fatal(self, what: str, read: Callable[[], T]) -> T:
        try:
            return read()
        except AzureError as error:
            raise AdoptReadError(self._refusal(f"reading {what} ({self._where()})", error)) from None

    def _optional(self, what: str, read: Callable[[], T], instead: T) -> T:
        try:
            return read()
        except AzureError as error:
            self.unreadable.append(Unreadable(what=what, why=_why(error)))
            return instead

    def _service(self, service: Any) -> AcsFound:
        properties = service.properties
        identity = service.identity
        host_name = properties.host_name
        phone_numbers = self._phone_numbers(service.name, host_name)
        sip = self._sip(service.name, host_name)
        return AcsFound(
            id=service.id,
            name=service.name,
            data_location=properties.data_location,
            host_name=host_name,
            disable_local_auth=bool(properties.disable_local_auth),
            public_network_access=_text(properties.public_network_access) or "Enabled",
            identity_type=_text(identity.type) if identity is not None and identity.type else "None",
            user_assigned_identity_ids=tuple(
                sorted((identity.user_assigned_identities or {}) if identity is not None else {}, key=str.casefold)
            ),
            tags=dict(service.tags or {}),
            linked_domains=tuple(properties.linked_domains or ()),
            phone_numbers=phone_numbers,
            sip=sip,
        )

    def _email_services(self, communication: CommunicationServiceManagementClient, rg: str) -> tuple:
        listed = self._optional(
            f"email services of {rg}", lambda: list(communication.email_services.list_by_resource_group(rg)), []
        )
        found = []
        for service in _by_name(listed):
            domains = self._optional(
                f"domains of email service {service.name}",
                lambda name=service.name: list(communication.domains.list_by_email_service_resource(rg, name)),
                [],
            )
            found.append(
                EmailServiceFound(
                    id=service.id,
                    name=service.name,
                    data_location=service.properties.data_location,
                    tags=dict(service.tags or {}),
                    domains=tuple(self._domain(communication, rg, service.name, d) for d in _by_name(domains)),
                )
            )
        return tuple(found)

    def _domain(self, communication: CommunicationServiceManagementClient, rg: str, email: str, domain: Any) -> Any:
        properties = domain.properties
        states = properties.verification_states.as_dict() if properties.verification_states is not None else {}
        senders = self._optional(
            f"sender usernames of domain {domain.name} of email service {email}",
            lambda: list(communication.sender_usernames.list_by_domains(rg, email, domain.name)),
            [],
        )
        lists = self._optional(
            f"suppression lists of domain {domain.name} of email service {email}",
            lambda: list(communication.suppression_lists.list_by_domain(rg, email, domain.name)),
            [],
        )
        return DomainFound(
            id=domain.id,
            name=domain.name,
            domain_management=_text(properties.domain_management),
            user_engagement_tracking=_text(properties.user_engagement_tracking) == "Enabled",
            verification_states={
                record_type: str(state.get("status"))
                for record_type, state in states.items()
                if isinstance(state, dict) and state.get("status") is not None
            },
            tags=dict(domain.tags or {}),
            senders=tuple(
                SenderFound(
                    id=s.id,
                    name=s.name,
                    username=s.properties.username,
                    display_name=s.properties.display_name or None,
                )
                for s in _by_name(senders)
            ),
            suppression_lists=tuple(
                self._suppression_list(communication, rg, email, domain.name, s) for s in _by_name(lists)
            ),
            verification_records=_records(properties.verification_records),
        )

    def _suppression_list(
        self, communication: CommunicationServiceManagementClient, rg: str, email: str, domain: str, found: Any
    ) -> SuppressionListFound:
        addresses = self._optional(
            f"addresses of suppression list {found.name} of domain {domain}",
            lambda: list(communication.suppression_list_addresses.list(rg, email, domain, found.name)),
            [],
        )
        properties = found.properties
        return SuppressionListFound(
            id=found.id,
            name=found.name,
            list_name=properties.list_name if properties is not None else None,
            addresses=tuple(
                SuppressedAddressFound(
                    id=a.id,
                    name=a.name,
                    email=a.properties.email,
                    first_name=a.properties.first_name or None,
                    last_name=a.properties.last_name or None,
                    notes=a.properties.notes or None,
                )
                for a in _by_name(addresses)
            ),
        )

    def _system_topics(self, eventgrid: EventGridManagementClient, rg: str, sources: set[str]) -> tuple:
        listed = self._optional(
            f"Event Grid system topics of {rg}", lambda: list(eventgrid.system_topics.list_by_resource_group(rg)), []
        )
        found = []
        for topic in _by_name(listed):
            if (topic.source or "").lower() not in sources or (
                topic.topic_type or ""
            ).lower() != ACS_TOPIC_TYPE.lower():
                continue
            subscriptions = self._optional(
                f"event subscriptions of system topic {topic.name}",
                lambda name=topic.name: list(eventgrid.system_topic_event_subscriptions.list_by_system_topic(rg, name)),
                [],
            )
            found.append(
                SystemTopicFound(
                    id=topic.id,
                    name=topic.name,
                    source=topic.source,
                    topic_type=topic.topic_type,
                    identity_type=_text(topic.identity.type) if topic.identity is not None else "None",
                    tags=dict(topic.tags or {}),
                    subscriptions=tuple(_subscription(s) for s in _by_name(subscriptions)),
                )
            )
        return tuple(found)

    # The data plane

    def _phone_numbers(self, name: str, host_name: str) -> tuple[PhoneNumberFound, ...] | None:
        def read() -> tuple[PhoneNumberFound, ...]:
            client = phone_numbers_client(
                self.data_plane_endpoint(host_name), None, self.credential, clock=self.clock, **self.client_kwargs
            )
            try:
                return tuple(sorted((_number(n) for n in _listed(client)), key=lambda n: n.phone_number))
            finally:
                client._phone_number_client.close()  # 1.4.0 has no close() of its own

        return self._optional(f"phone numbers of {name}", read, None)

    def _sip(self, name: str, host_name: str) -> SipFound | None:
        def read() -> SipFound | None:
            with sip_routing_client(
                self.sip_endpoint(host_name), None, self.credential, clock=self.clock, **self.client_kwargs
            ) as client:
                config = sip_configuration.read(client)  # one GET /sip: trunks and routes together
            if not config.trunks and not config.routes:
                return None
            return SipFound(
                trunks=tuple(
                    SipTrunkFound(fqdn, int(port))
                    for fqdn, port in sorted(config.trunks.items(), key=lambda item: item[0].casefold())
                ),
                routes=tuple(
                    VoiceRouteFound(r.name, r.number_pattern, tuple(r.trunks), r.description) for r in config.routes
                ),
            )

        return self._optional(f"Direct Routing (SIP) of {name}", read, None)


def _listed(client: PhoneNumbersClient) -> Iterable[Any]:
    return client.list_purchased_phone_numbers()


def _number(number: Any) -> PhoneNumberFound:
    capabilities = number.capabilities
    return PhoneNumberFound(
        phone_number=e164(number.phone_number),
        country_code=number.country_code,
        number_type=_text(number.phone_number_type),  # the service's values are the config's
        assignment_type=_text(number.assignment_type),
        sms=_text(capabilities.sms) if capabilities is not None else "none",
        calling=_text(capabilities.calling) if capabilities is not None else "none",
    )


def _subscription(subscription: Any) -> EventSubscriptionFound:
    wire = subscription.serialize(keep_readonly=True).get("properties") or {}
    filters = subscription.filter
    retry = subscription.retry_policy
    return EventSubscriptionFound(
        id=subscription.id,
        name=subscription.name,
        included_event_types=tuple(filters.included_event_types or ()) if filters is not None else (),
        subject_begins_with=(filters.subject_begins_with or None) if filters is not None else None,
        subject_ends_with=(filters.subject_ends_with or None) if filters is not None else None,
        advanced_filters=tuple((wire.get("filter") or {}).get("advancedFilters") or ()),
        event_delivery_schema=_text(subscription.event_delivery_schema) or None,
        max_delivery_attempts=retry.max_delivery_attempts if retry is not None else None,
        event_time_to_live_minutes=retry.event_time_to_live_in_minutes if retry is not None else None,
        expiration_time_utc=wire.get("expirationTimeUtc"),
        destination=wire.get("destination"),
        delivery_with_resource_identity=wire.get("deliveryWithResourceIdentity"),
        dead_letter=subscription.dead_letter_destination is not None
        or subscription.dead_letter_with_resource_identity is not None,
    )


def _records(records: Any) -> tuple[DnsRecordFound, ...]:
    """The records ARM asks a domain to publish, by verification, as the wire names them (Domain, SPF, ...)."""
    if records is None:
        return ()
    wire = records.as_dict()  # the wire names: Domain, SPF, DKIM, DKIM2, DMARC
    return tuple(
        DnsRecordFound(
            verification, r.get("type", ""), r.get("name", ""), r.get("value", ""), int(r.get("ttl") or 3600)
        )
        for verification, r in sorted(wire.items())
        if isinstance(r, dict)
    )


def _by_name(items: Iterable[T]) -> list[T]:
    return sorted(items, key=lambda item: (str(item.name).casefold(), str(item.name)))  # type: ignore[attr-defined]


def _text(value: Any) -> str:
    """An SDK enum or string as the service wrote it."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _why(error: BaseException) -> str:
    """'403 AuthorizationFailed: message' for a service's answer; the error's first line otherwise. The
    service's code and message only: never a header, a token or a key."""
    if isinstance(error, HttpResponseError) and error.status_code is not None:
        code, message = _service_error(error)
        text = f"{code}: {message}" if code and message else code or message or (error.reason or "")
        return f"{error.status_code} {text}".strip()
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"cannot connect: {first}" if isinstance(error, ServiceRequestError) else first


def _service_error(error: HttpResponseError) -> tuple[str | None, str | None]:
    detail = getattr(error, "error", None)
    code, message = getattr(detail, "code", None), getattr(detail, "message", None)
    if code:
        return code, message
    response = getattr(error, "response", None)
    try:
        body = json.loads(response.text()) if response is not None else None
    except (ValueError, TypeError, AttributeError):
        body = None
    inner = (body or {}).get("error") if isinstance(body, dict) else None
    if isinstance(inner, dict):
        return inner.get("code"), inner.get("message")
    return None, None
