"""Request and response schemas of the public API (pydantic v2).

Requests reject unknown fields; every response is one of these models, so the
OpenAPI document describes exactly what clients receive.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ytcaption.domain.captions.rules import SubtitleSettings
from ytcaption.domain.media_types import accepted_media_type
from ytcaption.domain.options import PROMPT_MAX_CHARS, prompt_text
from ytcaption.domain.speakers import SpeakerSetting
from ytcaption.domain.vocabulary import LanguageOrAuto, ModelName, Priority, Status, Task, email_address, named_model

URL_PATTERN = r"^https?://\S+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests -----------------------------------------------------------------------


class SourceIn(_Strict):
    """Exactly one of `url` (a video page or media URL) and `upload_id` (from POST /v1/uploads)."""

    url: str | None = Field(
        default=None, max_length=2048, pattern=URL_PATTERN, examples=["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]
    )
    upload_id: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{32}$", examples=["5f0c8c1e0b4a4a53a3f7f2c9c1d2e3f4"]
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SourceIn:
        if (self.url is None) == (self.upload_id is None):
            raise ValueError("give exactly one of 'url' and 'upload_id'")
        return self


class OptionsIn(_Strict):
    """How to transcribe; every field is optional."""

    # A name, never a path (paths are for operators: YTC_DEFAULT_MODEL), after the length check.
    model: Annotated[str, Field(max_length=200), AfterValidator(named_model)] | None = Field(
        default=None,
        description="Whisper model: tiny, tiny.en, base, small, medium, large-v3, turbo... (default: the server's)",
        examples=["base"],
    )
    language: LanguageOrAuto = Field(
        default="auto", max_length=16, description="'auto' or a language code such as 'en'"
    )
    task: Task = "transcribe"
    word_timestamps: bool = False
    vad: bool = Field(default=True, description="skip silence (voice activity detection)")
    priority: Priority = "normal"
    webhook_url: str | None = Field(
        default=None, max_length=2048, pattern=URL_PATTERN, description="called with the job's terminal event"
    )
    prefer_captions: bool = Field(default=False, description="use the video's own subtitles when it has them")
    notify_progress: bool = Field(
        default=False, description="also send progress events to webhook_url, at most one per 10 %"
    )
    notify_email: Annotated[str, Field(max_length=254), AfterValidator(email_address)] | None = Field(
        default=None,
        description="an address emailed once when the transcription completes or fails (link and first lines)",
        examples=["me@example.com"],
    )
    prompt: str | None = Field(
        default=None,
        max_length=PROMPT_MAX_CHARS,
        description="vocabulary hints: names and jargon to expect, in the audio's language "
        "(Whisper's initial prompt and hotwords; every chunk of a long file gets it)",
        examples=["YTCaption, faster-whisper, Step Functions"],
    )
    speakers: SpeakerSetting | None = Field(
        default=None,
        description='label who spoke: "auto" (estimate how many), an exact count, or {"min": 2, "max": 4}; '
        "results then carry a speaker per segment (and word), TXT is paragraphs per speaker, "
        "WebVTT has voice spans. Not with prefer_captions (a site's captions carry no voices: 422); "
        "such a job never takes the site's captions in place of its audio",
        examples=["auto"],
    )
    subtitles: SubtitleSettings | None = Field(
        default=None,
        description="subtitle reading rules for the SRT and VTT (what is left out keeps the broadcast default; "
        "a download can change them again)",
        examples=[{"max_line_chars": 32, "max_chars_per_second": 17}],
    )

    # The domain's rule, at the door: the request is refused with the field's path, not later.
    @field_validator("prompt", mode="before")
    @classmethod
    def _plain_prompt(cls, value: Any) -> Any:
        return prompt_text(value)

    # After the whole model, so that it holds whatever order the fields are declared in; raised as the
    # speakers field's own error (the 422 names body.speakers).
    @model_validator(mode="after")
    def _speakers_need_audio(self) -> Self:
        if self.speakers is not None and self.prefer_captions:
            message = (
                "speakers are told apart by their voices, and a site's captions have none: "
                "send either speakers or prefer_captions, not both"
            )
            error = InitErrorDetails(type=PydanticCustomError("value_error", message), loc=("speakers",),
                                     input=self.speakers)  # fmt: skip
            raise ValidationError.from_exception_data(type(self).__name__, [error])
        return self


SpeakerName = Annotated[str, Field(max_length=100, pattern=r"^[^\x00-\x1f<>&]*$")]


class SpeakerNamesIn(_Strict):
    """Names for a transcript's speaker labels; "" gives a label back its own name."""

    speakers: dict[Annotated[str, Field(max_length=40)], SpeakerName] = Field(
        min_length=1, max_length=20, examples=[{"Speaker 1": "Alice", "Speaker 2": "Bob"}]
    )


class TranscriptionRequest(OptionsIn):
    source: SourceIn
    cache: bool = Field(
        default=True,
        description="answer from a completed identical job of yours (same source and options) when there is one",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"source": {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, "model": "base"}]
        },
    )

    def options_set(self) -> set[str]:
        """Option fields the client gave explicitly."""
        return self.model_fields_set & set(OptionsIn.model_fields)


