/* Uses an installed simdnorm through its C API only, compiled as C11: layer
 * norm and group norm (both layouts) checked against hand-computed values,
 * and a bad call that must return SN_ERROR_INVALID_ARGUMENT with a message,
 * leaving the output untouched. Built both through the CMake package and
 * through pkg-config. */
#include <math.h>
#include <simdnorm/simdnorm.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

static void expect(int condition, const char* what) {
  if (!condition) {
    fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

/* float32 arithmetic on O(1) values: a few ulps. */
static int near(float actual, double expected) { return fabs((double)actual - expected) <= 1e-5; }

static void layer_norm_matches_hand_computed_values(void) {
  /* Row 0: {1, 2, 3}: mean 2, biased variance 2/3. Row 1: {10, 10, 16}: mean
   * 12, variance 8. No affine parameters. */
  const float x[6] = {1.f, 2.f, 3.f, 10.f, 10.f, 16.f};
  const float eps = 1e-5f;
  float y[6];
  float mean[2];
  float rstd[2];
  const double rstd0 = 1.0 / sqrt(2.0 / 3.0 + (double)eps);
  const double rstd1 = 1.0 / sqrt(8.0 + (double)eps);
  const double expected[6] = {-rstd0, 0.0, rstd0, -2.0 * rstd1, -2.0 * rstd1, 4.0 * rstd1};
  int i;

  expect(sn_layer_norm(x, 2, 3, NULL, NULL, eps, y, mean, rstd) == SN_OK, "sn_layer_norm is OK");
  for (i = 0; i < 6; ++i) expect(near(y[i], expected[i]), "sn_layer_norm y");
  expect(near(mean[0], 2.0) && near(mean[1], 12.0), "sn_layer_norm mean");
  expect(near(rstd[0], rstd0) && near(rstd[1], rstd1), "sn_layer_norm rstd");
}

static void group_norm_matches_hand_computed_values(sn_layout layout) {
  /* n = 1, c = 4, spatial = 2, groups = 2. Channel values (c0..c3) are
   * {1, 2}, {3, 4}, {-1, 1}, {-3, 3}. Group 0 = c0, c1: mean 2.5, variance
   * 1.25; group 1 = c2, c3: mean 0, variance 5. gamma/beta per channel. */
  const float channels[4][2] = {{1.f, 2.f}, {3.f, 4.f}, {-1.f, 1.f}, {-3.f, 3.f}};
  const float gamma[4] = {1.f, 2.f, 1.f, 0.5f};
  const float beta[4] = {0.f, 0.f, 1.f, -1.f};
  const double group_mean[2] = {2.5, 0.0};
  const double group_var[2] = {1.25, 5.0};
  const float eps = 1e-5f;
  const sn_shape shape = {1, 4, 2, layout};
  float x[8];
  float y[8];
  float mean[2];
  float rstd[2];
  int c, s;

  for (c = 0; c < 4; ++c) {
    for (s = 0; s < 2; ++s) x[layout == SN_LAYOUT_NCHW ? c * 2 + s : s * 4 + c] = channels[c][s];
  }
  expect(sn_group_norm(x, shape, 2, gamma, beta, eps, y, mean, rstd) == SN_OK,
         "sn_group_norm is OK");
  for (c = 0; c < 4; ++c) {
    const int g = c / 2;
    const double group_rstd = 1.0 / sqrt(group_var[g] + (double)eps);
    for (s = 0; s < 2; ++s) {
      const int i = layout == SN_LAYOUT_NCHW ? c * 2 + s : s * 4 + c;
      const double expected = (channels[c][s] - group_mean[g]) * group_rstd * gamma[c] + beta[c];
      expect(near(y[i], expected), "sn_group_norm y");
    }
  }
  expect(near(mean[0], 2.5) && near(mean[1], 0.0), "sn_group_norm mean");
  expect(
      near(rstd[0], 1.0 / sqrt(1.25 + (double)eps)) && near(rstd[1], 1.0 / sqrt(5.0 + (double)eps)),
      "sn_group_norm rstd");
}

static void bad_groups_is_refused_with_a_message(void) {
  /* 3 groups do not divide 4 channels. */
  const float x[8] = {1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f};
  float y[8] = {7.f, 7.f, 7.f, 7.f, 7.f, 7.f, 7.f, 7.f};
  const sn_shape shape = {1, 4, 2, SN_LAYOUT_NCHW};
  int i, untouched = 1;

  expect(sn_group_norm(x, shape, 3, NULL, NULL, 1e-5f, y, NULL, NULL) == SN_ERROR_INVALID_ARGUMENT,
         "sn_group_norm with groups = 3, c = 4 returns SN_ERROR_INVALID_ARGUMENT");
  expect(sn_last_error() != NULL && strlen(sn_last_error()) > 0, "sn_last_error() is not empty");
  expect(strstr(sn_last_error(), "groups") != NULL, "sn_last_error() names groups");
  for (i = 0; i < 8; ++i) untouched = untouched && y[i] == 7.f;
  expect(untouched, "a refused call writes nothing to y");
}

int main(void) {
  printf("simdnorm %s\n", sn_version());
  layer_norm_matches_hand_computed_values();
  group_norm_matches_hand_computed_values(SN_LAYOUT_NCHW);
  group_norm_matches_hand_computed_values(SN_LAYOUT_NHWC);
  bad_groups_is_refused_with_a_message();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("C consumer: all checks passed\n");
  return 0;
}
