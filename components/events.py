"""ACS events through Event Grid: the system topic of an instance and its subscriptions, which send
what cannot be delivered to the stack's dead-letter container.

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

from stackconfig import roles
from stackconfig.adoption import event_subscription_key, topic_key
from stackconfig.events import AdvancedFilterConfig, DestinationConfig, SubscriptionConfig

from . import name_after, secret_input
from .access import RoleAssignmentArgs, role_assignment
from .adoption import AS_IS_TAGGED, Adoption
from .dead_letters import DEAD_LETTER_CONTAINER

ACS_TOPIC_TYPE = "Microsoft.Communication.CommunicationServices"
IDENTITY = eventgrid.EventSubscriptionIdentityArgs(type="SystemAssigned")


@dataclass(frozen=True)
class DeadLetterTarget:
    """Where the stack keeps dead letters: the storage account and its container."""

    account_id: pulumi.Input[str]
    container_id: pulumi.Input[str]


@dataclass(frozen=True)
class EventsArgs:
    instance: str
    topic_name: str  # `events.topicName`, or `evgt-<instance>`
    service_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    subscriptions: Sequence[SubscriptionConfig]
    dead_letters: DeadLetterTarget | None  # None: the stack keeps no dead letters
    tags: Mapping[str, str]
    # Webhook URLs are secure config: each is a Pulumi secret all the way to its `endpointUrl`.
    secret_webhook_urls: bool = False
    adoption: Adoption = Adoption()  # the existing topic and subscriptions it takes over


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


def _grants_needed(
    instance: str, topic: str, subscription: SubscriptionConfig, dead_letters: DeadLetterTarget | None
) -> list[_Grant]:
    """The roles the topic's identity needs for one subscription, each on one resource only."""
    needed = []
    if subscription.dead_letter and dead_letters is not None:
        needed.append(
            _Grant(
                f"{instance}-deadletters",
                dead_letters.container_id,
                roles.STORAGE_BLOB_DATA_CONTRIBUTOR,
                f"{topic} writes its dead letters, granted by acs-platform",
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
                f"{topic} delivers its events here, granted by acs-platform",
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


class Events(pulumi.ComponentResource):
    """The system topic of one ACS instance, its subscriptions and the roles its identity needs."""

    topic: eventgrid.SystemTopic
    subscriptions: dict[str, eventgrid.SystemTopicEventSubscription]

    def __init__(self, name: str, args: EventsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:Events", name, None, opts)

        self.topic = eventgrid.SystemTopic(
            f"{name}-topic",
            system_topic_name=args.topic_name,
            resource_group_name=args.resource_group_name,
            location="global",  # ACS is global, so is its topic: see the README on residency
            source=args.service_id,
            topic_type=ACS_TOPIC_TYPE,
            identity=eventgrid.IdentityInfoArgs(type="SystemAssigned"),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                # An existing topic may have no identity yet: the next `up` gives it one.
                **args.adoption.options(topic_key(args.topic_name), as_is=[*AS_IS_TAGGED, "identity"]),
            ),
        )
        needed = {
            subscription.name: _grants_needed(args.instance, args.topic_name, subscription, args.dead_letters)
            for subscription in args.subscriptions
        }
        assignments = self._grants(name, args.topic_name, [g for gs in needed.values() for g in gs])
        self.subscriptions = {
            subscription.name: self._subscription(
                name,
                args,
                subscription,
                [assignments[grant.scope_key, grant.role] for grant in needed[subscription.name]],
            )
            for subscription in args.subscriptions
        }

        self.register_outputs({"topicId": self.topic.id})

    def _grants(
        self, name: str, topic: str, needed: Sequence[_Grant]
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
        principal = self.topic.identity.apply(lambda identity: identity.principal_id if identity else None)
        return {
            key: role_assignment(
                f"{name}-access",
                RoleAssignmentArgs(
                    scope_key=grant.scope_key,
                    scope_id=grant.scope,
                    principal_id=principal,
                    principal_key=topic,
                    principal_type="ServicePrincipal",
                    role_definition_guid=grant.role,
                    description=grant.description,
                ),
                parent=self,
            )
            for key, grant in unique.items()
        }

    def _subscription(
        self,
        name: str,
        args: EventsArgs,
        subscription: SubscriptionConfig,
        grants: Sequence[authorization.RoleAssignment],
    ) -> eventgrid.SystemTopicEventSubscription:
        dead_letter = None
        if subscription.dead_letter and args.dead_letters is not None:
            dead_letter = eventgrid.DeadLetterWithResourceIdentityArgs(
                identity=IDENTITY,
                dead_letter_destination=eventgrid.StorageBlobDeadLetterDestinationArgs(
                    endpoint_type="StorageBlob",
                    resource_id=args.dead_letters.account_id,
                    blob_container_name=DEAD_LETTER_CONTAINER,
                ),
            )
        return eventgrid.SystemTopicEventSubscription(
            f"{name}-{subscription.name}",
            event_subscription_name=subscription.name,
            system_topic_name=name_after(self.topic, args.topic_name),
            resource_group_name=args.resource_group_name,
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
            **_delivery(subscription.destination, args.secret_webhook_urls),
            # Event Grid checks the identity's access when the subscription is created. Roles reach
            # it a few minutes after assignment; creating the subscription after them at least
            # keeps it from being created before they exist.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(grants),
                **args.adoption.options(event_subscription_key(args.topic_name, subscription.name)),
            ),
        )
