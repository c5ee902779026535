"""Framework-neutral weights and data (NumPy, seeded), in one canonical layout.

Canonical layout = Keras layout: a dense kernel is (in, out) with ``y = x @ W + b``; a conv
kernel is (kh, kw, in, out); images are NHWC. The PyTorch builders transpose on the way in
(Linear weight = W.T, Conv2d weight = K.transpose(3, 2, 0, 1), images NCHW), so both
frameworks start from bit-identical numbers.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32
LR = 0.01  # plain SGD, no momentum: the update is easy to compare across frameworks


def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int, shape) -> np.ndarray:
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=shape).astype(F32)


def _bias(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(-0.05, 0.05, size=(n,)).astype(F32)  # non-zero, so a wrong copy shows


def dense_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n), dtype=F32), rng.standard_normal((n, n), dtype=F32)


def mlp_params(cfg: dict, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = cfg["sizes"]
    out = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        out += [_glorot(rng, a, b, (a, b)), _bias(rng, b)]
    return out


def mlp_data(cfg: dict, batch: int | None = None, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    b = batch or cfg["batch"]
    return rng.standard_normal((b, cfg["sizes"][0]), dtype=F32), rng.standard_normal((b, cfg["sizes"][-1]), dtype=F32)


def cnn_params(cfg: dict, seed: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    c0, c1, c2 = cfg["channels"]
    return [
        _glorot(rng, 9 * c0, 9 * c1, (3, 3, c0, c1)),
        _bias(rng, c1),
        _glorot(rng, 9 * c1, 9 * c2, (3, 3, c1, c2)),
        _bias(rng, c2),
        _glorot(rng, c2, cfg["classes"], (c2, cfg["classes"])),
        _bias(rng, cfg["classes"]),
    ]


def cnn_data(cfg: dict, batch: int | None = None, seed: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    b = batch or cfg["batch"]
    hw, c0 = cfg["hw"], cfg["channels"][0]
    return rng.standard_normal((b, hw, hw, c0), dtype=F32), rng.standard_normal((b, cfg["classes"]), dtype=F32)


TRANSFORMER_KEYS = (
    "wq",
    "bq",
    "wk",
    "bk",
    "wv",
    "bv",
    "wo",
    "bo",
    "ln1_g",
    "ln1_b",
    "w1",
    "b1",
    "w2",
    "b2",
    "ln2_g",
    "ln2_b",
)


def transformer_params(cfg: dict, seed: int = 5) -> list[dict]:
    """One dict per encoder layer: post-norm, exact-GELU feed-forward, like
    ``nn.TransformerEncoderLayer(activation="gelu")``.

    GELU rather than ReLU: with ReLU a few pre-activations within rounding of zero flip sign
    between frameworks, and the gradients then differ by ~1e-4 (relative) for no real reason."""
    rng = np.random.default_rng(seed)
    d, ff = cfg["d_model"], cfg["d_ff"]
    layers = []
    for _ in range(cfg["layers"]):
        p = {}
        for k in ("q", "k", "v", "o"):
            p[f"w{k}"] = _glorot(rng, d, d, (d, d))
            p[f"b{k}"] = _bias(rng, d)
        p["ln1_g"] = (1 + 0.1 * rng.standard_normal(d)).astype(F32)
        p["ln1_b"] = _bias(rng, d)
        p["w1"], p["b1"] = _glorot(rng, d, ff, (d, ff)), _bias(rng, ff)
        p["w2"], p["b2"] = _glorot(rng, ff, d, (ff, d)), _bias(rng, d)
        p["ln2_g"] = (1 + 0.1 * rng.standard_normal(d)).astype(F32)
        p["ln2_b"] = _bias(rng, d)
        layers.append(p)
    return layers


def transformer_data(cfg: dict, seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = (cfg["batch"], cfg["seq"], cfg["d_model"])
    return rng.standard_normal(shape, dtype=F32), rng.standard_normal(shape, dtype=F32)


def flat_params(kind: str, weights) -> list[np.ndarray]:
    """The weights of ``kind`` as one list in the canonical order (the transformer's dicts flattened)."""
    if kind == "transformer":
        return [layer[key] for layer in weights for key in TRANSFORMER_KEYS]
    return list(weights)


def param_names(kind: str, cfg: dict) -> list[str]:
    """A name for each tensor of :func:`flat_params` (and of the gradients), for parity messages."""
    if kind == "mlp":
        return [f"dense_{i}/{p}" for i in range(len(cfg["sizes"]) - 1) for p in ("kernel", "bias")]
    if kind == "cnn":
        return [f"{layer}/{p}" for layer in ("conv_0", "conv_1", "head") for p in ("kernel", "bias")]
    if kind == "transformer":
        return [f"layer_{i}/{key}" for i in range(cfg["layers"]) for key in TRANSFORMER_KEYS]
    raise ValueError(f"unknown model kind {kind!r}")


MODELS = {  # kind -> (weights, data) builders
    "mlp": (mlp_params, mlp_data),
    "cnn": (cnn_params, cnn_data),
    "transformer": (transformer_params, transformer_data),
}


def flops_dense(n: int) -> float:
    return 2.0 * n**3


def flops_mlp_step(cfg: dict) -> float:
    """Forward + backward of the dense layers (about 3x the forward multiply-adds)."""
    s = cfg["sizes"]
    fwd = sum(2.0 * cfg["batch"] * a * b for a, b in zip(s[:-1], s[1:], strict=True))
    return 3 * fwd
