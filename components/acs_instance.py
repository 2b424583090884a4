"""One Azure Communication Services instance with everything it needs: the ACS resource with its
identity, diagnostic setting, lock and role assignments; its connection string in the stack's Key
Vault with its key rotation (where local auth is on); email; phone numbers; Direct Routing; Event
Grid events.

A component of the package (`acs-platform:index:AcsInstance`): `instance` takes what one entry of
`acs-platform:instances` takes, checked with the config's own model; the rest says where the
stack's shared resources are (`SharedInfrastructure`'s outputs) and what the stack decides for all
of its instances (tags, lock, protection, the key rotation schedule).
"""

from datetime import UTC, datetime
from typing import NotRequired, TypedDict

import pulumi
import pulumi_azure_native.communication as communication

from stackconfig.adoption import acs_key, email_service_name, topic_name
from stackconfig.interface import LockConfig
from stackconfig.model import InstanceConfig
from stackconfig.secrets import KeyRotationConfig

from . import name_after, validated
from .adoption import AS_IS_TAGGED, Adoption
from .credentials import connection_string_secret, secret_name
from .direct_routing import direct_routing
from .email import Email, EmailArgs, link_domains
from .email_outputs import SenderCandidateSettings, active_sender, sender_candidates
from .events import DeadLetterTarget, Events, EventsArgs
from .interface import resource_interface, with_own_tags
from .monitoring import diagnostic_setting, instance_diagnostic_settings
from .phone_numbers import PhoneNumbers, PhoneNumbersArgs, ProtectedPool
from .settings import InstanceSettings, KeyRotationSettings


class AcsInstanceArgs(TypedDict):
    instance: InstanceSettings  # one entry of `acs-platform:instances`, with the same keys
    resource_group_name: pulumi.Input[str]
    log_analytics_workspace_id: pulumi.Input[str]
    log_analytics_workspace_name: pulumi.Input[str]  # names the diagnostic settings: send-to-<workspace>
    # Where the connection string goes when the instance allows local auth.
    key_vault_name: NotRequired[pulumi.Input[str]]
    # Where undeliverable events go, for subscriptions with `deadLetter: true`.
    dead_letter_account_id: NotRequired[pulumi.Input[str]]
    dead_letter_container_id: NotRequired[pulumi.Input[str]]
    key_rotation: NotRequired[KeyRotationSettings]  # the stack's schedule; `extraRotations` by instance name
    tags: dict[str, str]  # the stack's tags, on every resource of the instance that takes tags
    lock: str  # "CanNotDelete" on the ACS resource, or "None"
    protect: bool  # Pulumi `protect` on the ACS resource, the email service and its domains
    protect_phone_numbers: bool  # for pools that do not say: keep their numbers when removed
    # For instances whose `directRouting` does not say: remove the trunks and routes the stack does not
    # declare (the prod tier's default). Unset: false, what others configured is kept.
    direct_routing_exclusive: NotRequired[bool]
    secret_webhook_urls: NotRequired[bool]  # the webhook URLs are Pulumi secrets
    # Azure ids of existing resources to take over instead of creating (`acs-platform:adopt`,
    # docs/adoption.md): those of this instance are imported by the next `pulumi up`, the others ignored.
    adopt: NotRequired[list[str]]
    # The ids of the domains of the instance's `linkedDomains` (`SharedInfrastructure.linkableEmailDomains` of
    # `<service>/<domain>`, or a domain's id), null until they can be linked: linked with the instance's own.
    linked_domain_ids: NotRequired[list[pulumi.Input[str | None]]]
    # Those of them that are domains of the stack's email services, as the active sender sees them
    # (`SharedInfrastructure.linkableEmailSenders` of `<service>/<domain>`), in order.
    linked_domain_senders: NotRequired[list[pulumi.Input[SenderCandidateSettings]]]


def identity_type(system_assigned: bool, user_assigned: bool) -> str:
    """ARM's ManagedServiceIdentityType for the identities an instance asks for."""
    kinds = [kind for kind, on in (("SystemAssigned", system_assigned), ("UserAssigned", user_assigned)) if on]
    return ",".join(kinds) or "None"


