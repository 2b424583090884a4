"""SARIF from `python -m preflight check` for a Pulumi project in a subfolder of its repository:
locations relative to the repository root, no absolute path anywhere, and fingerprints that name the
finding rather than its wording or its value."""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft4Validator

from preflight.report_sarif import SRCROOT, repository_root
from tests.stacks import REPO, minimal_config

FIXTURES = REPO / "tests" / "fixtures" / "baseline-faults"
PROD_POLICY = str(REPO / "policies" / "config" / "prod.json")
SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
FAULTS = {
    "email-geography": "email-domain-same-geography",
    "vault-purge": "keyvault-purge-protection",
    "http-webhook": "eventgrid-webhook-https",
}


def check(*arguments: str, cwd: Path) -> tuple[int, str, str]:
    """`python -m preflight check` in its own process, run from `cwd`, as a workflow step runs it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-m", "preflight", "check", "--policy-config", PROD_POLICY, *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def project_in_subfolder(root: Path, git: bool = True) -> Path:
    """The fixture project copied to ROOT/repo/infra; ROOT/repo a git top-level when `git`."""
    infra = root / "repo" / "infra"
    shutil.copytree(FIXTURES, infra, ignore=shutil.ignore_patterns("__pycache__"))
    if git:
        (root / "repo" / ".git").mkdir()
    return infra


def strings(value, where: str = "$"):
    """Every string in a JSON document, keys included, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}", key
            yield from strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


def absolute_paths(document: dict, *roots: Path) -> list[str]:
    """Where the log names a place on this machine: a `uri` field (helpUri, ...) that is a file URI
    or an absolute path, or any string holding one of `roots` or the home directory."""
    machine = [str(r) for r in roots] + [str(r.resolve()) for r in roots] + [str(Path.home())]
    found = []
    for where, text in strings(document):
        if re.search(r"(?i)uri$", where.rsplit(".", 1)[-1]):
            parts = urlsplit(text)
            if parts.scheme == "file" or (not parts.scheme and (text.startswith("/") or "\\" in text)):
                found.append(f"{where}: {text}")
        if any(m in text for m in machine) or re.match(r"^[A-Za-z]:[\\/]", text):
            found.append(f"{where}: {text}")
    return found


def uris(document: dict) -> list[str]:
    return [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]]


def fingerprints(document: dict) -> dict[tuple[str, str], str]:
    """(policy, resource) -> the result's acsPlatform/v1 fingerprint."""
    return {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r["partialFingerprints"]["acsPlatform/v1"]
        for r in document["runs"][0]["results"]
    }


def assert_valid(document: dict) -> None:
    assert list(Draft4Validator(SCHEMA).iter_errors(document)) == []


@pytest.fixture(scope="module")
def subfolder(tmp_path_factory) -> tuple[Path, Path]:
    """(the copy's project dir, the temporary root) of one project in a subfolder, shared by the module."""
    root = tmp_path_factory.mktemp("sarif-paths")
    return project_in_subfolder(root), root


