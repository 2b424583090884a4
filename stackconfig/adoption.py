"""`acs-platform:adopt`: the Azure ids of existing resources the stack takes over instead of creating.

Each id must be one the stack declares: the resource the program would create under that name, in the
stack's resource group. A resource is found by its path below `/providers/` (ARM ids are case-insensitive,
so in lower case): the stack lives in one resource group, so that path names one resource of it. The
components ask with the same keys (`*_key` below), so the validation here and the program cannot disagree
on which resource an id is.
"""

import re
from collections.abc import Iterable

from .fields import close_to
from .names import default_address_id, default_email_service_name, default_sender_name, default_topic_name

_RESOURCE_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)/providers/(?P<path>.+[^/])$",
    re.IGNORECASE,
)
_COMMUNICATION = "microsoft.communication"
_EVENT_GRID = "microsoft.eventgrid"


def adoption_key(resource_id: str) -> str:
    """What names a resource of the stack's group: its id's path below `/providers/`, in lower case."""
    match = _RESOURCE_ID.match(resource_id)
    return match["path"].lower() if match else resource_id.lower()


def acs_key(name: str) -> str:
    return f"{_COMMUNICATION}/communicationservices/{name}".lower()


def email_service_key(service: str) -> str:
    return f"{_COMMUNICATION}/emailservices/{service}".lower()


def domain_key(service: str, domain: str) -> str:
    return f"{email_service_key(service)}/domains/{domain}".lower()


def sender_key(service: str, domain: str, resource_name: str) -> str:
    return f"{domain_key(service, domain)}/senderusernames/{resource_name}".lower()


def suppression_list_key(service: str, domain: str, list_name: str) -> str:
    return f"{domain_key(service, domain)}/suppressionlists/{list_name}".lower()


def suppressed_address_key(service: str, domain: str, list_name: str, address_id: str) -> str:
    return f"{suppression_list_key(service, domain, list_name)}/suppressionlistaddresses/{address_id}".lower()


def role_assignment_key(scope_key: str, name: str) -> str:
    """A role assignment on the resource `scope_key`, by its name (a GUID)."""
    return f"{scope_key}/providers/microsoft.authorization/roleassignments/{name}".lower()


def lock_key(scope_key: str, name: str) -> str:
    """A management lock on the resource `scope_key`, by its name."""
    return f"{scope_key}/providers/microsoft.authorization/locks/{name}".lower()


def _interface(found: dict[str, str], scope_key: str, what: str, lock, role_assignments) -> None:
    """The lock and role assignments of one resource that can be adopted: those the configuration names (an
    AVM lock `lock-<name>`, an assignment `guid(scope, principal, role)`, or one made by hand)."""
    if lock is not None and lock.name:
        found[lock_key(scope_key, lock.name)] = f"the lock {lock.name} of {what}"
    for assignment in role_assignments:
        if assignment.name:
            found[role_assignment_key(scope_key, assignment.name)] = f"the role assignment {assignment.name} on {what}"


def topic_key(topic: str) -> str:
    return f"{_EVENT_GRID}/systemtopics/{topic}".lower()


def event_subscription_key(topic: str, subscription: str) -> str:
    return f"{topic_key(topic)}/eventsubscriptions/{subscription}".lower()


def instance_resources(instance) -> dict[str, str]:
    """Key -> what it is, for every resource of one instance (an `InstanceConfig`) that can be adopted."""
    name = instance.name
    found = {acs_key(name): f"the ACS resource {name}"}
    _interface(found, acs_key(name), f"the ACS resource {name}", instance.lock, instance.role_assignments)
    if instance.email is not None:
        email = instance.email
        found.update(email_resources(email_service_name(instance), email.domains, f" of {name}", email))
    if instance.events is not None:
        topic = topic_name(instance)
        found[topic_key(topic)] = f"the Event Grid system topic {topic} of {name}"
        for subscription in instance.events.subscriptions:
            found[event_subscription_key(topic, subscription.name)] = (
                f"the event subscription {subscription.name} of {topic}"
            )
    return found


def email_resources(service: str, domains, owner: str = "", interface=None) -> dict[str, str]:
    """Key -> what it is, for an email service (its lock and role assignments those of `interface`, an
    email config) and everything of its `domains` (`DomainConfig`s)."""
    found = {email_service_key(service): f"the email service {service}{owner}"}
    if interface is not None:
        _interface(
            found,
            email_service_key(service),
            f"the email service {service}",
            interface.lock,
            interface.role_assignments,
        )
    for domain in domains:
        found[domain_key(service, domain.name)] = f"the domain {domain.name} of {service}"
        _interface(
            found, domain_key(service, domain.name), f"the domain {domain.name}", domain.lock, domain.role_assignments
        )
        for sender in domain.senders:
            found[sender_key(service, domain.name, sender_name(sender))] = (
                f"the sender {sender.username} of {domain.name} ({service})"
            )
        for listed in domain.suppression_lists:
            found[suppression_list_key(service, domain.name, listed.name)] = (
                f"the suppression list {listed.name} of {domain.name} ({service})"
            )
            for address in listed.addresses:
                found[suppressed_address_key(service, domain.name, listed.name, address_id(address))] = (
                    f"the suppressed address {address.email} of {listed.name} ({service})"
                )
    return found


def email_service_name(instance) -> str:
    """The email service of an instance: `email.serviceName`, else `email-<instance>`."""
    given = instance.email.service_name if instance.email is not None else None
    return given or default_email_service_name(instance.name)


def topic_name(instance) -> str:
    """The system topic of an instance's events: `events.topicName`, else `evgt-<instance>`."""
    given = instance.events.topic_name if instance.events is not None else None
    return given or default_topic_name(instance.name)


def sender_name(sender) -> str:
    """A sender's resource name: its `resourceName`, else its username in lower case."""
    return sender.resource_name or default_sender_name(sender.username)


def address_id(address) -> str:
    """A suppressed address's resource name: its `addressId`, else a UUID of the address."""
    return address.address_id or default_address_id(address.email)


def adoption_problems(ids: Iterable[str], group: str, instances: Iterable, email_services: Iterable = ()) -> list[str]:
    """What is wrong with the ids of `acs-platform:adopt`, one sentence each: an id that is not an Azure
    resource id, is in another subscription or resource group than the others, or is not a resource the
    stack declares."""
    declared: dict[str, str] = {}
    for service in email_services:
        declared.update(email_resources(service.name, service.domains, interface=service))
    for instance in instances:
        declared.update(instance_resources(instance))
    problems, subscriptions = [], set()
    for resource_id in ids:
        match = _RESOURCE_ID.match(resource_id)
        if match is None:
            problems.append(
                f"{resource_id!r} is not an Azure resource id "
                "(/subscriptions/<id>/resourceGroups/<group>/providers/<namespace>/<type>/<name>)"
            )
            continue
        subscriptions.add(match["subscription"].lower())
        if match["group"].lower() != group.lower():
            problems.append(
                f"{resource_id} is in the resource group {match['group']}, not the stack's "
                f"({group}, acs-platform:resourceGroup.name)"
            )
        elif adoption_key(resource_id) not in declared:
            near = close_to(adoption_key(resource_id), list(declared), cutoff=0.8)
            hint = f" (did you mean {declared[near]}?)" if near else ""
            problems.append(
                f"{resource_id}: the stack declares no such resource{hint}; only what the stack would create "
                "can be adopted: add it to the configuration, or remove the id"
            )
    if len(subscriptions) > 1:
        problems.append(f"the ids are in {len(subscriptions)} subscriptions; a stack deploys to one")
    return problems
