"""What the state machine hands from step to step: the execution's input, each Lambda
step's input and the FetchAudio result. The ASL file reads and writes these fields by
name; a unit test keeps the two in step.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ytcaption.domain.chunks import Chunk
from ytcaption.domain.job import S3Source, UrlSource
from ytcaption.domain.options import JobOptions

Source = Annotated[S3Source | UrlSource, Field(discriminator="type")]


class AudioRef(BaseModel):
    """Where FetchAudio left the audio for a worker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket: str
    key: str


class TranscribeTask(BaseModel):
    """The message a Transcribe (or TranscribeChunks) state puts on the queue for a worker, with the
    task token its execution waits on."""

    job_id: str
    task_token: str
    audio: AudioRef
    options: JobOptions
    duration: float | None = None
    # Long audio: this task is one chunk of the job (domain.chunks).
    chunk: Chunk | None = None
    # The job's own time limit, counted from when a worker first takes it.
    time_limit_seconds: float | None = None


class StepLimits(BaseModel):
    # How long a job may wait in the queue for a worker before the state machine gives up on it.
    queue_wait_seconds: int
    # How many chunks of a long file may be queued or worked on at once (the Map's MaxConcurrencyPath).
    chunk_concurrency: int = 16


class FetchResult(BaseModel):
    """FetchAudio's answer: the audio is ready (or captions already made the transcript)."""

    model_config = ConfigDict(extra="forbid")

    captions: bool = Field(description="the video's own captions became the transcript: no Whisper")
    audio: AudioRef | None = None
    media: dict[str, Any] = Field(default_factory=dict, description="probed facts; duration at least")
    timeout_seconds: int
    # Long audio: transcribed as these chunks, one worker task each (short files: one task, no chunks).
    chunked: bool = False
    chunks: list[Chunk] = Field(default_factory=list)


class ExecutionInput(BaseModel):
    """The input of one execution of the state machine (named after the job, or `{job}-r{n}`)."""

    job_id: str
    source: Source
    options: JobOptions
    limits: StepLimits
    # A redrive whose audio was already fetched resumes at the transcription with this.
    fetched: FetchResult | None = None

    def as_json(self) -> str:
        # The state machine tests `$.fetched` with IsPresent: absent, never null.
        return self.model_dump_json(exclude={"fetched"} if self.fetched is None else None)


class FetchAudioInput(BaseModel):
    job_id: str
    source: Source


class StepError(BaseModel):
    """A caught error as Step Functions puts it in `ResultPath` of a Catch."""

    model_config = ConfigDict(populate_by_name=True)

    error: str = Field(default="", alias="Error")
    cause: str = Field(default="", alias="Cause")

    @field_validator("error", "cause", mode="before")
    @classmethod
    def _absent_is_empty(cls, value: Any) -> Any:
        # The emulator drops SendTaskFailure's cause: it arrives as null.
        return "" if value is None else value


class RecordFailureInput(BaseModel):
    job_id: str
    error: StepError = Field(default_factory=StepError)


class NotifyInput(BaseModel):
    job_id: str
