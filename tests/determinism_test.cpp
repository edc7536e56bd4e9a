// Results depend on the data and the shape only: repeated calls, calls from
// many threads at once (plain, in arenas of their own, inside parallel loops),
// and calls inside oneTBB arenas of any size give the same bits.
#include <gtest/gtest.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
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

TEST(Determinism, CallsFromEveryKindOfCallerAtOnceMatchSerialCalls) {
  // Twelve callers at once, each running every kernel three times in its own
  // order: plain threads, threads in arenas of their own (1 to 4 threads),
  // and threads whose calls run inside a tbb::parallel_for, so that the
  // kernels' own parallel loops nest in a busy arena. Any state shared
  // between calls, or a schedule that depended on who calls, would show up
  // as different bits.
  const std::vector<kernel_call> calls = kernel_calls();
  std::vector<std::vector<float>> serial;
  for (const kernel_call& call : calls) serial.push_back(call());

  constexpr int callers = 12, rounds = 3;
  const std::size_t per_caller = rounds * calls.size();
  std::vector<std::vector<std::vector<float>>> got(callers,
                                                   std::vector<std::vector<float>>(per_caller));
  const auto call_of = [&](int caller, std::size_t k) { return (k + caller) % calls.size(); };
  std::vector<std::thread> threads;
  for (int caller = 0; caller < callers; ++caller) {
    threads.emplace_back([&, caller] {
      std::vector<std::vector<float>>& mine = got[caller];
      const auto run = [&](std::size_t k) { mine[k] = calls[call_of(caller, k)](); };
      switch (caller % 3) {
        case 0:
          for (std::size_t k = 0; k < per_caller; ++k) run(k);
          break;
        case 1: {
          tbb::task_arena arena(1 + caller % 4);
          arena.execute([&] {
            for (std::size_t k = 0; k < per_caller; ++k) run(k);
          });
          break;
        }
        default:
          tbb::parallel_for(std::size_t{0}, per_caller, [&](std::size_t k) { run(k); });
          break;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int caller = 0; caller < callers; ++caller) {
    for (std::size_t k = 0; k < per_caller; ++k) {
      EXPECT_TRUE(same_bits(got[caller][k], serial[call_of(caller, k)]))
          << "caller " << caller << " (kind " << caller % 3 << "), call " << call_of(caller, k);
    }
  }
}

// Calls below the parallel threshold run on the caller's thread alone, with
// no oneTBB task in between: sixteen threads hammering every kind of kernel
// at once must get the serial bits. Under ThreadSanitizer
// (scripts/sanitize.sh thread) this is the test with nothing hidden from the
// tool, so any state two callers share shows up as a race.
TEST(Determinism, SmallCallsFromManyThreadsMatchSerialCalls) {
  static const std::vector<float> x = offset_normal(8 * 512, 31u);
  static const shape nhwc{2, 32, 64, layout::nhwc}, nchw{4, 16, 64, layout::nchw};
  const std::vector<kernel_call> calls = {
      [] {
        std::vector<float> y(x.size() + 16);
        layer_norm(x.data(), 8, 512, nullptr, nullptr, eps, y.data(), y.data() + x.size(),
                   y.data() + x.size() + 8);
        return y;
      },
      [] {
        std::vector<float> y(x.size() + 8);
        rms_norm(x.data(), 8, 512, nullptr, nullptr, eps, y.data(), y.data() + x.size());
        return y;
      },
      [] {
        std::vector<float> y(x.size() + 32);
        group_norm(x.data(), nhwc, 8, nullptr, nullptr, eps, y.data(), y.data() + x.size(),
                   y.data() + x.size() + 16);
        return y;
      },
      [] {
        std::vector<float> y(x.size() + 32), running(32, 0.0f);
        batch_norm_training(x.data(), nchw, running.data(), running.data() + 16, nullptr, nullptr,
                            0.1f, eps, running_var_kind::unbiased, y.data(), nullptr, nullptr);
        std::copy(running.begin(), running.end(), y.end() - 32);
        return y;
      },
      [] {
        std::vector<float> y(x.size() + 128);
        instance_norm(x.data(), nchw, nullptr, nullptr, eps, y.data(), y.data() + x.size(),
                      y.data() + x.size() + 64);
        return y;
      },
      [] {
        std::vector<float> y(x.size() + 8), g(8, 1.5f);
        weight_norm(x.data(), g.data(), 8, 512, y.data(), y.data() + x.size());
        return y;
      },
  };
  std::vector<std::vector<float>> serial;
  for (const kernel_call& call : calls) serial.push_back(call());

  constexpr int callers = 16, rounds = 20;
  std::vector<int> mismatches(callers, 0);
  std::vector<std::thread> threads;
  for (int caller = 0; caller < callers; ++caller) {
    threads.emplace_back([&, caller] {
      for (int round = 0; round < rounds; ++round) {
        const std::size_t k = static_cast<std::size_t>(caller + round) % calls.size();
        if (!same_bits(calls[k](), serial[k])) ++mismatches[caller];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int caller = 0; caller < callers; ++caller) {
    EXPECT_EQ(mismatches[caller], 0) << "caller " << caller;
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
