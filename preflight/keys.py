"""python -m preflight.keys status|due|rotate --stack STACK [--instance NAME] [--dry-run] [--format FORMAT]

status: for each instance that keeps a connection string, its rotation generation, the next due
        date and when the secret's key is regenerated.
due:    what the scheduled rotation (.github/workflows/rotate-keys.yml) runs today: the generation
        each instance that keeps keys has today, whether a new generation starts today, and the
        URNs of the key rotations and secrets to `pulumi up --target`. Computed offline from the
        stack file and the schedule, like `status`. Whether the deployed state is behind today's
        generation (a rotation is due) only the state knows, so the workflow always runs that
        targeted `pulumi up`: it changes nothing while the deployed generation is today's, and
        catches up after a missed day. `--format github` writes `key=value` lines for
        $GITHUB_OUTPUT (`rotate`, `starts-today`, `instances`, and `targets`, one URN a line).
rotate: "rotate now" for one instance, the way the stack records it: one more
        `acs-platform:keyRotation.extraRotations.<instance>`, then a `pulumi up` of the instance's
        key rotation and secret. The next generation regenerates the standby key (the one the
        secret does not hold) and moves the secret to it; the key apps hold keeps working until
        the generation after. `--dry-run` plans both sides offline and says what would change.

Exit codes: 0 done (for `due`, whether or not anything is to rotate); 1 the Pulumi CLI failed; 2 the
stack, the instance or the command line is wrong.
"""

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from components.credentials import secret_name
from preflight.plan import Plan, PlannedResource
from preflight.runner import plan_stack
from preflight.stack_yaml import StackFileError, edit_stack_file
from preflight.stacks import Project, load_project, load_stack_settings
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


GITHUB_DELIMITER = "ACS_PLATFORM_TARGETS_EOF"  # ends the multi-line `targets` value in $GITHUB_OUTPUT


@dataclass(frozen=True)
class Due:
    """What a scheduled rotation of one stack runs on one day."""

    stack: str
    today: date
    start: date
    period_days: int
    generations: dict[str, int]  # instance -> its generation today, "rotate now" included
    starts_today: bool  # a calendar generation starts today: the day a new key is due
    next_due: date  # the day the next calendar generation starts
    urns: list[str]  # each instance's key rotation, then its secret: what `pulumi up --target`s

    @property
    def rotate(self) -> bool:
        """Whether the stack has anything to rotate: an instance that keeps keys."""
        return bool(self.generations)


def _today() -> date:
    return datetime.now(UTC).date()


def _due_resources(plan: Plan, instance: str) -> tuple[PlannedResource, PlannedResource]:
    """The key rotation and the secret of one instance: the secret by its name, the rotation as the
    one the secret's value comes from (its dependency), so no other instance's can match."""
    secret = next(r for r in plan.of_type(SECRET) if r.inputs.get("secretName") == secret_name(instance))
    rotation = next(r for r in plan.of_type(KEY_ROTATION) if r.urn in secret.dependencies)
    return rotation, secret


def due(project: Project, stack: str, today: date) -> Due:
    """Today's rotation of `stack`, from its stack file, the schedule and the program planned offline."""
    config = _stack_config(project, stack)
    schedule = config.key_rotation.schedule
    calendar = schedule.generation(today)
    generations = config.key_generations(today)
    urns: list[str] = []
    if generations:
        plan = plan_stack(project, stack)
        for name in generations:
            urns.extend(resource.urn for resource in _due_resources(plan, name))
    return Due(
        stack=stack,
        today=today,
        start=schedule.start,
        period_days=schedule.period_days,
        generations=generations,
        starts_today=calendar >= 1 and schedule.due(calendar) == today,
        next_due=schedule.due(calendar + 1),
        urns=urns,
    )


