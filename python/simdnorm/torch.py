"""simdnorm as PyTorch operators, and patch(model) to run a model's norm layers on them.

Operators (registered in the ``simdnorm`` namespace, so ``torch.ops.simdnorm.layer_norm``
and the profiler name them), on CPU tensors of torch.float32, torch.bfloat16 or torch.float16,
contiguous or channels-last:

    layer_norm(input, normalized_shape, weight, bias, eps)
    rms_norm(input, normalized_shape, weight, eps)
    add_layer_norm(input, residual, normalized_shape, weight, bias, eps, residual_bias=None)
    add_rms_norm(input, residual, normalized_shape, weight, eps, residual_bias=None)
    group_norm(input, num_groups, weight, bias, eps, activation="none")
    instance_norm(input, weight, bias, eps, activation="none")
    batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps,
               activation="none")

The operators are C++ (simdnorm._torch_ops, built against libtorch when CMake finds it; without
it, importing simdnorm.torch raises ImportError). They read and write the tensors' memory
directly and check their arguments, raising ValueError naming the one at fault. The functions
of the same names here check the input first (a CPU tensor of one of those types, else
ValueError) and call the operators. The output has the input's type; statistics and arithmetic
are float32 whatever it is. Weights, biases and running statistics may be float32 or of the
input's type (a model converted with .to(torch.bfloat16) keeps them in bfloat16), and a 16-bit
running statistic is updated through float32 and rounded back to nearest even. batch_norm with
training=True updates running_mean and running_var in place, as torch.nn.functional.batch_norm
does (unbiased running variance). The operators have no backward: simdnorm is for inference and
for the training-mode forward of a model run without autograd. The channel operators apply
activation ("relu", "silu" or "gelu"; "none" by default) to their output in the same pass over
memory, as the NumPy functions' activation argument does: group norm then SiLU, as every
diffusion-UNet resnet block runs them, is one call.

Importing simdnorm.torch runs simdnorm's parallel loops on PyTorch's intra-op thread pool,
sized by torch.set_num_threads (use_torch_threads(False) goes back to oneTBB).

    model = torchvision.models.resnet50().eval()
    simdnorm.torch.patch(model)          # BatchNorm2d modules now run on simdnorm
    with torch.no_grad():
        y = model(x)
    simdnorm.torch.unpatch(model)

patch swaps the class of every nn.LayerNorm, nn.GroupNorm, nn.BatchNorm{1,2,3}d,
nn.InstanceNorm{1,2,3}d (and torchvision's LayerNorm2d) module for a subclass whose forward
calls simdnorm: parameters, buffers, hooks and state_dict stay the same objects. Subclasses
of those with a forward of their own are left alone, since their forward is not known.
"""

import importlib.util

import torch
from torch import nn

from . import _simdnorm as _core

if importlib.util.find_spec(f"{__package__}._torch_ops") is None:
    raise ImportError(
        "simdnorm.torch: this simdnorm was built without its PyTorch operators (CMake did not "
        "find Torch's C++ package: on Debian, install libtorch-dev and build again); the NumPy "
        "functions of simdnorm work without them", name=f"{__package__}._torch_ops")
from . import _torch_ops  # noqa: E402  registers torch.ops.simdnorm.*

__all__ = ["add_layer_norm", "add_rms_norm", "batch_norm", "group_norm", "instance_norm",
           "layer_norm", "rms_norm", "patch",
           "unpatch", "patched_modules", "set_num_threads", "use_torch_threads",
           "uses_torch_threads"]


def _check_input(input, op):
    if not isinstance(input, torch.Tensor):
        raise ValueError(f"simdnorm.{op}: input: expected a torch.Tensor, got "
                         f"{type(input).__name__}")
    if input.device.type != "cpu":
        raise ValueError(f"simdnorm.{op}: input: simdnorm runs on CPU tensors, got one on "
                         f"{input.device}")
    if input.dtype not in _DTYPES:
        raise ValueError(f"simdnorm.{op}: input: expected torch.float32, torch.bfloat16 or "
                         f"torch.float16, got {input.dtype}")


