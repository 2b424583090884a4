"""The deploy workflow's contract (.github/workflows/deploy.yml): every stack previewed with the policy
pack and a saved plan, the preview on the run page, then deployed from that plan; dev before prod;
prod behind its environment's approval; one run at a time; least privilege per job.

The workflow is read as GitHub reads it (YAML; `on:` is the key `True` for PyYAML's YAML 1.1), and its
shell steps are run here with bash and a fake `pulumi` on PATH, so the command lines they build are
the ones checked. The helpers are shared with tests/test_workflow_schedules.py.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
# Deployment order: a stack is previewed only once the one before it is deployed.
STACK_ORDER = ["dev", "prod"]
# The actions the workflows use, at their current major version, each running on Node 24 (its
# action.yml `runs.using`); Node 20 is being removed from GitHub's runners.
ACTION_MAJORS = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/upload-artifact": "v7",
    "actions/download-artifact": "v8",
    "pulumi/actions": "v7",
    "azure/login": "v3",
}
# Your own backend where the variable is set, else Pulumi Cloud (with the PULUMI_ACCESS_TOKEN secret).
BACKEND_URL = "${{ vars.PULUMI_BACKEND_URL || 'https://api.pulumi.com' }}"
SIGN_IN_ENV = {
    "ARM_USE_OIDC": "true",
    "ARM_CLIENT_ID": "${{ vars.AZURE_CLIENT_ID }}",
    "ARM_TENANT_ID": "${{ vars.AZURE_TENANT_ID }}",
    "ARM_SUBSCRIPTION_ID": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
}


def load_workflow(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """`on:` as GitHub reads it; YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True."""
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else {event: None for event in on} if isinstance(on, list) else on


def committed_stacks() -> set[str]:
    return {path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in REPO.glob("Pulumi.*.yaml")}


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).split("@")[0] == action]


def script(job: dict[str, Any], words: str) -> str:
    """The `run:` of the job's one step that contains `words`."""
    found = [s["run"] for s in job.get("steps", []) if words in s.get("run", "")]
    assert len(found) == 1, f"{len(found)} steps run {words!r}"
    return found[0]


def signs_in(job: dict[str, Any]) -> bool:
    """A job signs in to Azure when it gives azure-native (and the providers) its OIDC settings."""
    return str(job.get("env", {}).get("ARM_USE_OIDC", "")).lower() == "true" or bool(steps_using(job, "azure/login"))


def requirements_pulumi_version() -> str:
    match = re.search(r"^pulumi==(\S+)", (REPO / "requirements.txt").read_text(), re.MULTILINE)
    assert match, "requirements.txt pins no pulumi=="
    return match[1]


