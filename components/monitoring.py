"""One Log Analytics workspace per stack, and the diagnostic setting that sends a resource's logs
and metrics to it.

The workspace takes Entra ID only (no workspace keys). Diagnostic settings reach it over Microsoft's
own network, so they keep working with public ingestion disabled and no private link scope."""

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.operationalinsights as operationalinsights

from stackconfig.diagnostics import DiagnosticSettingConfig, setting_names
from stackconfig.model import MonitoringConfig


@dataclass(frozen=True)
class Destinations:
    """What a diagnostic setting sends beyond the default: None keeps the default (its name
    send-to-<workspace>, the stack's workspace, allLogs, the metric category), and an input left
    None is not sent at all."""

    setting_name: str | None = None
    workspace_id: str | None = None  # another Log Analytics workspace than the stack's
    log_analytics_destination_type: str | None = None  # Dedicated or AzureDiagnostics
    storage_account_id: str | None = None
    event_hub_authorization_rule_id: str | None = None
    event_hub_name: str | None = None
    marketplace_partner_id: str | None = None
    logs: list[monitor.DiagnosticsLogSettingsArgs] | None = None
    metrics: list[monitor.DiagnosticsMetricSettingsArgs] | None = None


def workspace(
    name: str,
    settings: MonitoringConfig,
    *,
    resource_group_name: pulumi.Input[str],
    location: str,
    tags: dict[str, str],
    protect: bool,  # Pulumi `protect` on the workspace: losing it loses the logs
    parent: pulumi.Resource,
) -> operationalinsights.Workspace:
    return operationalinsights.Workspace(
        name,
        workspace_name=settings.workspace_name,
        resource_group_name=resource_group_name,
        location=location,
        sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
        retention_in_days=settings.log_retention_days,
        # Entra ID only: no agent or API can send or read with the workspace's shared keys.
        features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
        public_network_access_for_ingestion=settings.public_ingestion,
        # Disabled: queries only through an Azure Monitor Private Link Scope.
        public_network_access_for_query=settings.public_query,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def diagnostic_setting(
    name: str,
    *,
    target_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    workspace_name: pulumi.Input[str],
    parent: pulumi.Resource,
    metric_category: str = "AllMetrics",  # storage services name theirs `Transaction`
    destinations: Destinations | None = None,  # a configured setting's name, destinations and categories
) -> monitor.DiagnosticSetting:
    """Every log of `target_id` and its metrics, to the stack's workspace. Azure Policy acbb9698 asks
    for ACS resource logs in Log Analytics: the `allLogs` group covers every category, including
    ones added after this was written. `destinations` (an ACS instance's `diagnosticSettings`) names
    the setting and adds what it sends where; what it leaves out stays as above."""
    more = destinations or Destinations()
    return monitor.DiagnosticSetting(
        name,
        name=default_setting_name(workspace_name) if more.setting_name is None else more.setting_name,
        resource_uri=target_id,
        workspace_id=more.workspace_id or workspace_id,
        log_analytics_destination_type=more.log_analytics_destination_type,
        storage_account_id=more.storage_account_id,
        event_hub_authorization_rule_id=more.event_hub_authorization_rule_id,
        event_hub_name=more.event_hub_name,
        marketplace_partner_id=more.marketplace_partner_id,
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)]
        if more.logs is None
        else more.logs,
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category=metric_category, enabled=True)]
        if more.metrics is None
        else more.metrics,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def default_setting_name(workspace_name: pulumi.Input[str]) -> pulumi.Input[str]:
    """`send-to-<workspace>`: a name known as plain text costs no output; a component input may be an output."""
    if isinstance(workspace_name, str):
        return f"send-to-{workspace_name}"
    return pulumi.Output.concat("send-to-", workspace_name)


def configured_destinations(setting: DiagnosticSettingConfig, setting_name: str) -> Destinations:
    """What one entry of an instance's `diagnosticSettings` sends, and where, as the setting's inputs."""
    return Destinations(
        setting_name=setting_name,
        workspace_id=setting.workspace_resource_id,
        log_analytics_destination_type=setting.log_analytics_destination_type,
        storage_account_id=setting.storage_account_resource_id,
        event_hub_authorization_rule_id=setting.event_hub_authorization_rule_resource_id,
        event_hub_name=setting.event_hub_name,
        marketplace_partner_id=setting.marketplace_partner_resource_id,
        logs=None
        if setting.log_categories_and_groups is None
        else [
            monitor.DiagnosticsLogSettingsArgs(category=e.category, category_group=e.category_group, enabled=e.enabled)
            for e in setting.log_categories_and_groups
        ],
        metrics=None
        if setting.metric_categories is None
        else [
            monitor.DiagnosticsMetricSettingsArgs(category=m.category, enabled=m.enabled)
            for m in setting.metric_categories
        ],
    )


def instance_diagnostic_settings(
    name: str,
    *,
    instance_name: str,
    settings: list[DiagnosticSettingConfig] | None,
    target_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    workspace_name: pulumi.Input[str],
    parent: pulumi.Resource,
) -> list[monitor.DiagnosticSetting]:
    """An ACS resource's diagnostic settings: without `settings`, the one it always had (`<name>`,
    send-to-<workspace>); otherwise one per entry, each to a Log Analytics workspace, the stack's
    unless the entry names another. An entry named send-to-<workspace> keeps the resource name of the
    default setting, so listing the setting there already is changes nothing; the others are
    `<name>-<setting name>`."""
    if settings is None:
        return [
            diagnostic_setting(
                name, target_id=target_id, workspace_id=workspace_id, workspace_name=workspace_name, parent=parent
            )
        ]
    default = default_setting_name(workspace_name)  # an output (from another language) matches no name
    return [
        diagnostic_setting(
            name if setting_name == default else f"{name}-{setting_name}",
            target_id=target_id,
            workspace_id=workspace_id,
            workspace_name=workspace_name,
            parent=parent,
            destinations=configured_destinations(setting, setting_name),
        )
        for setting, setting_name in zip(settings, setting_names(instance_name, settings), strict=True)
    ]
