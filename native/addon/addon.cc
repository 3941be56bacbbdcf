// The logwasm addon: Filter (filter.cc), runWasi (wasi.cc), and the JSON<->msgpack helpers
// with the filter's own semantics.
#include <napi.h>

#include "errors.h"
#include "filter.h"
#include "wasi.h"

namespace logwasm {
namespace {

// msgpackToJson(bytes) -> string: compact JSON exactly as a json-mode guest would receive it.
Napi::Value MsgpackToJson(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "msgpackToJson(bytes): bytes must be a Uint8Array");
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  lw_buf out = {};
  lw_error err = {};
  if (lw_msgpack_to_json(bytes.Data(), bytes.ByteLength(), &out, &err) != LW_OK) {
    lw_buf_free(&out);
    throw MakeError(env, err);
  }
  Napi::String text = Napi::String::New(env, reinterpret_cast<const char *>(out.data), out.len);
  lw_buf_free(&out);
  return text;
}

// jsonToMsgpack(text) -> Buffer, with the filter's number rules.
Napi::Value JsonToMsgpack(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "jsonToMsgpack(text): text must be a string");
  std::string text = info[0].As<Napi::String>().Utf8Value();
  lw_buf out = {};
  lw_error err = {};
  if (lw_json_to_msgpack(text.data(), text.size(), &out, &err) != LW_OK) {
    lw_buf_free(&out);
    throw MakeError(env, err);
  }
  Napi::Buffer<uint8_t> bytes = Napi::Buffer<uint8_t>::Copy(env, out.data, out.len);
  lw_buf_free(&out);
  return bytes;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, LW_VERSION_STRING));
  exports.Set("Filter", FilterWrap::Define(env));
  exports.Set("msgpackToJson", Napi::Function::New<MsgpackToJson>(env, "msgpackToJson"));
  exports.Set("jsonToMsgpack", Napi::Function::New<JsonToMsgpack>(env, "jsonToMsgpack"));
  DefineWasi(env, exports);
  return exports;
}

}  // namespace logwasm

static Napi::Object InitLogwasm(Napi::Env env, Napi::Object exports) {
  return logwasm::Init(env, exports);
}

NODE_API_MODULE(logwasm, InitLogwasm)
