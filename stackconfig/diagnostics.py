"""Diagnostic settings of an ACS resource, as a list, with the keys of Azure Verified Modules
(`avm/res/communication/communication-service`, parameter `diagnosticSettings`).

Without the list, an instance gets the one setting it always had: `send-to-<workspace>`, every log
(`allLogs`) and `AllMetrics`, to the stack's workspace. With it, the instance gets exactly the
settings listed, and each one sends to a Log Analytics workspace, the baseline (Azure Policy
acbb9698): the stack's unless `workspaceResourceId` names another. Storage, an event hub and a
marketplace partner are destinations added to it, never instead of it.

Azure's rules checked here: at most 5 settings per resource, and at most one destination of each
kind per setting (Microsoft Learn, "Diagnostic settings in Azure Monitor"); names of 1 to 260
characters without `< > * % & : \\ ? + /` (the portal's rule, as azurerm checks it:
hashicorp/terraform-provider-azurerm#10014), nor `#` (Azure's naming rules: it breaks ARM's URLs),
unique per resource whatever their case.
"""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, ValidationInfo, model_validator

from .fields import Bool, ConfigModel, NonEmpty, matching, unique_by

SETTINGS_MAX = 5  # diagnostic settings per resource (Microsoft Learn, "Diagnostic settings in Azure Monitor")
NAME_MAX = 260
NAME_FORBIDDEN = re.compile(r"[<>*%&:\\?+/#]")
NAME_RULE = f"1 to {NAME_MAX} characters without < > * % & : \\ ? + / #"
DEFAULT_NAME_SUFFIX = "-diagnosticSettings"  # AVM's default: <resource name>-diagnosticSettings
CATEGORY_GROUPS = ("allLogs", "audit")  # the groups ACS resources have

_ID_HEAD = r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+/providers/"
WORKSPACE_ID = re.compile(
    _ID_HEAD + r"Microsoft\.OperationalInsights/workspaces/[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$",
    re.IGNORECASE | re.ASCII,
)
WORKSPACE_ID_RULE = (
    "a Log Analytics workspace's resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/"
    "Microsoft.OperationalInsights/workspaces/<workspace>"
)
STORAGE_ACCOUNT_ID = re.compile(
    _ID_HEAD + r"Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}$", re.IGNORECASE | re.ASCII
)
STORAGE_ACCOUNT_ID_RULE = (
    "a storage account's resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/"
    "Microsoft.Storage/storageAccounts/<account>"
)
# Diagnostic settings take an authorization rule of the Event Hubs namespace (Send, Listen, Manage).
EVENT_HUB_RULE_ID = re.compile(
    _ID_HEAD + r"Microsoft\.EventHub/namespaces/[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]"
    r"/authorizationRules/[-\w.]{1,256}$",
    re.IGNORECASE | re.ASCII,
)
EVENT_HUB_RULE_ID_RULE = (
    "an Event Hubs namespace authorization rule's resource id: /subscriptions/<guid>/resourceGroups/<group>/"
    "providers/Microsoft.EventHub/namespaces/<namespace>/authorizationRules/<rule>"
)
EVENT_HUB_NAME = re.compile(r"^[A-Za-z0-9](?:[-\w.]{0,254}[A-Za-z0-9])?$", re.ASCII)
EVENT_HUB_NAME_RULE = "1 to 256 letters, digits, '.', '-' or '_', starting and ending with a letter or digit"
# Partner solutions (Datadog, Elastic, Logz.io, Dynatrace, New Relic...) are each a `monitors` resource.
PARTNER_ID = re.compile(_ID_HEAD + r"[\w.]+/monitors/[^/]+$", re.IGNORECASE | re.ASCII)
PARTNER_ID_RULE = (
    "a partner solution's monitor resource id: /subscriptions/<guid>/resourceGroups/<group>/providers/"
    "<partner namespace>/monitors/<name>, such as Microsoft.Datadog/monitors/<name>"
)


def _setting_name(value: str) -> str:
    if not 1 <= len(value) <= NAME_MAX or NAME_FORBIDDEN.search(value) or value != value.strip():
        raise ValueError(f"must be {NAME_RULE}, without leading or trailing blanks")
    return value


SettingName = Annotated[str, AfterValidator(_setting_name)]


