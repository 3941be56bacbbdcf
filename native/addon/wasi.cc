#include "wasi.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"

#ifdef LOGWASM_HAVE_WASI_H
extern "C" {
#include "logwasm_wasi.h"
}

namespace logwasm {

namespace {

// Everything one run needs, copied out of JavaScript values so it can run on a worker thread.
struct WasiJob {
  std::vector<uint8_t> wasm;
  std::string name;
  std::vector<std::string> args;  // args[0] is the program name
  std::vector<std::string> env;   // "KEY=VALUE"
  std::vector<std::pair<std::string, std::string>> preopens;  // guest path, host path
  bool capture_stdout = false;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  uint32_t max_memory_pages = 0;
  uint32_t stack_bytes = 0;
  uint32_t timeout_ms = 0;
  // results
  lw_status status = LW_OK;
  lw_error err = {};
  int exit_code = 0;
  std::vector<uint8_t> captured;
};

std::vector<std::string> StringArray(const Napi::Object &options, const char *name) {
  std::vector<std::string> out;
  Napi::Value value = options.Get(name);
  if (value.IsUndefined() || value.IsNull()) return out;
  if (!value.IsArray()) {
    throw MakeError(options.Env(), "LOGWASM_ERR_ARGUMENT", std::string(name) + " must be an array of strings");
  }
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) {
      throw MakeError(options.Env(), "LOGWASM_ERR_ARGUMENT", std::string(name) + " must be an array of strings");
    }
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

uint32_t U32(const Napi::Object &options, const char *name) {
  Napi::Value value = options.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().Uint32Value() : 0;
}

int Fd(const Napi::Object &options, const char *name) {
  Napi::Value value = options.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().Int32Value() : -1;
}

// { wasm, wasmName, args, env, preopens: [[guest, host]...], captureStdout, stdinFd, stdoutFd,
//   stderrFd, maxMemoryBytes, stackSize, timeoutMs }
void ReadJob(const Napi::CallbackInfo &info, WasiJob &job) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "runWasi(options): options must be an object");
  }
  Napi::Object options = info[0].As<Napi::Object>();
  Napi::Value wasm = options.Get("wasm");
  if (!wasm.IsTypedArray() || wasm.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "options.wasm must be a Uint8Array");
  }
  Napi::Uint8Array bytes = wasm.As<Napi::Uint8Array>();
  job.wasm.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  if (options.Get("wasmName").IsString()) job.name = options.Get("wasmName").As<Napi::String>();
  job.args = StringArray(options, "args");  // may be empty: exec_wasi guests get no argv
  job.env = StringArray(options, "env");
  Napi::Value preopens = options.Get("preopens");
  if (preopens.IsArray()) {
    Napi::Array array = preopens.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); i++) {
      Napi::Value pair = array.Get(i);
      if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2) {
        throw MakeError(env, "LOGWASM_ERR_ARGUMENT", "options.preopens must hold [guestPath, hostPath] pairs");
      }
      Napi::Array p = pair.As<Napi::Array>();
      job.preopens.emplace_back(p.Get(0u).ToString().Utf8Value(), p.Get(1u).ToString().Utf8Value());
    }
  }
  job.capture_stdout = options.Get("captureStdout").ToBoolean();
  job.stdin_fd = Fd(options, "stdinFd");
  job.stdout_fd = Fd(options, "stdoutFd");
  job.stderr_fd = Fd(options, "stderrFd");
  Napi::Value max_memory = options.Get("maxMemoryBytes");
  if (max_memory.IsNumber()) {
    double pages = max_memory.As<Napi::Number>().DoubleValue() / 65536.0;
    job.max_memory_pages = pages < 1 ? 1 : static_cast<uint32_t>(pages);
  }
  job.stack_bytes = U32(options, "stackSize");
  job.timeout_ms = U32(options, "timeoutMs");
}

// Node makes the descriptors behind process.stdin/stdout/stderr non-blocking once they are
// used, but a guest expects blocking stdio: on a non-blocking pipe one large fd_write to a slow
// reader becomes a short write the guest may not retry. A non-blocking pipe, FIFO or terminal
// is therefore reopened through /proc/self/fd as a new, blocking description of the same file
// (Node's own description keeps its flags). Returns the new fd, or -1 to use `fd` as it is
// (already blocking, a regular file or socket, or the reopen failed).
int BlockingView(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || !(flags & O_NONBLOCK)) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) return -1;
  char proc_path[32];
  snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
  // O_NONBLOCK for the open itself: opening a FIFO for writing would wait for a reader
  int reopened = open(proc_path, (flags & (O_ACCMODE | O_APPEND)) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (reopened < 0) return -1;
  if (fcntl(reopened, F_SETFL, flags & O_APPEND) != 0) {  // i.e. without O_NONBLOCK
    close(reopened);
    return -1;
  }
  return reopened;
}

