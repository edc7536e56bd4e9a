// Results depend on the data and the shape only: repeated calls, calls from
// many threads at once (plain, in arenas of their own, inside parallel loops),
// calls inside oneTBB arenas of any size, on the caller's own thread pool,
// under a thread cap and on a thread with a small stack give the same bits.
#include <gtest/gtest.h>
#include <pthread.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "method_calls.hpp"
#include "pthread_pool.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

// Each kernel call writes its outputs into one vector, concatenated.
using kernel_call = std::function<std::vector<float>()>;

// Where run_on_own_outputs puts the buffers a call writes: one after the
// other in one vector (wherever the allocator puts it), or each one float
// past a 64-byte boundary, the same offset in every run, so that a vector
// path's heads and tails (outputs off a vector boundary take their first
// and last elements one at a time) cover the same elements in every run.
enum class placement { packed, off_a_vector_boundary };

// Runs prepared's call with every buffer it writes (outputs, running
// statistics) in storage of its own, starting from prepared's values, and
// returns those buffers' contents, concatenated. The inputs stay
// prepared's, read by every caller at once, as a model's weights are.
std::vector<float> run_on_own_outputs(call& prepared, placement where = placement::packed) {
  const method& m = *prepared.m;
  constexpr std::size_t line = 64 / sizeof(float);
  const bool off = where == placement::off_a_vector_boundary;
  std::vector<std::size_t> starts(m.buffers.size());
  std::size_t end = 0;
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    if (!methods::is_output(m.buffers[i].kind)) continue;
    starts[i] = off ? (end + line - 1) / line * line + 1 : end;
    end = starts[i] + prepared.buffers[i].size();
  }
  std::vector<float> storage(end + line);
  // The first float of storage on a 64-byte boundary (data() is float-aligned).
  const std::size_t base =
      off ? (line - reinterpret_cast<std::uintptr_t>(storage.data()) / sizeof(float) % line) % line
          : 0;
  arguments a = prepared.args();
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    if (!methods::is_output(m.buffers[i].kind) || prepared.buffers[i].empty()) continue;
    float* const at = storage.data() + base + starts[i];
    std::copy(prepared.buffers[i].begin(), prepared.buffers[i].end(), at);
    a.*(m.buffers[i].field) = at;
  }
  m.cpp(a);
  std::vector<float> written;
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    if (!methods::is_output(m.buffers[i].kind)) continue;
    const auto first = storage.begin() + static_cast<std::ptrdiff_t>(base + starts[i]);
    written.insert(written.end(), first,
                   first + static_cast<std::ptrdiff_t>(prepared.buffers[i].size()));
  }
  return written;
}

// A call of every method of the table in each of its layouts, on each of
// problems(method, layout), with every optional buffer passed.
template <class Problems>
std::vector<kernel_call> calls_of_every_method(Problems problems) {
  std::vector<kernel_call> calls;
  for (const method_layout& k : method_layouts()) {
    for (const problem& p : problems(*k.m, k.layout)) {
      // 1e4 + N(0, 1): the sums' rounding is most sensitive to their order.
      const auto prepared =
          std::make_shared<call>(*k.m, p, variant{}, seed_of(p), data_family::offset);
      calls.push_back([prepared] { return run_on_own_outputs(*prepared); });
    }
  }
  return calls;
}

// A problem of each method and layout that reaches a threaded path (above
// 32K floats): the split of a reduction into chunks depends on the shape
// alone, so the bits must not depend on the threads that run it.
std::vector<problem> threaded_problem(const method& m, layout_kind l) {
  if (m.rows) {
    // A dataset of many rows of a few features, its statistics merged chunk
    // by chunk of rows.
    if (std::string(m.d_name) == "features") return {rows_problem(4099, 16)};
    // One row longer than a chunk (16K floats), of no multiple of a chunk
    // or a vector: split.
    return {rows_problem(1, 65537)};
  }
  if (l == layout_kind::nhwc) {
    // Rows of 64 channels, whole vectors, reduced in chunks of rows that
    // are merged in a fixed order.
    return {activation_problem({2, 64, 512, layout::nchw}, l, m.grouped ? 8 : 0)};
  }
  if (m.training) {
    // Three channels: one thread reduces the batch statistics channel by
    // channel, more threads plane by plane (split along n); the same bits.
    return {activation_problem({4, 3, 10000, layout::nchw}, l, 0)};
  }
  // N = 1 with planes of 30011 floats: sets longer than a chunk and fewer
  // than threads, and (G = 1) planes cut by chunk boundaries, where an
  // element's bits must not depend on which side it falls.
  return {activation_problem({1, 3, 30011, layout::nchw}, l, m.grouped ? 1 : 0)};
}

