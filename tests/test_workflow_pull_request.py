"""The pull-request workflow's contracts, read from .github/workflows/pull-request.yml.

Every stack is gated offline, forks included, with no secret, and its monthly cost estimated on the base
commit and on the head (a base that cannot estimate gives no before, never a failure); only pull requests
from this repository's branches preview the deployed stacks, in the stack's `preview-<stack>` environment,
the one job with `id-token: write`; one sticky comment, found by its marker; no permission by default and
each job its least; steps that run after a failure do not fail on files never written; the Pulumi CLI is
the SDK's version; actions are at majors that run on Node 24.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitops.comment import MARKER
from tests.stacks import REPO

WORKFLOW = REPO / ".github" / "workflows" / "pull-request.yml"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"

# The first major of each action that runs on Node 24 (GitHub is removing Node 20 from its runners):
# actions/checkout v5, setup-python v6, upload-artifact v6, download-artifact v7 (their READMEs, "What's
# new"), github/codeql-action v4, pulumi/actions v7 (CHANGELOG 7.0.0, "update Action runtime to node 24").
NODE24_MAJORS = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "github/codeql-action/upload-sarif": 4,
    "pulumi/actions": 7,
    "azure/login": 3,
}
# Each job's permissions, exactly: nothing else is granted.
PERMISSIONS = {
    "test-and-gate": {"contents": "read"},
    "preview": {"contents": "read", "id-token": "write"},
    "sarif": {"contents": "read", "security-events": "write"},
    "comment": {"contents": "read", "pull-requests": "write"},
}


@pytest.fixture(scope="module")
def workflow() -> dict:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


@pytest.fixture(scope="module")
def jobs(workflow) -> dict:
    return workflow["jobs"]


def committed_stacks() -> list[str]:
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in REPO.glob("Pulumi.*.yaml"))


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def step_named(job: dict, name: str) -> dict:
    return next(s for s in steps(job) if s.get("name") == name)


def uses(step: dict) -> str:
    return step.get("uses", "").split("@")[0]


def text_of(job: dict) -> str:
    return yaml.safe_dump(job)


# --- triggers, permissions ---------------------------------------------------------------------------


def test_it_runs_on_pull_request_never_on_pull_request_target(workflow):
    # pull_request_target would run with the base repository's secrets on a fork's code.
    assert set(workflow["on"]) == {"pull_request"}


def test_no_permission_by_default_and_each_job_its_least(workflow, jobs):
    assert workflow["permissions"] == {}
    assert {name: job.get("permissions") for name, job in jobs.items()} == PERMISSIONS


def test_id_token_is_granted_to_the_preview_job_alone(jobs):
    assert [name for name, job in jobs.items() if "id-token" in job["permissions"]] == ["preview"]
    assert [name for name, job in jobs.items() if "security-events" in job["permissions"]] == ["sarif"]
    assert [name for name, job in jobs.items() if "pull-requests" in job["permissions"]] == ["comment"]


def test_one_run_per_pull_request_a_newer_push_cancels_the_older(workflow):
    concurrency = workflow["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


# --- the offline gate: every pull request, every stack -------------------------------------------------


def test_the_offline_gate_runs_for_every_pull_request_without_secrets(jobs):
    job = jobs["test-and-gate"]
    assert "if" not in job and "environment" not in job
    assert "secrets." not in text_of(job) and "vars." not in text_of(job)


def test_the_offline_gate_judges_every_stack_even_when_one_fails(jobs):
    job = jobs["test-and-gate"]
    assert step_named(job, "Tests")["run"].strip() == "make test"
    gate = step_named(job, "Offline policy gate on every stack")
    script = gate["run"]
    # Every Pulumi.<stack>.yaml, whatever stacks exist; a failure is remembered, not fatal to the loop.
    assert "for file in Pulumi.*.yaml; do" in script
    assert script.count("|| status=1") == 2 and script.rstrip().endswith('exit "$status"')
    assert '--report markdown="reports/policy-$stack.md"' in script
    assert '--report sarif="reports/policy-$stack.sarif"' in script
    assert gate["if"] == "${{ !cancelled() }}"  # after failing tests too


COST_STEP = "Monthly cost, before and after"


def test_the_cost_of_every_stack_is_estimated_on_the_head_and_on_the_base_commit(jobs):
    job = jobs["test-and-gate"]
    # The checkout holds the base commit too: the whole history, and a fetch of it should it be missing.
    checkout = next(s for s in steps(job) if uses(s) == "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0
    names = [s.get("name") for s in steps(job)]
    assert (
        names.index("Offline policy gate on every stack")
        < names.index(COST_STEP)
        < names.index("Verdicts in the job summary")
    )
    step = step_named(job, COST_STEP)
    assert step["if"] == "${{ !cancelled() }}"
    assert step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    script = " ".join(step["run"].replace("\\\n", " ").split())
    assert "for file in Pulumi.*.yaml; do" in script
    assert (
        '.venv/bin/python -m preflight cost --stack "$stack" --format json --out "reports/cost-$stack.json"' in script
    )
    assert 'git worktree add --quiet --detach "$base" "$BASE_SHA"' in script
    # The base with the head's virtualenv, in the base's worktree; its failure only leaves --before out.
    assert (
        '(cd "$base" && "$GITHUB_WORKSPACE/.venv/bin/python" -m preflight cost --stack "$stack" --format json '
        '--out "$GITHUB_WORKSPACE/reports/cost-base-$stack.json"); then '
        'args+=(--before "reports/cost-base-$stack.json" --before-optional)'
    ) in script
    assert '.venv/bin/python -m gitops.cost "${args[@]}" || status=1' in script
    assert script.rstrip().endswith('exit "$status"')
    summary = step_named(job, "Verdicts in the job summary")["run"]
    assert "reports/cost-*.md" in summary


def test_the_cost_sections_reach_the_comment(jobs):
    # Written to reports/, uploaded with the gate's artifact, downloaded by the comment job.
    upload = next(s for s in steps(jobs["test-and-gate"]) if uses(s) == "actions/upload-artifact")
    assert upload["with"]["path"] == "reports/"
    compose = step_named(jobs["comment"], "Compose the comment")["run"]
    assert 'for report in reports/cost-*.md; do args+=(--cost "$report"); done' in compose


# The step's script, run for real against a scratch repository: a fake `python` runs gitops.cost for real
# and stands in for `preflight cost`, estimating from `numbers:` in Pulumi.<stack>.yaml of the directory it
# runs in, unless that directory has no-cost-command (an older base) or the stack file is missing.
FAKE_PYTHON = """
import json, runpy, sys
from pathlib import Path
args = sys.argv[1:]
if args[:2] == ["-m", "gitops.cost"]:
    sys.path.insert(0, {repo!r})
    sys.argv = ["gitops.cost", *args[2:]]
    runpy.run_module("gitops.cost", run_name="__main__")
