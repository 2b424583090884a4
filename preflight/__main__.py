"""python -m preflight plan --stack STACK [--format text|json] [--out FILE]

Exit codes: 0 the plan was made; 2 the configuration or the command line is wrong; 1 the
program failed for another reason (its traceback is printed: that is a bug to fix).
"""

import argparse
import sys
from pathlib import Path

from stackconfig import ConfigError

from .render import render_json, render_tree
from .runner import plan_stack
from .stacks import StackFileError, load_project

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="show what a stack would create, offline")
    plan.add_argument("--stack", required=True, help="the stack: Pulumi.<stack>.yaml")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.add_argument("--out", type=Path, help="write the plan to this file instead of stdout")
    plan.add_argument("--stacks-dir", type=Path, help="where the Pulumi.<stack>.yaml files are (default: the project)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        plan = plan_stack(load_project(PROJECT_ROOT, args.stacks_dir), args.stack)
    except (StackFileError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    text = render_json(plan) if args.format == "json" else render_tree(plan)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
