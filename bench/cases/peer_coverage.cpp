// Which cases each peer has an operation for, in one place for the peer's
// own file and its stand-in when the peer is missing.
#include <string>

#include "peer_library.hpp"

namespace simdnorm::bench {

namespace {

bool is_batch_norm(const std::string& method) {
  return method == "batch_norm_inference" || method == "batch_norm_training";
}

}  // namespace

bool onednn_covers(const case_spec& spec) {
  // oneDNN 2.6 has no group normalization primitive (3.3 added one), and
  // its batch norm has no running-statistics update or mean-only variant.
  return spec.method == "layer_norm" || is_batch_norm(spec.method);
}

bool aten_covers(const case_spec& spec) {
  // ATen 1.13 has no RMS norm (torch 2.4 added one) and no batch-instance,
  // switchable or mean-only batch norm; _weight_norm_interface is the fused
  // kernel behind torch.nn.utils.weight_norm.
  return spec.method == "layer_norm" || is_batch_norm(spec.method) || spec.method == "group_norm" ||
         spec.method == "instance_norm" || spec.method == "weight_norm";
}

}  // namespace simdnorm::bench
