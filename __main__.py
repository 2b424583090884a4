"""acs-platform: Azure Communication Services for one environment, from its stack configuration."""

from datetime import UTC, datetime

import pulumi

from components.access import Access, AccessArgs, RoleAssignmentArgs
from components.communication import AcsInstanceArgs, Communication, CommunicationArgs
from components.credentials import Credentials, CredentialsArgs, InstanceCredentialArgs, secret_name
from components.email import Email, EmailArgs, email_outputs
from components.events import DeadLetterStorageArgs, Events, EventsArgs, InstanceEventsArgs, topic_name
from components.keyvault import KeyVault, KeyVaultArgs, PrivateEndpointArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.phone_numbers import PhoneNumbers, PhoneNumbersArgs, ProtectedPool
from components.protection import Protection, ProtectionArgs
from stackconfig import load_stack_config
from stackconfig.loader import stack_secret_keys
from stackconfig.roles import KEY_VAULT_SECRETS_USER, role_display_name
from stackconfig.secure import webhook_urls_are_secret

# The whole configuration is validated before any resource is declared. Only webhook URLs may be
# secure config (anything else secure is a config error); they stay Pulumi secrets to the resource.
config = load_stack_config()
secret_webhook_urls = webhook_urls_are_secret(stack_secret_keys())
stack_tags = config.tags_for({})

communication = Communication(
    "communication",
    CommunicationArgs(
        resource_group_name=config.resource_group.name,
        existing_resource_group=config.resource_group.existing,
        location=config.location,
        resource_group_tags=stack_tags,
        instances=[
            AcsInstanceArgs(
                name=instance.name,
                data_location=instance.data_location,
                disable_local_auth=instance.disable_local_auth,
                public_network_access=instance.public_network_access,
                system_assigned_identity=instance.managed_identities.system_assigned,
                user_assigned_identity_ids=instance.managed_identities.user_assigned_resource_ids,
                tags=config.tags_for(instance.tags),
            )
            for instance in config.instances
        ],
        protect=config.protection.protect,
    ),
)
service_ids = {name: service.id for name, service in communication.services.items()}

key_vault = KeyVault(
    "keyvault",
    KeyVaultArgs(
        name=config.key_vault.name,
        resource_group_name=communication.resource_group_name,
        location=config.location,
        tenant_id=config.tenant_id,
        soft_delete_retention_days=config.key_vault.soft_delete_retention_days,
        purge_protection=config.key_vault.purge_protection,
        allowed_ip_ranges=config.key_vault.allowed_ip_ranges,
        allowed_subnet_ids=config.key_vault.allowed_subnet_ids,
        private_endpoint=PrivateEndpointArgs(
            subnet_id=config.key_vault.private_endpoint.subnet_id,
            private_dns_zone_id=config.key_vault.private_endpoint.private_dns_zone_id,
        )
        if config.key_vault.private_endpoint
        else None,
        tags=stack_tags,
        protect=config.protection.protect,
    ),
)

# Keys rotate by the schedule: the generation changes only on a due date, never with the clock.
today = datetime.now(UTC).date()
schedule = config.key_rotation.schedule
calendar = schedule.generation(today)
generations = config.key_generations(today)  # only instances that keep keys: not Entra ID only
if generations:
    Credentials(
        "credentials",
        CredentialsArgs(
            vault_name=key_vault.vault_name,
            resource_group_name=communication.resource_group_name,
            instances=[
                # Each generation flips to the standby key, so the key in the secret is regenerated
                # two due dates on, by the calendar, "rotate now" or not.
                InstanceCredentialArgs(name, service_ids[name], generation, schedule.expires(calendar))
                for name, generation in generations.items()
            ],
            tags=stack_tags,
        ),
    )

emails = {
    instance.name: Email(
        f"email-{instance.name}",
        EmailArgs(
            instance=instance.name,
            service_id=service_ids[instance.name],
            service_name=communication.service_names[instance.name],
            resource_group_name=communication.resource_group_name,
            data_location=instance.data_location,
            domains=instance.email.domains,
            smtp_usernames=instance.email.smtp_usernames,
            exclusive_linked_domains=instance.email.exclusive_linked_domains,
            tags=stack_tags,
            protect=config.protection.protect,
        ),
    )
    for instance in config.instances
    if instance.email
}

