"""How long `preflight check` takes, and where the time goes.

For the dev and prod stacks and a generated stack of --instances ACS instances (100), it measures in one run:
- wall: `python -m preflight check --stack S --format json` as a fresh process, as CI runs it;
- program: running the Pulumi program under mocks (plan_stack), in-process;
- policies: starting the pack and evaluating every policy on the plan (analyze), in-process;
- floor: a fresh interpreter importing what those need and nothing else.
Each figure is the median of --repeat runs. Compare figures within one run: the machine is shared.

    .venv/bin/python bench/check_bench.py [--repeat 5] [--instances 100]

With --baseline [REF] (639301d), it times instead `preflight check` of the commit REF and of the
working tree side by side, as fresh processes, interleaved run by run, on prod and on a generated
stack of --instances (300) instances, with peak memory: bench/side_by_side.py.

    .venv/bin/python bench/check_bench.py --baseline [REF] [--repeat 5] [--instances 300]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import side_by_side  # noqa: E402

from preflight.analyzer import analyze  # noqa: E402
from preflight.policy_config import load_policy_config  # noqa: E402
from preflight.runner import plan_stack  # noqa: E402
from preflight.stacks import load_project  # noqa: E402
from tests.stacks import minimal_config, with_changes, write_stack  # noqa: E402

# Everything the program, the pack and preflight import, and nothing of their own.
FLOOR_IMPORTS = (
    "import pulumi, pulumi_policy, pydantic, yaml, jsonschema, grpc, azure.identity; "
    "import azure.mgmt.communication, azure.communication.phonenumbers; "
    "import pulumi_azure_native.communication, pulumi_azure_native.monitor, "
    "pulumi_azure_native.operationalinsights, pulumi_azure_native.authorization, pulumi_azure_native.resources, "
    "pulumi_azure_native.keyvault, pulumi_azure_native.eventgrid, pulumi_azure_native.storage, pulumi_azure_native.dns"
)


def generated_stack(directory: Path, instances: int, stack: str = "bench100") -> Path:
    """A prod stack of `instances` ACS instances, half of them in each data location: its file."""
    generated = [
        {"name": f"acs-bench-{i:03d}", "dataLocation": "Europe" if i % 2 else "United States"} for i in range(instances)
    ]
    return write_stack(directory, stack, with_changes(minimal_config("prod"), instances=generated))


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(repeat: int, action) -> float:
    return statistics.median(timed(action) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--instances", type=int, help="instances of the generated stack (100; 300 with --baseline)")
    parser.add_argument(
        "--baseline",
        nargs="?",
        const=side_by_side.DEFAULT_BASELINE,
        metavar="REF",
        help=f"time this commit and the working tree side by side (REF: {side_by_side.DEFAULT_BASELINE})",
    )
    parser.add_argument(
        "--current", type=Path, help="with --baseline: the tree to compare with it (default: the working tree)"
    )
    args = parser.parse_args()
    if args.baseline:
        side_by_side.main(ROOT, args.baseline, args.instances or 300, args.repeat, generated_stack, args.current)
        return
    breakdown(args.repeat, args.instances or 100)


def breakdown(repeat: int, instances: int) -> None:
    policy_config = ROOT / "policies" / "config" / "prod.json"
    generated = f"bench{instances}"
    with tempfile.TemporaryDirectory() as scratch:
        generated_stack(Path(scratch), instances, generated)
        cases = {"dev": (None, ROOT / "policies" / "config" / "dev.json"), "prod": (None, policy_config)}
        cases[generated] = (Path(scratch), policy_config)
        floor = median(repeat, lambda: subprocess.run([sys.executable, "-c", FLOOR_IMPORTS], check=True))
        print(f"floor (fresh interpreter, imports only): {floor:.2f} s   repeat={repeat}")
        print(f"{'stack':<10}{'resources':>10}{'wall s':>9}{'program s':>11}{'policies s':>12}{'ms/resource':>13}")
        for stack, (stacks_dir, config_path) in cases.items():
            project = load_project(ROOT, stacks_dir)
            command = [sys.executable, "-m", "preflight", "check", "--stack", stack, "--format", "json"]
            command += ["--policy-config", str(config_path)]
            if stacks_dir:
                command += ["--stacks-dir", str(stacks_dir)]
            wall = median(repeat, lambda c=command: subprocess.run(c, cwd=ROOT, capture_output=True, check=False))
            plan = plan_stack(project, stack)
            program = median(repeat, lambda p=project, s=stack: plan_stack(p, s))
            settings = load_policy_config(config_path)
            policies = median(repeat, lambda p=plan, c=settings, f=config_path: analyze(p, c, f))
            count = len(plan.resources)
            print(
                f"{stack:<10}{count:>10}{wall:>9.2f}{program:>11.2f}{policies:>12.2f}"
                f"{1000 * (program + policies) / count:>13.1f}"
            )


if __name__ == "__main__":
    main()
