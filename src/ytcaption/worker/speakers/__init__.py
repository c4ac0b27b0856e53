"""Who spoke: speaker diarization without torch (resemblyzer's GE2E encoder run in numpy).

Speech regions (silero VAD) are cut into windows, each window becomes a voice
embedding, the embeddings are clustered into speakers, and every word gets the
speaker heard around its midpoint; segments are split where the speaker changes.
"""
