"""acs-platform: Azure Communication Services for one environment, from its stack configuration.

The whole configuration is validated before any resource is declared; then one component holds
what the stack's instances share, and one `AcsInstance` each instance with everything it needs."""

import pulumi

from components.acs_instance import AcsInstance, AcsInstanceArgs
from components.email import email_outputs
from components.shared import SharedInfrastructure, SharedInfrastructureArgs
from stackconfig import load_stack_config
from stackconfig.loader import stack_secret_keys
from stackconfig.secure import webhook_urls_are_secret
from stackconfig.tiers import TIERS

config = load_stack_config()
# Only webhook URLs may be secure config (anything else secure is a config error); they stay
# Pulumi secrets to the resource.
secret_webhook_urls = webhook_urls_are_secret(stack_secret_keys())
stack_tags = config.tags_for({})
keeps_dead_letters = any(s.dead_letter for i in config.instances if i.events for s in i.events.subscriptions)

shared = SharedInfrastructure(
    "shared",
    SharedInfrastructureArgs(
        location=config.location,
        tenant_id=config.tenant_id,
        resource_group=config.resource_group,
        monitoring=config.monitoring,
        key_vault=config.key_vault,
        **({"dead_letter_storage": config.dead_letter_storage} if keeps_dead_letters else {}),
        budget=config.budget,
        tags=stack_tags,
        email_services=config.email_services,
        adopt=config.adopt,
        lock=config.protection.lock,
        protect=config.protection.protect,
    ),
)

instances = {
    instance.name: AcsInstance(
        instance.name,
        AcsInstanceArgs(
            instance=instance,
            resource_group_name=shared.resource_group_name,
            log_analytics_workspace_id=shared.workspace_id,
            log_analytics_workspace_name=config.monitoring.workspace_name,
            key_vault_name=shared.key_vault_name,
            **(
                {
                    "dead_letter_account_id": shared.dead_letter_account_id,
                    "dead_letter_container_id": shared.dead_letter_container_id,
                }
                if keeps_dead_letters
                else {}
            ),
            key_rotation=config.key_rotation,
            tags=stack_tags,
            lock=config.protection.lock,
            protect=config.protection.protect,
            protect_phone_numbers=TIERS[config.tier].protect_phone_numbers,
            direct_routing_exclusive=TIERS[config.tier].direct_routing_exclusive,
            secret_webhook_urls=secret_webhook_urls,
            # Existing resources to import instead of creating (docs/adoption.md).
            adopt=config.adopt,
            linked_domain_ids=shared.linked_domain_ids(instance.linked_domains),
            linked_domain_senders=shared.linked_domain_senders(instance.linked_domains),
        ),
    )
    for instance in config.instances
}

pulumi.export("resourceGroupName", shared.resource_group_name)
pulumi.export("logAnalyticsWorkspaceId", shared.workspace_id)
pulumi.export("keyVaultName", shared.key_vault_name)
pulumi.export("keyVaultUri", shared.key_vault_uri)
pulumi.export(
    "instances",
    {
        name: {
            key: value
            for key, value in {
                "resourceId": acs.resource_id,
                "hostName": acs.host_name,
                "dataLocation": acs.data_location,
                "principalId": acs.principal_id,
                # Where the connection string is, never what it is; None where apps must use Entra ID.
                "connectionStringSecret": acs.connection_string_secret,
                "eventTopic": acs.event_topic,
                "emailDomains": email_outputs(acs.email) if acs.email else None,
                # The address to send from now: the verified and linked custom domain's, else the Azure-managed one's.
                "activeSender": acs.active_sender,
                "phoneNumbers": {key: pool.phone_numbers for key, pool in acs.numbers.pools.items()}
                if acs.numbers
                else None,
            }.items()
            if value is not None
        }
        for name, acs in instances.items()
    },
)
