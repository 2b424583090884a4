"""Injected time for the providers' tests: waiting costs nothing, and the clock moves by exactly what
was waited, so a `Retry-After: 3600` is free while deadlines behave as they would in reality."""

# 2026-11-30T00:00:00Z: the wall clock's reading at the fake's start.
EPOCH = 1_795_996_800.0


class FakeClock:
    def __init__(self, start: float = 1_000.0):
        self.start = self.now = start
        self.slept: list[float] = []  # every wait, in order

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return EPOCH + self.now - self.start

    def advance(self, seconds: float) -> None:
        """Time passes between two runs of the provider, as between two `pulumi up`s."""
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    @property
    def waited(self) -> float:
        return sum(self.slept)