class AcsInstance(pulumi.ComponentResource):
    """An Azure Communication Services resource and everything of it: diagnostics, lock, roles,
    connection string with key rotation, email, phone numbers, Direct Routing and events."""

    resource_id: pulumi.Output[str]
    host_name: pulumi.Output[str]  # <name>.<geography>.communication.azure.com
    data_location: pulumi.Output[str]
    principal_id: pulumi.Output[str]  # of the system-assigned identity; null without one
    # The Key Vault secret holding the connection string; absent where apps must use Entra ID.
    connection_string_secret: pulumi.Output[str] | None
    event_topic: pulumi.Output[str] | None  # the Event Grid system topic's name, with events
    phone_numbers: pulumi.Output[dict[str, list[str]]] | None  # each pool's numbers, in E.164
    # The address applications send from now: <first sender>@<fromSenderDomain> of the first custom domain
    # verified and linked, else of the Azure-managed domain; null without either, or without email.
    active_sender: pulumi.Output[str] | None
    # Only the annotations above are the package's outputs. The Python program also reads the
    # children `service`, `email`, `numbers` and `direct_routing`, left unannotated so the schema
    # leaves them out.

    def __init__(self, name: str, args: AcsInstanceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:index:AcsInstance", name, None, opts)
        instance = validated(InstanceConfig, args["instance"], "instance", f"AcsInstance {name}")
        stack_tags = dict(args["tags"])
        protect = args["protect"]
        adoption = Adoption(args.get("adopt", []))

        user_assigned = list(instance.managed_identities.user_assigned_resource_ids)
        service = communication.CommunicationService(
            f"{name}-acs",
            communication_service_name=instance.name,
            resource_group_name=args["resource_group_name"],
            location="global",
            data_location=instance.data_location,
            disable_local_auth=instance.disable_local_auth,
            public_network_access=instance.public_network_access,
            identity=communication.ManagedServiceIdentityArgs(
                type=identity_type(instance.managed_identities.system_assigned, bool(user_assigned)),
                user_assigned_identities=user_assigned or None,
            ),
            tags=with_own_tags(stack_tags, instance.tags),  # its own on its ACS resource; the standard ones win
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=protect,
                # dataLocation cannot change in place. Planning a change as a replacement makes it
                # visible in every preview, and `protect` then refuses it instead of losing the
                # resource; ACS names are global, so a permitted replacement must delete first.
                replace_on_changes=["dataLocation"],
                delete_before_replace=True,
                # Linked email domains are set by the email component's link once verified, so
                # the ACS resource never waits on DNS; its own inputs must not undo the link.
                **adoption.options(acs_key(instance.name), as_is=AS_IS_TAGGED, ignore_changes=["linkedDomains"]),
            ),
        )
        self.service = service
        self.resource_id = service.id
        self.host_name = service.host_name
        self.data_location = service.data_location
        self.principal_id = service.identity.apply(lambda identity: identity.principal_id if identity else None)

        # `diagnosticSettings`, or the one default setting (stackconfig/diagnostics.py).
        instance_diagnostic_settings(
            f"{name}-diagnostics",
            instance_name=instance.name,
            settings=instance.diagnostic_settings,
            target_id=service.id,
            workspace_id=args["log_analytics_workspace_id"],
            workspace_name=args["log_analytics_workspace_name"],
            parent=self,
        )
        resource_interface(
            name,
            default_lock_name=None,  # the lock it always had: `acs-platform-<level>`
            scope_key=instance.name,
            scope_id=service.id,
            scope_label=instance.name,
            # The instance's own `lock`, else the stack's (acs-platform:protection.lock): the same resource either way.
            lock_config=instance.lock or LockConfig(kind=args["lock"]),
            role_assignments=instance.role_assignments,
            parent=self,
            adoption=adoption,
            adoption_key=acs_key(instance.name),
        )

        self.connection_string_secret = None
        if not instance.disable_local_auth:  # with Entra ID only there is no key to keep or rotate
            if "key_vault_name" not in args:
                raise pulumi.RunError(
                    f"AcsInstance {name}: keyVaultName is required where the instance allows local auth "
                    "(instance.disableLocalAuth: false): its connection string goes to that Key Vault"
                )
            rotation = validated(KeyRotationConfig, args.get("key_rotation", {}), "keyRotation", f"AcsInstance {name}")
            # Keys rotate by the schedule: the generation changes only on a due date, never with the
            # clock. Each generation flips to the standby key, so the key in the secret is regenerated
            # two due dates on, by the calendar, "rotate now" or not.
            today = datetime.now(UTC).date()
            schedule = rotation.schedule
            connection_string_secret(
                name,
                instance=instance.name,
                service_id=service.id,
                generation=schedule.generation(today, rotation.extra_rotations.get(instance.name, 0)),
                expires=schedule.expires(schedule.generation(today)),
                vault_name=args["key_vault_name"],
                resource_group_name=args["resource_group_name"],
                tags=stack_tags,
                parent=self,
            )
            self.connection_string_secret = pulumi.Output.from_input(secret_name(instance.name))

        self.email = None
        if instance.email:
            self.email = Email(
                f"{name}-email",
                EmailArgs(
                    email_service_name=email_service_name(instance),
                    service_id=service.id,
                    service_name=name_after(service, instance.name),
                    resource_group_name=args["resource_group_name"],
                    data_location=instance.data_location,
                    domains=instance.email.domains,
                    smtp_usernames=instance.email.smtp_usernames,
                    exclusive_linked_domains=instance.email.exclusive_linked_domains,
                    tags=stack_tags,
                    service_lock=instance.email.lock,
                    service_role_assignments=instance.email.role_assignments,
                    service_tags=instance.email.tags,
                    protect=protect,
                    adoption=adoption,
                    linked_elsewhere=args.get("linked_domain_ids", []),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        link = self.email.link if self.email else None
        if self.email is None and args.get("linked_domain_ids"):
            # Domains of email services it does not own only: the link is the instance's own.
            link = link_domains(f"{name}-links", service.id, args["linked_domain_ids"], exclusive=False, parent=self)

        # The data plane of phone numbers and Direct Routing.
        endpoint = service.host_name.apply(lambda host: f"https://{host}")
        self.phone_numbers = self.numbers = None
        if instance.phone_numbers:
            default_protection = args["protect_phone_numbers"]
            self.numbers = PhoneNumbers(
                f"{name}-numbers",
                PhoneNumbersArgs(
                    instance=instance.name,
                    endpoint=endpoint,
                    local_auth=not instance.disable_local_auth,
                    pools=[
                        ProtectedPool(pool, default_protection if pool.protect is None else pool.protect)
                        for pool in instance.phone_numbers.pools
                    ],
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.phone_numbers = pulumi.Output.from_input(
                {key: pool.phone_numbers for key, pool in self.numbers.pools.items()}
            )

        self.direct_routing = None
        if instance.direct_routing:
            routing = instance.direct_routing
            self.direct_routing = direct_routing(
                f"{name}-direct-routing",
                instance=instance.name,
                config=routing,
                exclusive=routing.effective_exclusive(args.get("direct_routing_exclusive", False)),
                endpoint=endpoint,
                local_auth=not instance.disable_local_auth,
                protect=protect,
                parent=self,
            )

        self.event_topic = None
        if instance.events:
            dead_letter_account = args.get("dead_letter_account_id")
            events = Events(
                f"{name}-events",
                EventsArgs(
                    instance=instance.name,
                    topic_name=topic_name(instance),
                    service_id=service.id,
                    resource_group_name=args["resource_group_name"],
                    subscriptions=instance.events.subscriptions,
                    dead_letters=DeadLetterTarget(dead_letter_account, args["dead_letter_container_id"])
                    if dead_letter_account is not None
                    else None,
                    tags=stack_tags,
                    secret_webhook_urls=args.get("secret_webhook_urls", False),
                    adoption=adoption,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            diagnostic_setting(
                f"{name}-events-diagnostics",
                target_id=events.topic.id,
                workspace_id=args["log_analytics_workspace_id"],
                workspace_name=args["log_analytics_workspace_name"],
                parent=self,
            )
            self.event_topic = pulumi.Output.from_input(topic_name(instance))

        # Known once deployed (the domains' fromSenderDomain, their verification and the link), never in a preview.
        # Its own domains first, then those it links from the stack's email services.
        candidates = [
            *(sender_candidates(self.email, instance.email.domains) if self.email else []),
            *args.get("linked_domain_senders", []),
        ]
        self.active_sender = active_sender(candidates, link.linked_domains) if candidates and link else None

        self.register_outputs(
            {
                "resourceId": self.resource_id,
                "hostName": self.host_name,
                "dataLocation": self.data_location,
                "principalId": self.principal_id,
                "connectionStringSecret": self.connection_string_secret,
                "eventTopic": self.event_topic,
                "phoneNumbers": self.phone_numbers,
                "activeSender": self.active_sender,
            }
        )
