"""simdnorm's NumPy API against a float64 reference written here in NumPy, in place,
in float16 and bfloat16, and with bad arguments (ValueError naming the argument, nothing
written).

Tolerance: inputs are float32 and the reference computes in float64 from the same values,
so the difference is simdnorm's own float32 error: the rounding of y (2^-24 relative) plus
a few ulps from rstd and (x - mean), about 1e-6 relative to max(1, |y|) on N(0, 1) data;
4e-6 leaves room for the longest reductions here and catches any wrong formula (those are
off by 1e-2 or more). Statistics are compared relative to their own size.
"""

import math

import numpy as np
import pytest

import simdnorm

FLOAT32_TOLERANCE = 4e-6


def close(got, want, tolerance=FLOAT32_TOLERANCE):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    scale = max(1.0, float(np.max(np.abs(want))))
    error = float(np.max(np.abs(got - want)))
    assert error <= tolerance * scale, f"max error {error:.3g} > {tolerance:.3g} x {scale:.3g}"


def mean_is_close(got, want, var):
    """A float32 mean: within half a float32 ulp of itself (its rounding, 5e-4 near 1e4) plus
    1e-6 of its set's standard deviation."""
    bound = np.spacing(np.abs(want).astype(np.float32)) / 2 + 1e-6 * np.sqrt(var)
    assert np.all(np.abs(got - want) <= bound)


def data(shape, offset=0.0, seed=0):
    rng = np.random.default_rng(seed)
    return (offset + rng.standard_normal(shape)).astype(np.float32)


def parameters(c, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 1.5, c).astype(np.float32), rng.normal(0, 0.5, c).astype(np.float32))


def gelu(v):
    return v * 0.5 * np.vectorize(math.erfc)(-v / math.sqrt(2.0))


ACTIVATIONS = {
    "none": lambda v: v,
    "relu": lambda v: np.maximum(v, 0.0),
    "silu": lambda v: v / (1.0 + np.exp(-v)),
    "gelu": gelu,
}


def to_nchw(x, layout):
    """x as (N, C, *spatial) float64, whatever its layout."""
    x = x.astype(np.float64)
    return x if layout == "nchw" else np.moveaxis(x, -1, 1)


def from_nchw(y, layout):
    return y if layout == "nchw" else np.moveaxis(y, 1, -1)


def channel_vector(v, ndim):
    """A per-channel vector broadcast over (N, C, *spatial)."""
    return np.asarray(v, np.float64).reshape((1, -1) + (1,) * (ndim - 2))


# ---- row norms ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 768), (3, 5, 17), (64, 4096), (7,)])
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_layer_norm_matches_float64(shape, offset):
    x = data(shape, offset)
    gamma, beta = parameters(shape[-1])
    y, mean, rstd = simdnorm.layer_norm(x, gamma=gamma, beta=beta, eps=1e-5, return_stats=True)
    x64 = x.astype(np.float64)
    want_mean = x64.mean(-1)
    want_var = x64.var(-1)
    want = (x64 - want_mean[..., None]) / np.sqrt(want_var[..., None] + 1e-5) * gamma + beta
    close(y, want)
    assert mean.shape == shape[:-1] and rstd.shape == shape[:-1]
    mean_is_close(mean, want_mean, want_var)
    close(rstd / (1 / np.sqrt(want_var + 1e-5)), np.ones(shape[:-1]))


def test_layer_norm_of_a_constant_row_is_beta():
    x = np.full((4, 100), 3.25, np.float32)
    gamma, beta = parameters(100)
    np.testing.assert_array_equal(simdnorm.layer_norm(x, gamma=gamma, beta=beta),
                                  np.broadcast_to(beta, x.shape))


def test_rms_norm_matches_float64():
    x = data((9, 333))
    gamma, beta = parameters(333)
    y, rstd = simdnorm.rms_norm(x, gamma=gamma, beta=beta, eps=1e-6, return_stats=True)
    x64 = x.astype(np.float64)
    want_rstd = 1 / np.sqrt((x64 * x64).mean(-1) + 1e-6)
    close(y, x64 * want_rstd[:, None] * gamma + beta)
    close(rstd / want_rstd, np.ones(9))


