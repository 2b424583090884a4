"""From what `adopt` found to a stack file: the configuration that describes it, the ids to adopt, and
what could not be described.

Only what the stack can declare exactly as it exists is written, so that the first `pulumi up` imports it
unchanged (Pulumi refuses an import whose inputs differ from what Azure has). The rest is listed, with
the reason, and left alone: the stack neither manages nor touches it.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from stackconfig import azure_rules as rules
from stackconfig.email import AZURE_MANAGED, DOMAIN_MANAGEMENTS, EXCHANGE_ONLINE
from stackconfig.errors import NAMESPACE
from stackconfig.fields import STANDARD_TAGS
from stackconfig.names import default_address_id, default_email_service_name, default_sender_name, default_topic_name

from .inventory import (
    AcsFound,
    DomainFound,
    EmailServiceFound,
    EventSubscriptionFound,
    Inventory,
    PhoneNumberFound,
    SystemTopicFound,
)

# Destinations the stack delivers to with the topic's system-assigned identity (components/events.py).
IDENTITY_DESTINATIONS = {
    "ServiceBusQueue": "serviceBusQueue",
    "ServiceBusTopic": "serviceBusTopic",
    "EventHub": "eventHub",
    "StorageQueue": "storageQueue",
}
TAG_ALIASES = {"owner": ("owner",), "costCenter": ("cost-center", "costCenter", "cost_center", "CostCenter")}


class AdoptError(Exception):
    """What `adopt` cannot do, and what to give it instead."""


@dataclass(frozen=True)
class StackOptions:
    """What the stack file needs that Azure does not say."""

    tier: str
    tenant_id: str | None
    owner: str | None
    cost_center: str | None


@dataclass
class Adoption:
    """The stack file's configuration, the ids it adopts, what was found and what was left alone."""

    config: dict[str, Any] = field(default_factory=dict)  # stack file keys -> values
    adopted: list[str] = field(default_factory=list)  # Azure ids, in the order written
    numbers: int = 0  # phone numbers taken into pools
    found: list[str] = field(default_factory=list)  # one line per ACS resource
    left_alone: list[str] = field(default_factory=list)  # what was not written, and why


def _tag(tags: dict[str, str], names: tuple[str, ...]) -> str | None:
    lowered = {k.lower(): v for k, v in tags.items()}
    return next((lowered[n.lower()] for n in names if n.lower() in lowered), None)


def _own_tags(tags: dict[str, str]) -> dict[str, str]:
    """A resource's tags without the four the stack sets on everything (which it cannot override)."""
    standard = {t.lower() for t in STANDARD_TAGS}
    return {k: v for k, v in sorted(tags.items()) if k.lower() not in standard}


