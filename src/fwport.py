"""fwport: copy a model's weights between Keras and PyTorch, layer by layer, matched by name.

Build the same architecture in both frameworks, giving each PyTorch module the name of its Keras
layer (an attribute name, or a dotted path through ``nn.Sequential`` / ``nn.ModuleDict``), then:

    import fwport
    fwport.keras_to_torch(keras_model, torch_model)   # or fwport.torch_to_keras(torch_model, keras_model)

Each Keras layer with weights is paired with the PyTorch module of the same name (``names`` maps
any that differ), never by position, and a layer or module left without a partner is an error,
not a silently random layer. Supported pairs:

    Dense                  <-> Linear            kernel transposed; rows permuted after a Flatten
    Conv1D, Conv2D         <-> Conv1d, Conv2d    (H, W, in, out) <-> (out, in, H, W); groups too
    Conv1DTranspose,       <-> ConvTranspose1d,  (H, W, out, in) <-> (in, out, H, W)
    Conv2DTranspose            ConvTranspose2d
    DepthwiseConv2D        <-> Conv2d(groups=in) (H, W, in, multiplier) <-> (in * multiplier, 1, H, W)
    BatchNormalization     <-> BatchNorm1d/2d/3d statistics copied; epsilon and momentum converted
    LayerNormalization     <-> LayerNorm         epsilon copied
    Embedding              <-> Embedding         the same (vocabulary, dimension) table
    LSTM                   <-> LSTM              transposed; Keras's bias goes in bias_ih, bias_hh = 0
    GRU (reset_after=True) <-> GRU               transposed; gates (z, r, h) <-> (r, z, n)

What a weight copy cannot change stays the caller's job: the PyTorch model takes channels-first
images, is called after ``.eval()``, recurrent layers need ``batch_first=True`` for Keras's
(batch, time, features) layout, and Keras's ``padding="same"`` with a stride is padded unevenly
(``same_padding`` and ``pad_same`` reproduce it). Settings that a weight copy would silently get
wrong (a GRU with reset_after=False, an LSTM with a hard-sigmoid gate, mismatched groups, a
PyTorch batch norm with momentum=None, a BatchNormalization between a Flatten and its Dense)
raise ``ConversionError`` instead.

A Dense after a Flatten gets its rows permuted only where the flattened tensor is a
channels-last feature map (from a convolution, pooling, padding, cropping, upsampling or
resizing layer, or an image Input), found by walking back through weightless layers that keep
the order (Dropout, Activation, noise); after an Embedding, a recurrent layer or a Dense, and
after channels-first feature maps, Keras already flattens in PyTorch's order.

Works with Keras 2 (TensorFlow 2.12-2.15) and Keras 3, and PyTorch 2.0 on; needs only NumPy to
import. One file, no other dependency: copy it next to your code.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ConversionError",
    "keras_to_torch",
    "torch_to_keras",
    "same_padding",
    "pad_same",
    "avg_pool_same",
    "transpose_same_crop",
    "gap",
]


class ConversionError(ValueError):
    """A Keras layer and a PyTorch module that cannot be paired, or whose weights do not fit."""


# -- padding="same", the way TensorFlow computes it ---------------------------------------------


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after): the padding TensorFlow adds on one axis for ``padding="same"``.

    The output has ceil(size / stride) positions; the padding is whatever the last window needs,
    split with the odd pixel after (bottom, right). So it is even only when that total is even:
    a stride-2 3x3 convolution pads an 8-pixel axis (0, 1) and a 9-pixel axis (1, 1), and a 2x2
    kernel at stride 1 pads (0, 1)."""
    span = (kernel - 1) * dilation + 1
    out = -(-size // stride)  # ceil(size / stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def pad_same(x, kernel_size, stride=1, dilation=1, value=0.0):
    """A channels-first PyTorch tensor padded the way TensorFlow pads ``padding="same"``; follow
    it with a PyTorch convolution (or max pooling, with ``value=-inf``) that has padding 0."""
    import torch.nn.functional as F

    spatial = x.shape[2:]
    kernel_size, stride, dilation = (_per_axis(v, len(spatial)) for v in (kernel_size, stride, dilation))
    pads = []
    for size, k, s, d in reversed(
        list(zip(spatial, kernel_size, stride, dilation, strict=True))
    ):  # F.pad: last axis first
        pads += same_padding(int(size), k, s, d)
    return F.pad(x, pads, value=value)


def avg_pool_same(x, kernel_size, stride=None):
    """Keras's ``AveragePooling2D(padding="same")`` in PyTorch: TensorFlow's uneven padding, and
    the average taken over the real pixels only (PyTorch's ``count_include_pad=True`` counts the
    padding zeros, and its symmetric ``padding`` shifts the windows)."""
    import torch
    import torch.nn.functional as F

    stride = kernel_size if stride is None else stride
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[x.dim() - 2]
    total = pool(pad_same(x, kernel_size, stride), kernel_size, stride)
    count = pool(pad_same(torch.ones_like(x[:1, :1]), kernel_size, stride), kernel_size, stride)
    return total / count


def transpose_same_crop(kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after): what to cut from each end of a PyTorch ``ConvTranspose`` output with
    ``padding=0`` to get Keras's ``Conv2DTranspose(padding="same")`` (TensorFlow keeps the start
    when the cut is odd; PyTorch's ``padding`` cuts evenly and ``output_padding`` adds at the end,
    so a 3x3 kernel at stride 2 has no PyTorch padding that matches)."""
    total = (kernel - 1) * dilation + 1 - stride
    if total < 0:
        raise ValueError(f"kernel {kernel} with stride {stride}: TensorFlow pads this output, it does not crop it")
    return total // 2, total - total // 2


def _per_axis(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


# -- the pairs of layers --------------------------------------------------------------------------
# Each rule: the PyTorch module types it accepts, a check of the settings that must agree, and
# the two directions. ``to_torch(layer, arrays, context)`` takes Keras's get_weights() and returns
# {tensor name: array}; ``to_keras(layer, tensors, context)`` does the reverse.


def _dense_to_torch(layer, arrays, context):
    kernel = arrays[0]
    if context.get("flatten"):  # rows in Keras's (*spatial, channels) order -> (channels, *spatial)
        *spatial, channels = context["flatten"]
        kernel = kernel.reshape(*spatial, channels, -1)
        kernel = np.moveaxis(kernel, -2, 0).reshape(-1, kernel.shape[-1])
    return {"weight": kernel.T, **({"bias": arrays[1]} if len(arrays) > 1 else {})}


def _dense_to_keras(layer, tensors, context):
    kernel = tensors["weight"].T
    if context.get("flatten"):
        *spatial, channels = context["flatten"]
        kernel = kernel.reshape(channels, *spatial, -1)
        kernel = np.moveaxis(kernel, 0, -2).reshape(-1, kernel.shape[-1])
    return [kernel] + ([tensors["bias"]] if "bias" in tensors else [])


def _conv_to_torch(layer, arrays, context):
    kernel = arrays[0]  # (*spatial, in / groups, out) -> (out, in / groups, *spatial)
    n = kernel.ndim
    weight = kernel.transpose(n - 1, n - 2, *range(n - 2))
    return {"weight": weight, **({"bias": arrays[1]} if len(arrays) > 1 else {})}


def _conv_to_keras(layer, tensors, context):
    weight = tensors["weight"]
    n = weight.ndim
    kernel = weight.transpose(*range(2, n), 1, 0)
    return [kernel] + ([tensors["bias"]] if "bias" in tensors else [])


# A transposed convolution's kernel is (*spatial, out, in) in Keras and (in, out, *spatial) in
# PyTorch: the same axis permutation as a convolution, with the roles of in and out swapped.
_transpose_to_torch, _transpose_to_keras = _conv_to_torch, _conv_to_keras


def _depthwise_to_torch(layer, arrays, context):
    kernel = arrays[0]  # (H, W, in, multiplier) -> (in * multiplier, 1, H, W), channel c * m + k
    h, w, channels, multiplier = kernel.shape
    weight = kernel.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, h, w)
    return {"weight": weight, **({"bias": arrays[1]} if len(arrays) > 1 else {})}


def _depthwise_to_keras(layer, tensors, context):
    weight = tensors["weight"]
    multiplier = layer.depth_multiplier
    channels = weight.shape[0] // multiplier
    kernel = weight.reshape(channels, multiplier, *weight.shape[2:]).transpose(2, 3, 0, 1)
    return [kernel] + ([tensors["bias"]] if "bias" in tensors else [])


def _batchnorm_to_torch(layer, arrays, context):
    names = (["weight"] if layer.scale else []) + (["bias"] if layer.center else []) + ["running_mean", "running_var"]
    return dict(zip(names, arrays, strict=True))


def _batchnorm_to_keras(layer, tensors, context):
    names = (["weight"] if layer.scale else []) + (["bias"] if layer.center else []) + ["running_mean", "running_var"]
    return [tensors[name] for name in names]


def _layernorm_to_torch(layer, arrays, context):
    names = (["weight"] if layer.scale else []) + (["bias"] if layer.center else [])
    return dict(zip(names, arrays, strict=True))


def _layernorm_to_keras(layer, tensors, context):
    return [tensors[name] for name in ("weight", "bias") if name in tensors]


def _embedding_to_torch(layer, arrays, context):
    return {"weight": arrays[0]}


def _embedding_to_keras(layer, tensors, context):
    return [tensors["weight"]]


def _lstm_to_torch(layer, arrays, context):
    kernel, recurrent, bias = arrays  # gates i, f, c, o in both; PyTorch adds a second bias
    return {
        "weight_ih_l0": kernel.T,
        "weight_hh_l0": recurrent.T,
        "bias_ih_l0": bias,
        "bias_hh_l0": np.zeros_like(bias),
    }


def _lstm_to_keras(layer, tensors, context):
    return [tensors["weight_ih_l0"].T, tensors["weight_hh_l0"].T, tensors["bias_ih_l0"] + tensors["bias_hh_l0"]]


def _swap_first_two_gates(array, axis):
    """Keras's GRU gates (z, r, h) <-> PyTorch's (r, z, n): swapping the first two blocks."""
    first, second, third = np.split(array, 3, axis=axis)
    return np.concatenate([second, first, third], axis=axis)


def _gru_to_torch(layer, arrays, context):
    kernel, recurrent, bias = arrays  # reset_after=True: bias is (2, 3 * units), input then recurrent
    return {
        "weight_ih_l0": _swap_first_two_gates(kernel, 1).T,
        "weight_hh_l0": _swap_first_two_gates(recurrent, 1).T,
        "bias_ih_l0": _swap_first_two_gates(bias[0], 0),
        "bias_hh_l0": _swap_first_two_gates(bias[1], 0),
    }


def _gru_to_keras(layer, tensors, context):
    bias = np.stack([_swap_first_two_gates(tensors["bias_ih_l0"], 0), _swap_first_two_gates(tensors["bias_hh_l0"], 0)])
    return [
        _swap_first_two_gates(tensors["weight_ih_l0"].T, 1),
        _swap_first_two_gates(tensors["weight_hh_l0"].T, 1),
        bias,
    ]


# -- settings that must agree before weights can be copied ----------------------------------------


def _cell(layer):
    return getattr(layer, "cell", layer)  # Keras 2 and 3 keep the recurrent settings on the cell


def _activation_name(fn) -> str:
    return getattr(fn, "__name__", str(fn))


def _check_strides(layer, module):
    if tuple(module.stride) != _per_axis(layer.strides, len(module.stride)):
        return f"strides differ: {layer.strides} in Keras, {module.stride} in PyTorch"
    if tuple(module.dilation) != _per_axis(layer.dilation_rate, len(module.dilation)):
        return f"dilation differs: {layer.dilation_rate} in Keras, {module.dilation} in PyTorch"
    return None


def _check_conv(layer, module):
    groups = getattr(layer, "groups", 1) or 1
    if module.groups != groups:
        return f"groups differ: {groups} in Keras, {module.groups} in PyTorch"
    return _check_strides(layer, module)


def _check_depthwise(layer, module):
    if module.groups != module.in_channels:
        return f"a depthwise convolution needs groups = in_channels ({module.in_channels}), not {module.groups}"
    return _check_strides(layer, module)


def _check_norm(layer, module):
    affine = bool(getattr(module, "affine", getattr(module, "elementwise_affine", True)))
    if not layer.scale == layer.center == affine:
        keras = f"center={layer.center}, scale={layer.scale}"
        return f"affine parameters differ: {keras} in Keras, affine={affine} in PyTorch"
    return None


def _check_recurrent(layer, module):
    cell = _cell(layer)
    if module.num_layers != 1 or module.bidirectional or getattr(module, "proj_size", 0):
        return "the PyTorch module must be one layer, one direction, no projection (one Keras layer each)"
    if module.hidden_size != cell.units:
        return f"sizes differ: {cell.units} units in Keras, hidden_size {module.hidden_size} in PyTorch"
    if not cell.use_bias or not module.bias:
        return "both need biases (use_bias=True, bias=True)"
    gates = (_activation_name(cell.activation), _activation_name(cell.recurrent_activation))
    if gates != ("tanh", "sigmoid"):
        return (
            f"activation={gates[0]!r}, recurrent_activation={gates[1]!r}: PyTorch's recurrent layers only "
            "compute tanh and sigmoid, so these weights would run a different function"
        )
    if type(module).__name__ == "GRU" and not cell.reset_after:
        return "reset_after=False has no PyTorch equivalent (torch.nn.GRU applies the reset gate after the product)"
    return None


_BATCH_NORMS = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
RULES = {  # Keras layer class name: (PyTorch module class names, check, to PyTorch, to Keras)
    "Dense": (("Linear",), None, _dense_to_torch, _dense_to_keras),
    "Conv1D": (("Conv1d",), _check_conv, _conv_to_torch, _conv_to_keras),
    "Conv2D": (("Conv2d",), _check_conv, _conv_to_torch, _conv_to_keras),
    "Conv1DTranspose": (("ConvTranspose1d",), _check_conv, _transpose_to_torch, _transpose_to_keras),
    "Conv2DTranspose": (("ConvTranspose2d",), _check_conv, _transpose_to_torch, _transpose_to_keras),
    "DepthwiseConv2D": (("Conv2d",), _check_depthwise, _depthwise_to_torch, _depthwise_to_keras),
    "BatchNormalization": (_BATCH_NORMS, _check_norm, _batchnorm_to_torch, _batchnorm_to_keras),
    "LayerNormalization": (("LayerNorm",), _check_norm, _layernorm_to_torch, _layernorm_to_keras),
    "Embedding": (("Embedding",), None, _embedding_to_torch, _embedding_to_keras),
    "LSTM": (("LSTM",), _check_recurrent, _lstm_to_torch, _lstm_to_keras),
    "GRU": (("GRU",), _check_recurrent, _gru_to_torch, _gru_to_keras),
}


def _rule(layer):
    for cls in type(layer).__mro__:  # a subclass of Dense is still a Dense
        if cls.__name__ in RULES:
            return RULES[cls.__name__]
    raise ConversionError(
        f"Keras layer {layer.name!r} ({type(layer).__name__}) has weights but no rule here "
        f"(supported: {', '.join(RULES)})"
    )


def _copy_settings(layer, module, to_torch: bool):
    """The settings that travel with the weights: the normalisation epsilons and the batch-norm
    momentum (Keras keeps `momentum` of the old average, PyTorch mixes in `momentum` of the new)."""
    kind = type(module).__name__
    if kind.startswith("BatchNorm"):
        if to_torch:
            module.eps, module.momentum = float(layer.epsilon), 1.0 - float(layer.momentum)
        else:
            layer.epsilon, layer.momentum = module.eps, 1.0 - module.momentum
    elif kind == "LayerNorm":
        if to_torch:
            module.eps = float(layer.epsilon)
        else:
            layer.epsilon = module.eps


# -- walking the two models -----------------------------------------------------------------------


def _weighted_layers(model):
    """Every Keras layer that holds weights, looking inside nested models."""
    for layer in model.layers:
        if hasattr(layer, "layers") and not hasattr(layer, "cell"):  # a nested model, not an RNN
            yield from _weighted_layers(layer)
        elif layer.weights:
            yield layer


# What may sit between a Flatten and the Dense that reads it. Weightless layers that keep every
# value in its place leave the Dense reading the Flatten's order; a layer with a weight per
# feature (BatchNormalization after a Flatten) would need its own weights permuted, which fwport
# does not do, so it refuses instead.
_KEEP_ORDER = {
    "Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise", "ActivityRegularization", "Activation",
    "ReLU", "LeakyReLU", "ELU", "Softmax", "ThresholdedReLU", "Identity",
}  # fmt: skip
_PER_FEATURE = {"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization", "PReLU"}
# Layers whose output keeps the layout of its single input (before a Flatten).
_KEEP_LAYOUT = _KEEP_ORDER | _PER_FEATURE | {"SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"}
_MERGE = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}  # elementwise, same layout in
# Layers whose output is a feature map, (*spatial, channels) or (channels, *spatial) by data_format:
# PyTorch's twin flattens (channels, *spatial).
_SPATIAL = (
    "Conv", "SeparableConv", "DepthwiseConv", "MaxPooling", "AveragePooling", "ZeroPadding", "Cropping",
    "UpSampling", "Resizing",
)  # fmt: skip
# Layers whose output PyTorch's twin lays out as Keras does: (batch, time, features) or (batch, features).
_SAME_ORDER = {"Embedding", "LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "Dense", "EinsumDense"}


def _kind(layer) -> str:
    """The class name fwport knows the layer by: its own, or the nearest known base class's."""
    for cls in type(layer).__mro__:
        name = cls.__name__
        if name in _KEEP_LAYOUT or name in _MERGE or name in _SAME_ORDER or name in ("Flatten", "InputLayer"):
            return name
        if name.startswith(_SPATIAL) and not name.startswith("ConvLSTM"):
            return "spatial"
    return type(layer).__name__


