"""The settings the two components take, as typed dictionaries: the schema of the component package.

Each mirrors a model of the stack configuration (`stackconfig`) field by field, with the same keys
(camelCase in the package schema and in stack files alike), so a program in any Pulumi language
gives an `AcsInstance` what one entry of `acs-platform:instances` holds. The components validate
what they are given with those models, so the rules and messages are the config's own;
`tests/test_component_package.py` fails when a mirror and its model part ways.
"""

from typing import Any, NotRequired, TypedDict


class ManagedIdentitiesSettings(TypedDict):
    """Mirrors `stackconfig.model.ManagedIdentitiesConfig`."""

    system_assigned: NotRequired[bool]
    user_assigned_resource_ids: NotRequired[list[str]]


class RoleAssignmentSettings(TypedDict):
    """Mirrors `stackconfig.interface.RoleAssignmentConfig`."""

    principal_id: str
    principal_type: str
    role: str
    description: NotRequired[str]
    name: NotRequired[str]  # a GUID: the assignment's name in Azure; derived from scope, principal and role
    condition: NotRequired[str]
    condition_version: NotRequired[str]  # "2.0", with a condition only
    delegated_managed_identity_resource_id: NotRequired[str]


class LockSettings(TypedDict):
    """Mirrors `stackconfig.interface.LockConfig`."""

    kind: str  # CanNotDelete or None (ReadOnly is refused)
    name: NotRequired[str]
    notes: NotRequired[str]


class WebhookDestinationSettings(TypedDict):
    """Mirrors `stackconfig.events.WebhookDestination`."""

    url: str
    entra_tenant_id: NotRequired[str]
    entra_application_id_or_uri: NotRequired[str]


class ResourceDestinationSettings(TypedDict):
    """Mirrors `stackconfig.events.ResourceDestination`."""

    resource_id: str


class StorageQueueDestinationSettings(TypedDict):
    """Mirrors `stackconfig.events.StorageQueueDestination`."""

    storage_account_id: str
    queue_name: str


class DestinationSettings(TypedDict):
    """Mirrors `stackconfig.events.DestinationConfig`."""

    webhook: NotRequired[WebhookDestinationSettings]
    azure_function: NotRequired[ResourceDestinationSettings]
    service_bus_queue: NotRequired[ResourceDestinationSettings]
    service_bus_topic: NotRequired[ResourceDestinationSettings]
    storage_queue: NotRequired[StorageQueueDestinationSettings]
    event_hub: NotRequired[ResourceDestinationSettings]


class AdvancedFilterSettings(TypedDict):
    """Mirrors `stackconfig.events.AdvancedFilterConfig`."""

    operator_type: str
    key: str
    values: NotRequired[Any]
    value: NotRequired[Any]


class SubscriptionSettings(TypedDict):
    """Mirrors `stackconfig.events.SubscriptionConfig`."""

    name: str
    event_types: list[str]
    destination: DestinationSettings
    subject_begins_with: NotRequired[str]
    subject_ends_with: NotRequired[str]
    advanced_filters: NotRequired[list[AdvancedFilterSettings]]
    delivery_schema: NotRequired[str]
    max_delivery_attempts: NotRequired[int]
    event_time_to_live_minutes: NotRequired[int]
    dead_letter: NotRequired[bool]
    expires_on: NotRequired[str]


class EventsSettings(TypedDict):
    """Mirrors `stackconfig.events.EventsConfig`."""

    topic_name: NotRequired[str]
    subscriptions: list[SubscriptionSettings]


class DnsZoneSettings(TypedDict):
    """Mirrors `stackconfig.email.DnsZoneConfig`."""

    name: str
    resource_group: str
    subscription_id: NotRequired[str]


class SenderSettings(TypedDict):
    """Mirrors `stackconfig.email.SenderConfig`."""

    username: str
    display_name: NotRequired[str]
    resource_name: NotRequired[str]


class SuppressedAddressSettings(TypedDict):
    """Mirrors `stackconfig.email.SuppressedAddressConfig`."""

    email: str
    address_id: NotRequired[str]
    first_name: NotRequired[str]
    last_name: NotRequired[str]
    notes: NotRequired[str]


