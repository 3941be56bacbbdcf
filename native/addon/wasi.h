// runWasi / runWasiAsync: run a WASI command module (exec_wasi input, `logwasm run`).
#pragma once
#include <napi.h>

namespace logwasm {

/** Adds runWasi and runWasiAsync to exports (or nothing when built without logwasm_wasi.h). */
void DefineWasi(Napi::Env env, Napi::Object exports);

}  // namespace logwasm
