"""Training checkpoints: one safetensors file per checkpoint folder, written atomically.

A checkpoint is a single file, ``checkpoint.safetensors``, holding every tensor of the training
state (weights, optimizer buffers, persistent chains, random generator state, the compiled
loop's state) and, in its metadata, the epoch, the history and the run's identity. One file
written by one rename means that a kill at any instant leaves either the previous checkpoint or
the new one, never a mixture of the two.

The identity is a sha256 over the training data (train and validation arrays, bytes, shapes and
dtypes), the training config and the model's description. Resuming from a checkpoint of another
identity is refused with :class:`~deeprg.errors.CheckpointError` (CLI exit code 2): training
zero epochs and returning the weights of another run would be a silent wrong answer. The
number of epochs is part of the identity only when the learning-rate schedule depends on it,
so that a run can be continued to more epochs with a constant rate.

No pickle: safetensors stores raw tensors and a JSON string.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open
from safetensors.torch import save as _safetensors_bytes

from deeprg.errors import CheckpointError
from deeprg.utils import atomic_write_bytes, clean_stale_temporaries

CHECKPOINT_FILE = "checkpoint.safetensors"
FORMAT = "deeprg-checkpoint-v1"
#: Files of the earlier two-file format; a folder holding them is another format, refused.
LEGACY_FILES = ("checkpoint.pt", "checkpoint.json")


def data_fingerprint(*arrays) -> str:
    """sha256 (hex) over arrays' shapes, dtypes and bytes (None entries count as absent)."""
    digest = hashlib.sha256()
    for a in arrays:
        if a is None:
            digest.update(b"none;")
            continue
        t = a.detach().cpu().contiguous() if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))
        digest.update(f"{tuple(t.shape)}|{t.dtype};".encode())
        digest.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return digest.hexdigest()


def run_identity(config: dict, model: dict, data_sha256: str) -> dict:
    """The identity of a training run: config (without ``epochs`` under a constant schedule),
    the model description and the data fingerprint, with their combined sha256."""
    cfg = dict(config)
    if cfg.get("schedule", "constant") == "constant":
        cfg.pop("epochs", None)
    body = {"config": cfg, "model": model, "data_sha256": data_sha256}
    text = json.dumps(body, sort_keys=True, default=str)
    return {**body, "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _describe_mismatch(stored: dict, wanted: dict) -> str:
    if stored.get("data_sha256") != wanted["data_sha256"]:
        return "it was trained on other data"
    if stored.get("model") != wanted["model"]:
        return f"it holds another model ({stored.get('model')} instead of {wanted['model']})"
    a, b = stored.get("config", {}), wanted["config"]
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return "its training config differs in " + ", ".join(f"{k} ({a.get(k)!r} vs {b.get(k)!r})" for k in keys)


def save_checkpoint(folder, tensors: dict[str, torch.Tensor], meta: dict) -> Path:
    """Write ``tensors`` and the JSON-ready ``meta`` (must contain ``identity``) as one file."""
    folder = Path(folder)
    payload = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    metadata = {"format": FORMAT, "meta": json.dumps(meta, default=_json_default)}
    path = folder / CHECKPOINT_FILE
    atomic_write_bytes(path, _safetensors_bytes(payload, metadata=metadata))
    return path


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray | torch.Tensor):
        return obj.tolist()
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


