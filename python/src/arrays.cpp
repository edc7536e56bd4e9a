#include "arrays.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "activation_names.hpp"

namespace simdnorm::python {

namespace {

// NumPy's type numbers (numpy/ndarraytypes.h), stable across NumPy versions.
constexpr int numpy_short = 3;
constexpr int numpy_ushort = 4;
constexpr int numpy_float = 11;
constexpr int numpy_half = 23;

std::string shape_text(const py::array& a) {
  std::ostringstream text;
  text << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) text << (i == 0 ? "" : ", ") << a.shape(i);
  text << (a.ndim() == 1 ? ",)" : ")");
  return text.str();
}

std::string dtype_text(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// Only an ndarray is taken: converting a list or another dtype would make a
// copy, and a copy of an output or of running statistics would silently drop
// what the call writes.
py::array as_array(const py::handle& object, const char* name) {
  if (!py::isinstance<py::array>(object)) {
    refuse(name, std::string("expected a NumPy array, got ") +
                     py::str(py::type::of(object).attr("__name__")).cast<std::string>());
  }
  return py::reinterpret_borrow<py::array>(object);
}

void require_c_contiguous(const py::array& a, const char* name) {
  if (!(a.flags() & py::array::c_style)) {
    refuse(name, "must be C-contiguous (np.ascontiguousarray makes a copy that is)");
  }
}

void require_writeable(const py::array& a, const char* name) {
  if (!a.writeable()) refuse(name, "is read-only, and the call writes it");
}

bool native_byte_order(const py::array& a) { return a.dtype().attr("isnative").cast<bool>(); }

bool holds(const py::array& a, simdnorm::dtype type) {
  if (!native_byte_order(a)) return false;
  switch (type) {
    case simdnorm::dtype::float32:
      return a.dtype().num() == numpy_float;
    case simdnorm::dtype::float16:
      return a.dtype().num() == numpy_half;
    case simdnorm::dtype::bfloat16:
      return a.dtype().num() == numpy_ushort || a.dtype().num() == numpy_short;
  }
  return false;
}

const char* type_name(simdnorm::dtype type) {
  switch (type) {
    case simdnorm::dtype::float32:
      return "float32";
    case simdnorm::dtype::float16:
      return "float16";
    case simdnorm::dtype::bfloat16:
      return "bfloat16 (bits in uint16 or int16)";
  }
  return "?";
}

bool same_shape(const py::array& a, const py::array& b) {
  if (a.ndim() != b.ndim()) return false;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (a.shape(i) != b.shape(i)) return false;
  }
  return true;
}

py::array vector_of(const py::handle& v, const char* name, std::int64_t length) {
  py::array a = as_array(v, name);
  if (!holds(a, simdnorm::dtype::float32)) {
    refuse(name, "expected float32, got " + dtype_text(a));
  }
  require_c_contiguous(a, name);
  if (static_cast<std::int64_t>(a.size()) != length) {
    refuse(name, "expected " + std::to_string(length) + " elements, got " +
                     std::to_string(a.size()) + " (shape " + shape_text(a) + ")");
  }
  return a;
}

}  // namespace

void refuse(const char* name, const std::string& what) {
  throw py::value_error(std::string(name) + ": " + what);
}

tensor activation_tensor(const py::handle& x, const char* name, const std::string& element_type) {
  py::array a = as_array(x, name);
  simdnorm::dtype type;
  if (element_type == "bfloat16") {
    type = simdnorm::dtype::bfloat16;
  } else if (element_type == "float16") {
    type = simdnorm::dtype::float16;
  } else if (element_type == "float32") {
    type = simdnorm::dtype::float32;
  } else if (element_type.empty()) {
    type = holds(a, simdnorm::dtype::float16) ? simdnorm::dtype::float16 : simdnorm::dtype::float32;
  } else {
    refuse("dtype",
           "expected \"float32\", \"float16\" or \"bfloat16\", got \"" + element_type + "\"");
  }
  if (!holds(a, type)) {
    std::string what = std::string("expected ") + type_name(type) + ", got " + dtype_text(a);
    if (element_type.empty() && holds(a, simdnorm::dtype::bfloat16)) {
      what += " (bfloat16 bits need dtype=\"bfloat16\")";
    }
    refuse(name, what);
  }
  require_c_contiguous(a, name);
  return {a, type};
}