class UploadRequest(OptionsIn):
    filename: str = Field(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$", examples=["talk.mp4"])
    size_bytes: int | None = Field(default=None, ge=1, description="the file's size, if known: checked against limits")
    content_type: Annotated[str, Field(max_length=100), AfterValidator(accepted_media_type)] | None = Field(
        default=None,
        description="the file's audio or video media type; left out, the file name's extension decides",
        examples=["video/mp4"],
    )

    @field_validator("filename")
    @classmethod
    def _filename(cls, value: str) -> str:
        if value.strip() in {"", ".", ".."}:
            raise ValueError("filename must be a file name")
        return value


# -- responses ----------------------------------------------------------------------


class ResultLinks(BaseModel):
    json_: str = Field(alias="json")
    txt: str
    srt: str
    vtt: str

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class Links(BaseModel):
    self: str
    events: str
    result: ResultLinks | None = None


class SourceOut(BaseModel):
    type: Literal["url", "upload"]
    url: str | None = None
    upload_id: str | None = None
    filename: str | None = None


class MediaOut(BaseModel):
    title: str | None = None
    duration: float | None = Field(default=None, description="seconds")
    extra: dict[str, Any] = Field(default_factory=dict, description="other facts about the media")


class OptionsOut(BaseModel):
    model: ModelName
    language: LanguageOrAuto
    task: Task
    word_timestamps: bool
    vad: bool
    priority: Priority
    webhook_url: str | None = None
    prefer_captions: bool
    notify_progress: bool = False
    notify_email: str | None = None
    prompt: str | None = None
    subtitles: SubtitleSettings | None = None


class ErrorOut(BaseModel):
    code: str
    reason: str


class Transcription(BaseModel):
    id: str
    status: Status
    progress: int = Field(ge=0, le=100)
    created_at: str
    updated_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    eta_seconds: float | None = None
    source: SourceOut
    media: MediaOut | None = None
    options: OptionsOut
    language: str | None = Field(default=None, description="detected (or given) language of the audio")
    error: ErrorOut | None = None
    cache_hit: bool = False
    cached_from: str | None = None
    lane: Literal["fast", "gpu", "mixed"] | None = Field(
        default=None,
        description="where the audio was transcribed, once it has been: `fast` (the serverless fast lane), "
        "`gpu` (a Whisper worker from the queue), or `mixed` (a long file whose chunks ran on both)",
    )
    links: Links


class TranscriptionPage(BaseModel):
    items: list[Transcription]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page; null at the end")


class WebhookDelivery(BaseModel):
    url: str
    event_type: str = Field(examples=["transcription.completed"])
    outcome: Literal["delivered", "retry", "failed"]
    status_code: int | None = None
    detail: str = ""


class EmailDelivery(BaseModel):
    to: str
    outcome: Literal["sending", "sent", "failed"]
    detail: str = ""
    subject: str | None = None


class JobEvent(BaseModel):
    kind: Literal["status", "webhook", "redrive", "email"] = Field(
        default="status", description="a status reached, a webhook attempt, an operator's redrive, or an email"
    )
    event_type: str = Field(examples=["transcription.queued", "webhook.delivered"])
    status: Status
    at: str
    webhook: WebhookDelivery | None = None
    email: EmailDelivery | None = None


class JobEvents(BaseModel):
    id: str
    events: list[JobEvent]


class UploadTicket(BaseModel):
    upload_id: str
    method: Literal["POST"] = "POST"
    url: str = Field(description="POST a multipart/form-data body here: every `fields` entry, then `file`")
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_at: str
    links: dict[str, str]


class AudioLink(BaseModel):
    url: str = Field(description="a presigned GET of the transcription's audio; no key needed until it expires")
    expires_at: str


# The media type of a large result's link (`redirect=false`): never the type of a result itself.
RESULT_LINK_TYPE = "application/vnd.ytcaption.result-link+json"


class ResultLink(BaseModel):
    url: str = Field(description="a presigned GET of the result; send no key with it (S3 allows any page to read it)")
    expires_at: str


class UploadStatus(BaseModel):
    upload_id: str
    status: Literal["awaiting_file", "received"]
    filename: str | None = None
    transcription_id: str | None = None
    ignored_files: int = Field(
        default=0, ge=0, description="files posted again under this ticket after the first: recorded, never a job"
    )
    links: dict[str, str]


# -- operator (admin) responses ---------------------------------------------------


class AdminTranscription(Transcription):
    """A transcription as operators see it: any tenant's, and whose it is."""

    tenant: str
    redrives: int = Field(default=0, ge=0, description="how many times an operator ran it again")


class AdminTranscriptionPage(BaseModel):
    items: list[AdminTranscription]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page; null at the end")


class Redrive(BaseModel):
    transcription: AdminTranscription
    execution_name: str = Field(description="the new Step Functions execution", examples=["job-0123-r1"])


class DeadLettersMoved(BaseModel):
    moved: int = Field(ge=0, description="messages moved from the dead-letter queue back to the work queue")


class QueueDepth(BaseModel):
    visible: int = Field(ge=0, description="messages waiting")
    in_flight: int = Field(ge=0, description="messages taken and not yet deleted")


class Stats(BaseModel):
    jobs_by_status: dict[str, int] = Field(description="every status, with how many jobs have it")
    audio_hours_processed: float = Field(ge=0, description="audio of the COMPLETED jobs, in hours")
    median_real_time_factor: float | None = Field(
        default=None, description="transcription time over audio time, median of the COMPLETED jobs"
    )
    queue: dict[str, QueueDepth] = Field(description="the work queue and the dead-letter queue, by name")
    oldest_queued_job_seconds: float = Field(description="how long the oldest QUEUED job has waited")


class FieldError(BaseModel):
    field: str = Field(description="dotted path of the offending field, e.g. body.source.url")
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="stable URI reference naming the problem; `code` is its last segment")
    title: str
    status: int
    detail: str
    instance: str | None = None
    code: str
    errors: list[FieldError] | None = None
    job_status: Status | None = None


class Models(BaseModel):
    default: str = Field(description="the model a request that names none gets", examples=["large-v3-turbo"])
    served: list[str] | None = Field(
        description="the models this deployment's workers serve, default first; null: any model a worker can load",
        examples=[["large-v3-turbo"]],
    )


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)
