# ruff: noqa: RUF001  (the punctuation of other scripts is meant)
"""Where a line (or a cue) may end: at punctuation, then at clause boundaries, then between words;
never after an article or a preposition, never inside a name, never leaving one short word alone;
and lines balanced."""

from __future__ import annotations

from collections.abc import Sequence

from ytcaption.domain.captions.words import Token

SENTENCE_END = tuple(".?!…。？！")
CLAUSE_END = tuple(",;:，、；：—–")
CLOSERS = "\"'”’)]»」』）"
# Abbreviations whose full stop ends no sentence.
ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "st.", "prof.", "sr.", "jr.", "e.g.", "i.e.", "vs.", "no."})
# A clause starts before these: a good place for a break.
CLAUSE_STARTS = frozenset(
    [
        "and",
        "but",
        "or",
        "nor",
        "so",
        "yet",
        "because",
        "although",
        "though",
        "while",
        "whereas",
        "when",
        "whenever",
        "where",
        "if",
        "unless",
        "until",
        "since",
        "after",
        "before",
        "that",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "how",
        "why",
        "then",
    ]
)
# A line or cue should not end on these: they belong to the words after them.
CLINGING = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "about",
        "into",
        "onto",
        "over",
        "under",
        "than",
        "as",
        "my",
        "your",
        "his",
        "her",
        "its",
        "our",
        "their",
        "this",
        "these",
        "those",
        "that's",
        "i'm",
        "i",
        "we",
        "you",
        "he",
        "she",
        "they",
        "it's",
        "is",
        "are",
        "was",
        "were",
        "be",
        "not",
        "no",
        "very",
    ]
)
SHORT_WORD = 3


def _bare(text: str) -> str:
    return text.rstrip(CLOSERS)


def ends_sentence(token: Token) -> bool:
    bare = _bare(token.text)
    return bare.endswith(SENTENCE_END) and bare.lower() not in ABBREVIATIONS


def ends_clause(token: Token) -> bool:
    return _bare(token.text).endswith(CLAUSE_END)


def _is_name_word(token: Token) -> bool:
    text = token.text.strip("\"'“‘(")
    return bool(text) and text[0].isupper() and text not in {"I", "I'm", "I've", "I'll", "I'd"}


def break_cost(before: Token, after: Token, first_of_sentence: bool) -> float:
    """How bad a break between two words is: 0 after a sentence, 4 inside a name."""
    if ends_sentence(before):
        return 0.0
    if ends_clause(before):
        return 0.3
    if before.closes:
        return 0.4
    word = before.text.lower().strip("\"'“‘(")
    if _is_name_word(before) and _is_name_word(after) and not first_of_sentence and before.space == after.space:
        return 4.0  # "John | Smith": a name split over two lines or cues
    if word in CLINGING:
        return 2.0
    if after.text.lower().strip("\"'“‘(") in CLAUSE_STARTS:
        return 0.6
    return 1.0


def text_of(tokens: Sequence[Token]) -> str:
    return "".join((" " if t.space and n else "") + t.text for n, t in enumerate(tokens))


def length(tokens: Sequence[Token]) -> int:
    return sum(len(t.text) for t in tokens) + sum(1 for t in tokens[1:] if t.space)


def _orphan(tokens: Sequence[Token]) -> bool:
    return len(tokens) == 1 and len(tokens[0].text) <= SHORT_WORD and tokens[0].text.isascii()


class LineFitter:
    """Line breaks for any stretch tokens[i:j] of one run of speech, from sums and costs computed once
    per run (the cue search asks for thousands of stretches)."""

    def __init__(self, tokens: Sequence[Token], starts: Sequence[bool]) -> None:
        self.tokens = tokens
        self.prefix = [0]
        for k, token in enumerate(tokens):
            self.prefix.append(self.prefix[-1] + len(token.text) + (1 if token.space and k else 0))
        self.after = [break_cost(tokens[k], tokens[k + 1], starts[k]) for k in range(len(tokens) - 1)]
        self.orphan = [_orphan([t]) for t in tokens]

    def span(self, a: int, b: int) -> int:
        """Characters of tokens[a:b] as one line."""
        return self.prefix[b] - self.prefix[a] - (1 if a and self.tokens[a].space else 0)

    def _line(self, a: int, b: int, target: float, max_chars: int) -> float:
        cost = abs(self.span(a, b) - target) / max_chars * 2.0
        return cost + (5.0 if b - a == 1 and self.orphan[a] else 0.0)

    def fit(self, i: int, j: int, max_chars: int, max_lines: int) -> tuple[tuple[int, ...], float] | None:
        """The line starts after the first (as indexes into the run) and the cost, for the fewest lines
        that fit; None if tokens[i:j] do not fit in `max_lines` lines of `max_chars`."""
        total = self.span(i, j)
        if total <= max_chars:
            return (), 0.0
        if max_lines < 2 or total > max_lines * (max_chars + 1):
            return None
        best: tuple[float, tuple[int, ...]] | None = None
        target = total / 2
        for b in range(i + 1, j):
            if self.span(i, b) > max_chars:
                break
            if self.span(b, j) > max_chars:
                continue
            cost = self._line(i, b, target, max_chars) + self._line(b, j, target, max_chars) + self.after[b - 1]
            if best is None or cost < best[0]:
                best = (cost, (b,))
        if best is None and max_lines >= 3:
            target = total / 3
            for b in range(i + 1, j - 1):
                if self.span(i, b) > max_chars:
                    break
                first = self._line(i, b, target, max_chars) + self.after[b - 1]
                for c in range(b + 1, j):
                    if self.span(b, c) > max_chars:
                        break
                    if self.span(c, j) > max_chars:
                        continue
                    cost = first + self._line(b, c, target, max_chars) + self._line(c, j, target, max_chars)
                    cost += self.after[c - 1]
                    if best is None or cost < best[0]:
                        best = (cost, (b, c))
        return None if best is None else (best[1], best[0])