@pytest.mark.parametrize("rms", [False, True])
def test_add_norms_normalise_the_sum_and_return_it(rms):
    x, residual = data((6, 257), seed=2), data((6, 257), seed=3)
    bias, _ = parameters(257, seed=4)
    gamma, beta = parameters(257)
    function = simdnorm.add_rms_norm if rms else simdnorm.add_layer_norm
    y, h = function(x, residual, bias=bias, gamma=gamma, beta=beta, return_sum=True)
    want_h = x.astype(np.float64) + residual + bias
    close(h, want_h)
    # y is the norm of h as rounded to float32 (the sum simdnorm normalises).
    plain = simdnorm.rms_norm if rms else simdnorm.layer_norm
    close(y, plain(h, gamma=gamma, beta=beta))


def test_add_layer_norm_writes_the_sum_over_the_residual_in_place():
    x, residual = data((4, 64), seed=2), data((4, 64), seed=3)
    want_h = x + residual
    y = data((4, 64), seed=5)
    result = simdnorm.add_layer_norm(x, residual, out=y, sum_out=residual)
    assert len(result) == 2 and result[0] is y and result[1] is residual
    np.testing.assert_array_equal(residual, want_h)


# ---- channel norms ------------------------------------------------------------------


CHANNEL_SHAPES = {"nchw": (2, 6, 5, 7), "nhwc": (2, 5, 7, 6)}


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("groups", [1, 2, 3, 6])
@pytest.mark.parametrize("activation", ["none", "silu"])
def test_group_norm_matches_float64(layout, groups, activation):
    x = data(CHANNEL_SHAPES[layout], offset=1e4 if groups == 2 else 0.0)
    gamma, beta = parameters(6)
    y, mean, rstd = simdnorm.group_norm(x, groups, gamma=gamma, beta=beta, layout=layout,
                                        activation=activation, return_stats=True)
    v = to_nchw(x, layout)
    sets = v.reshape(2, groups, -1)
    want_mean, want_var = sets.mean(-1), sets.var(-1)
    normalised = ((sets - want_mean[..., None])
                  / np.sqrt(want_var[..., None] + 1e-5)).reshape(v.shape)
    want = ACTIVATIONS[activation](normalised * channel_vector(gamma, 4) + channel_vector(beta, 4))
    close(y, from_nchw(want, layout))
    assert mean.shape == (2, groups)
    mean_is_close(mean, want_mean, want_var)


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_instance_norm_matches_float64(layout, activation):
    x = data(CHANNEL_SHAPES[layout])
    gamma, beta = parameters(6)
    y, mean, rstd = simdnorm.instance_norm(x, gamma=gamma, beta=beta, layout=layout,
                                           activation=activation, return_stats=True)
    v = to_nchw(x, layout)
    want_mean = v.mean((2, 3), keepdims=True)
    want_var = v.var((2, 3), keepdims=True)
    normalised = (v - want_mean) / np.sqrt(want_var + 1e-5)
    close(y, from_nchw(ACTIVATIONS[activation](normalised * channel_vector(gamma, 4)
                                               + channel_vector(beta, 4)), layout))
    assert mean.shape == (2, 6) and rstd.shape == (2, 6)
    close(rstd * np.sqrt(want_var[..., 0, 0] + 1e-5), np.ones((2, 6)))


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_batch_norm_inference_matches_float64(layout):
    x = data(CHANNEL_SHAPES[layout])
    gamma, beta = parameters(6)
    running_mean = np.linspace(-1, 1, 6, dtype=np.float32)
    running_var = np.linspace(0.5, 2, 6, dtype=np.float32)
    y = simdnorm.batch_norm_inference(x, running_mean, running_var, gamma=gamma, beta=beta,
                                      eps=1e-3, layout=layout, activation="relu")
    v = to_nchw(x, layout)
    want = (v - channel_vector(running_mean, 4)) / np.sqrt(channel_vector(running_var, 4) + 1e-3)
    close(y, from_nchw(np.maximum(want * channel_vector(gamma, 4) + channel_vector(beta, 4), 0),
                       layout))


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("unbiased", [True, False])
def test_batch_norm_training_matches_float64_and_moves_the_running_statistics(layout, unbiased):
    x = data(CHANNEL_SHAPES[layout], offset=1e4)
    gamma, beta = parameters(6)
    running_mean = np.full(6, 0.5, np.float32)
    running_var = np.full(6, 2.0, np.float32)
    y, save_mean, save_rstd = simdnorm.batch_norm_training(
        x, running_mean=running_mean, running_var=running_var, gamma=gamma, beta=beta,
        momentum=0.25, unbiased=unbiased, layout=layout, return_stats=True)
    v = to_nchw(x, layout)
    mean = v.mean((0, 2, 3))
    var = v.var((0, 2, 3))
    count = v.size // 6
    want = (v - channel_vector(mean, 4)) / np.sqrt(channel_vector(var, 4) + 1e-5)
    close(y, from_nchw(want * channel_vector(gamma, 4) + channel_vector(beta, 4), layout))
    mean_is_close(save_mean, mean, var)
    close(save_rstd * np.sqrt(var + 1e-5), np.ones(6))
    fed_var = var * count / (count - 1) if unbiased else var
    close(running_mean, 0.75 * 0.5 + 0.25 * mean, 1e-7)
    close(running_var, 0.75 * 2.0 + 0.25 * fed_var)


