"""The media types the service takes files in, and a file's type from its name.

An upload's `Content-Type` becomes the object's type, which S3 then serves it with: a free-text value
would let a tenant store `text/html` (or a header split by CR/LF) and have it served back as such.
Only audio and video types are taken; without one, the type follows the file name's extension.
"""

from __future__ import annotations

from pathlib import PurePosixPath

OCTET_STREAM = "application/octet-stream"

# extension -> media type: the containers PyAV decodes (what a worker can transcribe).
BY_EXTENSION: dict[str, str] = {
    ".mp3": "audio/mpeg",
    ".mpga": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/opus",
    ".weba": "audio/webm",
    ".amr": "audio/amr",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".mka": "audio/x-matroska",
    ".ogv": "video/ogg",
    ".avi": "video/x-msvideo",
    ".mpeg": "video/mpeg",
    ".mpg": "video/mpeg",
    ".3gp": "video/3gpp",
    ".ts": "video/mp2t",
    ".wma": "audio/x-ms-wma",
    ".wmv": "video/x-ms-wmv",
    ".flv": "video/x-flv",
}

# What a client may declare: every type above, the other names browsers give them, and no type at all.
ACCEPTED: frozenset[str] = frozenset(
    {
        *BY_EXTENSION.values(),
        "audio/mp3", "audio/x-m4a", "audio/m4a", "audio/x-wav", "audio/wave", "audio/vnd.wave",
        "audio/x-flac", "audio/webm", "audio/x-aac", "audio/3gpp", "video/x-m4v", "video/x-ms-asf",
        OCTET_STREAM,
    }
)  # fmt: skip

MEDIA_TYPE_ERROR = (
    "content_type must be an audio or video media type such as audio/mpeg or video/mp4 "
    "(or leave it out: the file name's extension decides)"
)


def media_type_of(name: str) -> str:
    """A file's media type from its name's extension; application/octet-stream when it is not a known one."""
    return BY_EXTENSION.get(PurePosixPath(name).suffix.lower(), OCTET_STREAM)


def accepted_media_type(value: str) -> str:
    """A declared media type, lower-cased, if the service takes files of that type; else a ValueError."""
    kind = value.strip().lower()
    if kind not in ACCEPTED:
        raise ValueError(MEDIA_TYPE_ERROR)
    return kind