def describe_due(report: Due) -> str:
    lines = [
        f"Key rotation of stack {report.stack!r} on {report.today}: every {report.period_days} days "
        f"from {report.start}; "
        + (
            f"a new generation starts today, the next on {report.next_due}."
            if report.starts_today
            else f"the next generation starts on {report.next_due}."
        )
    ]
    if not report.rotate:
        lines.append("  no instance allows local auth: there are no keys to rotate, nothing to run")
        return "\n".join(lines) + "\n"
    lines += [f"  {name}: generation {generation} today" for name, generation in report.generations.items()]
    targets = "".join(f" --target {shlex.quote(urn)}" for urn in report.urns)
    lines += [
        "Only the stack's state knows whether the deployed generation is behind today's, so every day run",
        f"  pulumi up --stack {report.stack} --yes --policy-pack policies "
        f"--policy-pack-config policies/config/{report.stack}.json{targets}",
        "It changes nothing while the deployed generation is today's; when it is behind, it regenerates",
        "the standby key and moves the secret to it.",
    ]
    return "\n".join(lines) + "\n"


def github_due(report: Due) -> str:
    """`key=value` lines for $GITHUB_OUTPUT; `targets` holds one URN a line."""
    lines = [
        f"stack={report.stack}",
        f"rotate={'true' if report.rotate else 'false'}",
        f"starts-today={'true' if report.starts_today else 'false'}",
        f"instances={' '.join(report.generations)}",
        f"targets<<{GITHUB_DELIMITER}",
        *report.urns,
        GITHUB_DELIMITER,
    ]
    return "\n".join(lines) + "\n"


def _rotation_resources(plan: Plan, instance: str) -> tuple[PlannedResource, PlannedResource]:
    # Each instance's AcsInstance component is named after it, and its key rotation `<instance>-keys`.
    rotation = next(r for r in plan.of_type(KEY_ROTATION) if r.name == f"{instance}-keys")
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
    before = plan_stack(project, stack)
    with tempfile.TemporaryDirectory() as scratch:
        # The stack file as `pulumi config set --path` leaves it: comments, quoting and order kept.
        edit_stack_file(
            project.stack_file(stack), Path(scratch) / f"Pulumi.{stack}.yaml", _record_rotation(instance, extra)
        )
        after = plan_stack(load_project(project.root, Path(scratch)), stack)
    (old_rotation, _), (new_rotation, new_secret) = (_rotation_resources(p, instance) for p in (before, after))
    return Rotation(
        instance=instance,
        generation=(old_rotation.inputs["generation"], new_rotation.inputs["generation"]),
        extra_rotations=extra,
        urns=[new_rotation.urn, new_secret.urn],
        expires=new_secret.inputs["properties"]["attributes"]["expires"],
    )


def _record_rotation(instance: str, extra: int):
    def record(config) -> None:
        key = next((k for k in ("acs-platform:keyRotation", "keyRotation") if k in config), "acs-platform:keyRotation")
        if not isinstance(config.get(key), dict):
            config[key] = {}
        if not isinstance(config[key].get("extraRotations"), dict):
            config[key]["extraRotations"] = {}
        config[key]["extraRotations"][instance] = extra

    return record


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
    parser = argparse.ArgumentParser(prog="python -m preflight.keys", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("status", "due", "rotate"):
        command = commands.add_parser(name)
        command.add_argument("--stack", required=True)
    commands.choices["due"].add_argument(
        "--format", choices=("text", "github"), default="text", help="github: key=value lines for $GITHUB_OUTPUT"
    )
    commands.choices["rotate"].add_argument("--instance", required=True, help="the ACS instance to rotate")
    commands.choices["rotate"].add_argument(
        "--dry-run", action="store_true", help="say what it would do, change nothing"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        project = load_project(PROJECT_ROOT)
        if args.command == "status":
            sys.stdout.write(status(project, args.stack))
            return 0
        if args.command == "due":
            report = due(project, args.stack, _today())
            sys.stdout.write(github_due(report) if args.format == "github" else describe_due(report))
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
