/* logwasm-aotc: wasm -> LLVM IR. */
#ifndef LW_AOTC_CODEGEN_H
#define LW_AOTC_CODEGEN_H

#include <llvm-c/Core.h>

#include "module.h"

/* Symbol names in the object file: lw_f<defined index> for function bodies, lw_w<type index>
 * for the slot wrappers the runtime calls from the host side. */
#define LW_AOTC_FUNC_PREFIX "lw_f"
#define LW_AOTC_WRAPPER_PREFIX "lw_w"

typedef struct lw_aotc_module {
  LLVMModuleRef llvm;
  /* wrapper_of_type[t] = wrapper number for module type t, or UINT32_MAX if none */
  uint32_t *wrapper_of_type;
  uint32_t wrapper_count;
  uint32_t *wrapper_type; /* wrapper number -> type index */
} lw_aotc_module;

/* Translate every defined function of a valid module into `out->llvm` (created in ctx).
 * Returns false with a message in err (unsupported feature, e.g. SIMD). */
bool lw_aotc_codegen(LLVMContextRef ctx, const lw_module *module, lw_aotc_module *out,
                     char *err, size_t err_len);

/* The same for a module split into parts (each an LLVM module in its own context, target and
 * data layout set), so they can be optimised and emitted on separate threads. Function i is
 * defined in parts[part_of_func[i]] and declared in the others; the slot wrappers go to part 0.
 * out->llvm is not used. */
bool lw_aotc_codegen_parts(const lw_module *module, uint32_t part_count,
                           const LLVMModuleRef *parts, const uint32_t *part_of_func,
                           lw_aotc_module *out, char *err, size_t err_len);

#endif
