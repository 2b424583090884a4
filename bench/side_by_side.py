"""`preflight check` of two commits of the project, timed side by side in one run.

The baseline commit is extracted with `git archive` into a temporary folder (the working tree, its
index and its worktrees are left alone). Each run is `python -m preflight check --stack S --format
json` as a fresh process, with the same Python, from each tree's own folder, so each tree runs its
own program, preflight and policy pack. Runs alternate between the trees (baseline, current,
baseline, current, ...) so that whatever else the machine does slows both alike; each figure is the
median of `repeat` runs, after one untimed run per tree that checks the stack is valid for both
(exit 0) and compiles each tree's bytecode.

The generated stack of N instances is written once and copied, byte for byte the same file, into
the baseline's folder (bench-stacks/) and, for the working tree, a scratch folder (nothing is written
into the working tree); each tree checks it with its own policies/config/prod.json. Before timing,
each tree plans each stack once: the table says whether the two plans create the same Azure
resources with the same inputs and dependencies, URNs and components aside.

Peak memory is the max RSS that wait4() reports for the run: the larger of the preflight process
and the policy pack process it started and waited for (Linux's rule for a child's rusage).
"""

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BASELINE = "639301d"
POLICY_CONFIG = "policies/config/prod.json"  # relative to each tree: its own prod gate
STACKS_FOLDER = "bench-stacks"  # in each tree's folder, for the generated stack


@dataclass(frozen=True)
class Tree:
    label: str  # "baseline" or "current"
    root: Path
    stacks_dir: Path  # where the generated stack is, in the tree's folder


@dataclass(frozen=True)
class Case:
    label: str  # as the table shows it
    stack: str
    generated: bool  # the generated stack (in each tree's stacks_dir), else a committed stack


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_kb: int
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    max_rss_kb: list[int] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.seconds.append(run.seconds)
        self.max_rss_kb.append(run.max_rss_kb)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mb(self) -> float:
        return max(self.max_rss_kb) / 1024


@dataclass
class CaseResult:
    case: Case
    resources: dict[str, int]  # tree label -> resources in its plan
    timings: dict[str, Timings]  # tree label -> its runs
    plans_agree: str  # what comparing the two plans (URNs aside) found

    @property
    def ratio(self) -> float:
        """Baseline time over current time: how many times faster the current tree is."""
        return self.timings["baseline"].median / self.timings["current"].median

    @property
    def paired_ratio(self) -> float:
        """The median of each baseline run's time over the current run after it: the machine's load
        changes slowly, so each pair ran under about the same."""
        pairs = zip(self.timings["baseline"].seconds, self.timings["current"].seconds, strict=True)
        return statistics.median(before / after for before, after in pairs)


def extract_commit(repo: Path, ref: str, into: Path) -> Path:
    """The files of `ref` in `repo`, written under `into` (which must exist), read-only for the repo."""
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", ref], capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"git archive {ref} failed: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def commit_id(repo: Path, ref: str) -> str:
    found = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", f"{ref}^{{commit}}"], capture_output=True, text=True
    )
    return found.stdout.strip() or ref


def child_env() -> dict[str, str]:
    """The environment of every run: nothing that would make one tree import the other's modules."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


def run_once(command: Sequence[str], cwd: Path) -> Run:
    """One fresh process: wall time from start to exit, and the max RSS of its rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=out, stderr=err, env=child_env())
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds, usage.ru_maxrss, process.returncode, out.read().decode(errors="replace"), err.read().decode()
        )


def check_command(python: str, tree: Tree, case: Case) -> list[str]:
    command = [python, "-m", "preflight", "check", "--stack", case.stack, "--format", "json"]
    if case.generated:
        command += ["--stacks-dir", str(tree.stacks_dir), "--policy-config", POLICY_CONFIG]
    return command


def plan_command(python: str, tree: Tree, case: Case) -> list[str]:
    command = [python, "-m", "preflight", "plan", "--stack", case.stack, "--format", "json"]
    if case.generated:
        command += ["--stacks-dir", str(tree.stacks_dir)]
    return command


def interleaved(trees: Sequence[Tree], repeat: int) -> Iterator[Tree]:
    """The order of the timed runs: one of each tree in turn, `repeat` times (A B A B ...)."""
    for _ in range(repeat):
        yield from trees


def plan_digest(plan: dict[str, Any]) -> Counter:
    """What a plan creates, URNs aside: each Azure resource (custom) as its type, inputs and what it
    depends on, those named the same way. Components, and the names and parents that make URNs,
    may change without changing the digest."""
    resources = plan["resources"]
    custom = {r["urn"]: r for r in resources if r["custom"]}

    def key(resource: dict[str, Any]) -> str:
        return json.dumps([resource["type"], resource["inputs"]], sort_keys=True)

    keys = {urn: key(r) for urn, r in custom.items()}

    def sources(urns: list[str]) -> list[str]:
        return sorted(keys[u] for u in urns if u in keys)

    digest: Counter = Counter()
    for urn, resource in custom.items():
        properties = {k: sources(v) for k, v in resource["propertyDependencies"].items()}
        facts = [keys[urn], sources(resource["dependencies"]), properties, resource["protect"]]
        facts += [resource["provider"] is not None, resource["retainOnDelete"], resource["replaceOnChanges"]]
        digest[json.dumps(facts, sort_keys=True)] += 1
    return digest


