"""python -m preflight plan|check|cost --stack STACK [--format FORMAT] [--out FILE] [--report FORMAT=FILE ...]
   python -m preflight adopt --subscription ID --resource-group NAME --stack STACK [--tier TIER] [--force] ...

plan:  what the stack would create, from the real program under Pulumi's mocks.
check: the plan judged by the policy pack, through its own analyzer, as `pulumi preview
       --policy-pack policies --policy-pack-config policies/config/STACK.json` would judge it;
       --report writes the same verdict in more formats, from the one run. SARIF names the stack
       file relative to the repository root: --repo-root, else the git top-level of the project.
cost:  the monthly cost estimate of the stack, from its plan and its expectedMonthlyUsage, priced
       with the policy pack's dated table (docs/cost.md).
adopt: a new stack file for the ACS resources a resource group already has, read with read-only Azure
       calls, each marked to be imported by the first `pulumi up` (docs/adoption.md).

Exit codes: 0 done (check: no mandatory violation); 1 check found a mandatory violation, Azure refused
a read (adopt), or the program failed for another reason (its traceback is printed: a bug to fix); 2 the
configuration, a stack file, the policy config or the command line is wrong.
"""

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from policies.cost_model import PriceTableError
from stackconfig import ConfigError
from stackconfig.loader import validate_stack_config
from stackconfig.tiers import TIERS

from . import cost, render
from .analyzer import PACK_DIR, Analysis, CheckResult, PackProcess, PolicyPackError
from .policy_config import PolicyConfigError, load_policy_config
from .report import render_json, render_text
from .report_markdown import render_markdown
from .report_sarif import SarifLocationError, artifact_uri, render_sarif, repository_root
from .runner import plan_stack
from .stacks import Project, StackFileError, StackSettings, check_stack_name, load_project, load_stack_settings

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
PROJECT_ROOT = Path(__file__).resolve().parent.parent
POLICY_CONFIG_DIR = PACK_DIR / "config"
CHECK_FORMATS = ("text", "json", "sarif", "markdown")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, formats, summary in (
        ("plan", ("text", "json"), "show what a stack would create, offline"),
        ("check", CHECK_FORMATS, "check a stack's plan against the policy pack, offline"),
        ("cost", tuple(cost.RENDERERS), "estimate a stack's monthly cost, offline"),
    ):
        command = commands.add_parser(name, help=summary)
        command.add_argument("--stack", required=True, help="the stack: Pulumi.<stack>.yaml")
        command.add_argument("--format", choices=formats, default="text")
        command.add_argument("--out", type=Path, help="write to this file instead of stdout")
        command.add_argument(
            "--stacks-dir", type=Path, help="where the Pulumi.<stack>.yaml files are (default: the project)"
        )
        command.add_argument(
            "--project-dir", type=Path, default=PROJECT_ROOT, help="the Pulumi project (default: this one)"
        )
    adopt = commands.add_parser("adopt", help="write a stack file that adopts a resource group's ACS resources")
    adopt.add_argument("--subscription", required=True, help="the subscription id of the resource group")
    adopt.add_argument("--resource-group", required=True, help="the resource group holding the ACS resources")
    adopt.add_argument("--stack", required=True, help="the stack to write: Pulumi.<stack>.yaml, new")
    adopt.add_argument("--tier", choices=tuple(TIERS), default="dev", help="the stack's tier (default: dev)")
    adopt.add_argument(
        "--tenant-id",
        default=os.environ.get("AZURE_TENANT_ID") or os.environ.get("ARM_TENANT_ID"),
        help="the Entra ID tenant of the stack's Key Vault (default: AZURE_TENANT_ID, else ARM_TENANT_ID)",
    )
    adopt.add_argument("--owner", help="the owner tag (default: the resource group's owner tag)")
    adopt.add_argument("--cost-center", help="the cost-center tag (default: the resource group's cost-center tag)")
    adopt.add_argument("--force", action="store_true", help="replace the stack file if it exists")
    adopt.add_argument("--stacks-dir", type=Path, help="where to write Pulumi.<stack>.yaml (default: the project)")
    adopt.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="the Pulumi project (default: this one)")
    check = commands.choices["check"]
    check.add_argument(
        "--policy-config", type=Path, help="the policy config file (default: policies/config/<stack>.json)"
    )
    check.add_argument(
        "--repo-root",
        type=Path,
        help="the repository root SARIF locations are relative to (default: the project's git top-level, "
        "else the project)",
    )
    check.add_argument(
        "--report",
        type=_report,
        action="append",
        default=[],
        metavar="FORMAT=FILE",
        help=f"also write the verdict as FORMAT ({', '.join(CHECK_FORMATS)}) to FILE; repeatable",
    )
    return parser


def _report(value: str) -> tuple[str, Path]:
    check_format, _, file = value.partition("=")
    if check_format not in CHECK_FORMATS or not file:
        raise argparse.ArgumentTypeError(f"{value!r}: expected FORMAT=FILE, FORMAT one of {', '.join(CHECK_FORMATS)}")
    return check_format, Path(file)


def _repo_root(project: Project, args: argparse.Namespace) -> Path:
    if args.repo_root is None:
        return repository_root(project.root)
    return args.repo_root.resolve()


class UsageError(Exception):
    """The command line names something that cannot be used; the message says which option and why."""


def _output_file(option: str, file: Path) -> None:
    if file.is_dir():
        raise UsageError(f"{option}: is a folder; give a file name")
    if not file.parent.is_dir():
        raise UsageError(f"{option}: no folder {file.parent} to write it in; create it first")