def build(inventory: Inventory, options: StackOptions) -> Adoption:
    """The stack file for `inventory`: everything that can be adopted as it is, marked to be."""
    result = Adoption()
    owner = options.owner or _tag(inventory.resource_group_tags, TAG_ALIASES["owner"])
    cost_center = options.cost_center or _tag(inventory.resource_group_tags, TAG_ALIASES["costCenter"])
    missing = [flag for flag, value in (("--owner", owner), ("--cost-center", cost_center)) if not value]
    if not options.tenant_id:
        missing.append("--tenant-id (or AZURE_TENANT_ID)")
    if missing:
        raise AdoptError(
            f"the stack needs {', '.join(missing)}: the resource group {inventory.resource_group} has no such tag "
            "to take it from (owner, cost-center), and Azure does not say the tenant of the stack's Key Vault"
        )
    if not inventory.services:
        raise AdoptError(
            f"the resource group {inventory.resource_group} (subscription {inventory.subscription_id}) has no ACS "
            "resource: there is nothing to adopt; `python -m preflight plan` shows what a new stack would create"
        )
    owned = _owned_email_services(inventory)
    shared = [s for s in inventory.email_services if s.id.lower() not in {o.id.lower() for o in owned.values()}]
    # The stack's own email services first: the instances' linkedDomains name what was written of them.
    email_services = [_email_service(service, inventory, result) for service in shared]
    written = {
        d.id.lower(): (f"{entry['name']}/{d.name}", service.data_location)
        for service, entry in zip(shared, email_services, strict=True)
        for d in service.domains
        if any(w["name"] == d.name for w in entry.get("domains", []))
    }
    instances = [_instance(acs, inventory, owned.get(acs.id.lower()), written, result) for acs in inventory.services]
    for topic in inventory.system_topics:
        if not any(topic.source.lower() == acs.id.lower() for acs in inventory.services):
            result.left_alone.append(f"system topic {topic.name}: its source is not an ACS resource of the group")
    result.left_alone += [f"{u.what}: could not be read ({u.why})" for u in inventory.unreadable]
    result.config = {
        "azure-native:location": inventory.location,
        "azure-native:tenantId": options.tenant_id,
        f"{NAMESPACE}:tier": options.tier,
        f"{NAMESPACE}:owner": owner,
        f"{NAMESPACE}:costCenter": cost_center,
        # The group is the team's already: used by name, neither created, locked nor deleted by the stack.
        f"{NAMESPACE}:resourceGroup": {"name": inventory.resource_group, "existing": True},
        **({f"{NAMESPACE}:emailServices": email_services} if email_services else {}),
        f"{NAMESPACE}:instances": instances,
        f"{NAMESPACE}:adopt": list(result.adopted),
    }
    return result


def _owned_email_services(inventory: Inventory) -> dict[str, EmailServiceFound]:
    """The email service each ACS resource owns, by its id (lower case): of the services only it links a
    domain of, in its data location, the one most of its linked domains are of. The others are the stack's
    own (`emailServices`), which instances link by name."""
    service_of = {d.id.lower(): s for s in inventory.email_services for d in s.domains}
    linkers: dict[str, set[str]] = {}
    for acs in inventory.services:
        for domain in acs.linked_domains:
            if domain.lower() in service_of:
                linkers.setdefault(service_of[domain.lower()].id.lower(), set()).add(acs.id.lower())
    owned = {}
    for acs in inventory.services:
        counts = Counter(
            service_of[d.lower()].id.lower()
            for d in acs.linked_domains
            if d.lower() in service_of
            and linkers[service_of[d.lower()].id.lower()] == {acs.id.lower()}
            and service_of[d.lower()].data_location == acs.data_location
        )
        if counts:
            chosen = sorted(counts, key=lambda s: (-counts[s], s))[0]
            owned[acs.id.lower()] = next(s for s in inventory.email_services if s.id.lower() == chosen)
    return owned


def _email_service(service: EmailServiceFound, inventory: Inventory, result: Adoption) -> dict[str, Any]:
    """An email service no one instance owns, as the stack's own (`emailServices`)."""
    result.adopted.append(service.id)
    entry: dict[str, Any] = {"name": service.name, "dataLocation": service.data_location}
    if tags := _own_tags(service.tags):
        entry["tags"] = tags
    domains = [d for d in (_domain(service, domain, result) for domain in service.domains) if d is not None]
    if domains:
        entry["domains"] = domains
    linking = sorted(
        a.name
        for a in inventory.services
        if any(d.lower() in {x.id.lower() for x in service.domains} for d in a.linked_domains)
    )
    result.found.append(
        f"email service {service.name} ({service.data_location}): {len(domains)} domain(s), "
        + (f"linked by {', '.join(linking)}" if linking else "linked by no ACS resource of the group")
    )
    return entry