class SuppressionListSettings(TypedDict):
    """Mirrors `stackconfig.email.SuppressionListConfig`."""

    name: str
    list_name: NotRequired[str]
    addresses: NotRequired[list[SuppressedAddressSettings]]


class DomainSettings(TypedDict):
    """Mirrors `stackconfig.email.DomainConfig`."""

    name: str
    # AzureManaged (AzureManagedDomain only), CustomerManaged or CustomerManagedInExchangeOnline; derived by default.
    domain_management: NotRequired[str]
    dns_zone: NotRequired[DnsZoneSettings]
    apex_txt_records: NotRequired[list[str]]
    dmarc: NotRequired[str]
    verification_timeout_minutes: NotRequired[int]
    senders: NotRequired[list[SenderSettings]]
    engagement_tracking: NotRequired[bool]
    suppression_lists: NotRequired[list[SuppressionListSettings]]
    lock: NotRequired[LockSettings]
    role_assignments: NotRequired[list[RoleAssignmentSettings]]
    tags: NotRequired[dict[str, str]]


class SmtpUsernameSettings(TypedDict):
    """Mirrors `stackconfig.email.SmtpUsernameConfig`."""

    username: str
    entra_application_id: str
    tenant_id: str


class EmailSettings(TypedDict):
    """Mirrors `stackconfig.email.EmailConfig`."""

    service_name: NotRequired[str]
    domains: list[DomainSettings]
    smtp_usernames: NotRequired[list[SmtpUsernameSettings]]
    exclusive_linked_domains: NotRequired[bool]
    lock: NotRequired[LockSettings]
    role_assignments: NotRequired[list[RoleAssignmentSettings]]
    tags: NotRequired[dict[str, str]]


class EmailServiceSettings(TypedDict):
    """Mirrors `stackconfig.email_services.EmailServiceConfig`."""

    name: str
    data_location: str
    domains: NotRequired[list[DomainSettings]]
    tags: NotRequired[dict[str, str]]
    lock: NotRequired[LockSettings]
    role_assignments: NotRequired[list[RoleAssignmentSettings]]


class PoolSettings(TypedDict):
    """Mirrors `stackconfig.phone_numbers.PoolConfig`."""

    name: str
    country_code: str
    number_type: str
    assignment_type: NotRequired[str]
    sms: NotRequired[str]
    calling: NotRequired[str]
    area_code: NotRequired[str]
    locality: NotRequired[str]
    quantity: int
    agree_to_not_resell: NotRequired[bool]
    protect: NotRequired[bool]
    allow_replacement: NotRequired[bool]
    adopt_numbers: NotRequired[list[str]]


class PhoneNumbersSettings(TypedDict):
    """Mirrors `stackconfig.phone_numbers.PhoneNumbersConfig`."""

    pools: list[PoolSettings]


class SipTrunkSettings(TypedDict):
    """Mirrors `stackconfig.direct_routing.SipTrunkConfig`."""

    fqdn: str
    port: int


class VoiceRouteSettings(TypedDict):
    """Mirrors `stackconfig.direct_routing.VoiceRouteConfig`."""

    name: str
    description: NotRequired[str]
    number_pattern: str
    trunks: list[str]


class DirectRoutingSettings(TypedDict):
    """Mirrors `stackconfig.direct_routing.DirectRoutingConfig`."""

    trunks: list[SipTrunkSettings]
    routes: NotRequired[list[VoiceRouteSettings]]
    exclusive: NotRequired[bool]


class SmsUsageSettings(TypedDict):
    """Mirrors `stackconfig.usage.SmsUsageConfig`."""

    country: str
    number_type: str
    direction: str
    segments: int


class EmailUsageSettings(TypedDict):
    """Mirrors `stackconfig.usage.EmailUsageConfig`."""

    messages: int
    average_size_kb: int


class PstnUsageSettings(TypedDict):
    """Mirrors `stackconfig.usage.PstnUsageConfig`."""

    country: str
    number_type: str
    direction: str
    minutes: int


class UsageSettings(TypedDict):
    """Mirrors `stackconfig.usage.UsageConfig`."""

    sms: NotRequired[list[SmsUsageSettings]]
    email: NotRequired[EmailUsageSettings]
    pstn_minutes: NotRequired[list[PstnUsageSettings]]


