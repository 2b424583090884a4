"""One Log Analytics workspace per stack, and every ACS resource's logs and metrics sent to it.

The workspace takes Entra ID only (no workspace keys). Diagnostic settings reach it over Microsoft's
own network, so they keep working with public ingestion disabled and no private link scope."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.operationalinsights as operationalinsights


@dataclass(frozen=True)
class MonitoringArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_name: str
    retention_in_days: int
    tags: Mapping[str, str]
    # What to collect from: a short key (used in names) to the resource id.
    targets: Mapping[str, pulumi.Input[str]]
    protect: bool  # Pulumi `protect` on the workspace: losing it loses the logs
    public_ingestion: str = "Disabled"  # Enabled | Disabled
    public_query: str = "Enabled"  # Disabled: queries only through an Azure Monitor Private Link Scope
    # A target whose metrics are not `AllMetrics`, by key: storage services name theirs `Transaction`.
    metric_categories: Mapping[str, str] = field(default_factory=dict)


class Monitoring(pulumi.ComponentResource):
    workspace: operationalinsights.Workspace
    diagnostic_settings: dict[str, monitor.DiagnosticSetting]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("acs-platform:components:Monitoring", name, None, opts)

        self.workspace = operationalinsights.Workspace(
            f"{name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.retention_in_days,
            # Entra ID only: no agent or API can send or read with the workspace's shared keys.
            features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
            public_network_access_for_ingestion=args.public_ingestion,
            public_network_access_for_query=args.public_query,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        # Azure Policy acbb9698 asks for ACS resource logs in Log Analytics: the `allLogs` group
        # covers every category, including ones added after this was written.
        self.diagnostic_settings = {
            key: monitor.DiagnosticSetting(
                f"{name}-{key}",
                name=f"send-to-{args.workspace_name}",
                resource_uri=resource_id,
                workspace_id=self.workspace.id,
                logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
                metrics=[
                    monitor.DiagnosticsMetricSettingsArgs(
                        category=args.metric_categories.get(key, "AllMetrics"), enabled=True
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, resource_id in args.targets.items()
        }

        self.register_outputs({"workspaceId": self.workspace.id})
