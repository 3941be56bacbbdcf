#include "filter.h"

#include <cstring>

#include "errors.h"

namespace logwasm {

namespace {

constexpr size_t kMaxLogLines = 1000;  // log lines kept between two takeLog() calls

uint32_t OptionalU32(const Napi::Object &options, const char *name, uint32_t fallback) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined() || value.IsNull()) return fallback;
  if (!value.IsNumber()) {
    throw MakeError(options.Env(), "LOGWASM_ERR_ARGUMENT", std::string(name) + " must be a number");
  }
  double number = value.As<Napi::Number>().DoubleValue();
  if (number < 0 || number > 4294967295.0) {
    throw MakeError(options.Env(), "LOGWASM_ERR_ARGUMENT",
                    std::string(name) + " must be between 0 and 4294967295");
  }
  return static_cast<uint32_t>(number);
}

int OptionalInt(const Napi::Object &options, const char *name, int fallback) {
  Napi::Value value = options.Get(name);
  if (value.IsUndefined() || value.IsNull()) return fallback;
  return value.As<Napi::Number>().Int32Value();
}

Napi::Uint8Array RequireBytes(const Napi::Value &value, const char *what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw MakeError(value.Env(), "LOGWASM_ERR_ARGUMENT", std::string(what) + " must be a Uint8Array");
  }
  return value.As<Napi::Uint8Array>();
}

std::string RequireString(const Napi::Value &value, const char *what) {
  if (!value.IsString()) {
    throw MakeError(value.Env(), "LOGWASM_ERR_ARGUMENT", std::string(what) + " must be a string");
  }
  return value.As<Napi::String>().Utf8Value();
}

// Hands a filled lw_buf's memory to JavaScript without copying.
Napi::Buffer<uint8_t> TakeBuffer(Napi::Env env, lw_buf *buf) {
  if (buf->len == 0) {
    lw_buf_free(buf);
    return Napi::Buffer<uint8_t>::New(env, 0);
  }
  uint8_t *data = buf->data;
  size_t len = buf->len;
  *buf = lw_buf{};
  return Napi::Buffer<uint8_t>::New(env, data, len, [](Napi::Env, uint8_t *bytes) { free(bytes); });
}

}  // namespace

// filterChunkAsync: the chunk runs on a libuv worker thread; the filter is marked busy so the
// JavaScript side cannot enter it meanwhile (lw_filter is single-threaded).
class ChunkWorker : public Napi::AsyncWorker {
 public:
  ChunkWorker(Napi::Env env, FilterWrap *owner, Napi::Object owner_object, std::string tag,
              Napi::Uint8Array chunk)
      : Napi::AsyncWorker(env, "logwasm.filterChunkAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        owner_(owner),
        tag_(std::move(tag)),
        data_(chunk.Data()),
        len_(chunk.ByteLength()) {
    owner_ref_ = Napi::Persistent(owner_object);
    chunk_ref_ = Napi::Persistent(static_cast<Napi::Object>(chunk));
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    status_ = lw_filter_chunk(owner_->filter_, tag_.data(), tag_.size(), data_, len_, &out_, &err_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Finish();
    if (status_ == LW_OK) deferred_.Resolve(TakeBuffer(env, &out_));
    else deferred_.Reject(MakeError(env, err_).Value());
  }

  void OnError(const Napi::Error &error) override {
    Finish();
    deferred_.Reject(error.Value());
  }

  ~ChunkWorker() override { lw_buf_free(&out_); }

 private:
  void Finish() {
    owner_->busy_ = false;
    if (owner_->close_pending_) owner_->FreeFilter();
  }

  Napi::Promise::Deferred deferred_;
  FilterWrap *owner_;
  Napi::ObjectReference owner_ref_;  // keeps the filter object alive while the call runs
  Napi::ObjectReference chunk_ref_;  // keeps the input bytes alive
  std::string tag_;
  const uint8_t *data_;
  size_t len_;
  lw_buf out_ = {};
  lw_error err_ = {};
  lw_status status_ = LW_OK;
};

Napi::Function FilterWrap::Define(Napi::Env env) {
  Napi::Function constructor = DefineClass(env, "Filter",
                     {
                         StaticMethod<&FilterWrap::LoadAsync>("loadAsync"),
                         InstanceMethod<&FilterWrap::Record>("record"),
                         InstanceMethod<&FilterWrap::Chunk>("chunk"),
                         InstanceMethod<&FilterWrap::ChunkAsync>("chunkAsync"),
                         InstanceMethod<&FilterWrap::Metrics>("metrics"),
                         InstanceMethod<&FilterWrap::TakeLog>("takeLog"),
                         InstanceMethod<&FilterWrap::Close>("close"),
                         InstanceAccessor<&FilterWrap::IsBusy>("busy"),
                     });
  // loadAsync needs the constructor later; the addon has one class with instance data.
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(constructor)));
  return constructor;
}

