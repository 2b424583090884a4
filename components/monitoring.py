"""One Log Analytics workspace per stack, and the diagnostic setting that sends a resource's logs
and metrics to it.

The workspace takes Entra ID only (no workspace keys). Diagnostic settings reach it over Microsoft's
own network, so they keep working with public ingestion disabled and no private link scope."""

import pulumi
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.operationalinsights as operationalinsights

from stackconfig.model import MonitoringConfig


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
) -> monitor.DiagnosticSetting:
    """Every log of `target_id` and its metrics, to the stack's workspace. Azure Policy acbb9698 asks
    for ACS resource logs in Log Analytics: the `allLogs` group covers every category, including
    ones added after this was written."""
    return monitor.DiagnosticSetting(
        name,
        # A name known as plain text costs no output; a component input may be an output.
        name=f"send-to-{workspace_name}"
        if isinstance(workspace_name, str)
        else pulumi.Output.concat("send-to-", workspace_name),
        resource_uri=target_id,
        workspace_id=workspace_id,
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category=metric_category, enabled=True)],
        opts=pulumi.ResourceOptions(parent=parent),
    )