// Made once: filling the inputs costs more than the calls.
const std::vector<kernel_call>& kernel_calls() {
  static const std::vector<kernel_call> calls = calls_of_every_method(threaded_problem);
  return calls;
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
  // Twelve callers at once, each running every kernel once in its own order: plain threads, threads
  // in arenas of their own (1 to 4 threads), and threads whose calls run inside a
  // tbb::parallel_for, so that the kernels' own parallel loops nest in a busy arena. Any state
  // shared between calls, or a schedule that depended on who calls, would show up as different
  // bits.
  const std::vector<kernel_call> calls = kernel_calls();
  std::vector<std::vector<float>> serial;
  for (const kernel_call& call : calls) serial.push_back(call());

  constexpr int callers = 12, rounds = 1;
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
  const std::vector<kernel_call> calls =
      calls_of_every_method([](const method& m, layout_kind l) -> std::vector<problem> {
        if (m.rows) return {rows_problem(8, 512)};
        return {activation_problem({l == layout_kind::nhwc ? 2 : 4, 32, 64, layout::nchw}, l,
                                   m.grouped ? 8 : 0)};
      });
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

// Stores at element i of a data buffer of m's type a quiet NaN, positive
// (which 0) or negative (1), each with a payload of its own, or an infinity
// (2): values whose bits outputs may carry in more than one way.
void store_non_finite(const method& m, std::vector<float>& storage, std::int64_t i, int which) {
  if (m.type == dtype::float32) {
    const std::uint32_t bits[] = {0x7fc12345u, 0xffc0abcdu, 0x7f800000u};
    std::memcpy(storage.data() + i, &bits[which], sizeof bits[which]);
    return;
  }
  const std::uint16_t bfloat16_bits[] = {0x7fc5, 0xffc9, 0x7f80};
  const std::uint16_t float16_bits[] = {0x7e05, 0xfe09, 0x7c00};
  const std::uint16_t bits = m.type == dtype::bfloat16 ? bfloat16_bits[which] : float16_bits[which];
  std::memcpy(reinterpret_cast<char*>(storage.data()) + i * 2, &bits, sizeof bits);
}

// The bits of one thread whatever the thread count, for data holding NaNs
// and infinities, with every output off a vector boundary. A NaN's sign and
// payload follow the instruction that made it (which operand an addition or
// an FMA passes on), where every finite result is the same whichever
// instructions give it; so an element that one split normalises in a head
// or tail, one at a time, and another in a vector lane (a chunk of a long
// set starting mid-vector) could differ in its NaN alone, which the finite
// data of the tests above cannot show. Each method's threaded problem (sets
// longer than a chunk and fewer than the threads, planes cut by chunk
// boundaries), its data (x, and a fused add's residual) holding the three
// values of store_non_finite beside chunk boundaries (elements 16383 and
// 16384, 32767 and 32768) and at sevenths of the tensor, in arenas of 1 to
// 8 threads.
TEST(Determinism, NonFiniteDataGivesTheBitsOfOneThreadWithOutputsOffAVectorBoundary) {
  std::vector<std::shared_ptr<call>> prepared;
  std::vector<std::string> names;
  std::vector<std::vector<float>> finite_outputs;
  for (const method_layout& k : method_layouts()) {
    for (const problem& p : threaded_problem(*k.m, k.layout)) {
      const method& m = *k.m;
      auto c = std::make_shared<call>(m, p, variant{}, seed_of(p), data_family::offset);
      finite_outputs.push_back(run_on_own_outputs(*c, placement::off_a_vector_boundary));
      for (std::size_t i = 0; i < m.buffers.size(); ++i) {
        const buffer& b = m.buffers[i];
        if (b.holds != contents::data || methods::is_output(b.kind) || c->buffers[i].empty()) {
          continue;
        }
        const std::int64_t count = methods::size_of(b.size, p);
        // (element, value): both NaNs on both sides of each boundary.
        const std::pair<std::int64_t, int> at[] = {{16383, 0},
                                                   {16384, 1},
                                                   {32767, 1},
                                                   {32768, 0},
                                                   {count / 7, 2},
                                                   {3 * count / 7 + 1, 0},
                                                   {5 * count / 7 + 2, 1}};
        for (const auto& [element, which] : at) {
          if (element < count) store_non_finite(m, c->buffers[i], element, which);
        }
      }
      prepared.push_back(std::move(c));
      names.push_back(name_of(k));
    }
  }
  ASSERT_FALSE(prepared.empty());
  std::vector<std::vector<float>> one_thread;
  {
    tbb::task_arena arena(1);
    for (const auto& c : prepared) {
      arena.execute(
          [&] { one_thread.push_back(run_on_own_outputs(*c, placement::off_a_vector_boundary)); });
    }
  }
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    // Not a vacuous comparison: the non-finite values reach the outputs.
    EXPECT_FALSE(same_bits(one_thread[i], finite_outputs[i])) << names[i];
  }
  for (int threads : {2, 3, 4, 8}) {
    tbb::task_arena arena(threads);
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      std::vector<float> got;
      arena.execute(
          [&] { got = run_on_own_outputs(*prepared[i], placement::off_a_vector_boundary); });
      EXPECT_TRUE(same_bits(got, one_thread[i])) << names[i] << ", " << threads << " threads";
    }
  }
}

