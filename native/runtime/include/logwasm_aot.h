/* logwasm: ahead-of-time compiled modules (.lwaot artifacts written by logwasm-aotc).
 * lw_module_load accepts an artifact wherever it accepts a .wasm; these calls let a host tell
 * them apart and check an artifact before loading it. */
#ifndef LOGWASM_AOT_H
#define LOGWASM_AOT_H

#include "logwasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* True when the bytes start with the .lwaot magic. */
bool lw_aot_is_artifact(const uint8_t *bytes, size_t len);

/* Check that an artifact can run here: container, checksum, format and runtime ABI versions,
 * architecture and CPU features. LW_OK, or an error saying which check failed and what to do. */
lw_status lw_aot_check(const uint8_t *bytes, size_t len, lw_error *err);

#ifdef __cplusplus
}
#endif
#endif
