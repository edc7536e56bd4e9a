// Group norm and instance norm (group norm with one channel a group), with
// an activation fused after them.
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"

namespace simdnorm::python {

namespace {

// groups = 0 is instance norm.
py::object group_or_instance_norm(const py::handle& x, std::int64_t groups, const py::handle& gamma,
                                  const py::handle& beta, float eps, const std::string& layout,
                                  const std::string& act, const py::handle& out, bool return_stats,
                                  const std::string& type) {
  const tensor in = activation_tensor(x, "x", type);
  const simdnorm::shape s = channel_shape(in, layout);
  const simdnorm::activation a = activation_named(act);
  const float* gamma_data = parameter(gamma, "gamma", s.c);
  const float* beta_data = parameter(beta, "beta", s.c);
  tensor y = output_like(out, "out", in);
  void* y_data = y.array.mutable_data();
  py::array_t<float> mean, rstd;
  if (return_stats) {
    // The statistics are shaped by groups, so groups is checked here, before
    // they are allocated.
    if (groups > 0 && s.c % groups != 0) {
      refuse("groups", "must divide the channels (" + std::to_string(s.c) + "), got " +
                           std::to_string(groups));
    }
    const std::vector<py::ssize_t> shape{s.n, groups == 0 ? s.c : groups};
    mean = py::array_t<float>(shape);
    rstd = py::array_t<float>(shape);
  }
  float* mean_data = return_stats ? mean.mutable_data() : nullptr;
  float* rstd_data = return_stats ? rstd.mutable_data() : nullptr;
  {
    py::gil_scoped_release release;
    if (groups == 0) {
      simdnorm::instance_norm(in.type, in.data(), s, gamma_data, beta_data, eps, a, y_data,
                              mean_data, rstd_data);
    } else {
      simdnorm::group_norm(in.type, in.data(), s, groups, gamma_data, beta_data, eps, a, y_data,
                           mean_data, rstd_data);
    }
  }
  if (return_stats) return py::make_tuple(y.array, mean, rstd);
  return std::move(y.array);
}

}  // namespace

void add_group_norms(py::module_& m) {
  m.def(
      "group_norm",
      [](const py::handle& x, std::int64_t groups, const py::handle& gamma, const py::handle& beta,
         float eps, const std::string& layout, const std::string& act, const py::handle& out,
         bool return_stats, const std::string& type) {
        if (groups <= 0) refuse("groups", "must be positive, got " + std::to_string(groups));
        return group_or_instance_norm(x, groups, gamma, beta, eps, layout, act, out, return_stats,
                                      type);
      },
      py::arg("x"), py::arg("groups"), py::kw_only(), py::arg("gamma") = py::none(),
      py::arg("beta") = py::none(), py::arg("eps") = 1e-5, py::arg("layout") = "nchw",
      py::arg("activation") = "none", py::arg("out") = py::none(), py::arg("return_stats") = false,
      py::arg("dtype") = "",
      "Group norm: statistics per (sample, group) over the group's channels and every spatial "
      "position; groups divides the channels. y = act(normalised * gamma + beta). Returns y, "
      "or (y, mean, rstd) shaped (N, groups) with return_stats=True.");
  m.def(
      "instance_norm",
      [](const py::handle& x, const py::handle& gamma, const py::handle& beta, float eps,
         const std::string& layout, const std::string& act, const py::handle& out,
         bool return_stats, const std::string& type) {
        return group_or_instance_norm(x, 0, gamma, beta, eps, layout, act, out, return_stats, type);
      },
      py::arg("x"), py::kw_only(), py::arg("gamma") = py::none(), py::arg("beta") = py::none(),
      py::arg("eps") = 1e-5, py::arg("layout") = "nchw", py::arg("activation") = "none",
      py::arg("out") = py::none(), py::arg("return_stats") = false, py::arg("dtype") = "",
      "Instance norm: statistics per (sample, channel) over the spatial positions. Returns y, "
      "or (y, mean, rstd) shaped (N, C) with return_stats=True.");
}

}  // namespace simdnorm::python
