"""The benchmark models and steps in PyTorch, built from :mod:`fwbench.params` weights, and the
PyTorch :class:`~fwbench.adapters.Adapter`."""

from __future__ import annotations

import torch
import torch._dynamo  # noqa: F401  (torch.optim imports it lazily; after TensorFlow that import segfaults)
import torch.nn.functional as F
from torch import nn

import numpy as np

from fwbench import params as P
from fwbench.adapters import Adapter, Variant
from fwbench.config import Mode


def set_threads(threads: dict) -> dict:
    torch.set_num_threads(threads["intra_op"])
    try:
        torch.set_num_interop_threads(threads["inter_op"])
    except RuntimeError:  # already set, or inter-op work already started in this process
        pass
    return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a))


def _load_linear(lin: nn.Linear, w: np.ndarray, b: np.ndarray) -> None:
    with torch.no_grad():
        lin.weight.copy_(_t(w.T))
        lin.bias.copy_(_t(b))


def nchw(x: np.ndarray) -> torch.Tensor:
    return _t(x.transpose(0, 3, 1, 2))


# ---- models --------------------------------------------------------------------------------


def mlp(cfg: dict, weights: list[np.ndarray]) -> nn.Module:
    s = cfg["sizes"]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(s[:-1], s[1:], strict=True)):
        lin = nn.Linear(a, b)
        _load_linear(lin, weights[2 * i], weights[2 * i + 1])
        layers.append(lin)
        if i < len(s) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def cnn(cfg: dict, weights: list[np.ndarray]) -> nn.Module:
    c0, c1, c2 = cfg["channels"]
    conv1, conv2 = nn.Conv2d(c0, c1, 3, padding=1), nn.Conv2d(c1, c2, 3, padding=1)
    head = nn.Linear(c2, cfg["classes"])
    with torch.no_grad():
        conv1.weight.copy_(_t(weights[0].transpose(3, 2, 0, 1)))
        conv1.bias.copy_(_t(weights[1]))
        conv2.weight.copy_(_t(weights[2].transpose(3, 2, 0, 1)))
        conv2.bias.copy_(_t(weights[3]))
    _load_linear(head, weights[4], weights[5])
    return nn.Sequential(
        conv1,
        nn.ReLU(),
        nn.MaxPool2d(2),
        conv2,
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        head,
    )


def transformer(cfg: dict, layers: list[dict]) -> nn.Module:
    d = cfg["d_model"]
    blocks = []
    for p in layers:
        blk = nn.TransformerEncoderLayer(d, cfg["heads"], cfg["d_ff"], dropout=0.0, activation="gelu", batch_first=True)
        with torch.no_grad():
            blk.self_attn.in_proj_weight.copy_(_t(np.concatenate([p["wq"].T, p["wk"].T, p["wv"].T])))
            blk.self_attn.in_proj_bias.copy_(_t(np.concatenate([p["bq"], p["bk"], p["bv"]])))
            blk.self_attn.out_proj.weight.copy_(_t(p["wo"].T))
            blk.self_attn.out_proj.bias.copy_(_t(p["bo"]))
            blk.norm1.weight.copy_(_t(p["ln1_g"]))
            blk.norm1.bias.copy_(_t(p["ln1_b"]))
            blk.norm2.weight.copy_(_t(p["ln2_g"]))
            blk.norm2.bias.copy_(_t(p["ln2_b"]))
        _load_linear(blk.linear1, p["w1"], p["b1"])
        _load_linear(blk.linear2, p["w2"], p["b2"])
        blocks.append(blk)
    return nn.Sequential(*blocks)


# ---- back to the canonical layout (for parity checks) -----------------------------------------


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()  # a copy: later training must not change it


def canonical(kind: str, model: nn.Module, what: str = "param") -> list[np.ndarray]:
    """Weights (``what='param'``) or gradients (``'grad'``) in the canonical (Keras) layout."""
    get = (lambda p: _np(p)) if what == "param" else (lambda p: _np(p.grad))
    out: list[np.ndarray] = []
    if kind in ("mlp", "cnn"):
        for m in model.modules():
            if isinstance(m, nn.Linear):
                out += [get(m.weight).T, get(m.bias)]
            elif isinstance(m, nn.Conv2d):
                out += [get(m.weight).transpose(2, 3, 1, 0), get(m.bias)]
        return out
    d = None
    for blk in model:
        d = blk.self_attn.embed_dim
        w_in, b_in = get(blk.self_attn.in_proj_weight), get(blk.self_attn.in_proj_bias)
        out += [
            w_in[:d].T,
            b_in[:d],
            w_in[d : 2 * d].T,
            b_in[d : 2 * d],
            w_in[2 * d :].T,
            b_in[2 * d :],
            get(blk.self_attn.out_proj.weight).T,
            get(blk.self_attn.out_proj.bias),
            get(blk.norm1.weight),
            get(blk.norm1.bias),
            get(blk.linear1.weight).T,
            get(blk.linear1.bias),
            get(blk.linear2.weight).T,
            get(blk.linear2.bias),
            get(blk.norm2.weight),
            get(blk.norm2.bias),
        ]
    return out


# ---- steps --------------------------------------------------------------------------------------


