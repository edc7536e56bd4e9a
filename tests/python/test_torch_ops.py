"""simdnorm.torch: the operators against torch.nn.functional on contiguous and channels-last
tensors, the running statistics of a training forward, patch / unpatch on every module kind,
bfloat16 and float16 activations, and the refusals (autograd, other devices and dtypes). The
C++ operators (simdnorm._torch_ops) against the NumPy functions, bit for bit, on oneTBB and on
PyTorch's thread pool.

The reference is torch.nn.functional in float64 on the same values (PyTorch's own float32
NHWC batch norm loses digits on data offset by 1e3), so the difference is simdnorm's float32
error: a few ulps of max(1, |y|); 1e-5 of that is about 80 ulps of 1, and a wrong formula is
off by far more.
"""

import copy
import importlib.util
import threading

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import simdnorm

if importlib.util.find_spec("simdnorm._torch_ops") is None:
    pytest.skip("simdnorm was built without its PyTorch operators (no libtorch-dev)",
                allow_module_level=True)

import simdnorm.torch as snt  # noqa: E402
from half_precision import HALF_TYPES, within_one_unit_and_mostly_rounded  # noqa: E402

# Before any test switches it: importing simdnorm.torch puts the loops on PyTorch's pool.
ON_TORCH_THREADS_AFTER_IMPORT = snt.uses_torch_threads()

TOLERANCE = 1e-5


def close(got, want, tolerance=TOLERANCE):
    assert got.shape == want.shape
    scale = max(1.0, want.abs().max().item())
    error = (got - want).abs().max().item()
    assert error <= tolerance * scale, f"max error {error:.3g} > {tolerance:.3g} x {scale:.3g}"


def in_float64(function, *args, **kwargs):
    """function on float64 copies of its float32 tensor arguments, rounded back to float32."""
    def widen(a):
        return a.double() if isinstance(a, torch.Tensor) and a.dtype == torch.float32 else a
    return function(*map(widen, args), **{k: widen(v) for k, v in kwargs.items()}).float()


def data(*shape, seed=0, memory_format=torch.contiguous_format):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator).contiguous(memory_format=memory_format)


