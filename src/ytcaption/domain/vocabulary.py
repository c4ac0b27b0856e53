"""The words of a job's options: Whisper model names (kept apart from the loader so
Lambdas can validate options without importing faster-whisper), language codes,
tasks, priorities, result formats and statuses, each a reusable validated type."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator

# The sizes faster-whisper can fetch by name from the Hugging Face hub.
KNOWN_MODELS: frozenset[str] = frozenset(
    {
        "tiny", "tiny.en", "base", "base.en", "small", "small.en",
        "medium", "medium.en", "large-v1", "large-v2", "large-v3", "large",
        "distil-small.en", "distil-medium.en", "distil-large-v2",
        "distil-large-v3", "distil-large-v3.5", "large-v3-turbo", "turbo",
    }
)  # fmt: skip


def is_path_reference(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~"))


def is_valid_model_reference(value: str) -> bool:
    """A known name, a Hugging Face repo id (org/name) or a local path."""
    if value in KNOWN_MODELS or is_path_reference(value):
        return True
    parts = value.split("/")
    return len(parts) == 2 and all(p and p.replace("-", "").replace(".", "").replace("_", "").isalnum() for p in parts)


# -- validated option types: the rules of a job's options, written once ---------------
# JobOptions (domain.options), the API's OptionsIn and OptionsOut all use these.

MODEL_ERROR = (
    "model must be a Whisper model name (tiny, base, small, medium, "
    "large-v3, turbo, ... with optional .en) or a local directory path"
)
LANGUAGE_ERROR = "language must be 'auto' or a language Whisper knows, such as 'en', 'de' or 'pt-BR'"

# ISO 639 code with an optional region/script subtag ("en", "pt-BR", "yue").
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?")
# The languages Whisper transcribes (faster_whisper.tokenizer._LANGUAGE_CODES, copied so that the
# Lambdas can validate without faster-whisper; a unit test keeps the two equal).
WHISPER_LANGUAGES: frozenset[str] = frozenset(
    [
        "af",
        "am",
        "ar",
        "as",
        "az",
        "ba",
        "be",
        "bg",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fo",
        "fr",
        "gl",
        "gu",
        "ha",
        "haw",
        "he",
        "hi",
        "hr",
        "ht",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "jw",
        "ka",
        "kk",
        "km",
        "kn",
        "ko",
        "la",
        "lb",
        "ln",
        "lo",
        "lt",
        "lv",
        "mg",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "ne",
        "nl",
        "nn",
        "no",
        "oc",
        "pa",
        "pl",
        "ps",
        "pt",
        "ro",
        "ru",
        "sa",
        "sd",
        "si",
        "sk",
        "sl",
        "sn",
        "so",
        "sq",
        "sr",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "tk",
        "tl",
        "tr",
        "tt",
        "uk",
        "ur",
        "uz",
        "vi",
        "yi",
        "yo",
        "yue",
        "zh",
    ]
)


def model_name(value: str) -> str:
    if not is_valid_model_reference(value):
        raise ValueError(MODEL_ERROR)
    return value


NAMED_MODEL_ERROR = (
    "model must be the name of a Whisper model (GET /v1/models lists the ones served), such as "
    "'base' or 'large-v3', or a Hugging Face repository id (org/name); never a path"
)


def named_model(value: str) -> str:
    """A model as a client may ask for one: a name or a repository id, never a path on the worker's disk."""
    if is_path_reference(value) or "\\" in value or not is_valid_model_reference(value):
        raise ValueError(NAMED_MODEL_ERROR)
    return value


def language_code(value: str) -> str:
    """A language Whisper knows, lower-cased (a region subtag is kept: "pt-br"); anything else is a ValueError."""
    if not _LANGUAGE.fullmatch(value) or value.split("-")[0].lower() not in WHISPER_LANGUAGES:
        raise ValueError(LANGUAGE_ERROR)
    return value.lower()


def whisper_language(value: str) -> str:
    """What Whisper is given for a language code: its base language ("pt-br" -> "pt")."""
    return value.split("-")[0]


def language_or_auto(value: str) -> str:
    """'auto' (any case, surrounding spaces ignored) or a language code, lower-cased."""
    value = value.strip()
    return "auto" if value.lower() == "auto" else language_code(value)


# A Whisper model: a known name, a Hugging Face repo id (org/name) or a local path.
ModelName = Annotated[str, AfterValidator(model_name)]
# An ISO 639 language code ("en", "pt-br"); how 'auto' is spelled is up to its user.
LanguageCode = Annotated[str, AfterValidator(language_code)]
# What a client writes: 'auto' (detect it) or a language code.
LanguageOrAuto = Annotated[str, AfterValidator(language_or_auto)]
# An address to email (no display name, no line breaks): what SES accepts as a recipient.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
EMAIL_ERROR = "notify_email must be an email address such as name@example.com"
_EMAIL = re.compile(EMAIL_PATTERN)


def email_address(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value) or ".." in value or value.split("@")[0].startswith("."):
        raise ValueError(EMAIL_ERROR)
    return value


EmailAddress = Annotated[str, AfterValidator(email_address)]
Task = Literal["transcribe", "translate"]
Priority = Literal["low", "normal", "high"]
ResultFormat = Literal["json", "txt", "srt", "vtt"]
# A job's status as clients see it: the values of domain.job.JobStatus (a unit test keeps them equal).
Status = Literal["PENDING", "DOWNLOADING", "QUEUED", "TRANSCRIBING", "COMPLETED", "FAILED", "CANCELLED"]
