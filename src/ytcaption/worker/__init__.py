"""Where a job is transcribed: the SQS worker loop, faster-whisper, model files."""