def affine(c, seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(c, generator=generator) + 0.5, torch.randn(c, generator=generator) * 0.5


FORMATS = {
    "contiguous": ((2, 64, 9, 7), torch.contiguous_format),
    "channels_last": ((2, 64, 9, 7), torch.channels_last),
    "channels_last_3d": ((2, 64, 3, 5, 4), torch.channels_last_3d),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_group_and_instance_norm_match_torch_and_keep_the_memory_format(fmt):
    shape, memory_format = FORMATS[fmt]
    x = data(*shape, memory_format=memory_format)
    weight, bias = affine(64)
    y = snt.group_norm(x, 32, weight, bias, 1e-5)
    close(y, in_float64(F.group_norm, x, 32, weight, bias, 1e-5))
    assert y.is_contiguous(memory_format=memory_format)
    close(snt.instance_norm(x, weight, bias, 1e-5),
          in_float64(F.instance_norm, x, weight=weight, bias=bias, eps=1e-5))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("training", [False, True])
def test_batch_norm_matches_torch_with_its_running_statistics(fmt, training):
    shape, memory_format = FORMATS[fmt]
    x = data(*shape, memory_format=memory_format) * 3 + 1e3
    weight, bias = affine(64)
    mean, var = (torch.randn(64) + 1e3).double(), (torch.rand(64) + 0.5).double()
    mean_ours, var_ours = mean.float(), var.float()
    y = snt.batch_norm(x, mean_ours, var_ours, weight, bias, training, 0.1, 1e-5)
    close(y, in_float64(F.batch_norm, x, mean, var, weight, bias, training, 0.1, 1e-5))
    assert y.is_contiguous(memory_format=memory_format)
    # Near 1e3 a float32 ulp is 6e-5: the running mean within two of them.
    close(mean_ours, mean.float(), 2e-7)
    close(var_ours, var.float())


def test_layer_and_rms_norm_match_torch_over_several_trailing_dims():
    x = data(3, 5, 6, 8)
    weight, bias = torch.rand(6, 8) + 0.5, torch.randn(6, 8)
    close(snt.layer_norm(x, [6, 8], weight, bias, 1e-5),
          in_float64(F.layer_norm, x, [6, 8], weight, bias, 1e-5))
    want = x / torch.sqrt(x.pow(2).mean((-2, -1), keepdim=True) + 1e-6) * weight
    close(snt.rms_norm(x, [6, 8], weight, 1e-6), want)


def test_layer_norm_of_a_permuted_view_is_right():
    x = data(2, 16, 5, 5).permute(0, 2, 3, 1)  # not contiguous: copied, then normalised
    close(snt.layer_norm(x, [16]), F.layer_norm(x, [16]))


def random_norm_modules():
    torch.manual_seed(3)
    modules = [
        nn.LayerNorm(20), nn.GroupNorm(4, 20), nn.BatchNorm1d(20), nn.BatchNorm2d(20),
        nn.BatchNorm3d(20), nn.BatchNorm2d(20, momentum=None), nn.BatchNorm2d(20, affine=False),
        nn.BatchNorm2d(20, track_running_stats=False), nn.InstanceNorm1d(20),
        nn.InstanceNorm2d(20, affine=True),
        nn.InstanceNorm3d(20, affine=True, track_running_stats=True),
    ]
    for module in modules:
        for name, tensor in list(module.named_parameters()) + list(module.named_buffers()):
            if tensor.dtype == torch.float32:
                with torch.no_grad():
                    tensor.copy_(torch.rand_like(tensor) + 0.5 if "var" in name or "weight" in name
                                 else torch.randn_like(tensor) * 0.2)
    return modules


def input_for(module):
    if isinstance(module, nn.LayerNorm):
        return data(4, 7, 20)
    if isinstance(module, (nn.BatchNorm1d, nn.InstanceNorm1d)):
        return data(4, 20, 11)
    if isinstance(module, (nn.BatchNorm3d, nn.InstanceNorm3d)):
        return data(2, 20, 3, 4, 5)
    return data(3, 20, 6, 5)


@pytest.mark.parametrize("training", [False, True])
def test_patched_modules_compute_what_torch_does(training):
    for module in random_norm_modules():
        reference = copy.deepcopy(module).train(training)
        patched = snt.patch(copy.deepcopy(module).train(training))
        assert snt.patched_modules(patched) == [""], type(module)
        x = input_for(module)
        with torch.no_grad():
            for _ in range(2):  # the second forward sees updated running statistics
                close(patched(x), reference(x))
        for (name, want), (_, got) in zip(reference.named_buffers(), patched.named_buffers()):
            if want.dtype == torch.float32:
                close(got, want)
            else:
                assert torch.equal(got, want), name


def test_unbatched_instance_norm_matches_torch():
    module = nn.InstanceNorm1d(20, affine=True)
    x = data(20, 11)
    with torch.no_grad():
        want = module(x)
        close(snt.patch(module)(x), want)


def test_patch_keeps_parameters_and_unpatch_restores_the_classes():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.GroupNorm(2, 8),
                          nn.Flatten(), nn.LayerNorm(8 * 4 * 4))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    parameters = [id(p) for p in model.parameters()]
    snt.patch(model)
    assert snt.patched_modules(model) == ["1", "3", "5"]
    assert [id(p) for p in model.parameters()] == parameters
    assert model.state_dict().keys() == state.keys()
    snt.unpatch(model)
    assert snt.patched_modules(model) == []
    assert [type(m) for m in model] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.GroupNorm,
                                        nn.Flatten, nn.LayerNorm]


def test_a_subclass_with_its_own_forward_is_left_alone():
    class ScaledLayerNorm(nn.LayerNorm):
        def forward(self, input):
            return 2 * super().forward(input)

    model = nn.Sequential(ScaledLayerNorm(8))
    snt.patch(model)
    assert snt.patched_modules(model) == []


def test_a_patched_module_refuses_autograd():
    module = snt.patch(nn.LayerNorm(16))
    x = data(2, 16)
    with pytest.raises(RuntimeError, match="no_grad"):
        module(x)
    with torch.inference_mode():
        close(module(x), F.layer_norm(x, [16], module.weight, module.bias))


