"""simdnorm.torch.patch on torchvision models and a diffusion-UNet block stack, at reduced size.

bench/torch_models.py holds the models and the comparisons (and their tolerances, with the
measurements behind them); this runs them small enough for a test: every norm layer of the
patched model against the unpatched one on the same input, the output end to end and, for
resnet50 in training mode, the BatchNorms' running statistics, with a contiguous and a
channels-last input and model. No timing.

    PYTHONPATH=build/py/python /usr/bin/python3 -m pytest -q -p no:cacheprovider \\
        tests/python/test_torch_models.py
"""

import copy
import functools
import importlib.util
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
if importlib.util.find_spec("simdnorm._torch_ops") is None:
    pytest.skip("simdnorm was built without its PyTorch operators (no libtorch-dev)",
                allow_module_level=True)

import simdnorm.torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import torch_models  # noqa: E402
from half_precision import within_one_unit_and_mostly_rounded  # noqa: E402

SEED = 0
BATCH = 1
# resnet50 at 128x128 rather than 64x64: in training mode its last BatchNorms then normalise
# 4x4 values a channel instead of 2x2, and the model amplifies rounding about 10x less (see
# TRAIN_END_TO_END_REL_TOLERANCE). With Debian's torch it is hardly slower (155 against 126 ms
# a forward at 2 threads), since batch-1 convolutions on at most 20480 input elements leave
# oneDNN for im2col and the reference BLAS.
RESNET_SIZE = 128
VIT_SIZE = 64  # 4x4 patches of 16
CONVNEXT_SIZE = 64  # 16x16 after the stem, 2x2 in the last stage
UNET_SIZE = 32
UNET_CHANNELS = 320
UNET_BLOCKS = 2


@functools.lru_cache(maxsize=None)
def spec(name):
    size = {"resnet50": RESNET_SIZE, "vit_b_16": VIT_SIZE,
            "convnext_tiny": CONVNEXT_SIZE}.get(name, 0)
    model = "unet" if name.startswith("unet") else name
    (found,) = torch_models.model_specs([model], size, UNET_SIZE, [UNET_CHANNELS], UNET_BLOCKS)
    return found


@functools.lru_cache(maxsize=None)
def built(name):
    """The model in eval mode, built once (compare_patched and in_layout work on copies)."""
    return spec(name).build(SEED)


def model_and_input(name, mode, layout):
    model, x = torch_models.in_layout(built(name), spec(name).input(BATCH, SEED), layout)
    return model.train(mode == "train"), x


@pytest.fixture(scope="module", autouse=True)
def two_threads():
    """The comparisons at up to 2 threads (quicker; simdnorm's results do not depend on it)."""
    torch_threads, simdnorm_threads = torch.get_num_threads(), simdnorm.max_threads()
    simdnorm.torch.set_num_threads(2)
    yield
    torch.set_num_threads(torch_threads)
    simdnorm.set_max_threads(simdnorm_threads)


CASES = [
    ("resnet50", "eval"),
    ("resnet50", "train"),
    ("vit_b_16", "eval"),
    ("convnext_tiny", "eval"),
    (f"unet-c{UNET_CHANNELS}", "eval"),
]


@pytest.mark.parametrize("layout", torch_models.LAYOUTS)
@pytest.mark.parametrize("name, mode", CASES)
def test_patched_model_matches_unpatched(name, mode, layout):
    model, x = model_and_input(name, mode, layout)
    comparison = torch_models.compare_patched(model, x)

    assert comparison.patched_layers == comparison.norm_layers > 0
    # Every norm layer ran (once) and was compared on its own.
    assert len(comparison.layers) == comparison.norm_layers
    assert comparison.failures() == []
    # And simdnorm on its own: each patched layer against the layer run in float64.
    assert comparison.max_f64_rel_errs[1] <= torch_models.LAYER_REL_TOLERANCE
    # A patched layer keeps its output's memory layout (channels-last stays channels-last).
    assert comparison.layers_with_other_strides == []
    if mode == "train":
        assert comparison.running_stats_rel_diff is not None
        assert comparison.layer_running_stats_rel_diff is not None
        assert comparison.batches_tracked_match
    # compare_patched leaves the model as it came.
    assert simdnorm.torch.patched_modules(model) == []


