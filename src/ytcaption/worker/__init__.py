"""Where a job is transcribed: the SQS worker loop, faster-whisper, model files."""

import os

# CTranslate2's OpenMP threads spin while they wait (libgomp's default), so any other work on the
# worker's cores stalls Whisper far beyond its own CPU time: ~0.8 CPU-s of other work beside a 7-s job
# on 2 cores made Whisper 13 % slower; waiting passively, not measurably slower (benchmarks/README.md).
# libgomp reads this once, when it loads: set here, before anything in the worker imports CTranslate2.
# An operator's own value wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
