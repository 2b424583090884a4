"""What a component pattern costs under preflight's mocks, per instance: time and event-loop callbacks.

Each pattern is run N times (300) in one program through preflight's own runner, a few rounds,
and compared with a plain resource, so that a change to components/ can be weighed before it is made:

    .venv/bin/python bench/component_patterns.py [N] [ROUNDS]
"""

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi  # noqa: E402
import pulumi_azure_native.authorization as authorization  # noqa: E402

from preflight.runner import record_preview  # noqa: E402

SCOPE = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"
TAGS = {f"key{i}": f"value{i}" for i in range(6)}


def lock(i: object, scope: pulumi.Input[str] = SCOPE, **options) -> authorization.ManagementLockByScope:
    """A cheap Azure resource with plain inputs."""
    return authorization.ManagementLockByScope(
        f"lock-{i}", lock_name=f"l{i}", level="CanNotDelete", scope=scope, **options
    )


class Component(pulumi.ComponentResource):
    def __init__(self, name: str, outputs: Callable[[pulumi.Resource], dict] | None = None):
        super().__init__("bench:index:Component", name, None, None)
        self.child = lock(name, opts=pulumi.ResourceOptions(parent=self))
        if outputs is not None:
            self.register_outputs(outputs(self.child))


def name_after(resource: pulumi.Resource, name: str) -> pulumi.Output[str]:
    return resource.urn.apply(lambda _: name)  # as components/__init__.py


def with_parent(i: int, child: Callable[[pulumi.CustomResource], object]) -> object:
    return child(lock(f"parent-{i}"))


PATTERNS: dict[str, Callable[[int], object]] = {
    "plain resource": lambda i: lock(i),
    "+ tags merged into a dict for an input": lambda i: lock(i, notes=",".join({**TAGS, "x": "y"})),
    "a resource and its parent": lambda i: with_parent(i, lambda p: lock(i)),
    "... + parent.id as an input": lambda i: with_parent(i, lambda p: lock(i, scope=p.id)),
    "... + name_after(parent) as an input": lambda i: with_parent(i, lambda p: lock(i, scope=name_after(p, SCOPE))),
    "... + depends_on=[parent]": lambda i: with_parent(
        i, lambda p: lock(i, opts=pulumi.ResourceOptions(depends_on=[p]))
    ),
    "... + Output.from_input(id).apply(f)": lambda i: with_parent(
        i, lambda p: lock(i, scope=pulumi.Output.from_input(p.id).apply(lambda s: s + "/x"))
    ),
    "... + Output.all(id, urn).apply(f)": lambda i: with_parent(
        i, lambda p: lock(i, scope=pulumi.Output.all(p.id, p.urn).apply(lambda v: v[0]))
    ),
    "a component and its child": lambda i: Component(f"c{i}"),
    "... + register_outputs({})": lambda i: Component(f"c{i}", lambda child: {}),
    "... + register_outputs(7 outputs)": lambda i: Component(
        f"c{i}", lambda child: {f"o{k}": child.id for k in range(7)}
    ),
    "plain resource + an Output.from_input(str)": lambda i: (lock(i), pulumi.Output.from_input(f"name-{i}")),
}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    callbacks = [0]
    run_handle = asyncio.events.Handle._run

    def counted(handle: asyncio.events.Handle) -> None:
        callbacks[0] += 1
        run_handle(handle)

    asyncio.events.Handle._run = counted  # type: ignore[method-assign]
    results: dict[str, list[tuple[float, int, int]]] = {label: [] for label in PATTERNS}
    for _ in range(rounds):
        for label, make in PATTERNS.items():
            callbacks[0] = 0
            start = time.perf_counter()
            monitor = record_preview(lambda make=make: [make(i) for i in range(count)], "bench", "bench")
            results[label].append((time.perf_counter() - start, callbacks[0], len(monitor.registrations) - 1))
    print(f"{count} instances of each, median of {rounds} rounds; per instance:")
    print(f"{'pattern':<46}{'ms':>8}{'callbacks':>11}{'resources':>11}")
    for label, runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        calls = statistics.median(r[1] for r in runs)
        print(f"{label:<46}{1000 * seconds / count:>8.2f}{calls / count:>11.1f}{runs[0][2] / count:>11.0f}")


if __name__ == "__main__":
    main()