def _instance(
    acs: AcsFound,
    inventory: Inventory,
    owned: EmailServiceFound | None,
    written: dict[str, tuple[str, str]],
    result: Adoption,
) -> dict[str, Any]:
    result.adopted.append(acs.id)
    instance: dict[str, Any] = {
        "name": acs.name,
        "dataLocation": acs.data_location,
        "disableLocalAuth": acs.disable_local_auth,
        "publicNetworkAccess": acs.public_network_access,
        "managedIdentities": {
            "systemAssigned": "SystemAssigned" in acs.identity_type,
            **(
                {"userAssignedResourceIds": list(acs.user_assigned_identity_ids)}
                if acs.user_assigned_identity_ids
                else {}
            ),
        },
    }
    if tags := _own_tags(acs.tags):
        instance["tags"] = tags
    parts = []
    email = _email(acs, owned, result) if owned is not None else None
    if email is not None:
        instance["email"] = email
        parts.append(f"email service {email.get('serviceName', default_email_service_name(acs.name))}")
    linked = []
    for domain in (d.lower() for d in acs.linked_domains if d.lower() in written):
        reference, data_location = written[domain]
        if data_location == acs.data_location:
            linked.append(reference)
        else:  # ARM would not have linked it; the stack cannot declare it
            result.left_alone.append(
                f"the link of {acs.name} to {reference}: the domain keeps its data in {data_location}, {acs.name} in "
                f"{acs.data_location}; it stays linked (exclusiveLinkedDomains: false)"
            )
    if linked:
        instance["linkedDomains"] = linked
        parts.append(f"{len(linked)} linked domain(s) of the stack's email services")
    topic = next((t for t in inventory.system_topics if t.source.lower() == acs.id.lower()), None)
    events = _events(acs, topic, result) if topic is not None else None
    if events is not None:
        instance["events"] = events
        parts.append(f"{len(events['subscriptions'])} event subscription(s)")
    if acs.phone_numbers is not None and acs.phone_numbers:
        pools = _pools(acs, result)
        if pools:
            instance["phoneNumbers"] = {"pools": pools}
            parts.append(f"{sum(p['quantity'] for p in pools)} phone number(s) in {len(pools)} pool(s)")
    if acs.sip is not None and (acs.sip.trunks or acs.sip.routes):
        routing = _direct_routing(acs, result)
        if routing is not None:
            instance["directRouting"] = routing
            parts.append(f"Direct Routing ({len(routing['trunks'])} trunk(s), {len(routing['routes'])} route(s))")
    result.found.append(f"ACS resource {acs.name} ({acs.data_location})" + (f": {', '.join(parts)}" if parts else ""))
    return instance


def _email(acs: AcsFound, service: EmailServiceFound, result: Adoption) -> dict[str, Any] | None:
    """The email service the instance owns, as its `email`."""
    result.adopted.append(service.id)
    domains = [d for d in (_domain(service, domain, result) for domain in service.domains) if d is not None]
    if not domains:
        result.adopted.remove(service.id)
        result.left_alone.append(f"email service {service.name} of {acs.name}: none of its domains can be declared")
        return None
    email: dict[str, Any] = {}
    if service.name != default_email_service_name(acs.name):
        email["serviceName"] = service.name
    if tags := _own_tags(service.tags):
        email["tags"] = tags
    email["domains"] = domains
    return email