def test_norm_parameters_are_randomised():
    """BatchNorm is not the identity it is when freshly built, nor is any affine transform."""
    for name in ("resnet50", "convnext_tiny", f"unet-c{UNET_CHANNELS}"):
        norms = [module for module in built(name).modules() if torch_models.is_norm_layer(module)]
        assert norms
        for module in norms:
            assert not torch.all(module.weight == 1) and not torch.all(module.bias == 0)
            if getattr(module, "running_var", None) is not None:
                assert (not torch.all(module.running_var == 1)
                        and not torch.all(module.running_mean == 0))


def test_comparison_catches_a_wrong_layer(monkeypatch):
    """The tolerances have teeth: patched GroupNorms with eps 1e-2 instead of 1e-5 fail both the
    per-layer and the end-to-end check."""
    patch = simdnorm.torch.patch

    def patch_with_wrong_eps(model):
        patch(model)
        for module in model.modules():
            if isinstance(module, torch.nn.GroupNorm):
                module.eps = 1e-2
        return model

    monkeypatch.setattr(simdnorm.torch, "patch", patch_with_wrong_eps)
    model, x = model_and_input(f"unet-c{UNET_CHANNELS}", "eval", "contiguous")
    comparison = torch_models.compare_patched(model, x)
    assert comparison.worst_layer.rel_diff > torch_models.LAYER_REL_TOLERANCE
    assert comparison.end_to_end_rel_diff > torch_models.END_TO_END_REL_TOLERANCE
    assert any(failure.startswith("end to end") for failure in comparison.failures())


@pytest.mark.parametrize("name", [name for name, mode in CASES if mode == "eval"])
def test_bfloat16_model_norm_layers_round_the_float64_result(name):
    """The model converted to bfloat16 (activations, parameters, buffers) and patched, in eval
    mode: each norm layer's output against the layer itself, unpatched, in float64 on the
    bfloat16 input it got (half_precision.py's bound: the rounded float64 result or one unit
    from it, nearly all the former)."""
    model = copy.deepcopy(built(name)).to(torch.bfloat16).eval()
    x = spec(name).input(BATCH, SEED).to(torch.bfloat16)
    simdnorm.torch.patch(model)
    with torch.no_grad():
        _, records = torch_models.run_recording_norm_layers(model, x)
    simdnorm.torch.unpatch(model)
    layers = dict(model.named_modules())
    assert len(records) == sum(torch_models.is_norm_layer(m) for m in model.modules()) > 0
    for layer, (layer_input, layer_output) in records.items():
        reference = copy.deepcopy(layers[layer]).double()
        with torch.no_grad():
            want = reference(layer_input.double())
        within_one_unit_and_mostly_rounded(layer_output, want, torch.bfloat16)


@pytest.mark.parametrize("name, mode, layout", [
    (name, mode, "channels_last" if name.startswith("unet") else "contiguous")
    for name, mode in CASES])
def test_bfloat16_patched_model_is_within_its_tolerances(name, mode, layout):
    """compare_patched on the model converted to bfloat16 (bench/torch_models.py --dtype
    bfloat16): each patched layer against itself in float64, the output and the running
    statistics against the unpatched bfloat16 model. The UNet in channels-last, where
    PyTorch's own bfloat16 GroupNorm is the side that is off."""
    model, x = model_and_input(name, mode, layout)
    comparison = torch_models.compare_patched(model.to(torch.bfloat16), x.to(torch.bfloat16))
    assert comparison.dtype == "bfloat16"
    assert comparison.patched_layers == comparison.norm_layers == len(comparison.layers) > 0
    assert comparison.failures() == []
    assert comparison.layers_with_other_strides == []
    if mode == "train":
        assert comparison.running_stats_rel_diff is not None and comparison.batches_tracked_match
