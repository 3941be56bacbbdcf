// C runtime errors as JavaScript Error objects: the C message, a `code` per lw_status, and for
// traps the trap's name.
#pragma once
#include <napi.h>

extern "C" {
#include "logwasm.h"
}

namespace logwasm {

/** "LOGWASM_ERR_TRAP", "LOGWASM_ERR_TIMEOUT" (an interrupted call), ... */
const char *ErrorCode(const lw_error &err);

/** An Error with message, code, status, trap and exitCode properties. */
Napi::Error MakeError(Napi::Env env, const lw_error &err);

/** An Error with a code of our own (argument checks, busy filter, closed filter). */
Napi::Error MakeError(Napi::Env env, const char *code, const std::string &message);

}  // namespace logwasm