def _inbound(layer) -> list:
    """The layers whose outputs this layer was called on (one call only), or [] if unknown."""
    try:
        inputs = layer.input
    except (AttributeError, ValueError, RuntimeError):  # never called, or called more than once
        return []
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    try:
        return [t._keras_history[0] for t in inputs]
    except (AttributeError, IndexError, TypeError):
        return []


def _flattened_layout(layer, dense):
    """'channels_last', 'channels_first' or 'same' (PyTorch lays it out as Keras does): the layout
    of the tensor a Flatten received, found by walking back to the layer that made it."""
    kind = _kind(layer)
    if kind == "spatial":
        return getattr(layer, "data_format", "channels_last") or "channels_last"
    if kind in _SAME_ORDER:
        return "same"
    if kind == "InputLayer":  # the model's input: an image if it has two or more spatial axes
        if len(tuple(layer.output.shape)) >= 4:
            return "channels_last"
    elif kind in _KEEP_LAYOUT or kind in _MERGE:
        layouts = {_flattened_layout(source, dense) for source in _inbound(layer)}
        if len(layouts) == 1:
            return layouts.pop()
    raise ConversionError(
        f"Keras layer {dense.name!r} follows a Flatten of the output of {layer.name!r} ({type(layer).__name__}): "
        "fwport cannot tell in which order PyTorch flattens that tensor, so it cannot order the Dense's rows "
        "(pass channels_first=False if the PyTorch model flattens it in Keras's order)"
    )


