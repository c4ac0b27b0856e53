"""ytcaption.local.statemachine and the real ASL definition statemachines/transcription.asl.json."""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from tests import paths
from ytcaption import resources
from ytcaption.domain.job import ALLOWED_FROM, JobStatus
from ytcaption.local.statemachine import load, placeholders, substitute
from ytcaption.store.keys import event_sk

VALUES = resources.asl_placeholders(
    region="us-east-1",
    account="123456789012",
    queue_url="http://q",
    high_queue_url="http://qh",
    low_queue_url="http://ql",
)
RAW = paths.ASL_PATH.read_text()


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return load(paths.ASL_PATH, VALUES)


@pytest.fixture(scope="module")
def states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return definition["States"]


def targets(state: dict[str, Any]) -> list[str]:
    """Every state name a state can go to next."""
    found = []
    if "Next" in state:
        found.append(state["Next"])
    if "Default" in state:
        found.append(state["Default"])
    found += [choice["Next"] for choice in state.get("Choices", [])]
    found += [catch["Next"] for catch in state.get("Catch", [])]
    return found


# -- placeholders and substitution ----------------------------------------------


def test_placeholders_in_a_string() -> None:
    text = '{"a": "${One}", "b": "${Two_2}${One}", "c": "$One", "d": "${bad-name}", "e": "{}"}'
    assert placeholders(text) == {"One", "Two_2"}


def test_placeholders_of_the_asl_match_the_values_exactly() -> None:
    assert placeholders(RAW) == set(VALUES)


def test_asl_placeholder_values() -> None:
    assert VALUES == {
        "JobsTable": "ytcaption-jobs",
        "TranscribeQueueUrl": "http://q",
        "TranscribeHighQueueUrl": "http://qh",
        "TranscribeLowQueueUrl": "http://ql",
        "FetchAudioFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ytcaption-fetch-audio",
        "RecordFailureFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ytcaption-record-failure",
        "NotifyFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ytcaption-notify",
        "PickLaneFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ytcaption-pick-lane",
        "FastLaneFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:ytcaption-fast-lane",
    }


def test_substitute_replaces_every_occurrence() -> None:
    assert substitute("${A}-${B}-${A}", {"A": "x", "B": "y", "Unused": "z"}) == "x-y-x"


def test_substitute_does_not_resubstitute_values() -> None:
    assert substitute("${A}", {"A": "${B}", "B": "no"}) == "${B}"


def test_substitute_raises_on_a_missing_value() -> None:
    with pytest.raises(KeyError, match="B, C"):
        substitute("${A} ${C} ${B}", {"A": "x"})


@pytest.mark.parametrize("missing", sorted(VALUES))
def test_substitute_of_the_asl_raises_without_each_value(missing: str) -> None:
    values = {k: v for k, v in VALUES.items() if k != missing}
    with pytest.raises(KeyError, match=missing):
        substitute(RAW, values)


def test_load_gives_json_without_placeholders(definition: dict[str, Any]) -> None:
    text = json.dumps(definition)
    assert "${" not in text
    assert definition["StartAt"] == "FetchOrResume"
    assert definition["States"]["FetchOrResume"]["Default"] == "FetchAudio"
    fetch = definition["States"]["FetchAudio"]
    assert fetch["Parameters"]["FunctionName"] == VALUES["FetchAudioFunctionArn"]
    queues = {definition["States"][f"{p}PriorityQueue"]["Parameters"]["url"] for p in ("High", "Normal", "Low")}
    assert queues == {"http://q", "http://qh", "http://ql"}


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "sm.json"
    path.write_text('{"StartAt": "${First}", "States": {}}')
    assert load(path, {"First": "Go"}) == {"StartAt": "Go", "States": {}}
    with pytest.raises(KeyError):
        load(path, {})


# -- graph ------------------------------------------------------------------------


def test_start_at_exists(definition: dict[str, Any], states: dict[str, dict[str, Any]]) -> None:
    assert definition["StartAt"] in states


def test_every_target_exists(states: dict[str, dict[str, Any]]) -> None:
    dangling = {(name, t) for name, state in states.items() for t in targets(state) if t not in states}
    assert dangling == set()


def test_every_state_is_reachable(definition: dict[str, Any], states: dict[str, dict[str, Any]]) -> None:
    seen = {definition["StartAt"]}
    todo = deque(seen)
    while todo:
        for t in targets(states[todo.popleft()]):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    assert set(states) - seen == set()


