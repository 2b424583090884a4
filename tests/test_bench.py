"""The benchmark's generated stack stays a valid stack that plans and passes the prod gate, and the
side-by-side benchmark compares two trees fairly: the same stack file in each, runs interleaved,
an invalid stack refused, plans compared URNs aside. No timing is asserted."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.analyzer import analyze
from preflight.policy_config import load_policy_config
from preflight.runner import plan_stack
from preflight.stacks import load_project
from tests.stacks import ACS, REPO

sys.path.insert(0, str(REPO / "bench"))
import side_by_side  # noqa: E402
from check_bench import generated_stack  # noqa: E402
from side_by_side import Case, Run, Tree  # noqa: E402


def test_the_generated_stack_plans_and_passes_the_prod_gate(tmp_path):
    written = generated_stack(tmp_path, 3, stack="bench3")
    assert written == tmp_path / "Pulumi.bench3.yaml"
    plan = plan_stack(load_project(REPO, tmp_path), "bench3")
    assert len(plan.of_type(ACS)) == 3
    config = REPO / "policies" / "config" / "prod.json"
    assert analyze(plan, load_policy_config(config), config).mandatory == []


def test_the_same_generated_stack_file_is_in_each_tree(tmp_path):
    trees = [Tree(label, tmp_path / label, tmp_path / label / "stacks") for label in ("baseline", "current")]
    side_by_side.place_generated_stack(trees, lambda folder: generated_stack(folder, 4, stack="bench4"))
    files = [tree.stacks_dir / "Pulumi.bench4.yaml" for tree in trees]
    assert files[0].read_bytes() == files[1].read_bytes()
    assert files[0].read_text().count("name: acs-bench-") == 4


def test_runs_alternate_between_the_trees():
    assert list(side_by_side.interleaved(["A", "B"], 3)) == ["A", "B", "A", "B", "A", "B"]


PLAN = {
    "resources": [
        {
            "urn": "urn:a",
            "type": "t:a",
            "custom": True,
            "inputs": {"x": 1},
            "dependencies": [],
            "propertyDependencies": {},
            "protect": False,
            "provider": None,
            "retainOnDelete": False,
            "replaceOnChanges": [],
        },
        {
            "urn": "urn:b",
            "type": "t:b",
            "custom": True,
            "inputs": {"y": "[unknown]"},
            "dependencies": ["urn:a", "urn:component"],
            "propertyDependencies": {"y": ["urn:a"]},
            "protect": True,
            "provider": None,
            "retainOnDelete": False,
            "replaceOnChanges": [],
        },
        {"urn": "urn:component", "type": "c", "custom": False, "inputs": {}},
    ]
}


def renamed(plan: dict, old: str, new: str) -> dict:
    return json.loads(json.dumps(plan).replace(old, new))


class TestComparePlans:
    def test_urns_and_components_aside_the_plans_are_the_same(self):
        moved = renamed(renamed(PLAN, "urn:a", "urn:moved-a"), "urn:component", "urn:other-component")
        moved["resources"].append({"urn": "urn:new-component", "type": "c2", "custom": False, "inputs": {}})
        assert side_by_side.compare_plans(PLAN, moved) == "same"

    def test_a_changed_input_is_a_difference(self):
        changed = json.loads(json.dumps(PLAN))
        changed["resources"][0]["inputs"] = {"x": 2}
        # a's inputs changed, and so did what b depends on
        assert side_by_side.compare_plans(PLAN, changed).startswith("DIFFERENT: 2 baseline resource(s)")

    def test_a_lost_dependency_is_a_difference(self):
        changed = json.loads(json.dumps(PLAN))
        changed["resources"][1]["dependencies"] = ["urn:component"]
        assert side_by_side.compare_plans(PLAN, changed).startswith("DIFFERENT: 1 baseline resource(s)")


class FakeRunner:
    """Answers each command with a run, and remembers the order of (tree, command). `exit_codes`:
    the exit code of each tree's checks."""

    def __init__(self, exit_codes: dict[str, int] | None = None):
        self.calls: list[tuple[str, str]] = []
        self.exit_codes = exit_codes or {}
        self.clock = 0.0

    def __call__(self, command, cwd: Path) -> Run:
        self.calls.append((cwd.name, command[3]))
        self.clock += 1.0
        seconds = 2.0 * self.clock if cwd.name == "baseline" else self.clock
        stdout = json.dumps(PLAN) if command[3] == "plan" else "{}"
        code = self.exit_codes.get(cwd.name, 0) if command[3] == "check" else 0
        return Run(seconds, 1024 * (2 if cwd.name == "baseline" else 1), code, stdout, "")


