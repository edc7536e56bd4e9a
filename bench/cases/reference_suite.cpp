#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

namespace {

// An activation's shape as the targets state it.
struct activation {
  std::int64_t n, c, h, w, groups;
};

using method_shapes = std::pair<const char*, const std::vector<activation>*>;

// Each method at each of its shapes, NCHW first, then NHWC.
template <std::size_t count>
void add_in_both_layouts(std::vector<case_spec>& cases, const method_shapes (&entries)[count]) {
  for (const methods::layout_kind layout :
       {methods::layout_kind::nchw, methods::layout_kind::nhwc}) {
    for (const auto& [method, shapes] : entries) {
      for (const activation& a : *shapes) {
        cases.push_back(case_of(methods::named(method), layout, a.n, a.c, a.h * a.w, a.groups, 0));
      }
    }
  }
}

}  // namespace

// The methods here are the ones the speed targets are stated on (issues 4,
// 12 and 13), by name: a method added to the table joins the other suites,
// not this one.
std::vector<case_spec> float32_reference_targets() {
  using methods::layout_kind;
  using methods::named;
  std::vector<case_spec> cases;
  // Layer and RMS norm at the same shapes: transformer rows (768 to 4096
  // features, one token to a 2048-token batch), and 65536 rows of 64, where
  // the per-row work, not the bandwidth, sets the time. No in-run peer has RMS
  // norm (oneDNN 2.6, ATen 1.13), so its rows measure simdnorm alone.
  for (const char* method : {"layer_norm", "rms_norm"}) {
    for (const auto& [rows, d] : {std::pair<std::int64_t, std::int64_t>{1, 768},
                                  {128, 768},
                                  {512, 1024},
                                  {2048, 4096},
                                  {8, 4096},
                                  {65536, 64}}) {
      cases.push_back(case_of(named(method), layout_kind::rows, rows, 0, 0, 0, d));
    }
  }
  const std::vector<activation> batch_shapes = {{1, 64, 112, 112, 0},
                                                {8, 64, 112, 112, 0},
                                                {8, 256, 56, 56, 0},
                                                {8, 512, 28, 28, 0},
                                                {8, 2048, 7, 7, 0}};
  const std::vector<activation> group_shapes = {{1, 320, 64, 64, 32},  {2, 640, 32, 32, 32},
                                                {2, 1280, 16, 16, 32}, {8, 256, 56, 56, 32},
                                                {4, 64, 56, 56, 1},    {4, 64, 56, 56, 64}};
  const std::vector<activation> instance_shapes = {{1, 64, 256, 256, 0}, {4, 128, 128, 128, 0}};
  const method_shapes targets[] = {{"batch_norm_inference", &batch_shapes},
                                   {"batch_norm_training", &batch_shapes},
                                   {"group_norm", &group_shapes},
                                   {"instance_norm", &instance_shapes}};
  add_in_both_layouts(cases, targets);

  return cases;
}

