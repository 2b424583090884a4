"""Monitoring: one Log Analytics workspace per stack; every ACS resource sends it all its logs."""

import pytest

from tests.stacks import ACS, DIAGNOSTIC_SETTING, WORKSPACE, minimal_config, one, plan_config, sources, with_changes


def test_one_workspace_per_stack_in_the_stack_region(prod_plan):
    workspace = one(prod_plan, WORKSPACE)
    assert workspace.inputs["workspaceName"] == "log-acs-prod"
    assert workspace.inputs["location"] == "westeurope"
    assert workspace.inputs["resourceGroupName"] == "rg-acs-prod"
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    assert workspace.protect


@pytest.mark.parametrize(("tier", "days"), [("dev", 30), ("prod", 365)])
def test_log_retention_follows_the_tier(tmp_path, tier, days):
    plan = plan_config(tmp_path, minimal_config(tier))
    assert one(plan, WORKSPACE).inputs["retentionInDays"] == days


def test_log_retention_and_workspace_name_come_from_config(tmp_path):
    config = with_changes(minimal_config("prod"), monitoring={"logRetentionDays": 90, "workspaceName": "log-comms"})
    workspace = one(plan_config(tmp_path, config), WORKSPACE)
    assert (workspace.inputs["retentionInDays"], workspace.inputs["workspaceName"]) == (90, "log-comms")


def test_every_acs_resource_sends_all_logs_and_metrics_to_the_workspace(prod_plan):
    workspace = one(prod_plan, WORKSPACE)
    services = {r.urn for r in prod_plan.of_type(ACS)}
    settings = [s for s in prod_plan.of_type(DIAGNOSTIC_SETTING) if set(sources(s, "resourceUri")) & services]
    targets = sorted(source for setting in settings for source in sources(setting, "resourceUri"))
    assert targets == sorted(services)
    for setting in settings:
        assert sources(setting, "workspaceId") == [workspace.urn]
        assert setting.inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
        assert setting.inputs["metrics"] == [{"category": "AllMetrics", "enabled": True}]
        assert setting.inputs["name"] == "send-to-log-acs-prod"


def test_the_workspace_carries_the_standard_tags(dev_plan):
    tags = one(dev_plan, WORKSPACE).inputs["tags"]
    assert tags["environment"] == "dev" and tags["managed-by"] == "acs-platform"


def test_the_workspace_takes_entra_id_only(dev_plan, prod_plan):
    for plan in (dev_plan, prod_plan):
        assert one(plan, WORKSPACE).inputs["features"] == {"disableLocalAuth": True}


def test_prod_closes_public_ingestion_and_keeps_queries_from_the_portal(prod_plan):
    # Diagnostic settings are not public ingestion: they reach the workspace over Microsoft's network.
    workspace = one(prod_plan, WORKSPACE).inputs
    assert workspace["publicNetworkAccessForIngestion"] == "Disabled"
    assert workspace["publicNetworkAccessForQuery"] == "Enabled"


def test_dev_leaves_ingestion_and_queries_public(dev_plan):
    workspace = one(dev_plan, WORKSPACE).inputs
    assert (workspace["publicNetworkAccessForIngestion"], workspace["publicNetworkAccessForQuery"]) == (
        "Enabled",
        "Enabled",
    )


def test_public_access_comes_from_config(tmp_path):
    config = with_changes(minimal_config("dev"), monitoring={"publicIngestion": "Disabled", "publicQuery": "Disabled"})
    workspace = one(plan_config(tmp_path, config), WORKSPACE).inputs
    assert (workspace["publicNetworkAccessForIngestion"], workspace["publicNetworkAccessForQuery"]) == (
        "Disabled",
        "Disabled",
    )
