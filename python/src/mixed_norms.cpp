// Batch-instance norm and switchable norm: the norms that mix the
// statistics of several sets.
#include <pybind11/stl.h>

#include <array>
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"

namespace simdnorm::python {

namespace {

simdnorm::switch_weights weights_of(const std::array<float, 3>& mean_weights,
                                    const std::array<float, 3>& var_weights) {
  return {mean_weights, var_weights};
}

}  // namespace

void add_mixed_norms(py::module_& m) {
  m.def(
      "batch_instance_norm_training",
      [](const py::handle& x, const py::handle& rho, const py::handle& running_mean,
         const py::handle& running_var, const py::handle& gamma, const py::handle& beta,
         float momentum, float eps, const std::string& layout, const py::handle& out,
         const std::string& type) {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        const float* rho_data = required_parameter(rho, "rho", s.c);
        float* mean_data = updated_parameter(running_mean, "running_mean", s.c);
        float* var_data = updated_parameter(running_var, "running_var", s.c);
        const float* gamma_data = parameter(gamma, "gamma", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        {
          py::gil_scoped_release release;
          simdnorm::batch_instance_norm_training(in.type, in.data(), s, mean_data, var_data,
                                                 gamma_data, beta_data, rho_data, momentum, eps,
                                                 y_data);
        }
        return std::move(y.array);
      },
      py::arg("x"), py::arg("rho"), py::kw_only(), py::arg("running_mean") = py::none(),
      py::arg("running_var") = py::none(), py::arg("gamma") = py::none(),
      py::arg("beta") = py::none(), py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      py::arg("layout") = "nchw", py::arg("out") = py::none(), py::arg("dtype") = "",
      "y = (rho * xhat_batch + (1 - rho) * xhat_instance) * gamma + beta, rho per channel in "
      "[0, 1]; the running statistics (both or neither) move in place.");
  m.def(
      "batch_instance_norm_inference",
      [](const py::handle& x, const py::handle& rho, const py::handle& running_mean,
         const py::handle& running_var, const py::handle& gamma, const py::handle& beta, float eps,
         const std::string& layout, const py::handle& out, const std::string& type) {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        const float* rho_data = required_parameter(rho, "rho", s.c);
        const float* mean_data = required_parameter(running_mean, "running_mean", s.c);
        const float* var_data = required_parameter(running_var, "running_var", s.c);
        const float* gamma_data = parameter(gamma, "gamma", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        {
          py::gil_scoped_release release;
          simdnorm::batch_instance_norm_inference(in.type, in.data(), s, mean_data, var_data,
                                                  gamma_data, beta_data, rho_data, eps, y_data);
        }
        return std::move(y.array);
      },
      py::arg("x"), py::arg("rho"), py::arg("running_mean"), py::arg("running_var"), py::kw_only(),
      py::arg("gamma") = py::none(), py::arg("beta") = py::none(), py::arg("eps") = 1e-5,
      py::arg("layout") = "nchw", py::arg("out") = py::none(), py::arg("dtype") = "",
      "Batch-instance norm with the running statistics for its batch part.");

  m.def(
      "switchable_norm_training",
      [](const py::handle& x, const std::array<float, 3>& mean_weights,
         const std::array<float, 3>& var_weights, const py::handle& running_mean,
         const py::handle& running_var, const py::handle& gamma, const py::handle& beta,
         float momentum, float eps, const std::string& layout, const py::handle& out,
         const std::string& type) {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        float* mean_data = updated_parameter(running_mean, "running_mean", s.c);
        float* var_data = updated_parameter(running_var, "running_var", s.c);
        const float* gamma_data = parameter(gamma, "gamma", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        const simdnorm::switch_weights weights = weights_of(mean_weights, var_weights);
        {
          py::gil_scoped_release release;
          simdnorm::switchable_norm_training(in.type, in.data(), s, mean_data, var_data, gamma_data,
                                             beta_data, weights, momentum, eps, y_data);
        }
        return std::move(y.array);
      },
      py::arg("x"), py::arg("mean_weights"), py::arg("var_weights"), py::kw_only(),
      py::arg("running_mean") = py::none(), py::arg("running_var") = py::none(),
      py::arg("gamma") = py::none(), py::arg("beta") = py::none(), py::arg("momentum") = 0.1,
      py::arg("eps") = 1e-5, py::arg("layout") = "nchw", py::arg("out") = py::none(),
      py::arg("dtype") = "",
      "Switchable norm: mean and variance mixed from the instance, layer and batch statistics "
      "with the caller's softmax weights (three each, in that order).");
  m.def(
      "switchable_norm_inference",
      [](const py::handle& x, const std::array<float, 3>& mean_weights,
         const std::array<float, 3>& var_weights, const py::handle& running_mean,
         const py::handle& running_var, const py::handle& gamma, const py::handle& beta, float eps,
         const std::string& layout, const py::handle& out, const std::string& type) {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        const float* mean_data = required_parameter(running_mean, "running_mean", s.c);
        const float* var_data = required_parameter(running_var, "running_var", s.c);
        const float* gamma_data = parameter(gamma, "gamma", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        const simdnorm::switch_weights weights = weights_of(mean_weights, var_weights);
        {
          py::gil_scoped_release release;
          simdnorm::switchable_norm_inference(in.type, in.data(), s, mean_data, var_data,
                                              gamma_data, beta_data, weights, eps, y_data);
        }
        return std::move(y.array);
      },
      py::arg("x"), py::arg("mean_weights"), py::arg("var_weights"), py::arg("running_mean"),
      py::arg("running_var"), py::kw_only(), py::arg("gamma") = py::none(),
      py::arg("beta") = py::none(), py::arg("eps") = 1e-5, py::arg("layout") = "nchw",
      py::arg("out") = py::none(), py::arg("dtype") = "",
      "Switchable norm with the running statistics for its batch part.");
}

}  // namespace simdnorm::python
