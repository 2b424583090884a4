"""ACS events through Event Grid: a system topic per instance, its subscriptions, and a
dead-letter container for what cannot be delivered.

Identities do the work, not keys: each topic has a system-assigned identity that writes dead
letters and, where the destination supports it, delivers events, with a role on that one
destination only. Each role is granted once per topic, however many of its subscriptions need it:
Azure holds one assignment per scope, principal and role.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.eventgrid as eventgrid
import pulumi_azure_native.storage as storage

from stackconfig import roles
from stackconfig.events import AdvancedFilterConfig, DestinationConfig, SubscriptionConfig

from . import name_after, secret_input
from .access import Access, AccessArgs, RoleAssignmentArgs, assignment_name

ACS_TOPIC_TYPE = "Microsoft.Communication.CommunicationServices"
DEAD_LETTER_CONTAINER = "deadletters"
IDENTITY = eventgrid.EventSubscriptionIdentityArgs(type="SystemAssigned")


@dataclass(frozen=True)
class DeadLetters:
    account: storage.StorageAccount
    container: storage.BlobContainer
    blob_service: storage.BlobServiceProperties
    blob_service_id: pulumi.Output[str]  # what its diagnostic setting watches


@dataclass(frozen=True)
class DeadLetterStorageArgs:
    account_name: str
    redundancy: str  # the SKU: Standard_LRS, Standard_ZRS, Standard_GZRS, ...
    blob_soft_delete_days: int
    container_soft_delete_days: int


@dataclass(frozen=True)
class InstanceEventsArgs:
    instance: str
    service_id: pulumi.Input[str]
    subscriptions: Sequence[SubscriptionConfig]
    # Webhook URLs are secure config: each is a Pulumi secret all the way to its `endpointUrl`.
    secret_webhook_urls: bool = False


@dataclass(frozen=True)
class EventsArgs:
    resource_group_name: pulumi.Input[str]
    location: str  # of the dead-letter storage account; system topics of ACS are global
    dead_letter_storage: DeadLetterStorageArgs
    instances: Sequence[InstanceEventsArgs]
    tags: Mapping[str, str]


def _advanced_filter(config: AdvancedFilterConfig):
    # Each operator has its own input type in the SDK, named after it.
    operand = {"values": config.values} if config.values is not None else {}
    if config.value is not None:
        operand = {"value": config.value}
    args_type = getattr(eventgrid, f"{config.operator_type}AdvancedFilterArgs")
    return args_type(key=config.key, operator_type=config.operator_type, **operand)


def _sender_role(destination: DestinationConfig) -> tuple[str, str] | None:
    """The scope and role the topic's identity needs to deliver, or None when it delivers without one."""
    if destination.service_bus_queue:
        return destination.service_bus_queue.resource_id, roles.SERVICE_BUS_DATA_SENDER
    if destination.service_bus_topic:
        return destination.service_bus_topic.resource_id, roles.SERVICE_BUS_DATA_SENDER
    if destination.event_hub:
        return destination.event_hub.resource_id, roles.EVENT_HUBS_DATA_SENDER
    if destination.storage_queue:
        queue = destination.storage_queue
        scope = f"{queue.storage_account_id}/queueServices/default/queues/{queue.queue_name}"
        return scope, roles.STORAGE_QUEUE_DATA_MESSAGE_SENDER
    return None


def _destination_key(scope: str) -> str:
    """A short, stable name for a destination: its resource path below the provider's top-level
    type, such as `sb-apps-queues-sms`. Namespaces and storage accounts have globally unique
    names, so no two destinations share one; ids are case-insensitive, so neither does one
    destination written two ways."""
    below_provider = scope.split("/providers/", 1)[1].strip("/").split("/")
    return "-".join(below_provider[2:]).lower()


@dataclass(frozen=True)
class _Grant:
    scope_key: str  # names the scope: with the role, it names the grant in its topic
    scope: pulumi.Input[str]
    role: str
    description: str


def _grants_needed(instance: str, subscription: SubscriptionConfig, dead_letters: DeadLetters | None) -> list[_Grant]:
    """The roles the topic's identity needs for one subscription, each on one resource only."""
    needed = []
    if subscription.dead_letter and dead_letters is not None:
        needed.append(
            _Grant(
                f"{instance}-deadletters",
                dead_letters.container.id,
                roles.STORAGE_BLOB_DATA_CONTRIBUTOR,
                f"{topic_name(instance)} writes its dead letters, granted by acs-platform",
            )
        )
    sender = _sender_role(subscription.destination)
    if sender is not None:
        scope, role = sender
        needed.append(
            _Grant(
                f"{instance}-{_destination_key(scope)}",
                scope,
                role,
                f"{topic_name(instance)} delivers its events here, granted by acs-platform",
            )
        )
    return needed


