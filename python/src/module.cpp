// simdnorm._simdnorm: the library on NumPy arrays (python/simdnorm/__init__.py
// re-exports it as the simdnorm package).
#include "bindings.hpp"

PYBIND11_MODULE(_simdnorm, m) {
  m.doc() = "simdnorm: SIMD normalisation kernels on NumPy arrays";
  simdnorm::python::add_settings(m);
  simdnorm::python::add_standardize(m);
  simdnorm::python::add_batch_norm(m);
  simdnorm::python::add_row_norms(m);
  simdnorm::python::add_group_norms(m);
  simdnorm::python::add_mixed_norms(m);
  simdnorm::python::add_weight_norm(m);
  simdnorm::python::add_core_api(m);
}
