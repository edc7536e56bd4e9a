// Weight norm of a weight tensor (out, ...) over each output row.
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"

namespace simdnorm::python {

void add_weight_norm(py::module_& m) {
  m.def(
      "weight_norm",
      [](const py::handle& v, const py::handle& g, const py::handle& out, bool return_norm,
         const std::string& type) -> py::object {
        const tensor in = activation_tensor(v, "v", type);
        if (in.array.ndim() < 1 || in.size() == 0) {
          refuse("v", "expected a weight tensor (out, ...) with elements");
        }
        const std::int64_t rows = in.array.shape(0);
        const std::int64_t cols = in.size() / rows;
        const float* g_data = required_parameter(g, "g", rows);
        tensor w = output_like(out, "out", in);
        void* w_data = w.array.mutable_data();
        py::array_t<float> norm;
        if (return_norm) norm = new_vector(rows);
        float* norm_data = return_norm ? norm.mutable_data() : nullptr;
        {
          py::gil_scoped_release release;
          simdnorm::weight_norm(in.type, in.data(), g_data, rows, cols, w_data, norm_data);
        }
        if (return_norm) return py::make_tuple(w.array, norm);
        return std::move(w.array);
      },
      py::arg("v"), py::arg("g"), py::kw_only(), py::arg("out") = py::none(),
      py::arg("return_norm") = false, py::arg("dtype") = "",
      "w[r] = g[r] * v[r] / ||v[r]||_2 over each output row r of v (PyTorch's dim=0); g holds "
      "one value a row, in any shape. Returns w, or (w, norm) with return_norm=True.");
}

}  // namespace simdnorm::python
