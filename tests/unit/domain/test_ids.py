"""Every job id has one shape, whichever way it was minted."""

from __future__ import annotations

import re

from ytcaption.domain import ids

JOB_ID = re.compile(r"job-[0-9a-f]{24}")


def test_every_scheme_makes_the_same_shape() -> None:
    made = [ids.new_job_id(), ids.idempotent_job_id("acme", "k1"), ids.upload_job_id("b", "uploads/acme/u/a.mp3", "e")]
    assert all(JOB_ID.fullmatch(job_id) for job_id in made), made


def test_derived_ids_are_stable_and_scoped() -> None:
    assert ids.idempotent_job_id("acme", "k1") == ids.idempotent_job_id("acme", "k1")
    assert ids.idempotent_job_id("acme", "k1") != ids.idempotent_job_id("globex", "k1")
    assert ids.new_job_id() != ids.new_job_id()


def test_upload_ids_and_redrive_names() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", ids.new_upload_id())
    assert ids.redrive_execution_name("job-1", 2) == "job-1-r2"
