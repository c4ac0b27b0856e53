"""Clustering voice embeddings: counts honoured, `auto` separates unlike groups."""

from __future__ import annotations

import numpy as np

from ytcaption.worker.speakers.cluster import agglomerate


def _groups(sizes: tuple[int, ...], spread: float = 0.1, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.eye(len(sizes), 16)
    rows, truth = [], []
    for index, size in enumerate(sizes):
        points = centres[index] + spread * rng.standard_normal((size, 16))
        rows.append(points)
        truth += [index] * size
    # Interleaved, as turns of a conversation are.
    order = rng.permutation(len(truth))
    data = np.concatenate(rows)[order]
    return data / np.linalg.norm(data, axis=1, keepdims=True), np.array(truth)[order]


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return all(len(set(b[a == label])) == 1 for label in set(a)) and len(set(a)) == len(set(b))


def test_auto_finds_the_groups_and_numbers_them_by_first_appearance() -> None:
    data, truth = _groups((12, 7, 3))
    labels = agglomerate(data)
    assert _same_partition(labels, truth)
    assert labels[0] == 0 and list(dict.fromkeys(labels.tolist())) == [0, 1, 2]


def test_exact_count_and_bounds_are_honoured() -> None:
    data, _ = _groups((10, 10, 10, 10))
    assert agglomerate(data, count=2).max() + 1 == 2
    assert agglomerate(data, count=6).max() + 1 == 6
    assert agglomerate(data, max_count=3).max() + 1 == 3  # auto would find 4
    one, _ = _groups((20,))
    assert agglomerate(one).max() + 1 == 1
    assert agglomerate(one, min_count=2).max() + 1 == 2


def test_no_embeddings_no_labels() -> None:
    assert agglomerate(np.zeros((0, 16))).size == 0
    assert agglomerate(np.ones((1, 16)) / 4).tolist() == [0]


def test_groups_first_reduced_on_their_own_give_the_same_speakers() -> None:
    """A long job beyond the one-stage limit: four chunks' windows, each reduced in its chunk, then
    clustered together; up to the limit the rows are clustered in one stage, as a whole file's are."""
    from ytcaption.worker.speakers.cluster import agglomerate_in_groups

    data, truth = _groups((30, 20, 12), spread=0.12, seed=3)
    groups = [np.arange(i, min(i + 16, len(data))) for i in range(0, len(data), 16)]
    labels = agglomerate_in_groups(data, groups, limit=0)
    assert _same_partition(labels, truth)
    assert labels.tolist() == agglomerate(data).tolist()  # numbered by first appearance, as one stage numbers them
    assert agglomerate_in_groups(data, groups, count=2, limit=0).max() + 1 == 2
    assert agglomerate_in_groups(data, groups).tolist() == agglomerate(data).tolist()
    assert agglomerate_in_groups(np.zeros((0, 16)), []).size == 0


def test_an_odd_window_of_a_long_job_joins_the_voice_most_like_it() -> None:
    """One window half like voice 0 (a short word): alone in two stages, it would be a fourth speaker."""
    from ytcaption.worker.speakers.cluster import agglomerate_in_groups

    data, truth = _groups((60, 50, 40), spread=0.1, seed=5)
    odd = np.eye(1, 16, 0)[0] * 0.55 + np.eye(1, 16, 9)[0]
    data = np.vstack([odd / np.linalg.norm(odd), data])
    groups = [np.arange(i, min(i + 30, len(data))) for i in range(0, len(data), 30)]
    labels = agglomerate_in_groups(data, groups, limit=0)
    assert labels.max() + 1 == 3 and _same_partition(labels[1:], truth)
    assert labels[0] == labels[1 + int(np.flatnonzero(truth == 0)[0])]
    # An exact count is the caller's word: nothing is absorbed, the count is kept.
    assert agglomerate_in_groups(data, groups, count=4, limit=0).max() + 1 == 4
