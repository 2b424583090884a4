"""LinkedDomains: the email domains an ACS resource sends mail from (its `linkedDomains`) that the stack
manages.

Linking is a resource of its own, not an input of the ACS resource, because ARM links a custom
domain only once all its DNS records are verified (error `InvalidLinkedDomains` otherwise), and
verification waits on DNS, sometimes on people creating records by hand. Given to the ACS resource
itself, the domains would hold up its first creation, and with it everything that needs the ACS
resource, until then. As a resource of its own, the ACS resource is created at once, and the link
is made after the domains' `DomainVerification`s (make them dependencies).

The program sets `ignore_changes=["linkedDomains"]` on the ACS resource, so the ACS resource does not
set the list back to what its own inputs say. But azure-native updates the ACS resource with a PUT
that has no `linkedDomains`, and ARM may clear the links then (pulumi-azure-native issue 1280). So
this resource does not trust its state: `diff` reads the ACS resource (one GET) and plans an update
when a domain it manages is not linked, and `read` (`pulumi refresh`) reports what is linked now.

Domains linked outside the stack stay linked, and are reported (`unmanagedDomains`), unless
`exclusive` says the stack owns the whole list: then they are removed, and reported as removed
(`removedUnmanagedDomains`). Deleting this resource unlinks the domains it manages (every domain,
when exclusive); the ACS resource stays.

Like `providers.keyrotation.resource`, the provider is pickled into the state by reference to its class and holds
no data: each operation opens and closes its own client.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pulumi
import pulumi.dynamic
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.mgmt.communication import CommunicationServiceManagementClient
from azure.mgmt.communication.models import CommunicationServiceResourceUpdate

from providers.arm import RETRY_METHODS, ClientFactory, default_client, parse_resource_id, reason
from providers.emaildomains import EmailDomainError, parse_domain_id

# The PATCH sets the whole list: repeating it after a throttled or lost answer is safe, so it is
# retried like the other calls (azure-core leaves PATCH out by default).
_PATCH_RETRY_METHODS = RETRY_METHODS | {"PATCH"}

_PROPERTY_NAMES = {
    "communication_service_id": "communicationServiceId",
    "domain_ids": "domainIds",
    "exclusive": "exclusive",
    "arm_endpoint": "armEndpoint",
    "linked_domains": "linkedDomains",
    "unmanaged_domains": "unmanagedDomains",
    "removed_unmanaged_domains": "removedUnmanagedDomains",
}
_ATTRIBUTE_NAMES = {prop: attribute for attribute, prop in _PROPERTY_NAMES.items()}


def canonical_domain_ids(domain_ids: Sequence[str]) -> list[str]:
    """`domain_ids` checked, sorted, without duplicates (ARM ids are case-insensitive)."""
    if isinstance(domain_ids, str) or not isinstance(domain_ids, Sequence):
        raise ValueError(f"domain_ids must be a list of email domain resource ids: {domain_ids!r}")
    for domain_id in domain_ids:
        parse_domain_id(domain_id)
    return _unique(domain_ids)


class Links(NamedTuple):
    linked: list[str]  # the ACS resource's linkedDomains, sorted
    unmanaged: list[str]  # linked before the change, and not managed by this resource
    removed: list[str]  # of those, the ones the change unlinks (exclusive only)


def plan_links(current: Sequence[str], managed_before: Sequence[str], wanted: Sequence[str], exclusive: bool) -> Links:
    """What the linked domains become: what is linked now, minus what this resource managed before and
    no longer wants, plus what it wants; with `exclusive`, only what it wants."""
    managed = {d.lower() for d in [*managed_before, *wanted]}
    unmanaged = _unique([d for d in current if d.lower() not in managed])
    kept = [] if exclusive else unmanaged
    return Links(_unique([*wanted, *kept]), unmanaged, unmanaged if exclusive else [])


def link_domains(
    client: CommunicationServiceManagementClient,
    resource_group: str,
    name: str,
    wanted: Sequence[str],
    managed_before: Sequence[str],
    exclusive: bool,
) -> Links:
    """Sets the ACS resource's linkedDomains as `plan_links` says, unless they are so already, and
    returns what ARM then links, with what was found linked outside the stack."""
    service = _describe(resource_group, name)
    current = linked_domains(client, resource_group, name)
    links = plan_links(current, managed_before, wanted, exclusive)
    if _id_set(current) == _id_set(links.linked):
        return links._replace(linked=_unique(current))
    step = (
        f"linking {', '.join(links.linked)} to {service}" if links.linked else f"unlinking every domain from {service}"
    )
    try:
        updated = client.communication_services.update(
            resource_group,
            name,
            CommunicationServiceResourceUpdate(linked_domains=links.linked),
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
    # What ARM answered, not what was asked for.
    return links._replace(linked=_unique(updated.linked_domains or []))


def linked_domains(client: CommunicationServiceManagementClient, resource_group: str, name: str) -> list[str]:
    """The ACS resource's linkedDomains as ARM has them now: one GET."""
    try:
        return list(client.communication_services.get(resource_group, name).linked_domains or [])
    except AzureError as error:
        raise EmailDomainError(
            f"reading the linked domains of {_describe(resource_group, name)} failed: {reason(error)}"
        ) from error


