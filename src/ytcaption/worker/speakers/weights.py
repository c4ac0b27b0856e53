"""The speaker encoder's trained weights, read without torch.

The `resemblyzer` wheel (0.1.4, Apache-2.0) ships a trained GE2E encoder,
`resemblyzer/pretrained.pt`, saved in torch's legacy format: pickles in a row
(magic, protocol, system info, the object with storages as persistent ids, the
storage keys), then each storage's raw bytes behind an int64 element count. A
restricted unpickler turns the tensors into numpy arrays; nothing else may load.
Installing the wheel with `--no-deps` keeps torch out; we never import it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ytcaption.domain.errors import ErrorCode, YtcError
from ytcaption.worker.speakers.locate import WEIGHTS_ENV, available, installed_checkpoint

_MAGIC = 0x1950A86A20F9469CFC6C
__all__ = ["WEIGHTS_ENV", "available", "load", "read_legacy_checkpoint"]

_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64}


class _Storage:
    def __init__(self, dtype: Any, numel: int) -> None:
        self.dtype = dtype
        self.numel = numel
        self.data: np.ndarray | None = None


class _Tensor:
    """A view on a storage, resolved to numpy once the storages are read."""

    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def array(self) -> np.ndarray:
        assert self.storage.data is not None
        item = self.storage.data.itemsize
        return np.lib.stride_tricks.as_strided(
            self.storage.data[self.offset :], self.size, tuple(s * item for s in self.stride)
        ).copy()


def _rebuild_tensor(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _Tensor:
    return _Tensor(storage, offset, tuple(size), tuple(stride))


class _StateDict(dict[str, Any]):
    """torch's OrderedDict carries attributes (`_metadata`): a dict subclass can hold them."""


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "collections" and name == "OrderedDict":
            return _StateDict
        if module == "torch" and name in _DTYPES:
            return name
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in speaker weights")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, storage_type, key, _location, numel, _view = pid
        if kind != "storage" or storage_type not in _DTYPES:
            raise pickle.UnpicklingError(f"unexpected storage {pid!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(_DTYPES[storage_type], numel)
        return self.storages[key]


class _Plain(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the header")


def read_legacy_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The `model_state` of a legacy torch checkpoint as numpy arrays."""
    with path.open("rb") as f:
        if _Plain(f).load() != _MAGIC:
            raise ValueError(f"{path} is not a legacy torch checkpoint")
        _Plain(f).load()  # protocol version
        _Plain(f).load()  # system info
        storages: dict[str, _Storage] = {}
        obj = _Unpickler(f, storages).load()
        keys = _Plain(f).load()
        for key in keys:
            storage = storages[key]
            count = int(np.frombuffer(f.read(8), "<i8")[0])
            raw = f.read(count * np.dtype(storage.dtype).itemsize)
            storage.data = np.frombuffer(raw, dtype=np.dtype(storage.dtype).newbyteorder("<")).astype(storage.dtype)
    state = obj.get("model_state", obj)
    return {name: value.array() for name, value in state.items() if isinstance(value, _Tensor)}


def load() -> dict[str, np.ndarray]:
    path = installed_checkpoint()
    if path is None:
        raise YtcError(
            ErrorCode.MODEL_UNAVAILABLE,
            "Speaker labels need the speaker encoder's weights: "
            "`pip install --no-deps resemblyzer==0.1.4` (torch is not needed).",
        )
    return read_legacy_checkpoint(path)