def two_trees(tmp_path) -> list[Tree]:
    return [Tree(label, tmp_path / label, tmp_path / label / "stacks") for label in ("baseline", "current")]


def test_measure_plans_checks_once_untimed_then_interleaves(tmp_path):
    runner = FakeRunner()
    [result] = side_by_side.measure("python", two_trees(tmp_path), [Case("prod", "prod", False)], 3, runner)
    assert runner.calls == [
        ("baseline", "plan"),
        ("current", "plan"),
        ("baseline", "check"),
        ("current", "check"),
        *[("baseline", "check"), ("current", "check")] * 3,
    ]
    assert len(result.timings["baseline"].seconds) == len(result.timings["current"].seconds) == 3
    assert result.resources == {"baseline": 3, "current": 3} and result.plans_agree == "same"
    assert result.ratio > 1 and result.paired_ratio > 1
    table = side_by_side.markdown_table([result], "639301d", 3)
    assert table.splitlines()[0].startswith("| stack | resources | 639301d | current | speed-up | paired |")
    assert "| prod | 3 |" in table and "medians of 3 interleaved runs" in table


def test_a_stack_that_fails_in_one_tree_stops_the_benchmark(tmp_path):
    runner = FakeRunner(exit_codes={"current": 1})
    with pytest.raises(SystemExit, match="must pass in both trees"):
        side_by_side.measure("python", two_trees(tmp_path), [Case("prod", "prod", False)], 3, runner)


def test_the_generated_stack_is_checked_from_each_trees_folder(tmp_path):
    tree = Tree("current", tmp_path, tmp_path / "stacks")
    command = side_by_side.check_command("python", tree, Case("300 instances", "bench300", True))
    assert command[:4] == ["python", "-m", "preflight", "check"]
    assert command[-4:] == ["--stacks-dir", str(tmp_path / "stacks"), "--policy-config", "policies/config/prod.json"]
    committed = side_by_side.check_command("python", tree, Case("prod", "prod", False))
    assert "--stacks-dir" not in committed and "--policy-config" not in committed


def test_a_run_reports_its_exit_code_output_and_peak_memory(tmp_path):
    run = side_by_side.run_once([sys.executable, "-c", "print('hello'); raise SystemExit(3)"], tmp_path)
    assert (run.exit_code, run.stdout) == (3, "hello\n")
    assert run.max_rss_kb > 1000 and run.seconds > 0


def test_a_run_does_not_see_the_benchmarks_pythonpath(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    run = side_by_side.run_once([sys.executable, "-c", "import os; print(os.environ.get('PYTHONPATH'))"], tmp_path)
    assert run.stdout == "None\n"


def test_a_commit_is_extracted_without_touching_the_repository(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)

    git("init", "-q")
    (repo / "file.txt").write_text("first\n")
    git("add", "file.txt")
    git("commit", "-q", "-m", "first")
    (repo / "file.txt").write_text("changed, not committed\n")
    into = tmp_path / "out"
    into.mkdir()
    side_by_side.extract_commit(repo, "HEAD", into)
    assert (into / "file.txt").read_text() == "first\n"
    assert (repo / "file.txt").read_text() == "changed, not committed\n"
    with pytest.raises(SystemExit, match="git archive no-such-ref failed"):
        side_by_side.extract_commit(repo, "no-such-ref", into)
