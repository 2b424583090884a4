"""An instance's `diagnosticSettings`, with AVM's keys: the configuration's rules, the settings the
plan declares for them, and the default that stays exactly as it was."""

import pytest

from stackconfig.diagnostics import setting_names
from tests.stacks import ACS, DIAGNOSTIC_SETTING, minimal_config, plan_config, sources
from tests.test_config import only_problem, validate

SUB = "6f1c2a52-4f0e-4b8e-9d0a-5d3f2c1b7a10"
HEAD = f"/subscriptions/{SUB}/resourceGroups/rg-observability/providers"
WORKSPACE = f"{HEAD}/Microsoft.OperationalInsights/workspaces/log-central"
STORAGE = f"{HEAD}/Microsoft.Storage/storageAccounts/stacsarchive"
RULE = f"{HEAD}/Microsoft.EventHub/namespaces/evhns-logs/authorizationRules/RootManageSharedAccessKey"
PARTNER = f"{HEAD}/Microsoft.Datadog/monitors/dd-acs"
KEY = "acs-platform:instances[0].diagnosticSettings"

MAX_LIKE = {
    "name": "everywhere",
    "workspaceResourceId": WORKSPACE,
    "logAnalyticsDestinationType": "Dedicated",
    "storageAccountResourceId": STORAGE,
    "eventHubAuthorizationRuleResourceId": RULE,
    "eventHubName": "acs-logs",
    "marketplacePartnerResourceId": PARTNER,
    "logCategoriesAndGroups": [{"categoryGroup": "audit"}, {"category": "SMSOperational", "enabled": False}],
    "metricCategories": [{"category": "AllMetrics"}],
}


def settings_of(*settings):
    return validate(minimal_config(diagnosticSettings=list(settings))).instances[0].diagnostic_settings


def problem(*settings) -> str:
    return only_problem(minimal_config(diagnosticSettings=list(settings)))


# --- the configuration ------------------------------------------------------------------------


def test_absent_is_none_and_the_default_applies():
    assert validate(minimal_config()).instances[0].diagnostic_settings is None


def test_every_avm_key_is_taken():
    [setting] = settings_of(MAX_LIKE)
    assert setting.workspace_resource_id == WORKSPACE
    assert setting.event_hub_name == "acs-logs"
    assert [e.key for e in setting.log_categories_and_groups] == ["categoryGroup audit", "category SMSOperational"]
    assert setting.log_categories_and_groups[1].enabled is False


def test_an_unnamed_setting_takes_avms_default_name():
    settings = settings_of({}, {"name": "archive", "storageAccountResourceId": STORAGE})
    assert setting_names("acs-test-eu", settings) == ["acs-test-eu-diagnosticSettings", "archive"]


@pytest.mark.parametrize(
    "setting",
    [
        {"logCategoriesAndGroups": []},  # no logs, as AVM allows
        {"metricCategories": []},  # no metrics
        {"eventHubAuthorizationRuleResourceId": RULE},  # the rule alone: a hub per category
        {"logAnalyticsDestinationType": "AzureDiagnostics"},
        {"name": "send (to) central [EU]"},
    ],
)
def test_allowed_shapes(setting):
    assert settings_of(setting)


@pytest.mark.parametrize(
    ("settings", "key", "words"),
    [
        ([{"workspaceResourceId": STORAGE}], "[0].workspaceResourceId", "Microsoft.OperationalInsights/workspaces"),
        (
            [{"storageAccountResourceId": WORKSPACE}],
            "[0].storageAccountResourceId",
            "Microsoft.Storage/storageAccounts",
        ),
        (
            [{"eventHubAuthorizationRuleResourceId": f"{HEAD}/Microsoft.EventHub/namespaces/evhns-logs"}],
            "[0].eventHubAuthorizationRuleResourceId",
            "authorizationRules/<rule>",
        ),
        ([{"marketplacePartnerResourceId": STORAGE}], "[0].marketplacePartnerResourceId", "/monitors/<name>"),
        ([{"logAnalyticsDestinationType": "dedicated"}], "[0].logAnalyticsDestinationType", "'Dedicated'"),
        ([{"eventHubName": "acs-logs"}], "[0]", "eventHubName needs eventHubAuthorizationRuleResourceId"),
        (
            [{"eventHubAuthorizationRuleResourceId": RULE, "eventHubName": "-bad"}],
            "[0].eventHubName",
            "1 to 256 letters",
        ),
        ([{"name": "a/b"}], "[0].name", "without < > * % & : \\ ? + / #"),
        ([{"name": "x" * 261}], "[0].name", "1 to 260 characters"),
        (
            [{"logCategoriesAndGroups": [{"category": "SMSOperational", "categoryGroup": "allLogs"}]}],
            "[0].logCategoriesAndGroups[0]",
            "has both of category and categoryGroup",
        ),
        (
            [{"logCategoriesAndGroups": [{"enabled": True}]}],
            "[0].logCategoriesAndGroups[0]",
            "has neither of category and categoryGroup",
        ),
        (
            [{"logCategoriesAndGroups": [{"categoryGroup": "everything"}]}],
            "[0].logCategoriesAndGroups[0].categoryGroup",
            "'allLogs' or 'audit'",
        ),
        (
            [{"logCategoriesAndGroups": [{"category": "Usage"}, {"category": "Usage"}]}],
            "[0].logCategoriesAndGroups",
            "more than once",
        ),
        ([{"logCategoriesAndGroups": [], "metricCategories": []}], "[0]", "sends nothing"),
        (
            [{}, {}],
            "",
            "settings [0] and [1] have no name, and both would take the default 'acs-test-eu-diagnosticSettings'; "
            "give each setting but one a name",
        ),
        ([{"name": "Central"}, {"name": "central"}], "", "settings [0] and [1] are both named 'central'"),
        ([{}, {"name": "acs-test-eu-diagnosticsettings"}], "", "(the default name of the setting without one)"),
        ([{"name": str(n)} for n in range(6)], "", "has 6 settings; Azure allows at most 5 per resource"),
    ],
)
def test_refused_shapes_name_their_key_and_what_is_allowed(settings, key, words):
    message = problem(*settings)
    assert message.startswith(f"{KEY}{key}: "), message
    assert words in message