class TestLocations:
    @pytest.mark.parametrize("stack", FAULTS)
    def test_a_fault_is_located_at_its_stack_file_from_the_repository_root(self, subfolder, stack):
        infra, root = subfolder
        # Run from the project's own folder: the location must not depend on the working directory.
        code, out, err = check("--stack", stack, "--project-dir", str(infra), "--format", "sarif", cwd=infra)
        assert (code, err) == (1, "")
        document = json.loads(out)
        run = document["runs"][0]
        assert [r["ruleId"] for r in run["results"]] == [FAULTS[stack]]
        [location] = run["results"][0]["locations"]
        assert location["physicalLocation"]["artifactLocation"] == {
            "uri": f"infra/Pulumi.{stack}.yaml",
            "uriBaseId": "%SRCROOT%",
        }
        assert (root / "repo" / uris(document)[0]).is_file()  # where code scanning looks for it
        assert run["originalUriBaseIds"] == {
            SRCROOT: {"description": {"text": "The root of the repository; every uri is relative to it."}}
        }
        assert absolute_paths(document, root, REPO) == []
        assert_valid(document)

    def test_the_clean_stack_gives_no_result_and_still_no_absolute_path(self, subfolder):
        infra, root = subfolder
        code, out, err = check("--stack", "clean", "--project-dir", str(infra), "--format", "sarif", cwd=root)
        assert (code, err) == (0, "")
        document = json.loads(out)
        assert document["runs"][0]["results"] == []
        assert SRCROOT in document["runs"][0]["originalUriBaseIds"]
        assert absolute_paths(document, root, REPO) == []
        assert_valid(document)

    def test_the_absolute_path_check_can_fail(self, subfolder):
        infra, root = subfolder
        code, out, _ = check("--stack", "vault-purge", "--project-dir", str(infra), "--format", "sarif", cwd=infra)
        document = json.loads(out)
        assert code == 1 and absolute_paths(document, root, REPO) == []
        file_uri, rule_help, category = (copy.deepcopy(document) for _ in range(3))
        location = file_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        location["uri"] = (infra / "Pulumi.vault-purge.yaml").as_uri()
        rule_help["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "/home/runner/work/repo/infra/README.md"
        category["runs"][0]["automationDetails"]["id"] = f"{root}/vault-purge/"
        for broken in (file_uri, rule_help, category):
            assert absolute_paths(broken, root, REPO) != []

    def test_the_report_option_writes_the_same_relative_locations(self, subfolder, tmp_path):
        infra, root = subfolder
        report = tmp_path / "policy.sarif"
        arguments = ["--stack", "http-webhook", "--project-dir", str(infra)]
        code, _, err = check(*arguments, "--report", f"sarif={report}", cwd=REPO)
        assert (code, err) == (1, "")
        document = json.loads(report.read_text(encoding="utf-8"))
        assert uris(document) == ["infra/Pulumi.http-webhook.yaml"]
        assert absolute_paths(document, root, REPO, tmp_path) == []

    def test_repo_root_names_the_root_when_there_is_no_git_entry(self, tmp_path):
        infra = project_in_subfolder(tmp_path, git=False)
        if repository_root(infra) != infra.resolve():
            pytest.skip(f"a .git entry above {tmp_path}")
        arguments = ["--stack", "vault-purge", "--project-dir", str(infra), "--format", "sarif"]
        # Without a git top-level, locations are relative to the project.
        code, out, _ = check(*arguments, cwd=infra)
        assert code == 1 and uris(json.loads(out)) == ["Pulumi.vault-purge.yaml"]
        code, out, _ = check(*arguments, "--repo-root", str(tmp_path / "repo"), cwd=tmp_path)
        assert code == 1 and uris(json.loads(out)) == ["infra/Pulumi.vault-purge.yaml"]
        assert absolute_paths(json.loads(out), tmp_path, REPO) == []

    def test_a_stack_file_outside_the_repository_root_is_a_usage_error(self, subfolder, tmp_path):
        infra, _ = subfolder
        stacks = tmp_path / "elsewhere"
        stacks.mkdir()
        shutil.copy(infra / "Pulumi.vault-purge.yaml", stacks)
        arguments = ["--stack", "vault-purge", "--project-dir", str(infra), "--stacks-dir", str(stacks)]
        code, out, err = check(*arguments, "--format", "sarif", cwd=infra)
        assert (code, out) == (2, "")
        assert "is outside the repository root" in err and "--repo-root" in err
        # Other formats need no location: the same stack is checked as before.
        code, out, err = check(*arguments, "--format", "json", cwd=infra)
        assert (code, err) == (1, "") and json.loads(out)["violations"]

    def test_a_repo_root_that_is_no_directory_is_a_usage_error(self, subfolder, tmp_path):
        infra, _ = subfolder
        missing = tmp_path / "missing"
        code, out, err = check("--stack", "clean", "--project-dir", str(infra), "--repo-root", str(missing), cwd=infra)
        assert (code, out, err) == (2, "", f"error: --repo-root {missing}: no such folder\n")


class TestRepositoryRoot:
    def test_the_nearest_git_entry_up_the_tree_is_the_root(self, tmp_path):
        infra = tmp_path / "repo" / "infra" / "nested"
        infra.mkdir(parents=True)
        (tmp_path / "repo" / ".git").mkdir()
        assert repository_root(infra) == (tmp_path / "repo").resolve()

    def test_a_git_file_counts_as_for_a_worktree(self, tmp_path):
        infra = tmp_path / "worktree" / "infra"
        infra.mkdir(parents=True)
        (tmp_path / "worktree" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/w\n", encoding="utf-8")
        assert repository_root(infra) == (tmp_path / "worktree").resolve()

    def test_this_checkout_is_its_own_root(self):
        assert repository_root(REPO / "tests" / "fixtures" / "baseline-faults") == REPO.resolve()


def acs_stack(directory: Path, stack: str, *instances: dict, comment: str = "") -> None:
    """A stack of the acs-platform program with these instances, written by hand as people do."""
    config = minimal_config("prod")
    config["acs-platform:instances"] = list(instances)
    directory.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"config": config}, sort_keys=False)
    (directory / f"Pulumi.{stack}.yaml").write_text(comment + text, encoding="utf-8")


