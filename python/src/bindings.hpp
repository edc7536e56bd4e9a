// The module's functions by family, as lib/api/ groups the library's entry
// points; module.cpp adds them all to simdnorm._simdnorm.
//
// Every function takes NumPy arrays, checks them (arrays.hpp), releases the
// GIL around the library call, and returns its outputs: y alone, or a tuple
// with the statistics when return_stats=True. The library's own refusals
// (std::invalid_argument) reach Python as ValueError with its message.
#ifndef SIMDNORM_PYTHON_BINDINGS_HPP_
#define SIMDNORM_PYTHON_BINDINGS_HPP_

#include <pybind11/pybind11.h>

namespace simdnorm::python {

void add_settings(pybind11::module_& m);
void add_standardize(pybind11::module_& m);
void add_batch_norm(pybind11::module_& m);
void add_row_norms(pybind11::module_& m);
void add_group_norms(pybind11::module_& m);
void add_mixed_norms(pybind11::module_& m);
void add_weight_norm(pybind11::module_& m);
// The capsule simdnorm._torch_ops reads the library through (core_api.hpp).
void add_core_api(pybind11::module_& m);

}  // namespace simdnorm::python

#endif  // SIMDNORM_PYTHON_BINDINGS_HPP_
