"""Worker liveness settings: the lease, the message's visibility and the take-over budget agree."""

from __future__ import annotations

from ytcaption import resources
from ytcaption.settings import Settings


def test_a_held_message_reappears_only_after_the_lease_lapsed() -> None:
    for heartbeat, margin in [(60, 5.0), (6, 2.0), (6, 0.5), (1, 0.1)]:
        s = Settings(heartbeat_seconds=heartbeat, lease_margin_seconds=margin)
        assert s.visibility_seconds >= heartbeat + margin
        assert s.visibility_seconds < heartbeat + margin + 1  # whole seconds, no more


def test_the_queue_default_visibility_is_the_workers() -> None:
    defaults = Settings(
        heartbeat_seconds=resources.HEARTBEAT_SECONDS, lease_margin_seconds=resources.LEASE_MARGIN_SECONDS
    )
    assert defaults.visibility_seconds == resources.QUEUE_VISIBILITY_SECONDS
    assert resources.QUEUE_VISIBILITY_SECONDS > resources.HEARTBEAT_SECONDS


def test_take_overs_back_off_and_fit_in_the_queues_receive_budget() -> None:
    s = Settings(heartbeat_seconds=60, lost_worker_backoff_max_seconds=900)
    waits = [s.lost_worker_backoff(k) for k in range(1, 8)]
    assert waits[0] == 0  # the first take-over: at once
    assert waits[1:4] == [60, 120, 240]
    assert max(waits) == 900
    # Each take-over costs at most two receives (one deferral for its backoff), plus the first receive:
    # the message is not dead-lettered before the workers' own budget decides.
    retries = Settings.model_fields["lost_worker_retries"].default
    assert 1 + 2 * retries < resources.QUEUE_MAX_RECEIVES
    assert retries >= 1  # a single crash never fails a job
