"""`python -m preflight adopt`: a stack file for the ACS resources a resource group already has.

It reads the group with read-only calls (`read`), describes what it found as a stack's configuration
(`stack_file`), marks every resource it describes to be adopted (`acs-platform:adopt`), plans that stack
offline to be sure it plans and to say what the first `pulumi up` will do, and only then writes the file.
Nothing in Azure is changed, and an existing stack file is kept unless `--force` says otherwise.
"""

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from io import StringIO
from pathlib import Path

from preflight.plan import Plan
from preflight.runner import plan_stack
from preflight.stack_yaml import round_trip
from preflight.stacks import load_project
from stackconfig.errors import NAMESPACE

from .inventory import Inventory
from .stack_file import AdoptError, Adoption, StackOptions, build

__all__ = ["AdoptError", "StackOptions", "adopt"]


def _header(subscription: str, group: str, stack: str) -> str:
    return (
        f"# Written by `python -m preflight adopt --subscription {subscription} --resource-group {group} "
        f"--stack {stack}`:\n"
        f"# the ACS resources of {group} as they are. `{NAMESPACE}:adopt` lists the resources the first `pulumi up`\n"
        "# imports instead of creating; remove it after that up (docs/adoption.md). Settings not given here\n"
        "# take the tier's defaults (docs/configuration.md).\n"
    )


def stack_file_text(adoption: Adoption, subscription: str, group: str, stack: str) -> str:
    """The stack file, as YAML 1.2 the Pulumi CLI reads: the header, then `config`."""
    out = StringIO()
    round_trip().dump({"config": adoption.config}, out)
    return _header(subscription, group, stack) + out.getvalue()


def first_up(plan: Plan, adoption: Adoption) -> list[str]:
    """What the first `pulumi up` of the written stack does, from its plan."""
    imported = [r for r in plan.resources if r.custom and r.import_id]
    created = Counter(r.type.rsplit(":", 1)[-1] for r in plan.resources if r.custom and not r.import_id)
    bought = sum(
        int(r.inputs.get("quantity", 0)) - len(r.inputs.get("adoptNumbers") or [])
        for r in plan.resources
        if r.type.endswith("numberpools:PhoneNumberPool")
    )
    lines = [
        f"imports {len(imported)} resources as they are (the ids in {NAMESPACE}:adopt); their tags (and a system "
        "topic's identity) stay as they are until the next up",
        f"takes {adoption.numbers} phone numbers into pools and buys {bought or 'none'}",
        ("creates " + ", ".join(f"{n} {kind}" for kind, n in sorted(created.items())))
        if created
        else "creates nothing",
        f"then: remove {NAMESPACE}:adopt; the next up sets the stack's tags (and a system topic's identity) on what "
        "it adopted, and changes nothing else of it",
    ]
    return lines


def adopt(
    inventory: Inventory,
    options: StackOptions,
    project_dir: Path,
    target: Path,
    stack: str,
    *,
    force: bool = False,
    echo: Callable[[str], None] = print,
) -> Adoption:
    """Writes the stack file for `inventory` to `target` (`Pulumi.<stack>.yaml`), once it plans. Raises
    AdoptError when there is nothing to adopt, the file exists (without `force`) or what it would write does
    not plan (ConfigError and the program's errors pass through)."""
    if target.exists() and not force:
        raise AdoptError(f"{target} exists already; adopt writes a new stack file (--force replaces it)")
    adoption = build(inventory, options)
    text = stack_file_text(adoption, inventory.subscription_id, inventory.resource_group, stack)
    with tempfile.TemporaryDirectory(prefix="adopt-") as scratch:
        (Path(scratch) / target.name).write_text(text, encoding="utf-8")
        plan = plan_stack(load_project(project_dir, Path(scratch)), stack)
    # Written whole or not at all: an interrupted run leaves no half stack file behind.
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)

    echo(
        f"Read the resource group {inventory.resource_group} (subscription {inventory.subscription_id}, "
        f"{inventory.location}), with read-only calls:"
    )
    echo("".join(f"  {line}\n" for line in adoption.found).rstrip("\n"))
    echo(f"\nWrote {target}: {len(adoption.adopted)} resources to adopt.")
    if adoption.left_alone:
        echo("\nNot written (left as it is; the stack does not manage it):")
        echo("\n".join(f"  - {line}" for line in adoption.left_alone))
    echo("\nThe first `pulumi up`:")
    echo("\n".join(f"  - {line}" for line in first_up(plan, adoption)))
    return adoption
