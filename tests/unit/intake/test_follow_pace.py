"""intake.submit.pace: how long a client following a job waits before looking again."""

from __future__ import annotations

import pytest

from ytcaption.domain.job import Job, JobStatus
from ytcaption.domain.options import JobOptions
from ytcaption.intake.submit import MAX_FOLLOW_INTERVAL, pace


def _job(eta: float | None, status: JobStatus = JobStatus.TRANSCRIBING) -> Job:
    return Job(job_id="j", tenant="t", status=status, source={}, options=JobOptions(), created_at="x", eta_seconds=eta)


@pytest.mark.parametrize(
    ("eta", "expected"),
    [
        (None, 0.25),  # no ETA yet (queued, downloading, the first tenth): the usual interval
        (0.0, 0.25),  # done any moment
        (0.6, 0.25),  # a quarter of it is under the interval
        (2.0, 0.5),  # a quarter of the ETA
        (6.0, MAX_FOLLOW_INTERVAL),  # never more than a second apart
        (3600.0, MAX_FOLLOW_INTERVAL),
    ],
)
def test_a_job_with_time_to_go_is_looked_at_less_often(eta: float | None, expected: float) -> None:
    assert pace(_job(eta), 0.25) == expected


def test_a_job_not_found_yet_is_looked_at_every_interval() -> None:
    assert pace(None, 0.2) == 0.2