def test_non_terminal_states_have_a_next(states: dict[str, dict[str, Any]]) -> None:
    for name, state in states.items():
        if state["Type"] in {"Succeed", "Fail"}:
            assert "Next" not in state, name
        elif state["Type"] != "Choice":
            assert "Next" in state or state.get("End") is True, name


def test_terminal_states(states: dict[str, dict[str, Any]]) -> None:
    assert {n for n, s in states.items() if s["Type"] == "Succeed"} == {"Done"}
    assert {n for n, s in states.items() if s["Type"] == "Fail"} == {"JobFailed", "JobCancelled"}
    assert states["JobCancelled"]["Error"] == "Cancelled"


TASKS = [name for name, state in json.loads(RAW)["States"].items() if state["Type"] == "Task"]
NOTIFY_STEPS = {"NotifyCompletion", "NotifyFailure", "NotifyCancellation"}


def test_the_task_list() -> None:
    assert set(TASKS) == {
        "FetchAudio",
        "PickLane",
        "FastTranscribe",
        "Transcribe",
        "MarkCompleted",
        "RecordCompletedEvent",
        "NotifyCompletion",
        "RecordFailure",
        "RecordFailureFallback",
        "NotifyFailure",
        "NotifyCancellation",
    }


@pytest.mark.parametrize("name", TASKS)
def test_every_task_catches_or_is_a_notify_step(name: str, states: dict[str, dict[str, Any]]) -> None:
    state = states[name]
    if name in NOTIFY_STEPS:
        assert state["Parameters"]["FunctionName"] == VALUES["NotifyFunctionArn"]
        return
    assert state.get("Catch"), f"{name} has no Catch"


def test_notify_steps_swallow_their_errors(states: dict[str, dict[str, Any]]) -> None:
    # A notification that cannot be sent never changes the job's outcome: each one
    # catches States.ALL and goes on to the same place as on success.
    for name in NOTIFY_STEPS:
        state = states[name]
        catches = [c for c in state["Catch"] if "States.ALL" in c["ErrorEquals"]]
        assert len(catches) == 1, name
        assert catches[0]["Next"] == state["Next"], name
        assert catches[0]["ResultPath"] != "$.error", name


def test_catch_all_is_the_last_catcher(states: dict[str, dict[str, Any]]) -> None:
    # States.ALL must be alone and last in its catcher (ASL rule), else the catchers after it are dead.
    for name, state in states.items():
        catches = state.get("Catch", [])
        for i, catch in enumerate(catches):
            if "States.ALL" in catch["ErrorEquals"]:
                assert catch["ErrorEquals"] == ["States.ALL"], name
                assert i == len(catches) - 1, name


def test_failures_end_in_record_failure(states: dict[str, dict[str, Any]]) -> None:
    for name in ("FetchAudio", "Transcribe", "MarkCompleted"):
        catch_all = [c for c in states[name]["Catch"] if c["ErrorEquals"] == ["States.ALL"]]
        assert catch_all and catch_all[0]["Next"] == "RecordFailure", name
        assert catch_all[0]["ResultPath"] == "$.error", name
    assert states["RecordFailure"]["Parameters"]["Payload"]["error.$"] == "$.error"
    assert states["RecordFailure"]["Next"] == "NotifyFailure"


def test_transcribe_cancellation_goes_to_notify_cancellation(states: dict[str, dict[str, Any]]) -> None:
    catches = states["Transcribe"]["Catch"]
    assert catches[0] == {"ErrorEquals": ["Cancelled"], "ResultPath": "$.error", "Next": "NotifyCancellation"}
    assert states["NotifyCancellation"]["Next"] == "JobCancelled"


# -- MarkCompleted and RecordCompletedEvent mirror the job store ------------------


def test_mark_completed_allows_exactly_the_statuses_the_job_table_allows(states: dict[str, dict[str, Any]]) -> None:
    params = states["MarkCompleted"]["Parameters"]
    condition = params["ConditionExpression"]
    match = re.search(r"#status IN \(([^)]*)\)", condition)
    assert match, condition
    names = [n.strip() for n in match.group(1).split(",")]
    assert all(re.fullmatch(r":a\d+", n) for n in names), names
    values = params["ExpressionAttributeValues"]
    allowed = {values[n]["S"] for n in names}
    assert allowed == {s.value for s in ALLOWED_FROM[JobStatus.COMPLETED]}
    # Every :aN value in the table is used by the condition.
    assert {k for k in values if re.fullmatch(r":a\d+", k)} == set(names)
    assert "attribute_exists(pk)" in condition
    assert params["ExpressionAttributeNames"] == {"#status": "status"}


