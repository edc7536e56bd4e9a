#!/usr/bin/env python3
"""simdnorm's PyTorch drop-in (simdnorm.torch.patch) on whole models: accuracy and speed.

    PYTHONPATH=build/python-models/python /usr/bin/python3 bench/torch_models.py \\
        [--models resnet50 vit_b_16 convnext_tiny unet] [--image-size 224] [--batch 1]
        [--unet-size 64] [--unet-channels 320 640] [--unet-blocks 2] [--layouts ...]
        [--threads 1 2] [--reps 5] [--warmup 1] [--profile-reps 3] [--no-train] [--no-timing]
        [--onetbb] [--dtype float32|bfloat16] [--out-md FILE] [--out-csv FILE]

Models: torchvision 0.14's resnet50 (BatchNorm2d), vit_b_16 (LayerNorm over tokens) and
convnext_tiny (LayerNorm over channels, through a Permute and through torchvision's
LayerNorm2d), built with weights=None and a fixed seed; and "unet", a stack of diffusion-UNet
resnet blocks (GroupNorm(32) -> SiLU -> 3x3 conv, twice, plus the skip) per --unet-channels.
Each runs in eval mode, resnet50 also in training mode (model.train() under no_grad, so its
BatchNorms normalise with batch statistics and update their running ones), and each with a
contiguous and a channels-last input and model; in float32, or with --dtype bfloat16 the
model (parameters, buffers) and its input converted to bfloat16 after they are built. (Not
float16: PyTorch 1.13 has no float16 convolution or matrix product on CPU to run the
unpatched model with.)

Per model, mode and layout:
  - per layer: forward hooks on the unpatched model record every norm layer's input and
    output; a patched copy of the layer, in the state it had before the forward, runs on the
    recorded input; the difference is relative to the layer output's max |y| (and, in
    training mode, the layer's updated running statistics against the unpatched layer's);
  - end to end: the patched model's output against the unpatched one's, relative to the
    reference's max |y|; in training mode also every BatchNorm's running_mean / running_var
    after the forward, relative to the statistic's max |value|, and num_batches_tracked;
  - time: the median of --reps forwards after --warmup, unpatched and patched interleaved,
    at each --threads count (simdnorm.torch.set_num_threads sets PyTorch's and simdnorm's);
    simdnorm's loops run on PyTorch's intra-op pool, as simdnorm.torch sets it up, or with
    --onetbb on oneTBB (simdnorm.torch.use_torch_threads(False));
  - norm share: the share of a forward spent inside the norm operators (aten::batch_norm,
    aten::layer_norm, aten::group_norm, ... or simdnorm::*), from torch.profiler, the median
    over --profile-reps profiled forwards.

Prints a Markdown table, writes it with the environment to --out-md and the rows to
--out-csv; exits 1 when a difference is over its tolerance (the *_TOLERANCE constants).
The functions are importable (tests/python/test_torch_models.py runs the comparisons at
reduced size); nothing runs at import time.
"""

import argparse
import copy
import csv
import dataclasses
import datetime
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torchvision
from torch import nn

import simdnorm
import simdnorm.torch