@pytest.mark.parametrize("bad", ["float64", "meta", "int"])
def test_other_devices_and_dtypes_are_refused(bad):
    x = {"float64": data(2, 8, 4, 4).double(), "meta": torch.empty(2, 8, 4, 4, device="meta"),
         "int": torch.ones(2, 8, 4, 4, dtype=torch.int32)}[bad]
    with pytest.raises(ValueError, match="input"):
        snt.group_norm(x, 2)
    with torch.no_grad(), pytest.raises(ValueError, match="input"):
        snt.patch(nn.GroupNorm(2, 8))(x)


def test_a_bad_argument_reaches_python_as_value_error_and_writes_nothing():
    mean, var = torch.full((8,), 7.0), torch.full((8,), 7.0)
    with pytest.raises(ValueError, match="momentum"):
        snt.batch_norm(data(2, 8, 4, 4), mean, var, None, None, True, 2.0, 1e-5)
    assert torch.all(mean == 7.0) and torch.all(var == 7.0)
    with pytest.raises(ValueError, match="weight"):
        snt.layer_norm(data(2, 8), [8], torch.ones(7))
    with pytest.raises(ValueError, match="groups"):
        snt.group_norm(data(2, 8, 4, 4), 3)


# ---- the C++ operators against the NumPy functions ---------------------------------------------
#
# simdnorm._torch_ops calls the library as the NumPy functions do, on the tensors' memory in the
# layout it is dense in, so the bits must be theirs: the reference below is what the Python
# operators before it computed (NumPy views of the tensors, the NumPy functions). The sizes are
# past the library's thresholds for splitting a call (32K floats; 64K for rows), so that the
# parallel paths run.

ops = torch.ops.simdnorm

LAYOUTS = {
    "contiguous": lambda x: x,
    "channels_last": lambda x: x.contiguous(memory_format=torch.channels_last),
    "channels_last_3d": lambda x: x.reshape(2, 64, 6, 4, 24).contiguous(
        memory_format=torch.channels_last_3d),
    "strided": lambda x: x.transpose(2, 3),  # dense in neither layout: copied, then NCHW
}


def array_and_layout(x):
    """x as the NumPy functions read it, as the Python operators handed it to them."""
    if x.is_contiguous():
        return x.numpy(), "nchw"
    if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
        return x.permute(0, 2, 3, 1).numpy(), "nhwc"
    if x.dim() == 5 and x.is_contiguous(memory_format=torch.channels_last_3d):
        return x.permute(0, 2, 3, 4, 1).numpy(), "nhwc"
    return x.contiguous().numpy(), "nchw"


def same_bits(got, want):
    got = got.detach().numpy() if isinstance(got, torch.Tensor) else got
    assert got.shape == want.shape
    assert (got.view("uint32") == want.view("uint32")).all(), "bits differ"


def channel_input(layout, seed=0):
    return LAYOUTS[layout](data(2, 64, 24, 24, seed=seed) * 2 + 3)


def channel_cases():
    """(name, operator call, NumPy call) for each channel operator; each call takes the input
    and fresh running statistics (mean, var), and returns y."""
    weight, bias = affine(64)
    w, b = weight.numpy(), bias.numpy()
    return [
        ("group_norm", lambda x, m, v: ops.group_norm(x, 8, weight, bias, 1e-5),
         lambda a, lay, m, v: simdnorm.group_norm(a, 8, gamma=w, beta=b, eps=1e-5, layout=lay)),
        ("instance_norm", lambda x, m, v: ops.instance_norm(x, weight, bias, 1e-5),
         lambda a, lay, m, v: simdnorm.instance_norm(a, gamma=w, beta=b, eps=1e-5, layout=lay)),
        ("batch_norm_eval",
         lambda x, m, v: ops.batch_norm(x, m, v, weight, bias, False, 0.1, 1e-5),
         lambda a, lay, m, v: simdnorm.batch_norm_inference(a, m.numpy(), v.numpy(), gamma=w,
                                                            beta=b, eps=1e-5, layout=lay)),
        ("batch_norm_train",
         lambda x, m, v: ops.batch_norm(x, m, v, weight, bias, True, 0.1, 1e-5),
         lambda a, lay, m, v: simdnorm.batch_norm_training(
             a, running_mean=m.numpy(), running_var=v.numpy(), gamma=w, beta=b, momentum=0.1,
             eps=1e-5, layout=lay)),
    ]