def test_five_settings_are_allowed():
    assert len(settings_of(*[{"name": str(n)} for n in range(5)])) == 5


# --- the plan -----------------------------------------------------------------------------------


def acs_settings(plan):
    [service] = plan.of_type(ACS)
    return [s for s in plan.of_type(DIAGNOSTIC_SETTING) if service.urn in sources(s, "resourceUri")]


def test_without_the_list_the_one_setting_is_as_it_always_was(tmp_path):
    [setting] = acs_settings(plan_config(tmp_path, minimal_config()))
    assert setting.name == "acs-test-eu-diagnostics"
    assert setting.inputs["name"] == "send-to-log-acs-test"
    assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert setting.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]
    assert set(setting.inputs) == {"name", "resourceUri", "workspaceId", "logs", "metrics"}


def test_a_max_like_setting_sends_to_every_destination(tmp_path):
    [setting] = acs_settings(plan_config(tmp_path, minimal_config(diagnosticSettings=[MAX_LIKE])))
    assert setting.name == "acs-test-eu-diagnostics-everywhere"
    inputs = setting.inputs
    assert inputs["name"] == "everywhere"
    assert inputs["workspaceId"] == WORKSPACE
    assert inputs["logAnalyticsDestinationType"] == "Dedicated"
    assert inputs["storageAccountId"] == STORAGE
    assert inputs["eventHubAuthorizationRuleId"] == RULE
    assert inputs["eventHubName"] == "acs-logs"
    assert inputs["marketplacePartnerId"] == PARTNER
    assert inputs["logs"] == [
        {"categoryGroup": "audit", "enabled": True},
        {"category": "SMSOperational", "enabled": False},
    ]
    assert inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]


def test_two_settings_are_two_resources_with_their_names(tmp_path):
    config = minimal_config(diagnosticSettings=[{}, {"name": "archive", "storageAccountResourceId": STORAGE}])
    plan = plan_config(tmp_path, config)
    settings = {s.name: s.inputs for s in acs_settings(plan)}
    assert set(settings) == {
        "acs-test-eu-diagnostics-acs-test-eu-diagnosticSettings",
        "acs-test-eu-diagnostics-archive",
    }
    first, archive = settings.values()
    assert first["name"] == "acs-test-eu-diagnosticSettings"
    assert "storageAccountId" not in first
    # Without workspaceResourceId, to the stack's workspace: its id comes from the workspace resource.
    [workspace] = plan.of_type("azure-native:operationalinsights:Workspace")
    by_name = {s.name: s for s in acs_settings(plan)}
    assert sources(by_name["acs-test-eu-diagnostics-archive"], "workspaceId") == [workspace.urn]
    assert archive["storageAccountId"] == STORAGE
    assert archive["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_an_empty_log_list_sends_no_logs(tmp_path):
    [setting] = acs_settings(plan_config(tmp_path, minimal_config(diagnosticSettings=[{"logCategoriesAndGroups": []}])))
    assert setting.inputs["logs"] == []
    assert setting.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]


def test_the_default_setting_listed_keeps_its_resource(tmp_path):
    """Writing the default setting out as a list entry (send-to-<workspace>) changes nothing: the same
    resource name, the same inputs."""
    before = acs_settings(plan_config(tmp_path, minimal_config()))
    listed = minimal_config(diagnosticSettings=[{"name": "send-to-log-acs-test"}])
    after = acs_settings(plan_config(tmp_path, listed))
    assert [(s.urn, s.inputs) for s in after] == [(s.urn, s.inputs) for s in before]


def test_an_empty_list_is_no_setting_as_in_avm(tmp_path):
    # AVM's `defaults` case deploys none; the policy pack's acs-diagnostic-logs says what that misses.
    assert acs_settings(plan_config(tmp_path, minimal_config(diagnosticSettings=[]))) == []