// Every method's threaded problem on a plain pthread pool handed over
// through the C API, as a C engine hands its own, under sn_set_max_threads
// and on oneTBB: the bits of one thread.
TEST(Determinism, CallersPoolAndThreadCapGiveTheBitsOfOneThread) {
  const default_threads_at_exit restore;
  const std::vector<kernel_call>& calls = kernel_calls();
  ASSERT_EQ(sn_set_max_threads(1), SN_OK);
  EXPECT_EQ(sn_max_threads(), 1);
  std::vector<std::vector<float>> one_thread;
  for (const kernel_call& call : calls) one_thread.push_back(call());

  // workers (0: no pool, oneTBB), whether the calling thread takes part,
  // the threads the pool declares, the cap (0: none).
  const std::tuple<int, bool, int, int> setups[] = {
      {3, true, 4, 0},   // an engine's pool of 4, the caller one of them
      {2, false, 2, 0},  // the workers run every item
      {1, true, 8, 0},   // more threads declared than run: finer splits
      {3, true, 4, 2},   // capped below the pool: at most 2 pieces a loop
      {3, true, 4, 1},   // capped to the calling thread: the pool is never called
      {0, false, 0, 2},  // oneTBB under a cap
      {0, false, 0, 0},  // oneTBB as it comes: the pools' bits are oneTBB's
  };
  for (const auto& [workers, caller_helps, declared, cap] : setups) {
    const std::string setup = std::to_string(workers) + " workers, " + std::to_string(declared) +
                              " declared, cap " + std::to_string(cap);
    pthread_pool pool(workers, caller_helps);
    ASSERT_EQ(sn_set_max_threads(cap), SN_OK);
    ASSERT_EQ(
        sn_set_parallel_for(workers > 0 ? &pthread_pool::parallel_for : nullptr, &pool, declared),
        SN_OK);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      EXPECT_TRUE(same_bits(calls[i](), one_thread[i])) << setup << ", call " << i;
    }
    ASSERT_EQ(sn_set_parallel_for(nullptr, nullptr, 0), SN_OK);  // before the pool goes
    if (workers == 0) continue;
    if (cap == 1 || !vector_path()) {
      EXPECT_EQ(pool.loops(), 0) << setup;
    } else {
      EXPECT_GT(pool.loops(), 0) << setup;
      if (!caller_helps) {
        EXPECT_GT(pool.items_run_by_workers(), 0) << setup;
      }
    }
  }
}