def resolve(value: str, env: dict[str, Any]) -> str:
    """`${{ env.NAME }}` expressions replaced with the workflow's values."""
    return re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: str(env[m[1]]), str(value))


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def upstream(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job `name` waits for, directly or not."""
    seen: set[str] = set()
    pending = needs(jobs[name])
    while pending:
        job = pending.pop()
        if job not in seen:
            seen.add(job)
            pending += needs(jobs[job])
    return seen


# Running the steps' shell scripts offline.


def fake_command(directory: Path, name: str, body: str) -> Path:
    """An executable `name` in `directory` that logs its arguments (one JSON list a line) to
    $FAKE_LOG, then runs `body` (sh)."""
    path = directory / name
    path.write_text(
        "#!/bin/sh\n"
        f"{sys.executable} -c 'import json, sys; print(json.dumps([sys.argv[1], *sys.argv[2:]]))' "
        f'{name} "$@" >> "$FAKE_LOG"\n{body}\n'
    )
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


FAKE_PULUMI = """
if [ -n "$FAKE_PULUMI_STDOUT" ]; then cat "$FAKE_PULUMI_STDOUT"; fi
if [ -n "$FAKE_PULUMI_STDERR" ]; then printf '%s\\n' "$FAKE_PULUMI_STDERR" >&2; fi
exit "${FAKE_PULUMI_EXIT:-0}"
"""


def run_step(run: str, workdir: Path, env: dict[str, str], fakes: Path) -> subprocess.CompletedProcess:
    """A `run:` as a GitHub-hosted runner runs it (`bash -e`), with the fake commands first on PATH."""
    if shutil.which("bash") is None or shutil.which("jq") is None:
        pytest.skip("needs bash and jq, as GitHub's runners have them")
    base = {
        "PATH": f"{fakes}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(workdir),
        "FAKE_LOG": str(workdir / "calls.log"),
        "GITHUB_STEP_SUMMARY": str(workdir / "summary.md"),
        "GITHUB_OUTPUT": str(workdir / "output.txt"),
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_REPOSITORY": "contoso/acs-platform",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", run],
        cwd=workdir,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def calls(workdir: Path) -> list[list[str]]:
    log = workdir / "calls.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def workdir(tmp_path):
    """A checkout as the jobs see it: the stack files, the policy pack and the virtualenv of the repo."""
    work = tmp_path / "work"
    work.mkdir()
    for path in [*REPO.glob("Pulumi.*.yaml"), REPO / "policies", REPO / ".venv"]:
        (work / path.name).symlink_to(path)
    (tmp_path / "bin").mkdir()
    return work


@pytest.fixture
def fakes(workdir):
    directory = workdir.parent / "bin"
    fake_command(directory, "pulumi", FAKE_PULUMI)
    return directory


# The contract.

DEPLOY = load_workflow("deploy.yml")
JOBS = DEPLOY["jobs"]


def test_it_deploys_on_merges_to_main_and_on_demand():
    on = triggers(DEPLOY)
    assert on["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in on
    assert JOBS["test-and-check"]["if"] == "github.ref == 'refs/heads/main'"


def test_every_stack_is_previewed_then_deployed_in_order():
    assert set(STACK_ORDER) == committed_stacks()
    assert {f"preview-{s}" for s in STACK_ORDER} | {f"deploy-{s}" for s in STACK_ORDER} | {"test-and-check"} == set(
        JOBS
    )
    previous = "test-and-check"
    for stack in STACK_ORDER:
        assert needs(JOBS[f"preview-{stack}"]) == [previous]
        assert needs(JOBS[f"deploy-{stack}"]) == [f"preview-{stack}"]
        previous = f"deploy-{stack}"
    # prod's preview comes after dev's deployment, and prod's deployment after prod's preview.
    assert {"test-and-check", "preview-dev", "deploy-dev"} <= upstream(JOBS, "preview-prod")
    assert "preview-prod" in upstream(JOBS, "deploy-prod")


@pytest.mark.parametrize("stack", STACK_ORDER)
def test_the_preview_saves_a_plan_with_the_policy_pack_and_shows_it_on_the_run_page(stack):
    job = JOBS[f"preview-{stack}"]
    assert job["env"]["STACK"] == stack
    preview = script(job, "pulumi preview")
    for flag in (
        '--stack "$STACK"',
        "--diff",
        "--policy-pack policies",
        '--policy-pack-config "policies/config/$STACK.json"',
        '--save-plan "plan-$STACK.json"',
    ):
        assert flag in preview
    assert "set -o pipefail" in preview  # the preview's failure is the step's, through `tee`
    summary = next(s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "always()"  # shown when the policy pack fails the preview too
    assert "preview-$STACK.txt" in summary["run"]
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert resolve(upload["with"]["name"], job["env"]) == f"plan-{stack}"
    assert f"plan-{stack}.json" in resolve(upload["with"]["path"], job["env"])
    assert upload["with"]["if-no-files-found"] == "error"


@pytest.mark.parametrize("stack", STACK_ORDER)
def test_the_deployment_applies_the_saved_plan_and_nothing_more(stack):
    job = JOBS[f"deploy-{stack}"]
    assert job["env"]["STACK"] == stack
    (download,) = steps_using(job, "actions/download-artifact")
    assert resolve(download["with"]["name"], job["env"]) == f"plan-{stack}"
    up = script(job, "pulumi up")
    for flag in (
        '--stack "$STACK"',
        "--yes",
        '--plan "plan-$STACK.json"',
        "--policy-pack policies",
        '--policy-pack-config "policies/config/$STACK.json"',
    ):
        assert flag in up
    # No fresh decision at deploy time: no refresh, no preview skipped, no targets, no replaces.
    for flag in ("--refresh", "--skip-preview", "--target", "--replace", "-f "):
        assert flag not in up
    download_at = job["steps"].index(download)
    up_at = next(i for i, s in enumerate(job["steps"]) if "pulumi up" in s.get("run", ""))
    assert download_at < up_at


def test_prod_is_deployed_only_through_its_protected_environment_and_previewed_outside_it():
    assert JOBS["deploy-prod"]["environment"] == "prod"
    assert JOBS["deploy-dev"]["environment"] == "dev"
    # A preview in `prod` would wait for the reviewers itself: they would approve blind.
    for stack in STACK_ORDER:
        assert JOBS[f"preview-{stack}"]["environment"] == f"preview-{stack}"


def test_runs_never_overlap():
    assert DEPLOY["concurrency"]["group"]
    assert DEPLOY["concurrency"]["cancel-in-progress"] is False


def test_each_job_has_only_the_permissions_it_needs():
    assert DEPLOY["permissions"] == {}
    for name, job in JOBS.items():
        permissions = job["permissions"]
        if signs_in(job):
            assert permissions == {"contents": "read", "id-token": "write"}, name
            assert {k: job["env"][k] for k in SIGN_IN_ENV} == SIGN_IN_ENV, name
            assert not {"ARM_CLIENT_SECRET", "ARM_CLIENT_CERTIFICATE_PATH"} & set(job["env"]), name
        else:
            assert permissions == {"contents": "read"}, name
    assert not signs_in(JOBS["test-and-check"])
    assert all(signs_in(JOBS[f"{kind}-{s}"]) for kind in ("preview", "deploy") for s in STACK_ORDER)


def test_the_pulumi_backend_is_pulumi_cloud_or_your_own():
    for name, job in JOBS.items():
        if signs_in(job):
            assert job["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}", name
            assert job["env"]["PULUMI_BACKEND_URL"] == BACKEND_URL, name
            (login,) = steps_using(job, "azure/login")
            assert login["if"] == "startsWith(vars.PULUMI_BACKEND_URL, 'azblob://')", name


def check_hygiene(workflow: dict[str, Any]) -> None:
    """Shared with the scheduled workflows: current majors, the pinned CLI, pip cached."""
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "uses" in step:
                action, version = step["uses"].split("@")
                assert ACTION_MAJORS.get(action) == version, f"{name}: {step['uses']}"
        for step in steps_using(job, "pulumi/actions"):
            assert "command" not in step.get("with", {}), name  # the CLI only: the steps run it
            assert resolve(step["with"]["pulumi-version"], workflow["env"]) == requirements_pulumi_version(), name
        for step in steps_using(job, "actions/setup-python"):
            assert step["with"] == {
                "python-version": "3.11",
                "cache": "pip",
                "cache-dependency-path": "requirements*.txt",
            }
        for step in steps_using(job, "actions/checkout"):
            assert step["with"] == {"persist-credentials": False}, name
        if any("pulumi " in s.get("run", "") for s in job.get("steps", [])):
            assert steps_using(job, "pulumi/actions"), f"{name} runs pulumi without installing the pinned CLI"


def test_actions_are_current_the_cli_is_pinned_and_pip_is_cached():
    check_hygiene(DEPLOY)


def test_the_cli_pin_follows_requirements():
    assert DEPLOY["env"]["PULUMI_VERSION"] == requirements_pulumi_version() == "3.272.0"


# The steps, run.


@pytest.mark.parametrize("stack", STACK_ORDER)
def test_the_preview_step_runs_the_preview_the_approver_reads(workdir, fakes, stack):
    job = JOBS[f"preview-{stack}"]
    preview = run_step(script(job, "pulumi preview"), workdir, {"STACK": stack}, fakes)
    assert preview.returncode == 0, preview.stderr
    assert calls(workdir) == [
        [
            "pulumi",
            "preview",
            "--stack",
            stack,
            "--diff",
            "--color",
            "never",
            "--policy-pack",
            "policies",
            "--policy-pack-config",
            f"policies/config/{stack}.json",
            "--save-plan",
            f"plan-{stack}.json",
        ]
    ]
    (workdir / f"preview-{stack}.txt").write_text("+ azure-native:communication:CommunicationService  create\n")
    summary = next(s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert run_step(summary["run"], workdir, {"STACK": stack}, fakes).returncode == 0
    shown = (workdir / "summary.md").read_text()
    assert f"## Preview of stack `{stack}` at 0123456" in shown
    assert "````diff\n+ azure-native:communication:CommunicationService  create\n" in shown


def test_a_preview_the_policy_pack_fails_fails_the_job(workdir, fakes):
    env = {"STACK": "prod", "FAKE_PULUMI_EXIT": "255", "FAKE_PULUMI_STDERR": "mandatory: acs-delete-lock"}
    result = run_step(script(JOBS["preview-prod"], "pulumi preview"), workdir, env, fakes)
    assert result.returncode != 0  # through `tee`: pipefail


@pytest.mark.parametrize("stack", STACK_ORDER)
def test_the_deploy_step_runs_up_with_the_plan(workdir, fakes, stack):
    result = run_step(script(JOBS[f"deploy-{stack}"], "pulumi up"), workdir, {"STACK": stack}, fakes)
    assert result.returncode == 0, result.stderr
    assert calls(workdir) == [
        [
            "pulumi",
            "up",
            "--stack",
            stack,
            "--yes",
            "--diff",
            "--color",
            "never",
            "--plan",
            f"plan-{stack}.json",
            "--policy-pack",
            "policies",
            "--policy-pack-config",
            f"policies/config/{stack}.json",
        ]
    ]


def test_a_deploy_the_engine_refuses_for_a_stale_plan_fails_the_job(workdir, fakes):
    env = {
        "STACK": "prod",
        "FAKE_PULUMI_EXIT": "255",
        "FAKE_PULUMI_STDERR": "error: resource urn:pulumi:prod::acs-platform::... violates plan",
    }
    assert run_step(script(JOBS["deploy-prod"], "pulumi up"), workdir, env, fakes).returncode != 0


@pytest.mark.parametrize("job", sorted(JOBS.keys() - {"test-and-check"}))
def test_only_mains_newest_commit_is_previewed_or_deployed(workdir, fakes, job):
    guard = script(JOBS[job], "commits/main")
    fake_command(fakes, "gh", 'echo "$FAKE_GH_HEAD"')
    newest = run_step(guard, workdir, {"FAKE_GH_HEAD": "0123456789abcdef0123456789abcdef01234567"}, fakes)
    assert newest.returncode == 0, newest.stderr
    assert calls(workdir)[-1] == ["gh", "api", "repos/contoso/acs-platform/commits/main", "--jq", ".sha"]
    older = run_step(guard, workdir, {"FAKE_GH_HEAD": "fedcba9876543210fedcba9876543210fedcba98"}, fakes)
    assert older.returncode == 1
    assert "main is at fedcba98" in older.stdout
    guard_at = next(i for i, s in enumerate(JOBS[job]["steps"]) if "commits/main" in s.get("run", ""))
    pulumi_at = next(i for i, s in enumerate(JOBS[job]["steps"]) if "pulumi " in s.get("run", ""))
    assert guard_at < pulumi_at