def running_statistics():
    generator = torch.Generator().manual_seed(5)
    return torch.randn(64, generator=generator) + 3, torch.rand(64, generator=generator) + 0.5


def row_cases():
    generator = torch.Generator().manual_seed(2)
    weight = torch.rand(8, 128, generator=generator) + 0.5
    bias = torch.randn(8, 128, generator=generator)
    w, b = weight.reshape(-1).numpy(), bias.reshape(-1).numpy()
    return [
        ("layer_norm", lambda x: ops.layer_norm(x, [8, 128], weight, bias, 1e-5),
         lambda a: simdnorm.layer_norm(a, gamma=w, beta=b, eps=1e-5)),
        ("rms_norm", lambda x: ops.rms_norm(x, [8, 128], weight, 1e-6),
         lambda a: simdnorm.rms_norm(a, gamma=w, eps=1e-6)),
    ]


def row_input(strided):
    x = data(12, 8, 8, 128) * 2 + 3  # 96 rows of 1024
    return x.transpose(0, 1) if strided else x


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("case", range(4), ids=[c[0] for c in channel_cases()])
def test_channel_operators_give_the_bits_of_the_numpy_functions(layout, case):
    _, op, reference = channel_cases()[case]
    x = channel_input(layout)
    mean, var = running_statistics()
    want_mean, want_var = mean.clone(), var.clone()
    a, lay = array_and_layout(x)
    want = reference(a, lay, want_mean, want_var)
    y = op(x, mean, var)
    assert y.shape == x.shape
    same_bits(array_and_layout(y)[0], want)
    # Training updates the running statistics in place, to the same bits.
    same_bits(mean, want_mean.numpy())
    same_bits(var, want_var.numpy())


@pytest.mark.parametrize("strided", [False, True], ids=["contiguous", "strided"])
@pytest.mark.parametrize("case", range(2), ids=[c[0] for c in row_cases()])
def test_row_operators_give_the_bits_of_the_numpy_functions(strided, case):
    _, op, reference = row_cases()[case]
    x = row_input(strided)
    y = op(x)
    assert y.shape == x.shape and y.is_contiguous()
    same_bits(y.reshape(-1, 1024), reference(x.contiguous().numpy().reshape(-1, 1024)))


@pytest.fixture
def two_torch_threads():
    """PyTorch at 2 intra-op threads and simdnorm uncapped; the settings restored after."""
    threads, cap, pooled = torch.get_num_threads(), simdnorm.max_threads(), snt.uses_torch_threads()
    torch.set_num_threads(2)
    simdnorm.set_max_threads(0)
    yield
    torch.set_num_threads(threads)
    simdnorm.set_max_threads(cap)
    snt.use_torch_threads(pooled)


def test_torch_pool_and_onetbb_give_the_same_bits(two_torch_threads):
    # The library's contract: the bits do not depend on the pool. Checked for every operator
    # and layout, with the loops on oneTBB and on at::parallel_for (2 threads).
    results = {}
    for pooled in (False, True):
        snt.use_torch_threads(pooled)
        assert snt.uses_torch_threads() == pooled
        outputs = []
        for layout in sorted(LAYOUTS):
            for _, op, _ in channel_cases():
                mean, var = running_statistics()
                outputs += [op(channel_input(layout), mean, var), mean, var]
        for strided in (False, True):
            outputs += [op(row_input(strided)) for _, op, _ in row_cases()]
        results[pooled] = outputs
    for on_tbb, on_torch in zip(results[False], results[True]):
        same_bits(on_torch, on_tbb.numpy())


def test_importing_simdnorm_torch_runs_the_loops_on_torch_threads():
    assert ON_TORCH_THREADS_AFTER_IMPORT


def test_calls_from_several_threads_on_the_torch_pool_give_the_serial_bits(two_torch_threads):
    # Each Python thread's call runs its own at::parallel_for (an OpenMP team per thread).
    snt.use_torch_threads(True)
    x = row_input(False)
    (_, op, _), = [case for case in row_cases() if case[0] == "layer_norm"]
    want = op(x)
    results = [None] * 4

    def run(k):
        results[k] = [op(x) for _ in range(5)]

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for outputs in results:
        for y in outputs:
            same_bits(y, want.numpy())


