// Batch norm: inference with running statistics, training with batch
// statistics (running statistics updated in place), and mean-only.
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"

namespace simdnorm::python {

void add_batch_norm(py::module_& m) {
  m.def(
      "batch_norm_inference",
      [](const py::handle& x, const py::handle& running_mean, const py::handle& running_var,
         const py::handle& gamma, const py::handle& beta, float eps, const std::string& layout,
         const std::string& act, const py::handle& out, const std::string& type) {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        const simdnorm::activation a = activation_named(act);
        const float* mean_data = required_parameter(running_mean, "running_mean", s.c);
        const float* var_data = required_parameter(running_var, "running_var", s.c);
        const float* gamma_data = parameter(gamma, "gamma", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        {
          py::gil_scoped_release release;
          simdnorm::batch_norm_inference(in.type, in.data(), s, mean_data, var_data, gamma_data,
                                         beta_data, eps, a, y_data);
        }
        return std::move(y.array);
      },
      py::arg("x"), py::arg("running_mean"), py::arg("running_var"), py::kw_only(),
      py::arg("gamma") = py::none(), py::arg("beta") = py::none(), py::arg("eps") = 1e-5,
      py::arg("layout") = "nchw", py::arg("activation") = "none", py::arg("out") = py::none(),
      py::arg("dtype") = "",
      "y = act((x - running_mean) * gamma / sqrt(running_var + eps) + beta), per channel.");

  m.def(
      "batch_norm_training",
      [](const py::handle& x, const py::handle& running_mean, const py::handle& running_var,
         const py::handle& gamma, const py::handle& beta, float momentum, float eps, bool unbiased,
         const std::string& layout, const std::string& act, const py::handle& out,
         bool return_stats, const std::string& type) -> py::object {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        const simdnorm::activation a = activation_named(act);
        float* mean_data = updated_parameter(running_mean, "running_mean", s.c);
        float* var_data = updated_parameter(running_var, "running_var", s.c);
        const float* gamma_data = parameter(gamma, "gamma", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        py::array_t<float> save_mean, save_rstd;
        if (return_stats) {
          save_mean = new_vector(s.c);
          save_rstd = new_vector(s.c);
        }
        float* save_mean_data = return_stats ? save_mean.mutable_data() : nullptr;
        float* save_rstd_data = return_stats ? save_rstd.mutable_data() : nullptr;
        const auto kind =
            unbiased ? simdnorm::running_var_kind::unbiased : simdnorm::running_var_kind::biased;
        {
          py::gil_scoped_release release;
          simdnorm::batch_norm_training(in.type, in.data(), s, mean_data, var_data, gamma_data,
                                        beta_data, momentum, eps, kind, a, y_data, save_mean_data,
                                        save_rstd_data);
        }
        if (return_stats) return py::make_tuple(y.array, save_mean, save_rstd);
        return std::move(y.array);
      },
      py::arg("x"), py::kw_only(), py::arg("running_mean") = py::none(),
      py::arg("running_var") = py::none(), py::arg("gamma") = py::none(),
      py::arg("beta") = py::none(), py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      py::arg("unbiased") = true, py::arg("layout") = "nchw", py::arg("activation") = "none",
      py::arg("out") = py::none(), py::arg("return_stats") = false, py::arg("dtype") = "",
      "Batch statistics per channel over N and the spatial positions; the running statistics "
      "(both or neither) move in place as run = (1 - momentum) * run + momentum * batch, with "
      "the unbiased batch variance unless unbiased=False. Returns y, or (y, save_mean, "
      "save_rstd) with return_stats=True.");

  m.def(
      "batch_norm_mean_only_training",
      [](const py::handle& x, const py::handle& running_mean, const py::handle& beta,
         float momentum, const std::string& layout, const py::handle& out, bool return_stats,
         const std::string& type) -> py::object {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        float* mean_data = updated_parameter(running_mean, "running_mean", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        py::array_t<float> save_mean;
        if (return_stats) save_mean = new_vector(s.c);
        float* save_mean_data = return_stats ? save_mean.mutable_data() : nullptr;
        {
          py::gil_scoped_release release;
          simdnorm::batch_norm_mean_only_training(in.type, in.data(), s, mean_data, beta_data,
                                                  momentum, y_data, save_mean_data);
        }
        if (return_stats) return py::make_tuple(y.array, save_mean);
        return std::move(y.array);
      },
      py::arg("x"), py::kw_only(), py::arg("running_mean") = py::none(),
      py::arg("beta") = py::none(), py::arg("momentum") = 0.1, py::arg("layout") = "nchw",
      py::arg("out") = py::none(), py::arg("return_stats") = false, py::arg("dtype") = "",
      "y = x - batch_mean + beta per channel; returns y, or (y, save_mean).");

  m.def(
      "batch_norm_mean_only_inference",
      [](const py::handle& x, const py::handle& running_mean, const py::handle& beta,
         const std::string& layout, const py::handle& out, const std::string& type) {
        const tensor in = activation_tensor(x, "x", type);
        const simdnorm::shape s = channel_shape(in, layout);
        const float* mean_data = required_parameter(running_mean, "running_mean", s.c);
        const float* beta_data = parameter(beta, "beta", s.c);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        {
          py::gil_scoped_release release;
          simdnorm::batch_norm_mean_only_inference(in.type, in.data(), s, mean_data, beta_data,
                                                   y_data);
        }
        return std::move(y.array);
      },
      py::arg("x"), py::arg("running_mean"), py::kw_only(), py::arg("beta") = py::none(),
      py::arg("layout") = "nchw", py::arg("out") = py::none(), py::arg("dtype") = "",
      "y = x - running_mean + beta per channel.");
}

}  // namespace simdnorm::python
