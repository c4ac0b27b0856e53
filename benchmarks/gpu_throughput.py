"""Whisper throughput: faster-whisper's BatchedInferencePipeline against its sequential transcribe,
for the `base` model on the CPU, and on CUDA when a GPU is present (skipped, and said so, without one).

    python benchmarks/gpu_throughput.py [--seconds 120] [--batch-size 8] [--model base] [--runs 2]

Each configuration transcribes the same espeak-ng recording (beam 5, VAD on) `--runs` times after a
warm-up; reports the best real-time factor (processing seconds / audio seconds, lower is faster), the
speed-up of batched over sequential and the WER of each. Measured, never asserted. Writes
benchmarks/results/gpu_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.audio import long_recording, word_error_rate  # noqa: E402
from ytcaption.settings import get_settings  # noqa: E402
from ytcaption.worker import models as whisper_models  # noqa: E402


def measure(model: Any, audio: Any, duration: float, batch_size: int, runs: int, text: str) -> dict[str, Any]:
    from faster_whisper import BatchedInferencePipeline

    pipeline = BatchedInferencePipeline(model) if batch_size else None

    def once() -> tuple[float, str]:
        started = time.perf_counter()
        if pipeline is not None:
            segments, _ = pipeline.transcribe(audio, beam_size=5, batch_size=batch_size, vad_filter=True)
        else:
            segments, _ = model.transcribe(audio, beam_size=5, vad_filter=True)
        heard = " ".join(s.text.strip() for s in segments)
        return time.perf_counter() - started, heard

    once()  # warm-up
    timings, heard = [], ""
    for _ in range(runs):
        seconds, heard = once()
        timings.append(seconds)
    best = min(timings)
    return {
        "batch_size": batch_size or None,
        "seconds": [round(t, 2) for t in timings],
        "real_time_factor": round(best / duration, 4),
        "wer": round(word_error_rate(text, heard), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model", default="base")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "gpu_throughput.json")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ctranslate2
    from faster_whisper import WhisperModel, decode_audio

    work = Path(tempfile.mkdtemp(prefix="ytcaption-bench-gpu-"))
    path, text = long_recording(work, args.seconds)
    audio = decode_audio(str(path))
    duration = len(audio) / 16000
    folder = whisper_models.resolve(args.model, Path(get_settings().model_cache_dir))
    results: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "setup": {"model": args.model, "audio_seconds": round(duration, 1), "beam_size": 5, "runs": args.runs},
    }
    gpus = ctranslate2.get_cuda_device_count()
    devices = [("cpu", "int8")] + ([("cuda", "float16")] if gpus else [])
    for device, compute in devices:
        model = WhisperModel(folder, device=device, compute_type=compute, cpu_threads=args.threads)
        sequential = measure(model, audio, duration, 0, args.runs, text)
        batched = measure(model, audio, duration, args.batch_size, args.runs, text)
        results[device] = {
            "compute_type": compute,
            **({"cpu_threads": args.threads} if device == "cpu" else {"gpus": gpus}),
            "sequential": sequential,
            "batched": batched,
            "batched_speedup": round(sequential["real_time_factor"] / batched["real_time_factor"], 2),
        }
        print(json.dumps({device: results[device]}), flush=True)
    if not gpus:
        results["cuda"] = {"skipped": "no CUDA device here (ctranslate2 sees 0 GPUs): run this on a GPU host"}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