tensor tensor_like(const py::handle& other, const char* name, const tensor& x) {
  py::array a = as_array(other, name);
  if (!holds(a, x.type)) {
    refuse(name, std::string("expected ") + type_name(x.type) + " as x, got " + dtype_text(a));
  }
  require_c_contiguous(a, name);
  if (!same_shape(a, x.array)) {
    refuse(name, "expected the shape of x " + shape_text(x.array) + ", got " + shape_text(a));
  }
  return {a, x.type};
}

namespace {

// A new C-contiguous array of a's type and shape whose data starts on a
// 64-byte boundary (a cache line, and an AVX-512 vector), as a view of a
// byte array a line longer. NumPy takes its data from malloc, 16 bytes past
// a line for large arrays, and there a kernel's vector stores each write
// two lines, and its short rows cannot stream: the C API with y 16 bytes
// past a line against on one, 2-core Zen 5, 1 thread, x aligned, medians of
// alternating calls on the same buffers, us: layer norm 100352 x 64 (past
// the cache) 2413 against 1629, NHWC batch-norm inference 8 x 64 x 112 x
// 112 1090 against 1030, 1 x 512 x 3199 233 against 171; NHWC group norm 1
// x 512 x 3199 G = 32 446 against 359. (The README's "Buffers" section has
// the NumPy API's figures.)
py::array new_aligned_like(const py::array& a) {
  constexpr std::size_t line = 64;
  const std::vector<py::ssize_t> shape(a.shape(), a.shape() + a.ndim());
  const auto bytes = static_cast<py::ssize_t>(a.nbytes());
  py::array_t<std::uint8_t> block(bytes + static_cast<py::ssize_t>(line) - 1);
  const auto address = reinterpret_cast<std::uintptr_t>(block.data());
  const std::size_t offset = (line - address % line) % line;
  // The view keeps the block alive (its base) and is writeable, as the block.
  return py::array(a.dtype(), shape, block.mutable_data() + offset, block);
}

}  // namespace

tensor output_like(const py::handle& out, const char* name, const tensor& x) {
  if (out.is_none()) return {new_aligned_like(x.array), x.type};
  tensor y = tensor_like(out, name, x);
  require_writeable(y.array, name);
  return y;
}

const float* parameter(const py::handle& v, const char* name, std::int64_t length) {
  if (v.is_none()) return nullptr;
  return static_cast<const float*>(vector_of(v, name, length).data());
}

const float* required_parameter(const py::handle& v, const char* name, std::int64_t length) {
  if (v.is_none()) refuse(name, "is required");
  return parameter(v, name, length);
}

float* updated_parameter(const py::handle& v, const char* name, std::int64_t length) {
  if (v.is_none()) return nullptr;
  py::array a = vector_of(v, name, length);
  require_writeable(a, name);
  return static_cast<float*>(a.mutable_data());
}

py::array_t<float> new_vector(std::int64_t length) {
  return py::array_t<float>(static_cast<py::ssize_t>(length));
}

simdnorm::shape channel_shape(const tensor& x, const std::string& layout) {
  const py::array& a = x.array;
  if (a.ndim() < 2) {
    refuse("x", "expected at least two dimensions (N, C, ...), got shape " + shape_text(a));
  }
  if (a.size() == 0) refuse("x", "has no elements (shape " + shape_text(a) + ")");
  std::int64_t spatial = 1;
  if (layout == "nchw") {
    for (py::ssize_t i = 2; i < a.ndim(); ++i) spatial *= a.shape(i);
    return {a.shape(0), a.shape(1), spatial, simdnorm::layout::nchw};
  }
  if (layout == "nhwc") {
    for (py::ssize_t i = 1; i + 1 < a.ndim(); ++i) spatial *= a.shape(i);
    return {a.shape(0), a.shape(a.ndim() - 1), spatial, simdnorm::layout::nhwc};
  }
  refuse("layout", "expected \"nchw\" or \"nhwc\", got \"" + layout + "\"");
}

simdnorm::activation activation_named(const std::string& name) {
  if (const std::optional<simdnorm::activation> act = activation_called(name)) return *act;
  refuse("activation", std::string("expected ") + activation_names + ", got \"" + name + "\"");
}

rows_shape row_shape(const tensor& x) {
  const py::array& a = x.array;
  if (a.ndim() < 1) refuse("x", "expected at least one dimension (..., d), got a scalar");
  if (a.size() == 0) refuse("x", "has no elements (shape " + shape_text(a) + ")");
  std::int64_t rows = 1;
  for (py::ssize_t i = 0; i + 1 < a.ndim(); ++i) rows *= a.shape(i);
  return {rows, a.shape(a.ndim() - 1)};
}

}  // namespace simdnorm::python