def test_mean_only_batch_norm_subtracts_the_mean():
    x = data((4, 3, 10))
    _, beta = parameters(3)
    running_mean = np.zeros(3, np.float32)
    y, save_mean = simdnorm.batch_norm_mean_only_training(x, running_mean=running_mean, beta=beta,
                                                          momentum=0.5, return_stats=True)
    mean = x.astype(np.float64).mean((0, 2))
    close(y, x - mean[None, :, None] + beta[None, :, None])
    close(save_mean, mean)
    close(running_mean, 0.5 * mean)
    y = simdnorm.batch_norm_mean_only_inference(x, running_mean, beta=beta)
    close(y, x.astype(np.float64) - running_mean[None, :, None] + beta[None, :, None])


def instance_and_batch_statistics(v):
    return (v.mean((2, 3), keepdims=True), v.var((2, 3), keepdims=True),
            v.mean((0, 2, 3), keepdims=True), v.var((0, 2, 3), keepdims=True))


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_batch_instance_norm_training_mixes_batch_and_instance(layout):
    x = data(CHANNEL_SHAPES[layout])
    gamma, beta = parameters(6)
    rho = np.linspace(0, 1, 6, dtype=np.float32)
    y = simdnorm.batch_instance_norm_training(x, rho, gamma=gamma, beta=beta, layout=layout)
    v = to_nchw(x, layout)
    instance_mean, instance_var, batch_mean, batch_var = instance_and_batch_statistics(v)
    r = channel_vector(rho, 4)
    mixed = (r * (v - batch_mean) / np.sqrt(batch_var + 1e-5)
             + (1 - r) * (v - instance_mean) / np.sqrt(instance_var + 1e-5))
    close(y, from_nchw(mixed * channel_vector(gamma, 4) + channel_vector(beta, 4), layout))


def test_switchable_norm_training_mixes_three_statistics():
    x = data((3, 4, 6, 5))
    gamma, beta = parameters(4)
    mean_weights, var_weights = (0.2, 0.3, 0.5), (0.6, 0.1, 0.3)
    y = simdnorm.switchable_norm_training(x, mean_weights, var_weights, gamma=gamma, beta=beta)
    v = x.astype(np.float64)
    instance_mean, instance_var, batch_mean, batch_var = instance_and_batch_statistics(v)
    layer_mean = v.mean((1, 2, 3), keepdims=True)
    layer_var = v.var((1, 2, 3), keepdims=True)
    mean = 0.2 * instance_mean + 0.3 * layer_mean + 0.5 * batch_mean
    var = 0.6 * instance_var + 0.1 * layer_var + 0.3 * batch_var
    close(y, (v - mean) / np.sqrt(var + 1e-5) * channel_vector(gamma, 4) + channel_vector(beta, 4))


def test_weight_norm_scales_each_row_to_g():
    v = data((8, 3, 3, 3))
    g = np.linspace(0.5, 2, 8, dtype=np.float32).reshape(8, 1, 1, 1)
    w, norm = simdnorm.weight_norm(v, g, return_norm=True)
    want_norm = np.sqrt((v.astype(np.float64) ** 2).reshape(8, -1).sum(1))
    close(norm / want_norm, np.ones(8))
    close(w, v / want_norm.reshape(8, 1, 1, 1) * g)


# ---- standardize ----------------------------------------------------------------------


def test_moments_adapt_over_batches_and_merge():
    batches = [data((n, 5), offset=3e3, seed=n) for n in (1, 17, 300)]
    whole = np.concatenate(batches).astype(np.float64)
    first, second = simdnorm.Moments(5), simdnorm.Moments(5)
    first.update(batches[0])
    first.update(batches[1])
    second.update(batches[2])
    first.merge(second)
    assert first.count == 318 and first.features == 5
    mean, var = first.finalize()
    mean_is_close(mean, whole.mean(0), whole.var(0))
    close(var / whole.var(0), np.ones(5))
    y = simdnorm.standardize_apply(batches[2], mean, var)
    close(y, (batches[2] - mean.astype(np.float64)) / np.sqrt(var.astype(np.float64)))
    close(simdnorm.standardize_invert(y, mean, var), batches[2], 2e-7)  # relative to 3e3