def test_set_num_threads_sizes_torch_and_simdnorm_alike(two_torch_threads):
    snt.set_num_threads(1)
    assert torch.get_num_threads() == 1 and simdnorm.max_threads() == 1
    snt.set_num_threads(2)
    assert torch.get_num_threads() == 2 and simdnorm.max_threads() == 2
    assert snt.uses_torch_threads() == ON_TORCH_THREADS_AFTER_IMPORT


def test_the_numpy_functions_follow_the_pool_switch_with_the_same_bits(two_torch_threads):
    a = data(96, 1024).numpy()
    snt.use_torch_threads(False)
    want = simdnorm.layer_norm(a)
    snt.use_torch_threads(True)
    same_bits(simdnorm.layer_norm(a), want)


def test_the_profiler_names_the_operators():
    x = data(2, 8, 4, 4)
    with torch.profiler.profile() as profile:
        snt.group_norm(x, 2)
        snt.batch_norm(x, torch.zeros(8), torch.ones(8))
    names = {event.name for event in profile.events()}
    assert {"simdnorm::group_norm", "simdnorm::batch_norm"} <= names


def refusals():
    """(call to an operator, what the ValueError names); each bypasses the Python functions'
    own input check."""
    x = data(2, 8, 4, 4)
    ones = torch.ones(8)
    return {
        "float64 input": (lambda: ops.group_norm(x.double(), 2, None, None, 1e-5), "input"),
        "int input": (lambda: ops.layer_norm(x.int(), [4], None, None, 1e-5), "input"),
        "one dimension": (lambda: ops.instance_norm(ones, None, None, 1e-5), "two dimensions"),
        "no elements": (lambda: ops.batch_norm(torch.empty(0, 8, 4), ones, ones, None, None,
                                               False, 0.1, 1e-5), "no elements"),
        "weight length": (lambda: ops.layer_norm(x, [4], torch.ones(5), None, 1e-5), "weight"),
        "weight dtype": (lambda: ops.group_norm(x, 2, ones.double(), None, 1e-5), "weight"),
        "bias length": (lambda: ops.instance_norm(x, None, torch.ones(7), 1e-5), "bias"),
        "normalized_shape": (lambda: ops.rms_norm(x, [5], None, 1e-6), "normalized_shape"),
        "num_groups zero": (lambda: ops.group_norm(x, 0, None, None, 1e-5), "num_groups"),
        "groups not dividing": (lambda: ops.group_norm(x, 3, None, None, 1e-5), "groups"),
        "eval without running statistics": (
            lambda: ops.batch_norm(x, None, ones, None, None, False, 0.1, 1e-5), "required"),
        "running_var length": (
            lambda: ops.batch_norm(x, ones, torch.ones(9), None, None, False, 0.1, 1e-5),
            "running_var"),
        "running_mean not contiguous": (
            lambda: ops.batch_norm(x, torch.ones(8, 2)[:, 0], ones.clone(), None, None, True,
                                   0.1, 1e-5), "contiguous"),
        "one running statistic": (
            lambda: ops.batch_norm(x, ones.clone(), None, None, None, True, 0.1, 1e-5),
            "running"),
        "eps": (lambda: ops.layer_norm(x, [4], None, None, -1.0), "eps"),
    }


@pytest.mark.parametrize("name", sorted(refusals()))
def test_an_operator_refuses_a_bad_argument_with_value_error_naming_it(name):
    call, names = refusals()[name]
    with pytest.raises(ValueError, match=names):
        call()


def test_a_refused_training_call_leaves_the_running_statistics_alone():
    mean, var = torch.full((8,), 7.0), torch.full((8,), 7.0)
    with pytest.raises(ValueError, match="weight"):
        ops.batch_norm(data(2, 8, 4, 4), mean, var, torch.ones(3), None, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="eps"):
        ops.batch_norm(data(2, 8, 4, 4), mean, var, None, None, True, 0.1, -1.0)
    assert torch.all(mean == 7.0) and torch.all(var == 7.0)