def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out, y)  # mean over every element, like keras "mse" on these shapes


def train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """Forward, backward and one plain-SGD update (torch.optim.SGD, foreach)."""
    opt = torch.optim.SGD(model.parameters(), lr=P.LR)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def fwd_bwd_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """Forward and backward only: gradients, no update."""
    params = list(model.parameters())

    def step():
        for p in params:
            p.grad = None
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    return step


def tiny_chain(n_ops: int):
    """``n_ops`` scalar-sized elementwise ops in a row: what dispatch costs per op."""

    def chain(x):
        for _ in range(n_ops // 2):
            x = torch.mul(x, 1.0001)
            x = torch.add(x, 0.0001)
        return x

    return chain


# ---- the adapter: what the driver and the parity check use ------------------------------------------


def _to_input(kind: str, x: np.ndarray) -> torch.Tensor:
    return nchw(x) if kind == "cnn" else _t(x)


class TorchAdapter(Adapter):
    name, label, ops_label, eager = "pytorch", "PyTorch", "torch", "torch-eager"

    def set_threads(self, threads: dict) -> dict:
        return set_threads(threads)

    def info(self) -> dict:
        return {"torch_parallel_info": torch.__config__.parallel_info()}

    def set_up_compiler(self) -> dict:
        """Inductor's one-off CPU probe: on its first compile in a fresh cache it test-compiles
        and loads a small program per vector ISA (ten gcc runs here) before compiling any of our
        code. A persistent cache keeps the result, so a user pays it once per machine. Run here,
        untimed, it leaves each timed first call with its own compile only."""
        import time

        t0 = time.perf_counter()
        try:
            from torch._inductor import cpu_vec_isa

            isa = str(cpu_vec_isa.pick_vec_isa())
        except Exception as exc:  # noqa: BLE001  (torch.compile itself will report the problem)
            return {"compiler_setup_error": f"{type(exc).__name__}: {exc}"[:300]}
        return {"inductor_vec_isa": isa, "compiler_setup_s": time.perf_counter() - t0}

    def build(self, kind: str, cfg: dict, weights) -> nn.Module:
        return {"mlp": mlp, "cnn": cnn, "transformer": transformer}[kind](cfg, weights)

    def weights(self, kind: str, model) -> list[np.ndarray]:
        return canonical(kind, model)

    def forward(self, kind: str, model, x: np.ndarray) -> np.ndarray:
        return _np(model(_to_input(kind, x)))

    def loss_and_grads(self, kind: str, model, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        loss = fwd_bwd_step(model, _to_input(kind, x), _t(y))()
        return float(loss.detach()), canonical(kind, model, "grad")

    def sgd_step(self, kind: str, model, x: np.ndarray, y: np.ndarray) -> float:
        return float(train_step(model, _to_input(kind, x), _t(y))().detach())

    def to_numpy(self, value) -> np.ndarray:
        return _np(value) if isinstance(value, torch.Tensor) else np.asarray(value)

    def variants(self, workload: str, mode: Mode) -> tuple[str, ...]:
        compiled = {
            "dense": True,
            "tiny_op": True,
            "infer_b1": mode.compile_inference,
        }.get(workload, mode.compile_training)
        extra = ("torch-inference-mode",) if workload == "infer_b1" else ()
        return ("torch-eager", *extra, *(("torch-compile",) if compiled else ()))

    def matmul(self, a: np.ndarray, b: np.ndarray, variant: str) -> Variant:
        at, bt = _t(a), _t(b)
        fn = torch.matmul if variant == "torch-eager" else torch.compile(lambda x, y: torch.matmul(x, y))
        return Variant(variant, lambda: fn(at, bt), lambda out: [_np(out)], compiled=variant != "torch-eager")

    def train(self, kind: str, cfg: dict, weights, x, y, variant: str, mode: Mode) -> Variant:
        model = self.build(kind, cfg, weights)
        runnable = model if variant == "torch-eager" else torch.compile(model)
        what = "grad" if kind == "transformer" else "param"
        make = fwd_bwd_step if kind == "transformer" else train_step
        step = make(runnable, _to_input(kind, x), _t(y))
        return Variant(variant, step, lambda _: canonical(kind, model, what), compiled=variant != "torch-eager")

    def tiny_chain(self, n_ops: int, variant: str) -> Variant:
        chain = tiny_chain(n_ops) if variant == "torch-eager" else torch.compile(tiny_chain(n_ops))
        x8 = torch.ones(8)
        return Variant(
            variant,
            lambda: chain(x8),
            lambda out: [_np(out)],
            per_call=n_ops,
            compiled=variant != "torch-eager",
            extra={"ops": n_ops},
        )

    def infer(self, cfg: dict, weights, x1: np.ndarray, variant: str) -> Variant:
        model = cnn(cfg, weights).eval()
        xt = nchw(x1)
        if variant == "torch-eager":  # autograd on: what a plain model(x) call costs
            call = lambda: model(xt)  # noqa: E731
        else:
            runnable = model if variant == "torch-inference-mode" else torch.compile(model)

            def call():
                with torch.inference_mode():
                    return runnable(xt)

        return Variant(variant, call, lambda out: [_np(out)], compiled=variant == "torch-compile")