class LogCategoryConfig(ConfigModel):
    """One entry of `logCategoriesAndGroups`: a log category or a category group, not both."""

    category: NonEmpty | None = None  # such as SMSOperational, EmailSendMailOperational
    category_group: Literal[CATEGORY_GROUPS] | None = None  # type: ignore[valid-type]
    enabled: Bool = True

    @model_validator(mode="after")
    def _exactly_one(self) -> "LogCategoryConfig":
        if (self.category is None) == (self.category_group is None):
            given = "both" if self.category is not None else "neither"
            raise ValueError(
                f"has {given} of category and categoryGroup; an entry names exactly one: "
                "{category: SMSOperational} or {categoryGroup: allLogs}"
            )
        return self

    @property
    def key(self) -> str:
        return f"category {self.category}" if self.category else f"categoryGroup {self.category_group}"


class MetricCategoryConfig(ConfigModel):
    category: NonEmpty  # AllMetrics for ACS
    enabled: Bool = True


class DiagnosticSettingConfig(ConfigModel):
    """One diagnostic setting of the ACS resource: to a Log Analytics workspace, and optionally to a
    storage account, an event hub and a partner solution too."""

    name: SettingName | None = None  # default <instance name>-diagnosticSettings, for one setting
    workspace_resource_id: Annotated[str, matching(WORKSPACE_ID, WORKSPACE_ID_RULE)] | None = None
    log_analytics_destination_type: Literal["Dedicated", "AzureDiagnostics"] | None = None
    storage_account_resource_id: Annotated[str, matching(STORAGE_ACCOUNT_ID, STORAGE_ACCOUNT_ID_RULE)] | None = None
    event_hub_authorization_rule_resource_id: (
        Annotated[str, matching(EVENT_HUB_RULE_ID, EVENT_HUB_RULE_ID_RULE)] | None
    ) = None
    event_hub_name: Annotated[str, matching(EVENT_HUB_NAME, EVENT_HUB_NAME_RULE)] | None = None
    marketplace_partner_resource_id: Annotated[str, matching(PARTNER_ID, PARTNER_ID_RULE)] | None = None
    # Absent: every log (allLogs), and AllMetrics. An empty list: no logs, or no metrics.
    log_categories_and_groups: Annotated[list[LogCategoryConfig], unique_by("the entry", lambda e: e.key)] | None = None
    metric_categories: Annotated[list[MetricCategoryConfig], unique_by("the category", lambda m: m.category)] | None = (
        None
    )

    @model_validator(mode="after")
    def _consistent(self) -> "DiagnosticSettingConfig":
        if self.event_hub_name is not None and self.event_hub_authorization_rule_resource_id is None:
            raise ValueError(
                "eventHubName needs eventHubAuthorizationRuleResourceId (the namespace's authorization rule "
                "the setting sends with); give both, or the rule alone for a hub Azure creates per category"
            )
        if self.log_categories_and_groups == [] and self.metric_categories == []:
            raise ValueError(
                "sends nothing: logCategoriesAndGroups and metricCategories are both empty; leave one out "
                "(every log, or AllMetrics) or list what to send"
            )
        return self


def default_name(instance_name: str) -> str:
    return f"{instance_name}{DEFAULT_NAME_SUFFIX}"


def setting_names(instance_name: str, settings: list[DiagnosticSettingConfig]) -> list[str]:
    """Each setting's name in Azure: its own, or AVM's default for the one without a name."""
    return [s.name if s.name is not None else default_name(instance_name) for s in settings]


def _settings_fit_one_resource(
    settings: list[DiagnosticSettingConfig], info: ValidationInfo
) -> list[DiagnosticSettingConfig]:
    # `[]` is no setting at all, as in AVM: the policy pack's acs-diagnostic-logs says what that misses.
    if len(settings) > SETTINGS_MAX:
        raise ValueError(f"has {len(settings)} settings; Azure allows at most {SETTINGS_MAX} per resource")
    unnamed = [index for index, s in enumerate(settings) if s.name is None]
    instance = info.data.get("name")
    if len(unnamed) > 1:
        default = default_name(instance) if instance else "<instance name>" + DEFAULT_NAME_SUFFIX
        raise ValueError(
            f"settings [{unnamed[0]}] and [{unnamed[1]}] have no name, and both would take the default {default!r}; "
            "give each setting but one a name"
        )
    if instance is None:
        return settings  # the instance's name has its own error; names are compared once it is valid
    seen: dict[str, int] = {}
    for index, name in enumerate(setting_names(instance, settings)):
        other = seen.setdefault(name.lower(), index)
        if other != index:
            defaulted = None in (settings[other].name, settings[index].name)
            why = " (the default name of the setting without one)" if defaulted else ""
            raise ValueError(
                f"settings [{other}] and [{index}] are both named {name!r}{why}; names are unique per resource, "
                "whatever their case"
            )
    return settings


DiagnosticSettings = Annotated[list[DiagnosticSettingConfig], AfterValidator(_settings_fit_one_resource)]
