"""Which priority queue a worker looks at first.

One queue per priority (high, normal, low). A worker takes from the highest
queue that has work, except that every `fairness_every`-th take starts at the
lowest: while workers are saturated with high and normal work, low work still
gets at least one take in `fairness_every`, so it is never starved.
"""

from __future__ import annotations

from ytcaption.domain.vocabulary import Priority

PRIORITIES: tuple[Priority, ...] = ("high", "normal", "low")


class PollOrder:
    def __init__(self, fairness_every: int) -> None:
        self.fairness_every = max(1, fairness_every)
        self.takes = 0

    def next(self) -> tuple[Priority, ...]:
        """The order in which to look at the queues for the next take."""
        if self.fairness_every > 1 and (self.takes + 1) % self.fairness_every == 0:
            return tuple(reversed(PRIORITIES))
        return PRIORITIES

    def took(self) -> None:
        self.takes += 1