_DTYPES = (torch.float32, torch.bfloat16, torch.float16)


_ops = torch.ops.simdnorm


# The operators, with the input checked before the dispatcher sees it: a tensor on another
# device (meta, say) would otherwise meet the dispatcher's error, not a ValueError.


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.layer_norm on simdnorm."""
    _check_input(input, "layer_norm")
    return _ops.layer_norm(input, list(normalized_shape), weight, bias, eps)


def rms_norm(input, normalized_shape, weight=None, eps=1e-6):
    """y = input / sqrt(mean(input^2) + eps) * weight over the last len(normalized_shape) dims."""
    _check_input(input, "rms_norm")
    return _ops.rms_norm(input, list(normalized_shape), weight, eps)


def add_layer_norm(input, residual, normalized_shape, weight=None, bias=None, eps=1e-5,
                   residual_bias=None):
    """(layer_norm(h), h) for h = input + residual (+ residual_bias), in one pass: a
    transformer block's residual add and norm, and the residual stream it hands on (h in the
    input's type)."""
    _check_input(input, "add_layer_norm")
    return _ops.add_layer_norm(input, residual, list(normalized_shape), weight, bias, eps,
                               residual_bias)


def add_rms_norm(input, residual, normalized_shape, weight=None, eps=1e-6, residual_bias=None):
    """(rms_norm(h), h) for h = input + residual (+ residual_bias), in one pass."""
    _check_input(input, "add_rms_norm")
    return _ops.add_rms_norm(input, residual, list(normalized_shape), weight, eps, residual_bias)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, activation="none"):
    """torch.nn.functional.group_norm on simdnorm, then activation ("none", "relu", "silu",
    "gelu") in the same pass."""
    _check_input(input, "group_norm")
    return _ops.group_norm(input, num_groups, weight, bias, eps, activation)


def instance_norm(input, weight=None, bias=None, eps=1e-5, activation="none"):
    """torch.nn.functional.instance_norm without running statistics, on simdnorm, then
    activation in the same pass."""
    _check_input(input, "instance_norm")
    return _ops.instance_norm(input, weight, bias, eps, activation)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, activation="none"):
    """torch.nn.functional.batch_norm on simdnorm (running statistics updated in training),
    then activation in the same pass."""
    _check_input(input, "batch_norm")
    return _ops.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps,
                           activation)


def set_num_threads(threads):
    """Sets PyTorch's intra-op threads (which simdnorm's loops run on, see use_torch_threads)
    and simdnorm's cap (for its loops on oneTBB) alike; threads >= 1."""
    torch.set_num_threads(threads)
    _core.set_max_threads(threads)
    if uses_torch_threads():
        _torch_ops.use_torch_threads(True)  # tells simdnorm the pool's new size


def use_torch_threads(enabled=True):
    """Runs simdnorm's parallel loops on PyTorch's intra-op thread pool (at::parallel_for, as
    many threads as torch.get_num_threads()) when enabled, the default from the import of
    simdnorm.torch on; else on oneTBB's workers, as simdnorm does without PyTorch.

    Process-wide: simdnorm's NumPy functions follow it too. The bits of every output are the
    same either way. On PyTorch's pool the norms and PyTorch's own operators share one set of
    threads; on oneTBB two pools take turns on the same cores, and the threads one of them
    leaves spinning after its work slow the other's (measured: resnet50 eval at 2 threads on
    2 cores, patched 0.90-0.93x of unpatched on oneTBB, 0.94-1.00x on PyTorch's pool; README,
    "PyTorch")."""
    _torch_ops.use_torch_threads(bool(enabled))


def uses_torch_threads():
    """Whether simdnorm's parallel loops run on PyTorch's intra-op thread pool."""
    return _torch_ops.uses_torch_threads()


use_torch_threads(True)


# ---- modules ----------------------------------------------------------------------------------


