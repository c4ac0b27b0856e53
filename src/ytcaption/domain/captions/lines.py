# ruff: noqa: RUF001  (the punctuation of other scripts is meant)
"""Where a line (or a cue) may end: at punctuation, then at clause boundaries, then between words;
never after an article or a preposition, never inside a name, never leaving one short word alone;
and lines balanced."""

from __future__ import annotations

import itertools
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


def break_lines(
    tokens: Sequence[Token], max_chars: int, max_lines: int, starts: Sequence[bool]
) -> tuple[list[list[Token]], float] | None:
    """The best split of `tokens` into as few lines as fit (at most `max_lines` of `max_chars`), and
    its cost; None if they do not fit. `starts[i]` says whether tokens[i] begins a sentence."""
    n = len(tokens)
    total = length(tokens)
    if total <= max_chars:
        return [list(tokens)], 0.0
    if max_lines < 2 or total > max_lines * max_chars + max_lines - 1:
        return None
    # prefix[i]: length of tokens[:i] counting spaces between them.
    prefix = [0]
    for i, token in enumerate(tokens):
        prefix.append(prefix[-1] + len(token.text) + (1 if token.space and i else 0))

    def span(a: int, b: int) -> int:  # length of tokens[a:b] as one line
        return prefix[b] - prefix[a] - (1 if tokens[a].space and a else 0)

    for count in range(2, max_lines + 1):
        target = total / count
        # best[k][j]: (cost, breaks) of tokens[:j] in k lines.
        start: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}
        best = [start] + [{} for _ in range(count)]
        for k in range(1, count + 1):
            for j in range(1, n + 1):
                if k == count and j != n:
                    continue
                options = []
                for i, (cost, breaks) in best[k - 1].items():
                    if i >= j or span(i, j) > max_chars:
                        continue
                    line = tokens[i:j]
                    c = cost + abs(span(i, j) - target) / max_chars * 2.0
                    if _orphan(line):
                        c += 5.0
                    if j < n:
                        c += break_cost(tokens[j - 1], tokens[j], starts[j - 1])
                    options.append((c, (*breaks, j)))
                if options:
                    best[k][j] = min(options)
        if n in best[count]:
            cost, breaks = best[count][n]
            edges = [0, *breaks]
            return [list(tokens[a:b]) for a, b in itertools.pairwise(edges)], cost
    return None