numbers = {
    instance.name: PhoneNumbers(
        f"numbers-{instance.name}",
        PhoneNumbersArgs(
            instance=instance.name,
            endpoint=communication.services[instance.name].host_name.apply(lambda host: f"https://{host}"),
            local_auth=not instance.disable_local_auth,
            pools=[ProtectedPool(pool, config.protects_numbers(pool)) for pool in instance.phone_numbers.pools],
        ),
    )
    for instance in config.instances
    if instance.phone_numbers
}

with_events = [i for i in config.instances if i.events]
events = (
    Events(
        "events",
        EventsArgs(
            resource_group_name=communication.resource_group_name,
            location=config.location,
            dead_letter_storage=DeadLetterStorageArgs(
                account_name=config.dead_letter_storage.account_name,
                redundancy=config.dead_letter_storage.redundancy,
                blob_soft_delete_days=config.dead_letter_storage.blob_soft_delete_days,
                container_soft_delete_days=config.dead_letter_storage.container_soft_delete_days,
            ),
            instances=[
                InstanceEventsArgs(i.name, service_ids[i.name], i.events.subscriptions, secret_webhook_urls)
                for i in with_events
            ],
            tags=stack_tags,
        ),
    )
    if with_events
    else None
)
topics = events.topics if events else {}
dead_letters = events.dead_letters if events else None
dead_letter_blobs = f"deadletters-{config.dead_letter_storage.account_name}"

monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        resource_group_name=communication.resource_group_name,
        location=config.location,
        workspace_name=config.monitoring.workspace_name,
        retention_in_days=config.monitoring.log_retention_days,
        tags=stack_tags,
        targets={
            **service_ids,
            f"keyvault-{config.key_vault.name}": key_vault.vault.id,
            **{f"topic-{name}": topic.id for name, topic in topics.items()},
            **({dead_letter_blobs: dead_letters.blob_service_id} if dead_letters else {}),
        },
        protect=config.protection.protect,
        public_ingestion=config.monitoring.public_ingestion,
        public_query=config.monitoring.public_query,
        metric_categories={dead_letter_blobs: "Transaction"},
    ),
)

if config.protection.lock != "None":
    Protection(
        "protection",
        ProtectionArgs(
            level=config.protection.lock,
            resource_group_id=communication.resource_group_id,
            services=service_ids,
        ),
    )

role_assignments = [
    RoleAssignmentArgs(
        scope_key=instance.name,
        scope_id=service_ids[instance.name],
        principal_id=assignment.principal_id,
        principal_key=assignment.principal_id,
        principal_type=assignment.principal_type,
        role_definition_guid=assignment.role_definition_guid,
        description=assignment.description
        or f"{role_display_name(assignment.role)} on {instance.name}, granted by acs-platform",
    )
    for instance in config.instances
    for assignment in instance.role_assignments
] + [
    RoleAssignmentArgs(
        scope_key=config.key_vault.name,
        scope_id=key_vault.vault.id,
        principal_id=user.principal_id,
        principal_key=user.principal_id,
        principal_type=user.principal_type,
        role_definition_guid=KEY_VAULT_SECRETS_USER,
        description=f"Key Vault Secrets User on {config.key_vault.name}, granted by acs-platform",
    )
    for user in config.key_vault.secrets_users
]
if role_assignments:
    Access("access", AccessArgs(assignments=role_assignments))

pulumi.export("resourceGroupName", communication.resource_group_name)
pulumi.export("logAnalyticsWorkspaceId", monitoring.workspace.id)
pulumi.export("keyVaultName", key_vault.vault_name)
pulumi.export("keyVaultUri", key_vault.vault.properties.vault_uri)
pulumi.export(
    "instances",
    {
        name: {
            key: value
            for key, value in {
                "resourceId": service.id,
                "hostName": service.host_name,
                "dataLocation": service.data_location,
                "principalId": service.identity.apply(lambda identity: identity.principal_id if identity else None),
                # Where the connection string is, never what it is; None where apps must use Entra ID.
                "connectionStringSecret": secret_name(name) if name in generations else None,
                "eventTopic": topic_name(name) if name in topics else None,
                "emailDomains": email_outputs(emails[name]) if name in emails else None,
                "phoneNumbers": {k: p.phone_numbers for k, p in numbers[name].pools.items()}
                if name in numbers
                else None,
            }.items()
            if value is not None
        }
        for name, service in communication.services.items()
    },
)
