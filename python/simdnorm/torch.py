"""simdnorm as PyTorch operators, and patch(model) to run a model's norm layers on them.

Operators (registered in the ``simdnorm`` namespace, so ``torch.ops.simdnorm.layer_norm``
and the profiler name them), on CPU float32 tensors, contiguous or channels-last:

    layer_norm(input, normalized_shape, weight, bias, eps)
    rms_norm(input, normalized_shape, weight, eps)
    group_norm(input, num_groups, weight, bias, eps)
    instance_norm(input, weight, bias, eps)
    batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)

The functions of the same names here check the input first (a CPU float32 tensor, else
ValueError) and call the operators. batch_norm with training=True updates running_mean and
running_var in place, as
torch.nn.functional.batch_norm does (unbiased running variance). The operators have no
backward: simdnorm is for inference and for the training-mode forward of a model run
without autograd.

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

import numpy as np
import torch
from torch import nn

from . import _simdnorm as _core

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "rms_norm", "patch",
           "unpatch", "patched_modules", "set_num_threads"]


# ---- tensors as NumPy arrays ------------------------------------------------------------------


def _check_input(input, op):
    if not isinstance(input, torch.Tensor):
        raise ValueError(f"simdnorm.{op}: input: expected a torch.Tensor, got "
                         f"{type(input).__name__}")
    if input.device.type != "cpu":
        raise ValueError(f"simdnorm.{op}: input: simdnorm runs on CPU tensors, got one on "
                         f"{input.device}")
    if input.dtype != torch.float32:
        raise ValueError(f"simdnorm.{op}: input: expected torch.float32, got {input.dtype}")


def _channels_last_order(tensor):
    """The permutation that makes a channels-last tensor's view contiguous, or None."""
    if tensor.dim() == 4 and tensor.is_contiguous(memory_format=torch.channels_last):
        return (0, 2, 3, 1)
    if tensor.dim() == 5 and tensor.is_contiguous(memory_format=torch.channels_last_3d):
        return (0, 2, 3, 4, 1)
    return None


def _channel_views(input):
    """(input, x, y, y_array, layout): the input (contiguous in one layout), its NumPy view, the
    output tensor in the same memory format and its NumPy view, and the layout's name."""
    order = None if input.is_contiguous() else _channels_last_order(input)
    if order is None:
        input = input.contiguous()
        y = torch.empty_like(input, memory_format=torch.contiguous_format)
        return input, input.detach().numpy(), y, y.numpy(), "nchw"
    y = torch.empty_like(input)  # the same channels-last strides
    return input, input.detach().permute(order).numpy(), y, y.permute(order).numpy(), "nhwc"


def _vector(tensor, name, op, length):
    """A float32 parameter of length elements as a flat NumPy view (None stays None)."""
    if tensor is None:
        return None
    if tensor.device.type != "cpu" or tensor.dtype != torch.float32:
        raise ValueError(f"simdnorm.{op}: {name}: expected a CPU float32 tensor, got "
                         f"{tensor.dtype} on {tensor.device}")
    if tensor.numel() != length:
        raise ValueError(f"simdnorm.{op}: {name}: expected {length} elements, got shape "
                         f"{list(tensor.shape)}")
    return tensor.detach().contiguous().reshape(-1).numpy()


def _updated_vector(tensor, name, op, length):
    """A running statistic the call updates in place: it must be contiguous already, since
    a copy would drop the update."""
    if tensor is None:
        return None
    if not tensor.is_contiguous():
        raise ValueError(f"simdnorm.{op}: {name}: must be contiguous (it is updated in place)")
    return _vector(tensor, name, op, length)


# ---- the operators ----------------------------------------------------------------------------


def _row_count(input, normalized_shape, op):
    """d, the elements a row (the product of normalized_shape, the end of the input's shape)."""
    shape = tuple(normalized_shape)
    if len(shape) > input.dim() or tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise ValueError(f"simdnorm.{op}: normalized_shape {list(shape)} is not the end of the "
                         f"input's shape {list(input.shape)}")
    return int(np.prod(shape, dtype=np.int64))


def _layer_norm(input, normalized_shape, weight, bias, eps):
    _check_input(input, "layer_norm")
    d = _row_count(input, normalized_shape, "layer_norm")
    input = input.contiguous()
    y = torch.empty_like(input, memory_format=torch.contiguous_format)
    _core.layer_norm(input.detach().numpy().reshape(-1, d),
                     gamma=_vector(weight, "weight", "layer_norm", d),
                     beta=_vector(bias, "bias", "layer_norm", d), eps=eps,
                     out=y.numpy().reshape(-1, d))
    return y