def test_moments_finalize_without_rows_is_an_error():
    with pytest.raises(ValueError):
        simdnorm.Moments(3).finalize()


# ---- other element types ----------------------------------------------------------------


def bfloat16_bits(x):
    """Round float32 to bfloat16 (nearest even) and return the bits as uint16."""
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bfloat16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def test_float16_layer_norm_is_within_one_unit_of_the_rounded_result():
    x = data((16, 768)).astype(np.float16)
    y = simdnorm.layer_norm(x)
    assert y.dtype == np.float16
    x64 = x.astype(np.float64)
    want = (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-5)
    unit = np.spacing(np.abs(want).astype(np.float16)).astype(np.float64)
    assert np.all(np.abs(y.astype(np.float64) - want) <= unit)


def test_bfloat16_group_norm_takes_bits_in_uint16():
    x = bfloat16_bits(data((2, 8, 4, 4)))
    y = simdnorm.group_norm(x, 4, dtype="bfloat16")
    assert y.dtype == np.uint16
    v = bfloat16_values(x).astype(np.float64).reshape(2, 4, -1)
    want = ((v - v.mean(-1, keepdims=True))
            / np.sqrt(v.var(-1, keepdims=True) + 1e-5)).reshape(2, 8, 4, 4)
    unit = np.abs(want) * 2.0**-7 + 1e-30  # one bfloat16 unit at most
    assert np.all(np.abs(bfloat16_values(y) - want) <= unit)


def test_in_place_is_the_same_as_out_of_place():
    x = data((5, 100))
    want = simdnorm.layer_norm(x)
    assert simdnorm.layer_norm(x, out=x) is x
    np.testing.assert_array_equal(x, want)


def new_outputs(x):
    """Every new array the calls below return for x (float32, float16 or bfloat16 bits)."""
    kind = {"dtype": "bfloat16"} if x.dtype == np.uint16 else {}
    rows = x.reshape(-1, x.shape[-1])
    c = x.shape[-1]
    y, total = simdnorm.add_layer_norm(rows, rows.copy(), return_sum=True, **kind)
    return [simdnorm.layer_norm(rows, **kind), y, total,
            simdnorm.group_norm(x, c, layout="nhwc", **kind),
            simdnorm.batch_norm_inference(x, np.zeros(c, np.float32), np.ones(c, np.float32),
                                          layout="nhwc", **kind)]


@pytest.mark.parametrize("shape", [(1, 3, 5, 7), (2, 56, 56, 64), (1, 64, 64, 320)])
@pytest.mark.parametrize("kind", ["float32", "float16", "bfloat16"])
def test_new_outputs_start_on_a_cache_line(shape, kind):
    # NumPy's own allocation starts large arrays 16 bytes past a 64-byte line, where every
    # vector store of the kernels writes two lines (arrays.cpp, new_aligned_like).
    x = data(shape)
    x = bfloat16_bits(x) if kind == "bfloat16" else x.astype(kind)
    for y in new_outputs(x):
        assert y.ctypes.data % 64 == 0
        assert y.dtype == x.dtype and y.shape == x.reshape(y.shape).shape
        assert y.flags.c_contiguous and y.flags.writeable
    # The view keeps its memory: writes land, and the values stay after x is gone.
    y = simdnorm.layer_norm(x.reshape(-1, shape[-1]), **({"dtype": kind} if kind == "bfloat16" else {}))
    want = y.copy()
    del x
    y[0, 0] = y[0, 1]
    assert y[0, 0] == want[0, 1]
    np.testing.assert_array_equal(y[1:], want[1:])


# ---- settings -------------------------------------------------------------------------------


def test_the_scalar_path_agrees_and_the_cap_is_restored():
    x = data((4, 6, 9, 9))
    vector = simdnorm.group_norm(x, 3)
    best = simdnorm.active_isa()
    simdnorm.set_max_isa("scalar")
    try:
        assert simdnorm.active_isa() == "scalar"
        close(simdnorm.group_norm(x, 3), vector)
    finally:
        simdnorm.set_max_isa("best")
    assert simdnorm.active_isa() == best
    with pytest.raises(ValueError):
        simdnorm.set_max_isa("avx9000")


def test_thread_cap_reads_back_and_refuses_negative():
    assert simdnorm.max_threads() == 0
    simdnorm.set_max_threads(1)
    try:
        assert simdnorm.max_threads() == 1
        with pytest.raises(ValueError, match="max_threads"):
            simdnorm.set_max_threads(-1)
        assert simdnorm.max_threads() == 1
    finally:
        simdnorm.set_max_threads(0)


