"""The benchmark models and steps in TensorFlow / Keras 3, built from :mod:`fwbench.params`."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from fwbench import params as P  # noqa: E402


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


def to_canonical(values, shapes) -> list[np.ndarray]:
    """Variables or gradients (order of :func:`canonical_vars`) reshaped to the canonical shapes.

    A C-order reshape is exact here: an EinsumDense kernel (d, heads, head_dim) flattens its
    last two axes to the column index ``head * head_dim + j``, the layout of the (d, d) matrix."""
    return [np.asarray(v).reshape(s) for v, s in zip(values, shapes, strict=True)]


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
        opt.apply_gradients(zip(grads, variables, strict=True))
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