# ---- tolerances -------------------------------------------------------------------------------
#
# Differences are max |patched - unpatched| / max |unpatched| over a tensor, float32 on both
# sides. Measured on a 2-core AMD EPYC (Zen 5, simdnorm's AVX-512 path) with Debian's torch
# 1.13 / torchvision 0.14, both layouts, batch 1, at full size (224x224; UNet 64x64 with
# C = 320 and 640), at the test's sizes (resnet50 128x128, vit_b_16 and convnext_tiny
# 64x64, UNet 32x32 C = 320) and, for resnet50 in training mode, at 64x64 with seeds 0-3.
#
# The per-layer checks are the tight ones: each layer on its recorded input, so nothing
# upstream adds to the difference.
#
# LAYER_REL_TOLERANCE: a layer's output. Both sides compute the same float32 formula in
# different orders, so outputs differ by a few ulps of their scale: measured at most 3.1e-7
# in eval mode, 2.7e-7 in training mode contiguous and 9.3e-7 in training mode channels-last,
# where torch's own BatchNorm is the less accurate side (against the layer run in float64:
# torch 8.6e-7, simdnorm 2.5e-7). 1e-5 is 10x the worst; a wrong formula (a dropped affine
# term, a biased variance over a few hundred values, another layer's parameters) is
# 1e-3 and more.
LAYER_REL_TOLERANCE = 1e-5
# RUNNING_STATS_LAYER_REL_TOLERANCE: a BatchNorm's running_mean / running_var after one
# training-mode forward of that layer: measured at most 1.6e-7 contiguous and 9.9e-7
# channels-last (torch's running_mean against float64 9.9e-7, simdnorm's 2.1e-7); 1e-5 as
# above. A biased running variance (over n values a channel) misses by about momentum / n:
# 3e-5 and more in every BatchNorm of resnet50 at 224x224 after the first (n <= 3136).
RUNNING_STATS_LAYER_REL_TOLERANCE = 1e-5
#
# The whole-model checks catch what the per-layer ones cannot (a layer left out, a layout
# mixed up, statistics not written back) and carry every layer's few-ulp difference through
# the layers after it. How much a model amplifies rounding is measured alongside: its output
# moves by about as much when each input element moves by an ulp ("input_ulp_rel_diff").
#
# END_TO_END_REL_TOLERANCE: the output in eval mode: measured at most 2.2e-6 (vit_b_16 at
# 64x64; the models' own response to an ulp of input: up to 2.2e-6 as well). 1e-4 leaves
# 45x for other CPUs, instruction sets and thread counts.
END_TO_END_REL_TOLERANCE = 1e-4
# TRAIN_END_TO_END_REL_TOLERANCE: the output and every BatchNorm's running statistics after
# one training-mode forward. At batch 1 the last BatchNorms normalise each channel over its
# H*W values only (49 at 224x224, 16 at 128x128, 4 at 64x64), dividing by a standard
# deviation that carries rounding from everything before it, so the net amplifies rounding
# far more than in eval mode: output / statistics measured 6.3e-6 / 1.4e-5 contiguous and
# 1.3e-5 / 3.5e-5 channels-last at 224x224; 2.3e-5 / 7.0e-5 at 128x128; up to 4.7e-4 /
# 4.6e-4 at 64x64 (an ulp of input: 7.6e-6, 2.4e-5 and 2.8e-4). 2e-3 leaves 4x at 64x64,
# 30x at the test's 128x128.
TRAIN_END_TO_END_REL_TOLERANCE = 2e-3
#
# In bfloat16 (--dtype bfloat16) every output is rounded to 8 significant bits, and PyTorch's
# own bfloat16 norms are further from the float64 result than one rounding: at the test's
# sizes (tests/python/test_torch_models.py) its channels-last GroupNorm was off by 5.0e-2 of
# the output's max, its LayerNorm by up to 9.5e-3, against simdnorm's 2.6e-3 and 3.3e-3 (one
# unit of bfloat16 at the max is 3.9e-3). Against PyTorch, a layer's difference is then
# mostly PyTorch's, so in bfloat16 each patched layer is held to the layer run in float64
# instead (its "err vs float64"): BFLOAT16_LAYER_REL_TOLERANCE, two units at the output's max.
# Its running statistics after a training-mode forward, against PyTorch's: measured 7.8e-3;
# 2^-6. The whole model, against PyTorch's bfloat16 forward: eval measured at most 2.3e-2
# (unet channels-last, where PyTorch's GroupNorm is the one off; each input element moved by
# a unit moves the output by 1.2e-2), resnet50 in training mode at 128x128 1.2e-1 (a unit of
# input: 1.2e-1) and its running statistics 3.4e-1; 0.25 and 0.5 leave about 10x and 1.5x.
BFLOAT16_LAYER_REL_TOLERANCE = 2.0**-7
BFLOAT16_RUNNING_STATS_LAYER_REL_TOLERANCE = 2.0**-6
BFLOAT16_END_TO_END_REL_TOLERANCE = 0.25
BFLOAT16_TRAIN_END_TO_END_REL_TOLERANCE = 0.5


@dataclasses.dataclass(frozen=True)
class Tolerances:
    layer: float
    layer_reference: str  # "unpatched": the layer's diff to PyTorch's; "float64": its own error
    running_stats_layer: float
    end_to_end: float
    train_end_to_end: float


TOLERANCES = {
    "float32": Tolerances(LAYER_REL_TOLERANCE, "unpatched", RUNNING_STATS_LAYER_REL_TOLERANCE,
                          END_TO_END_REL_TOLERANCE, TRAIN_END_TO_END_REL_TOLERANCE),
    "bfloat16": Tolerances(BFLOAT16_LAYER_REL_TOLERANCE, "float64",
                           BFLOAT16_RUNNING_STATS_LAYER_REL_TOLERANCE,
                           BFLOAT16_END_TO_END_REL_TOLERANCE,
                           BFLOAT16_TRAIN_END_TO_END_REL_TOLERANCE),
}
DTYPES = tuple(TOLERANCES)

LAYOUTS = ("contiguous", "channels_last")
MODEL_NAMES = ("resnet50", "vit_b_16", "convnext_tiny", "unet")

# The profiler's names for the norm layers' operators. Patched layers run simdnorm::*; the
# unpatched ones aten::batch_norm (-> aten::_batch_norm_impl_index -> aten::native_batch_norm),
# aten::layer_norm (-> aten::native_layer_norm), aten::group_norm (-> aten::native_group_norm)
# and aten::instance_norm. The nested ones are listed too: a norm layer's time is the union
# of these operators' time intervals, so nesting counts once.
ATEN_NORM_OPS = frozenset({
    "aten::batch_norm", "aten::_batch_norm_impl_index", "aten::native_batch_norm",
    "aten::_native_batch_norm_legit", "aten::_native_batch_norm_legit_no_training",
    "aten::layer_norm", "aten::native_layer_norm",
    "aten::group_norm", "aten::native_group_norm",
    "aten::instance_norm",
})
SIMDNORM_OP_PREFIX = "simdnorm::"


def is_norm_op(name):
    return name in ATEN_NORM_OPS or name.startswith(SIMDNORM_OP_PREFIX)


# ---- models -----------------------------------------------------------------------------------


