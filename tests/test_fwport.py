"""fwport, the one-file Keras <-> PyTorch converter the porting page publishes: TensorFlow's
"same" padding formula against TensorFlow itself over many shapes, the padding and pooling
helpers against Keras, a model with every supported layer converted both ways (each leg measured
across frameworks) and back, pairing by name, and the errors for what a weight copy would get
wrong. The padding formula's own properties need only NumPy; the rest imports PyTorch, then
TensorFlow (in that order: the other one crashes with the pinned wheels), once per module."""

from __future__ import annotations

import importlib
import itertools
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import fwport

# The frameworks' own import-time and kernel notes (deprecations, "padding='same' with even
# kernels may copy the input") are theirs, not this module's.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")

SHAPES = [
    (size, kernel, stride, dilation)
    for size, kernel in itertools.product(range(1, 13), range(1, 7))
    for stride, dilation in [(1, 1), (2, 1), (3, 1), (1, 2)]
]


# -- the padding formula, on its own ---------------------------------------------------------------


@pytest.mark.parametrize(("size", "kernel", "stride", "dilation"), SHAPES)
def test_same_padding_gives_ceil_size_over_stride_windows_with_the_odd_pixel_after(size, kernel, stride, dilation):
    before, after = fwport.same_padding(size, kernel, stride, dilation)
    span = (kernel - 1) * dilation + 1
    windows = (size + before + after - span) // stride + 1
    assert windows == -(-size // stride)  # ceil(size / stride) output positions
    assert 0 <= before <= after <= before + 1  # split evenly, the odd pixel after
    if before + after:  # and no more than the last window needs
        assert (size + before + after - 1 - span) // stride + 1 < windows


def test_same_padding_is_even_only_when_the_total_is():
    assert fwport.same_padding(8, 3, 2) == (0, 1)
    assert fwport.same_padding(9, 3, 2) == (1, 1)
    assert fwport.same_padding(224, 7, 2) == (2, 3)
    assert fwport.same_padding(7, 2, 1) == (0, 1)


def test_a_transposed_convolution_that_would_need_padding_is_refused_not_cropped():
    assert fwport.transpose_same_crop(3, 2) == (0, 1)
    assert fwport.transpose_same_crop(4, 2) == (1, 1)
    with pytest.raises(ValueError, match="kernel 1 with stride 2"):
        fwport.transpose_same_crop(1, 2)


# -- against the frameworks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fw():
    """torch, tensorflow and keras, imported in that order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch = pytest.importorskip("torch")
        importlib.import_module("torch._dynamo")
        importlib.import_module("torch._inductor")
        tf = pytest.importorskip("tensorflow")
        keras = importlib.import_module("keras")
    torch.manual_seed(0)
    keras.utils.set_random_seed(0)
    return torch, tf, keras


def test_same_padding_is_the_padding_tensorflow_applies_for_every_small_shape(fw):
    torch, tf, keras = fw
    rng = np.random.default_rng(0)
    wrong = []
    for size, kernel, stride, dilation in SHAPES:
        if kernel > size:
            continue
        x = rng.normal(size=(1, size, size, 1)).astype("float32")
        w = rng.normal(size=(kernel, kernel, 1, 1)).astype("float32")
        same = tf.nn.conv2d(x, w, strides=stride, padding="SAME", dilations=dilation).numpy()
        before, after = fwport.same_padding(size, kernel, stride, dilation)
        padded = np.pad(x, [(0, 0), (before, after), (before, after), (0, 0)])
        valid = tf.nn.conv2d(padded, w, strides=stride, padding="VALID", dilations=dilation).numpy()
        if valid.shape != same.shape or not np.allclose(valid, same, atol=1e-5):
            wrong.append((size, kernel, stride, dilation))
    assert not wrong, f"fwport.same_padding differs from TensorFlow for (size, kernel, stride, dilation) {wrong}"


@pytest.mark.parametrize(("size", "kernel", "stride"), [(8, 3, 2), (9, 3, 2), (224, 7, 2), (7, 2, 1), (10, 4, 3)])
def test_pad_same_makes_a_pytorch_convolution_equal_keras_same(fw, size, kernel, stride):
    torch, tf, keras = fw
    x = np.random.default_rng(size).normal(size=(1, size, size, 3)).astype("float32")
    conv = keras.layers.Conv2D(4, kernel, strides=stride, padding="same")
    expected = np.asarray(conv(x))
    conv_t = torch.nn.Conv2d(3, 4, kernel, stride=stride)
    with torch.no_grad():
        conv_t.weight.copy_(torch.from_numpy(conv.get_weights()[0].transpose(3, 2, 0, 1).copy()))
        conv_t.bias.copy_(torch.from_numpy(conv.get_weights()[1]))
    got = conv_t(fwport.pad_same(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), kernel, stride))
    assert fwport.gap(expected, got.detach().numpy().transpose(0, 2, 3, 1)) < 1e-4


@pytest.mark.parametrize("size", [7, 8, 9])
def test_max_and_average_pooling_match_keras_same_pooling(fw, size):
    torch, tf, keras = fw
    x = np.random.default_rng(size).normal(size=(2, size, size, 3)).astype("float32")
    x_t = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    keras_max = np.asarray(keras.layers.MaxPooling2D(3, 2, padding="same")(x))
    keras_avg = np.asarray(keras.layers.AveragePooling2D(3, 2, padding="same")(x))
    torch_max = torch.nn.functional.max_pool2d(fwport.pad_same(x_t, 3, 2, value=-np.inf), 3, 2)
    torch_avg = fwport.avg_pool_same(x_t, 3, 2)
    assert fwport.gap(keras_max, torch_max.numpy().transpose(0, 2, 3, 1)) < 1e-6
    assert fwport.gap(keras_avg, torch_avg.numpy().transpose(0, 2, 3, 1)) < 1e-6


@pytest.mark.parametrize(("kernel", "stride"), [(2, 2), (3, 2), (4, 2), (3, 1), (5, 3)])
def test_transpose_same_crop_matches_keras_conv2d_transpose(fw, kernel, stride):
    torch, tf, keras = fw
    x = np.random.default_rng(kernel).normal(size=(1, 5, 5, 2)).astype("float32")
    layer = keras.layers.Conv2DTranspose(3, kernel, strides=stride, padding="same")
    expected = np.asarray(layer(x))
    model = keras.Sequential(
        [keras.Input((5, 5, 2)), keras.layers.Conv2DTranspose(3, kernel, strides=stride, padding="same", name="up")]
    )
    model.set_weights(layer.get_weights())
    twin = torch.nn.Sequential()
    twin.add_module("up", torch.nn.ConvTranspose2d(2, 3, kernel, stride=stride))
    fwport.keras_to_torch(model, twin)
    full = twin(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
    before, after = fwport.transpose_same_crop(kernel, stride)
    got = full[:, :, before : full.shape[2] - after, before : full.shape[3] - after]
    assert fwport.gap(expected, got.detach().numpy().transpose(0, 2, 3, 1)) < 1e-5


# -- a model with every supported layer ------------------------------------------------------------


def _models(fw):
    """A Keras CNN and sequence model using every supported layer type, and PyTorch twins whose
    modules carry the Keras layer names, declared in another order."""
    torch, tf, keras = fw
    layers, nn = keras.layers, torch.nn

    def keras_cnn():
        return keras.Sequential([
            keras.Input((12, 12, 3)),
            layers.Conv2D(8, 3, padding="same", name="conv"),
            layers.BatchNormalization(name="bn"),
            layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="depthwise"),
            layers.Conv2D(8, 3, strides=2, padding="same", name="down"),
            layers.Conv2DTranspose(4, 3, strides=2, padding="same", name="up"),
            layers.Conv2D(4, 3, groups=2, name="grouped"),
            layers.Reshape((10, 40)),
            layers.Conv1D(5, 3, name="rows"),
            layers.Conv1DTranspose(3, 2, strides=2, name="widen"),
            layers.Flatten(),
            layers.Dense(6, name="head"),
        ])  # fmt: skip

    class TorchCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(16 * 3, 6)
            self.widen = nn.ConvTranspose1d(5, 3, 2, stride=2)
            self.rows = nn.Conv1d(40, 5, 3)
            self.grouped = nn.Conv2d(4, 4, 3, groups=2)
            self.up = nn.ConvTranspose2d(8, 4, 3, stride=2)
            self.down = nn.Conv2d(16, 8, 3, stride=2)
            self.depthwise = nn.Conv2d(8, 16, 3, padding=1, groups=8)
            self.bn = nn.BatchNorm2d(8)
            self.conv = nn.Conv2d(3, 8, 3, padding=1)

        def forward(self, x):
            x = self.depthwise(self.bn(self.conv(x)))
            x = self.up(self.down(fwport.pad_same(x, 3, 2)))
            before, after = fwport.transpose_same_crop(3, 2)
            x = self.grouped(x[:, :, before : x.shape[2] - after, before : x.shape[3] - after])  # (N, 4, 10, 10)
            x = x.permute(0, 2, 3, 1).reshape(len(x), 10, 40).transpose(1, 2)  # Keras's Reshape, channels first
            return self.head(self.widen(self.rows(x)).flatten(1))

    def keras_seq():
        return keras.Sequential([
            keras.Input((7,), dtype="int32"),
            layers.Embedding(30, 6, name="embed"),
            layers.LSTM(8, return_sequences=True, name="lstm"),
            layers.GRU(5, name="gru"),
            layers.LayerNormalization(name="norm"),
            layers.Dense(3, name="out"),
        ])  # fmt: skip

    class TorchSeq(nn.Module):
        def __init__(self):
            super().__init__()
            self.out = nn.Linear(5, 3)
            self.norm = nn.LayerNorm(5)
            self.gru = nn.GRU(8, 5, batch_first=True)
            self.lstm = nn.LSTM(6, 8, batch_first=True)
            self.embed = nn.Embedding(30, 6)

        def forward(self, tokens):
            return self.out(self.norm(self.gru(self.lstm(self.embed(tokens))[0])[0][:, -1]))

    return keras_cnn, TorchCNN, keras_seq, TorchSeq


@pytest.fixture(scope="module")
def models(fw):
    return _models(fw)


@pytest.fixture(scope="module")
def inputs(fw):
    torch, tf, keras = fw
    rng = np.random.default_rng(1)
    images = rng.normal(size=(4, 12, 12, 3)).astype("float32")
    tokens = rng.integers(0, 30, size=(4, 7))
    return images, torch.from_numpy(images.transpose(0, 3, 1, 2).copy()), tokens, torch.from_numpy(tokens)


def _randomise_statistics(keras_model):
    rng = np.random.default_rng(2)
    for layer in keras_model.layers:
        if type(layer).__name__ == "BatchNormalization":
            gamma, beta, _, _ = layer.get_weights()
            n = len(gamma)
            layer.set_weights([gamma * 1.5, beta + 0.1, rng.normal(scale=0.3, size=n).astype("float32"),
                               rng.uniform(0.5, 2.0, size=n).astype("float32")])  # fmt: skip


def test_every_supported_layer_converts_keras_to_pytorch_within_1e_5(fw, models, inputs):
    keras_cnn, torch_cnn, keras_seq, torch_seq = models
    images, images_t, tokens, tokens_t = inputs
    cnn, seq = keras_cnn(), keras_seq()
    _randomise_statistics(cnn)
    cnn_t = fwport.keras_to_torch(cnn, torch_cnn()).eval()
    seq_t = fwport.keras_to_torch(seq, torch_seq()).eval()
    assert fwport.gap(cnn(images), cnn_t(images_t)) < 1e-5
    assert fwport.gap(seq(tokens), seq_t(tokens_t)) < 1e-5
    covered = {type(layer).__name__ for model in (cnn, seq) for layer in model.layers if layer.weights}
    assert covered == set(fwport.RULES), "the two models use every layer type fwport converts"


def test_every_supported_layer_converts_pytorch_to_keras_within_1e_5_on_pytorch_weights(fw, models, inputs):
    torch = fw[0]
    keras_cnn, torch_cnn, keras_seq, torch_seq = models
    images, images_t, tokens, tokens_t = inputs
    cnn_t, seq_t = torch_cnn().eval(), torch_seq().eval()
    with torch.no_grad():  # nothing left at a default value
        cnn_t.bn.running_mean.normal_(0, 0.2)
        cnn_t.bn.running_var.uniform_(0.5, 2.0)
        cnn_t.bn.weight.uniform_(0.5, 1.5)
        seq_t.norm.weight.uniform_(0.5, 1.5)
        seq_t.norm.bias.normal_(0, 0.1)
    assert fwport.gap(fwport.torch_to_keras(cnn_t, keras_cnn())(images), cnn_t(images_t)) < 1e-5
    assert fwport.gap(fwport.torch_to_keras(seq_t, keras_seq())(tokens), seq_t(tokens_t)) < 1e-5


def test_keras_to_pytorch_and_back_gives_identical_weights(fw, models):
    keras_cnn, torch_cnn, keras_seq, torch_seq = models
    for make_keras, make_torch in [(keras_cnn, torch_cnn), (keras_seq, torch_seq)]:
        original = make_keras()
        _randomise_statistics(original)
        back = fwport.torch_to_keras(fwport.keras_to_torch(original, make_torch()), make_keras())
        for a, b in zip(original.get_weights(), back.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_batch_norm_epsilon_and_momentum_travel_with_the_weights(fw, models):
    keras_cnn, torch_cnn, _, _ = models
    cnn = keras_cnn()
    cnn.get_layer("bn").momentum = 0.9
    twin = fwport.keras_to_torch(cnn, torch_cnn())
    assert twin.bn.eps == pytest.approx(1e-3) and twin.bn.momentum == pytest.approx(0.1)
    twin.bn.eps, twin.bn.momentum = 1e-5, 0.2
    back = fwport.torch_to_keras(twin, keras_cnn())
    assert back.get_layer("bn").epsilon == pytest.approx(1e-5) and back.get_layer("bn").momentum == pytest.approx(0.8)


# -- pairing by name, and refusals -----------------------------------------------------------------


def test_layers_are_paired_by_name_so_a_renamed_module_is_an_error_that_names_fix(fw, models, inputs):
    keras_cnn, torch_cnn, _, _ = models
    images, images_t, _, _ = inputs
    cnn = keras_cnn()
    twin = torch_cnn()
    twin.classifier = twin.head
    del twin.head
    with pytest.raises(
        fwport.ConversionError, match=r"Keras layer 'head' has no PyTorch module named 'head'.*classifier"
    ):
        fwport.keras_to_torch(cnn, twin)
    fwport.keras_to_torch(cnn, twin, names={"head": "classifier"})
    reference = fwport.keras_to_torch(cnn, torch_cnn())
    np.testing.assert_array_equal(twin.classifier.weight.detach().numpy(), reference.head.weight.detach().numpy())


def test_a_pytorch_module_that_no_keras_layer_fills_is_an_error_unless_not_strict(fw, models):
    torch = fw[0]
    _, _, keras_seq, torch_seq = models
    twin = torch_seq()
    twin.extra = torch.nn.Linear(2, 2)
    with pytest.raises(fwport.ConversionError, match="no Keras layer fills: extra"):
        fwport.keras_to_torch(keras_seq(), twin)
    fwport.keras_to_torch(keras_seq(), twin, strict=False)


@pytest.mark.parametrize(
    ("keras_layer", "input_shape", "torch_module", "message"),
    [
        (lambda ly: ly.GRU(4, reset_after=False, name="m"), (5, 3), lambda nn: nn.GRU(3, 4, batch_first=True),
         "reset_after=False has no PyTorch equivalent"),
        (lambda ly: ly.LSTM(4, recurrent_activation="hard_sigmoid", name="m"), (5, 3),
         lambda nn: nn.LSTM(3, 4, batch_first=True), "recurrent_activation='hard_sigmoid'"),
        (lambda ly: ly.LSTM(4, name="m"), (5, 3), lambda nn: nn.LSTM(3, 4, num_layers=2, batch_first=True),
         "must be one layer"),
        (lambda ly: ly.Conv1D(4, 2, name="m"), (5, 2), lambda nn: nn.Conv1d(2, 4, 2, groups=2), "groups differ"),
        (lambda ly: ly.DepthwiseConv2D(3, name="m"), (5, 5, 2), lambda nn: nn.Conv2d(2, 2, 3), "groups = in_channels"),
        (lambda ly: ly.Dense(4, name="m"), (5, 3), lambda nn: nn.Conv1d(3, 4, 1), "expected Linear"),
    ],
)  # fmt: skip
def test_settings_a_weight_copy_would_silently_get_wrong_are_refused(
    fw, keras_layer, input_shape, torch_module, message
):
    torch, tf, keras = fw
    model = keras.Sequential([keras.Input(input_shape), keras_layer(keras.layers)])
    twin = torch.nn.Module()
    twin.m = torch_module(torch.nn)
    with pytest.raises(fwport.ConversionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fwport.keras_to_torch(model, twin)


def test_a_shape_that_does_not_fit_names_the_layer_the_module_and_the_tensor(fw):
    torch, tf, keras = fw
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="fc")])
    twin = torch.nn.Module()
    twin.fc = torch.nn.Linear(5, 3)
    with pytest.raises(fwport.ConversionError, match=r"Keras layer 'fc' -> PyTorch module 'fc': weight is \(3, 5\)"):
        fwport.keras_to_torch(model, twin)


def test_a_dense_after_flatten_keeps_keras_row_order_for_a_channels_last_twin(fw):
    torch, tf, keras = fw
    model = keras.Sequential([keras.Input((3, 2, 4)), keras.layers.Flatten(), keras.layers.Dense(5, name="fc")])
    x = np.random.default_rng(3).normal(size=(2, 3, 2, 4)).astype("float32")
    twin = torch.nn.Module()
    twin.fc = torch.nn.Linear(24, 5)
    fwport.keras_to_torch(model, twin, channels_first=False)
    assert fwport.gap(model(x), twin.fc(torch.from_numpy(x.reshape(2, -1)))) < 1e-5
    fwport.keras_to_torch(model, twin)  # the default: a channels-first twin flattens (C, H, W)
    assert fwport.gap(model(x), twin.fc(torch.from_numpy(x.transpose(0, 3, 1, 2).reshape(2, -1).copy()))) < 1e-5


# -- what a Dense after a Flatten reads ------------------------------------------------------------


def _both_ways(fw, model, twin, x, x_t):
    """The largest gap after converting Keras -> PyTorch, and after PyTorch -> Keras on a fresh
    copy of the model with other weights."""
    torch, tf, keras = fw
    there = fwport.gap(model(x), fwport.keras_to_torch(model, twin).eval()(x_t))
    with torch.no_grad():
        for p in twin.parameters():
            p.normal_(0, 0.3)
    fresh = keras.models.clone_model(model)
    back = fwport.gap(fwport.torch_to_keras(twin, fresh)(x), twin(x_t))
    return max(there, back)


def test_a_dense_after_flatten_then_dropout_gets_its_rows_permuted_like_keras_mnist_convnet(fw):
    torch, tf, keras = fw
    nn, ly = torch.nn, keras.layers
    model = keras.Sequential([
        keras.Input((8, 8, 1)), ly.Conv2D(4, 3, activation="relu", name="conv"), ly.MaxPooling2D(2),
        ly.Flatten(), ly.Dropout(0.5), ly.Dense(3, activation="softmax", name="fc"),
    ])  # fmt: skip
    twin = nn.Sequential()
    for name, module in [("conv", nn.Conv2d(1, 4, 3)), ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(2)),
                         ("flat", nn.Flatten()), ("drop", nn.Dropout(0.5)), ("fc", nn.Linear(36, 3)),
                         ("softmax", nn.Softmax(-1))]:  # fmt: skip
        twin.add_module(name, module)
    x = np.random.default_rng(4).normal(size=(2, 8, 8, 1)).astype("float32")
    assert _both_ways(fw, model, twin, x, torch.from_numpy(x.transpose(0, 3, 1, 2).copy())) < 1e-5


@pytest.mark.parametrize(("source", "dropout"), [("embedding", False), ("lstm", False), ("lstm", True)])
def test_a_dense_after_flatten_of_a_sequence_keeps_its_rows_because_pytorch_flattens_the_same_order(
    fw, source, dropout
):
    torch, tf, keras = fw
    nn, ly = torch.nn, keras.layers

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 4)
            self.lstm = nn.LSTM(4, 3, batch_first=True) if source == "lstm" else None
            self.fc = nn.Linear(6 * (3 if source == "lstm" else 4), 2)

        def forward(self, tokens):
            x = self.embed(tokens)
            x = self.lstm(x)[0] if self.lstm is not None else x
            return self.fc(x.flatten(1))  # Dropout: the identity in inference

    stack = [keras.Input((6,), dtype="int32"), ly.Embedding(20, 4, name="embed")]
    stack += [ly.LSTM(3, return_sequences=True, name="lstm")] if source == "lstm" else []
    stack += [ly.Flatten()] + ([ly.Dropout(0.2)] if dropout else [])
    model = keras.Sequential([*stack, ly.Dense(2, name="fc")])
    tokens = np.random.default_rng(5).integers(0, 20, size=(3, 6))
    assert _both_ways(fw, model, Twin(), tokens, torch.from_numpy(tokens)) < 1e-5


@pytest.mark.parametrize("flatten_format", ["channels_last", "channels_first"])
def test_a_dense_after_flatten_of_a_channels_first_keras_model_gets_the_rows_that_order_needs(fw, flatten_format):
    torch, tf, keras = fw
    nn, ly = torch.nn, keras.layers
    model = keras.Sequential([
        keras.Input((2, 7, 5)), ly.Conv2D(3, 3, padding="same", data_format="channels_first", name="conv"),
        ly.Flatten(data_format=flatten_format), ly.Dense(4, name="fc"),
    ])  # fmt: skip
    twin = nn.Sequential()
    for name, module in [("conv", nn.Conv2d(2, 3, 3, padding=1)), ("flat", nn.Flatten()), ("fc", nn.Linear(105, 4))]:
        twin.add_module(name, module)
    x = np.random.default_rng(6).normal(size=(2, 2, 7, 5)).astype("float32")
    assert _both_ways(fw, model, twin, x, torch.from_numpy(x)) < 1e-5


def test_a_batch_norm_between_flatten_and_dense_is_refused_naming_the_layers(fw):
    torch, tf, keras = fw
    nn, ly = torch.nn, keras.layers
    model = keras.Sequential([
        keras.Input((6, 6, 2)), ly.Conv2D(3, 3, name="conv"), ly.Flatten(name="flat"),
        ly.BatchNormalization(name="bn"), ly.Dense(2, name="fc"),
    ])  # fmt: skip
    twin = nn.Module()
    twin.conv, twin.bn, twin.fc = nn.Conv2d(2, 3, 3), nn.BatchNorm1d(48), nn.Linear(48, 2)
    message = r"'fc' follows Flatten 'flat' through 'bn' \(BatchNormalization\)"
    with pytest.raises(fwport.ConversionError, match=message):
        fwport.keras_to_torch(model, twin)


def test_a_pytorch_batch_norm_with_a_cumulative_average_is_refused_not_given_keras_momentum(fw):
    torch, tf, keras = fw
    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(name="bn")])
    twin = torch.nn.Module()
    twin.bn = torch.nn.BatchNorm1d(4, momentum=None)
    with pytest.raises(fwport.ConversionError, match=r"'bn' -> Keras layer 'bn': momentum=None"):
        fwport.torch_to_keras(twin, model)
    twin.bn.momentum = 0.1
    assert fwport.torch_to_keras(twin, model).get_layer("bn").momentum == pytest.approx(0.9)


def test_the_porting_page_lists_every_layer_fwport_converts_and_no_other():
    page = (Path(__file__).resolve().parents[1] / "docs" / "porting" / "training.md").read_text(encoding="utf-8")
    start = page.index("`fwport` pairs each Keras layer")
    paragraph = page[start : page.index("in both directions", start)]  # the sentence that lists them
    listed = set(re.findall(r"`([A-Z]\w+)`", paragraph))
    assert listed == set(fwport.RULES), f"the page lists {sorted(listed)}, fwport converts {sorted(fwport.RULES)}"