def _flatten_shape(layer):
    """The (*spatial, channels) shape, in Keras's flattening order, of a feature map that a Flatten
    fed into this layer (through weightless layers that keep the order), when the PyTorch twin
    flattens it channels first so the rows need permuting; otherwise None."""
    between, source = [], layer
    while True:
        inbound = _inbound(source)
        if len(inbound) != 1:
            return None
        source = inbound[0]
        kind = _kind(source)
        if kind == "Flatten":
            break
        if kind in _KEEP_ORDER or kind in _PER_FEATURE:
            between.append(source)
            continue
        return None  # the Dense does not read a Flatten's order
    flatten = source
    shape = tuple(flatten.input.shape[1:])
    if len(shape) < 2:
        return None
    if None in shape:
        raise ConversionError(
            f"Keras layer {layer.name!r} follows a Flatten of unknown shape {shape}: build the model on a fixed Input"
        )
    shape = tuple(int(d) for d in shape)
    made_by = _inbound(flatten)
    if not made_by:
        return None
    layout = _flattened_layout(made_by[0], layer)
    flatten_first = (getattr(flatten, "data_format", "channels_last") or "channels_last") == "channels_first"
    if layout == "same" or (layout == "channels_first" and not flatten_first):
        return None  # Keras already flattens in PyTorch's order
    if layout == "channels_last" and flatten_first:
        raise ConversionError(
            f"Keras layer {layer.name!r} follows Flatten {flatten.name!r} with data_format='channels_first' "
            "on a channels-last feature map: that order has no PyTorch flatten to match"
        )
    weighted = [b for b in between if b.weights]
    if weighted:
        names = ", ".join(f"{b.name!r} ({type(b).__name__})" for b in weighted)
        raise ConversionError(
            f"Keras layer {layer.name!r} follows Flatten {flatten.name!r} through {names}: its weights per "
            "flattened feature would need the same permutation as the Dense's rows, which fwport does not do"
        )
    if layout == "channels_first":  # a channels-first Flatten moves the channels last before flattening
        return (*shape[1:], shape[0])
    return shape