std::vector<case_spec> reference_suite() {
  using methods::layout_kind;
  using methods::named;
  std::vector<case_spec> cases = float32_reference_targets();
  // The 16-bit types and fused neighbours (issue 13), at the shapes engines
  // run them: transformer rows (one token; 128 to 512 tokens of 768 to 8192
  // features), for layer and RMS norm in every type (float32 at the shapes
  // not above) and for the residual add fused with either in every type, with the sum written
  // (pre-norm blocks: GPT, LLaMA) and without (post-norm: BERT); the diffusion UNet's
  // group norms (32 groups), alone in 16 bits and followed by SiLU in every
  // type; convolutional nets' batch norm followed by ReLU, batch-norm
  // training and instance norm in 16 bits; wav2vec 2.0's feature encoder,
  // whose first convolution (512 channels, 3199 positions for a second of
  // 16 kHz audio) is followed by group norm with one channel a group and
  // GELU, in every type. Their rows sit beside the plain
  // float32 rows of the same shapes above where those exist.
  const std::pair<std::int64_t, std::int64_t> transformer_rows[] = {
      {1, 768}, {128, 768}, {512, 768}, {512, 2048}, {512, 4096}, {512, 8192}};
  for (const char* method :
       {"layer_norm", "layer_norm_bf16", "layer_norm_f16", "rms_norm", "rms_norm_bf16",
        "rms_norm_f16", "add_layer_norm", "add_layer_norm_bf16", "add_layer_norm_f16",
        "add_rms_norm", "add_rms_norm_bf16", "add_rms_norm_f16", "add_layer_norm_nosum",
        "add_layer_norm_nosum_bf16", "add_layer_norm_nosum_f16", "add_rms_norm_nosum",
        "add_rms_norm_nosum_bf16", "add_rms_norm_nosum_f16"}) {
    for (const auto& [rows, d] : transformer_rows) {
      // float32 beside every shape, once (1 x 768 and 128 x 768 are above).
      const case_spec spec = case_of(named(method), layout_kind::rows, rows, 0, 0, 0, d);
      const bool listed = std::any_of(cases.begin(), cases.end(), [&](const case_spec& c) {
        return c.method == spec.method && c.layout == spec.layout && c.n == spec.n && c.d == spec.d;
      });
      if (!listed) cases.push_back(spec);
    }
  }
  const std::vector<activation> unet_shapes = {
      {1, 320, 64, 64, 32}, {2, 640, 32, 32, 32}, {2, 1280, 16, 16, 32}};
  const std::vector<activation> resnet_shapes = {{8, 64, 112, 112, 0}, {8, 256, 56, 56, 0}};
  const std::vector<activation> instance_shape = {{1, 64, 256, 256, 0}};
  // N x C (BatchNorm1d's input: a classifier head's 2048 features, an MLP's
  // 64 over a large batch), the same memory in both layouts.
  const std::vector<activation> feature_shapes = {{256, 2048, 1, 1, 0}, {65536, 64, 1, 1, 0}};
  const std::vector<activation> wav2vec_shapes = {{1, 512, 3199, 1, 512}, {4, 512, 3199, 1, 512}};
  // Channels that do not fill whole vectors: an RGB image (a network that
  // normalises its input with a batch norm), MobileNet V2's 24-channel
  // blocks and EfficientNet-B0's 40-channel ones, whose channels-last rows
  // end off a vector boundary.
  const std::vector<activation> mobile_shapes = {
      {8, 3, 224, 224, 0}, {8, 24, 56, 56, 0}, {8, 40, 28, 28, 0}};
  const method_shapes variants[] = {{"group_norm_bf16", &unet_shapes},
                                    {"group_norm_f16", &unet_shapes},
                                    {"group_norm_silu", &unet_shapes},
                                    {"group_norm_silu_bf16", &unet_shapes},
                                    {"group_norm_silu_f16", &unet_shapes},
                                    {"group_norm", &wav2vec_shapes},
                                    {"group_norm_gelu", &wav2vec_shapes},
                                    {"group_norm_gelu_bf16", &wav2vec_shapes},
                                    {"group_norm_gelu_f16", &wav2vec_shapes},
                                    {"batch_norm_inference_relu", &resnet_shapes},
                                    {"batch_norm_inference_relu_bf16", &resnet_shapes},
                                    {"batch_norm_inference_relu_f16", &resnet_shapes},
                                    {"batch_norm_training_bf16", &resnet_shapes},
                                    {"batch_norm_training_f16", &resnet_shapes},
                                    {"batch_norm_inference", &feature_shapes},
                                    {"batch_norm_training", &feature_shapes},
                                    {"batch_norm_inference", &mobile_shapes},
                                    {"batch_norm_training", &mobile_shapes},
                                    {"instance_norm_bf16", &instance_shape},
                                    {"instance_norm_f16", &instance_shape}};
  add_in_both_layouts(cases, variants);
  return cases;
}

}  // namespace simdnorm::bench
