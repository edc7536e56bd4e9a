// Group norm and instance norm (group norm with one channel a group):
// validation, then the first implementation that takes the call.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "api/channel_implementations.hpp"
#include "dispatch/implementation.hpp"
#include "dispatch/verbose.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "scalar/methods.hpp"
#include "schedule/aligned_vector.hpp"
#include "schedule/channel_steps.hpp"
#include "schedule/contiguous_sets.hpp"
#include "schedule/run_items.hpp"
#include "schedule/thread_policy.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

struct group_call {
  const void* x;  // elements of type, as y
  shape s;
  std::int64_t groups;
  const float* gamma;
  const float* beta;
  float eps;
  void* y;
  float* mean;
  float* rstd;
  activation act;
  dtype type;
};

std::string describe(const group_call& call) {
  return dispatch::describe_activation(call.s) + " groups:" + std::to_string(call.groups);
}

// An NCHW group is one contiguous run of its channels' planes: the
// contiguous-set schedule, as rows.
void nchw_sets(const group_call& a, const dispatch::path& p) {
  const std::int64_t sets = a.s.n * a.groups;
  kernels::contiguous_sets_args args{kernels::set_norm_kind::standardize,
                                     a.x,
                                     a.s.c * a.s.spatial / a.groups,
                                     a.s.spatial,
                                     a.groups,
                                     a.gamma,
                                     a.beta,
                                     a.eps,
                                     a.y,
                                     a.mean,
                                     a.rstd};
  args.act = a.act;
  args.type = a.type;
  schedule::normalize_contiguous_sets(p, args, sets);
}

// NHWC: the per-(n, c) moments of every sample in one parallel pass, merged
// into groups in channel order, then one parallel normalisation with
// per-(n, c) factors; on p's threads, with ws's buffers (allocated as
// needed, unless reserved for a's shape).
void nhwc_steps(const group_call& a, const dispatch::path& p, schedule::channel_workspace& ws) {
  const schedule::channel_steps steps(p);
  const std::int64_t width = a.s.c / a.groups;
  const std::vector<statistics::set_moments>& groups =
      steps.group_moments(a.x, a.s, a.groups, a.type, ws);
  std::vector<statistics::set_normalizer>& per_instance = ws.normalizers;
  per_instance.resize(static_cast<std::size_t>(a.s.n * a.s.c));
  for (std::int64_t set = 0; set < a.s.n * a.groups; ++set) {
    const statistics::set_normalizer normalizer =
        statistics::normalizer_of(groups[set].mean, groups[set].variance(), a.eps);
    std::fill_n(per_instance.begin() + set * width, width, normalizer);
  }
  steps.normalize(a.x, a.s, per_instance, true, a.gamma, a.beta, a.y, a.act, a.type, ws, true);
  // The statistics outputs last: normalize allocates before it writes y,
  // and nothing after its first write can fail. hi is the group's mean
  // rounded to float.
  for (std::int64_t set = 0; set < a.s.n * a.groups; ++set) {
    const statistics::set_normalizer& first = per_instance[set * width];
    if (a.mean != nullptr) a.mean[set] = first.hi;
    if (a.rstd != nullptr) a.rstd[set] = first.rstd;
  }
}

// Sample n of a, as a call of its own.
group_call sample_of(const group_call& a, std::int64_t n) {
  const std::int64_t bytes = a.s.c * a.s.spatial * element_size(a.type);
  group_call sample = a;
  sample.s.n = 1;
  sample.x = static_cast<const std::byte*>(a.x) + n * bytes;
  sample.y = static_cast<std::byte*>(a.y) + n * bytes;
  if (a.mean != nullptr) sample.mean = a.mean + n * a.groups;
  if (a.rstd != nullptr) sample.rstd = a.rstd + n * a.groups;
  return sample;
}

// Per-sample pipelines: with samples that deal out evenly over the threads
// (below), in a tensor that stays in the last-level cache, each thread takes
// whole samples, statistics then normalisation, one after the other. No thread
// waits for the others between the two passes, no merge reads partials another
// core wrote, and a sample's second read finds it in the cache of the core that
// made the first. The same steps on the same chunks, so the same bits as
// nhwc_steps over the whole call (whose halving is per sample too). Every
// buffer is reserved first, one workspace per thread, their scratch in one
// block: no sample's steps can fail after another's have written y. The static
// partitioner gives each piece, and its workspace, the same thread call after
// call (single-mode runs, 2 x 640 x 32 x 32: 120-123 us against 130-134
// without). Group norm NHWC G = 32, 2 threads, Zen 5, against the whole-call
// steps: 2 x 640 x 32 x 32 1.12x alternating in one process, 1.15-1.17x in
// separate processes (113-116 against 132 us); 2 x 1280 x 16 x 16 1.15x and
// 1.24-1.28x; 8 x 320 x 32 x 32 1.14x and 1.05-1.09x; 4 x 64 x 56 x 56 G = 64
// 1.11x and 1.03-1.04x. Past the cache (4 x 512 x 3199, 8 x 256 x 56 x 56) a
// prototype ran 0.88-0.95x, so not there. On one thread only where a sample's
// input fits in L2, which its second read then finds it in, where the whole
// call's normalisation read the tensor from L3 again: 2-core Xeon VM (2 MiB
// L2), C API, 3 alternating runs, us: group norm 4 x 64 x 56 x 56 G = 64 338 ->
// 254 (instance norm alike), 2 x 1280 x 16 x 16 G = 32 285 -> 235, 8 x 320 x 32
// x 32 1127 -> 968; bfloat16 4 x 64 x 56 x 56 165 -> 157; with SiLU 358 -> 345.
// Samples larger than L2 gained nothing (2 x 640 x 32 x 32 558 against 549, 8 x
// 256 x 56 x 56 3001 against 3069). On several threads only where the samples
// deal out evenly, within 5%: the threads given one sample more than the others
// set the time, and the whole-call steps split every pass evenly. Xeon VM, 2
// threads, us, pipelines against the steps: 3 samples, instance norm 3 x 128 x
// 128 x 128 1888 against 1365, group norm 3 x 320 x 32 x 32 250 against 175, 3
// x 64 x 56 x 56 104 against 78; 5 x 320 x 32 x 32 383 against 319; but 4 x 320
// x 32 x 32 232 against 244.
bool by_sample(const group_call& a, const dispatch::path& p) {
  const std::int64_t elements = a.s.n * a.s.c * a.s.spatial;
  if (a.s.n < 2 || elements < schedule::parallel_threshold) return false;
  const std::int64_t bytes = elements * element_size(a.type);
  if (!schedule::stays_in_cache(2 * bytes)) return false;
  const std::int64_t threads = p.threads();
  if (threads < 2) return bytes / a.s.n <= schedule::level2_cache_bytes();
  const std::int64_t most = (a.s.n + threads - 1) / threads;  // samples a thread
  return a.s.n >= threads && most * threads * 20 <= a.s.n * 21;
}

