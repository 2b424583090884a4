"""The Pulumi project on disk: its name, its stacks, and a stack's configuration as the CLI passes it.

The stack files themselves are read as the Pulumi CLI reads them: `preflight.stack_yaml`.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from .stack_yaml import SECRET_PLACEHOLDER, StackFileError, as_cli_value, contains_secure, read_yaml

# Re-exported: what the rest of the project reads of stack files comes from here.
__all__ = ["SECRET_PLACEHOLDER", "Project", "StackFileError", "StackSettings", "as_cli_value", "load_project"]

# Pulumi's rule for stack names (sdk/go/common/tokens/stack_name.go, ParseStackName).
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")
STACK_NAME_MAX = 100
STACK_NAME_RULE = "Pulumi allows only letters, digits, '-', '_' and '.', 1 to 100 characters"


@dataclass(frozen=True)
class Project:
    root: Path  # where Pulumi.yaml and the program are
    name: str
    stacks_dir: Path  # where the Pulumi.<stack>.yaml files are: the root, or a folder of test stacks

    @property
    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in self.stacks_dir.glob("Pulumi.*.yaml"))

    def stack_file(self, stack: str) -> Path:
        return self.stacks_dir / f"Pulumi.{stack}.yaml"


@dataclass(frozen=True)
class StackSettings:
    """A stack's configuration as the Pulumi CLI hands it to the program."""

    values: dict[str, str]
    secret_keys: list[str]


def check_stack_name(stack: str) -> None:
    """Refuses a stack name the Pulumi CLI itself refuses."""
    if not stack or len(stack) > STACK_NAME_MAX or not STACK_NAME.fullmatch(stack):
        raise StackFileError(f"stack name {stack!r}: {STACK_NAME_RULE}")


def load_project(root: Path, stacks_dir: Path | None = None) -> Project:
    if not root.is_dir():
        raise StackFileError(f"{root}: no such folder: the project folder must hold Pulumi.yaml and __main__.py")
    if not (root / "Pulumi.yaml").is_file():
        raise StackFileError(f"{root}: no Pulumi.yaml: not a Pulumi project")
    manifest = read_yaml(root / "Pulumi.yaml")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("name"), str):
        raise StackFileError(f"{root / 'Pulumi.yaml'}: needs a 'name'")
    if not (root / "__main__.py").is_file():
        raise StackFileError(f"{root}: no __main__.py: the project has no Python program to plan")
    if stacks_dir is not None and not stacks_dir.is_dir():
        raise StackFileError(f"{stacks_dir}: no such folder of stack files")
    return Project(root=root, name=manifest["name"], stacks_dir=stacks_dir or root)


def load_stack_settings(project: Project, stack: str) -> StackSettings:
    check_stack_name(stack)
    if stack not in project.stacks:
        present = ", ".join(project.stacks) or "none"
        raise StackFileError(f"unknown stack {stack!r}; stacks in {project.stacks_dir}: {present}")
    path = project.stack_file(stack)
    document = read_yaml(path)
    if document is None:
        return StackSettings(values={}, secret_keys=[])
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else f"the scalar {as_cli_value(document)!r}"
        raise StackFileError(f"{path}: a stack file must be a mapping (with a 'config' key), not {kind}")
    config = document.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: 'config' must be a mapping of keys to values")
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        # A key without a namespace belongs to the project, as in the CLI.
        full_key = key if ":" in key else f"{project.name}:{key}"
        if full_key in values:
            raise StackFileError(f"{path}: config key {full_key!r} is given twice (with and without its namespace)")
        try:
            values[full_key] = as_cli_value(value)
        except ValueError as exc:
            raise StackFileError(f"{path}: {full_key}: {exc}") from None
        if contains_secure(value):
            # Pulumi marks the whole key secret when its object holds a secure value (object.Secure()).
            secret_keys.append(full_key)
    return StackSettings(values=values, secret_keys=secret_keys)
