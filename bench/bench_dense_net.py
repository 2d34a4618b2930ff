"""Dense networks: fastshear.DenseNet vs onnxruntime vs torch (eager), same weights, one run.

    .venv/bin/pip install -e '.[bench]' torch==2.13.0
    .venv/bin/python -m pytest bench/bench_dense_net.py --benchmark-only --benchmark-group-by=group \
        --benchmark-columns=median,iqr,rounds --benchmark-sort=name

Nets 2->64x3->1, 16->256x4->16, 64->512x6->256 (ReLU, float32) at batch 1, 64, 4096 on 1 and 2
threads; a 90 %-pruned 64->512x6->256 at batch 64 (dense vs sparse); LRP (epsilon, z-plus) vs the
forward pass. onnxruntime gets the graph torch.onnx.export writes for these nets (Gemm + Relu),
built directly with onnx.helper. The kernels each backend ran are printed at the start
(`-s` shows them) and stored in each benchmark's extra_info.
"""
import numpy as np
import pytest

import fastshear

NETS = {"2-64x3-1": [2, 64, 64, 64, 1], "16-256x4-16": [16] + [256] * 4 + [16],
        "64-512x6-256": [64] + [512] * 6 + [256]}
BATCHES = [1, 64, 4096]
THREADS = [1, 2]


def _weights(widths, seed=0):
    rng = np.random.default_rng(seed)
    W = [(rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i])).astype(np.float32)
         for i in range(len(widths) - 1)]
    b = [(0.1 * rng.standard_normal(widths[i + 1])).astype(np.float32) for i in range(len(widths) - 1)]
    return W, b


def _x(widths, batch):
    return np.random.default_rng(1).standard_normal((batch, widths[0])).astype(np.float32)


def _onnx_session(W, b, threads, acts=None):
    """onnxruntime session of Gemm layers with a Relu after layer l where ``acts[l]`` is "relu"
    (``acts=None``: after every hidden layer)."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    acts = ["relu"] * (len(W) - 1) if acts is None else acts
    nodes, inits, cur = [], [], "x"
    for l in range(len(W)):
        inits += [numpy_helper.from_array(W[l], f"W{l}"), numpy_helper.from_array(b[l], f"b{l}")]
        nodes.append(helper.make_node("Gemm", [cur, f"W{l}", f"b{l}"], [f"z{l}"], transB=1))
        cur = f"z{l}"
        if l + 1 < len(W) and acts[l] == "relu":
            nodes.append(helper.make_node("Relu", [cur], [f"a{l}"]))
            cur = f"a{l}"
    g = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", W[0].shape[1]])],
                          [helper.make_tensor_value_info(cur, TensorProto.FLOAT, ["B", W[-1].shape[0]])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def _torch_module(W, b, threads):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(threads)
    return fastshear.DenseNet(W, b).to_torch().eval(), torch


def _runner(backend, W, b, x, threads):
    """A call of the net on ``x`` in ``backend`` ("fastshear", "fastshear_out": one preallocated
    result written each call, "onnxruntime", "torch"), checked once against the engine."""
    if backend == "fastshear":
        f = fastshear.DenseNet(W, b, workers=threads)
        run = lambda: f(x)  # noqa: E731
    elif backend == "fastshear_out":
        f = fastshear.DenseNet(W, b, workers=threads)
        y = np.empty((x.shape[0], W[-1].shape[0]), np.float32)
        run = lambda: f(x, out=y)  # noqa: E731
    elif backend == "onnxruntime":
        s = _onnx_session(W, b, threads)
        run = lambda: s.run(None, {"x": x})  # noqa: E731
    else:
        m, torch = _torch_module(W, b, threads)
        xt = torch.from_numpy(x)

        def run():
            with torch.inference_mode():
                return m(xt)
    ref = fastshear.DenseNet(W, b)(x)
    out = run()
    out = out[0] if isinstance(out, list) else np.asarray(out)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    return run


def _kernels():
    info = {"fastshear": fastshear.DenseNet([np.ones((1, 1))], [np.zeros(1)]).kernel}
    try:
        import onnxruntime as ort

        info["onnxruntime"] = f"{ort.__version__} MLAS (own GEMM, runtime ISA dispatch)"
    except ImportError:
        pass
    try:
        import torch

        cfg = torch.__config__.show()
        blas = cfg.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in cfg else "?"
        info["torch"] = f"{torch.__version__}: Linear via {blas} sgemm, cpu capability " \
                        f"{torch.backends.cpu.get_cpu_capability()}"
    except ImportError:
        pass
    return info


KERNELS = _kernels()


@pytest.fixture(scope="session", autouse=True)
def _show_kernels():
    print("\nkernels:", KERNELS)


@pytest.mark.parametrize("net", NETS)
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("backend", ["fastshear", "onnxruntime", "torch"])
def test_forward(benchmark, net, batch, threads, backend):
    widths = NETS[net]
    W, b = _weights(widths)
    x = _x(widths, batch)
    benchmark.group = f"{net} B={batch}"
    benchmark.name = f"{backend} {threads}t"
    benchmark.extra_info["kernel"] = KERNELS.get(backend)
    benchmark(_runner(backend, W, b, x, threads))


@pytest.mark.parametrize("mode", ["dense", "pruned 90% (sparse)", "pruned 90% as dense"])
@pytest.mark.parametrize("threads", THREADS)
def test_pruned(benchmark, mode, threads):
    widths = NETS["64-512x6-256"]
    W, b = _weights(widths)
    x = _x(widths, 64)
    net = fastshear.DenseNet(W, b, workers=threads)
    if mode != "dense":
        net = net.prune(fraction=0.9)
        if mode.endswith("as dense"):
            net = fastshear.DenseNet(net.weights, net.biases, workers=threads, sparse_threshold=0)
    benchmark.group = "64-512x6-256 B=64 pruned"
    benchmark.name = f"fastshear {mode} {threads}t"
    benchmark(net, x)


@pytest.mark.parametrize("net", ["16-256x4-16", "64-512x6-256"])
@pytest.mark.parametrize("what", ["forward", "lrp epsilon", "lrp zplus", "lrp alphabeta"])
def test_lrp(benchmark, net, what):
    widths = NETS[net]
    W, b = _weights(widths)
    x = _x(widths, 256)
    f = fastshear.DenseNet(W, b, workers=1)
    benchmark.group = f"{net} B=256 LRP"
    benchmark.name = f"fastshear {what} 1t"
    if what == "forward":
        benchmark(f, x)
    else:
        rule = what.split()[1]
        benchmark(f.relevance, x, rule=rule)
