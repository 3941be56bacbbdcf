// Filter: one lw_filter (a Fluent Bit wasm filter instance) as a JavaScript class.
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
#include "logwasm_filter.h"
}

namespace logwasm {

// Record failures reported by lw_filter_chunk's log callback, kept until takeLog(). The
// callback may run on a worker thread (filterChunkAsync), hence the mutex.
struct FilterLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  size_t overflow = 0;
  static void Callback(void *user, const char *message);
};

// A loaded filter on its way to JavaScript (loadAsync loads on a worker thread).
struct LoadedFilter {
  lw_filter *filter = nullptr;
  std::unique_ptr<FilterLog> log;
};

class FilterWrap : public Napi::ObjectWrap<FilterWrap> {
 public:
  /** Defines the class and its static loadAsync; keeps the constructor for loadAsync. */
  static Napi::Function Define(Napi::Env env);
  explicit FilterWrap(const Napi::CallbackInfo &info);
  ~FilterWrap() override;

 private:
  friend class ChunkWorker;
  friend class LoadWorker;

  static Napi::Value LoadAsync(const Napi::CallbackInfo &info);
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

  lw_filter *filter_ = nullptr;
  std::unique_ptr<FilterLog> log_;
  lw_buf out_ = {};              // reused by synchronous calls
  bool busy_ = false;            // an asynchronous call owns the filter
  bool close_pending_ = false;   // close() during an asynchronous call: free when it ends
};

}  // namespace logwasm
