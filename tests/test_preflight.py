"""preflight plan: the plan of a stack from the real program, offline, in text and JSON."""

import json
import os
import re
import subprocess
import sys

import pytest

from preflight.__main__ import main
from preflight.render import render_json, render_tree
from preflight.runner import plan_stack
from preflight.stacks import load_project
from tests.stacks import (
    ACS,
    DIAGNOSTIC_SETTING,
    LOCK,
    REPO,
    minimal_config,
    plan_committed,
    write_stack,
)

RESOURCE_FIELDS = ["urn", "type", "name", "parent", "custom", "inputs", "dependencies", "protect"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def camel_case_keys(value, path=""):
    """Every key outside `tags` (whose keys are the user's), with where it was found."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, f"{path}.{key}"
            if key != "tags":
                yield from camel_case_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from camel_case_keys(item, f"{path}[{index}]")


class TestTree:
    def test_the_dev_tree_shows_every_resource_and_its_key_settings(self, capsys):
        code, out, err = run(capsys, "plan", "--stack", "dev")
        assert code == 0 and err == ""
        assert out.startswith("Plan of stack 'dev' (acs-platform), offline")
        for resource in plan_committed("dev").resources:
            assert f"+ {resource.type}  {resource.name}" in out
        assert re.search(r"CommunicationService  acs-contoso-dev-eu-acs  \[protected\]", out)
        for setting in (
            "dataLocation: Europe",
            "location: global",
            "disableLocalAuth: false",
            "identity.type: SystemAssigned",
            "retentionInDays: 30",
            "resourceUri: from acs-contoso-dev-eu-acs",
            "workspaceId: from shared-workspace",
        ):
            assert setting in out
        plan = plan_committed("dev")
        custom, protected = sum(r.custom for r in plan.resources), sum(r.protect for r in plan.resources)
        components = len(plan.resources) - custom
        assert f"\n{custom} Azure resources to create ({protected} protected), {components} components.\n" in out
        assert protected == len([line for line in out.splitlines() if line.endswith("[protected]")])
        assert "hostName: (known after deploy)" in out

    def test_children_are_drawn_under_their_parents(self, capsys):
        _, out, _ = run(capsys, "plan", "--stack", "prod")
        lines = out.splitlines()
        component = next(i for i, line in enumerate(lines) if "acs-platform:index:SharedInfrastructure" in line)
        lock = next(i for i, line in enumerate(lines) if "ManagementLockByScope  shared-rg-lock" in line)
        assert lock > component
        assert lines[lock].index("+") > lines[component].index("+")


@pytest.fixture(scope="module")
def prod(prod_plan):
    return json.loads(render_json(prod_plan))


@pytest.fixture(scope="module")
def secrets_plan():
    return plan_stack(load_project(REPO / "tests" / "fixtures" / "secrets-project"), "demo")


class TestJson:
    def test_the_plan_has_the_documented_shape(self, prod):
        assert list(prod) == ["project", "stack", "resources", "outputs"]
        assert (prod["project"], prod["stack"]) == ("acs-platform", "prod")
        urns = {r["urn"] for r in prod["resources"]}
        for resource in prod["resources"]:
            assert list(resource)[: len(RESOURCE_FIELDS)] == RESOURCE_FIELDS
            assert resource["urn"].startswith("urn:pulumi:prod::acs-platform::")
            assert resource["urn"].endswith(f"::{resource['name']}")
            assert resource["parent"] in urns or resource["type"] == "pulumi:pulumi:Stack"
            assert set(resource["dependencies"]) <= urns
            assert isinstance(resource["custom"], bool) and isinstance(resource["protect"], bool)

    def test_urns_are_the_engines(self, prod):
        by_name = {r["name"]: r["urn"] for r in prod["resources"]}
        assert by_name["shared"] == "urn:pulumi:prod::acs-platform::acs-platform:index:SharedInfrastructure::shared"
        assert by_name["shared-rg"] == (
            "urn:pulumi:prod::acs-platform::acs-platform:index:SharedInfrastructure"
            "$azure-native:resources:ResourceGroup::shared-rg"
        )

    def test_inputs_are_camel_case_as_the_provider_receives_them(self, prod):
        for resource in prod["resources"]:
            for key, where in camel_case_keys(resource["inputs"]):
                assert re.fullmatch(r"[a-z][A-Za-z0-9]*", key), f"{resource['name']}{where}"

    def test_what_azure_assigns_is_unknown_and_sourced(self, prod):
        setting = next(r for r in prod["resources"] if r["type"] == DIAGNOSTIC_SETTING)
        assert setting["inputs"]["resourceUri"] == "[unknown]"
        assert setting["propertyDependencies"]["resourceUri"][0] in setting["dependencies"]

    def test_every_prod_instance_is_global_resident_identified_without_local_auth_logged_and_locked(self, prod):
        resources = prod["resources"]
        services = [r for r in resources if r["type"] == ACS]
        data_locations = {"acs-contoso-prod-eu": "Europe", "acs-contoso-prod-us": "United States"}
        assert sorted(s["inputs"]["communicationServiceName"] for s in services) == sorted(data_locations)
        for service in services:
            inputs = service["inputs"]
            assert inputs["location"] == "global"
            assert inputs["dataLocation"] == data_locations[inputs["communicationServiceName"]]
            assert inputs["identity"]["type"] in ("SystemAssigned", "SystemAssigned,UserAssigned")
            assert inputs["disableLocalAuth"] is True
            targeting = [
                r
                for r in resources
                if r["type"] == DIAGNOSTIC_SETTING
                if r["propertyDependencies"].get("resourceUri") == [service["urn"]]
            ]
            assert len(targeting) == 1
            assert targeting[0]["inputs"]["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
            locks = [
                r for r in resources if r["type"] == LOCK if r["propertyDependencies"].get("scope") == [service["urn"]]
            ]
            assert [lock["inputs"]["level"] for lock in locks] == ["CanNotDelete"]

    def test_outputs_per_instance(self, prod):
        instances = prod["outputs"]["instances"]
        assert set(instances) == {"acs-contoso-prod-eu", "acs-contoso-prod-us"}
        common = {"resourceId", "hostName", "dataLocation", "principalId", "eventTopic", "emailDomains", "activeSender"}
        # prod's instances use Entra ID: no connection string secret to point at.
        assert set(instances["acs-contoso-prod-eu"]) == common
        assert set(instances["acs-contoso-prod-us"]) == {*common, "phoneNumbers"}
        assert instances["acs-contoso-prod-eu"]["eventTopic"] == "evgt-acs-contoso-prod-eu"
        assert instances["acs-contoso-prod-us"]["dataLocation"] == "United States"
        assert prod["outputs"]["resourceGroupName"] == "rg-acs-prod"

    def test_out_writes_the_file_and_nothing_else(self, capsys, tmp_path):
        target = tmp_path / "plan.json"
        code, out, _ = run(capsys, "plan", "--stack", "dev", "--format", "json", "--out", str(target))
        assert code == 0 and out == ""
        assert json.loads(target.read_text())["stack"] == "dev"

    def test_the_same_stack_gives_the_same_plan_to_the_byte(self, prod_plan):
        assert render_json(plan_committed("prod")) == render_json(prod_plan)

    def test_the_plan_does_not_depend_on_the_process_hash_seed(self, prod_plan):
        # Sets iterate in a different order under another hash seed: a plan must not show it.
        command = [sys.executable, "-m", "preflight", "plan", "--stack", "prod", "--format", "json"]
        for seed in ("1", "2"):
            env = {**os.environ, "PYTHONHASHSEED": seed}
            result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=True)
            assert result.stdout == render_json(prod_plan)


class TestErrors:
    def test_an_unknown_stack_lists_the_stacks_there(self, capsys):
        code, out, err = run(capsys, "plan", "--stack", "staging")
        assert code == 2 and out == ""
        assert err == f"error: unknown stack 'staging'; stacks in {REPO}: dev, prod\n"

    def test_a_config_error_names_the_key_and_exits_2(self, capsys, tmp_path):
        write_stack(tmp_path, "broken", minimal_config(dataLocation="Mars"))
        code, out, err = run(capsys, "plan", "--stack", "broken", "--stacks-dir", str(tmp_path))
        assert code == 2 and out == ""
        assert "stack 'broken' (Pulumi.broken.yaml) has 1 configuration error" in err
        assert "acs-platform:instances[0].dataLocation: 'Mars' is not an ACS data location" in err

    def test_a_stack_file_that_is_not_yaml_is_named(self, capsys, tmp_path):
        (tmp_path / "Pulumi.bad.yaml").write_text("config: [unclosed\n")
        code, _, err = run(capsys, "plan", "--stack", "bad", "--stacks-dir", str(tmp_path))
        assert code == 2
        assert err.startswith(f"error: {tmp_path / 'Pulumi.bad.yaml'}: not valid YAML")

    def test_from_the_shell_a_config_error_is_a_message_not_a_traceback(self, tmp_path):
        write_stack(tmp_path, "broken", {**minimal_config(), "acs-platform:tier": "qa"})
        result = subprocess.run(
            [sys.executable, "-m", "preflight", "plan", "--stack", "broken", "--stacks-dir", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        assert "acs-platform:tier: 'qa' is not allowed; allowed: 'dev' or 'prod'" in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""

    def test_a_usage_error_exits_2(self, capsys):
        with pytest.raises(SystemExit) as exited:
            main(["plan"])
        assert exited.value.code == 2


class TestSecrets:
    SECRET_VALUE = "fixture-secret-value"

    def test_no_secret_value_in_the_tree_or_the_json(self, secrets_plan):
        for text in (render_tree(secrets_plan), render_json(secrets_plan)):
            assert self.SECRET_VALUE not in text
            assert "[secret]" in text
            assert "visible-label" in text

    def test_secret_inputs_and_outputs_are_marked(self, secrets_plan):
        [secret] = secrets_plan.of_type("azure-native:keyvault:Secret")
        # Only the secret field is hidden: what is not secret stays readable.
        assert secret.inputs["properties"] == {"contentType": "visible-label", "value": "[secret]"}
        assert secrets_plan.outputs == {"apiKey": "[secret]", "connectionString": "[secret]", "label": "visible-label"}
