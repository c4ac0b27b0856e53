"""hear_chunk hears what the chunk owns and a window either side, not its overlap with the neighbours
(the merge keeps only the windows whose middle the chunk owns: Voices.within)."""

from __future__ import annotations

from pathlib import Path

from ytcaption.domain.chunks import Chunk
from ytcaption.worker.speakers.long_audio import hear_chunk
from ytcaption.worker.transcribe import decode_range

WINDOW = 1.6  # seconds (worker.speakers.regions.WINDOW_FRAMES)


def test_a_chunk_hears_only_what_it_owns_and_a_window_either_side(speech_wav: Path) -> None:
    samples = decode_range(speech_wav, 1.0, 1.0 + 16.0)
    chunk = Chunk(index=1, start=1.0, end=17.0, cut_start=5.0, cut_end=12.0, timeout_seconds=60, wait_seconds=60)
    voices, _ = hear_chunk(samples, chunk)
    owned = voices.within(chunk.cut_start, chunk.cut_end)
    assert len(owned) >= 3, voices.starts
    # In the file's time, and nothing embedded beyond a window from what the chunk owns.
    assert voices.starts.min() >= chunk.cut_start - WINDOW - 0.05, voices.starts
    assert voices.ends.max() <= chunk.cut_end + WINDOW + 0.05, voices.ends