# ---- bfloat16 and float16 ------------------------------------------------------------------------
#
# The operators take 16-bit activations and return the input's type, within the bound of
# half_precision.py. Its reference is the float64 result, not PyTorch's own: PyTorch 1.13 has no
# float16 norms on CPU at all, and refuses float32 weights beside bfloat16 layer-norm input.


ACTIVATIONS = {"relu": F.relu, "silu": F.silu, "gelu": F.gelu}


def reference_channel_cases(parameter_type=None, activation="none"):
    """(name, call of the operator, its float64 reference) for each channel operator; weights
    and running statistics in float32, or in parameter_type; activation applied by both."""
    weight, bias = affine(64)
    mean, var = running_statistics()
    if parameter_type is not None:
        weight, bias, mean, var = (t.to(parameter_type) for t in (weight, bias, mean, var))
    w, b, m, v = (t.double() for t in (weight, bias, mean, var))
    act = ACTIVATIONS.get(activation, lambda t: t)
    return [
        ("group_norm", lambda x: snt.group_norm(x, 8, weight, bias, 1e-5, activation),
         lambda x: act(F.group_norm(x.double(), 8, w, b, 1e-5))),
        ("instance_norm", lambda x: snt.instance_norm(x, weight, bias, 1e-5, activation),
         lambda x: act(F.instance_norm(x.double(), weight=w, bias=b, eps=1e-5))),
        ("batch_norm_eval",
         lambda x: snt.batch_norm(x, mean, var, weight, bias, False, 0.1, 1e-5, activation),
         lambda x: act(F.batch_norm(x.double(), m, v, w, b, False, 0.1, 1e-5))),
        ("batch_norm_train",
         lambda x: snt.batch_norm(x, mean.clone(), var.clone(), weight, bias, True, 0.1, 1e-5,
                                  activation),
         lambda x: act(F.batch_norm(x.double(), m.clone(), v.clone(), w, b, True, 0.1, 1e-5))),
    ]


@pytest.mark.parametrize("parameters", ["float32", "own"])
@pytest.mark.parametrize("fmt", ["contiguous", "channels_last"])
@pytest.mark.parametrize("type_name", sorted(HALF_TYPES))
@pytest.mark.parametrize("case", range(4),
                         ids=[c[0] for c in reference_channel_cases()])
def test_16_bit_channel_operators_round_the_float64_result(case, type_name, fmt, parameters):
    dtype = HALF_TYPES[type_name]
    shape, memory_format = FORMATS[fmt]
    x = (data(*shape, memory_format=memory_format) * 2 + 3).to(dtype)
    _, op, reference = reference_channel_cases(dtype if parameters == "own" else None)[case]
    y = op(x)
    assert y.is_contiguous(memory_format=memory_format)
    within_one_unit_and_mostly_rounded(y, reference(x), dtype)


@pytest.mark.parametrize("parameters", ["float32", "own"])
@pytest.mark.parametrize("type_name", sorted(HALF_TYPES))
def test_16_bit_row_operators_round_the_float64_result(type_name, parameters):
    dtype = HALF_TYPES[type_name]
    x = (data(24, 6, 128) * 2 + 3).to(dtype)
    weight, bias = torch.rand(6, 128) + 0.5, torch.randn(6, 128)
    if parameters == "own":
        weight, bias = weight.to(dtype), bias.to(dtype)
    w, b, x64 = weight.double(), bias.double(), x.double()
    within_one_unit_and_mostly_rounded(snt.layer_norm(x, [6, 128], weight, bias, 1e-5),
                                       F.layer_norm(x64, [6, 128], w, b, 1e-5), dtype)
    want = x64 / torch.sqrt(x64.pow(2).mean((-2, -1), keepdim=True) + 1e-6) * w
    within_one_unit_and_mostly_rounded(snt.rms_norm(x, [6, 128], weight, 1e-6), want, dtype)