assert args[:3] == ["-m", "preflight", "cost"], args
if Path("no-cost-command").exists():
    sys.exit("python -m preflight: error: argument command: invalid choice: 'cost'")
options = dict(zip(args[3::2], args[4::2]))
stack = options["--stack"]
stack_file = Path(f"Pulumi.{{stack}}.yaml")
if not stack_file.exists():
    sys.exit(f"no stack file {{stack_file}}")
numbers = int(stack_file.read_text().split("numbers:")[1])
line = {{"instance": "us", "resource": "pool", "item": "phone number lease", "kind": "fixed", "quantity": numbers,
        "unit": "number-month", "unitPrice": 2, "monthly": 2 * numbers, "source": "lease"}}
amount = {{"monthly": 2 * numbers, "known": 2 * numbers, "unknownLines": 0}}
Path(options["--out"]).write_text(json.dumps({{"stack": stack, "project": "acs-platform", "currency": "USD",
    "pricesReadOn": "2026-11-20", "total": amount, "instances": [{{"name": "us", **amount}}], "lines": [line]}}))
"""


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


def run_cost_step(jobs, tmp_path, *, base_files: dict[str, str], head_files: dict[str, str], base_sha=None):
    """The step's script in a repository whose base commit has base_files and head commit head_files."""
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    workspace.mkdir()
    runner_temp.mkdir()
    _git(workspace, "init", "--quiet")
    for name, text in base_files.items():
        (workspace / name).write_text(text, encoding="utf-8")
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "--quiet", "-m", "base")
    base = _git(workspace, "rev-parse", "HEAD")
    for name in base_files:
        (workspace / name).unlink()
    for name, text in head_files.items():
        (workspace / name).write_text(text, encoding="utf-8")
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "--quiet", "-m", "head")
    python = workspace / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    (workspace / ".venv" / "fake.py").write_text(FAKE_PYTHON.format(repo=str(REPO)), encoding="utf-8")
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{workspace / ".venv" / "fake.py"}" "$@"\n')
    python.chmod(0o755)
    step = step_named(jobs["test-and-gate"], COST_STEP)
    env = {**os.environ, "BASE_SHA": base_sha or base, "RUNNER_TEMP": str(runner_temp)}
    env |= {"GITHUB_WORKSPACE": str(workspace), "GIT_TERMINAL_PROMPT": "0"}
    # As GitHub runs a `run:` step: bash -e.
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    reports = workspace / "reports"
    sections = {p.name: p.read_text(encoding="utf-8") for p in sorted(reports.glob("cost-*.md"))}
    return result, sections


