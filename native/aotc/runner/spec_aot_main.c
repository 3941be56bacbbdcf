/* logwasm-spec-aot: the spec runner (native/runtime/tools/spec.c) unchanged, with module loading
 * and calls redirected to the AOT tier (spec_aot_shim.c). */
#define lw_module_load lw_aot_shim_module_load
#define lw_call lw_aot_shim_call
#define lw_module_free lw_aot_shim_module_free
#include "../../runtime/tools/spec.c"
