"""What the ACS instances of a stack share: the resource group, the Log Analytics workspace, the
Key Vault for connection strings and the dead-letter storage for events, each with its diagnostic
setting, the lock on the group, the vault's readers and the group's cost budget.

A component of the package (`acs-platform:index:SharedInfrastructure`): its args are typed
dictionaries whose sections mirror the stack configuration's, validated with the config's models.
"""

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_azure_native.resources as resources

from stackconfig.budget import BudgetConfig
from stackconfig.email_services import EmailServiceConfig, linked_domain_reference
from stackconfig.model import DeadLetterStorageConfig, MonitoringConfig, ResourceGroupConfig
from stackconfig.roles import KEY_VAULT_SECRETS_USER
from stackconfig.secrets import KeyVaultConfig

from . import name_after, validated
from .access import RoleAssignmentArgs, role_assignment
from .adoption import Adoption
from .budget import budget
from .budget import budget_name as cost_budget_name
from .dead_letters import dead_letter_storage
from .email import Email, EmailArgs
from .email_outputs import SenderCandidateSettings, sender_candidates
from .interface import with_own_tags
from .keyvault import KeyVault, KeyVaultArgs, PrivateEndpointArgs
from .monitoring import diagnostic_setting, workspace
from .protection import lock
from .settings import (
    BudgetSettings,
    DeadLetterStorageSettings,
    EmailServiceSettings,
    KeyVaultSettings,
    MonitoringSettings,
    ResourceGroupSettings,
)


class SharedInfrastructureArgs(TypedDict):
    location: str  # the Azure region of the group and everything regional in it; ACS itself is global
    tenant_id: str  # the Entra ID tenant of the Key Vault
    resource_group: ResourceGroupSettings
    monitoring: MonitoringSettings
    key_vault: KeyVaultSettings
    # Absent when no instance keeps dead letters: then no storage account is deployed.
    dead_letter_storage: NotRequired[DeadLetterStorageSettings]
    # The monthly cost budget on the resource group (docs/budget.md). Absent: no budget is deployed.
    budget: NotRequired[BudgetSettings]
    tags: dict[str, str]  # on every resource that takes tags
    # Email services of the stack's own (acs-platform:emailServices), whose domains instances link.
    email_services: NotRequired[list[EmailServiceSettings]]
    adopt: NotRequired[list[str]]  # Azure ids of existing resources to import (docs/adoption.md)
    lock: str  # "CanNotDelete" on the group (when it is the stack's own), or "None"
    protect: bool  # Pulumi `protect` on what holds data: the group, the workspace, the vault