def test_the_cost_step_compares_with_the_base_and_never_fails_because_of_it(jobs, tmp_path):
    # dev's pool grows from 2 to 1000 numbers; prod is new in this pull request (the base cannot estimate it).
    result, sections = run_cost_step(
        jobs,
        tmp_path,
        base_files={"Pulumi.dev.yaml": "numbers: 2\n"},
        head_files={"Pulumi.dev.yaml": "numbers: 1000\n", "Pulumi.prod.yaml": "numbers: 3\n"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(sections) == {"cost-dev.md", "cost-prod.md"}
    assert "**⬆️ +$1,996.00/month: $4.00 → $2,000.00**" in sections["cost-dev.md"]
    assert "**$6.00/month (no estimate of the base branch)**" in sections["cost-prod.md"]


def test_a_base_without_the_cost_command_gives_the_after_alone(jobs, tmp_path):
    result, sections = run_cost_step(
        jobs,
        tmp_path,
        base_files={"Pulumi.dev.yaml": "numbers: 2\n", "no-cost-command": ""},
        head_files={"Pulumi.dev.yaml": "numbers: 5\n"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "**$10.00/month (no estimate of the base branch)**" in sections["cost-dev.md"]
    assert "No estimate of dev on the base commit" in result.stdout


def test_a_base_commit_that_cannot_be_checked_out_gives_the_after_alone(jobs, tmp_path):
    result, sections = run_cost_step(
        jobs,
        tmp_path,
        base_files={"Pulumi.dev.yaml": "numbers: 2\n"},
        head_files={"Pulumi.dev.yaml": "numbers: 5\n"},
        base_sha="0" * 40,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::warning::the base commit" in result.stdout
    assert "(no estimate of the base branch)" in sections["cost-dev.md"]


def test_a_failing_estimate_of_the_head_fails_the_step_after_every_stack(jobs, tmp_path):
    result, sections = run_cost_step(
        jobs,
        tmp_path,
        base_files={"Pulumi.dev.yaml": "numbers: 2\n"},
        head_files={"Pulumi.dev.yaml": "numbers: 1\n", "Pulumi.prod.yaml": "numbers: oops\n"},
    )
    assert result.returncode == 1
    assert "::error::preflight cost --stack prod failed on this branch" in result.stdout
    assert set(sections) == {"cost-dev.md"}  # dev was still compared
    assert "**⬇️ -$2.00/month: $4.00 → $2.00**" in sections["cost-dev.md"]


def test_every_stack_has_its_policy_config():
    for stack in committed_stacks():
        assert (REPO / "policies" / "config" / f"{stack}.json").is_file(), stack


# --- previews: same repository only ---------------------------------------------------------------------


def test_previews_run_only_for_branches_of_this_repository_in_the_preview_environment(jobs):
    job = jobs["preview"]
    assert job["if"] == SAME_REPOSITORY
    # The stack's read-only environment, the one deploy's and drift's previews use too.
    assert job["environment"] == "preview-${{ matrix.stack }}"


def test_the_preview_matrix_is_every_stack(jobs):
    matrix = jobs["preview"]["strategy"]["matrix"]["stack"]
    assert sorted(matrix) == committed_stacks()
    assert jobs["preview"]["strategy"]["fail-fast"] is False


def test_the_preview_signs_in_as_azure_native_reads_it_from_the_environment(jobs):
    env = jobs["preview"]["env"]
    assert env["ARM_USE_OIDC"] == "true"
    assert env["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
    assert env["ARM_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}"
    assert env["ARM_SUBSCRIPTION_ID"] == "${{ vars.AZURE_SUBSCRIPTION_ID }}"
    # No client secret: OIDC only. The only secrets are the Pulumi backend's: its token, or the passphrase
    # of stacks whose secrets provider is one.
    assert not any("SECRET" in name for name in env)
    assert re.findall(r"secrets\.(\w+)", text_of(jobs["preview"])) == [
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_CONFIG_PASSPHRASE",
    ]


def test_the_preview_runs_the_pack_with_the_stack_config_and_keeps_stdout_when_it_fails(jobs):
    job = jobs["preview"]
    run = step_named(job, "Preview against the deployed stack")
    script = " ".join(run["run"].replace("\\\n", " ").split())
    assert 'pulumi preview --stack "$STACK" --json' in script
    assert '--policy-pack policies --policy-pack-config "policies/config/$STACK.json"' in script
    assert '> "reports/preview-$STACK.json"' in script
    assert "set +e" in script and 'exit-code=$code" >> "$GITHUB_OUTPUT"' in script
    # Policy violations are only in the engine's event log, which needs PULUMI_DEBUG_COMMANDS.
    assert '--event-log "reports/preview-events-$STACK.jsonl"' in script
    assert run["env"]["PULUMI_DEBUG_COMMANDS"] == "true"
    summary = step_named(job, "Summarize the preview")["run"]
    assert ".venv/bin/python -m gitops.preview" in summary
    fail = step_named(job, "Fail when the preview failed")
    assert fail["if"] == "steps.preview.outputs.exit-code != '0'"


def test_the_preview_uploads_its_summary_not_the_raw_state(jobs):
    upload = step_named(jobs["preview"], "Upload the preview summary")
    assert upload["with"]["path"] == "reports/preview-*.md"


def test_the_pulumi_cli_is_the_version_of_the_sdk(jobs):
    pinned = re.search(r"^pulumi==(\S+)", (REPO / "requirements.txt").read_text(encoding="utf-8"), re.MULTILINE)
    cli = next(s for s in steps(jobs["preview"]) if uses(s) == "pulumi/actions")
    assert str(cli["with"]["pulumi-version"]) == pinned.group(1)
    assert "command" not in cli["with"]  # install only: the preview step runs the CLI itself


def test_installs_are_the_locked_ones_with_pip_cached(jobs):
    for name in ("test-and-gate", "preview"):
        setup = next(s for s in steps(jobs[name]) if uses(s) == "actions/setup-python")
        assert setup["with"]["cache"] == "pip"
        assert setup["with"]["cache-dependency-path"] == "requirements*.txt"
    assert any(s.get("run", "").strip() == "make install" for s in steps(jobs["preview"]))


# --- forks, the SARIF, the one comment ----------------------------------------------------------------------


def test_forks_get_the_offline_gate_alone(jobs):
    gated = {name for name, job in jobs.items() if SAME_REPOSITORY in str(job.get("if", ""))}
    assert gated == {"preview", "sarif"}
    # The comment job runs for forks too, but only writes its body to the job summary and an artifact.
    comment = jobs["comment"]
    assert comment["env"]["FORK"] == "${{ github.event.pull_request.head.repo.full_name != github.repository }}"
    assert step_named(comment, "Create or update the sticky comment")["if"] == "env.FORK == 'false'"
    compose = step_named(comment, "Compose the comment")["run"]
    assert 'if [ "$FORK" = "true" ]; then args+=(--fork); fi' in compose
    assert 'cat comment.md >> "$GITHUB_STEP_SUMMARY"' in compose


def test_the_sarif_goes_to_code_scanning_for_this_repository_only(jobs):
    job = jobs["sarif"]
    assert job["needs"] == "test-and-gate"
    upload = next(s for s in steps(job) if uses(s) == "github/codeql-action/upload-sarif")
    assert upload["if"] == "hashFiles('reports/policy-*.sarif') != ''"
    assert upload["with"]["sarif_file"] == "reports"


def test_the_comment_waits_for_both_jobs_whatever_their_result(jobs):
    job = jobs["comment"]
    assert job["needs"] == ["test-and-gate", "preview"]
    assert job["if"] in ("${{ !cancelled() }}", "always()")


def test_one_sticky_comment_found_by_its_marker(jobs):
    job = jobs["comment"]
    script = step_named(job, "Create or update the sticky comment")["run"]
    assert f"marker='{MARKER}'" in script
    assert 'gh api --paginate "repos/{owner}/{repo}/issues/$PR/comments"' in script
    assert 'select(.user.login == "github-actions[bot]" and (.body | startswith($marker)))' in script
    assert 'gh api --method PATCH "repos/{owner}/{repo}/issues/comments/$id"' in script
    assert 'gh api --method POST "repos/{owner}/{repo}/issues/$PR/comments"' in script
    assert "--edit-last" not in text_of(job)
    compose = step_named(job, "Compose the comment")["run"]
    assert "python -m gitops.comment" in compose
    assert "--offline" in compose and "--preview" in compose


# --- hygiene -----------------------------------------------------------------------------------------------


def test_steps_that_run_after_a_failure_do_not_fail_on_files_never_written(jobs):
    for name, job in jobs.items():
        for step in steps(job):
            condition = str(step.get("if", ""))
            if "always()" not in condition:
                continue
            label = f"{name}: {step.get('name') or step.get('uses')}"
            if uses(step) == "actions/upload-artifact":
                assert step["with"]["if-no-files-found"] in ("ignore", "warn"), label
            else:
                script = step["run"]
                assert "shopt -s nullglob" in script or re.search(r"\[ !? ?-f ", script), label


def test_jobs_that_run_after_a_failure_download_by_pattern(jobs):
    # download-artifact fails on a missing name, not on a pattern that matches nothing.
    for name in ("sarif", "comment"):
        for step in steps(jobs[name]):
            if uses(step) == "actions/download-artifact":
                assert "pattern" in step["with"] and "name" not in step["with"], name


def test_actions_are_at_majors_that_run_on_node_24(jobs):
    used = [s["uses"] for job in jobs.values() for s in steps(job) if "uses" in s]
    assert {u.split("@")[0] for u in used} == set(NODE24_MAJORS)
    for action in used:
        name, _, ref = action.partition("@")
        major = re.fullmatch(r"v(\d+)", ref)
        assert major, f"{action}: pin a major version tag"
        assert int(major.group(1)) >= NODE24_MAJORS[name], f"{action} runs on Node 20"


def test_checkouts_keep_no_credentials(jobs):
    for name, job in jobs.items():
        for step in steps(job):
            if uses(step) == "actions/checkout":
                assert step["with"]["persist-credentials"] is False, name


@pytest.mark.skipif(
    not (shutil.which("actionlint") or (Path(REPO) / ".venv" / "bin" / "actionlint").exists()),
    reason="actionlint is not installed",
)
def test_actionlint_finds_nothing():
    binary = shutil.which("actionlint") or str(Path(REPO) / ".venv" / "bin" / "actionlint")
    result = subprocess.run(
        [binary, "-no-color", str(WORKFLOW.relative_to(REPO))], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