@pytest.mark.parametrize("type_name", sorted(HALF_TYPES))
def test_16_bit_running_statistics_are_the_float32_update_rounded(type_name):
    """A training call updates running statistics of the input's type through float32: the
    float32 update of the same values, rounded to nearest even, and the same y."""
    dtype = HALF_TYPES[type_name]
    x = (data(2, 64, 9, 7) * 2 + 3).to(dtype)
    mean, var = (t.to(dtype) for t in running_statistics())
    mean32, var32 = mean.float(), var.float()
    y = snt.batch_norm(x, mean, var, None, None, True, 0.1, 1e-5)
    y32 = snt.batch_norm(x, mean32, var32, None, None, True, 0.1, 1e-5)
    assert mean.dtype == var.dtype == dtype
    assert torch.equal(y, y32)
    assert torch.equal(mean, mean32.to(dtype)) and torch.equal(var, var32.to(dtype))
    assert not torch.equal(mean.float(), running_statistics()[0].to(dtype).float())  # updated


def test_a_refused_16_bit_training_call_leaves_the_running_statistics_alone():
    x = data(2, 8, 4, 4).to(torch.bfloat16)
    mean, var = torch.full((8,), 7.0, dtype=torch.bfloat16), torch.full((8,), 7.0,
                                                                        dtype=torch.bfloat16)
    with pytest.raises(ValueError, match="eps"):
        ops.batch_norm(x, mean, var, None, None, True, 0.1, -1.0)
    assert torch.all(mean == 7.0) and torch.all(var == 7.0)


def test_16_bit_parameters_of_another_type_are_refused():
    x = data(2, 8, 4, 4).to(torch.bfloat16)
    with pytest.raises(ValueError, match="weight.*float32 or of the input's type"):
        ops.group_norm(x, 2, torch.ones(8, dtype=torch.float16), None, 1e-5)
    with pytest.raises(ValueError, match="running_mean"):
        ops.batch_norm(x, torch.zeros(8, dtype=torch.float64), torch.ones(8), None, None, False,
                       0.1, 1e-5)
    with pytest.raises(ValueError, match="bias"):
        ops.layer_norm(data(2, 8), [8], None, torch.zeros(8, dtype=torch.bfloat16), 1e-5)


@pytest.mark.parametrize("type_name", sorted(HALF_TYPES))
def test_16_bit_patched_modules_round_the_float64_result(type_name):
    """patch(model.to(dtype)): every kind of norm module on 16-bit activations, parameters and
    buffers, against the float64 module on the same values."""
    dtype = HALF_TYPES[type_name]
    for module in random_norm_modules():
        if isinstance(module, nn.InstanceNorm3d):
            continue  # training with tracked statistics runs on PyTorch, which lacks float16
        for training in (False, True):
            reference = copy.deepcopy(module).to(dtype).double().train(training)
            patched = snt.patch(copy.deepcopy(module).to(dtype).train(training))
            x = input_for(module).to(dtype)
            with torch.no_grad():
                within_one_unit_and_mostly_rounded(patched(x), reference(x.double()), dtype)


@pytest.mark.parametrize("type_name", ["float32", *sorted(HALF_TYPES)])
def test_a_running_statistic_overlapping_the_input_is_refused_in_every_type(type_name):
    """float32 running statistics are the library's to check; 16-bit ones reach it as float32
    copies, so the operator checks them: the same refusal, and nothing written."""
    dtype = getattr(torch, type_name)
    storage = torch.full((2 * 8 * 4 * 4 + 8,), 7.0, dtype=dtype)
    x = storage[8:].view(2, 8, 4, 4)
    mean, var = storage[4:12], torch.ones(8, dtype=dtype)  # mean: half in x
    with pytest.raises(ValueError, match="running_mean"):
        ops.batch_norm(x, mean, var, None, None, True, 0.1, 1e-5)
    assert torch.all(storage == 7.0) and torch.all(var == 1.0)


