"""Deployed resources keep their URNs: a URN is how Pulumi knows a resource it manages, and one that
disappears from the program is deleted while its successor is created.

tests/urns/<stack>.txt lists the URNs the committed stacks plan. A change that renames or moves a
resource must keep its old URN with `pulumi.ResourceOptions(aliases=[...])` (then drop the old URN
from the list, since the plan shows the new one) — never just change it."""

from pathlib import Path

import pytest

URNS = Path(__file__).resolve().parent / "urns"


def missing_urns(expected: list[str], planned: set[str]) -> list[str]:
    return [urn for urn in expected if urn not in planned]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_listed_urn_is_still_planned(stack, request):
    plan = request.getfixturevalue(f"{stack}_plan")
    expected = (URNS / f"{stack}.txt").read_text().split()
    missing = missing_urns(expected, {r.urn for r in plan.resources})
    assert not missing, (
        f"{len(missing)} URN(s) of stack {stack} are gone from its plan; a deployed resource would be replaced. "
        "Keep each with an alias (ResourceOptions(aliases=[...])) and update tests/urns/. Gone: " + ", ".join(missing)
    )


def test_a_renamed_resource_is_reported():
    """The check fails on a plan in which one resource was renamed, naming the old URN."""
    expected = (URNS / "dev.txt").read_text().split()
    renamed = set(expected[1:]) | {expected[0] + "-renamed"}
    assert missing_urns(expected, renamed) == [expected[0]]
