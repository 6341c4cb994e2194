"""A second device on a machine that has only a CPU, for the tests of where things run.

CI and our machines have no GPU, so nothing there could see the bug that crashed six notebooks on
every GPU: a network built on the CPU, the images put on CUDA. Under :func:`second_device` a tensor
moved to or created on ``"meta"`` is an :class:`Elsewhere`: its numbers live in an ordinary CPU
tensor, but its ``.device`` is ``meta``, and every operator checks what a GPU checks:

* all tensor arguments on one device (a 0-dim CPU tensor may join, as it may join a CUDA op), else
  ``RuntimeError: Expected all tensors to be on the same device …``, torch's own message;
* ``.numpy()`` of such a tensor fails, as for a CUDA tensor: drawing code must bring images to the CPU;
* no float64 (or complex128) tensor may live there, as on Apple's MPS, with its message: float64
  work stays on the CPU (notebook 04's gradient checks, ``control``'s colour conversion).

``NST_EDU_DEVICE=meta`` makes ``default_device()`` pick it, as it picks a GPU on a student's
machine. Why "meta" and not a fake "cuda": torch's CUDA build looks up a CUDA stream for every
tensor autograd tracks, and that aborts the process when there is no driver; meta has no streams.
The arithmetic is the CPU's, so the results are the CPU's results.
"""
from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Iterator

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

OTHER = torch.device("meta")
_CPU = torch.device("cpu")


class Elsewhere(torch.Tensor):
    """A tensor reported on the second device whose data is the CPU tensor ``elem``."""

    elem: torch.Tensor

    @staticmethod
    def __new__(cls, elem: torch.Tensor) -> "Elsewhere":
        r = torch.Tensor._make_wrapper_subclass(
            cls, elem.size(), strides=elem.stride(), storage_offset=elem.storage_offset(),
            dtype=elem.dtype, layout=elem.layout, device=OTHER, requires_grad=elem.requires_grad,
        )
        r.elem = elem
        return r

    def __repr__(self) -> str:
        return f"Elsewhere({self.elem!r})"

    def tolist(self) -> Any:  # a GPU tensor's .tolist() copies to the host; so does this
        return self.elem.tolist()

    def numpy(self, *, force: bool = False) -> Any:  # as torch says for a CUDA tensor
        raise TypeError(f"can't convert {OTHER.type} device type tensor to numpy. "
                        "Use Tensor.cpu() to copy the tensor to host memory first.")

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):  # only reached outside the mode
        raise RuntimeError(f"{func} on a second-device tensor outside second_device()")


#: Indexing moves CPU index tensors to the indexed tensor's device by itself (a GPU allows it).
_CPU_INDICES_ALLOWED = (torch.ops.aten.index.Tensor, torch.ops.aten.index_put_.default,
                        torch.ops.aten.index_put.default, torch.ops.aten._index_put_impl_.default)


def _is_other(device: Any) -> bool:
    return device is not None and torch.device(device).type == OTHER.type


_NO_FLOAT64 = (torch.float64, torch.complex128)


def _refuse_float64(out: Any) -> None:
    """MPS has no float64: what a student's Mac refuses, the second device refuses (torch's MPS message)."""
    for t in tree_map(lambda t: t, out) if isinstance(out, (tuple, list)) else [out]:
        if isinstance(t, torch.Tensor) and t.dtype in _NO_FLOAT64:
            raise TypeError("Cannot convert a MPS Tensor to float64 dtype as the MPS framework doesn't support "
                            f"float64. Please use float32 instead. (second_device: {t.dtype} on {OTHER})")


class _SecondDeviceMode(TorchDispatchMode):
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        devices: set[str] = set()

        def unwrap(t: Any) -> Any:
            if isinstance(t, Elsewhere):
                devices.add(str(OTHER))
                return t.elem
            if isinstance(t, torch.Tensor) and t.dim() > 0:
                devices.add(str(t.device))
            return t

        plain_args = tree_map(unwrap, args)
        plain_kwargs = tree_map(unwrap, {k: v for k, v in kwargs.items() if k != "device"})
        if func in _CPU_INDICES_ALLOWED:  # x_cuda[:, cpu_indices] is allowed on a GPU: judge x (and values)
            devices = {str(OTHER) if isinstance(a, Elsewhere) else str(a.device)
                       for k, a in enumerate(args) if k != 1 and isinstance(a, torch.Tensor) and a.dim() > 0}
        moves = func in (torch.ops.aten.copy_.default, torch.ops.aten._to_copy.default)  # their job
        if len(devices) > 1 and not moves:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{' and '.join(sorted(devices))}! (second_device: {func})"
            )
        if kwargs.get("device") is not None:  # factories and .to(device): the named device
            elsewhere = _is_other(kwargs["device"])
            plain_kwargs["device"] = _CPU
        elif moves:  # x.to(dtype) keeps x's device; dst.copy_(src) writes into dst
            elsewhere = isinstance(args[0], Elsewhere)
        else:
            elsewhere = devices == {str(OTHER)}
        out = func(*plain_args, **plain_kwargs)
        if elsewhere:
            _refuse_float64(out)
        if func._schema.is_mutable:  # in place: the first argument changed; hand it back as it was
            return args[0]
        if elsewhere:
            return tree_map(lambda t: Elsewhere(t) if isinstance(t, torch.Tensor) else t, out)
        return out


class _FromDataMode(TorchFunctionMode):
    # torch.tensor(data, device=...) and torch.as_tensor build their tensor below the dispatcher,
    # where the mode above cannot see them: build on the CPU, then move through the mode.
    _FROM_DATA = (torch.tensor, torch.as_tensor, torch.asarray)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in self._FROM_DATA and _is_other(kwargs.get("device")):
            kwargs["device"] = _CPU
            return func(*args, **kwargs).to(OTHER)
        return func(*args, **kwargs)


@contextlib.contextmanager
def second_device() -> Iterator[torch.device]:
    """Run the block as on a machine whose ``default_device()`` is not the CPU; yields that device."""
    saved = os.environ.get("NST_EDU_DEVICE")
    os.environ["NST_EDU_DEVICE"] = OTHER.type
    # A dispatch mode holds for one thread; the explorer synthesises in a thread of its own.
    thread_run = threading.Thread.run

    def run_here_too(thread: threading.Thread) -> None:
        with _FromDataMode(), _SecondDeviceMode():
            thread_run(thread)

    threading.Thread.run = run_here_too  # type: ignore[method-assign]
    try:
        with _FromDataMode(), _SecondDeviceMode():
            yield OTHER
    finally:
        threading.Thread.run = thread_run  # type: ignore[method-assign]
        if saved is None:
            os.environ.pop("NST_EDU_DEVICE", None)
        else:
            os.environ["NST_EDU_DEVICE"] = saved
