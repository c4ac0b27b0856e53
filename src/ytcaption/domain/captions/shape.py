"""Cues from timed words: which words share a cue (a least-cost split of each stretch of speech
between long pauses), how they break into lines, and how long each cue stays on screen.

Hard rules hold by construction: lines a cue, characters a line, the longest time on screen, no
overlap and a minimum gap. The minimum time on screen and the reading speed are costs: a cue may
borrow time from the silence after it (up to `linger_seconds`), but words are never dropped, so fast
speech with no silence after it can leave a cue short or fast; the checker lists those.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ytcaption.domain.captions.lines import LineFitter, ends_sentence, length, text_of
from ytcaption.domain.captions.rules import Rules
from ytcaption.domain.captions.words import Token

# Costs, in units of one ordinary break between words.
_PER_CUE = 1.0  # fewer, fuller cues
_CUE_END_WEIGHT = 2.0  # a cue's end matters more than a line's
_INNER_SENTENCE_END = 1.5  # a sentence that ends inside a cue (start a new cue there where one is near)
_TOO_SHORT = 3.0
_TOO_FAST = 4.0
_SQUEEZED = 1000.0  # two cues whose first words start together: nothing left to show the first


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[tuple[Token, ...], ...]

    @property
    def speaker(self) -> str | None:
        return self.lines[0][0].speaker if self.lines and self.lines[0] else None

    @property
    def tokens(self) -> list[Token]:
        return [t for line in self.lines for t in line]

    @property
    def text(self) -> str:
        return "\n".join(text_of(line) for line in self.lines)

    @property
    def characters(self) -> int:
        """What a viewer reads: the text as one line (a line break counts as the space it replaces)."""
        return length(self.tokens)


def _split_long(tokens: Sequence[Token], max_chars: int) -> list[Token]:
    """A word longer than a line (a URL, a run of characters without spaces) cut into line-long pieces,
    its time shared by length; nothing else changes."""
    out: list[Token] = []
    for token in tokens:
        if len(token.text) <= max_chars:
            out.append(token)
            continue
        pieces = [token.text[i : i + max_chars] for i in range(0, len(token.text), max_chars)]
        step = (token.end - token.start) / len(pieces)
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            at = token.start + n * step
            out.append(Token(piece, at, at + step, token.space and n == 0, token.closes and last, token.speaker))
    return out


def _runs(tokens: Sequence[Token], pause: float) -> list[list[Token]]:
    """Stretches of speech between silences of at least `pause` seconds, or where the speaker changes
    (a cue never mixes speakers: a new speaker starts a new cue)."""
    runs: list[list[Token]] = []
    for token in tokens:
        if runs and token.start - runs[-1][-1].end < pause and token.speaker == runs[-1][-1].speaker:
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


def _available(rules: Rules, start: float, last_end: float, next_start: float | None) -> float:
    """How long a cue from `start` can stay: past its last word by at most `linger_seconds`, before
    the next cue by at least the gap, and no longer than the longest cue."""
    end = last_end + rules.linger_seconds
    if next_start is not None:
        end = min(end, next_start - rules.min_gap_seconds)
    return min(end, start + rules.max_cue_seconds) - start


def _sentence_starts(tokens: Sequence[Token]) -> list[bool]:
    return [n == 0 or ends_sentence(tokens[n - 1]) for n in range(len(tokens))]


def _shape_run(
    run: Sequence[Token], next_start: float | None, rules: Rules
) -> list[tuple[int, int, list[list[Token]]]]:
    n = len(run)
    starts = _sentence_starts(run)
    fitter = LineFitter(run, starts)
    sentences = [0]  # sentences[k]: sentence ends among run[:k]
    for token in run:
        sentences.append(sentences[-1] + (1 if ends_sentence(token) else 0))
    capacity = rules.max_lines * (rules.max_line_chars + 1)
    best: list[float] = [0.0] + [math.inf] * n
    choice: list[tuple[int, tuple[int, ...]]] = [(0, ())] * (n + 1)
    for i in range(n):
        for j in range(i + 1, n + 1):
            chars = fitter.span(i, j)
            if j - i > 1 and (chars > capacity or run[j - 1].end - run[i].start > rules.max_cue_seconds):
                break
            fitted = fitter.fit(i, j, rules.max_line_chars, rules.max_lines)
            if fitted is None:
                if j - i > 1:
                    break
                fitted = ((), 0.0)  # cannot happen after _split_long; keep the word rather than lose it
            breaks, cost = fitted
            cost += _PER_CUE
            after = run[j].start if j < n else next_start
            if j < n:
                cost += _CUE_END_WEIGHT * fitter.after[j - 1]
            inner = sentences[j - 1] - sentences[i]
            if inner:
                cost += _INNER_SENTENCE_END * inner
                if breaks and ends_sentence(run[breaks[0] - 1]):
                    cost -= _INNER_SENTENCE_END * 0.6  # two sentences on two lines read well enough
            shown = _available(rules, run[i].start, run[j - 1].end, after)
            if shown < rules.min_cue_seconds:
                cost += _TOO_SHORT * (1 + (rules.min_cue_seconds - max(shown, 0.0)) / rules.min_cue_seconds)
            if shown <= 0.001:
                cost += _SQUEEZED
            elif chars / shown > rules.max_chars_per_second:
                cost += _TOO_FAST * (1 + chars / shown / rules.max_chars_per_second)
            if best[i] + cost < best[j]:
                best[j] = best[i] + cost
                choice[j] = (i, breaks)
    cues: list[tuple[int, int, list[list[Token]]]] = []
    j = n
    while j > 0:
        i, breaks = choice[j]
        edges = [i, *breaks, j]
        cues.append((i, j, [list(run[a:b]) for a, b in itertools.pairwise(edges)]))
        j = i
    return cues[::-1]


def shape(tokens: Sequence[Token], rules: Rules) -> list[Cue]:
    """The cues of a stream of timed words, in order; every word in exactly one cue."""
    words = _split_long(tokens, rules.max_line_chars)
    runs = _runs(words, rules.pause_seconds)
    grouped: list[tuple[list[Token], list[list[Token]]]] = []
    for r, run in enumerate(runs):
        next_start = runs[r + 1][0].start if r + 1 < len(runs) else None
        for i, j, lines in _shape_run(run, next_start, rules):
            grouped.append((list(run[i:j]), lines))
    return _timed(grouped, rules)


def _timed(grouped: Sequence[tuple[list[Token], list[list[Token]]]], rules: Rules) -> list[Cue]:
    """Times in whole milliseconds: from the first word's start to the last word's end, extended into
    the silence after for the minimum duration and reading speed, cut before the next cue."""
    ms = 1000
    gap = round(rules.min_gap_seconds * ms)
    starts = [round(words[0].start * ms) for words, _ in grouped]
    cues: list[Cue] = []
    previous_end = -gap
    for c, (words, lines) in enumerate(grouped):
        # A cue never starts before the previous one ended plus the gap (only degenerate timings move it).
        start = max(starts[c], previous_end + gap)
        last_end = round(words[-1].end * ms)
        chars = length(words)
        wanted = max(
            last_end,
            start + round(rules.min_cue_seconds * ms),
            start + math.ceil(chars / rules.max_chars_per_second * ms),
        )
        end = min(wanted, last_end + round(rules.linger_seconds * ms), start + round(rules.max_cue_seconds * ms))
        if c + 1 < len(grouped):
            end = min(end, starts[c + 1] - gap)
        end = max(end, start + 1)
        previous_end = end
        cues.append(Cue(start / ms, end / ms, tuple(tuple(line) for line in lines)))
    return cues
