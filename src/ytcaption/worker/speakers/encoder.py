"""The GE2E speaker encoder (resemblyzer's network) run in numpy.

A 3-layer LSTM (hidden 256) over 40-channel mel frames; the last layer's final
hidden state goes through a linear layer, ReLU and L2 norm: one 256-d voice
embedding per window. Windows of equal length run as one batch.
"""

from __future__ import annotations

import numpy as np

from ytcaption.worker.speakers import weights

LAYERS = 3
HIDDEN = 256


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Encoder:
    def __init__(self, state: dict[str, np.ndarray] | None = None) -> None:
        self.state = state if state is not None else weights.load()
        self._layers: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _layer(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(W_ih^T, W_hh^T, bias) with the gates reordered from torch's (input, forget, cell,
        output) to (input, forget, output, cell): one sigmoid covers three gates."""
        cached = self._layers.get(layer)
        if cached is None:
            order = np.r_[0 : 2 * HIDDEN, 3 * HIDDEN : 4 * HIDDEN, 2 * HIDDEN : 3 * HIDDEN]
            w_ih = self.state[f"lstm.weight_ih_l{layer}"][order].T.copy()
            w_hh = self.state[f"lstm.weight_hh_l{layer}"][order].T.copy()
            bias = (self.state[f"lstm.bias_ih_l{layer}"] + self.state[f"lstm.bias_hh_l{layer}"])[order]
            cached = self._layers[layer] = (w_ih, w_hh, bias)
        return cached

    def embed(self, mels: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """(batch, frames, 40) mel windows -> (batch, 256) unit vectors.

        `lengths`: each window's frames when shorter ones are right-padded; its embedding
        is taken from its own last frame, so padding changes nothing and all lengths batch together.
        """
        x = mels.astype(np.float32)
        batch, steps, _ = x.shape
        last = np.full(batch, steps - 1) if lengths is None else np.asarray(lengths) - 1
        for layer in range(LAYERS):
            w_ih, w_hh, bias = self._layer(layer)
            # Input projections for every step at once; only the recurrence is sequential.
            projected = x @ w_ih + bias
            h = np.zeros((batch, HIDDEN), np.float32)
            c = np.zeros((batch, HIDDEN), np.float32)
            outputs = np.empty((batch, steps, HIDDEN), np.float32)
            for t in range(steps):
                gates = projected[:, t] + h @ w_hh
                ifo = _sigmoid(gates[:, : 3 * HIDDEN])
                i, f, o = ifo[:, :HIDDEN], ifo[:, HIDDEN : 2 * HIDDEN], ifo[:, 2 * HIDDEN :]
                g = np.tanh(gates[:, 3 * HIDDEN :])
                c = f * c + i * g
                h = o * np.tanh(c)
                outputs[:, t] = h
            x = outputs
        h = x[np.arange(batch), last]
        raw = np.maximum(0, h @ self.state["linear.weight"].T + self.state["linear.bias"])
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        unit: np.ndarray = raw / np.maximum(norms, 1e-9)
        return unit