def _delivery(destination: DestinationConfig, secret_webhook_url: bool = False) -> dict:
    """The subscription inputs for a destination: with the topic's identity where Event Grid
    supports one (Service Bus, Storage queues, Event Hubs), directly otherwise."""
    if destination.webhook:
        hook = destination.webhook
        return {
            "destination": eventgrid.WebHookEventSubscriptionDestinationArgs(
                endpoint_type="WebHook",
                # A secret URL may carry a credential (`code=`, `sig=`): never in plain text.
                endpoint_url=secret_input(hook.url) if secret_webhook_url else hook.url,
                azure_active_directory_tenant_id=hook.entra_tenant_id,
                azure_active_directory_application_id_or_uri=hook.entra_application_id_or_uri,
            )
        }
    if destination.azure_function:
        return {
            "destination": eventgrid.AzureFunctionEventSubscriptionDestinationArgs(
                endpoint_type="AzureFunction", resource_id=destination.azure_function.resource_id
            )
        }
    if destination.storage_queue:
        target = eventgrid.StorageQueueEventSubscriptionDestinationArgs(
            endpoint_type="StorageQueue",
            resource_id=destination.storage_queue.storage_account_id,
            queue_name=destination.storage_queue.queue_name,
        )
    elif destination.service_bus_queue:
        target = eventgrid.ServiceBusQueueEventSubscriptionDestinationArgs(
            endpoint_type="ServiceBusQueue", resource_id=destination.service_bus_queue.resource_id
        )
    elif destination.service_bus_topic:
        target = eventgrid.ServiceBusTopicEventSubscriptionDestinationArgs(
            endpoint_type="ServiceBusTopic", resource_id=destination.service_bus_topic.resource_id
        )
    else:
        target = eventgrid.EventHubEventSubscriptionDestinationArgs(
            endpoint_type="EventHub", resource_id=destination.event_hub.resource_id
        )
    return {
        "delivery_with_resource_identity": eventgrid.DeliveryWithResourceIdentityArgs(
            identity=IDENTITY, destination=target
        )
    }


def topic_name(instance: str) -> str:
    return f"evgt-{instance}"


