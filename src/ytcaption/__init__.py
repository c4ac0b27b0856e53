"""YTCaption: video and audio to transcripts and subtitles with Whisper, on AWS or locally."""