def check_command_line(args: argparse.Namespace) -> None:
    """Everything the command line names, checked before any work is done."""
    project_dir = args.project_dir
    if not project_dir.is_dir():
        raise UsageError(f"--project-dir {project_dir}: no such folder")
    for needed in ("Pulumi.yaml", "__main__.py"):
        if not (project_dir / needed).is_file():
            raise UsageError(f"--project-dir {project_dir}: no {needed} in it; it is not a Pulumi Python project")
    if args.stacks_dir is not None and not args.stacks_dir.is_dir():
        raise UsageError(f"--stacks-dir {args.stacks_dir}: no such folder")
    try:
        check_stack_name(args.stack)
    except StackFileError as exc:
        raise UsageError(str(exc)) from None
    outputs = [(f"--out {args.out}", args.out)] if args.out else []
    outputs += [(f"--report {check_format}={file}", file) for check_format, file in getattr(args, "report", [])]
    written: dict[Path, str] = {}
    for option, file in outputs:
        _output_file(option, file)
        same = written.setdefault(file.resolve(), option)
        if same != option:
            raise UsageError(f"{option} and {same} name the same file: each output needs its own")
    if getattr(args, "repo_root", None) is not None and not args.repo_root.is_dir():
        raise UsageError(f"--repo-root {args.repo_root}: no such folder")
    policy_config = getattr(args, "policy_config", None)
    if policy_config is not None and policy_config.is_dir():
        raise UsageError(f"--policy-config {policy_config}: is a folder, not a file")


def _check(
    project: Project, args: argparse.Namespace, settings: StackSettings, pack: PackProcess
) -> tuple[CheckResult, str]:
    """The plan of the stack, judged by the pack (already starting) as the program registers each
    resource. Errors are reported in the order of the steps: the program's first (an unknown stack,
    a configuration error), then a stack file SARIF cannot locate, then the policy config, then the pack."""
    config_path = args.policy_config or POLICY_CONFIG_DIR / f"{args.stack}.json"
    config_error: PolicyConfigError | None = None
    analysis: Analysis | None = None
    try:
        analysis = Analysis(pack, load_policy_config(config_path), config_path)
    except PolicyConfigError as exc:
        config_error = exc  # reported after the plan, as any problem of the policy config
    try:
        plan = plan_stack(project, args.stack, settings, on_resource=analysis.submit if analysis else None)
        stack_file, repo_root = project.stack_file(args.stack), _repo_root(project, args)
        if "sarif" in {args.format, *(f for f, _ in args.report)}:
            artifact_uri(stack_file, repo_root)  # a stack file SARIF cannot locate fails before the analysis
        if config_error is not None:
            raise config_error
        assert analysis is not None
        result = analysis.finish(plan)
    finally:
        if analysis is not None:
            analysis.close()
    renderers = {
        "text": render_text,
        "json": render_json,
        "markdown": render_markdown,
        "sarif": lambda r: render_sarif(r, stack_file, repo_root),
    }
    for check_format, file in args.report:
        file.write_text(renderers[check_format](result), encoding="utf-8")
    return result, renderers[args.format](result)


def _adopt(args: argparse.Namespace, read: Callable[..., Any] | None = None) -> int:
    """`adopt`: reads the group (`read`, for tests: read_inventory's signature), writes the stack file."""
    from providers.credential import provider_credential

    from .adopt import AdoptError, StackOptions, adopt
    from .adopt.read import AdoptReadError, read_inventory

    try:
        if args.stacks_dir is not None and not args.stacks_dir.is_dir():
            raise UsageError(f"--stacks-dir {args.stacks_dir}: no such folder")
        check_stack_name(args.stack)
        project = load_project(args.project_dir.resolve(), args.stacks_dir)
        target = project.stack_file(args.stack)
        if target.exists() and not args.force:
            raise UsageError(f"{target} exists already: adopt writes a new stack file (--force replaces it)")
        inventory = (read or read_inventory)(args.subscription, args.resource_group, provider_credential())
        options = StackOptions(args.tier, args.tenant_id, args.owner, args.cost_center)
        adopt(inventory, options, project.root, target, args.stack, force=args.force)
    except (UsageError, StackFileError, AdoptError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AdoptReadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: list[str] | None = None, read: Callable[..., Any] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "adopt":
        return _adopt(args, read)
    code = EXIT_OK
    pack: PackProcess | None = None
    try:
        check_command_line(args)
        project = load_project(args.project_dir.resolve(), args.stacks_dir)
        settings = load_stack_settings(project, args.stack)  # a stack file that cannot be read, before any work
        if args.command == "check":
            # Started now, the pack's interpreter and imports overlap the plan; ended on every path.
            pack = PackProcess(PACK_DIR, project.name, args.stack)
            result, text = _check(project, args, settings, pack)
            code = EXIT_FAILED if result.mandatory else EXIT_OK
        elif args.command == "cost":
            plan = plan_stack(project, args.stack, settings)  # validates the configuration first
            config = validate_stack_config(args.stack, settings.values, frozenset(settings.secret_keys))
            text = cost.RENDERERS[args.format](cost.estimate(plan, config))
        else:
            plan = plan_stack(project, args.stack, settings)
            text = render.render_json(plan) if args.format == "json" else render.render_tree(plan)
    except (UsageError, StackFileError, ConfigError, PolicyConfigError, SarifLocationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except PriceTableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except PolicyPackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if pack is not None:
            pack.close()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return code


def exit_now(code: int) -> None:
    """Ends the process with `code` once its output is flushed, without tearing down the plan's
    objects one by one: nearly a second for a stack of 300 instances. Nothing preflight or the
    program holds needs finalizing: the pack is ended and every output file closed by then."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


if __name__ == "__main__":
    exit_now(main())