class Events(pulumi.ComponentResource):
    dead_letters: DeadLetters | None
    topics: dict[str, eventgrid.SystemTopic]
    subscriptions: dict[str, eventgrid.SystemTopicEventSubscription]

    def __init__(self, name: str, args: EventsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:Events", name, None, opts)

        needs_dead_letters = any(s.dead_letter for i in args.instances for s in i.subscriptions)
        dead_letters = self._dead_letters(name, args) if needs_dead_letters else None

        self.dead_letters = dead_letters
        self.topics, self.subscriptions = {}, {}
        for instance in args.instances:
            topic = eventgrid.SystemTopic(
                f"{name}-{instance.instance}",
                system_topic_name=topic_name(instance.instance),
                resource_group_name=args.resource_group_name,
                location="global",  # ACS is global, so is its topic: see the README on residency
                source=instance.service_id,
                topic_type=ACS_TOPIC_TYPE,
                identity=eventgrid.IdentityInfoArgs(type="SystemAssigned"),
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.topics[instance.instance] = topic
            needed = {
                subscription.name: _grants_needed(instance.instance, subscription, dead_letters)
                for subscription in instance.subscriptions
            }
            assignments = self._grants(name, instance.instance, topic, [g for gs in needed.values() for g in gs])
            for subscription in instance.subscriptions:
                self.subscriptions[f"{instance.instance}/{subscription.name}"] = self._subscription(
                    name,
                    instance,
                    topic,
                    subscription,
                    dead_letters,
                    args.resource_group_name,
                    [assignments[grant.scope_key, grant.role] for grant in needed[subscription.name]],
                )

        self.register_outputs({"topicIds": {key: topic.id for key, topic in self.topics.items()}})

    def _dead_letters(self, name: str, args: EventsArgs) -> DeadLetters:
        settings = args.dead_letter_storage
        account = storage.StorageAccount(
            f"{name}-deadletters",
            account_name=settings.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="StorageV2",
            sku=storage.SkuArgs(name=settings.redundancy),
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            # Only identities write here: no account key can be used, or leaked.
            allow_shared_key_access=False,
            # Closed to every network. Event Grid writes dead letters with the topic's system-assigned
            # identity as a trusted Azure service, which `AzureServices` lets through the firewall.
            network_rule_set=storage.NetworkRuleSetArgs(default_action="Deny", bypass="AzureServices"),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        account_name = name_after(account, settings.account_name)
        # Soft delete: a dead letter or the container deleted by mistake can be restored for a while.
        blob_service = storage.BlobServiceProperties(
            f"{name}-deadletters-blobs",
            account_name=account_name,
            resource_group_name=args.resource_group_name,
            blob_services_name="default",
            delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                enabled=True, days=settings.blob_soft_delete_days
            ),
            container_delete_retention_policy=storage.DeleteRetentionPolicyArgs(
                enabled=True, days=settings.container_soft_delete_days
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        container = storage.BlobContainer(
            f"{name}-deadletters-container",
            account_name=account_name,
            resource_group_name=args.resource_group_name,
            container_name=DEAD_LETTER_CONTAINER,
            public_access="None",
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The blob service's id is the account's and a fixed suffix: computed from the account, so a
        # diagnostic setting on it is known, in every preview, to watch this account's blobs.
        blob_service_id = account.id.apply(lambda account_id: f"{account_id}/blobServices/default")
        return DeadLetters(account, container, blob_service, blob_service_id)

    def _grants(
        self, name: str, instance: str, topic: eventgrid.SystemTopic, needed: Sequence[_Grant]
    ) -> dict[tuple[str, str], authorization.RoleAssignment]:
        """Each role the topic's identity needs, declared once for the topic, by (scope key, role).

        Subscriptions that dead-letter, or deliver to one destination, share one assignment: Azure
        refuses a second, and removing one subscription must not revoke what the others use. So the
        grants live as long as the topic needs them, not as long as any one subscription."""
        unique: dict[tuple[str, str], _Grant] = {}
        for grant in needed:
            unique.setdefault((grant.scope_key, grant.role), grant)
        if not unique:
            return {}
        principal = topic.identity.apply(lambda identity: identity.principal_id if identity else None)
        assignments = {
            key: RoleAssignmentArgs(
                scope_key=grant.scope_key,
                scope_id=grant.scope,
                principal_id=principal,
                principal_key=topic_name(instance),
                principal_type="ServicePrincipal",
                role_definition_guid=grant.role,
                description=grant.description,
            )
            for key, grant in unique.items()
        }
        access = Access(
            f"{name}-{instance}-access",
            AccessArgs(assignments=list(assignments.values())),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return {key: access.assignments[assignment_name(args)] for key, args in assignments.items()}

    def _subscription(
        self,
        name: str,
        instance_args: InstanceEventsArgs,
        topic: eventgrid.SystemTopic,
        subscription: SubscriptionConfig,
        dead_letters: DeadLetters | None,
        resource_group_name: pulumi.Input[str],
        grants: Sequence[authorization.RoleAssignment],
    ) -> eventgrid.SystemTopicEventSubscription:
        instance = instance_args.instance
        dead_letter = None
        if subscription.dead_letter and dead_letters is not None:
            dead_letter = eventgrid.DeadLetterWithResourceIdentityArgs(
                identity=IDENTITY,
                dead_letter_destination=eventgrid.StorageBlobDeadLetterDestinationArgs(
                    endpoint_type="StorageBlob",
                    resource_id=dead_letters.account.id,
                    blob_container_name=DEAD_LETTER_CONTAINER,
                ),
            )
        return eventgrid.SystemTopicEventSubscription(
            f"{name}-{instance}-{subscription.name}",
            event_subscription_name=subscription.name,
            system_topic_name=name_after(topic, topic_name(instance)),
            resource_group_name=resource_group_name,
            filter=eventgrid.EventSubscriptionFilterArgs(
                included_event_types=list(subscription.event_types),
                subject_begins_with=subscription.subject_begins_with,
                subject_ends_with=subscription.subject_ends_with,
                advanced_filters=[_advanced_filter(f) for f in subscription.advanced_filters] or None,
            ),
            event_delivery_schema=subscription.delivery_schema,
            retry_policy=eventgrid.RetryPolicyArgs(
                max_delivery_attempts=subscription.max_delivery_attempts,
                event_time_to_live_in_minutes=subscription.event_time_to_live_minutes,
            ),
            dead_letter_with_resource_identity=dead_letter,
            expiration_time_utc=subscription.expires_on.isoformat() if subscription.expires_on else None,
            **_delivery(subscription.destination, instance_args.secret_webhook_urls),
            # Event Grid checks the identity's access when the subscription is created. Roles reach
            # it a few minutes after assignment; creating the subscription after them at least
            # keeps it from being created before they exist.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(grants)),
        )
