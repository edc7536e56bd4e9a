// Results depend on the data and the shape only: repeated calls, calls from
// many threads at once, and calls inside oneTBB arenas of any size give the
// same bits.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;

// Each kernel call writes its outputs into one vector, concatenated.
using kernel_call = std::function<std::vector<float>()>;

std::vector<kernel_call> kernel_calls() {
  // Large enough for the future threaded paths (hundreds of thousands of
  // elements, N = 1 so a single set is split as well).
  static const shape nchw{1, 32, 4096, layout::nchw};
  static const shape nhwc{4, 64, 1024, layout::nhwc};
  static const std::vector<float> x1 = offset_normal(element_count(nchw), 21u);
  static const std::vector<float> x2 = normal(element_count(nhwc), 22u);
  return {
      [] {
        std::vector<float> y(x1.size() + 2);
        layer_norm(x1.data(), 1, static_cast<std::int64_t>(x1.size()), nullptr, nullptr, eps,
                   y.data(), y.data() + x1.size(), y.data() + x1.size() + 1);
        return y;
      },
      [] {
        // Group norm with one group per sample and N = 1: one set, split.
        std::vector<float> y(x1.size() + 2);
        group_norm(x1.data(), nchw, 1, nullptr, nullptr, eps, y.data(), y.data() + x1.size(),
                   y.data() + x1.size() + 1);
        return y;
      },
      [] {
        // Planes of 30011 floats, cut by chunk boundaries when the set is
        // split: an element's bits must not depend on where.
        const shape odd{1, 3, 30011, layout::nchw};
        std::vector<float> y(element_count(odd) + 2);
        const std::vector<float> gamma = {1.5f, -0.5f, 2.0f}, beta = {0.25f, 0.0f, -1.0f};
        group_norm(x1.data(), odd, 1, gamma.data(), beta.data(), eps, y.data(),
                   y.data() + element_count(odd), y.data() + element_count(odd) + 1);
        return y;
      },
      [] {
        // Three rows of a length that is no multiple of a chunk or a vector.
        const std::int64_t d = 43691;
        std::vector<float> y(3 * d + 3);
        rms_norm(x2.data(), 3, d, x2.data() + 3 * d, nullptr, eps, y.data(), y.data() + 3 * d);
        return y;
      },
      [] {
        std::vector<float> y(x1.size() + 2);
        weight_norm(x2.data(), x1.data(), 2, static_cast<std::int64_t>(x1.size()) / 2, y.data(),
                    y.data() + x1.size());
        return y;
      },
      [] {
        std::vector<float> y(x2.size() + 2 * 4 * 8);
        group_norm(x2.data(), nhwc, 8, nullptr, nullptr, eps, y.data(), y.data() + x2.size(),
                   y.data() + x2.size() + 32);
        return y;
      },
      [] {
        std::vector<float> y(x1.size() + 2 * 32);
        batch_norm_training(x1.data(), shape{8, 32, 512, layout::nchw}, nullptr, nullptr, nullptr,
                            nullptr, 0.1f, eps, running_var_kind::unbiased, y.data(),
                            y.data() + x1.size(), y.data() + x1.size() + 32);
        return y;
      },
      [] {
        // Three channels: one thread reduces them channel by channel, more
        // threads plane by plane (split along n); the same bits.
        const shape few{4, 3, 10000, layout::nchw};
        std::vector<float> y(element_count(few) + 2 * 3);
        batch_norm_training(x1.data(), few, nullptr, nullptr, nullptr, nullptr, 0.1f, eps,
                            running_var_kind::unbiased, y.data(), y.data() + element_count(few),
                            y.data() + element_count(few) + 3);
        return y;
      },
      [] {
        std::vector<float> y(x2.size() + 64);
        batch_norm_training(x2.data(), nhwc, nullptr, nullptr, nullptr, nullptr, 0.1f, eps,
                            running_var_kind::unbiased, y.data(), y.data() + x2.size(), nullptr);
        return y;
      },
      [] {
        std::vector<float> y(x2.size());
        const switch_weights w{{0.5f, 0.25f, 0.25f}, {0.25f, 0.5f, 0.25f}};
        switchable_norm_training(x2.data(), nhwc, nullptr, nullptr, nullptr, nullptr, w, 0.1f, eps,
                                 y.data());
        return y;
      },
  };
}

TEST(Determinism, RepeatedCallsAreBitwiseIdentical) {
  for (const kernel_call& call : kernel_calls()) {
    EXPECT_TRUE(same_bits(call(), call()));
  }
}

TEST(Determinism, ConcurrentCallsMatchSerialCalls) {
  const std::vector<kernel_call> calls = kernel_calls();
  std::vector<std::vector<float>> serial;
  for (const kernel_call& call : calls) serial.push_back(call());

  // Two threads per kernel, all at once.
  std::vector<std::vector<float>> concurrent(2 * calls.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < concurrent.size(); ++i) {
    threads.emplace_back([&, i] { concurrent[i] = calls[i % calls.size()](); });
  }
  for (std::thread& t : threads) t.join();
  for (std::size_t i = 0; i < concurrent.size(); ++i) {
    EXPECT_TRUE(same_bits(concurrent[i], serial[i % calls.size()])) << "call " << i;
  }
}

TEST(Determinism, ArenaSizeDoesNotChangeResults) {
  const std::vector<kernel_call> calls = kernel_calls();
  std::vector<std::vector<float>> serial;
  for (const kernel_call& call : calls) serial.push_back(call());
  for (int threads : {1, 2, 3, 4, 8}) {
    tbb::task_arena arena(threads);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      std::vector<float> got;
      arena.execute([&] { got = calls[i](); });
      EXPECT_TRUE(same_bits(got, serial[i])) << threads << " threads, call " << i;
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