def _domain(service: EmailServiceFound, domain: DomainFound, result: Adoption) -> dict[str, Any] | None:
    if domain.domain_management not in DOMAIN_MANAGEMENTS:
        result.left_alone.append(
            f"domain {domain.name} of {service.name}: managed as {domain.domain_management}, which the stack does "
            "not declare"
        )
        return None
    result.adopted.append(domain.id)
    written: dict[str, Any] = {"name": domain.name}
    if domain.domain_management == EXCHANGE_ONLINE:  # the others follow from the name
        written["domainManagement"] = domain.domain_management
    senders = []
    for sender in domain.senders:
        result.adopted.append(sender.id)
        entry: dict[str, Any] = {"username": sender.username}
        if sender.display_name:
            entry["displayName"] = sender.display_name
        if sender.name != default_sender_name(sender.username):
            entry["resourceName"] = sender.name
        senders.append(entry)
    if senders:
        written["senders"] = senders
    else:
        result.left_alone.append(f"domain {domain.name} has no sender: the stack creates DoNotReply on it")
    if domain.user_engagement_tracking:
        written["engagementTracking"] = True
    lists = []
    for listed in domain.suppression_lists:
        result.adopted.append(listed.id)
        addresses = []
        for address in listed.addresses:
            result.adopted.append(address.id)
            entry: dict[str, Any] = {"email": address.email}
            if address.name != default_address_id(address.email):
                entry["addressId"] = address.name
            for key, value in (
                ("firstName", address.first_name),
                ("lastName", address.last_name),
                ("notes", address.notes),
            ):
                if value:
                    entry[key] = value
            addresses.append(entry)
        written_list: dict[str, Any] = {"name": listed.name}
        if listed.list_name and listed.list_name != listed.name:
            written_list["listName"] = listed.list_name
        if addresses:
            written_list["addresses"] = addresses
        lists.append(written_list)
    if lists:
        written["suppressionLists"] = lists
    if domain.domain_management != AZURE_MANAGED:
        pending = sorted(t for t, s in domain.verification_states.items() if s != "Verified")
        if pending:
            records = [r for r in domain.verification_records if r.verification in pending]
            to_publish = "; ".join(f"{r.type} {r.name} {r.value}" for r in records)
            result.left_alone.append(
                f"domain {domain.name}: {', '.join(pending)} not verified yet; the first up asks ARM to check them "
                f"again (the stack output recordsToCreate lists the records: {to_publish or 'none read'}), and the "
                "domain is linked once verified"
            )
    return written


def _events(acs: AcsFound, topic: SystemTopicFound, result: Adoption) -> dict[str, Any] | None:
    subscriptions = [s for s in (_subscription(topic, sub, result) for sub in topic.subscriptions) if s is not None]
    if not subscriptions:
        result.left_alone.append(
            f"system topic {topic.name} of {acs.name}: none of its subscriptions can be declared as it is, so the "
            "topic is left alone too"
        )
        return None
    result.adopted.append(topic.id)
    result.adopted.extend(sub.id for sub in topic.subscriptions if any(s["name"] == sub.name for s in subscriptions))
    events: dict[str, Any] = {}
    if topic.name != default_topic_name(acs.name):
        events["topicName"] = topic.name
    events["subscriptions"] = subscriptions
    return events


def _destination(sub: EventSubscriptionFound) -> tuple[dict[str, Any] | None, str | None]:
    """(the config's destination, None) or (None, why it cannot be declared)."""
    plain = sub.destination or {}
    kind = plain.get("endpointType")
    if kind == "WebHook":
        return None, "a webhook's URL is not returned by a read (only its base URL); adopt never asks for it"
    if kind == "AzureFunction":
        return {"azureFunction": {"resourceId": (plain.get("properties") or plain).get("resourceId")}}, None
    if kind in IDENTITY_DESTINATIONS:
        return None, f"delivers to {kind} without an identity; the stack delivers with the topic's identity"
    delivery = sub.delivery_with_resource_identity or {}
    identity = (delivery.get("identity") or {}).get("type")
    target = delivery.get("destination") or {}
    kind = target.get("endpointType")
    if identity != "SystemAssigned" or kind not in IDENTITY_DESTINATIONS:
        return None, f"its destination ({kind or 'none'}, identity {identity or 'none'}) is not one the stack declares"
    properties = target.get("properties") or target
    if kind == "StorageQueue":
        return {
            "storageQueue": {"storageAccountId": properties.get("resourceId"), "queueName": properties.get("queueName")}
        }, None
    return {IDENTITY_DESTINATIONS[kind]: {"resourceId": properties.get("resourceId")}}, None