class UNetResBlock(nn.Module):
    """A diffusion UNet's resnet block at one resolution (Stable Diffusion's, without the
    timestep embedding and dropout): GroupNorm(32) -> SiLU -> 3x3 conv, twice, plus the skip."""

    def __init__(self, channels, groups=32, eps=1e-5):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, channels, eps=eps)
        self.act1 = nn.SiLU()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.norm2 = nn.GroupNorm(groups, channels, eps=eps)
        self.act2 = nn.SiLU()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x):
        h = self.conv1(self.act1(self.norm1(x)))
        h = self.conv2(self.act2(self.norm2(h)))
        return x + h


def unet_block_stack(channels, blocks):
    return nn.Sequential(*(UNetResBlock(channels) for _ in range(blocks)))


def is_norm_layer(module):
    """The modules simdnorm.torch.patch can take over (torchvision's LayerNorm2d is a LayerNorm)."""
    return isinstance(module, (nn.modules.batchnorm._BatchNorm,
                               nn.modules.instancenorm._InstanceNorm, nn.LayerNorm, nn.GroupNorm))


@torch.no_grad()
def randomise_parameters(model, seed):
    """Gives every norm layer an affine transform and (BatchNorm) running statistics that do
    real work, from a seeded generator: freshly built, BatchNorm is nearly the identity
    (running mean 0, variance 1, weight 1, bias 0), and a mistake in the variance, eps or
    the affine step could pass unseen.

    Two more initialisations would hide the norms from the model's output: ConvNeXt's layer
    scales start at 1e-6, so each residual block adds a millionth of its output to the stream
    (U(0.1, 0.5), the order of trained ConvNeXt-T's, makes the blocks' LayerNorms count), and
    the ViT's classifier starts at zero, so its output is 0 whatever the encoder computes
    (N(0, 0.02) weights, as its other Linear layers get)."""
    generator = torch.Generator().manual_seed(seed)

    def uniform(tensor, low, high):
        tensor.copy_(torch.rand(tensor.shape, generator=generator) * (high - low) + low)

    def normal(tensor, std):
        tensor.copy_(torch.randn(tensor.shape, generator=generator) * std)

    for module in model.modules():
        if is_norm_layer(module):
            if getattr(module, "weight", None) is not None:
                uniform(module.weight, 0.5, 1.5)
            if getattr(module, "bias", None) is not None:
                normal(module.bias, 0.1)
            if getattr(module, "running_mean", None) is not None:
                normal(module.running_mean, 0.1)
            if getattr(module, "running_var", None) is not None:
                uniform(module.running_var, 0.5, 1.5)
        elif isinstance(module, torchvision.models.convnext.CNBlock):
            uniform(module.layer_scale, 0.1, 0.5)
        elif isinstance(module, torchvision.models.vision_transformer.VisionTransformer):
            normal(module.heads.head.weight, 0.02)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A model to build and the input it takes: name is the table's ("unet-c320", ...)."""

    name: str
    input_channels: int
    image_size: int
    build_unrandomised: Callable[[], nn.Module]  # with PyTorch's default initialisation
    has_training_check: bool = False

    def build(self, seed):
        """The model in eval mode, its weights and randomised norm parameters fixed by seed."""
        torch.manual_seed(seed)
        model = self.build_unrandomised()
        randomise_parameters(model, seed + 1)
        return model.eval()

    def input(self, batch, seed):
        generator = torch.Generator().manual_seed(seed + 2)
        return torch.randn((batch, self.input_channels, self.image_size, self.image_size),
                           generator=generator)


def model_specs(names, image_size, unet_size, unet_channels, unet_blocks):
    """The ModelSpecs for names (MODEL_NAMES; "unet" gives one per unet_channels)."""
    models = torchvision.models
    specs = []
    for name in names:
        if name == "resnet50":
            specs.append(ModelSpec("resnet50", 3, image_size, lambda: models.resnet50(weights=None),
                                   has_training_check=True))
        elif name == "vit_b_16":
            # Without weights, the builder takes image_size (the position embedding's length).
            specs.append(ModelSpec("vit_b_16", 3, image_size,
                                   lambda: models.vit_b_16(weights=None, image_size=image_size)))
        elif name == "convnext_tiny":
            specs.append(ModelSpec("convnext_tiny", 3, image_size,
                                   lambda: models.convnext_tiny(weights=None)))
        elif name == "unet":
            for channels in unet_channels:
                specs.append(ModelSpec(f"unet-c{channels}", channels, unet_size,
                                       lambda channels=channels: unet_block_stack(
                                           channels, unet_blocks)))
        else:
            raise ValueError(f"unknown model {name!r} (one of {', '.join(MODEL_NAMES)})")
    return specs


