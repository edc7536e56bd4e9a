"""simdnorm.torch: the operators against torch.nn.functional on contiguous and channels-last
tensors, the running statistics of a training forward, patch / unpatch on every module kind,
and the refusals (autograd, other devices and dtypes).

The reference is torch.nn.functional in float64 on the same values (PyTorch's own float32
NHWC batch norm loses digits on data offset by 1e3), so the difference is simdnorm's float32
error: a few ulps of max(1, |y|); 1e-5 of that is about 80 ulps of 1, and a wrong formula is
off by far more.
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import simdnorm.torch as snt

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
