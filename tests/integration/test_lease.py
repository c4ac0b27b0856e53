"""JobStore leases against the emulator: millisecond-exact, taken over only once lapsed."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from ytcaption import resources
from ytcaption.domain.errors import InvalidTransition
from ytcaption.domain.job import JobOptions, JobStatus
from ytcaption.store.jobs import JobStore

pytestmark = pytest.mark.integration


def _queued_job(store: JobStore) -> str:
    job_id = f"lease-{uuid.uuid4().hex[:10]}"
    store.create(job_id=job_id, tenant="tests", source={"type": "s3", "bucket": "b", "key": "k"}, options=JobOptions())
    store.transition(job_id, JobStatus.DOWNLOADING)
    store.transition(job_id, JobStatus.QUEUED)
    return job_id


def test_a_sub_second_lease_holds_then_lapses(runtime: Any) -> None:
    store = JobStore(resources.TABLE)
    job_id = _queued_job(store)
    # A lease long enough to hold through the next calls on a busy host, then a sub-second renewal that
    # must lapse: the wait is read from the stored lease, not assumed.
    first = store.claim(job_id, "worker-a", lease_seconds=10.5, time_limit_seconds=100)
    assert first.status == JobStatus.TRANSCRIBING and first.lease_owner == "worker-a"
    assert first.deadline_at == pytest.approx(time.time() + 100, abs=2)
    with pytest.raises(InvalidTransition):
        store.claim(job_id, "worker-b", lease_seconds=5)
    assert store.renew_lease(job_id, "worker-a", 0.6)
    assert not store.renew_lease(job_id, "worker-b", 0.6)
    renewed = store.get(job_id)
    assert renewed is not None and renewed.lease_until is not None
    assert renewed.lease_until != int(renewed.lease_until)  # not whole seconds
    assert renewed.lease_until < (first.lease_until or 0) - 5, "the renewal shortened the lease to 0.6 s"

    time.sleep(max(0.0, renewed.lease_until - time.time()) + 0.1)
    second = store.claim(job_id, "worker-b", lease_seconds=5, time_limit_seconds=1)
    assert second.lease_owner == "worker-b" and second.lost_workers == 1
    assert second.deadline_at == first.deadline_at, "a take-over keeps the job's time limit"
    assert not store.renew_lease(job_id, "worker-a", 5), "the lost worker learns it lost the job"
    assert [(c["worker"], c["how"]) for c in store.claims(job_id)] == [
        ("worker-a", "queued"),
        ("worker-b", "taken over"),
    ]


def test_a_handed_back_job_is_claimed_at_once_and_no_worker_counts_as_lost(runtime: Any) -> None:
    store = JobStore(resources.TABLE)
    job_id = _queued_job(store)
    store.claim(job_id, "worker-a", lease_seconds=60)
    store.release_lease(job_id, "worker-a")
    again = store.claim(job_id, "worker-b", lease_seconds=60)
    assert again.lease_owner == "worker-b" and again.lost_workers == 0
    assert store.claims(job_id)[-1]["how"] == "handed back"
