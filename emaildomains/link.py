"""LinkedDomains: which email domains an ACS resource sends mail from (its `linkedDomains`).

Linking is a resource of its own, not an input of the ACS resource, because ARM links a custom
domain only once all its DNS records are verified (error `InvalidLinkedDomains` otherwise), and
verification waits on DNS, sometimes on people creating records by hand. Given to the ACS resource
itself, the domains would hold up its first creation, and with it everything that needs the ACS
resource, until then. As a resource of its own, the ACS resource is created at once, and the link
is made after the domains' `DomainVerification`s (make them dependencies).

The program sets `ignore_changes=["linkedDomains"]` on the ACS resource, so that the two never
fight: the ACS resource does not set the list back to what its own inputs say, and this resource is
the only one that writes it. Deleting this resource unlinks every domain; the ACS resource stays.

Like `keyrotation.resource`, the provider is pickled into the state by reference to its class and holds
no data: each operation opens and closes its own client.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.communication.models import CommunicationServiceResourceUpdate

from acs_arm import RETRY_METHODS, ClientFactory, default_client, parse_resource_id, reason
from emaildomains import EmailDomainError, parse_domain_id

# The PATCH sets the whole list: repeating it after a throttled or lost answer is safe, so it is
# retried like the other calls (azure-core leaves PATCH out by default).
_PATCH_RETRY_METHODS = RETRY_METHODS | {"PATCH"}

_PROPERTY_NAMES = {
    "communication_service_id": "communicationServiceId",
    "domain_ids": "domainIds",
    "arm_endpoint": "armEndpoint",
    "linked_domains": "linkedDomains",
}
_ATTRIBUTE_NAMES = {prop: attribute for attribute, prop in _PROPERTY_NAMES.items()}


def canonical_domain_ids(domain_ids: Sequence[str]) -> list[str]:
    """`domain_ids` checked, sorted, without duplicates (ARM ids are case-insensitive)."""
    if isinstance(domain_ids, str) or not isinstance(domain_ids, Sequence):
        raise ValueError(f"domain_ids must be a list of email domain resource ids: {domain_ids!r}")
    unique: dict[str, str] = {}
    for domain_id in domain_ids:
        parse_domain_id(domain_id)
        unique.setdefault(domain_id.lower(), domain_id)
    return sorted(unique.values(), key=str.lower)


def link_domains(
    client: CommunicationServiceManagementClient, resource_group: str, name: str, domain_ids: Sequence[str]
) -> list[str]:
    """Sets the ACS resource's linkedDomains to exactly `domain_ids` (none: unlinks all), unless it
    has exactly those already. Returns them, sorted."""
    wanted = canonical_domain_ids(domain_ids)
    service = f"ACS resource '{name}' (resource group '{resource_group}')"
    try:
        current = client.communication_services.get(resource_group, name).linked_domains or []
    except AzureError as error:
        raise EmailDomainError(f"reading the linked domains of {service} failed: {reason(error)}") from error
    if {d.lower() for d in current} == {d.lower() for d in wanted}:
        return wanted
    step = f"linking {', '.join(wanted)} to {service}" if wanted else f"unlinking every domain from {service}"
    try:
        client.communication_services.update(
            resource_group,
            name,
            CommunicationServiceResourceUpdate(linked_domains=wanted),
            retry_on_methods=_PATCH_RETRY_METHODS,
        )
    except AzureError as error:
        message = f"{step} failed: {reason(error)}"
        if "InvalidLinkedDomains" in str(error):
            message += (
                "; a domain links only once all its records are verified, and when its email service keeps its"
                " data in the ACS resource's geography"
            )
        raise EmailDomainError(message) from error
    return wanted


class LinkedDomainsProvider(pulumi.dynamic.ResourceProvider):
    """Pulumi calls create, diff, update and delete; the `*_with` methods hold the logic and take the
    client factory, so tests can point them at another endpoint and credential."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return self.create_with(props, default_client)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        # The order of the domains means nothing to ARM; a new ARM endpoint is just another way to
        # reach the same resource, picked up by the next update.
        replaced = _lower(olds.get("communicationServiceId")) != _lower(news.get("communicationServiceId"))
        changed = replaced or _id_set(olds.get("domainIds")) != _id_set(news.get("domainIds"))
        replaces = ["communicationServiceId"] if replaced else []
        return pulumi.dynamic.DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return self.update_with(olds, news, default_client)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.delete_with(props, default_client)

    def create_with(self, props: dict[str, Any], client_factory: ClientFactory) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_=props["communicationServiceId"], outs=self._link(props, client_factory))

    def update_with(
        self, _olds: dict[str, Any], news: dict[str, Any], client_factory: ClientFactory
    ) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult(outs=self._link(news, client_factory))

    def delete_with(self, props: dict[str, Any], client_factory: ClientFactory) -> None:
        subscription, resource_group, name = parse_resource_id(props["communicationServiceId"])
        with client_factory(subscription, props["armEndpoint"]) as client:
            try:
                link_domains(client, resource_group, name, [])
            except EmailDomainError as error:
                # An ACS resource deleted already links nothing.
                if not isinstance(error.__cause__, ResourceNotFoundError):
                    raise

    def _link(self, props: dict[str, Any], client_factory: ClientFactory) -> dict[str, Any]:
        subscription, resource_group, name = parse_resource_id(props["communicationServiceId"])
        domain_ids = canonical_domain_ids(props["domainIds"])  # before any call: a bad id fails here
        with client_factory(subscription, props["armEndpoint"]) as client:
            linked = link_domains(client, resource_group, name, domain_ids)
        return {
            "communicationServiceId": props["communicationServiceId"],
            "domainIds": domain_ids,
            "armEndpoint": props["armEndpoint"],
            "linkedDomains": linked,
        }


def _registered(domain_ids: Any) -> Any:
    """Known ids checked, sorted and de-duplicated, so the state does not depend on their order; outputs
    as given (the known ids among them checked)."""
    if isinstance(domain_ids, Sequence) and all(isinstance(d, str) for d in domain_ids):
        return canonical_domain_ids(domain_ids)  # a single str is refused here
    if isinstance(domain_ids, Sequence):
        for domain_id in domain_ids:
            if isinstance(domain_id, str):
                parse_domain_id(domain_id)
    return domain_ids


def _lower(value: Any) -> str:
    return str(value or "").lower()


def _id_set(domain_ids: Any) -> frozenset[str]:
    return frozenset(str(d).lower() for d in domain_ids or ())


@dataclass(frozen=True)
class LinkedDomainsArgs:
    communication_service_id: pulumi.Input[str]
    domain_ids: pulumi.Input[Sequence[str]]  # email domain resource ids; verified ones only
    arm_endpoint: str = "https://management.azure.com"

    def __post_init__(self) -> None:
        if isinstance(self.communication_service_id, str):
            parse_resource_id(self.communication_service_id)
        # Checked and put in the order the resource registers them, once.
        object.__setattr__(self, "domain_ids", _registered(self.domain_ids))


class LinkedDomains(pulumi.dynamic.Resource, module="emaildomains", name="LinkedDomains"):
    """The email domains one ACS resource is linked to, exactly."""

    linked_domains: pulumi.Output[list[str]]

    def __init__(self, name: str, args: LinkedDomainsArgs, opts: pulumi.ResourceOptions | None = None):
        props = {
            "communication_service_id": args.communication_service_id,
            "domain_ids": args.domain_ids,
            "arm_endpoint": args.arm_endpoint,
            "linked_domains": None,
        }
        super().__init__(LinkedDomainsProvider(), name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PROPERTY_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ATTRIBUTE_NAMES.get(prop, prop)
