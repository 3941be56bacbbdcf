/* logwasm: the Fluent Bit WASM filter, in C.
 *
 * A filter owns one module and one instance of it (plus WASI and the `env` libc library) and
 * runs the module's filter function once per record, exactly as Fluent Bit's `wasm` filter
 * does (see docs: fluent-bit-wasm.md, sections 1-3), with logwasm's stricter error handling:
 * every failure is a value, counted in the metrics, and never affects the next record.
 *
 * Threads: an lw_filter is never entered by two threads at once. Callers serialise (the Node
 * addon does); different filters are independent and may run in parallel.
 *
 * Two entry points do the per-record work:
 *   lw_filter_record  one record body (msgpack) in, one body out (or a drop);
 *   lw_filter_chunk   a whole Fluent Bit chunk (msgpack event stream) in, a new chunk out:
 *                     one native call per chunk, no per-record crossing for the host. */
#ifndef LOGWASM_FILTER_H
#define LOGWASM_FILTER_H

#include "logwasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growable byte buffer. Zero-initialise it ({0}); the library grows it with realloc. Buffers
 * passed as outputs are overwritten (len reset to 0), keeping their capacity, so a caller can
 * reuse one buffer across calls. Free with lw_buf_free. */
typedef struct lw_buf {
  uint8_t *data;
  size_t len, cap;
} lw_buf;
void lw_buf_free(lw_buf *buf); /* frees data and zeroes the struct */

typedef enum lw_event_format {
  LW_EVENT_JSON = 0,   /* the guest sees the body as compact JSON text (default) */
  LW_EVENT_MSGPACK = 1 /* the guest sees the body as msgpack */
} lw_event_format;

typedef enum lw_on_error {
  LW_ON_ERROR_DROP = 0, /* a failed call drops the record (Fluent Bit's behaviour) */
  LW_ON_ERROR_KEEP = 1  /* a failed call passes the original record through unchanged */
} lw_on_error;

/* Called for each record that fails inside lw_filter_chunk (lw_filter_record reports through
 * its lw_error instead). Runs on the calling thread, inside lw_filter_chunk. */
typedef void (*lw_filter_log_fn)(void *user, const char *message);

typedef struct lw_filter_config {
  const uint8_t *wasm;          /* the module's bytes; copied, need not outlive lw_filter_new */
  size_t wasm_len;
  const char *wasm_name;        /* file path, used in messages; may be NULL */
  const char *function_name;    /* the exported filter function; required */
  int event_format;             /* lw_event_format */
  /* Preopened directories (fd 3, 4, ...); each guest-visible name is the string itself.
   * count 0 = none (the config layer supplies Fluent Bit's default "."). */
  const char *const *accessible_paths;
  size_t accessible_path_count;
  uint32_t heap_size;           /* wasm_heap_size in bytes; 0 = 8192; below 8192 raised to 8192 */
  uint32_t stack_size;          /* wasm_stack_size: interpreter value stack bytes; 0 = 8192.
                                   logwasm uses at least 64 KiB (its frames are larger than
                                   WAMR's), so small values never break a working plugin. */
  uint32_t timeout_ms;          /* wasm_timeout per call; 0 = none */
  uint64_t max_memory_bytes;    /* wasm_max_memory: linear memory cap; 0 = none */
  int on_error;                 /* lw_on_error */
  int guest_stdout_fd;          /* where guest fd 1 (and env printf/puts) go; -1 = host's 1 */
  int guest_stderr_fd;          /* where guest fd 2 goes; -1 = host's 2 */
  lw_filter_log_fn log;         /* optional, see above */
  void *log_user;
} lw_filter_config;

typedef struct lw_filter lw_filter;

/* Load, validate, check the export (name and type (i32 x6) -> i32), instantiate and run the
 * initialisers (start, _initialize, __post_instantiate, __wasm_call_ctors). Errors name the
 * file and say what to change. */
lw_status lw_filter_new(const lw_filter_config *config, lw_filter **out, lw_error *err);
void lw_filter_free(lw_filter *filter);

typedef enum lw_record_outcome {
  LW_RECORD_REPLACED = 0, /* out_body holds the new body (msgpack map) */
  LW_RECORD_DROPPED = 1,  /* the guest dropped the record (NULL or empty result) */
  LW_RECORD_FAILED = 2,   /* the call failed; the record is dropped; err says why */
  LW_RECORD_KEPT = 3      /* the call failed, on_error keep: out_body holds the original body */
} lw_record_outcome;

/* Run the filter on one record. body is the record's msgpack body (normally a map).
 * Returns LW_OK with outcome REPLACED or DROPPED when the guest ran and its result was usable.
 * Otherwise returns the failure's status (LW_ERR_TRAP for traps and timeouts, LW_ERR_EXIT,
 * LW_ERR_NOMEM for an exhausted guest heap, LW_ERR_INVALID for a bad result, ...), fills err,
 * and sets outcome to FAILED or KEPT. The outcome is always set. */