def in_layout(model, x, layout):
    """A copy of model and x in layout ("contiguous" or "channels_last")."""
    model = copy.deepcopy(model)
    if layout == "channels_last":
        return (model.to(memory_format=torch.channels_last),
                x.contiguous(memory_format=torch.channels_last))
    if layout == "contiguous":
        return model.to(memory_format=torch.contiguous_format), x.contiguous()
    raise ValueError(f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")


# ---- comparisons ------------------------------------------------------------------------------


def max_abs_diff(actual, expected):
    return (actual.double() - expected.double()).abs().max().item()


def rel_diff(actual, expected):
    """max |actual - expected| / max |expected| (the absolute difference where expected is 0)."""
    scale = expected.double().abs().max().item()
    diff = max_abs_diff(actual, expected)
    return diff / scale if scale > 0 else diff


def running_statistics(model):
    """{layer name: (running_mean, running_var, num_batches_tracked)} of model's BatchNorms."""
    return {name: (module.running_mean, module.running_var, module.num_batches_tracked)
            for name, module in model.named_modules()
            if (isinstance(module, nn.modules.batchnorm._BatchNorm)
                and module.running_mean is not None)}


def running_statistics_rel_diff(actual, expected):
    """The worst relative difference of running_mean and running_var over two models' (or
    layers') running_statistics, and whether every num_batches_tracked agrees."""
    if actual.keys() != expected.keys():
        raise ValueError("the models' BatchNorm layers differ")
    worst, batches_match = 0.0, True
    for name, (mean, var, batches) in expected.items():
        actual_mean, actual_var, actual_batches = actual[name]
        worst = max(worst, rel_diff(actual_mean, mean), rel_diff(actual_var, var))
        batches_match &= bool(torch.equal(actual_batches, batches))
    return worst, batches_match


@dataclasses.dataclass
class LayerDiff:
    name: str
    kind: str  # the module's class
    abs_diff: float
    rel_diff: float  # to the layer output's max |y|
    same_strides: bool  # whether the patched output has the unpatched one's memory layout
    # Each side's own error: its output against the unpatched layer run in float64 on the
    # same input, relative to that output's max |y|. Says which side a difference comes from.
    unpatched_f64_rel_err: float
    patched_f64_rel_err: float
    running_stats_rel_diff: float = None  # training mode, BatchNorm only
    batches_tracked_match: bool = None


@dataclasses.dataclass
class Comparison:
    training: bool
    dtype: str  # the model's and its input's: a key of TOLERANCES
    layers: list
    norm_layers: int  # in the model
    patched_layers: int  # that simdnorm.torch.patch took over
    end_to_end_abs_diff: float
    end_to_end_rel_diff: float
    # The unpatched model against itself with each input element moved by up to an ulp of
    # its type: how much this model, in this mode, amplifies rounding (the scale
    # end_to_end_rel_diff is to be read against).
    input_ulp_rel_diff: float
    running_stats_rel_diff: float = None  # training mode: the whole model's BatchNorms
    batches_tracked_match: bool = None

    @property
    def worst_layer(self):
        return max(self.layers, key=lambda layer: layer.rel_diff)

    @property
    def max_f64_rel_errs(self):
        """(unpatched, patched): the largest layer error against float64 on either side."""
        return (max(layer.unpatched_f64_rel_err for layer in self.layers),
                max(layer.patched_f64_rel_err for layer in self.layers))

    @property
    def layer_running_stats_rel_diff(self):
        diffs = [layer.running_stats_rel_diff for layer in self.layers
                 if layer.running_stats_rel_diff is not None]
        return max(diffs) if diffs else None

    @property
    def layers_with_other_strides(self):
        return [layer.name for layer in self.layers if not layer.same_strides]

    def failures(self):
        """What is over its tolerance, one line each; empty when all is within."""
        failures = []
        tolerances = TOLERANCES[self.dtype]
        for layer in self.layers:
            if tolerances.layer_reference == "float64":
                if not layer.patched_f64_rel_err <= tolerances.layer:
                    failures.append(f"layer {layer.name} ({layer.kind}): rel err vs float64 "
                                    f"{layer.patched_f64_rel_err:.3g} > {tolerances.layer:g}")
            elif not layer.rel_diff <= tolerances.layer:
                failures.append(f"layer {layer.name} ({layer.kind}): rel diff "
                                f"{layer.rel_diff:.3g} > {tolerances.layer:g}")
            if layer.running_stats_rel_diff is not None and \
                    not layer.running_stats_rel_diff <= tolerances.running_stats_layer:
                failures.append(f"layer {layer.name}: running statistics rel diff "
                                f"{layer.running_stats_rel_diff:.3g} > "
                                f"{tolerances.running_stats_layer:g}")
            if layer.batches_tracked_match is False:
                failures.append(f"layer {layer.name}: num_batches_tracked differs")
        if self.patched_layers != self.norm_layers:
            failures.append(f"patch took over {self.patched_layers} of {self.norm_layers} "
                            "norm layers")
        end_to_end_tolerance = (tolerances.train_end_to_end if self.training
                                else tolerances.end_to_end)
        if not self.end_to_end_rel_diff <= end_to_end_tolerance:
            failures.append(f"end to end: rel diff {self.end_to_end_rel_diff:.3g} > "
                            f"{end_to_end_tolerance:g}")
        if self.running_stats_rel_diff is not None and \
                not self.running_stats_rel_diff <= tolerances.train_end_to_end:
            failures.append("model running statistics: rel diff "
                            f"{self.running_stats_rel_diff:.3g} > "
                            f"{tolerances.train_end_to_end:g}")
        if self.batches_tracked_match is False:
            failures.append("model: num_batches_tracked differs")
        return failures


def perturbed_by_an_ulp(x, seed=0):
    """x with each element multiplied by 1 + u, u uniform in [-e, e], e an ulp at 1 of x's
    type (2^-23 in float32, 2^-7 in bfloat16), in x's memory layout."""
    generator = torch.Generator().manual_seed(seed)
    factor = 1 + (torch.rand(x.shape, generator=generator) * 2 - 1) * torch.finfo(x.dtype).eps
    return x.clone().mul_(factor)


def run_recording_norm_layers(model, x):
    """model(x), and {layer name: (input, output)} of every norm layer, copied (with their
    strides) when the layer ran, since later layers may change them in place (ReLU(inplace),
    the residual +=)."""
    records = {}

    def recorder(name):
        def record(module, inputs, output):
            if name in records:
                # Its state before the forward would not be the state before this call.
                raise RuntimeError(f"norm layer {name} runs more than once a forward")
            records[name] = (inputs[0].clone(), output.clone())
        return record

    handles = [module.register_forward_hook(recorder(name))
               for name, module in model.named_modules() if is_norm_layer(module)]
    try:
        output = model(x)
    finally:
        for handle in handles:
            handle.remove()
    return output, records


@torch.no_grad()
def compare_patched(model, x, seed=0):
    """model (in its mode and layout) unpatched against patched on x; model is left as it was.

    Each forward starts from the same seed, so that a model drawing random numbers in
    training mode (dropout, ConvNeXt's stochastic depth) draws the same ones each time."""
    if simdnorm.torch.patched_modules(model):
        raise ValueError("compare_patched takes an unpatched model")
    reference = copy.deepcopy(model)
    torch.manual_seed(seed)
    reference_output, records = run_recording_norm_layers(reference, x)

    patched = simdnorm.torch.patch(copy.deepcopy(model))
    torch.manual_seed(seed)
    patched_output = patched(x)
    torch.manual_seed(seed)
    input_ulp_rel_diff = rel_diff(copy.deepcopy(model)(perturbed_by_an_ulp(x, seed)),
                                  reference_output)

    layers = []
    for name, (layer_input, layer_output) in records.items():
        # Copies of the layer as it was before the forward (training mode updates it).
        layer = simdnorm.torch.patch(copy.deepcopy(model.get_submodule(name)))
        output = layer(layer_input)
        output_f64 = copy.deepcopy(model.get_submodule(name)).double()(layer_input.double())
        diff = LayerDiff(name, type(model.get_submodule(name)).__name__,
                         max_abs_diff(output, layer_output), rel_diff(output, layer_output),
                         output.stride() == layer_output.stride(),
                         rel_diff(layer_output, output_f64), rel_diff(output, output_f64))
        if layer.training and running_statistics(layer):
            diff.running_stats_rel_diff, diff.batches_tracked_match = running_statistics_rel_diff(
                running_statistics(layer), running_statistics(reference.get_submodule(name)))
        layers.append(diff)

    comparison = Comparison(training=model.training, dtype=str(x.dtype).removeprefix("torch."),
                            layers=layers,
                            norm_layers=sum(map(is_norm_layer, model.modules())),
                            patched_layers=len(simdnorm.torch.patched_modules(patched)),
                            end_to_end_abs_diff=max_abs_diff(patched_output, reference_output),
                            end_to_end_rel_diff=rel_diff(patched_output, reference_output),
                            input_ulp_rel_diff=input_ulp_rel_diff)
    if model.training and running_statistics(model):
        comparison.running_stats_rel_diff, comparison.batches_tracked_match = (
            running_statistics_rel_diff(running_statistics(patched), running_statistics(reference)))
        # One forward counts one batch, patched or not.
        before = running_statistics(model)
        comparison.batches_tracked_match &= all(
            torch.equal(batches, before[name][2] + 1)
            for name, (_, _, batches) in running_statistics(patched).items())
    return comparison


# ---- time and profile -------------------------------------------------------------------------


@torch.no_grad()
def time_forwards(model, x, threads, reps, warmup):
    """{patched: [forward time in ms] * reps} at threads, unpatched and patched interleaved
    (so that drift on a shared machine hits both alike); model is left unpatched."""
    simdnorm.torch.set_num_threads(threads)
    states = (False, True)
    times = {state: [] for state in states}
    try:
        for state in states:
            set_patched(model, state)
            for _ in range(warmup):
                model(x)
        for rep in range(reps):
            for state in states if rep % 2 == 0 else reversed(states):
                set_patched(model, state)
                start = time.perf_counter()
                model(x)
                times[state].append((time.perf_counter() - start) * 1e3)
    finally:
        simdnorm.torch.unpatch(model)
    return times


def set_patched(model, patched):
    (simdnorm.torch.patch if patched else simdnorm.torch.unpatch)(model)


def union_length(intervals):
    """The total length of the union of (start, end) intervals."""
    total, covered_until = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > covered_until:
            total += end - max(start, covered_until)
            covered_until = end
    return total


@dataclasses.dataclass
class NormShare:
    share: float  # of the forward's time on the calling thread
    norm_ms: float
    forward_ms: float
    op_names: frozenset  # the norm operators the profiler saw


@torch.no_grad()
def profile_norm_share(model, x, threads, reps=1):
    """The share of a forward spent in norm operators (the model warmed up already): the
    median over reps profiled forwards of each figure."""
    profiles = [profile_one_forward(model, x, threads) for _ in range(reps)]
    return NormShare(statistics.median(profile.share for profile in profiles),
                     statistics.median(profile.norm_ms for profile in profiles),
                     statistics.median(profile.forward_ms for profile in profiles),
                     frozenset().union(*(profile.op_names for profile in profiles)))


def profile_one_forward(model, x, threads):
    """The share of one forward spent in norm operators.

    The forward runs inside a record_function, whose interval is the forward's time on the
    calling thread (operators, and the Python between them); the norm time is the union of
    the norm operators' intervals on that thread. Self CPU times would leave out the helper
    operators a norm operator calls (aten::empty_like for its output, aten::contiguous),
    and the profiler's parent links, built from microsecond timestamps,
    sometimes lose a nested operator's parent, so a sum over "outermost" operators could
    count one twice; the union does neither."""
    simdnorm.torch.set_num_threads(threads)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        with torch.profiler.record_function("simdnorm_bench_forward"):
            model(x)
    events = profiler.events()
    forward = next(event for event in events if event.name == "simdnorm_bench_forward")
    norm_events = [event for event in events
                   if is_norm_op(event.name) and event.thread == forward.thread]
    norm_us = union_length((event.time_range.start, event.time_range.end) for event in norm_events)
    forward_us = forward.time_range.end - forward.time_range.start
    return NormShare(norm_us / forward_us, norm_us / 1e3, forward_us / 1e3,
                     frozenset(event.name for event in norm_events))


# ---- the table --------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    model: str
    mode: str  # "eval" or "train"
    layout: str
    input_shape: tuple
    comparison: Comparison
    timings: dict = dataclasses.field(default_factory=dict)  # threads -> {patched: [ms]}
    shares: dict = dataclasses.field(default_factory=dict)  # threads -> {patched: NormShare}


def measure(spec, mode, layout, batch, threads, reps, warmup, seed, profile_reps=1, timing=True,
            dtype="float32"):
    """One table row: spec's model in mode ("eval"/"train"), layout and dtype (a key of
    TOLERANCES), compared and timed."""
    model, x = in_layout(spec.build(seed), spec.input(batch, seed), layout)
    model, x = model.to(getattr(torch, dtype)), x.to(getattr(torch, dtype))
    model.train(mode == "train")
    # The comparison at the highest thread count: the quickest, and simdnorm's results do
    # not depend on it.
    simdnorm.torch.set_num_threads(max(threads))
    row = Row(spec.name, mode, layout, tuple(x.shape), compare_patched(model, x, seed))
    if timing:
        for count in threads:
            row.timings[count] = time_forwards(model, x, count, reps, warmup)
            row.shares[count] = {}
            for patched in (False, True):
                set_patched(model, patched)
                row.shares[count][patched] = profile_norm_share(model, x, count, profile_reps)
            simdnorm.torch.unpatch(model)
    return row


def table_columns(threads):
    columns = ["model", "mode", "layout", "input", "norm layers", "max layer rel diff",
               "worst layer", "layer err vs float64 (unpatched / patched)", "end-to-end rel diff",
               "unpatched, input +-1 ulp", "running stats rel diff (layer / model)"]
    for count in threads:
        columns += [f"unpatched {count}t ms", f"patched {count}t ms", f"speed-up {count}t",
                    f"norm share {count}t before -> after"]
    return columns


def table_cells(row, threads):
    comparison = row.comparison
    worst = comparison.worst_layer
    if comparison.running_stats_rel_diff is None:
        running_stats = "-"
    else:
        running_stats = (f"{comparison.layer_running_stats_rel_diff:.1e} / "
                         f"{comparison.running_stats_rel_diff:.1e}")
        if not comparison.batches_tracked_match:
            running_stats += " (num_batches_tracked differs)"
    cells = [row.model, row.mode, row.layout, "x".join(map(str, row.input_shape)),
             f"{comparison.patched_layers}/{comparison.norm_layers}", f"{worst.rel_diff:.1e}",
             f"{worst.name} ({worst.kind})", "{:.1e} / {:.1e}".format(*comparison.max_f64_rel_errs),
             f"{comparison.end_to_end_rel_diff:.1e}",
             f"{comparison.input_ulp_rel_diff:.1e}", running_stats]
    for count in threads:
        if count not in row.timings:
            cells += ["-"] * 4
            continue
        unpatched, patched = (statistics.median(row.timings[count][state])
                              for state in (False, True))
        shares = row.shares[count]
        cells += [f"{unpatched:.1f}", f"{patched:.1f}", f"{unpatched / patched:.2f}",
                  f"{shares[False].share:.1%} -> {shares[True].share:.1%}"]
    return cells


def markdown_table(rows, threads):
    columns = table_columns(threads)
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(table_cells(row, threads)) + " |" for row in rows]
    return "\n".join(lines)