def check_acs(root: Path, stack: str) -> dict:
    """The acs-platform program, its stack file in ROOT/repo/infra, ROOT/repo the repository root."""
    code, out, err = check(
        "--stack",
        stack,
        "--project-dir",
        str(REPO),
        "--stacks-dir",
        str(root / "repo" / "infra"),
        "--repo-root",
        str(root / "repo"),
        "--format",
        "sarif",
        cwd=REPO,
    )
    assert err == "" and code in (0, 1)
    document = json.loads(out)
    assert uris(document) == [f"infra/Pulumi.{stack}.yaml"] * len(document["runs"][0]["results"])
    assert absolute_paths(document, root, REPO) == []
    assert_valid(document)
    return document


DATA_LOCATION = ("acs-data-location-allowed", "acs-test-eu-acs")
LOCAL_AUTH = ("acs-local-auth-disabled", "acs-test-eu-acs")


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("fingerprints")
    infra = root / "repo" / "infra"
    verdicts = {}
    acs_stack(infra, "fault", {"name": "acs-test-eu", "dataLocation": "Europe"})
    verdicts["allowed"] = check_acs(root, "fault")
    acs_stack(infra, "fault", {"name": "acs-test-eu", "dataLocation": "Japan"})
    verdicts["before"] = check_acs(root, "fault")
    # The same finding with another value (so another message), its line moved by comments.
    acs_stack(infra, "fault", {"name": "acs-test-eu", "dataLocation": "Asia Pacific"}, comment="# moved\n" * 3)
    verdicts["after"] = check_acs(root, "fault")
    acs_stack(
        infra,
        "fault",
        {"name": "acs-test-eu", "dataLocation": "Japan", "disableLocalAuth": False},
        {"name": "acs-test-us", "dataLocation": "Japan"},
    )
    verdicts["two"] = check_acs(root, "fault")
    acs_stack(
        infra,
        "fault",
        {"name": "acs-test-us", "dataLocation": "Japan"},
        {"name": "acs-test-eu", "dataLocation": "Japan", "disableLocalAuth": False},
    )
    verdicts["reordered"] = check_acs(root, "fault")
    return verdicts


class TestFingerprints:
    def test_an_allowed_value_gives_no_result(self, verdicts):
        assert verdicts["allowed"]["runs"][0]["results"] == []

    def test_a_violation_points_at_its_config_key_in_the_subfolder(self, verdicts):
        [found] = verdicts["before"]["runs"][0]["results"]
        assert found["ruleId"] == DATA_LOCATION[0]
        assert found["properties"]["configKey"] == "acs-platform:instances[0].dataLocation"
        assert found["locations"][0]["physicalLocation"]["region"]["startLine"] > 1

    def test_another_value_and_message_on_another_line_keep_the_fingerprint(self, verdicts):
        [before], [after] = (verdicts[s]["runs"][0]["results"] for s in ("before", "after"))
        assert "'Japan'" in before["message"]["text"] and "'Asia Pacific'" in after["message"]["text"]
        region = before["locations"][0]["physicalLocation"]["region"]
        assert after["locations"][0]["physicalLocation"]["region"] == {**region, "startLine": region["startLine"] + 3}
        assert before["partialFingerprints"] == after["partialFingerprints"]
        assert fingerprints(verdicts["before"]) == fingerprints(verdicts["after"])

    def test_another_resource_or_another_policy_is_another_fingerprint(self, verdicts):
        found = fingerprints(verdicts["two"])
        assert set(found) == {DATA_LOCATION, LOCAL_AUTH, (DATA_LOCATION[0], "acs-test-us-acs")}
        assert len(set(found.values())) == 3
        # The finding that stayed in the file keeps its fingerprint next to the new ones.
        assert found[DATA_LOCATION] == fingerprints(verdicts["before"])[DATA_LOCATION]

    def test_reordering_the_instances_keeps_every_fingerprint(self, verdicts):
        keys = {r["properties"]["configKey"] for r in verdicts["reordered"]["runs"][0]["results"]}
        assert "acs-platform:instances[1].disableLocalAuth" in keys  # the index moved ...
        assert fingerprints(verdicts["reordered"]) == fingerprints(verdicts["two"])  # ... the findings did not
