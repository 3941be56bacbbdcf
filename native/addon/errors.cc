#include "errors.h"

namespace logwasm {

const char *ErrorCode(const lw_error &err) {
  switch (err.status) {
    case LW_OK: return "LOGWASM_OK";
    case LW_ERR_MALFORMED: return "LOGWASM_ERR_MALFORMED";
    case LW_ERR_INVALID: return "LOGWASM_ERR_INVALID";
    case LW_ERR_UNSUPPORTED: return "LOGWASM_ERR_UNSUPPORTED";
    case LW_ERR_LINK: return "LOGWASM_ERR_LINK";
    case LW_ERR_TRAP:
      return err.trap == LW_TRAP_INTERRUPTED ? "LOGWASM_ERR_TIMEOUT" : "LOGWASM_ERR_TRAP";
    case LW_ERR_EXIT: return "LOGWASM_ERR_EXIT";
    case LW_ERR_NOMEM: return "LOGWASM_ERR_NOMEM";
    case LW_ERR_ARGUMENT: return "LOGWASM_ERR_ARGUMENT";
    case LW_ERR_IO: return "LOGWASM_ERR_IO";
  }
  return "LOGWASM_ERR_UNKNOWN";
}

Napi::Error MakeError(Napi::Env env, const lw_error &err) {
  const char *message = err.message[0] ? err.message : "unknown error (the runtime gave no message)";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, ErrorCode(err)));
  error.Set("status", Napi::Number::New(env, err.status));
  if (err.status == LW_ERR_TRAP) error.Set("trap", Napi::String::New(env, lw_trap_text(err.trap)));
  if (err.status == LW_ERR_EXIT) error.Set("exitCode", Napi::Number::New(env, err.exit_code));
  return error;
}

Napi::Error MakeError(Napi::Env env, const char *code, const std::string &message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace logwasm
