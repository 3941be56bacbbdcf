// The logwasm addon: Filter (filter.cc), runWasi (wasi.cc), and the JSON<->msgpack helpers
// with the filter's own semantics (NDJSON lines in, chunk events out as JSON text).
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


// ndjsonToChunkEntry(line, nowSeconds, nowNanoseconds) -> Buffer: one chunk entry
// [[EventTime, metadata], body] from an NDJSON line, numbers kept exactly (the C parser's).
Napi::Value NdjsonToChunkEntry(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
    throw MakeError(env, "LOGWASM_ERR_ARGUMENT",
                    "ndjsonToChunkEntry(line, nowSeconds, nowNanoseconds): a string and two numbers");
  }
  std::string line = info[0].As<Napi::String>().Utf8Value();
  uint32_t seconds = info[1].As<Napi::Number>().Uint32Value();
  uint32_t nanoseconds = info[2].As<Napi::Number>().Uint32Value();
  lw_buf out = {};
  lw_error err = {};
  if (lw_ndjson_event_to_chunk_entry(line.data(), line.size(), seconds, nanoseconds, &out, &err) != LW_OK) {
    lw_buf_free(&out);
    throw MakeError(env, err);
  }
  Napi::Buffer<uint8_t> bytes = Napi::Buffer<uint8_t>::Copy(env, out.data, out.len);
  lw_buf_free(&out);
  return bytes;
}

// chunkToJsonEvents(chunk) -> [{ seconds, nanoseconds, groupMarker, metadata, body }]: each
// event's time and its metadata (null for [time, body]) and body as the filter's JSON text.
Napi::Value ChunkToJsonEvents(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "chunkToJsonEvents(chunk): chunk must be a Uint8Array");
  Napi::Uint8Array chunk = info[0].As<Napi::Uint8Array>();
  const uint8_t *data = chunk.Data();
  size_t len = chunk.ByteLength(), pos = 0;
  Napi::Array events = Napi::Array::New(env);
  lw_buf json = {};
  lw_error err = {};
  auto to_json = [&](const uint8_t *bytes, size_t n) -> Napi::Value {
    if (lw_msgpack_to_json(bytes, n, &json, &err) != LW_OK) {
      lw_buf_free(&json);
      throw MakeError(env, err);
    }
    return Napi::String::New(env, reinterpret_cast<const char *>(json.data), json.len);
  };
  for (uint32_t index = 0; pos < len; index++) {
    lw_chunk_event event;
    if (lw_chunk_next_event(data, len, &pos, &event, &err) != LW_OK) {
      lw_buf_free(&json);
      throw MakeError(env, err);
    }
    Napi::Object item = Napi::Object::New(env);
    item.Set("seconds", Napi::Number::New(env, static_cast<double>(event.seconds)));
    item.Set("nanoseconds", Napi::Number::New(env, event.nanoseconds));
    item.Set("groupMarker", Napi::Boolean::New(env, event.group_marker));
    item.Set("metadata", event.metadata ? to_json(event.metadata, event.metadata_len) : env.Null());
    item.Set("body", to_json(event.body, event.body_len));
    events.Set(index, item);
  }
  lw_buf_free(&json);
  return events;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, LW_VERSION_STRING));
  exports.Set("Filter", FilterWrap::Define(env));
  exports.Set("msgpackToJson", Napi::Function::New<MsgpackToJson>(env, "msgpackToJson"));
  exports.Set("jsonToMsgpack", Napi::Function::New<JsonToMsgpack>(env, "jsonToMsgpack"));
  exports.Set("ndjsonToChunkEntry", Napi::Function::New<NdjsonToChunkEntry>(env, "ndjsonToChunkEntry"));
  exports.Set("chunkToJsonEvents", Napi::Function::New<ChunkToJsonEvents>(env, "chunkToJsonEvents"));
  DefineWasi(env, exports);
  return exports;
}

}  // namespace logwasm

static Napi::Object InitLogwasm(Napi::Env env, Napi::Object exports) {
  return logwasm::Init(env, exports);
}

NODE_API_MODULE(logwasm, InitLogwasm)