# ---- bad arguments: ValueError naming the argument, nothing written ---------------------------


SENTINEL = np.float32(-7.5)


def sentinel_like(shape, dtype=np.float32):
    return np.full(shape, SENTINEL, dtype)


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


X = data((4, 6, 3, 3))
GAMMA, BETA = parameters(6)

BAD_CALLS = {
    "x float64": ("x", lambda out, rm: simdnorm.group_norm(X.astype(np.float64), 3, out=out)),
    "x a list": ("x", lambda out, rm: simdnorm.layer_norm([1.0, 2.0], out=None)),
    "x not contiguous": ("x", lambda out, rm: simdnorm.batch_norm_training(
        np.asfortranarray(X), running_mean=rm, running_var=rm.copy(), out=out)),
    "x with no elements": ("x", lambda out, rm: simdnorm.group_norm(
        np.zeros((0, 6, 3, 3), np.float32), 3)),
    "gamma too short": ("gamma", lambda out, rm: simdnorm.group_norm(
        X, 3, gamma=GAMMA[:5], out=out)),
    "gamma float64": ("gamma", lambda out, rm: simdnorm.instance_norm(
        X, gamma=GAMMA.astype(np.float64), out=out)),
    "out of another shape": ("out", lambda out, rm: simdnorm.group_norm(X, 3, out=out[:2])),
    "out float16": ("out", lambda out, rm: simdnorm.group_norm(X, 3, out=out.astype(np.float16))),
    "out read-only": ("out", lambda out, rm: simdnorm.batch_norm_training(
        X, running_mean=rm, running_var=rm.copy(), out=read_only(out))),
    "running_mean read-only": ("running_mean", lambda out, rm: simdnorm.batch_norm_training(
        X, running_mean=read_only(rm), running_var=rm, out=out)),
    "running_var missing": ("running_var", lambda out, rm: simdnorm.batch_norm_training(
        X, running_mean=rm, out=out)),
    "groups not dividing": ("groups", lambda out, rm: simdnorm.group_norm(X, 4, out=out)),
    "groups zero": ("groups", lambda out, rm: simdnorm.group_norm(X, 0, out=out)),
    "eps negative": ("eps", lambda out, rm: simdnorm.group_norm(X, 3, eps=-1.0, out=out)),
    "eps nan": ("eps", lambda out, rm: simdnorm.layer_norm(X, eps=float("nan"), out=out)),
    "momentum above one": ("momentum", lambda out, rm: simdnorm.batch_norm_training(
        X, running_mean=rm, running_var=rm.copy(), momentum=1.5, out=out)),
    "layout unknown": ("layout", lambda out, rm: simdnorm.instance_norm(X, layout="nhcw", out=out)),
    "activation unknown": ("activation", lambda out, rm: simdnorm.group_norm(
        X, 3, activation="tanh", out=out)),
    "dtype unknown": ("dtype", lambda out, rm: simdnorm.layer_norm(X, dtype="float8", out=out)),
    "bfloat16 without dtype": ("x", lambda out, rm: simdnorm.layer_norm(X.view(np.uint16))),
    "rho out of range": ("rho", lambda out, rm: simdnorm.batch_instance_norm_training(
        X, np.full(6, 1.5, np.float32), out=out)),
    "residual of another shape": ("residual", lambda out, rm: simdnorm.add_layer_norm(
        X, X[:2], out=out)),
    "g of another length": ("g", lambda out, rm: simdnorm.weight_norm(
        X, np.ones(3, np.float32), out=out)),
    "moments features": ("x", lambda out, rm: simdnorm.Moments(5).update(X)),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_arguments_raise_value_error_naming_the_argument_and_write_nothing(case):
    argument, call = BAD_CALLS[case]
    out = sentinel_like(X.shape)
    running = np.full(6, SENTINEL, np.float32)
    with pytest.raises(ValueError) as raised:
        call(out, running)
    assert argument in str(raised.value), str(raised.value)
    assert np.all(out == SENTINEL) and np.all(running == SENTINEL)


def test_an_output_overlapping_the_input_partially_is_refused():
    storage = data(4 * 64 + 1)
    x, out = storage[:-1].reshape(4, 64), storage[1:].reshape(4, 64)
    before = storage.copy()
    with pytest.raises(ValueError, match="overlap"):
        simdnorm.layer_norm(x, out=out)
    np.testing.assert_array_equal(storage, before)