def _subscription(topic: SystemTopicFound, sub: EventSubscriptionFound, result: Adoption) -> dict[str, Any] | None:
    destination, why = _destination(sub)
    if why is None and sub.dead_letter:
        why = "it dead-letters to a destination of its own; the stack's subscriptions dead-letter to its own container"
    if why is None and sub.event_delivery_schema not in (None, "EventGridSchema", "CloudEventSchemaV1_0"):
        why = f"its delivery schema {sub.event_delivery_schema} is not one the stack declares"
    unknown = [t for t in sub.included_event_types if t not in rules.ACS_EVENT_TYPES]
    if why is None and (unknown or not sub.included_event_types):
        why = f"its event types ({', '.join(unknown) or 'all'}) are not a list of ACS event types"
    if why is not None:
        result.left_alone.append(f"event subscription {sub.name} of {topic.name}: {why}")
        return None
    written: dict[str, Any] = {
        "name": sub.name,
        "eventTypes": list(sub.included_event_types),
        "destination": destination,
    }
    if sub.subject_begins_with:
        written["subjectBeginsWith"] = sub.subject_begins_with
    if sub.subject_ends_with:
        written["subjectEndsWith"] = sub.subject_ends_with
    if sub.advanced_filters:
        written["advancedFilters"] = [
            {k: f[k] for k in ("operatorType", "key", "values", "value") if f.get(k) is not None}
            for f in sub.advanced_filters
        ]
    written["deliverySchema"] = sub.event_delivery_schema or "EventGridSchema"
    if sub.max_delivery_attempts is not None:
        written["maxDeliveryAttempts"] = sub.max_delivery_attempts
    if sub.event_time_to_live_minutes is not None:
        written["eventTimeToLiveMinutes"] = sub.event_time_to_live_minutes
    written["deadLetter"] = False
    if sub.expiration_time_utc:
        written["expiresOn"] = sub.expiration_time_utc.replace("Z", "").split("+")[0]
    return written


def _pool_name(number: PhoneNumberFound, taken: set[str]) -> str:
    base = f"{number.country_code}-{number.number_type}".lower()
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def _pools(acs: AcsFound, result: Adoption) -> list[dict[str, Any]]:
    """One pool per kind of number (country, type, assignment, capabilities), taking the numbers it has."""
    kinds: dict[tuple[str, ...], list[str]] = {}
    for number in acs.phone_numbers or ():
        if number.sms == "none" and number.calling == "none":
            result.left_alone.append(
                f"phone number {number.phone_number} of {acs.name}: it has neither SMS nor calling"
            )
            continue
        kind = (number.country_code, number.number_type, number.assignment_type, number.sms, number.calling)
        kinds.setdefault(kind, []).append(number.phone_number)
    pools, taken = [], set()
    for (country, number_type, assignment, sms, calling), numbers in sorted(kinds.items()):
        sample = PhoneNumberFound(numbers[0], country, number_type, assignment, sms, calling)
        pool: dict[str, Any] = {"name": _pool_name(sample, taken), "countryCode": country, "numberType": number_type}
        if assignment != "application":
            pool["assignmentType"] = assignment
        if sms != "none":
            pool["sms"] = sms
        if calling != "none":
            pool["calling"] = calling
        pool["quantity"] = len(numbers)
        pool["adoptNumbers"] = sorted(numbers)
        result.numbers += len(numbers)
        pools.append(pool)
    return pools


def _direct_routing(acs: AcsFound, result: Adoption) -> dict[str, Any] | None:
    sip = acs.sip
    if sip is None or not sip.trunks:
        result.left_alone.append(
            f"Direct Routing of {acs.name}: routes without trunks are not a configuration the stack declares"
        )
        return None
    return {
        "trunks": [{"fqdn": t.fqdn, "port": t.sip_signaling_port} for t in sip.trunks],
        "routes": [
            {
                "name": r.name,
                **({"description": r.description} if r.description else {}),
                "numberPattern": r.number_pattern,
                "trunks": list(r.trunks),
            }
            for r in sip.routes
        ],
    }