class LinkedDomainsProvider(pulumi.dynamic.ResourceProvider):
    """Pulumi calls create, read, diff, update and delete; the `*_with` methods hold the logic and take
    the client factory, so tests can point them at another endpoint, credential and clock (the client's
    retries are its only waits)."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return self.create_with(props, default_client)

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        return self.read_with(id_, props, default_client)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        return self.diff_with(olds, news, default_client)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return self.update_with(olds, news, default_client)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self.delete_with(props, default_client)

    def create_with(self, props: dict[str, Any], client_factory: ClientFactory) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(
            id_=props["communicationServiceId"], outs=self._link(props, [], client_factory)
        )

    def read_with(self, id_: str, props: dict[str, Any], client_factory: ClientFactory) -> pulumi.dynamic.ReadResult:
        """What is linked now, from one GET; nothing is changed."""
        subscription, resource_group, name = parse_resource_id(props["communicationServiceId"])
        with client_factory(subscription, props["armEndpoint"]) as client:
            try:
                current = linked_domains(client, resource_group, name)
            except EmailDomainError as error:
                if isinstance(error.__cause__, ResourceNotFoundError):
                    # The ACS resource is gone, and its links with it: a blank id tells the engine so.
                    return pulumi.dynamic.ReadResult(id_="", outs={})
                raise
        managed = _id_set(props["domainIds"])
        unmanaged = _unique([d for d in current if d.lower() not in managed])
        # What the last update removed stays reported: a read removes nothing.
        removed = list(props.get("removedUnmanagedDomains") or [])
        return pulumi.dynamic.ReadResult(id_=id_, outs=_state(props, Links(_unique(current), unmanaged, removed)))

    def diff_with(
        self, olds: dict[str, Any], news: dict[str, Any], client_factory: ClientFactory
    ) -> pulumi.dynamic.DiffResult:
        # The order of the domains means nothing to ARM; a new ARM endpoint is just another way to
        # reach the same resource, picked up by the next update.
        replaced = _lower(olds.get("communicationServiceId")) != _lower(news.get("communicationServiceId"))
        replaces = ["communicationServiceId"] if replaced else []
        changed = (
            replaced
            or _id_set(olds.get("domainIds")) != _id_set(news.get("domainIds"))
            or bool(olds.get("exclusive")) != bool(news.get("exclusive"))
            or not _links_hold(olds, client_factory)
        )
        return pulumi.dynamic.DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def update_with(
        self, olds: dict[str, Any], news: dict[str, Any], client_factory: ClientFactory
    ) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult(outs=self._link(news, olds.get("domainIds") or [], client_factory))

    def delete_with(self, props: dict[str, Any], client_factory: ClientFactory) -> None:
        subscription, resource_group, name = parse_resource_id(props["communicationServiceId"])
        with client_factory(subscription, props["armEndpoint"]) as client:
            try:
                link_domains(client, resource_group, name, [], props["domainIds"], bool(props.get("exclusive")))
            except EmailDomainError as error:
                # An ACS resource deleted already links nothing.
                if not isinstance(error.__cause__, ResourceNotFoundError):
                    raise

    def _link(
        self, props: dict[str, Any], managed_before: Sequence[str], client_factory: ClientFactory
    ) -> dict[str, Any]:
        subscription, resource_group, name = parse_resource_id(props["communicationServiceId"])
        domain_ids = canonical_domain_ids(props["domainIds"])  # before any call: a bad id fails here
        with client_factory(subscription, props["armEndpoint"]) as client:
            links = link_domains(client, resource_group, name, domain_ids, managed_before, bool(props.get("exclusive")))
        return _state(props, links)


def _links_hold(props: dict[str, Any], client_factory: ClientFactory) -> bool:
    """Whether ARM still links every domain this resource manages (and, exclusive, no other), from one
    GET of the ACS resource.

    The engine diffs this resource only after the ACS resource's own update has finished: this
    resource's `communicationServiceId` is the ACS resource's `id` output, and the Pulumi SDK registers
    a resource only once the outputs its inputs come from are resolved (pulumi/runtime/rpc.py
    `serialize_property` awaits them), which the engine does when the ACS resource's step is done. So
    the GET sees what that update's PUT left, and a link it cleared is put back in the same `up`.

    A failed GET counts as not holding: failing would stop the whole preview over one read that a moment
    later may succeed, and the state's links would be a claim nobody checked. The update this plans
    reads again, and reports the error, naming the step, if it persists."""
    subscription, resource_group, name = parse_resource_id(props["communicationServiceId"])
    with client_factory(subscription, props["armEndpoint"]) as client:
        try:
            current = _id_set(linked_domains(client, resource_group, name))
        except EmailDomainError:
            return False
    managed = _id_set(props.get("domainIds"))
    return managed <= current and (not props.get("exclusive") or current <= managed)


def _state(props: dict[str, Any], links: Links) -> dict[str, Any]:
    """The resource's state: its inputs as the state keeps them, and what ARM links."""
    return {
        "communicationServiceId": props["communicationServiceId"],
        "domainIds": canonical_domain_ids(props["domainIds"]),
        "exclusive": bool(props.get("exclusive")),
        "armEndpoint": props["armEndpoint"],
        "linkedDomains": links.linked,
        "unmanagedDomains": links.unmanaged,
        "removedUnmanagedDomains": links.removed,
    }


