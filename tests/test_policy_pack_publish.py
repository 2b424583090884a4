"""The policy pack is publishable: `pulumi policy publish` uploads policies/ alone, and Pulumi runs the
published pack from that folder, under a name of its own, in a virtualenv made from the folder's
requirements.txt alone.

The test does what publishing and installing do: it copies the folder as `pulumi policy publish`
uploads it (without what its .gitignore leaves out: the venv link, bytecode) into a folder with
another name, creates the virtualenv PulumiPolicy.yaml names there from the pack's requirements.txt
(`python -m venv`, `pip install -r`: from PyPI through pip's cache, once per session), and starts the
pack as the Pulumi CLI starts a Python policy pack: `<venv>/bin/python -u -m pulumi.policy <engine>
<folder>` in that folder. preflight's way (`python -u __main__.py`) is checked on the same copy. A copy
whose rules import from the repository does not start, and the test says so.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2_grpc

from policies.catalog import PACK_NAME, POLICIES
from tests.stacks import REPO

PACK = REPO / "policies"
START_SECONDS = 60
# The Pulumi CLI passes its engine's address first; pulumi.policy reads it and a pack has no use for it.
ENGINE = "127.0.0.1:0"


class PackDidNotStart(Exception):
    """The pack exited, or printed no port: its stderr says why."""


def isolated_env() -> dict[str, str]:
    """The environment without anything that would put the repository (or this venv) on the path."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}


def publish_excludes(pack: Path = PACK) -> list[str]:
    """The names the pack's .gitignore leaves out of what `pulumi policy publish` uploads."""
    lines = (pack / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#")]


def published_copy(dest: Path) -> Path:
    """policies/ as `pulumi policy publish` uploads it, under another folder name."""
    shutil.copytree(PACK, dest, ignore=shutil.ignore_patterns(*publish_excludes()))
    return dest


def virtualenv_option(pack: Path) -> str:
    return yaml.safe_load((pack / "PulumiPolicy.yaml").read_text(encoding="utf-8"))["runtime"]["options"]["virtualenv"]


@contextmanager
def started(command: list[str], pack: Path) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack started with `command` in its folder, as an Analyzer stub; PackDidNotStart if it fails."""
    process = subprocess.Popen(
        command, cwd=pack, env=isolated_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline().strip() if process.stdout else ""
        if not line.isdigit():
            process.kill()
            raise PackDidNotStart(f"{' '.join(command)} in {pack} did not start:\n{process.communicate()[1]}")
        with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
            grpc.channel_ready_future(channel).result(timeout=START_SECONDS)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.communicate()


def as_pulumi_runs_it(python: Path, pack: Path) -> list[str]:
    """The command of the Python language host's RunPlugin for a policy pack (pulumi 3.2xx)."""
    return [str(python), "-u", "-m", "pulumi.policy", ENGINE, str(pack)]


def as_preflight_runs_it(python: Path, pack: Path) -> list[str]:
    """The command of preflight/analyzer.py's running_pack."""
    return [str(python), "-u", str(pack / "__main__.py")]


def analyzer_info(command: list[str], pack: Path) -> tuple[str, list[str]]:
    """The pack's name and its policies' names, as GetAnalyzerInfo gives them."""
    with started(command, pack) as analyzer:
        info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    return info.name, sorted(p.name for p in info.policies)


def sources(pack: Path) -> list[Path]:
    """The pack's Python files, as published (no virtualenv, no bytecode)."""
    excluded = set(publish_excludes())
    return [p for p in pack.rglob("*.py") if not excluded & set(p.relative_to(pack).parts)]


def absolute_imports(pack: Path) -> set[str]:
    """Every module the pack's files import absolutely, at the top or inside a function."""
    modules: set[str] = set()
    for path in sources(pack):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module)
    return modules


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> tuple[Path, Path]:
    """(the published copy, its virtualenv's python), made from the pack's own requirements.txt."""
    pack = published_copy(tmp_path_factory.mktemp("published") / "pulumi-analyzer-acs-platform-v0.1.0")
    venv = pack / virtualenv_option(pack)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=isolated_env())
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "requirements.txt"],
        cwd=pack,
        check=True,
        env=isolated_env(),
    )
    return pack, python


def test_publishing_leaves_the_venv_out_and_a_published_pack_makes_its_own():
    excluded = publish_excludes()
    assert {"venv", "__pycache__"} <= set(excluded)
    assert virtualenv_option(PACK) == "venv", "a published pack's virtualenv must be its own, inside its folder"
    link = PACK / "venv"
    assert not link.exists() or link.resolve() == (REPO / ".venv").resolve(), "policies/venv is the project's .venv"
    assert {p.name for p in sources(PACK)} >= {"__main__.py", "catalog.py", "shared_facts.py"}


@pytest.mark.parametrize("launch", [as_pulumi_runs_it, as_preflight_runs_it], ids=["pulumi", "preflight"])
def test_the_published_pack_starts_alone_and_lists_every_policy(published, launch):
    pack, python = published
    name, policies = analyzer_info(launch(python, pack), pack)
    assert name == PACK_NAME
    assert policies == sorted(p.name for p in POLICIES)


def test_everything_the_pack_imports_is_in_its_folder_or_its_requirements(published):
    pack, python = published
    modules = sorted(absolute_imports(PACK))
    # In a neutral folder, so that only the virtualenv answers (not the pack's own modules).
    check = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    result = subprocess.run(
        [str(python), "-c", check, *modules], cwd=pack.parent, env=isolated_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_a_pack_that_imports_from_the_repository_does_not_start(published, tmp_path):
    _, python = published
    leaky = published_copy(tmp_path / "leaky-pack")
    (leaky / "leaky.py").write_text("from stackconfig.azure_rules import DATA_LOCATIONS  # noqa: F401\n")
    catalog = leaky / "catalog.py"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\nfrom . import leaky  # noqa: E402, F401\n")
    with pytest.raises(PackDidNotStart, match="No module named 'stackconfig'"):
        analyzer_info(as_pulumi_runs_it(python, leaky), leaky)
    assert "stackconfig.azure_rules" in absolute_imports(leaky)


PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)\s*(?:\\|$)")
HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


def locked(path: Path) -> dict[str, tuple[str, set[str]]]:
    """name -> (version, hashes) of a pip-compile lock file."""
    pins: dict[str, tuple[str, set[str]]] = {}
    name = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            pins[name] = (match.group(2), set())
        if name is not None:
            pins[name][1].update(HASH.findall(line))
    return pins


def test_every_pin_of_the_pack_is_the_root_locks_pin():
    pack, root = locked(PACK / "requirements.txt"), locked(REPO / "requirements.txt")
    assert {"pulumi", "pulumi-policy", "pyyaml", "azure-communication-phonenumbers", "azure-identity"} <= set(pack)
    for name, (version, hashes) in pack.items():
        assert name in root, f"{name} is pinned in policies/requirements.txt but not in requirements.txt"
        assert version == root[name][0], (
            f"{name}: policies/requirements.txt has {version}, requirements.txt {root[name][0]}"
        )
        assert hashes and hashes <= root[name][1], f"{name}: hashes missing or not the root lock's"
