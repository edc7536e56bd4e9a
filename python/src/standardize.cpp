// Keras-style standardize: the moments accumulator that adapts over batches,
// and apply / invert with the finalized mean and variance.
#include <mutex>
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"

namespace simdnorm::python {

namespace {

// A moments object is not to be updated from two threads at once, and the
// GIL is released during an update: the lock keeps two Python threads
// updating one Moments from racing.
struct locked_moments {
  explicit locked_moments(std::int64_t features) : moments(features) {}
  simdnorm::moments moments;
  std::mutex lock;
};

// x as rows of features: (features,) is one row, (..., features) many.
std::int64_t rows_of(const tensor& x, std::int64_t features) {
  const rows_shape s = row_shape(x);
  if (s.d != features) {
    refuse("x", "expected " + std::to_string(features) + " features in its last dimension, got " +
                    std::to_string(s.d));
  }
  return s.rows;
}

py::object standardize(bool invert, const char* x_name, const py::handle& x, const py::handle& mean,
                       const py::handle& var, const py::handle& out, const std::string& type) {
  const tensor in = activation_tensor(x, x_name, type);
  const rows_shape s = row_shape(in);
  const float* mean_data = required_parameter(mean, "mean", s.d);
  const float* var_data = required_parameter(var, "var", s.d);
  tensor y = output_like(out, "out", in);
  void* y_data = y.array.mutable_data();
  {
    py::gil_scoped_release release;
    if (invert) {
      simdnorm::standardize_invert(in.type, in.data(), s.rows, s.d, mean_data, var_data, y_data);
    } else {
      simdnorm::standardize_apply(in.type, in.data(), s.rows, s.d, mean_data, var_data, y_data);
    }
  }
  return std::move(y.array);
}

}  // namespace

void add_standardize(py::module_& m) {
  py::class_<locked_moments>(m, "Moments",
                             "Streaming per-feature mean and biased variance (Keras "
                             "Normalization.adapt): update batch by batch, merge partial "
                             "accumulators, finalize once. Safe to use from several threads.")
      .def(py::init<std::int64_t>(), py::arg("features"))
      .def_property_readonly("features",
                             [](locked_moments& self) { return self.moments.features(); })
      .def_property_readonly(
          "count",
          [](locked_moments& self) {
            std::lock_guard<std::mutex> hold(self.lock);
            return self.moments.count();
          },
          "Rows accumulated so far.")
      .def(
          "update",
          [](locked_moments& self, const py::handle& x, const std::string& type) {
            const tensor in = activation_tensor(x, "x", type);
            const std::int64_t rows = rows_of(in, self.moments.features());
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> hold(self.lock);
            self.moments.update(in.type, in.data(), rows);
          },
          py::arg("x"), py::kw_only(), py::arg("dtype") = "",
          "Accumulates the rows of x, shaped (..., features).")
      .def(
          "merge",
          [](locked_moments& self, locked_moments& other) {
            if (&self == &other) {
              // One mutex, locked once: the library copies other before it
              // writes, so merging an accumulator into itself is well defined.
              std::lock_guard<std::mutex> hold(self.lock);
              self.moments.merge(self.moments);
              return;
            }
            std::scoped_lock hold(self.lock, other.lock);
            self.moments.merge(other.moments);
          },
          py::arg("other"), "Adds another accumulator's rows to this one.")
      .def(
          "finalize",
          [](locked_moments& self) {
            py::array_t<float> mean = new_vector(self.moments.features());
            py::array_t<float> var = new_vector(self.moments.features());
            std::lock_guard<std::mutex> hold(self.lock);
            self.moments.finalize(mean.mutable_data(), var.mutable_data());
            return py::make_tuple(mean, var);
          },
          "(mean, var) of every row accumulated, float32 vectors of features.");

  m.def(
      "standardize_apply",
      [](const py::handle& x, const py::handle& mean, const py::handle& var, const py::handle& out,
         const std::string& type) { return standardize(false, "x", x, mean, var, out, type); },
      py::arg("x"), py::arg("mean"), py::arg("var"), py::kw_only(), py::arg("out") = py::none(),
      py::arg("dtype") = "", "y = (x - mean) / max(sqrt(var), 1e-7) per feature (last axis).");
  m.def(
      "standardize_invert",
      [](const py::handle& y, const py::handle& mean, const py::handle& var, const py::handle& out,
         const std::string& type) { return standardize(true, "y", y, mean, var, out, type); },
      py::arg("y"), py::arg("mean"), py::arg("var"), py::kw_only(), py::arg("out") = py::none(),
      py::arg("dtype") = "", "x = y * max(sqrt(var), 1e-7) + mean per feature (last axis).");
}

}  // namespace simdnorm::python