class SharedInfrastructure(pulumi.ComponentResource):
    """The resources every ACS instance of a stack uses: one resource group, workspace, vault and
    dead-letter storage account."""

    resource_group_name: pulumi.Output[str]  # known at preview; waits for the group when it is the stack's
    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    key_vault_name: pulumi.Output[str]  # known at preview, and waits for the vault
    key_vault_id: pulumi.Output[str]
    key_vault_uri: pulumi.Output[str]
    dead_letter_account_id: pulumi.Output[str] | None  # None without dead-letter storage
    dead_letter_container_id: pulumi.Output[str] | None
    budget_name: pulumi.Output[str] | None  # known at preview, and waits for the budget; None without one
    # `<service>/<domain>` of each domain of the stack's email services -> its id once it can be linked
    # (Azure-managed: at once; custom: once verified), else null.
    linkable_email_domains: pulumi.Output[dict[str, str]]
    # `<service>/<domain>` -> the domain as an instance's active sender sees it (its first sender, its
    # fromSenderDomain, whether it is verified, its id).
    linkable_email_senders: pulumi.Output[dict[str, SenderCandidateSettings]]

    def __init__(self, name: str, args: SharedInfrastructureArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:index:SharedInfrastructure", name, None, opts)
        group = validated(ResourceGroupConfig, args["resource_group"], "resourceGroup", f"SharedInfrastructure {name}")
        monitoring = validated(MonitoringConfig, args["monitoring"], "monitoring", f"SharedInfrastructure {name}")
        vault_settings = validated(KeyVaultConfig, args["key_vault"], "keyVault", f"SharedInfrastructure {name}")
        dead_letter_settings = args.get("dead_letter_storage")
        location, tags, protect = args["location"], dict(args["tags"]), args["protect"]

        if group.existing:
            # The group is someone else's: used by name, neither created nor locked here.
            self.resource_group_name = pulumi.Output.from_input(group.name)
            group_id: pulumi.Output[str] | None = None  # known once the workspace in it is
        else:
            resource_group = resources.ResourceGroup(
                f"{name}-rg",
                resource_group_name=group.name,
                location=location,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
            # Everything placed in the group waits until the group exists.
            self.resource_group_name = name_after(resource_group, group.name)
            group_id = resource_group.id
            if args["lock"] != "None":
                lock(f"{name}-rg-lock", level=args["lock"], scope=resource_group.id, parent=self)

        logs = workspace(
            f"{name}-workspace",
            monitoring,
            resource_group_name=self.resource_group_name,
            location=location,
            tags=tags,
            protect=protect,
            parent=self,
        )
        self.workspace_id = logs.id
        self.workspace_name = pulumi.Output.from_input(monitoring.workspace_name)

        self.budget_name = None
        if args.get("budget") is not None:
            budget_config = validated(BudgetConfig, args["budget"], "budget", f"SharedInfrastructure {name}")
            cost_budget = budget(
                f"{name}-budget",
                # The group's id: the stack's own group's, or (an existing group, which the stack only names)
                # built from the subscription of the workspace the stack puts in it.
                scope=group_id if group_id is not None else logs.id.apply(lambda id: _group_id(id, group.name)),
                resource_group_name=group.name,
                config=budget_config,
                parent=self,
            )
            self.budget_name = name_after(cost_budget, cost_budget_name(group.name))

        vault = KeyVault(
            f"{name}-keyvault",
            KeyVaultArgs(
                name=vault_settings.name,
                resource_group_name=self.resource_group_name,
                location=location,
                tenant_id=args["tenant_id"],
                soft_delete_retention_days=vault_settings.soft_delete_retention_days,
                purge_protection=vault_settings.purge_protection,
                allowed_ip_ranges=vault_settings.allowed_ip_ranges,
                allowed_subnet_ids=vault_settings.allowed_subnet_ids,
                private_endpoint=PrivateEndpointArgs(
                    subnet_id=vault_settings.private_endpoint.subnet_id,
                    private_dns_zone_id=vault_settings.private_endpoint.private_dns_zone_id,
                )
                if vault_settings.private_endpoint
                else None,
                tags=tags,
                protect=protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_vault_name = vault.vault_name
        self.key_vault_id = vault.vault.id
        self.key_vault_uri = vault.vault.properties.vault_uri
        diagnostic_setting(
            f"{name}-keyvault-diagnostics",
            target_id=vault.vault.id,
            workspace_id=logs.id,
            workspace_name=monitoring.workspace_name,
            parent=self,
        )
        for user in vault_settings.secrets_users:
            role_assignment(
                f"{name}-keyvault-access",
                RoleAssignmentArgs(
                    scope_key=vault_settings.name,
                    scope_id=vault.vault.id,
                    principal_id=user.principal_id,
                    principal_key=user.principal_id,
                    principal_type=user.principal_type,
                    role_definition_guid=KEY_VAULT_SECRETS_USER,
                    description=f"Key Vault Secrets User on {vault_settings.name}, granted by acs-platform",
                ),
                parent=self,
            )

        self.dead_letter_account_id = self.dead_letter_container_id = None
        if dead_letter_settings is not None:
            dead_letters = dead_letter_storage(
                f"{name}-deadletters",
                validated(
                    DeadLetterStorageConfig, dead_letter_settings, "deadLetterStorage", f"SharedInfrastructure {name}"
                ),
                resource_group_name=self.resource_group_name,
                location=location,
                tags=tags,
                parent=self,
            )
            self.dead_letter_account_id = dead_letters.account.id
            self.dead_letter_container_id = dead_letters.container.id
            diagnostic_setting(
                f"{name}-deadletters-diagnostics",
                target_id=dead_letters.blob_service_id,
                workspace_id=logs.id,
                workspace_name=monitoring.workspace_name,
                parent=self,
                metric_category="Transaction",
            )

        # Email services of the stack's own, whose domains instances link by `<service>/<domain>`.
        adoption = Adoption(args.get("adopt", []))
        self.email_services: dict[str, Email] = {}
        senders: dict[str, pulumi.Output] = {}
        for settings in args.get("email_services", []):
            service = validated(EmailServiceConfig, settings, "emailServices", f"SharedInfrastructure {name}")
            email = self.email_services[service.name] = Email(
                f"{name}-email-{service.name}",
                EmailArgs(
                    email_service_name=service.name,
                    service_id=None,
                    service_name=None,
                    resource_group_name=self.resource_group_name,
                    data_location=service.data_location,
                    domains=service.domains,
                    smtp_usernames=[],
                    # The service's tags on it and its domains, on top of the stack's; the standard ones win.
                    tags=with_own_tags(tags, service.tags),
                    service_lock=service.lock,
                    service_role_assignments=service.role_assignments,
                    protect=protect,
                    adoption=adoption,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for domain, candidate in zip(service.domains, sender_candidates(email, service.domains), strict=True):
                senders[f"{service.name}/{domain.name}"] = candidate
        self.linkable_email_senders = pulumi.Output.from_input(senders)
        self.linkable_email_domains = pulumi.Output.from_input(
            {
                f"{service}/{domain}": domain_id
                for service, email in self.email_services.items()
                for domain, domain_id in email.linkable.items()
            }
        )

        self.register_outputs(
            {
                "resourceGroupName": self.resource_group_name,
                "workspaceId": self.workspace_id,
                "workspaceName": self.workspace_name,
                "keyVaultName": self.key_vault_name,
                "keyVaultId": self.key_vault_id,
                "keyVaultUri": self.key_vault_uri,
                "deadLetterAccountId": self.dead_letter_account_id,
                "deadLetterContainerId": self.dead_letter_container_id,
                "budgetName": self.budget_name,
                "linkableEmailDomains": self.linkable_email_domains,
                "linkableEmailSenders": self.linkable_email_senders,
            }
        )

    def linked_domain_ids(self, linked_domains: Sequence[str]) -> list[pulumi.Output[str | None]]:
        """The ids an instance's `linkedDomains` stand for: a domain of the stack's email services
        (`<service>/<domain>`) once it can be linked, or a domain's id as given."""
        found = []
        for linked in linked_domains:
            reference = linked_domain_reference(linked)
            found.append(
                pulumi.Output.from_input(linked)
                if reference is None
                else self.email_services[reference[0]].linkable[reference[1]]
            )
        return found

    def linked_domain_senders(self, linked_domains: Sequence[str]) -> list[pulumi.Output[SenderCandidateSettings]]:
        """The domains of the stack's email services among an instance's `linkedDomains`, in order, as its
        active sender sees them."""
        references = [r for r in map(linked_domain_reference, linked_domains) if r is not None]
        return [
            self.linkable_email_senders.apply(lambda s, key=f"{svc}/{domain}": s[key]) for svc, domain in references
        ]


def _group_id(resource_id: str, group_name: str) -> str:
    """The id of resource group `group_name` in the subscription of `resource_id`."""
    return f"/subscriptions/{resource_id.split('/')[2]}/resourceGroups/{group_name}"
