"""When ACS keys rotate: generations of a fixed period, counted from a start date (UTC)."""

import datetime as dt
from dataclasses import dataclass

KEY_TYPES = ("Primary", "Secondary")


@dataclass(frozen=True)
class RotationSchedule:
    """Generation g starts on `start + g * period_days`. Each move to a later generation regenerates
    the standby key and puts it in the secret, leaving the previous key valid until the move after,
    so a connection string written in calendar generation g works until g + 2 starts. A first
    deployment starts with the key `active_key(g)`; from then on the keys alternate."""

    start: dt.date
    period_days: int

    def __post_init__(self) -> None:
        # A datetime is a date too, but subtracting it from a date fails only later, in generation().
        if isinstance(self.start, dt.datetime) or not isinstance(self.start, dt.date):
            raise TypeError(f"start must be a date, not {type(self.start).__name__}: {self.start!r}")
        if isinstance(self.period_days, bool) or not isinstance(self.period_days, int) or self.period_days < 1:
            raise ValueError(f"period_days must be a whole number of days, at least 1: {self.period_days!r}")

    def generation(self, today: dt.date, extra_rotations: int = 0) -> int:
        """The generation on `today` (UTC), plus manual "rotate now" bumps. Before the start date it is 0."""
        if extra_rotations < 0:
            # Going back a generation would make a key current again that may already have been replaced.
            raise ValueError(f"extra_rotations cannot be negative: {extra_rotations}")
        return max(0, (today - self.start).days // self.period_days) + extra_rotations

    @staticmethod
    def active_key(generation: int) -> str:
        """The key a first deployment at `generation` puts in the secret."""
        return KEY_TYPES[generation % 2]

    def due(self, generation: int) -> dt.date:
        """The day `generation` starts, by the calendar."""
        return self.start + dt.timedelta(days=generation * self.period_days)

    def expires(self, generation: int) -> int:
        """Unix seconds when a secret written at `generation` stops being valid: 00:00 UTC on the day
        generation + 2 starts, when its key is regenerated in turn. Fit for Key Vault's `expires`."""
        midnight = dt.datetime.combine(self.due(generation + 2), dt.time(0), tzinfo=dt.UTC)
        return int(midnight.timestamp())
