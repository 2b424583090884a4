"""Starts the acs-platform policy pack: `pulumi preview --policy-pack policies` runs this file."""

import sys
from pathlib import Path

# The pack runs from its own folder; its rules import the project's modules from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack  # noqa: E402

from policies.catalog import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(name=PACK_NAME, policies=POLICIES)