def _pairs(keras_model, torch_model, names, strict, channels_first):
    names = dict(names or {})
    pairs, taken = [], set()
    for layer in _weighted_layers(keras_model):
        path = names.pop(layer.name, layer.name)
        try:
            module = torch_model.get_submodule(path)
        except AttributeError:
            modules = [n for n, m in torch_model.named_modules() if n and list(m.parameters(recurse=False))]
            raise ConversionError(
                f"Keras layer {layer.name!r} has no PyTorch module named {path!r} "
                f"(modules with weights: {', '.join(modules) or 'none'}; pass names={{{layer.name!r}: 'path'}})"
            ) from None
        types, check, _, _ = _rule(layer)
        if type(module).__name__ not in types:
            raise ConversionError(
                f"Keras layer {layer.name!r} ({type(layer).__name__}) cannot go into PyTorch module {path!r} "
                f"({type(module).__name__}; expected {' or '.join(types)})"
            )
        problem = check(layer, module) if check else None
        if path in taken:
            problem = "another Keras layer already goes into this module"
        if problem:
            raise ConversionError(f"Keras layer {layer.name!r} and PyTorch module {path!r}: {problem}")
        context = {"flatten": _flatten_shape(layer) if channels_first else None}
        pairs.append((layer, path, module, context))
        taken.add(path)
    if names:
        raise ConversionError(f"names maps Keras layers that have no weights or do not exist: {', '.join(names)}")
    if strict:
        left = [n for n, m in torch_model.named_modules() if n not in taken and list(m.parameters(recurse=False))]
        if left:
            raise ConversionError(f"PyTorch modules with weights that no Keras layer fills: {', '.join(left)}")
    return pairs