// The options of new Filter(...) / Filter.loadAsync(...), copied out of JavaScript values so
// that lw_filter_new can run on a worker thread.
struct FilterSpec {
  std::vector<uint8_t> wasm;
  std::string wasm_name;
  std::string function_name;
  std::vector<std::string> paths;
  std::vector<const char *> path_pointers;
  lw_filter_config config = {};

  // Fills config; pointers refer to this object's members, so it must not move afterwards.
  void Read(const Napi::Value &value) {
    Napi::Env env = value.Env();
    if (!value.IsObject()) {
      throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "Filter options must be an object");
    }
    Napi::Object options = value.As<Napi::Object>();
    Napi::Uint8Array bytes = RequireBytes(options.Get("wasm"), "options.wasm");
    wasm.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
    function_name = RequireString(options.Get("functionName"), "options.functionName");
    if (options.Get("wasmName").IsString()) wasm_name = options.Get("wasmName").As<Napi::String>();
    Napi::Value paths_value = options.Get("accessiblePaths");
    if (paths_value.IsArray()) {
      Napi::Array array = paths_value.As<Napi::Array>();
      for (uint32_t i = 0; i < array.Length(); i++) {
        paths.push_back(RequireString(array.Get(i), "options.accessiblePaths[]"));
      }
    }
    for (const std::string &path : paths) path_pointers.push_back(path.c_str());

    config.wasm = wasm.data();
    config.wasm_len = wasm.size();
    config.wasm_name = wasm_name.empty() ? nullptr : wasm_name.c_str();
    config.function_name = function_name.c_str();
    config.event_format = OptionalInt(options, "eventFormat", LW_EVENT_JSON);
    config.accessible_paths = path_pointers.empty() ? nullptr : path_pointers.data();
    config.accessible_path_count = path_pointers.size();
    config.heap_size = OptionalU32(options, "heapSize", 0);
    config.stack_size = OptionalU32(options, "stackSize", 0);
    config.timeout_ms = OptionalU32(options, "timeoutMs", 0);
    Napi::Value max_memory = options.Get("maxMemoryBytes");
    config.max_memory_bytes =
        max_memory.IsNumber() ? static_cast<uint64_t>(max_memory.As<Napi::Number>().DoubleValue()) : 0;
    config.on_error = OptionalInt(options, "onError", LW_ON_ERROR_DROP);
    config.guest_stdout_fd = OptionalInt(options, "guestStdoutFd", -1);
    config.guest_stderr_fd = OptionalInt(options, "guestStderrFd", -1);
    config.log = &FilterLog::Callback;
  }

  // lw_filter_new with a fresh log; runs on any thread.
  lw_status Load(LoadedFilter &loaded, lw_error &err) {
    loaded.log = std::make_unique<FilterLog>();
    config.log_user = loaded.log.get();
    return lw_filter_new(&config, &loaded.filter, &err);
  }
};

