"""Priority queues: high first, and low never starved."""

from __future__ import annotations

from ytcaption.worker.queues import PollOrder


def test_high_first_and_every_nth_take_starts_at_low() -> None:
    order = PollOrder(fairness_every=4)
    seen = []
    for _ in range(8):
        seen.append(order.next()[0])
        order.took()
    assert seen == ["high", "high", "high", "low", "high", "high", "high", "low"]


def test_the_order_only_moves_on_a_take() -> None:
    order = PollOrder(fairness_every=2)
    assert order.next()[0] == "high" and order.next()[0] == "high"
    order.took()
    assert order.next() == ("low", "normal", "high")


def test_fairness_of_one_is_strict_priority() -> None:
    order = PollOrder(fairness_every=1)
    for _ in range(3):
        assert order.next() == ("high", "normal", "low")
        order.took()
