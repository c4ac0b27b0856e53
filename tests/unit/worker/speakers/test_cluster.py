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