// The problems of each method and layout that reach its largest stack
// buffers: a fused add's rows of 16384 floats, the most its kernel stages
// in its 64 KiB buffer on the stack; NHWC rows of 512 channels, 2 KiB
// apart, whose statistics copy each block into a buffer on the stack (two
// of 16 KiB where the tiles are pipelined).
std::vector<problem> stack_problem(const method& m, layout_kind l) {
  if (m.rows) {
    if (std::string(m.d_name) == "features") return {rows_problem(130, 512)};
    return {rows_problem(2, 16384)};
  }
  return {activation_problem({2, 512, 130, layout::nchw}, l, m.grouped ? 32 : 0)};
}

// Runs body on a new thread of stack_bytes of stack; false if the thread
// could not be made with that stack.
bool run_on_stack_of(std::size_t stack_bytes, const std::function<void()>& body) {
  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) return false;
  const bool sized = pthread_attr_setstacksize(&attributes, stack_bytes) == 0;
  pthread_t thread;
  const auto start = [](void* context) -> void* {
    (*static_cast<const std::function<void()>*>(context))();
    return nullptr;
  };
  const bool started = sized && pthread_create(&thread, &attributes, start,
                                               const_cast<std::function<void()>*>(&body)) == 0;
  pthread_attr_destroy(&attributes);
  if (started) pthread_join(thread, nullptr);
  return started;
}

// Every call runs on a thread of 256 KiB of stack, as an engine's pool may
// give its threads (musl's default is 128 KiB, macOS's 512 KiB), with the
// bits it has on the main thread (8 MiB). Capped to one thread, so that
// every kernel runs on that stack; a call that overflowed it would crash
// the test. What README.md (Threads) asks of a thread that calls simdnorm:
// room for a 64 KiB buffer besides its own frames.
TEST(Determinism, CallsOnASmallStackGiveTheBitsOfTheMainThread) {
  const default_threads_at_exit restore;
  ASSERT_EQ(sn_set_max_threads(1), SN_OK);
  const std::vector<kernel_call> calls = calls_of_every_method(stack_problem);
  std::vector<std::vector<float>> on_main;
  for (const kernel_call& call : calls) on_main.push_back(call());
  std::vector<std::vector<float>> on_small(calls.size());
  bool threw = false;
  ASSERT_TRUE(run_on_stack_of(std::size_t{256} << 10, [&] {
    try {
      for (std::size_t i = 0; i < calls.size(); ++i) on_small[i] = calls[i]();
    } catch (...) {
      threw = true;
    }
  }));
  ASSERT_FALSE(threw);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_FALSE(on_small[i].empty()) << "call " << i;
    EXPECT_TRUE(same_bits(on_small[i], on_main[i])) << "call " << i;
  }
}

