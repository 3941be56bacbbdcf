/* Reading a whole file into memory, shared by the command-line tools in this folder and the C
 * tests (test/native, test/wasi). A header rather than a .c because every C file in tools/ is
 * built into an executable of its own. */
#ifndef LW_TOOLS_READ_FILE_H
#define LW_TOOLS_READ_FILE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The bytes of the file at path (malloc'd: free them), their count in *len; or NULL with the
 * errno value that says why in *err_no (err_no may be NULL). Reads to end of file rather than
 * trusting its size, so pipes and /dev/stdin work too. */
static inline uint8_t *read_whole_file(const char *path, size_t *len, int *err_no) {
  int unused_errno;
  if (!err_no) err_no = &unused_errno;
  *err_no = 0;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err_no = errno;
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) {
      if (ferror(f)) {
        *err_no = errno ? errno : EIO;
        free(buf);
        buf = NULL;
      }
      break;
    }
    cap *= 2;
    uint8_t *bigger = realloc(buf, cap);
    if (!bigger) free(buf);
    buf = bigger;
  }
  if (!buf && !*err_no) *err_no = ENOMEM;
  fclose(f);
  *len = n;
  return buf;
}

#endif