lw_status lw_filter_record(lw_filter *filter, const char *tag, size_t tag_len, uint64_t sec,
                           uint32_t nsec, const uint8_t *body, size_t body_len, lw_buf *out_body,
                           lw_record_outcome *outcome, lw_error *err);

/* Run the filter on every record of a Fluent Bit chunk: a sequence of [[time, metadata], body]
 * or [time, body] events, time as EventTime (ext 0, 8 bytes BE sec, nsec) or int/float.
 * Group markers (time -1 / -2) are copied through untouched and never shown to the guest.
 * out receives the new chunk: each event keeps its original time bytes and metadata, the body
 * is replaced, dropped records are removed, kept records (on_error keep) are copied.
 * Record failures do not fail the chunk: they are counted, logged through config.log, and
 * the last one is in the metrics. A corrupt chunk returns LW_ERR_MALFORMED naming the byte
 * offset and the event index; out is then empty and the caller should keep its input. */
lw_status lw_filter_chunk(lw_filter *filter, const char *tag, size_t tag_len,
                          const uint8_t *chunk, size_t len, lw_buf *out, lw_error *err);

typedef struct lw_filter_metrics {
  uint64_t records_in;       /* records shown to the guest (group markers not counted) */
  uint64_t records_out;      /* records emitted: replaced + kept */
  uint64_t records_dropped;  /* dropped by the guest (NULL / empty result) */
  uint64_t records_kept;     /* failed but passed through (on_error keep) */
  uint64_t errors;           /* failed records, all reasons */
  uint64_t errors_trap;      /* traps, host-function traps, abort()/exit() */
  uint64_t errors_timeout;   /* wasm_timeout expired */
  uint64_t errors_bad_result;/* result out of bounds, not JSON, not an object/map, ... */
  uint64_t errors_heap;      /* the record copy could not be allocated in the guest */
  uint64_t chunks;           /* lw_filter_chunk calls that succeeded */
  uint64_t time_ns;          /* total time inside lw_filter_record / lw_filter_chunk */
  uint64_t memory_bytes;     /* current linear memory size */
  uint64_t instance_recreations; /* after timeouts */
  char last_error[512];      /* most recent record failure, "" if none */
} lw_filter_metrics;

void lw_filter_metrics_get(const lw_filter *filter, lw_filter_metrics *out);

/* Helpers the host also needs, with exactly the filter's semantics (section 2):
 * msgpack value -> compact JSON (Fluent Bit formatting, one object, no NUL appended), and
 * JSON text -> msgpack (integers stay integers, exact over i64/u64; smallest encodings).
 * lw_json_to_msgpack accepts any single JSON value surrounded by optional whitespace.
 * Where the contract is silent, lw_msgpack_to_json writes ext values, NaN and Infinity as null,
 * invalid UTF-8 bytes as \ufffd and non-string map keys as the string of their JSON text; a
 * repeated string key is written once, at its last position, with its last value. */
lw_status lw_msgpack_to_json(const uint8_t *msgpack, size_t len, lw_buf *out, lw_error *err);
lw_status lw_json_to_msgpack(const char *json, size_t len, lw_buf *out, lw_error *err);

/* One NDJSON line as logwasm's CLI reads it (section 2, records that enter as JSON text): a
 * JSON object (the body, stamped now_sec.now_nsec), [time, body] or [[time, metadata], body],
 * with time in seconds as a number or a string of digits, a fraction of up to 9 digits kept
 * exactly (more are truncated). Writes one chunk entry [[EventTime, metadata], body] to out
 * (metadata {} when absent); body and metadata keep Fluent Bit's number kinds (120.0 a float,
 * 18446744073709551615 exact). LW_ERR_MALFORMED names the column (1-based) that is wrong. */
lw_status lw_ndjson_event_to_chunk_entry(const char *line, size_t len, uint32_t now_sec,
                                         uint32_t now_nsec, lw_buf *out, lw_error *err);

/* One event of a chunk, as lw_chunk_next_event finds it: pointers into the chunk. */
typedef struct lw_chunk_event {
  int64_t seconds;       /* EventTime seconds, or the whole seconds of a number time */
  uint32_t nanoseconds;  /* 0..999999999 */
  bool group_marker;     /* time -1 (group start) or -2 (group end) */
  const uint8_t *metadata; /* the metadata object of [[time, metadata], body]; NULL for */
  size_t metadata_len;     /* the older [time, body] form */
  const uint8_t *body;
  size_t body_len;
} lw_chunk_event;

/* Read the event at *pos of a chunk and advance *pos past it; loop while *pos < len.
 * LW_ERR_MALFORMED names the byte offset of a corrupt or truncated event. */
lw_status lw_chunk_next_event(const uint8_t *chunk, size_t len, size_t *pos, lw_chunk_event *event,
                              lw_error *err);

#ifdef __cplusplus
}
#endif
#endif