def csv_records(rows, threads):
    for row in rows:
        comparison = row.comparison
        worst = comparison.worst_layer
        record = {
            "model": row.model, "mode": row.mode, "layout": row.layout,
            "input_shape": "x".join(map(str, row.input_shape)),
            "norm_layers": comparison.norm_layers, "patched_layers": comparison.patched_layers,
            "max_layer_abs_diff": max(layer.abs_diff for layer in comparison.layers),
            "max_layer_rel_diff": worst.rel_diff, "worst_layer": worst.name,
            "worst_layer_kind": worst.kind,
            "layers_with_other_strides": len(comparison.layers_with_other_strides),
            "max_layer_f64_rel_err_unpatched": comparison.max_f64_rel_errs[0],
            "max_layer_f64_rel_err_patched": comparison.max_f64_rel_errs[1],
            "end_to_end_abs_diff": comparison.end_to_end_abs_diff,
            "end_to_end_rel_diff": comparison.end_to_end_rel_diff,
            "input_ulp_rel_diff": comparison.input_ulp_rel_diff,
            "layer_running_stats_rel_diff": comparison.layer_running_stats_rel_diff,
            "model_running_stats_rel_diff": comparison.running_stats_rel_diff,
            "num_batches_tracked_match": comparison.batches_tracked_match,
            "within_tolerance": not comparison.failures(),
        }
        for count in threads:
            timings, shares = row.timings.get(count, {}), row.shares.get(count, {})
            for state, label in ((False, "unpatched"), (True, "patched")):
                times = timings.get(state)
                record[f"{label}_ms_{count}t"] = statistics.median(times) if times else None
                record[f"{label}_min_ms_{count}t"] = min(times) if times else None
                record[f"{label}_max_ms_{count}t"] = max(times) if times else None
            for state, label in ((False, "unpatched"), (True, "patched")):
                share = shares.get(state)
                record[f"norm_share_{label}_{count}t"] = share.share if share else None
                record[f"norm_ms_{label}_{count}t"] = share.norm_ms if share else None
                record[f"profiled_forward_ms_{label}_{count}t"] = (
                    share.forward_ms if share else None)
        yield record