// Filter.loadAsync(options) -> Promise<Filter>: validation, compilation and instantiation on a
// worker thread, so a big module does not stall the event loop.
class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Function constructor)
      : Napi::AsyncWorker(env, "logwasm.Filter.loadAsync"), deferred_(Napi::Promise::Deferred::New(env)) {
    constructor_ = Napi::Persistent(constructor);
  }
  FilterSpec spec;
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { status_ = spec.Load(loaded_, err_); }
  void OnOK() override {
    Napi::Env env = Env();
    if (status_ != LW_OK) {
      deferred_.Reject(MakeError(env, err_).Value());
      return;
    }
    // The constructor adopts the loaded filter when given it as an External.
    LoadedFilter *handover = new LoadedFilter(std::move(loaded_));
    loaded_.filter = nullptr;  // owned by the new object now
    Napi::Object object = constructor_.New({Napi::External<LoadedFilter>::New(env, handover)});
    deferred_.Resolve(object);
  }
  void OnError(const Napi::Error &error) override { deferred_.Reject(error.Value()); }
  ~LoadWorker() override {
    if (loaded_.filter) lw_filter_free(loaded_.filter);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference constructor_;
  LoadedFilter loaded_;
  lw_error err_ = {};
  lw_status status_ = LW_OK;
};

// new Filter({ wasm, wasmName, functionName, eventFormat, accessiblePaths, heapSize, stackSize,
//              timeoutMs, maxMemoryBytes, onError, guestStdoutFd, guestStderrFd })
FilterWrap::FilterWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<FilterWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() == 1 && info[0].IsExternal()) {  // from loadAsync
    LoadedFilter *loaded = info[0].As<Napi::External<LoadedFilter>>().Data();
    filter_ = loaded->filter;
    log_ = std::move(loaded->log);
    delete loaded;
    return;
  }
  if (info.Length() < 1) throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "new Filter(options): options are required");
  FilterSpec spec;
  spec.Read(info[0]);
  LoadedFilter loaded;
  lw_error err = {};
  if (spec.Load(loaded, err) != LW_OK) throw MakeError(env, err);
  filter_ = loaded.filter;
  log_ = std::move(loaded.log);
}

