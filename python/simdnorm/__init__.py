"""simdnorm: SIMD normalisation kernels for deep learning, on NumPy arrays.

Every function takes C-contiguous NumPy arrays: activations in float32 or
float16 (their own dtype), or bfloat16 bits in uint16/int16 with
dtype="bfloat16"; parameters (gamma, beta, running statistics, ...) in
float32. Nothing is converted: a wrong dtype, a non-contiguous array, a
read-only output or a shape that does not fit raises ValueError naming the
argument, as the library's own refusals do, and nothing is written.

Outputs are new arrays, or `out=` (x itself for in place). The GIL is
released during each call, so Python threads run calls at once.

Layouts for the channel methods: "nchw" (N, C, *spatial) or "nhwc"
(N, *spatial, C). Row norms (layer, RMS) normalise the last axis.

    import numpy as np, simdnorm
    x = np.random.default_rng(0).standard_normal((8, 768), dtype=np.float32)
    y = simdnorm.layer_norm(x, gamma=np.ones(768, np.float32), eps=1e-5)

simdnorm.torch (imported on its own) holds the PyTorch operators and
patch(model).
"""

from ._simdnorm import (
    Moments,
    active_isa,
    add_layer_norm,
    add_rms_norm,
    batch_instance_norm_inference,
    batch_instance_norm_training,
    batch_norm_inference,
    batch_norm_mean_only_inference,
    batch_norm_mean_only_training,
    batch_norm_training,
    group_norm,
    instance_norm,
    layer_norm,
    max_threads,
    rms_norm,
    set_max_isa,
    set_max_threads,
    standardize_apply,
    standardize_invert,
    switchable_norm_inference,
    switchable_norm_training,
    version,
    weight_norm,
)

__version__ = version()

__all__ = [
    "Moments",
    "active_isa",
    "add_layer_norm",
    "add_rms_norm",
    "batch_instance_norm_inference",
    "batch_instance_norm_training",
    "batch_norm_inference",
    "batch_norm_mean_only_inference",
    "batch_norm_mean_only_training",
    "batch_norm_training",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "max_threads",
    "rms_norm",
    "set_max_isa",
    "set_max_threads",
    "standardize_apply",
    "standardize_invert",
    "switchable_norm_inference",
    "switchable_norm_training",
    "version",
    "weight_norm",
]
