"""The benchmark models and steps in TensorFlow / Keras 3, built from :mod:`fwbench.params`."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from fwbench import params as P  # noqa: E402
from fwbench.adapters import Adapter, Variant  # noqa: E402
from fwbench.config import Mode  # noqa: E402


def set_threads(threads: dict) -> dict:
    """Must run before the first op of the process."""
    tf.config.threading.set_intra_op_parallelism_threads(threads["intra_op"])
    tf.config.threading.set_inter_op_parallelism_threads(threads["inter_op"])
    return {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
    }


# ---- models --------------------------------------------------------------------------------


def mlp(cfg: dict, weights: list[np.ndarray]) -> keras.Model:
    s = cfg["sizes"]
    layers = [keras.Input((s[0],))]
    for i, b in enumerate(s[1:]):
        layers.append(keras.layers.Dense(b, activation="relu" if i < len(s) - 2 else None))
    model = keras.Sequential(layers)
    model.set_weights(weights)
    return model


def cnn(cfg: dict, weights: list[np.ndarray]) -> keras.Model:
    c0, c1, c2 = cfg["channels"]
    hw = cfg["hw"]
    model = keras.Sequential(
        [
            keras.Input((hw, hw, c0)),
            keras.layers.Conv2D(c1, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(c2, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(cfg["classes"]),
        ]
    )
    model.set_weights(weights)
    return model


class EncoderLayer(keras.layers.Layer):
    """Post-norm encoder layer, the same arithmetic as torch.nn.TransformerEncoderLayer(activation="gelu")."""

    def __init__(self, d_model: int, heads: int, d_ff: int, **kw):
        super().__init__(**kw)
        self.mha = keras.layers.MultiHeadAttention(heads, d_model // heads)
        self.ln1 = keras.layers.LayerNormalization(epsilon=1e-5)  # torch's default eps
        self.ff1 = keras.layers.Dense(d_ff, activation="gelu")  # exact (erf) GELU, as torch
        self.ff2 = keras.layers.Dense(d_model)
        self.ln2 = keras.layers.LayerNormalization(epsilon=1e-5)

    def call(self, x):
        x = self.ln1(x + self.mha(x, x, x))
        return self.ln2(x + self.ff2(self.ff1(x)))

    def canonical_vars(self) -> list:
        m = self.mha
        return [
            m._query_dense.kernel,
            m._query_dense.bias,
            m._key_dense.kernel,
            m._key_dense.bias,
            m._value_dense.kernel,
            m._value_dense.bias,
            m._output_dense.kernel,
            m._output_dense.bias,
            self.ln1.gamma,
            self.ln1.beta,
            self.ff1.kernel,
            self.ff1.bias,
            self.ff2.kernel,
            self.ff2.bias,
            self.ln2.gamma,
            self.ln2.beta,
        ]


def transformer(cfg: dict, layers: list[dict]) -> keras.Model:
    d, h, ff = cfg["d_model"], cfg["heads"], cfg["d_ff"]
    blocks = [EncoderLayer(d, h, ff) for _ in layers]
    model = keras.Sequential([keras.Input((cfg["seq"], d)), *blocks])
    for blk, p in zip(blocks, layers, strict=True):
        for var, key in zip(blk.canonical_vars(), P.TRANSFORMER_KEYS, strict=True):
            var.assign(p[key].reshape(tuple(var.shape)))  # (d, d) -> (d, heads, head_dim) etc.
    return model


def canonical_vars(kind: str, model: keras.Model) -> list:
    if kind == "transformer":
        return [v for blk in model.layers for v in blk.canonical_vars()]
    return list(model.trainable_variables)


def canonical_shapes(kind: str, model: keras.Model) -> list[tuple]:
    """The canonical (params) shapes of :func:`canonical_vars`: a transformer's attention kernels
    are (d, heads, head_dim) in Keras and (d, d) in the canonical layout."""
    shapes = [tuple(v.shape) for v in canonical_vars(kind, model)]
    if kind != "transformer":
        return shapes
    fixed = []
    for key, s in zip(P.TRANSFORMER_KEYS * (len(shapes) // len(P.TRANSFORMER_KEYS)), shapes, strict=True):
        if key in ("wq", "wk", "wv"):
            s = (s[0], s[1] * s[2])
        elif key in ("bq", "bk", "bv"):
            s = (s[0] * s[1],)
        elif key == "wo":
            s = (s[0] * s[1], s[2])
        fixed.append(s)
    return fixed


def to_canonical(values, shapes) -> list[np.ndarray]:
    """Variables or gradients (order of :func:`canonical_vars`) reshaped to the canonical shapes.

    A C-order reshape is exact here: an EinsumDense kernel (d, heads, head_dim) flattens its
    last two axes to the column index ``head * head_dim + j``, the layout of the (d, d) matrix."""
    return [np.array(v).reshape(s) for v, s in zip(values, shapes, strict=True)]  # copies


# ---- steps --------------------------------------------------------------------------------------


def loss_fn(out, y):
    return tf.reduce_mean(tf.square(out - y))


def train_step(model: keras.Model):
    """GradientTape forward/backward and one update with keras.optimizers.SGD (plain SGD)."""
    opt = keras.optimizers.SGD(P.LR)
    variables = model.trainable_variables

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(model(x, training=True), y)
        grads = tape.gradient(loss, variables)
        # tape.gradient returns one gradient per variable. No strict=: inside tf.function, autograph
        # replaces zip with its own, which takes no strict argument before TensorFlow 2.13.
        opt.apply_gradients(zip(grads, variables))  # noqa: B905
        return loss

    return step


def fwd_bwd_step(model: keras.Model, kind: str = "transformer"):
    variables = canonical_vars(kind, model)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(model(x, training=True), y)
        return loss, tape.gradient(loss, variables)

    return step


def tiny_chain(n_ops: int):
    def chain(x):
        for _ in range(n_ops // 2):
            x = tf.multiply(x, 1.0001)
            x = tf.add(x, 0.0001)
        return x

    return chain


# ---- the adapter: what the driver and the parity check use ------------------------------------------

GRAPH_MODES = {"tf-function": False, "tf-xla": True}  # mode -> jit_compile


def _graph(fn, variant: str):
    """``fn`` as it runs in ``variant``: eager, a tf.function, or a tf.function compiled by XLA."""
    return fn if variant == "tf-eager" else tf.function(fn, jit_compile=GRAPH_MODES[variant])


class TensorFlowAdapter(Adapter):
    name, label, ops_label, eager = "tensorflow", "TensorFlow", "tf", "tf-eager"

    BUILDERS = {"mlp": mlp, "cnn": cnn, "transformer": transformer}

    def set_threads(self, threads: dict) -> dict:
        return set_threads(threads)

    def info(self) -> dict:
        return {"onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)")}

    def build(self, kind: str, cfg: dict, weights) -> keras.Model:
        return self.BUILDERS[kind](cfg, weights)

    def weights(self, kind: str, model) -> list[np.ndarray]:
        return to_canonical(canonical_vars(kind, model), canonical_shapes(kind, model))

    def forward(self, kind: str, model, x: np.ndarray) -> np.ndarray:
        return np.asarray(model(x, training=True))

    def loss_and_grads(self, kind: str, model, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        loss, grads = fwd_bwd_step(model, kind)(tf.constant(x), tf.constant(y))
        return float(loss), to_canonical(grads, canonical_shapes(kind, model))

    def sgd_step(self, kind: str, model, x: np.ndarray, y: np.ndarray) -> float:
        return float(train_step(model)(tf.constant(x), tf.constant(y)))

    def to_numpy(self, value) -> np.ndarray:
        return np.asarray(value)

    def variants(self, workload: str, mode: Mode) -> tuple[str, ...]:
        extra = {"mlp_train": ("keras-fit",), "cnn_train": ("keras-fit",), "infer_b1": ("keras-predict",)}
        return ("tf-eager", "tf-function", "tf-xla", *extra.get(workload, ()))

    def matmul(self, a: np.ndarray, b: np.ndarray, variant: str) -> Variant:
        at, bt = tf.constant(a), tf.constant(b)
        fn = _graph(lambda x, y: tf.matmul(x, y), variant)
        return Variant(variant, lambda: fn(at, bt), lambda out: [np.asarray(out)], compiled=variant != "tf-eager")

    def train(self, kind: str, cfg: dict, weights, x, y, variant: str, mode: Mode) -> Variant:
        model = self.build(kind, cfg, weights)
        shapes = canonical_shapes(kind, model)
        training = kind != "transformer"
        if variant == "keras-fit":  # the same SGD step, driven by model.fit over k in-memory batches per call
            model.compile(optimizer=keras.optimizers.SGD(P.LR), loss="mse")
            k, bs = mode.keras_fit_steps, len(x)
            xk, yk = np.concatenate([x] * k), np.concatenate([y] * k)
            return Variant(
                variant,
                lambda: model.fit(xk, yk, batch_size=bs, epochs=1, shuffle=False, verbose=0),
                lambda _: to_canonical(canonical_vars(kind, model), shapes),
                first=lambda: model.fit(x, y, batch_size=bs, epochs=1, shuffle=False, verbose=0),
                per_call=k,
                compiled=True,
                extra={"keras_jit_compile": bool(model.jit_compile), "fit_steps_per_call": k},
            )
        step = _graph(train_step(model) if training else fwd_bwd_step(model, kind), variant)
        xt, yt = tf.constant(x), tf.constant(y)
        if training:
            result = lambda _: to_canonical(canonical_vars(kind, model), shapes)  # noqa: E731
        else:
            result = lambda out: to_canonical(out[1], shapes)  # noqa: E731
        return Variant(variant, lambda: step(xt, yt), result, compiled=variant != "tf-eager")

    def tiny_chain(self, n_ops: int, variant: str) -> Variant:
        chain = _graph(tiny_chain(n_ops), variant)
        x8 = tf.ones(8)
        return Variant(
            variant,
            lambda: chain(x8),
            lambda out: [np.asarray(out)],
            per_call=n_ops,
            compiled=variant != "tf-eager",
            extra={"ops": n_ops},
        )

    def infer(self, cfg: dict, weights, x1: np.ndarray, variant: str) -> Variant:
        model = cnn(cfg, weights)
        if variant == "keras-predict":  # each call sets up a small data pipeline
            return Variant(variant, lambda: model.predict(x1, verbose=0), lambda out: [np.asarray(out)], compiled=True)
        x1t = tf.constant(x1)
        fn = _graph(lambda v: model(v, training=False), variant)
        return Variant(variant, lambda: fn(x1t), lambda out: [np.asarray(out)], compiled=variant != "tf-eager")