Napi::Value FilterWrap::LoadAsync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::FunctionReference *constructor = env.GetInstanceData<Napi::FunctionReference>();
  LoadWorker *worker = new LoadWorker(env, constructor->Value());
  try {
    worker->spec.Read(info.Length() ? info[0] : env.Undefined());
  } catch (...) {
    delete worker;
    throw;
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

FilterWrap::~FilterWrap() {
  // An asynchronous call holds a reference to this object, so it has ended by now.
  FreeFilter();
  lw_buf_free(&out_);
}

void FilterWrap::FreeFilter() {
  if (filter_) lw_filter_free(filter_);
  filter_ = nullptr;
  close_pending_ = false;
}

void FilterLog::Callback(void *user, const char *message) {
  FilterLog *log = static_cast<FilterLog *>(user);
  std::lock_guard<std::mutex> lock(log->mutex);
  if (log->lines.size() < kMaxLogLines) log->lines.emplace_back(message);
  else log->overflow++;
}

void FilterWrap::CheckUsable(Napi::Env env) {
  if (!filter_ || close_pending_) {
    throw MakeError(env, "LOGWASM_ERR_CLOSED", "the filter is closed; load it again to use it");
  }
  if (busy_) {
    throw MakeError(env, "LOGWASM_ERR_BUSY",
                    "the filter is running an asynchronous call; wait for its promise before the "
                    "next call (one call at a time per filter)");
  }
}

// record(tag, seconds, nanoseconds, body) -> Buffer (new or, with on_error keep, original body),
// null (dropped by the guest); throws when the call failed.
Napi::Value FilterWrap::Record(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  std::string tag = RequireString(info[0], "tag");
  double seconds = info[1].As<Napi::Number>().DoubleValue();
  uint32_t nanoseconds = info[2].As<Napi::Number>().Uint32Value();
  Napi::Uint8Array body = RequireBytes(info[3], "body");
  lw_record_outcome outcome = LW_RECORD_FAILED;
  lw_error err = {};
  lw_status status = lw_filter_record(filter_, tag.data(), tag.size(),
                                      static_cast<uint64_t>(seconds < 0 ? 0 : seconds), nanoseconds,
                                      body.Data(), body.ByteLength(), &out_, &outcome, &err);
  switch (outcome) {
    case LW_RECORD_REPLACED:
      return Napi::Buffer<uint8_t>::Copy(env, out_.data, out_.len);
    case LW_RECORD_DROPPED:
      return env.Null();
    case LW_RECORD_KEPT:
      FilterLog::Callback(log_.get(), err.message);
      return Napi::Buffer<uint8_t>::Copy(env, out_.data, out_.len);
    case LW_RECORD_FAILED:
      break;
  }
  if (status == LW_OK) {
    err.status = LW_ERR_INVALID;
    snprintf(err.message, sizeof err.message, "the filter call failed without a message");
  }
  throw MakeError(env, err);
}

// chunk(tag, chunk) -> Buffer: the new chunk.
Napi::Value FilterWrap::Chunk(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  std::string tag = RequireString(info[0], "tag");
  Napi::Uint8Array chunk = RequireBytes(info[1], "chunk");
  lw_error err = {};
  if (lw_filter_chunk(filter_, tag.data(), tag.size(), chunk.Data(), chunk.ByteLength(), &out_,
                      &err) != LW_OK) {
    throw MakeError(env, err);
  }
  return Napi::Buffer<uint8_t>::Copy(env, out_.data, out_.len);
}

// chunkAsync(tag, chunk) -> Promise<Buffer>; rejects with LOGWASM_ERR_BUSY if a call is running.
Napi::Value FilterWrap::ChunkAsync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  std::string tag = RequireString(info[0], "tag");
  Napi::Uint8Array chunk = RequireBytes(info[1], "chunk");
  ChunkWorker *worker = new ChunkWorker(env, this, info.This().As<Napi::Object>(), std::move(tag), chunk);
  busy_ = true;
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value FilterWrap::Metrics(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!filter_) throw MakeError(env, "LOGWASM_ERR_CLOSED", "the filter is closed");
  if (busy_) throw MakeError(env, "LOGWASM_ERR_BUSY", "the filter is running an asynchronous call");
  lw_filter_metrics metrics = {};
  lw_filter_metrics_get(filter_, &metrics);
  Napi::Object out = Napi::Object::New(env);
  auto set = [&](const char *name, uint64_t value) {
    out.Set(name, Napi::Number::New(env, static_cast<double>(value)));
  };
  set("recordsIn", metrics.records_in);
  set("recordsOut", metrics.records_out);
  set("recordsDropped", metrics.records_dropped);
  set("recordsKept", metrics.records_kept);
  set("errors", metrics.errors);
  set("errorsTrap", metrics.errors_trap);
  set("errorsTimeout", metrics.errors_timeout);
  set("errorsBadResult", metrics.errors_bad_result);
  set("errorsHeap", metrics.errors_heap);
  set("chunks", metrics.chunks);
  set("timeNs", metrics.time_ns);
  set("memoryBytes", metrics.memory_bytes);
  set("instanceRecreations", metrics.instance_recreations);
  out.Set("lastError", Napi::String::New(env, metrics.last_error));
  return out;
}

// takeLog() -> string[]: the record failures logged since the last call.
Napi::Value FilterWrap::TakeLog(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!log_) return Napi::Array::New(env, 0);
  std::lock_guard<std::mutex> lock(log_->mutex);
  Napi::Array lines = Napi::Array::New(env, log_->lines.size() + (log_->overflow ? 1 : 0));
  uint32_t i = 0;
  for (const std::string &line : log_->lines) lines.Set(i++, Napi::String::New(env, line));
  if (log_->overflow) {
    lines.Set(i, Napi::String::New(env, std::to_string(log_->overflow) + " more record error(s) not shown"));
  }
  log_->lines.clear();
  log_->overflow = 0;
  return lines;
}

Napi::Value FilterWrap::Close(const Napi::CallbackInfo &info) {
  if (busy_) close_pending_ = true;
  else FreeFilter();
  return info.Env().Undefined();
}

Napi::Value FilterWrap::IsBusy(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), busy_);
}

}  // namespace logwasm