# ---- activations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("type_name", ["float32", "bfloat16"])
@pytest.mark.parametrize("fmt", ["contiguous", "channels_last"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("case", range(4),
                         ids=[c[0] for c in reference_channel_cases()])
def test_channel_operators_apply_their_activation_in_the_same_call(case, activation, fmt,
                                                                   type_name):
    shape, memory_format = FORMATS[fmt]
    dtype = getattr(torch, type_name)
    x = (data(*shape, memory_format=memory_format) * 2 + 3).to(dtype)
    _, op, reference = reference_channel_cases(activation=activation)[case]
    y = op(x)
    assert y.is_contiguous(memory_format=memory_format)
    if dtype == torch.float32:
        close(y, reference(x).float())
    else:
        within_one_unit_and_mostly_rounded(y, reference(x), dtype)


def test_an_activation_gives_the_bits_of_the_numpy_function():
    x = channel_input("channels_last")
    weight, bias = affine(64)
    a, lay = array_and_layout(x)
    want = simdnorm.group_norm(a, 8, gamma=weight.numpy(), beta=bias.numpy(), eps=1e-5,
                               layout=lay, activation="silu")
    same_bits(array_and_layout(ops.group_norm(x, 8, weight, bias, 1e-5, "silu"))[0], want)


def test_an_unknown_activation_is_refused_before_anything_is_written():
    mean, var = torch.full((8,), 7.0), torch.full((8,), 7.0)
    with pytest.raises(ValueError, match="activation"):
        ops.group_norm(data(2, 8, 4, 4), 2, None, None, 1e-5, "tanh")
    with pytest.raises(ValueError, match="activation"):
        ops.batch_norm(data(2, 8, 4, 4), mean, var, None, None, True, 0.1, 1e-5, "swish")
    assert torch.all(mean == 7.0) and torch.all(var == 7.0)


# ---- the fused residual add ----------------------------------------------------------------------


@pytest.mark.parametrize("rms", [False, True], ids=["add_layer_norm", "add_rms_norm"])
@pytest.mark.parametrize("type_name", ["float32", *sorted(HALF_TYPES)])
@pytest.mark.parametrize("with_residual_bias", [False, True], ids=["", "residual_bias"])
def test_add_row_norms_normalise_the_sum_and_return_it(rms, type_name, with_residual_bias):
    """(norm(h), h) for h = x + residual (+ residual_bias): y against the norm of h in float64
    (h from the same rounded values), h as the input's type rounds it."""
    dtype = getattr(torch, type_name)
    x, residual = (data(3, 5, 256) * 2 + 3).to(dtype), data(3, 5, 256, seed=7).to(dtype)
    weight, bias = torch.rand(5, 256) + 0.5, torch.randn(5, 256)
    added = torch.randn(5, 256) if with_residual_bias else None
    h64 = x.double() + residual.double() + (added.double() if with_residual_bias else 0)
    if rms:
        y, h = snt.add_rms_norm(x, residual, [5, 256], weight, 1e-6, added)
        want = h64 / torch.sqrt(h64.pow(2).mean((-2, -1), keepdim=True) + 1e-6) * weight.double()
    else:
        y, h = snt.add_layer_norm(x, residual, [5, 256], weight, bias, 1e-5, added)
        want = F.layer_norm(h64, [5, 256], weight.double(), bias.double(), 1e-5)
    assert y.shape == h.shape == x.shape and h.dtype == dtype
    if dtype == torch.float32:
        close(y, want.float())
        close(h, h64.float(), 2e-7)  # float32's sum, one rounding
    else:
        within_one_unit_and_mostly_rounded(y, want, dtype)
        assert torch.equal(h, h64.to(dtype))  # h exact in float32, rounded once


def test_add_layer_norm_gives_the_bits_of_the_numpy_function():
    x, residual = data(96, 1024, seed=3) * 2 + 3, data(96, 1024, seed=4)
    weight, bias, added = torch.rand(1024) + 0.5, torch.randn(1024), torch.randn(1024)
    y, h = ops.add_layer_norm(x, residual, [1024], weight, bias, 1e-5, added)
    want_y, want_h = simdnorm.add_layer_norm(x.numpy(), residual.numpy(), bias=added.numpy(),
                                             gamma=weight.numpy(), beta=bias.numpy(), eps=1e-5,
                                             return_sum=True)
    same_bits(y, want_y)
    same_bits(h, want_h)


def test_add_row_norms_refuse_a_residual_of_another_shape_or_type():
    x = data(2, 8)
    with pytest.raises(ValueError, match="residual"):
        ops.add_layer_norm(x, data(2, 9), [8], None, None, 1e-5, None)
    with pytest.raises(ValueError, match="residual"):
        ops.add_rms_norm(x, x.to(torch.bfloat16), [8], None, 1e-6, None)
    with pytest.raises(ValueError, match="residual_bias"):
        ops.add_layer_norm(x, x, [8], None, None, 1e-5, torch.ones(7))
