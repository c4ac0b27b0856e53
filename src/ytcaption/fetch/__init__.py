"""The FetchAudio step: where a job's audio is fetched (yt-dlp, uploads, captions) and probed."""