def load_checkpoint(folder, identity: dict, *, device="cpu") -> tuple[dict, dict] | None:
    """Read the checkpoint in ``folder``: (tensors, meta), or None when there is none yet.

    Raises:
        CheckpointError: the folder holds a checkpoint of another run (other data, config or
            model), a checkpoint in the old two-file format, or a corrupted file.
    """
    folder = Path(folder)
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise CheckpointError(f"checkpoint {folder} is a file, a folder was expected")
    clean_stale_temporaries(folder)
    path = folder / CHECKPOINT_FILE
    if not path.exists():
        legacy = [name for name in LEGACY_FILES if (folder / name).exists()]
        if legacy:
            raise CheckpointError(
                f"checkpoint folder {folder} holds {legacy} of an older deeprg format that cannot be "
                "resumed safely; delete them or use another --checkpoint folder"
            )
        return None
    try:
        with safe_open(str(path), framework="pt") as fh:
            metadata = fh.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise CheckpointError(f"{path}: not a deeprg checkpoint (format {metadata.get('format')!r})")
        meta = json.loads(metadata["meta"])
        tensors = load_file(str(path), device=str(device))
    except CheckpointError:
        raise
    except (SafetensorError, OSError, ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{path} is corrupted ({exc}); delete it to start over") from None
    stored = meta.get("identity", {})
    if stored.get("sha256") != identity["sha256"]:
        raise CheckpointError(
            f"checkpoint {folder} belongs to another run: {_describe_mismatch(stored, identity)}; "
            "use another --checkpoint folder, or delete this one to start over"
        )
    return tensors, meta


# -- the Trainer's state as flat tensors --------------------------------------------------------
_FAST_ARRAYS = ("W", "vb", "hb", "bW", "bv", "bh", "chains")


def trainer_state(trainer) -> tuple[dict[str, torch.Tensor], dict]:
    """Flatten a :class:`~deeprg.nn.Trainer`'s resumable state into (tensors, JSON meta)."""
    tensors = {f"model.{k}": v for k, v in trainer.rbm.state_dict().items()}
    opt = trainer.optimizer.state_dict()
    for idx, state in opt["state"].items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{idx}.{key}"] = value
    tensors["chains"] = trainer.chains
    tensors["generator"] = trainer.generator.get_state()
    if getattr(trainer, "_monitor_generator", None) is not None:
        tensors["monitor_generator"] = trainer._monitor_generator.get_state()
    tensors["swap_counts"] = torch.as_tensor(np.asarray(getattr(trainer, "_swap_counts", np.zeros((1, 2)))))
    meta = {
        "epoch": trainer.state.epoch,
        "history": trainer.state.history,
        "swap_acceptance": trainer.state.swap_acceptance,
        "optimizer_param_groups": opt["param_groups"],
    }
    if hasattr(trainer, "_fast"):  # the compiled loop's own state (momentum, stream)
        f = trainer._fast
        for k in _FAST_ARRAYS:
            tensors[f"fast.{k}"] = torch.from_numpy(np.asarray(f[k]).copy())
        tensors["fast.rng"] = torch.from_numpy(f["rng"].view(np.int64).copy())
        meta["fast_first"] = bool(f["first"])
    if getattr(trainer, "_buffered_rng", None) is not None:  # the buffered loop's Bernoulli stream
        tensors["buffered.rng"] = torch.from_numpy(trainer._buffered_rng.view(np.int64).copy())
    return tensors, meta


def restore_trainer(trainer, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    """Inverse of :func:`trainer_state`."""
    model = {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
    trainer.rbm.load_state_dict(model)
    state: dict = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    trainer.optimizer.load_state_dict({"state": state, "param_groups": meta["optimizer_param_groups"]})
    trainer.chains = tensors["chains"]
    trainer.generator.set_state(tensors["generator"].cpu())
    if "monitor_generator" in tensors and getattr(trainer, "_monitor_generator", None) is not None:
        trainer._monitor_generator.set_state(tensors["monitor_generator"].cpu())
    trainer._swap_counts = tensors["swap_counts"].cpu().numpy().copy()
    if "fast.W" in tensors:
        f = {k: tensors[f"fast.{k}"].cpu().numpy().copy() for k in _FAST_ARRAYS}
        f["rng"] = tensors["fast.rng"].cpu().numpy().view(np.uint64).copy()
        f["first"] = bool(meta["fast_first"])
        trainer._fast = f
    if "buffered.rng" in tensors:
        trainer._buffered_rng = tensors["buffered.rng"].cpu().numpy().view(np.uint64).copy()
    trainer.state.epoch = int(meta["epoch"])
    trainer.state.history = list(meta["history"])
    trainer.state.swap_acceptance = list(meta.get("swap_acceptance", []))
    if trainer.state.epoch > trainer.config.epochs:
        raise CheckpointError(
            f"the checkpoint has already trained {trainer.state.epoch} epochs, more than the "
            f"{trainer.config.epochs} asked for; ask for at least {trainer.state.epoch} epochs"
        )


__all__ = [
    "CHECKPOINT_FILE",
    "data_fingerprint",
    "load_checkpoint",
    "restore_trainer",
    "run_identity",
    "save_checkpoint",
    "trainer_state",
]
