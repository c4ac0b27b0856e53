"""Check that a file really holds audio we can decode, by content, not by name."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av

from ytcaption.domain.errors import ErrorCode, YtcError

# Decode this much at the start to prove the audio is readable, without paying
# for a full decode in the Lambda.
_DECODE_CHECK_SECONDS = 30.0
# A stream shorter than its header says by more than this is cut short.
_TRUNCATION_TOLERANCE = 0.05
_TRUNCATION_MIN_SECONDS = 1.0


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    format: str
    codec: str
    sample_rate: int
    channels: int
    size_bytes: int
    has_video: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def probe(path: Path) -> MediaInfo:
    size = path.stat().st_size
    if size == 0:
        raise YtcError(ErrorCode.EMPTY_MEDIA, "The file is empty (0 bytes).")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise YtcError(ErrorCode.INVALID_MEDIA, "The file is not an audio or video format we can read.") from exc
    with container:
        if not container.streams.audio:
            raise YtcError(
                ErrorCode.NO_AUDIO_TRACK,
                "The file has no audio track; send an audio file or a video with sound.",
            )
        stream = container.streams.audio[0]
        declared = _declared_duration(container, stream)
        measured = _measure(container, stream)
        if measured <= 0:
            raise YtcError(ErrorCode.INVALID_MEDIA, "The file's audio track holds no decodable sound.")
        if container.format.name == "ogg" and ogg_is_cut(path):
            raise YtcError(
                ErrorCode.TRUNCATED_MEDIA,
                f"The file is cut short: its audio stops after {measured:.1f} s without the end of the stream. "
                "Upload the complete file.",
            )
        if declared and declared - measured > max(_TRUNCATION_MIN_SECONDS, declared * _TRUNCATION_TOLERANCE):
            raise YtcError(
                ErrorCode.TRUNCATED_MEDIA,
                f"The file is cut short: its header says {declared:.1f} s of audio but only "
                f"{measured:.1f} s is there. Upload the complete file.",
            )
        return MediaInfo(
            duration=round(measured, 3),
            format=container.format.name,
            codec=stream.codec_context.name,
            sample_rate=int(stream.codec_context.sample_rate or 0),
            channels=int(stream.codec_context.channels or 0),
            size_bytes=size,
            has_video=bool(container.streams.video),
        )


_OGG_MAX_PAGE = 65_307  # 27-byte header + 255 lacing values + 255 * 255 bytes of data
_OGG_EOS = 0x04


def ogg_is_cut(path: Path) -> bool:
    """An Ogg file declares no length: a cut one only shows in its last page, which is
    incomplete or lacks the end-of-stream flag that a finished stream's last page carries."""
    size = path.stat().st_size
    with path.open("rb") as file:
        file.seek(max(0, size - 2 * _OGG_MAX_PAGE))
        tail = file.read()
    start = tail.find(b"OggS")
    while start >= 0:
        verdict = _walk_pages(tail, start)
        if verdict is not None:
            return verdict
        start = tail.find(b"OggS", start + 1)
    return False  # no page structure to judge by: leave it to the decoder


def _walk_pages(tail: bytes, start: int) -> bool | None:
    """Follow pages from `start` to the end: True if cut, False if it ends a stream, None if `start` is no page."""
    position, flags = start, 0
    while position < len(tail):
        if tail[position : position + 4] != b"OggS" or (position + 5 <= len(tail) and tail[position + 4] != 0):
            return None
        if position + 27 > len(tail):
            return True
        segments = tail[position + 26]
        if position + 27 + segments > len(tail):
            return True
        length = 27 + segments + sum(tail[position + 27 : position + 27 + segments])
        if position + length > len(tail):
            return True
        flags = tail[position + 5]
        position += length
    return not flags & _OGG_EOS


def _declared_duration(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration / av.time_base)
    return None


def _measure(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float:
    """Seconds of audio actually present: demux every packet, decode the start."""
    time_base = stream.time_base
    end = 0.0
    decoded = 0.0
    try:
        for packet in container.demux(stream):
            if packet.pts is None or time_base is None:
                continue
            packet_end = float((packet.pts + (packet.duration or 0)) * time_base)
            end = max(end, packet_end)
            if decoded < _DECODE_CHECK_SECONDS:
                for frame in packet.decode():
                    decoded += frame.samples / float(frame.sample_rate or 1)
    except av.FFmpegError as exc:
        if end == 0.0:
            raise YtcError(ErrorCode.INVALID_MEDIA, "The file's audio could not be decoded.") from exc
        # Damaged after some good audio: report what was readable; the
        # truncation check compares it with the header.
    start = float(stream.start_time * time_base) if stream.start_time and time_base else 0.0
    return max(0.0, end - start) if decoded > 0 else 0.0