void nhwc_channels(const group_call& a, const dispatch::path& p) {
  if (!by_sample(a, p)) {
    schedule::channel_workspace ws;
    nhwc_steps(a, p, ws);
    return;
  }
  const std::int64_t pieces = p.threads();
  std::vector<schedule::channel_workspace> workspaces(static_cast<std::size_t>(pieces));
  const shape sample{1, a.s.c, a.s.spatial, a.s.layout};
  const std::size_t scratch_bytes = schedule::channel_workspace::scratch_bytes(sample);
  schedule::uninitialized_vector<std::byte> scratch(static_cast<std::size_t>(pieces) *
                                                    scratch_bytes);
  for (std::size_t k = 0; k < workspaces.size(); ++k) {
    workspaces[k].reserve(sample, a.groups, scratch.data() + k * scratch_bytes);
  }
  const dispatch::path one_thread(p.level, 1);
  schedule::run_parallel(p, pieces, 1, true, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t k = first; k < last; ++k) {
      const std::int64_t n1 = schedule::first_of_piece(k + 1, a.s.n, pieces);
      for (std::int64_t n = schedule::first_of_piece(k, a.s.n, pieces); n < n1; ++n) {
        nhwc_steps(sample_of(a, n), one_thread, workspaces[static_cast<std::size_t>(k)]);
      }
    }
  });
}

constexpr dispatch::implementation<group_call> implementations[] = {
    {"nchw_sets", api::unless_vector_in<group_call, layout::nchw>, nchw_sets},
    {"nhwc_channels", api::unless_vector_in<group_call, layout::nhwc>, nhwc_channels},
    {"scalar", dispatch::takes_every_call<group_call>,
     [](const group_call& a, const dispatch::path&) {
       scalar::group_norm(a.type, a.x, a.s, a.groups, a.gamma, a.beta, a.eps, a.act, a.y, a.mean,
                          a.rstd);
     }},
};

// Instance norm and group norm validate the same arguments, under their own
// names.
void checked_group_norm(const char* function, dtype type, const void* x, const shape& s,
                        std::int64_t groups, const float* gamma, const float* beta, float eps,
                        activation act, void* y, float* mean, float* rstd) {
  const validation::checker check(function);
  check.element_type(type);
  check.activation_kind(act);
  const std::int64_t count = check.activation(s);
  check.positive(groups, "groups");
  if (s.c % groups != 0) {
    check.fail("groups (" + std::to_string(groups) + ") must divide c (" + std::to_string(s.c) +
               ")");
  }
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.eps(eps);
  const std::int64_t sets = s.n * groups;
  const std::int64_t bytes = element_size(type);
  check.no_overlap({{x, count, "x", role::primary_input, bytes},
                    {y, count, "y", role::primary_output, bytes},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input},
                    {mean, sets, "mean", role::output},
                    {rstd, sets, "rstd", role::output}});
  dispatch::run_first_accepting(
      function, implementations,
      group_call{x, s, groups, gamma, beta, eps, y, mean, rstd, act, type});
}

}  // namespace

void instance_norm(const float* x, const shape& s, const float* gamma, const float* beta, float eps,
                   float* y, float* mean, float* rstd) {
  checked_group_norm("instance_norm", dtype::float32, x, s, s.c, gamma, beta, eps, activation::none,
                     y, mean, rstd);
}

void group_norm(const float* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd) {
  checked_group_norm("group_norm", dtype::float32, x, s, groups, gamma, beta, eps, activation::none,
                     y, mean, rstd);
}

void instance_norm(dtype type, const void* x, const shape& s, const float* gamma, const float* beta,
                   float eps, activation act, void* y, float* mean, float* rstd) {
  checked_group_norm("instance_norm", type, x, s, s.c, gamma, beta, eps, act, y, mean, rstd);
}

void group_norm(dtype type, const void* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, activation act, void* y, float* mean, float* rstd) {
  checked_group_norm("group_norm", type, x, s, groups, gamma, beta, eps, act, y, mean, rstd);
}

}  // namespace simdnorm