def _describe(resource_group: str, name: str) -> str:
    return f"ACS resource '{name}' (resource group '{resource_group}')"


def _unique(domain_ids: Sequence[str]) -> list[str]:
    """Sorted, each id once (ARM ids are case-insensitive)."""
    unique: dict[str, str] = {}
    for domain_id in domain_ids:
        unique.setdefault(domain_id.lower(), domain_id)
    return sorted(unique.values(), key=str.lower)


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
    exclusive: bool = False  # True: the stack owns the whole list, and unlinks domains linked outside it
    arm_endpoint: str = "https://management.azure.com"

    def __post_init__(self) -> None:
        if isinstance(self.communication_service_id, str):
            parse_resource_id(self.communication_service_id)
        if not isinstance(self.exclusive, bool):
            raise ValueError(f"exclusive must be true or false: {self.exclusive!r}")
        # Checked and put in the order the resource registers them, once.
        object.__setattr__(self, "domain_ids", _registered(self.domain_ids))


class LinkedDomains(pulumi.dynamic.Resource, module="emaildomains", name="LinkedDomains"):
    """The email domains the stack links to one ACS resource."""

    linked_domains: pulumi.Output[list[str]]  # everything linked, the stack's or not
    unmanaged_domains: pulumi.Output[list[str]]  # linked outside the stack, as last found
    removed_unmanaged_domains: pulumi.Output[list[str]]  # of those, what the last update unlinked (exclusive)

    def __init__(self, name: str, args: LinkedDomainsArgs, opts: pulumi.ResourceOptions | None = None):
        props = {
            "communication_service_id": args.communication_service_id,
            "domain_ids": args.domain_ids,
            "exclusive": args.exclusive,
            "arm_endpoint": args.arm_endpoint,
            "linked_domains": None,
            "unmanaged_domains": None,
            "removed_unmanaged_domains": None,
        }
        super().__init__(LinkedDomainsProvider(), name, props, opts)

    def translate_input_property(self, prop: str) -> str:
        return _PROPERTY_NAMES.get(prop, prop)

    def translate_output_property(self, prop: str) -> str:
        return _ATTRIBUTE_NAMES.get(prop, prop)