def _refuse_autograd(module, input):
    # Grad mode first: under no_grad or inference_mode (how a patched model runs) the walk
    # over the parameters is skipped.
    if torch.is_grad_enabled() and (input.requires_grad
                                    or any(p.requires_grad for p in module.parameters())):
        raise RuntimeError(
            f"simdnorm: {type(module).__name__} has no backward; run the patched model under "
            "torch.no_grad() or torch.inference_mode(), or unpatch it to train")


def _layer_norm_forward(self, input):
    _refuse_autograd(self, input)
    return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)


def _layer_norm_2d_forward(self, input):
    """torchvision's LayerNorm2d: layer norm over the channels at every position of NCHW."""
    _refuse_autograd(self, input)
    x = input.permute(0, 2, 3, 1)  # contiguous when input is channels-last
    x = layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
    return x.permute(0, 3, 1, 2)


def _group_norm_forward(self, input):
    _refuse_autograd(self, input)
    return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)


def _batch_norm_forward(self, input):
    """nn.modules.batchnorm._BatchNorm.forward's semantics (momentum None = cumulative average,
    batch statistics in eval when no running statistics are tracked), on simdnorm."""
    _refuse_autograd(self, input)
    self._check_input_dim(input)
    momentum = 0.0 if self.momentum is None else self.momentum
    if self.training and self.track_running_stats and self.num_batches_tracked is not None:
        self.num_batches_tracked.add_(1)
        if self.momentum is None:
            momentum = 1.0 / float(self.num_batches_tracked)
    use_batch_statistics = self.training or (self.running_mean is None and self.running_var is None)
    tracked = not self.training or self.track_running_stats
    return batch_norm(input, self.running_mean if tracked else None,
                      self.running_var if tracked else None, self.weight, self.bias,
                      use_batch_statistics, momentum, self.eps)


def _instance_norm_forward(self, input):
    _refuse_autograd(self, input)
    self._check_input_dim(input)
    unbatched = input.dim() == self._get_no_batch_dim()
    x = input.unsqueeze(0) if unbatched else input
    if self.training or not self.track_running_stats:
        if self.training and self.track_running_stats:
            # Running statistics averaged over instances are not a simdnorm method: this one
            # case runs on PyTorch, as unpatched.
            return _UNPATCHES[type(self)].forward(self, input)
        y = instance_norm(x, self.weight, self.bias, self.eps)
    else:
        # Eval with tracked statistics normalises with the running ones, per channel.
        y = batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0,
                       self.eps)
    return y.squeeze(0) if unbatched else y


def _patched_class(base, forward):
    return type("Simdnorm" + base.__name__, (base,), {"forward": forward, "__module__": __name__})


_PATCHES = {
    nn.LayerNorm: _patched_class(nn.LayerNorm, _layer_norm_forward),
    nn.GroupNorm: _patched_class(nn.GroupNorm, _group_norm_forward),
}
for _base in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d):
    _PATCHES[_base] = _patched_class(_base, _batch_norm_forward)
for _base in (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d):
    _PATCHES[_base] = _patched_class(_base, _instance_norm_forward)
try:
    from torchvision.models.convnext import LayerNorm2d as _TorchvisionLayerNorm2d

    _PATCHES[_TorchvisionLayerNorm2d] = _patched_class(_TorchvisionLayerNorm2d,
                                                       _layer_norm_2d_forward)
except ImportError:  # torchvision is optional
    pass
_UNPATCHES = {patched: base for base, patched in _PATCHES.items()}


def _swap_classes(model, classes):
    for module in model.modules():
        swapped = classes.get(type(module))
        if swapped is not None:
            module.__class__ = swapped
    return model


def patch(model):
    """Runs every norm module of model (model included) on simdnorm; returns model."""
    return _swap_classes(model, _PATCHES)


def unpatch(model):
    """Undoes patch(model); returns model."""
    return _swap_classes(model, _UNPATCHES)


def patched_modules(model):
    """The names of model's modules that run on simdnorm now."""
    return [name for name, module in model.named_modules() if type(module) in _UNPATCHES]