def test_mark_completed_writes_completed_and_drops_the_lease(states: dict[str, dict[str, Any]]) -> None:
    state = states["MarkCompleted"]
    params = state["Parameters"]
    assert state["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert params["TableName"] == VALUES["JobsTable"]
    assert params["ExpressionAttributeValues"][":to"] == {"S": JobStatus.COMPLETED.value}
    assert params["ExpressionAttributeValues"][":done"] == {"N": "100"}
    assert params["Key"]["sk"] == {"S": "JOB"}
    expression = params["UpdateExpression"]
    set_part, _, remove_part = expression.partition(" REMOVE ")
    assert "#status = :to" in set_part
    assert "finished_at = :now" in set_part
    assert {p.strip() for p in remove_part.split(",")} == {"lease_until", "lease_owner"}
    conditional = [c for c in state["Catch"] if c["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]]
    assert conditional and conditional[0]["Next"] == "NotifyFailure"


def test_record_completed_event_uses_the_job_store_sort_key(states: dict[str, dict[str, Any]]) -> None:
    state = states["RecordCompletedEvent"]
    item = state["Parameters"]["Item"]
    assert state["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert item["sk"] == {"S": event_sk(JobStatus.COMPLETED)}
    assert item["sk"] == {"S": "EVENT#04#COMPLETED"}
    assert item["status"] == {"S": JobStatus.COMPLETED.value}
    assert item["pk"] == states["MarkCompleted"]["Parameters"]["Key"]["pk"]
    assert item["pk"] == {"S.$": "States.Format('JOB#{}', $.job_id)"}


# -- retries and the Transcribe task ----------------------------------------------


@pytest.mark.parametrize("name", ["FetchAudio", "Transcribe"])
def test_retries_use_full_jitter_and_backoff(name: str, states: dict[str, dict[str, Any]]) -> None:
    retries = states[name]["Retry"]
    assert retries
    for retry in retries:
        assert retry["JitterStrategy"] == "FULL"
        assert retry["BackoffRate"] >= 1
        assert retry["MaxAttempts"] >= 1
        assert retry["IntervalSeconds"] >= 1


def test_every_retry_is_well_formed(states: dict[str, dict[str, Any]]) -> None:
    for name, state in states.items():
        for retry in state.get("Retry", []):
            assert retry["ErrorEquals"], name
            assert retry.get("BackoffRate", 2.0) >= 1, name
            assert retry.get("JitterStrategy", "NONE") in {"FULL", "NONE"}, name
            if "MaxDelaySeconds" in retry:
                assert retry["MaxDelaySeconds"] >= retry["IntervalSeconds"], name


def test_transcribe_is_a_wait_for_task_token_sqs_send(states: dict[str, dict[str, Any]]) -> None:
    state = states["Transcribe"]
    assert state["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    # No heartbeat clock on the queue task: it would start when the message is queued and time out
    # a job that waits for a worker. Only the backstop: queue wait allowance + the job's own limit.
    assert "HeartbeatSecondsPath" not in state and "HeartbeatSeconds" not in state
    assert state["TimeoutSecondsPath"] == "$.transcribe_timeout.seconds"
    assert "TimeoutSeconds" not in state
    body = state["Parameters"]["MessageBody"]
    assert body["task_token.$"] == "$$.Task.Token"
    assert body["job_id.$"] == "$.job_id"
    # The worker starts the job's own time limit when it takes the job.
    assert body["time_limit_seconds.$"] == "$.fetched.timeout_seconds"


def test_queue_wait_allowance_comes_before_transcribe(states: dict[str, dict[str, Any]]) -> None:
    allow = states["AllowForQueueWait"]
    # The GPU queue's path begins where the fast lane's router leaves it (tests/unit/fastlane/test_asl.py).
    assert states["UseFastLane"]["Default"] == "PickQueue"
    assert {states[f"{p}PriorityQueue"]["Next"] for p in ("High", "Normal", "Low")} == {"Chunked"}
    assert states["Chunked"]["Default"] == "AllowForQueueWait"
    assert allow["Type"] == "Pass" and allow["Next"] == "Transcribe"
    assert allow["ResultPath"] == "$.transcribe_timeout"
    assert allow["Parameters"]["seconds.$"] == (
        "States.MathAdd($.fetched.timeout_seconds, $.limits.queue_wait_seconds)"
    )


def test_a_lost_worker_is_not_a_state_machine_retry(states: dict[str, dict[str, Any]]) -> None:
    # Workers take over the job of a lost worker under the same token (lease + SQS visibility);
    # a States.Timeout now means the whole allowance ran out: not worth retrying.
    for retry in states["Transcribe"]["Retry"]:
        assert not {"States.HeartbeatTimeout", "States.Timeout", "States.ALL"} & set(retry["ErrorEquals"])


def test_timeout_path_is_filled_by_fetch_audio(states: dict[str, dict[str, Any]]) -> None:
    # $.fetched.timeout_seconds must be what FetchAudio puts at $.fetched.
    fetch = states["FetchAudio"]
    assert fetch["ResultPath"] == "$.fetched"
    assert "timeout_seconds.$" in fetch["ResultSelector"]
    assert "audio.$" in fetch["ResultSelector"]
    assert "media.$" in fetch["ResultSelector"]


def test_queue_wait_allowance_is_filled_by_the_execution_input(states: dict[str, dict[str, Any]]) -> None:
    from ytcaption.domain.job import S3Source
    from ytcaption.domain.options import JobOptions
    from ytcaption.intake.launch import execution_input
    from ytcaption.settings import Settings

    execution = execution_input(
        "job-1", S3Source(bucket="b", key="k"), JobOptions(), Settings(queue_wait_limit_seconds=42)
    )
    data = json.loads(execution.as_json())
    assert data["limits"]["queue_wait_seconds"] == 42
    assert "$.limits.queue_wait_seconds" in states["AllowForQueueWait"]["Parameters"]["seconds.$"]
    fetch_payload = states["FetchAudio"]["Parameters"]["Payload"]
    for key in ("job_id", "source"):
        assert fetch_payload[f"{key}.$"] == f"$.{key}"
        assert key in data


def _payload_fields(parameters: dict[str, Any]) -> set[str]:
    return {key.removesuffix(".$") for key in parameters}


def test_lambda_steps_get_what_their_input_models_read(states: dict[str, dict[str, Any]]) -> None:
    """Each Lambda step's Payload names exactly the fields of the model its handler parses."""
    from ytcaption.domain.steps import FetchAudioInput, NotifyInput, RecordFailureInput

    expected = {
        "FetchAudio": FetchAudioInput,
        "RecordFailure": RecordFailureInput,
        "NotifyCompletion": NotifyInput,
        "NotifyFailure": NotifyInput,
        "NotifyCancellation": NotifyInput,
    }
    for name, model in expected.items():
        assert _payload_fields(states[name]["Parameters"]["Payload"]) == set(model.model_fields), name


def test_fetch_result_is_what_the_state_machine_keeps(states: dict[str, dict[str, Any]]) -> None:
    from ytcaption.domain.steps import FetchResult

    selector = states["FetchAudio"]["ResultSelector"]
    assert _payload_fields(selector) == set(FetchResult.model_fields)
    for field in FetchResult.model_fields:
        assert selector[f"{field}.$"] == f"$.Payload.{field}"
    assert states["FetchAudio"]["ResultPath"] == "$.fetched"


def test_execution_input_carries_every_path_the_state_machine_reads(states: dict[str, dict[str, Any]]) -> None:
    """Every `$.x` path the definition reads from the execution's own input is a field of ExecutionInput
    (or what an earlier step put there: fetched, error, failure, transcription)."""
    from ytcaption.domain.steps import ExecutionInput

    targets = [state.get("ResultPath") for state in states.values()]
    targets += [c.get("ResultPath") for state in states.values() for c in state.get("Catch", [])]
    written = {str(path).removeprefix("$.").split(".")[0] for path in targets if path}
    read = set(re.findall(r'"\$\.([a-z_]+)', RAW))
    # A chunk task reads its iteration's input: what the Map's ItemSelector makes.
    read -= {key.removesuffix(".$") for key in states["TranscribeChunks"]["ItemSelector"]}
    assert read - written - {""} <= set(ExecutionInput.model_fields)


def test_webhook_retries_match_the_attempts_notify_counts(states: dict[str, dict[str, Any]]) -> None:
    """Notify records its last attempt as failed, not retry: it must know which attempt is the last; a
    batch's webhook retried in-process (ExpandBatch) waits as the state machine does."""
    from ytcaption.finish import webhooks

    for name in ("NotifyCompletion", "NotifyFailure", "NotifyCancellation"):
        retry = next(r for r in states[name]["Retry"] if "WebhookRetryable" in r["ErrorEquals"])
        assert retry["MaxAttempts"] == webhooks.WEBHOOK_ATTEMPTS - 1, name
        assert (retry["IntervalSeconds"], retry["BackoffRate"], retry["MaxDelaySeconds"], retry["JitterStrategy"]) == (
            webhooks.RETRY_INTERVAL_SECONDS,
            webhooks.RETRY_BACKOFF_RATE,
            webhooks.RETRY_MAX_DELAY_SECONDS,
            "FULL",
        ), name
    delays = webhooks.retry_delays()
    assert len(delays) == webhooks.WEBHOOK_ATTEMPTS - 1
    assert all(0 <= d <= min(webhooks.RETRY_MAX_DELAY_SECONDS, 2**n) for n, d in enumerate(delays))


def test_long_audio_runs_one_task_per_chunk(states: dict[str, dict[str, Any]]) -> None:
    from ytcaption.domain.chunks import Chunk
    from ytcaption.domain.steps import FetchResult, StepLimits

    choice = states["Chunked"]["Choices"][0]
    assert choice["Next"] == "TranscribeChunks"
    assert {c["Variable"] for c in choice["And"]} == {"$.fetched.chunked"}
    assert "chunked" in FetchResult.model_fields and "chunks" in FetchResult.model_fields
    fan = states["TranscribeChunks"]
    assert fan["Type"] == "Map" and fan["ItemsPath"] == "$.fetched.chunks"
    assert fan["MaxConcurrencyPath"] == "$.limits.chunk_concurrency"
    assert "chunk_concurrency" in StepLimits.model_fields
    assert fan["ItemSelector"]["chunk.$"] == "$$.Map.Item.Value"
    assert fan["Next"] == "MarkCompleted"
    assert fan["Catch"] == states["Transcribe"]["Catch"]
    task = fan["ItemProcessor"]["States"]["TranscribeChunk"]
    assert task["Resource"] == states["Transcribe"]["Resource"]
    assert "HeartbeatSeconds" not in task and "HeartbeatSecondsPath" not in task
    # Each chunk's clock: its queue wait plus its own time limit (from its length), computed by the plan.
    assert task["TimeoutSecondsPath"] == "$.chunk.wait_seconds"
    assert {"wait_seconds", "timeout_seconds"} <= set(Chunk.model_fields)
    body = task["Parameters"]["MessageBody"]
    assert body["chunk.$"] == "$.chunk" and body["task_token.$"] == "$$.Task.Token"
    assert body["time_limit_seconds.$"] == "$.chunk.timeout_seconds"


def test_the_queue_follows_the_priority(states: dict[str, dict[str, Any]]) -> None:
    pick = states["PickQueue"]
    assert pick["Type"] == "Choice"
    chosen = {c["StringEquals"]: c["Next"] for c in pick["Choices"]}
    assert chosen == {"high": "HighPriorityQueue", "low": "LowPriorityQueue"}
    assert pick["Default"] == "NormalPriorityQueue"
    for priority, placeholder in (("High", "TranscribeHighQueueUrl"), ("Normal", "TranscribeQueueUrl"),
                                  ("Low", "TranscribeLowQueueUrl")):  # fmt: skip
        state = states[f"{priority}PriorityQueue"]
        assert state["Parameters"] == {"url": VALUES[placeholder]} and state["ResultPath"] == "$.queue"
    assert states["Transcribe"]["Parameters"]["QueueUrl.$"] == "$.queue.url"
    assert states["TranscribeChunks"]["ItemSelector"]["queue_url.$"] == "$.queue.url"
    chunk = states["TranscribeChunks"]["ItemProcessor"]["States"]["TranscribeChunk"]
    assert chunk["Parameters"]["QueueUrl.$"] == "$.queue_url"
