"""What `python -m preflight adopt` found in a resource group: the ACS resources and everything of theirs,
as read from Azure, before anything is decided about it.

`preflight.adopt.read` fills it with read-only calls; `preflight.adopt.stack_file` turns it into a stack
file. Values are ARM's as read (resource ids as ARM spells them), in the shapes below; nothing here
knows the stack's configuration.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SenderFound:
    id: str
    name: str  # the resource's name: the last segment of `id`
    username: str  # properties.username
    display_name: str | None


@dataclass(frozen=True)
class SuppressedAddressFound:
    id: str
    name: str  # the address resource's name (its address id)
    email: str
    first_name: str | None
    last_name: str | None
    notes: str | None


@dataclass(frozen=True)
class SuppressionListFound:
    id: str
    name: str  # the resource's name
    list_name: str | None  # properties.listName
    addresses: tuple[SuppressedAddressFound, ...] = ()


@dataclass(frozen=True)
class DnsRecordFound:
    """A DNS record ARM asks a custom domain to publish, for one of its verifications."""

    verification: str  # "Domain", "SPF", "DKIM", "DKIM2" or "DMARC"
    type: str  # "TXT" or "CNAME"
    name: str  # relative to the domain, such as "@" or "selector1-azurecomm-prod-net._domainkey"
    value: str
    ttl: int


@dataclass(frozen=True)
class DomainFound:
    id: str
    name: str  # "AzureManagedDomain" or the domain, as "mail.contoso.com"
    domain_management: str  # "AzureManaged", "CustomerManaged" or "CustomerManagedInExchangeOnline"
    user_engagement_tracking: bool  # properties.userEngagementTracking == "Enabled"
    verification_states: dict[str, str]  # record type ("Domain", "SPF", "DKIM", "DKIM2", "DMARC") -> status
    tags: dict[str, str] = field(default_factory=dict)
    senders: tuple[SenderFound, ...] = ()
    suppression_lists: tuple[SuppressionListFound, ...] = ()
    verification_records: tuple[DnsRecordFound, ...] = ()  # custom domains: the records to publish


@dataclass(frozen=True)
class EmailServiceFound:
    id: str
    name: str
    data_location: str
    tags: dict[str, str] = field(default_factory=dict)
    domains: tuple[DomainFound, ...] = ()


@dataclass(frozen=True)
class EventSubscriptionFound:
    id: str
    name: str
    included_event_types: tuple[str, ...]
    subject_begins_with: str | None
    subject_ends_with: str | None
    # ARM's filter.advancedFilters as read: [{"operatorType": ..., "key": ..., "values" | "value": ...}]
    advanced_filters: tuple[dict[str, Any], ...]
    event_delivery_schema: str | None
    max_delivery_attempts: int | None
    event_time_to_live_minutes: int | None
    expiration_time_utc: str | None  # ISO 8601, as ARM gives it
    # ARM's properties.destination as read (camelCase, "endpointType" included; a webhook's is
    # {"endpointType": "WebHook", "endpointBaseUrl": ...}: ARM never returns the full URL on a GET), or None.
    destination: dict[str, Any] | None
    # ARM's properties.deliveryWithResourceIdentity as read ({"identity": {...}, "destination": {...}}), or None.
    delivery_with_resource_identity: dict[str, Any] | None
    # Whether the subscription dead-letters anywhere (deadLetterDestination or deadLetterWithResourceIdentity).
    dead_letter: bool


@dataclass(frozen=True)
class SystemTopicFound:
    id: str
    name: str
    source: str  # the resource id of the topic's source (an ACS resource for ours)
    topic_type: str
    identity_type: str  # "None", "SystemAssigned", "UserAssigned", "SystemAssigned, UserAssigned"
    tags: dict[str, str] = field(default_factory=dict)
    subscriptions: tuple[EventSubscriptionFound, ...] = ()


@dataclass(frozen=True)
class PhoneNumberFound:
    phone_number: str  # E.164, with its "+"
    country_code: str  # ISO 3166 alpha-2
    number_type: str  # "geographic", "tollFree" or "mobile"
    assignment_type: str  # "application" or "person"
    sms: str  # "none", "inbound", "outbound" or "inbound+outbound"
    calling: str  # the same


@dataclass(frozen=True)
class SipTrunkFound:
    fqdn: str
    sip_signaling_port: int


@dataclass(frozen=True)
class VoiceRouteFound:
    name: str
    number_pattern: str
    trunks: tuple[str, ...]
    description: str | None = None


@dataclass(frozen=True)
class SipFound:
    trunks: tuple[SipTrunkFound, ...] = ()
    routes: tuple[VoiceRouteFound, ...] = ()  # in ACS's order: the order routes are tried


@dataclass(frozen=True)
class Unreadable:
    """Something the reader could not read, and why (shown to the user; the rest goes on)."""

    what: str  # as "phone numbers of acs-contoso" or "Event Grid system topics of rg-acs"
    why: str  # as "403 AuthorizationFailed: ..." (never a secret)


@dataclass(frozen=True)
class AcsFound:
    id: str
    name: str
    data_location: str
    host_name: str
    disable_local_auth: bool
    public_network_access: str  # "Enabled", "Disabled" or "SecuredByPerimeter"
    identity_type: str  # "None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"
    user_assigned_identity_ids: tuple[str, ...]
    tags: dict[str, str]
    linked_domains: tuple[str, ...]  # domain resource ids, as ARM gives them
    # The data plane: None when it could not be read (then an Unreadable says why).
    phone_numbers: tuple[PhoneNumberFound, ...] | None = ()
    sip: SipFound | None = None


@dataclass(frozen=True)
class Inventory:
    subscription_id: str
    resource_group: str  # its name, as ARM spells it
    location: str  # the resource group's region, such as "westeurope"
    resource_group_tags: dict[str, str]
    services: tuple[AcsFound, ...]
    email_services: tuple[EmailServiceFound, ...]
    system_topics: tuple[SystemTopicFound, ...]
    unreadable: tuple[Unreadable, ...] = ()
