// The version, and the process-wide instruction-set and thread settings.
// The caller's-own-pool hook (set_parallel_for) is C and C++ only: a pool
// written in Python would run every work item under the GIL.
#include "bindings.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::python {

namespace py = pybind11;

void add_settings(py::module_& m) {
  m.def("version", &simdnorm::version, "The library's version, \"major.minor.patch\".");
  m.def("active_isa", &simdnorm::active_isa,
        "The instruction set the kernels use now: \"avx512\", \"avx2\", \"sse4.2\", \"sse2\", "
        "\"neon64\" or \"scalar\".");
  m.def("set_max_isa", &simdnorm::set_max_isa, py::arg("name"),
        "Caps the instruction set for the whole process (one of active_isa's names, or "
        "\"best\").");
  m.def("set_max_threads", &simdnorm::set_max_threads, py::arg("max_threads"),
        "Caps the threads a call uses (0: no cap; 1: the calling thread only).");
  m.def("max_threads", &simdnorm::max_threads, "The cap set_max_threads set, 0 when none.");
}

}  // namespace simdnorm::python
