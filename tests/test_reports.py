"""The SARIF and markdown reports of a policy check, from real verdicts of the policy pack."""

import copy
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from preflight.analyzer import CheckResult, analyze
from preflight.policy_config import PolicySetting
from preflight.report_markdown import cell, render_markdown
from preflight.report_sarif import SECURITY_SEVERITY, SarifLocationError, render_sarif
from preflight.runner import plan_stack
from preflight.stacks import load_project
from stackconfig.errors import key_path
from tests.policy_harness import fixture, judge
from tests.stacks import REPO

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
DEV_FILE = REPO / "Pulumi.dev.yaml"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STANDARD_TAGS = {"environment": "test", "owner": "o", "cost-center": "c", "managed-by": "acs-platform"}
ALL_MANDATORY = {"all": PolicySetting("mandatory", {})}

# Two instances: the second one relaxes local auth; prod tier with its lock turned off.
TWO_INSTANCES = """\
config:
  azure-native:location: westeurope
  azure-native:tenantId: 3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c
  acs-platform:tier: prod
  acs-platform:owner: platform-team@contoso.com
  acs-platform:costCenter: CC-4711
  acs-platform:protection:
    # off on purpose, for this test
    lock: None
  acs-platform:instances:
    - name: acs-test-one
      dataLocation: Europe
    - name: acs-test-two
      dataLocation: Europe
      disableLocalAuth: false
"""


def check(stacks_dir: Path, stack: str, settings: dict[str, PolicySetting] = ALL_MANDATORY) -> CheckResult:
    plan = plan_stack(load_project(REPO, stacks_dir), stack)
    return analyze(plan, settings, Path(f"policies/config/{stack}.json"))


def position(path: Path, pattern: str, occurrence: int = 0) -> tuple[int, int]:
    """1-based line and column of the first character matched by `pattern`'s group 1, found by text."""
    found = [
        (number, match.start(1) + 1)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if (match := re.search(pattern, line))
    ]
    return found[occurrence]


def sarif(result: CheckResult, stack_file: Path = DEV_FILE, repo_root: Path = REPO) -> dict:
    return json.loads(render_sarif(result, stack_file, repo_root))


def results_of(document: dict, policy: str) -> list[dict]:
    return [r for r in document["runs"][0]["results"] if r["ruleId"] == policy]


def region(sarif_result: dict) -> tuple[int, int]:
    found = sarif_result["locations"][0]["physicalLocation"]["region"]
    return found["startLine"], found["startColumn"]