def _rms_norm(input, normalized_shape, weight, eps):
    _check_input(input, "rms_norm")
    d = _row_count(input, normalized_shape, "rms_norm")
    input = input.contiguous()
    y = torch.empty_like(input, memory_format=torch.contiguous_format)
    _core.rms_norm(input.detach().numpy().reshape(-1, d),
                   gamma=_vector(weight, "weight", "rms_norm", d), eps=eps,
                   out=y.numpy().reshape(-1, d))
    return y


def _group_norm(input, num_groups, weight, bias, eps):
    _check_input(input, "group_norm")
    c = input.shape[1]
    input, x, y, y_array, layout = _channel_views(input)
    _core.group_norm(x, num_groups, gamma=_vector(weight, "weight", "group_norm", c),
                     beta=_vector(bias, "bias", "group_norm", c), eps=eps, layout=layout,
                     out=y_array)
    return y


def _instance_norm(input, weight, bias, eps):
    _check_input(input, "instance_norm")
    c = input.shape[1]
    input, x, y, y_array, layout = _channel_views(input)
    _core.instance_norm(x, gamma=_vector(weight, "weight", "instance_norm", c),
                        beta=_vector(bias, "bias", "instance_norm", c), eps=eps, layout=layout,
                        out=y_array)
    return y


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps):
    _check_input(input, "batch_norm")
    c = input.shape[1]
    input, x, y, y_array, layout = _channel_views(input)
    gamma = _vector(weight, "weight", "batch_norm", c)
    beta = _vector(bias, "bias", "batch_norm", c)
    if training:
        _core.batch_norm_training(
            x, running_mean=_updated_vector(running_mean, "running_mean", "batch_norm", c),
            running_var=_updated_vector(running_var, "running_var", "batch_norm", c), gamma=gamma,
            beta=beta, momentum=momentum, eps=eps, layout=layout, out=y_array)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("simdnorm.batch_norm: running_mean and running_var are required when "
                             "training is False")
        _core.batch_norm_inference(x, _vector(running_mean, "running_mean", "batch_norm", c),
                                   _vector(running_var, "running_var", "batch_norm", c),
                                   gamma=gamma, beta=beta, eps=eps, layout=layout, out=y_array)
    return y


_library = torch.library.Library("simdnorm", "DEF")
for _schema, _function in (
    ("layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, "
     "float eps) -> Tensor", _layer_norm),
    ("rms_norm(Tensor input, int[] normalized_shape, Tensor? weight, float eps) -> Tensor",
     _rms_norm),
    ("group_norm(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps) -> Tensor",
     _group_norm),
    ("instance_norm(Tensor input, Tensor? weight, Tensor? bias, float eps) -> Tensor",
     _instance_norm),
    ("batch_norm(Tensor input, Tensor(a!)? running_mean, Tensor(b!)? running_var, Tensor? weight, "
     "Tensor? bias, bool training, float momentum, float eps) -> Tensor", _batch_norm),
):
    _name = _library.define(_schema)
    # CUDA too, so that a CUDA tensor reaches _check_input's clear refusal rather than the
    # dispatcher's list of backends.
    for _key in ("CPU", "CUDA"):
        _library.impl(_name, _function, _key)

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


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.group_norm on simdnorm."""
    _check_input(input, "group_norm")
    return _ops.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight=None, bias=None, eps=1e-5):
    """torch.nn.functional.instance_norm without running statistics, on simdnorm."""
    _check_input(input, "instance_norm")
    return _ops.instance_norm(input, weight, bias, eps)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """torch.nn.functional.batch_norm on simdnorm (running statistics updated in training)."""
    _check_input(input, "batch_norm")
    return _ops.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def set_num_threads(threads):
    """Sets PyTorch's intra-op threads and simdnorm's cap alike (threads >= 1)."""
    torch.set_num_threads(threads)
    _core.set_max_threads(threads)


# ---- modules ----------------------------------------------------------------------------------


def _refuse_autograd(module, input):
    needs_grad = input.requires_grad or any(p.requires_grad for p in module.parameters())
    if torch.is_grad_enabled() and needs_grad:
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
