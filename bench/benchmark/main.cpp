// simdnorm_bench: Google Benchmark families over the public C++ API. Rates are
// bytes of input read plus output written per second.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