// Load, instantiate with WASI, call _start. Runs on any thread; touches no JavaScript value.
void RunJob(WasiJob &job) {
  lw_load_options load = {};
  load.name = job.name.empty() ? nullptr : job.name.c_str();
  lw_module *module = nullptr;
  job.status = lw_module_load(job.wasm.data(), job.wasm.size(), &load, &module, &job.err);
  if (job.status != LW_OK) return;

  std::vector<const char *> argv, envp;
  for (const std::string &arg : job.args) argv.push_back(arg.c_str());
  for (const std::string &var : job.env) envp.push_back(var.c_str());
  std::vector<lw_wasi_preopen> preopens;
  for (const auto &pair : job.preopens) preopens.push_back({pair.first.c_str(), pair.second.c_str()});

  lw_wasi_config config = {};
  config.argc = static_cast<int>(argv.size());
  config.argv = argv.empty() ? nullptr : argv.data();
  config.envc = static_cast<int>(envp.size());
  config.envp = envp.empty() ? nullptr : envp.data();
  config.preopen_count = preopens.size();
  config.preopens = preopens.empty() ? nullptr : preopens.data();
  // the host's own 0/1/2 (fd -1), made blocking for the guest where Node left them otherwise
  int reopened[3] = {-1, -1, -1};
  for (int fd = 0; fd < 3; fd++) {
    int chosen = fd == 0 ? job.stdin_fd : fd == 1 ? job.stdout_fd : job.stderr_fd;
    if (chosen < 0 && !(fd == 1 && job.capture_stdout)) reopened[fd] = BlockingView(fd);
  }
  config.stdin_fd = reopened[0] >= 0 ? reopened[0] : job.stdin_fd;
  config.stdout_fd = reopened[1] >= 0 ? reopened[1] : job.stdout_fd;
  config.stderr_fd = reopened[2] >= 0 ? reopened[2] : job.stderr_fd;
  config.capture_stdout = job.capture_stdout;

  lw_wasi *wasi = nullptr;
  lw_store *store = nullptr;
  lw_linker *linker = nullptr;
  job.status = lw_wasi_new(&config, &wasi, &job.err);
  if (job.status == LW_OK) {
    lw_store_config store_config = {};
    store_config.value_stack_bytes = job.stack_bytes;
    store_config.max_memory_pages = job.max_memory_pages;
    store = lw_store_new(&store_config);
    linker = lw_linker_new();
    if (!store || !linker) {
      job.status = job.err.status = LW_ERR_NOMEM;
      snprintf(job.err.message, sizeof job.err.message, "out of host memory creating the WASI store");
    } else {
      job.status = lw_wasi_define(wasi, store, linker);
      if (job.status != LW_OK) {
        job.err.status = job.status;
        snprintf(job.err.message, sizeof job.err.message, "could not define the WASI functions");
      }
    }
  }
  if (job.status == LW_OK) {
    if (job.timeout_ms) lw_store_set_deadline(store, lw_monotonic_ns() + uint64_t(job.timeout_ms) * 1000000u);
    job.status = lw_wasi_run_command(store, module, linker, wasi, &job.exit_code, &job.err);
    size_t len = 0;
    const uint8_t *out = lw_wasi_captured_stdout(wasi, &len);
    if (out && len) job.captured.assign(out, out + len);
  }
  if (linker) lw_linker_free(linker);
  if (store) lw_store_free(store);
  if (wasi) lw_wasi_free(wasi);
  for (int fd : reopened)
    if (fd >= 0) close(fd);
  lw_module_free(module);
}

// { exitCode, stdout } or, when the run failed, { exitCode: null, stdout, error }: captured
// output up to a trap is still useful to the caller, so failures are returned, not thrown.
Napi::Object JobResult(Napi::Env env, WasiJob &job) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("stdout", Napi::Buffer<uint8_t>::Copy(env, job.captured.data(), job.captured.size()));
  if (job.status == LW_OK) {
    result.Set("exitCode", Napi::Number::New(env, job.exit_code));
  } else {
    result.Set("exitCode", env.Null());
    result.Set("error", MakeError(env, job.err).Value());
  }
  return result;
}

Napi::Value RunWasi(const Napi::CallbackInfo &info) {
  WasiJob job;
  ReadJob(info, job);
  RunJob(job);
  return JobResult(info.Env(), job);
}

class WasiWorker : public Napi::AsyncWorker {
 public:
  explicit WasiWorker(Napi::Env env)
      : Napi::AsyncWorker(env, "logwasm.runWasiAsync"), deferred_(Napi::Promise::Deferred::New(env)) {}
  WasiJob job;
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { RunJob(job); }
  void OnOK() override { deferred_.Resolve(JobResult(Env(), job)); }
  void OnError(const Napi::Error &error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
};

Napi::Value RunWasiAsync(const Napi::CallbackInfo &info) {
  WasiWorker *worker = new WasiWorker(info.Env());
  try {
    ReadJob(info, worker->job);
  } catch (...) {
    delete worker;
    throw;
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void DefineWasi(Napi::Env env, Napi::Object exports) {
  exports.Set("runWasi", Napi::Function::New<RunWasi>(env, "runWasi"));
  exports.Set("runWasiAsync", Napi::Function::New<RunWasiAsync>(env, "runWasiAsync"));
}

}  // namespace logwasm

#else

namespace logwasm {
void DefineWasi(Napi::Env, Napi::Object) {}
}  // namespace logwasm

#endif