def write_csv(path, rows, threads):
    records = list(csv_records(rows, threads))
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as file:
            fields = {key.strip(): value.strip() for key, value in
                      (line.split(":", 1) for line in file if ":" in line)}
        return f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    except (OSError, KeyError):
        return platform.processor() or "unknown"


def loaded_blas():
    """The BLAS library PyTorch has loaded (Debian's torch takes libblas.so.3 through the
    alternatives system: the reference netlib BLAS unless OpenBLAS or BLIS is installed),
    since it, not the norms, sets the time of models made of Linear layers."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.split()[-1]}
    except OSError:
        return "unknown"
    return ", ".join(sorted(os.path.realpath(path) for path in paths)) or "none loaded"


def source_commit():
    """The commit measured, and whether the package's sources differ from it."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        changes = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                  "--untracked-files=no", "--", "lib", "include", "python",
                                  "CMakeLists.txt"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" with uncommitted changes to lib/, include/ or python/" if changes else "")


def environment_lines(args):
    python_command = shlex.join([sys.executable, "bench/torch_models.py", *args.argv])
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores",
        f"- simdnorm commit {source_commit()}",
        f"- Python {platform.python_version()}, torch {torch.__version__}, "
        f"torchvision {torchvision.__version__}",
        f"- simdnorm {simdnorm.__version__} from {Path(simdnorm.__file__).parent}, "
        f"active ISA {simdnorm.active_isa()}",
        f"- PyTorch's BLAS: {loaded_blas()}",
        "- simdnorm's parallel loops on "
        + ("PyTorch's intra-op pool" if simdnorm.torch.uses_torch_threads() else
           "oneTBB (--onetbb)"),
        f"- Command: `{args.command or python_command}`",
        *([f"- Which ran: `{python_command}`"] if args.command else []),
        f"- Seed {args.seed}; time = median of {args.reps} forwards after {args.warmup} warm-up, "
        "unpatched and patched interleaved; threads set by simdnorm.torch.set_num_threads; "
        f"norm share = median of {args.profile_reps} profiled forwards",
    ]


