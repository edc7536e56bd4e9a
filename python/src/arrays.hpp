// The checks every binding makes on its NumPy arguments before it calls the
// library: types, contiguity, shapes and writability are what the C++ API
// cannot see through a pointer, so they are checked here, and each failure is
// a ValueError naming the argument, raised before anything is written.
#ifndef SIMDNORM_PYTHON_ARRAYS_HPP_
#define SIMDNORM_PYTHON_ARRAYS_HPP_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::python {

namespace py = pybind11;

// An activation tensor and the element type its bits hold.
struct tensor {
  py::array array;
  simdnorm::dtype type;

  const void* data() const { return array.data(); }
  std::int64_t size() const { return static_cast<std::int64_t>(array.size()); }
};

// `name` as an activation tensor: a C-contiguous array of float32 or float16
// (the array's own dtype), or of bfloat16 bits in uint16 or int16 when
// element_type is "bfloat16" (NumPy has no bfloat16). element_type is
// "" (from the array), "float32", "float16" or "bfloat16".
tensor activation_tensor(const py::handle& x, const char* name, const std::string& element_type);

// A second input tensor of the call (residual): the type and shape of x.
tensor tensor_like(const py::handle& other, const char* name, const tensor& x);

// The output for x: `out` when it is not None (checked: the type and shape
// of x, C-contiguous, writeable; x itself is fine), a new array otherwise.
tensor output_like(const py::handle& out, const char* name, const tensor& x);

// A float32 parameter vector of `length` elements (any shape holding that
// many, C-contiguous): nullptr for None when optional.
const float* parameter(const py::handle& v, const char* name, std::int64_t length);
const float* required_parameter(const py::handle& v, const char* name, std::int64_t length);
// The same for a vector the call updates in place (running statistics).
float* updated_parameter(const py::handle& v, const char* name, std::int64_t length);

// A new float32 vector of length elements, for the statistics outputs.
py::array_t<float> new_vector(std::int64_t length);

// The (n, c, spatial) of x in a layout, "nchw" (N, C, *spatial) or "nhwc"
// (N, *spatial, C); x has at least two dimensions.
simdnorm::shape channel_shape(const tensor& x, const std::string& layout);

// "none", "relu", "silu" or "gelu".
simdnorm::activation activation_named(const std::string& name);

// rows x d of a row tensor (..., d): d is the last dimension.
struct rows_shape {
  std::int64_t rows;
  std::int64_t d;
};
rows_shape row_shape(const tensor& x);

// Raises ValueError("name: what").
[[noreturn]] void refuse(const char* name, const std::string& what);

}  // namespace simdnorm::python

#endif  // SIMDNORM_PYTHON_ARRAYS_HPP_
