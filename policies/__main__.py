"""Starts the acs-platform policy pack: `pulumi preview --policy-pack policies`, `pulumi policy publish`
and Pulumi Cloud's enforcement of the published pack run this file, and so does `preflight check`.

The pack is self-contained: this folder is all `pulumi policy publish` uploads, and a published pack
is unpacked under a folder of Pulumi's choosing (~/.pulumi/policies/<org>/pulumi-analyzer-<name>-v<version>),
with no repository around it and a virtualenv made from this folder's requirements.txt alone.

So the rules are one package, this folder: they import each other relatively (`from .support import
...`) and nothing from outside it. In the repository it is importable as `policies` (tests, and
stackconfig, which reads the Azure facts it shares with the pack from policies/shared_facts.py).
Run as a pack, the folder's parent is not on the path and its name is not `policies`, so this file
imports the folder by its path, under the name `policies`: the same modules under the same names in
the repository, in preflight and in a published pack, whatever the folder is called.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

from pulumi_policy import PolicyPack

PACKAGE = "policies"
FOLDER = Path(__file__).resolve().parent


def import_pack_package(name: str = PACKAGE, folder: Path = FOLDER):
    """The package in `folder`, imported under `name` from its path."""
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the policy pack's package from {folder}")
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


import_pack_package()
catalog = importlib.import_module(f"{PACKAGE}.catalog")
importlib.import_module(f"{PACKAGE}.fast_analysis").install()

PolicyPack(name=catalog.PACK_NAME, policies=catalog.POLICIES)