def compare_plans(baseline: dict[str, Any], current: dict[str, Any]) -> str:
    before, after = plan_digest(baseline), plan_digest(current)
    if before == after:
        return "same"
    gone, new = sum((before - after).values()), sum((after - before).values())
    return f"DIFFERENT: {gone} baseline resource(s) not in current, {new} current resource(s) not in baseline"


def _first_run(python: str, tree: Tree, case: Case, runner: Callable[[Sequence[str], Path], Run]) -> None:
    run = runner(check_command(python, tree, case), tree.root)
    if run.exit_code != 0:
        raise SystemExit(
            f"{tree.label} tree ({tree.root}): check of {case.stack} exited {run.exit_code}; "
            f"a benchmark stack must pass in both trees.\n{run.stderr[-4000:]}"
        )


def _plan(python: str, tree: Tree, case: Case, runner: Callable[[Sequence[str], Path], Run]) -> dict[str, Any]:
    run = runner(plan_command(python, tree, case), tree.root)
    if run.exit_code != 0:
        raise SystemExit(f"{tree.label} tree: plan of {case.stack} exited {run.exit_code}\n{run.stderr[-4000:]}")
    return json.loads(run.stdout)


def measure(
    python: str,
    trees: Sequence[Tree],
    cases: Sequence[Case],
    repeat: int,
    runner: Callable[[Sequence[str], Path], Run] = run_once,
    progress: Callable[[str], None] = lambda _: None,
) -> list[CaseResult]:
    results = []
    for case in cases:
        plans = {tree.label: _plan(python, tree, case, runner) for tree in trees}
        for tree in trees:
            _first_run(python, tree, case, runner)  # untimed: valid in both trees, bytecode compiled
        timings = {tree.label: Timings() for tree in trees}
        for tree in interleaved(trees, repeat):
            run = runner(check_command(python, tree, case), tree.root)
            if run.exit_code != 0:
                raise SystemExit(f"{tree.label} tree: check of {case.stack} exited {run.exit_code}\n{run.stderr}")
            timings[tree.label].add(run)
            progress(f"{case.label:<14} {tree.label:<9} {run.seconds:6.2f} s  {run.max_rss_kb / 1024:6.0f} MB")
        results.append(
            CaseResult(
                case,
                {label: len(plan["resources"]) for label, plan in plans.items()},
                timings,
                compare_plans(plans["baseline"], plans["current"]),
            )
        )
    return results


def markdown_table(results: Sequence[CaseResult], baseline: str, repeat: int) -> str:
    lines = [
        f"| stack | resources | {baseline} | current | speed-up | paired | peak RSS {baseline} | peak RSS current "
        "| plans |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        before, after = result.timings["baseline"], result.timings["current"]
        counted = " → ".join(dict.fromkeys(str(result.resources[label]) for label in ("baseline", "current")))
        lines.append(
            f"| {result.case.label} | {counted} | {before.median:.2f} s | {after.median:.2f} s | "
            f"{result.ratio:.2f}x | {result.paired_ratio:.2f}x | {before.peak_mb:.0f} MB | {after.peak_mb:.0f} MB | "
            f"{result.plans_agree} |"
        )
    lines.append("")
    lines.append(
        f"`preflight check --format json`, fresh process, medians of {repeat} interleaved runs; speed-up is "
        f"{baseline}'s median / current's median, paired the median of {baseline} / current over each pair of "
        "runs; peak RSS is the largest of the runs (preflight or its policy pack, whichever is larger)."
    )
    return "\n".join(lines) + "\n"


@contextmanager
def trees_to_compare(repo: Path, ref: str, current: Path) -> Iterator[tuple[Tree, Tree, Path]]:
    """(baseline, current, scratch): the baseline extracted into a scratch folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="preflight-bench-") as scratch:
        base_root = extract_commit(repo, ref, Path(scratch) / "baseline")  # type: ignore[arg-type]
        current_stacks = Path(scratch) / "current-stacks"
        yield (
            Tree("baseline", base_root, base_root / STACKS_FOLDER),
            Tree("current", current, current_stacks),
            Path(scratch),
        )


def place_generated_stack(trees: Sequence[Tree], write: Callable[[Path], Path]) -> None:
    """The same generated stack file in each tree's folder: written once, copied byte for byte."""
    written: Path | None = None
    for tree in trees:
        tree.stacks_dir.mkdir(parents=True, exist_ok=True)
        if written is None:
            written = write(tree.stacks_dir)
        else:
            shutil.copyfile(written, tree.stacks_dir / written.name)
        assert (tree.stacks_dir / written.name).read_bytes() == written.read_bytes()


def main(
    repo: Path,
    ref: str,
    instances: int,
    repeat: int,
    write_generated: Callable[[Path, int, str], Path],
    current: Path | None = None,
    stacks: Sequence[str] = ("prod",),
) -> str:
    python = sys.executable
    current = (current or repo).resolve()
    baseline = commit_id(repo, ref)
    generated = f"bench{instances}"
    cases = [Case(stack, stack, False) for stack in stacks] + [Case(f"{instances} instances", generated, True)]
    with trees_to_compare(repo, ref, current) as (base_tree, current_tree, _):
        trees = (base_tree, current_tree)
        place_generated_stack(trees, lambda folder: write_generated(folder, instances, generated))
        print(f"baseline {baseline} in {base_tree.root}; current {current}; python {python}; repeat {repeat}")
        started = time.perf_counter()
        results = measure(python, trees, cases, repeat, progress=lambda line: print(line, flush=True))
        print(f"measured in {time.perf_counter() - started:.0f} s\n")
    table = markdown_table(results, baseline, repeat)
    print(table)
    return table
