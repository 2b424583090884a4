"""acs-platform: Azure Communication Services for one environment, from its stack configuration."""

import pulumi

from components.access import Access, AccessArgs, RoleAssignmentArgs
from components.communication import AcsInstanceArgs, Communication, CommunicationArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.protection import Protection, ProtectionArgs
from stackconfig import load_stack_config
from stackconfig.roles import role_display_name

# The whole configuration is validated before any resource is declared.
config = load_stack_config()
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

monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        resource_group_name=communication.resource_group_name,
        location=config.location,
        workspace_name=config.monitoring.workspace_name,
        retention_in_days=config.monitoring.log_retention_days,
        tags=stack_tags,
        targets=service_ids,
        protect=config.protection.protect,
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
        principal_type=assignment.principal_type,
        role_definition_guid=assignment.role_definition_guid,
        description=assignment.description
        or f"{role_display_name(assignment.role)} on {instance.name}, granted by acs-platform",
    )
    for instance in config.instances
    for assignment in instance.role_assignments
]
if role_assignments:
    Access("access", AccessArgs(assignments=role_assignments))

pulumi.export("resourceGroupName", communication.resource_group_name)
pulumi.export("logAnalyticsWorkspaceId", monitoring.workspace.id)
pulumi.export(
    "instances",
    {
        name: {
            "resourceId": service.id,
            "hostName": service.host_name,
            "dataLocation": service.data_location,
            "principalId": service.identity.apply(lambda identity: identity.principal_id if identity else None),
        }
        for name, service in communication.services.items()
    },
)
