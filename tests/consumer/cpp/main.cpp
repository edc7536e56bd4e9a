// Uses an installed simdnorm through its C++ API only, as an outside project
// would: layer norm on 2 x 3 data checked against hand-computed values, and a
// bad argument that must throw std::invalid_argument naming it, leaving the
// output untouched.
#include <cmath>
#include <cstdio>
#include <simdnorm/simdnorm.hpp>
#include <stdexcept>
#include <string>

namespace {

int failures = 0;

void expect(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

bool near(float actual, double expected, double tolerance) {
  return std::fabs(static_cast<double>(actual) - expected) <= tolerance;
}

void layer_norm_matches_hand_computed_values() {
  // Row 0: {1, 2, 3}: mean 2, biased variance 2/3. Row 1: {-4, 0, 4}: mean 0,
  // variance 32/3. With eps = 1e-5: rstd = 1 / sqrt(var + eps).
  const float x[6] = {1.f, 2.f, 3.f, -4.f, 0.f, 4.f};
  const float gamma[3] = {1.f, 2.f, 0.5f};
  const float beta[3] = {0.f, 1.f, -1.f};
  float y[6];
  float mean[2];
  float rstd[2];
  const float eps = 1e-5f;
  simdnorm::layer_norm(x, 2, 3, gamma, beta, eps, y, mean, rstd);

  const double rstd0 = 1.0 / std::sqrt(2.0 / 3.0 + static_cast<double>(eps));
  const double rstd1 = 1.0 / std::sqrt(32.0 / 3.0 + static_cast<double>(eps));
  const double expected[6] = {-1.0 * rstd0 * 1.0 + 0.0, 0.0 * rstd0 * 2.0 + 1.0,
                              1.0 * rstd0 * 0.5 - 1.0,  -4.0 * rstd1 * 1.0 + 0.0,
                              0.0 * rstd1 * 2.0 + 1.0,  4.0 * rstd1 * 0.5 - 1.0};
  // float32 arithmetic on O(1) values: a few ulps.
  const double tolerance = 1e-5;
  for (int i = 0; i < 6; ++i) {
    expect(near(y[i], expected[i], tolerance), ("layer_norm y[" + std::to_string(i) + "]").c_str());
  }
  expect(near(mean[0], 2.0, tolerance), "layer_norm mean[0] == 2");
  expect(near(mean[1], 0.0, tolerance), "layer_norm mean[1] == 0");
  expect(near(rstd[0], rstd0, tolerance), "layer_norm rstd[0]");
  expect(near(rstd[1], rstd1, tolerance), "layer_norm rstd[1]");
}

void bad_eps_throws_invalid_argument_naming_it() {
  const float x[6] = {1.f, 2.f, 3.f, 4.f, 5.f, 6.f};
  float y[6] = {7.f, 7.f, 7.f, 7.f, 7.f, 7.f};
  bool threw = false;
  try {
    simdnorm::layer_norm(x, 2, 3, nullptr, nullptr, -1.f, y, nullptr, nullptr);
  } catch (const std::invalid_argument& e) {
    threw = true;
    expect(std::string(e.what()).find("eps") != std::string::npos,
           "the invalid_argument message names eps");
  }
  expect(threw, "layer_norm with eps = -1 throws std::invalid_argument");
  bool untouched = true;
  for (float value : y) untouched = untouched && value == 7.f;
  expect(untouched, "a refused call writes nothing to y");
}

}  // namespace

int main() {
  std::printf("simdnorm %s\n", simdnorm::version());
  layer_norm_matches_hand_computed_values();
  bad_eps_throws_invalid_argument_naming_it();
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("C++ consumer: all checks passed\n");
  return 0;
}
