"""Group voice embeddings into speakers: agglomerative clustering, average linkage, cosine.

With a count the merging stops at that many clusters; with `auto` it stops when
the two closest groups are less alike than a threshold, then the count is held
within min/max when those are given.

A long job's windows are clustered all together up to DIRECT_LIMIT (as a whole file's are); beyond
it, in two stages (agglomerate_in_groups): each chunk's windows are first merged among themselves
while they are very alike, then the job's groups are clustered together. Average linkage between
groups of unit vectors is the dot product of their (unnormalised) means, so the second stage is
exact average linkage over windows, only constrained by the first stage's merges. That constraint
leaves a voice's odd window (a short word, a cough) out of its voice's group, where one stage would
have merged it early with a neighbour: so with `auto` a cluster of under 1 % of the windows is given
to the cluster most like it, as diarization pipelines do with a minimum cluster size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Average cosine similarity below which two groups of windows are different voices
# (GE2E windows of one voice average 0.78-0.88 on the test voices; different voices 0.46-0.64).
AUTO_THRESHOLD = 0.65
# Within one chunk, windows this alike are one voice before the job is clustered: well above the
# different-voice range, so the first stage only shrinks the problem (an hour: ~2,000 windows -> a few hundred).
GROUP_THRESHOLD = 0.75
# Windows clustered in one stage (an n x n matrix, n - k passes over it): 2,000 (~53 min of speech)
# take ~30 MB and seconds; an hour of speech and more goes through the two stages.
DIRECT_LIMIT = 2000
SMALL_SHARE = 0.01


def agglomerate(
    embeddings: np.ndarray,
    count: int | None = None,
    min_count: int = 1,
    max_count: int | None = None,
    threshold: float = AUTO_THRESHOLD,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """A cluster index (0..k-1, numbered by first appearance) per embedding row."""
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, np.int64)
    upper = n if max_count is None else max(1, min(max_count, n))
    lower = max(1, min(min_count, n))
    target = None if count is None else max(1, min(count, n))
    size = np.ones(n) if weights is None else weights.astype(np.float64).copy()
    sim = embeddings @ embeddings.T
    np.fill_diagonal(sim, -np.inf)
    alive = np.ones(n, bool)
    members = [[i] for i in range(n)]
    clusters = n
    while clusters > 1:
        flat = int(np.argmax(sim))
        a, b = divmod(flat, n)
        best = sim[a, b]
        if target is not None:
            if clusters <= target:
                break
        elif clusters <= upper and (best < threshold or clusters <= lower):
            break
        # Average linkage: the merged row is the size-weighted mean of the two.
        merged = (sim[a] * size[a] + sim[b] * size[b]) / (size[a] + size[b])
        sim[a], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        sim[b, :], sim[:, b] = -np.inf, -np.inf
        size[a] += size[b]
        members[a] += members[b]
        alive[b] = False
        clusters -= 1
    labels = np.empty(n, np.int64)
    for index, root in enumerate(sorted((r for r in range(n) if alive[r]), key=lambda r: min(members[r]))):
        labels[members[root]] = index
    return labels


def agglomerate_in_groups(
    embeddings: np.ndarray,
    groups: Sequence[np.ndarray],
    count: int | None = None,
    min_count: int = 1,
    max_count: int | None = None,
    threshold: float = AUTO_THRESHOLD,
    limit: int = DIRECT_LIMIT,
) -> np.ndarray:
    """As agglomerate, for rows split into groups (index arrays covering every row once). Up to
    `limit` rows, agglomerate itself; beyond, each group is reduced on its own first (merged while its
    closest pair averages >= GROUP_THRESHOLD), then the reduced groups are clustered together,
    weighted by their size, and with `auto` (no count) clusters of under SMALL_SHARE of the rows are
    given to the cluster most like them."""
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, np.int64)
    if n <= limit:
        return agglomerate(embeddings, count=count, min_count=min_count, max_count=max_count, threshold=threshold)
    means: list[np.ndarray] = []
    sizes: list[int] = []
    owner = np.empty(n, np.int64)
    for rows in groups:
        if not len(rows):
            continue
        local = agglomerate(embeddings[rows], threshold=GROUP_THRESHOLD)
        for part in range(int(local.max()) + 1):
            members = rows[local == part]
            owner[members] = len(means)
            means.append(embeddings[members].mean(axis=0))
            sizes.append(len(members))
    merged = agglomerate(
        np.stack(means), count=count, min_count=min_count, max_count=max_count, threshold=threshold,
        weights=np.array(sizes, np.float64),
    )  # fmt: skip
    if count is None:
        merged = _absorb_small(np.stack(means), np.array(sizes, np.float64), merged, min_count)
    labels = merged[owner]
    # Numbered by first appearance of a row, as agglomerate numbers its own.
    first: dict[int, int] = {}
    for label in labels.tolist():
        first.setdefault(label, len(first))
    return np.array([first[label] for label in labels.tolist()], np.int64)


def _absorb_small(means: np.ndarray, sizes: np.ndarray, labels: np.ndarray, min_count: int) -> np.ndarray:
    """Clusters under SMALL_SHARE of the rows joined to the most alike of the others (average
    linkage), smallest first, while more than `min_count` clusters remain."""
    labels = labels.copy()
    while True:
        present = np.unique(labels)
        if len(present) <= max(1, min_count):
            return labels
        weight = {int(k): float(sizes[labels == k].sum()) for k in present}
        small = [k for k in weight if weight[k] < SMALL_SHARE * sizes.sum()]
        if not small:
            return labels
        victim = min(small, key=lambda k: weight[k])
        centre = {k: (means[labels == k] * sizes[labels == k, None]).sum(axis=0) / weight[k] for k in weight}
        others = [k for k in weight if k != victim]
        labels[labels == victim] = max(others, key=lambda k: float(centre[victim] @ centre[k]))
