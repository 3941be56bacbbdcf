/* The AOT tier inside the runtime: loading .lwaot artifacts and running their code.
 *
 * Integration points for the rest of the runtime:
 *   lw_module_load:    if (lw_aot_is_artifact(bytes, len)) return lw_aot_module_load(...);
 *   lw_invoke:         if (!func->host && lw_aot_module_is_compiled(func->instance->module))
 *                        return lw_aot_invoke(func, slots, err);
 *   lw_module_free:    lw_aot_module_release(module) before lw_module_destroy(module).
 */
#ifndef LW_AOT_H
#define LW_AOT_H

#include "../runtime.h"
#include "logwasm_aot.h"

/* Parse and verify an artifact, decode and validate its embedded wasm with the normal front
 * end, map and relocate the code. The module also gets the interpreter's code (lw_compile), so
 * it works everywhere a .wasm-loaded module does; calls dispatched to lw_aot_invoke run the
 * compiled code. */
lw_status lw_aot_module_load(const uint8_t *bytes, size_t len, const lw_load_options *opts,
                             lw_module **out, lw_error *err);
/* Run a defined function of a compiled module (slots as in lw_call_raw). */
lw_status lw_aot_invoke(lw_func *func, lw_slot *slots, lw_error *err);
/* Unmap the module's code (its instances must be gone). Does not free the module itself. */
void lw_aot_module_release(lw_module *module);

/* A module's mapped code. */
typedef void (*lw_aot_wrapper)(void *ctx, uint32_t depth, lw_slot *slots, void *fn);
typedef struct lw_aot_image {
  const lw_module *module;
  uint8_t *map;                /* mmap'd: text (RX), then read-only data (R) */
  size_t map_len;
  void **native;               /* defined function i -> entry */
  lw_aot_wrapper *wrapper_of;  /* defined function i -> its signature's slot wrapper */
} lw_aot_image;

static inline const lw_aot_image *lw_aot_image_of(const lw_module *module) {
  return module->aot;
}
static inline bool lw_aot_module_is_compiled(const lw_module *module) { return module->aot != NULL; }

/* aot_cpu.c: the architecture this runtime runs on, and whether the CPU has every feature in
 * `features` ("+a,+b,..." in LLVM's names). On failure writes the first missing one. */
uint32_t lw_aot_host_arch(void);
bool lw_aot_cpu_supports(const char *features, char *missing, size_t missing_len);

#endif