class LogCategorySettings(TypedDict):
    """Mirrors `stackconfig.diagnostics.LogCategoryConfig`."""

    category: NotRequired[str]
    category_group: NotRequired[str]
    enabled: NotRequired[bool]


class MetricCategorySettings(TypedDict):
    """Mirrors `stackconfig.diagnostics.MetricCategoryConfig`."""

    category: str
    enabled: NotRequired[bool]


class DiagnosticSettingSettings(TypedDict):
    """Mirrors `stackconfig.diagnostics.DiagnosticSettingConfig`."""

    name: NotRequired[str]
    workspace_resource_id: NotRequired[str]
    log_analytics_destination_type: NotRequired[str]
    storage_account_resource_id: NotRequired[str]
    event_hub_authorization_rule_resource_id: NotRequired[str]
    event_hub_name: NotRequired[str]
    marketplace_partner_resource_id: NotRequired[str]
    log_categories_and_groups: NotRequired[list[LogCategorySettings]]
    metric_categories: NotRequired[list[MetricCategorySettings]]


class InstanceSettings(TypedDict):
    """Mirrors `stackconfig.model.InstanceConfig`."""

    name: str
    data_location: str
    disable_local_auth: NotRequired[bool]
    public_network_access: NotRequired[str]
    managed_identities: NotRequired[ManagedIdentitiesSettings]
    role_assignments: NotRequired[list[RoleAssignmentSettings]]
    lock: NotRequired[LockSettings]
    tags: NotRequired[dict[str, str]]
    events: NotRequired[EventsSettings]
    email: NotRequired[EmailSettings]
    linked_domains: NotRequired[list[str]]
    phone_numbers: NotRequired[PhoneNumbersSettings]
    direct_routing: NotRequired[DirectRoutingSettings]
    expected_monthly_usage: NotRequired[UsageSettings]
    diagnostic_settings: NotRequired[list[DiagnosticSettingSettings]]


class ResourceGroupSettings(TypedDict):
    """Mirrors `stackconfig.model.ResourceGroupConfig`."""

    name: str
    existing: NotRequired[bool]


class MonitoringSettings(TypedDict):
    """Mirrors `stackconfig.model.MonitoringConfig`."""

    workspace_name: str
    log_retention_days: int
    public_ingestion: str
    public_query: str


class PrivateEndpointSettings(TypedDict):
    """Mirrors `stackconfig.secrets.PrivateEndpointConfig`."""

    subnet_id: str
    private_dns_zone_id: str


class PrincipalSettings(TypedDict):
    """Mirrors `stackconfig.secrets.PrincipalConfig`."""

    principal_id: str
    principal_type: str


class KeyVaultSettings(TypedDict):
    """Mirrors `stackconfig.secrets.KeyVaultConfig`."""

    name: str
    soft_delete_retention_days: NotRequired[int]
    purge_protection: bool
    allowed_ip_ranges: NotRequired[list[str]]
    allowed_subnet_ids: NotRequired[list[str]]
    private_endpoint: NotRequired[PrivateEndpointSettings]
    secrets_users: NotRequired[list[PrincipalSettings]]


class DeadLetterStorageSettings(TypedDict):
    """Mirrors `stackconfig.model.DeadLetterStorageConfig`."""

    account_name: str
    redundancy: str
    blob_soft_delete_days: int
    container_soft_delete_days: int


class BudgetThresholdSettings(TypedDict):
    """Mirrors `stackconfig.budget.ThresholdConfig`."""

    percent: float
    kind: NotRequired[str]


class BudgetSettings(TypedDict):
    """Mirrors `stackconfig.budget.BudgetConfig`."""

    amount: float
    thresholds: NotRequired[list[BudgetThresholdSettings]]
    contact_emails: NotRequired[list[str]]  # none: the stack's owner
    contact_roles: NotRequired[list[str]]
    start_date: NotRequired[str]


class KeyRotationSettings(TypedDict):
    """Mirrors `stackconfig.secrets.KeyRotationConfig`."""

    start_date: NotRequired[str]
    period_days: NotRequired[int]
    extra_rotations: NotRequired[dict[str, int]]