def markdown_report(rows, args, seconds, load_averages):
    failures = [(row, failure) for row in rows for failure in row.comparison.failures()]
    other_strides = [(row, row.comparison.layers_with_other_strides) for row in rows
                     if row.comparison.layers_with_other_strides]
    op_names = sorted({name for row in rows for shares in row.shares.values()
                       for share in shares.values() for name in share.op_names})
    lines = [f"# simdnorm.torch on torchvision models, {args.dtype}, "
             f"{datetime.date.today().isoformat()}", ""]
    lines += environment_lines(args)
    tolerances = TOLERANCES[args.dtype]
    # Other work on the machine slows the timed forwards, most of all at as many threads as
    # cores: the 1-minute load averages show whether there was any.
    lines += [f"- Run time: {seconds:.0f} s; load average (1 min) "
              f"{load_averages[0]:.2f} at the start, "
              f"{load_averages[1]:.2f} at the end", "", markdown_table(rows, args.threads), ""]
    lines += [
        "Rel diffs are max |patched - unpatched| / max |unpatched|: per layer on the layer's "
        "recorded input (the worst layer named; \"err vs float64\" is each side's own error, "
        "against the unpatched layer run in float64), end to end on the model's output; "
        "\"unpatched, input +-1 ulp\" is the unpatched model's output moved by moving each input "
        f"element by up to an ulp of {args.dtype} (how much the model amplifies rounding); running "
        "stats: BatchNorm running_mean/var after one training-mode forward, per layer and over the "
        f"whole model. Tolerances ({args.dtype}): layer {tolerances.layer:g} (against "
        + ("the unpatched layer" if tolerances.layer_reference == "unpatched" else
           "the layer in float64: the patched layer's err vs float64")
        + f"), end to end "
        f"{tolerances.end_to_end:g} (eval) / {tolerances.train_end_to_end:g} (train, also "
        f"the model's running stats), layer running stats {tolerances.running_stats_layer:g}. "
        "Speed-up = unpatched / patched (the CSV has each setting's min and max too). Norm share = "
        "time inside the norm operators over the forward's time under torch.profiler (operators "
        f"seen: {', '.join(op_names) or 'not profiled'}).",
        "",
    ]
    if failures:
        lines += ["Over tolerance:", ""] + [f"- {row.model} {row.mode} {row.layout}: {failure}"
                                            for row, failure in failures] + [""]
    else:
        lines += ["Every difference is within its tolerance.", ""]
    if other_strides:
        lines += ["Patched layers whose output has other strides than the unpatched one's:", ""]
        lines += [f"- {row.model} {row.mode} {row.layout}: {', '.join(names)}"
                  for row, names in other_strides]
        lines += [""]
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=MODEL_NAMES, default=list(MODEL_NAMES))
    parser.add_argument("--image-size", type=int, default=224,
                        help="input height and width of resnet50, vit_b_16, convnext_tiny "
                        "(default 224)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--unet-size", type=int, default=64,
                        help="the UNet blocks' height and width (64)")
    parser.add_argument("--unet-channels", type=int, nargs="+", default=[320, 640])
    parser.add_argument("--unet-blocks", type=int, default=2,
                        help="resnet blocks in a UNet stack (2)")
    parser.add_argument("--layouts", nargs="+", choices=LAYOUTS, default=list(LAYOUTS))
    parser.add_argument("--no-train", dest="train", action="store_false",
                        help="leave out resnet50's training-mode forward")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--reps", type=int, default=5,
                        help="timed forwards per model and setting (5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed forwards before them (1)")
    parser.add_argument("--profile-reps", type=int, default=3,
                        help="profiled forwards per model and setting for the norm share (3)")
    parser.add_argument("--no-timing", dest="timing", action="store_false",
                        help="compare only: no timing, no profile")
    parser.add_argument("--onetbb", action="store_true",
                        help="run simdnorm's parallel loops on oneTBB, not on PyTorch's intra-op "
                        "pool (simdnorm.torch.use_torch_threads(False))")
    parser.add_argument("--dtype", choices=DTYPES, default="float32",
                        help="the models' parameters, buffers and inputs (float32)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-md", type=Path, help="write the Markdown report here")
    parser.add_argument("--out-csv", type=Path, help="write the rows here")
    parser.add_argument("--command", help="how the run was started, for the report "
                        "(scripts/torch-models.sh passes its own command line)")
    args = parser.parse_args(argv)
    # The arguments, less --command, for the report's "Ran" line.
    args.argv = []
    arguments = iter(argv)
    for arg in arguments:
        if arg == "--command":
            next(arguments, None)
        elif not arg.startswith("--command="):
            args.argv.append(arg)
    for name in ("batch", "image_size", "unet_size", "unet_blocks", "reps", "profile_reps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0 or min(args.threads) < 1 or min(args.unet_channels) < 1:
        parser.error("--warmup must be >= 0, --threads and --unet-channels >= 1")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    simdnorm.torch.use_torch_threads(not args.onetbb)
    start, start_load = time.perf_counter(), os.getloadavg()[0]
    specs = model_specs(args.models, args.image_size, args.unet_size, args.unet_channels,
                        args.unet_blocks)
    rows = []
    for spec in specs:
        modes = ["eval", "train"] if spec.has_training_check and args.train else ["eval"]
        for mode in modes:
            for layout in args.layouts:
                row_start = time.perf_counter()
                row = measure(spec, mode, layout, args.batch, args.threads, args.reps, args.warmup,
                              args.seed, args.profile_reps, timing=args.timing, dtype=args.dtype)
                rows.append(row)
                print(f"torch_models: {spec.name} {mode} {layout}: "
                      f"layer {row.comparison.worst_layer.rel_diff:.2e}, "
                      f"end to end {row.comparison.end_to_end_rel_diff:.2e} "
                      f"({time.perf_counter() - row_start:.0f} s)", file=sys.stderr, flush=True)
    report = markdown_report(rows, args, time.perf_counter() - start,
                             (start_load, os.getloadavg()[0]))
    print(report)
    if args.out_md:
        args.out_md.parent.mkdir(parents=True, exist_ok=True)
        args.out_md.write_text(report)
    if args.out_csv:
        args.out_csv.parent.mkdir(parents=True, exist_ok=True)
        write_csv(args.out_csv, rows, args.threads)
    return 1 if any(row.comparison.failures() for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
