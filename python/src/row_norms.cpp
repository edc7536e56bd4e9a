// Layer norm and RMS norm over the last axis, and the fused residual add
// before them.
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"

namespace simdnorm::python {

namespace {

// The statistics outputs of a row norm, one value a row, shaped as x
// without its last axis.
py::array_t<float> new_row_statistic(const tensor& x) {
  std::vector<py::ssize_t> shape(x.array.shape(), x.array.shape() + x.array.ndim() - 1);
  return py::array_t<float>(shape);
}

// add_layer_norm and add_rms_norm, which differ only in the mean output.
py::object add_row_norm(bool rms, const py::handle& x, const py::handle& residual,
                        const py::handle& bias, const py::handle& gamma, const py::handle& beta,
                        float eps, const py::handle& out, const py::handle& sum_out,
                        bool return_sum, bool return_stats, const std::string& type) {
  const tensor in = activation_tensor(x, "x", type);
  const rows_shape s = row_shape(in);
  const tensor res = tensor_like(residual, "residual", in);
  const float* bias_data = parameter(bias, "bias", s.d);
  const float* gamma_data = parameter(gamma, "gamma", s.d);
  const float* beta_data = parameter(beta, "beta", s.d);
  tensor y = output_like(out, "out", in);
  void* y_data = y.array.mutable_data();
  const bool write_sum = return_sum || !sum_out.is_none();
  py::array sum;
  void* sum_data = nullptr;
  if (write_sum) {
    sum = output_like(sum_out, "sum_out", in).array;
    sum_data = sum.mutable_data();
  }
  py::array_t<float> mean, rstd;
  if (return_stats) {
    if (!rms) mean = new_row_statistic(in);
    rstd = new_row_statistic(in);
  }
  float* mean_data = return_stats && !rms ? mean.mutable_data() : nullptr;
  float* rstd_data = return_stats ? rstd.mutable_data() : nullptr;
  {
    py::gil_scoped_release release;
    if (rms) {
      simdnorm::add_rms_norm(in.type, in.data(), res.data(), bias_data, s.rows, s.d, gamma_data,
                             beta_data, eps, y_data, sum_data, rstd_data);
    } else {
      simdnorm::add_layer_norm(in.type, in.data(), res.data(), bias_data, s.rows, s.d, gamma_data,
                               beta_data, eps, y_data, sum_data, mean_data, rstd_data);
    }
  }
  py::list results;
  results.append(y.array);
  if (write_sum) results.append(sum);
  if (return_stats) {
    if (!rms) results.append(mean);
    results.append(rstd);
  }
  if (results.size() == 1) return std::move(y.array);
  return py::tuple(results);
}

// add_layer_norm or add_rms_norm, one binding for both.
template <bool rms>
void def_add_row_norm(py::module_& m, const char* name, const char* norm) {
  m.def(
      name,
      [](const py::handle& x, const py::handle& residual, const py::handle& bias,
         const py::handle& gamma, const py::handle& beta, float eps, const py::handle& out,
         const py::handle& sum_out, bool return_sum, bool return_stats, const std::string& type) {
        return add_row_norm(rms, x, residual, bias, gamma, beta, eps, out, sum_out, return_sum,
                            return_stats, type);
      },
      py::arg("x"), py::arg("residual"), py::kw_only(), py::arg("bias") = py::none(),
      py::arg("gamma") = py::none(), py::arg("beta") = py::none(), py::arg("eps") = 1e-5,
      py::arg("out") = py::none(), py::arg("sum_out") = py::none(), py::arg("return_sum") = false,
      py::arg("return_stats") = false, py::arg("dtype") = "",
      (std::string(norm) +
       " of h = x + residual (+ bias) over the last axis, in one pass. Returns y; with "
       "return_sum=True (or a sum_out array, which may be residual itself) also h; with "
       "return_stats=True also the statistics; a tuple when more than y.")
          .c_str());
}

}  // namespace

void add_row_norms(py::module_& m) {
  m.def(
      "layer_norm",
      [](const py::handle& x, const py::handle& gamma, const py::handle& beta, float eps,
         const py::handle& out, bool return_stats, const std::string& type) -> py::object {
        const tensor in = activation_tensor(x, "x", type);
        const rows_shape s = row_shape(in);
        const float* gamma_data = parameter(gamma, "gamma", s.d);
        const float* beta_data = parameter(beta, "beta", s.d);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        py::array_t<float> mean, rstd;
        if (return_stats) {
          mean = new_row_statistic(in);
          rstd = new_row_statistic(in);
        }
        float* mean_data = return_stats ? mean.mutable_data() : nullptr;
        float* rstd_data = return_stats ? rstd.mutable_data() : nullptr;
        {
          py::gil_scoped_release release;
          simdnorm::layer_norm(in.type, in.data(), s.rows, s.d, gamma_data, beta_data, eps, y_data,
                               mean_data, rstd_data);
        }
        if (return_stats) return py::make_tuple(y.array, mean, rstd);
        return std::move(y.array);
      },
      py::arg("x"), py::kw_only(), py::arg("gamma") = py::none(), py::arg("beta") = py::none(),
      py::arg("eps") = 1e-5, py::arg("out") = py::none(), py::arg("return_stats") = false,
      py::arg("dtype") = "",
      "Layer norm over the last axis of x: y = (x - mean) / sqrt(var + eps) * gamma + beta. "
      "Returns y, or (y, mean, rstd) with return_stats=True, shaped x.shape[:-1].");

  m.def(
      "rms_norm",
      [](const py::handle& x, const py::handle& gamma, const py::handle& beta, float eps,
         const py::handle& out, bool return_stats, const std::string& type) -> py::object {
        const tensor in = activation_tensor(x, "x", type);
        const rows_shape s = row_shape(in);
        const float* gamma_data = parameter(gamma, "gamma", s.d);
        const float* beta_data = parameter(beta, "beta", s.d);
        tensor y = output_like(out, "out", in);
        void* y_data = y.array.mutable_data();
        py::array_t<float> rstd;
        if (return_stats) rstd = new_row_statistic(in);
        float* rstd_data = return_stats ? rstd.mutable_data() : nullptr;
        {
          py::gil_scoped_release release;
          simdnorm::rms_norm(in.type, in.data(), s.rows, s.d, gamma_data, beta_data, eps, y_data,
                             rstd_data);
        }
        if (return_stats) return py::make_tuple(y.array, rstd);
        return std::move(y.array);
      },
      py::arg("x"), py::kw_only(), py::arg("gamma") = py::none(), py::arg("beta") = py::none(),
      py::arg("eps") = 1e-5, py::arg("out") = py::none(), py::arg("return_stats") = false,
      py::arg("dtype") = "",
      "RMS norm over the last axis of x: y = x / sqrt(mean(x^2) + eps) * gamma + beta. "
      "Returns y, or (y, rstd) with return_stats=True.");

  def_add_row_norm<false>(m, "add_layer_norm", "Layer norm");
  def_add_row_norm<true>(m, "add_rms_norm", "RMS norm");
}

}  // namespace simdnorm::python
