"""Subtitles people can read: cues shaped from the transcript's word timings to broadcast reading
rules (lines, characters a line, time on screen, reading speed, gaps), rendered as SRT, WebVTT
(optionally with per-word karaoke tags) and TXT paragraphs, and a checker of any SRT/VTT file."""

from ytcaption.domain.captions.render import render_srt, render_txt, render_vtt
from ytcaption.domain.captions.rules import Rules, SubtitleSettings, rules_for
from ytcaption.domain.captions.shape import Cue, shape

__all__ = ["Cue", "Rules", "SubtitleSettings", "render_srt", "render_txt", "render_vtt", "rules_for", "shape"]
