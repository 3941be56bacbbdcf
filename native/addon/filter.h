// Filter: one lw_filter (a Fluent Bit wasm filter instance) as a JavaScript class.
#pragma once
#include <napi.h>

#include <mutex>
#include <string>
#include <vector>

extern "C" {
#include "logwasm_filter.h"
}

namespace logwasm {

class FilterWrap : public Napi::ObjectWrap<FilterWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit FilterWrap(const Napi::CallbackInfo &info);
  ~FilterWrap() override;

 private:
  friend class ChunkWorker;

  Napi::Value Record(const Napi::CallbackInfo &info);
  Napi::Value Chunk(const Napi::CallbackInfo &info);
  Napi::Value ChunkAsync(const Napi::CallbackInfo &info);
  Napi::Value Metrics(const Napi::CallbackInfo &info);
  Napi::Value TakeLog(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);
  Napi::Value IsBusy(const Napi::CallbackInfo &info);

  /** Throws unless the filter is open and no asynchronous call is running on it. */
  void CheckUsable(Napi::Env env);
  void FreeFilter();
  static void OnLog(void *user, const char *message);

  lw_filter *filter_ = nullptr;
  lw_buf out_ = {};              // reused by synchronous calls
  bool busy_ = false;            // an asynchronous call owns the filter
  bool close_pending_ = false;   // close() during an asynchronous call: free when it ends
  std::mutex log_mutex_;         // the log callback may run on a worker thread
  std::vector<std::string> log_;
  size_t log_overflow_ = 0;
};

}  // namespace logwasm