// Callers on four threads while a fifth switches between two pools and the
// cap: each call keeps the pool it started with (the pools outlive every
// call), and the bits are one thread's. No oneTBB on the way, so that
// ThreadSanitizer can judge it (scripts/sanitize.sh thread).
TEST(Determinism, ThreadSettingsChangedDuringCallsKeepTheBits) {
  const default_threads_at_exit restore;
  const std::vector<kernel_call>& calls = kernel_calls();
  ASSERT_EQ(sn_set_max_threads(1), SN_OK);
  std::vector<std::vector<float>> one_thread;
  for (const kernel_call& call : calls) one_thread.push_back(call());

  pthread_pool first(2, true), second(1, false);
  ASSERT_EQ(sn_set_parallel_for(&pthread_pool::parallel_for, &first, 3), SN_OK);
  ASSERT_EQ(sn_set_max_threads(0), SN_OK);
  constexpr int callers = 4;
  std::vector<int> mismatches(callers, 0);
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int caller = 0; caller < callers; ++caller) {
    threads.emplace_back([&, caller] {
      for (std::size_t k = static_cast<std::size_t>(caller); k < calls.size(); k += 2) {
        if (!same_bits(calls[k](), one_thread[k])) ++mismatches[caller];
      }
      ++finished;
    });
  }
  for (int round = 0; finished.load() < callers; ++round) {
    switch (round % 4) {
      case 0:
        sn_set_parallel_for(&pthread_pool::parallel_for, &second, 2);
        break;
      case 1:
        sn_set_max_threads(1);
        break;
      case 2:
        sn_set_max_threads(0);
        break;
      default:
        sn_set_parallel_for(&pthread_pool::parallel_for, &first, 3);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(sn_set_parallel_for(nullptr, nullptr, 0), SN_OK);  // before the pools go
  for (int caller = 0; caller < callers; ++caller) {
    EXPECT_EQ(mismatches[caller], 0) << "caller " << caller;
  }
  if (vector_path()) {
    EXPECT_GT(first.loops() + second.loops(), 0);
  }
}

// An NHWC sample whose mean passes 2^103 is normalised halved, as x/2
// (statistics/normalizer.hpp), which rounds data below 2^-125. The halving
// is per sample, so a sample of tiny data beside it keeps the bits it has
// alone, and the call the same bits whether its samples are normalised
// together (one thread) or each on its own thread (the per-sample pipelines
// of api/group_norms.cpp).
TEST(Determinism, NhwcSampleHalvedForOverflowLeavesTheOtherSampleAlone) {
  const sn_shape s{2, 16, 2048, SN_LAYOUT_NHWC};
  const std::int64_t groups = 4, per_sample = s.c * s.spatial;
  std::vector<float> x(static_cast<std::size_t>(2 * per_sample));
  for (std::int64_t i = 0; i < per_sample; ++i) {
    x[static_cast<std::size_t>(i)] = 1e35f + static_cast<float>(i % 5) * 1e33f;
    // Odd multiples of the smallest subnormal: x/2 rounds them.
    x[static_cast<std::size_t>(per_sample + i)] = static_cast<float>(i % 7) * 0x1p-149f;
  }
  const auto group_norm = [&](const float* in, std::int64_t n, int threads) {
    std::vector<float> y(static_cast<std::size_t>(n * per_sample));
    tbb::task_arena arena(threads);
    arena.execute([&] {
      const sn_shape shape{n, s.c, s.spatial, s.layout};
      EXPECT_EQ(
          sn_group_norm(in, shape, groups, nullptr, nullptr, 1e-5f, y.data(), nullptr, nullptr),
          SN_OK);
    });
    return y;
  };
  const std::vector<float> one_thread = group_norm(x.data(), 2, 1);
  EXPECT_TRUE(same_bits(group_norm(x.data(), 2, 2), one_thread));
  const std::vector<float> alone = group_norm(x.data() + per_sample, 1, 1);
  EXPECT_TRUE(
      same_bits(std::vector<float>(one_thread.begin() + per_sample, one_thread.end()), alone));
  // Not a vacuous comparison: the tiny sample's outputs are not all equal.
  EXPECT_NE(alone.front(), alone[1]);
}

// NHWC calls with 32K merges of chunk statistics or more (1024 channels x
// 32 chunks of 64 rows), which are merged on several threads
// (schedule/thread_policy.hpp, floats_per_merge): the same bits as on one.
// Every type; the activations, which map y after the statistics and their
// merges, are left to the smaller threaded problems above.
TEST(Determinism, NhwcMergesSplitAcrossThreadsMatchOneThread) {
  const std::vector<kernel_call> calls =
      calls_of_every_method([](const method& m, layout_kind l) -> std::vector<problem> {
        if (m.rows || l != layout_kind::nhwc || m.act != activation::none) return {};
        return {activation_problem({1, 1024, 2048, layout::nchw}, l, m.grouped ? 32 : 0)};
      });
  ASSERT_FALSE(calls.empty());
  std::vector<std::vector<float>> one_thread;
  {
    tbb::task_arena arena(1);
    for (const kernel_call& call : calls) arena.execute([&] { one_thread.push_back(call()); });
  }
  for (int threads : {2, 4}) {
    tbb::task_arena arena(threads);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      std::vector<float> got;
      arena.execute([&] { got = calls[i](); });
      EXPECT_TRUE(same_bits(got, one_thread[i])) << threads << " threads, call " << i;
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