def cells(row: str) -> list[str]:
    """The cells of a markdown table row, split at pipes that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def table_rows(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index("|---|---|---|---|---|") + 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


@pytest.fixture(scope="module")
def dev_result() -> CheckResult:
    return check(REPO, "dev")


@pytest.fixture(scope="module")
def clean_result() -> CheckResult:
    group = fixture(
        RESOURCE_GROUP, "rg-clean", {"resourceGroupName": "rg-clean", "location": "westeurope", "tags": STANDARD_TAGS}
    )
    result = judge([group])
    assert result.violations == [] and result.policies
    return result


@pytest.fixture(scope="module")
def piped_result() -> CheckResult:
    """A resource group whose name holds a `|` and a newline: untagged (advisory), in a region not allowed."""
    group = fixture(RESOURCE_GROUP, "rg|pipe\nline", {"resourceGroupName": "rg", "location": "westeurope"})
    result = judge(
        [group],
        {
            "all": "mandatory",
            "required-tags": "advisory",
            "resource-location-allowed": {"enforcementLevel": "mandatory", "allowedRegions": ["northeurope"]},
        },
    )
    levels = sorted((v.policy, v.enforcement_level) for v in result.violations)
    assert levels == [("required-tags", "advisory"), ("resource-location-allowed", "mandatory")]
    return result


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory) -> tuple[Path, CheckResult]:
    directory = tmp_path_factory.mktemp("stacks")
    stack_file = directory / "Pulumi.two.yaml"
    stack_file.write_text(TWO_INSTANCES, encoding="utf-8")
    return stack_file, check(directory, "two")


class TestSarif:
    @pytest.mark.parametrize("name", ["dev_result", "clean_result", "piped_result"])
    def test_validates_against_the_sarif_schema(self, name, request):
        document = sarif(request.getfixturevalue(name))
        validator = Draft4Validator(SCHEMA)
        assert list(validator.iter_errors(document)) == []
        # The schema does reject a log that breaks it: the check above can fail.
        broken = copy.deepcopy(document)
        broken["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = 42
        assert not validator.is_valid(broken)

    def test_one_rule_per_policy_with_its_metadata(self, dev_result):
        driver = sarif(dev_result)["runs"][0]["tool"]["driver"]
        assert driver["name"] == "acs-platform-policies"
        assert driver["version"] == dev_result.pack_version
        assert [r["id"] for r in driver["rules"]] == [p.name for p in dev_result.policies]
        for rule, policy in zip(driver["rules"], dev_result.policies, strict=True):
            assert rule["shortDescription"]["text"] == policy.description
            assert rule["helpUri"] == policy.url
            assert policy.remediation in rule["help"]["text"] and policy.url in rule["help"]["text"]
            assert policy.remediation in rule["help"]["markdown"] and policy.url in rule["help"]["markdown"]
            assert rule["properties"]["severity"] == policy.severity
            assert rule["properties"]["enforcementLevel"] == policy.enforcement_level
            assert rule["properties"]["security-severity"] == SECURITY_SEVERITY[policy.severity]
            assert "security" in rule["properties"]["tags"]
            assert (policy.framework_reference in rule["properties"]["tags"]) == bool(policy.framework_reference)

    def test_security_severity_follows_the_policy_severity(self, dev_result):
        rules = {r["id"]: r for r in sarif(dev_result)["runs"][0]["tool"]["driver"]["rules"]}
        assert rules["acs-data-location-allowed"]["properties"]["security-severity"] == "9.5"  # critical
        assert rules["acs-local-auth-disabled"]["properties"]["security-severity"] == "8.0"  # high
        assert rules["acs-managed-identity"]["properties"]["security-severity"] == "5.5"  # medium
        assert rules["required-tags"]["properties"]["security-severity"] == "3.0"  # low
        builtin = "/providers/Microsoft.Authorization/policyDefinitions/fc264132-db9c-4302-bb7d-3994c36461fe"
        assert builtin in rules["acs-local-auth-disabled"]["properties"]["tags"]

    def test_one_result_per_violation_pointing_at_its_rule(self, dev_result, piped_result):
        for result in (dev_result, piped_result):
            run = sarif(result)["runs"][0]
            assert [r["ruleId"] for r in run["results"]] == [v.policy for v in result.violations]
            for sarif_result, violation in zip(run["results"], result.violations, strict=True):
                assert run["tool"]["driver"]["rules"][sarif_result["ruleIndex"]]["id"] == violation.policy
                assert violation.message in sarif_result["message"]["text"]
                assert violation.resource_name in sarif_result["message"]["text"]
                logical = sarif_result["locations"][0]["logicalLocations"][0]
                assert logical["fullyQualifiedName"] == violation.urn
                assert logical["name"] == violation.resource_name
                assert logical["properties"]["type"] == violation.resource_type
            assert run["invocations"][0]["executionSuccessful"] is True

    def test_the_level_follows_the_enforcement_level(self, piped_result):
        by_level = {v.enforcement_level: v for v in piped_result.violations}
        remediate = replace(by_level["advisory"], enforcement_level="remediate")
        result = replace(piped_result, violations=[by_level["mandatory"], by_level["advisory"], remediate])
        levels = [r["level"] for r in sarif(result)["runs"][0]["results"]]
        assert levels == ["error", "warning", "note"]

    def test_the_local_auth_violation_points_at_disable_local_auth(self, dev_result):
        [found] = results_of(sarif(dev_result), "acs-local-auth-disabled")
        assert region(found) == position(DEV_FILE, r"^\s*(disableLocalAuth):")
        assert found["properties"]["configKey"] == key_path(("instances", 0, "disableLocalAuth"))
        assert found["properties"]["configKeySetsValue"] is True
        location = found["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": "Pulumi.dev.yaml", "uriBaseId": "%SRCROOT%"}

    def test_the_delete_lock_violation_points_at_the_tier_when_protection_is_not_set(self, dev_result):
        assert "acs-platform:protection" not in DEV_FILE.read_text(encoding="utf-8")
        [found] = results_of(sarif(dev_result), "acs-delete-lock")
        assert region(found) == position(DEV_FILE, r"^\s*(acs-platform:tier):")
        assert found["properties"]["configKey"] == "acs-platform:tier"

    def test_the_delete_lock_violation_points_at_the_lock_key_when_it_is_set(self, two_instances):
        stack_file, result = two_instances
        found = results_of(sarif(result, stack_file, stack_file.parent), "acs-delete-lock")
        assert len(found) == 2  # one per instance, both set by the one key
        for each in found:
            assert region(each) == position(stack_file, r"^\s*(lock):")
            assert each["properties"]["configKey"] == "acs-platform:protection.lock"

    def test_a_violation_points_at_its_own_instance(self, two_instances):
        stack_file, result = two_instances
        [found] = results_of(sarif(result, stack_file, stack_file.parent), "acs-local-auth-disabled")
        assert region(found) == position(stack_file, r"^\s*(disableLocalAuth):")
        assert found["properties"]["configKey"] == "acs-platform:instances[1].disableLocalAuth"
        assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.two.yaml"

    def test_a_defaulted_key_points_at_the_instance_entry(self, two_instances):
        stack_file, _ = two_instances
        settings = {**ALL_MANDATORY, "acs-public-network-access": PolicySetting(None, {"allowed": ["Disabled"]})}
        result = check(stack_file.parent, "two", settings)
        found = {
            r["properties"]["configKey"]: r
            for r in results_of(sarif(result, stack_file, stack_file.parent), "acs-public-network-access")
        }
        # publicNetworkAccess is in neither instance: its default applies, so each points at its entry.
        assert sorted(found) == ["acs-platform:instances[0]", "acs-platform:instances[1]"]
        for index, key in enumerate(sorted(found)):
            assert region(found[key]) == position(stack_file, r"^\s*- (name):", index)
            assert found[key]["properties"]["configKeySetsValue"] is False

    def test_a_policy_without_config_keys_points_at_the_instance_of_what_it_judged(self, two_instances):
        stack_file, result = two_instances
        [diagnostics] = [r for r in result.plan.resources if r.name == "acs-test-two-diagnostics"]
        [local_auth] = [v for v in result.violations if v.policy == "acs-local-auth-disabled"]
        # No config key sets a diagnostic setting; its resourceUri names the instance it is about.
        moved = replace(local_auth, policy="acs-diagnostic-logs", urn=diagnostics.urn, resource_name=diagnostics.name)
        document = sarif(replace(result, violations=[moved]), stack_file, stack_file.parent)
        [found] = results_of(document, "acs-diagnostic-logs")
        assert region(found) == position(stack_file, r"^\s*- (name): acs-test-two")
        assert found["properties"]["configKey"] == "acs-platform:instances[1]"

    def test_a_violation_of_the_whole_stack_without_config_keys_points_at_line_one(self, two_instances):
        stack_file, result = two_instances
        stack_wide = replace(result.violations[0], policy="acs-diagnostic-logs", urn=None, resource_name=None)
        [found] = sarif(replace(result, violations=[stack_wide]), stack_file, stack_file.parent)["runs"][0]["results"]
        assert region(found) == (1, 1)
        assert "configKey" not in found["properties"]
        assert "stack two" in found["message"]["text"]

    def test_a_stack_file_outside_the_repository_is_an_error_not_an_absolute_uri(self, two_instances):
        stack_file, result = two_instances
        with pytest.raises(SarifLocationError, match="outside the repository root"):
            sarif(result, stack_file, REPO)

    def test_fingerprints_are_stable_and_tell_findings_apart(self, dev_result):
        first = [r["partialFingerprints"] for r in sarif(dev_result)["runs"][0]["results"]]
        assert first == [r["partialFingerprints"] for r in sarif(dev_result)["runs"][0]["results"]]
        assert all(list(f) == ["acsPlatform/v1"] for f in first)
        assert len({json.dumps(f, sort_keys=True) for f in first}) == len(first) >= 2
        # A reworded message is the same finding: the alert stays.
        reworded = replace(dev_result, violations=[replace(v, message=v.message + "!") for v in dev_result.violations])
        assert [r["partialFingerprints"] for r in sarif(reworded)["runs"][0]["results"]] == first

    def test_no_violations_gives_no_results_and_every_rule(self, clean_result):
        run = sarif(clean_result)["runs"][0]
        assert run["results"] == []
        assert len(run["tool"]["driver"]["rules"]) == len(clean_result.policies)


class TestMarkdown:
    def test_the_verdict_counts_mandatory_violations(self, dev_result):
        assert {"acs-local-auth-disabled", "acs-delete-lock"} <= {v.policy for v in dev_result.mandatory}
        markdown = render_markdown(dev_result)
        assert "stack `dev`" in markdown.splitlines()[0]
        assert f"❌ {len(dev_result.mandatory)} mandatory violations" in markdown
        assert "✅" not in markdown

    def test_one_row_per_violation(self, dev_result):
        rows = table_rows(render_markdown(dev_result))
        assert len(rows) == len(dev_result.violations)
        for row, violation in zip(rows, dev_result.violations, strict=True):
            assert len(cells(row)) == 5
            assert violation.policy in cells(row)[2]
            assert cells(row)[4] == cell(violation.message)  # markdown specials (`_` in SKU names) escaped

    def test_mandatory_rows_come_first(self, piped_result):
        advisory_first = replace(piped_result, violations=sorted(piped_result.violations, key=lambda v: v.policy))
        assert advisory_first.violations[0].enforcement_level == "advisory"
        markdown = render_markdown(advisory_first)
        assert [cells(row)[0].split()[-1] for row in table_rows(markdown)] == ["mandatory", "advisory"]
        assert "❌ 1 mandatory violation (1 advisory)" in markdown

    def test_pipes_and_newlines_are_escaped_in_cells(self, piped_result):
        rows = table_rows(render_markdown(piped_result))
        assert len(rows) == 2
        for row in rows:
            assert len(cells(row)) == 5
            assert "rg\\|pipe<br>line" in cells(row)[3]
            assert cells(row)[4].startswith("rg\\|pipe<br>line: ")

    def test_each_violated_policy_has_its_remediation_and_link(self, dev_result):
        markdown = render_markdown(dev_result)
        violated = {v.policy for v in dev_result.violations}
        assert markdown.count("<details>") == len(violated)
        for policy in dev_result.policies:
            shown = f"<summary><code>{policy.name}</code>" in markdown
            assert shown == (policy.name in violated)
            if shown:
                assert policy.remediation in markdown
                assert f"]({policy.url})" in markdown

    def test_no_violations_says_so(self, clean_result):
        markdown = render_markdown(clean_result)
        assert "✅ no mandatory violations" in markdown
        assert "No policy violations." in markdown
        assert "| Enforcement |" not in markdown and "<details>" not in markdown
