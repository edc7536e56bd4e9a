// simdnorm._simdnorm._core_api: the table of core_api.hpp in a capsule, for
// simdnorm._torch_ops.
#include "core_api.hpp"

#include "bindings.hpp"

namespace simdnorm::python {

namespace py = pybind11;

namespace {

const core_api table{
    core_api_version,
    static_cast<decltype(core_api::batch_norm_inference)>(&simdnorm::batch_norm_inference),
    static_cast<decltype(core_api::batch_norm_training)>(&simdnorm::batch_norm_training),
    static_cast<decltype(core_api::layer_norm)>(&simdnorm::layer_norm),
    static_cast<decltype(core_api::rms_norm)>(&simdnorm::rms_norm),
    static_cast<decltype(core_api::group_norm)>(&simdnorm::group_norm),
    static_cast<decltype(core_api::instance_norm)>(&simdnorm::instance_norm),
    &simdnorm::set_parallel_for,
    static_cast<decltype(core_api::add_layer_norm)>(&simdnorm::add_layer_norm),
    static_cast<decltype(core_api::add_rms_norm)>(&simdnorm::add_rms_norm),
};

}  // namespace

void add_core_api(py::module_& m) {
  // The capsule holds a pointer to a static table: nothing to free.
  m.attr("_core_api") = py::capsule(static_cast<const void*>(&table), core_api_capsule_name);
}

}  // namespace simdnorm::python
