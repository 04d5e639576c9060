"""Model files: a directory with ``config.json`` and ``weights.safetensors``. No pickle.

A model folder is written as one unit: both files go into a temporary folder beside the target,
are fsynced, and the folder is swapped in by one rename, so that a kill at any instant leaves
either the old model or the new one, never a folder whose two files disagree.

Loading validates the format tag, the JSON, every tensor's name, shape and dtype (the sizes a
config.json declares are compared with the stored tensors before anything is allocated), and
raises :class:`~deeprg.errors.ModelFileError` naming what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import save as _safetensors_bytes

from deeprg.errors import ModelFileError
from deeprg.nn._rbm import RBM
from deeprg.utils import atomic_dir, provenance

#: config.json files larger than this are refused unread.
MAX_CONFIG_BYTES = 64 << 20

FORMAT = "deeprg-model-v1"
_TENSORS = ("W", "vbias", "hbias", "v_offset", "h_offset")


def _rbm_tensors(rbm: RBM, prefix: str = "") -> dict[str, torch.Tensor]:
    state = rbm.state_dict()
    return {f"{prefix}{k}": state[k].detach().cpu().contiguous() for k in _TENSORS}


def save_model(model, folder, *, extra: dict | None = None) -> Path:
    """Save an :class:`RBM` or :class:`DBN` to ``folder``, as one unit (see the module docstring).

    An existing model folder is replaced whole; files in it that deeprg did not write are lost.
    """
    import json as _json

    from deeprg.nn._dbn import DBN

    folder = Path(folder)
    if isinstance(model, RBM):
        tensors = _rbm_tensors(model)
        config = {"format": FORMAT, "type": "rbm", "rbm": model.config()}
    elif isinstance(model, DBN):
        tensors = {}
        for i, layer in enumerate(model.layers):
            tensors.update(_rbm_tensors(layer, f"layer{i}."))
        config = {"format": FORMAT, "type": "dbn", "layers": [layer.config() for layer in model.layers]}
    else:
        raise ModelFileError(f"can only save RBM or DBN models, got {type(model).__name__}")
    config.update(extra or {})
    config["provenance"] = provenance()
    text = _json.dumps(config, indent=2, default=_json_default) + "\n"
    blob = _safetensors_bytes(tensors)  # plain file writes below: a full disk is an OSError
    with atomic_dir(folder) as tmp:
        (tmp / "weights.safetensors").write_bytes(blob)
        (tmp / "config.json").write_text(text, encoding="utf-8")
    return folder


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


def _read_config(folder: Path) -> dict:
    if not folder.exists():
        raise ModelFileError(f"{folder}: no such model folder")
    if not folder.is_dir():
        raise ModelFileError(
            f"{folder}: a model is a folder with config.json and weights.safetensors, got a file"
        )
    for name in ("config.json", "weights.safetensors"):
        if not (folder / name).exists():
            raise ModelFileError(f"{folder}: {name} is missing; not a deeprg model folder")
    size = (folder / "config.json").stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{folder}/config.json is {size} bytes, more than a model description needs")
    try:
        config = json.loads((folder / "config.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{folder}/config.json is not valid JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{folder}: config.json has no format tag {FORMAT!r}; not written by deeprg")
    return config


def _build_rbm(cfg: dict, tensors: dict, prefix: str, where: str) -> RBM:
    if not isinstance(cfg, dict):
        raise ModelFileError(f"{where}: bad layer description {cfg!r}")
    stored = tensors.get(prefix + "W")
    if stored is None:
        raise ModelFileError(f"{where}: tensor {prefix + 'W'!r} is missing from weights.safetensors")
    declared = (cfg.get("n_visible"), cfg.get("n_hidden"))
    if stored.ndim != 2 or declared != tuple(stored.shape):
        raise ModelFileError(
            f"{where}: config.json declares n_visible, n_hidden = {declared} but the stored "
            f"weights have shape {tuple(stored.shape)}"
        )
    if cfg.get("dtype", "float32") not in ("float32", "float64"):
        raise ModelFileError(f"{where}: dtype must be float32 or float64, got {cfg.get('dtype')!r}")
    try:
        rbm = RBM(
            int(cfg["n_visible"]),
            int(cfg["n_hidden"]),
            visible=cfg["visible"],
            hidden=cfg["hidden"],
            dtype=getattr(torch, cfg.get("dtype", "float32")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{where}: bad layer description {cfg!r} ({exc})") from None
    expected = {
        "W": (rbm.n_visible, rbm.n_hidden),
        "vbias": (rbm.n_visible,),
        "hbias": (rbm.n_hidden,),
        "v_offset": (rbm.n_visible,),
        "h_offset": (rbm.n_hidden,),
    }
    state = {}
    for name, shape in expected.items():
        key = prefix + name
        if key not in tensors:
            raise ModelFileError(f"{where}: tensor {key!r} is missing from weights.safetensors")
        t = tensors[key]
        if tuple(t.shape) != shape:
            raise ModelFileError(f"{where}: tensor {key!r} has shape {tuple(t.shape)}, expected {shape}")
        if not torch.isfinite(t).all():
            raise ModelFileError(f"{where}: tensor {key!r} holds nan or inf")
        state[name] = t.to(rbm.W.dtype)
    rbm.load_state_dict(state)
    return rbm


def load_model(folder, *, device: str | torch.device = "cpu"):
    """Load an :class:`RBM` or :class:`DBN`; returns (model, config dict)."""
    from deeprg.nn._dbn import DBN

    folder = Path(folder)
    config = _read_config(folder)
    try:
        tensors = load_file(str(folder / "weights.safetensors"))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(
            f"{folder}/weights.safetensors is corrupted or not a safetensors file ({exc})"
        ) from None
    where = str(folder)
    if config.get("type") == "rbm":
        model = _build_rbm(config.get("rbm", {}), tensors, "", where)
    elif config.get("type") == "dbn":
        layers = config.get("layers")
        if not isinstance(layers, list) or not layers:
            raise ModelFileError(f"{where}: a DBN needs a non-empty 'layers' list")
        model = DBN([_build_rbm(c, tensors, f"layer{i}.", where) for i, c in enumerate(layers)])
    else:
        raise ModelFileError(f"{where}: unknown model type {config.get('type')!r}; expected 'rbm' or 'dbn'")
    return model.to(device), config


__all__ = ["FORMAT", "load_model", "save_model"]
