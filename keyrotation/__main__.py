"""python -m keyrotation status|rotate --stack STACK [--instance NAME] [--dry-run]

status: for each instance that keeps a connection string, its rotation generation, the next due
        date and when the secret's key is regenerated.
rotate: "rotate now" for one instance, the way the stack records it: one more
        `acs-platform:keyRotation.extraRotations.<instance>`, then a `pulumi up` of the instance's
        key rotation and secret. The next generation regenerates the standby key (the one the
        secret does not hold) and moves the secret to it; the key apps hold keeps working until
        the generation after. `--dry-run` plans both sides offline and says what would change.

Exit codes: 0 done; 1 the Pulumi CLI failed; 2 the stack, the instance or the command line is wrong.
"""

import argparse
import copy
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from components.credentials import secret_name
from preflight.plan import Plan, PlannedResource
from preflight.runner import plan_stack
from preflight.stacks import Project, StackFileError, load_project, load_stack_settings
from stackconfig import ConfigError, StackConfig
from stackconfig.loader import validate_stack_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KEY_ROTATION = "pulumi-python:dynamic/keyrotation:AcsKeyRotation"
SECRET = "azure-native:keyvault:Secret"
EXTRA_ROTATIONS = "acs-platform:keyRotation.extraRotations"


class RotationError(Exception):
    """The rotation cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class Rotation:
    instance: str
    generation: tuple[int, int]  # before, after
    extra_rotations: int  # after
    urns: list[str]  # the key rotation and the secret: what `pulumi up` is limited to
    expires: int


def _stack_config(project: Project, stack: str) -> StackConfig:
    settings = load_stack_settings(project, stack)
    return validate_stack_config(stack, settings.values, frozenset(settings.secret_keys))


def _date(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).date().isoformat()


def status(project: Project, stack: str) -> str:
    config = _stack_config(project, stack)
    today = datetime.now(UTC).date()
    schedule = config.key_rotation.schedule
    calendar = schedule.generation(today)
    lines = [f"Key rotation of stack {stack!r}: every {schedule.period_days} days from {schedule.start}"]
    generations = config.key_generations(today)
    for name, generation in generations.items():
        extra = config.key_rotation.extra_rotations.get(name, 0)
        lines.append(
            f"  {name}: generation {generation} ({extra} rotated now), secret "
            f"{secret_name(name)} expires {_date(schedule.expires(calendar))}, "
            f"next rotation {schedule.due(calendar + 1)}"
        )
    if not generations:
        lines.append("  no instance allows local auth: there are no keys in use to rotate")
    return "\n".join(lines) + "\n"


def _rotation_resources(plan: Plan, instance: str) -> tuple[PlannedResource, PlannedResource]:
    rotation = next(r for r in plan.of_type(KEY_ROTATION) if r.name.endswith(f"-{instance}-keys"))
    secret = next(r for r in plan.of_type(SECRET) if r.inputs.get("secretName") == secret_name(instance))
    return rotation, secret


def plan_rotation(project: Project, stack: str, instance: str) -> Rotation:
    """Both sides of a rotation, from the real program planned offline before and after."""
    config = _stack_config(project, stack)
    if instance not in [i.name for i in config.instances]:
        raise RotationError(
            f"stack {stack!r} has no instance {instance!r}; instances: " + ", ".join(i.name for i in config.instances)
        )
    if next(i for i in config.instances if i.name == instance).disable_local_auth:
        raise RotationError(f"{instance} has local auth disabled: it has no keys in use to rotate")
    extra = config.key_rotation.extra_rotations.get(instance, 0) + 1
    document = yaml.safe_load(project.stack_file(stack).read_text(encoding="utf-8"))
    changed = copy.deepcopy(document)
    rotation_config = changed["config"].setdefault("acs-platform:keyRotation", {})
    rotation_config.setdefault("extraRotations", {})[instance] = extra
    before = plan_stack(project, stack)
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(changed), encoding="utf-8")
        after = plan_stack(load_project(project.root, Path(scratch)), stack)
    (old_rotation, _), (new_rotation, new_secret) = (_rotation_resources(p, instance) for p in (before, after))
    return Rotation(
        instance=instance,
        generation=(old_rotation.inputs["generation"], new_rotation.inputs["generation"]),
        extra_rotations=extra,
        urns=[new_rotation.urn, new_secret.urn],
        expires=new_secret.inputs["properties"]["attributes"]["expires"],
    )


def _commands(stack: str, rotation: Rotation) -> list[list[str]]:
    key = f'{EXTRA_ROTATIONS}["{rotation.instance}"]'
    targets = [argument for urn in rotation.urns for argument in ("--target", urn)]
    return [
        ["pulumi", "config", "set", "--path", key, str(rotation.extra_rotations), "--stack", stack],
        ["pulumi", "up", "--stack", stack, "--yes", *targets],
    ]


def describe(stack: str, rotation: Rotation) -> str:
    before, after = rotation.generation
    lines = [
        f"Rotating {rotation.instance} in stack {stack!r}: generation {before} -> {after}.",
        "  1. regenerate the standby key (the one the secret does not hold) of the ACS resource;",
        f"  2. move secret {secret_name(rotation.instance)} to it; its expiry stays {_date(rotation.expires)};",
        "  3. the key apps hold now keeps working until the next rotation.",
        "Commands:",
        *("  " + shlex.join(command) for command in _commands(stack, rotation)),
    ]
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m keyrotation", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("status", "rotate"):
        command = commands.add_parser(name)
        command.add_argument("--stack", required=True)
    commands.choices["rotate"].add_argument("--instance", required=True, help="the ACS instance to rotate")
    commands.choices["rotate"].add_argument(
        "--dry-run", action="store_true", help="say what it would do, change nothing"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project = load_project(PROJECT_ROOT)
    try:
        if args.command == "status":
            sys.stdout.write(status(project, args.stack))
            return 0
        rotation = plan_rotation(project, args.stack, args.instance)
    except (StackFileError, ConfigError, RotationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(("Dry run. " if args.dry_run else "") + describe(args.stack, rotation))
    if args.dry_run:
        return 0
    if shutil.which("pulumi") is None:
        print("error: the Pulumi CLI is needed to apply a rotation; --dry-run shows what it would do", file=sys.stderr)
        return 2
    for command in _commands(args.stack, rotation):
        if subprocess.run(command, cwd=project.root, check=False).returncode != 0:
            print(f"error: {' '.join(command[:3])} failed; nothing after it ran", file=sys.stderr)
            return 1
    print(f"Commit Pulumi.{args.stack}.yaml: it records the rotation, so the next deployment keeps it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