def keras_to_torch(keras_model, torch_model, names=None, strict=True, channels_first=True):
    """Copy every weighted layer of ``keras_model`` into the PyTorch module of the same name
    (``names``: {Keras layer name: PyTorch module path} where they differ) and return
    ``torch_model``. ``channels_first``: the PyTorch model flattens channels-first feature maps
    (the usual case), so a Dense after a Flatten gets its rows permuted. ``strict``: every PyTorch
    module with weights must be filled."""
    import torch

    for layer, path, module, context in _pairs(keras_model, torch_model, names, strict, channels_first):
        _, _, to_torch, _ = _rule(layer)
        arrays = [np.asarray(a) for a in layer.get_weights()]
        for name, array in to_torch(layer, arrays, context).items():
            tensor = getattr(module, name)
            if tensor is None or tuple(tensor.shape) != array.shape:
                got = None if tensor is None else tuple(tensor.shape)
                raise ConversionError(
                    f"Keras layer {layer.name!r} -> PyTorch module {path!r}: "
                    f"{name} is {got}, the converted array {array.shape}"
                )
            with torch.no_grad():
                tensor.copy_(torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)))
        _copy_settings(layer, module, to_torch=True)
    return torch_model


def torch_to_keras(torch_model, keras_model, names=None, strict=True, channels_first=True):
    """Copy every PyTorch module into the Keras layer of the same name; the reverse of
    ``keras_to_torch``, with the same arguments. Returns ``keras_model``."""
    pairs = _pairs(keras_model, torch_model, names, strict, channels_first)
    for layer, path, module, _ in pairs:  # refuse before changing anything
        if type(module).__name__.startswith("BatchNorm") and module.momentum is None:
            raise ConversionError(
                f"PyTorch module {path!r} -> Keras layer {layer.name!r}: momentum=None (a cumulative average "
                "of every batch) has no Keras equivalent; Keras keeps an exponential moving average"
            )
    for layer, path, module, context in pairs:
        _, _, _, to_keras = _rule(layer)
        tensors = {name: t.detach().cpu().numpy() for name, t in _tensors(module).items()}
        arrays = to_keras(layer, tensors, context)
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [a.shape for a in arrays] != expected:
            raise ConversionError(
                f"PyTorch module {path!r} -> Keras layer {layer.name!r}: "
                f"converted shapes {[a.shape for a in arrays]}, the layer holds {expected}"
            )
        layer.set_weights(arrays)
        _copy_settings(layer, module, to_torch=False)
    return keras_model


def _tensors(module):
    found = dict(module.named_parameters(recurse=False))
    found.update((n, b) for n, b in module.named_buffers(recurse=False) if n in ("running_mean", "running_var"))
    return found


def gap(a, b) -> float:
    """The largest absolute difference between two arrays (tensors allowed), for checking a port."""
    a, b = (np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float64) for x in (a, b))
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return float(np.abs(a - b).max()) if a.size else 0.0
