/* Unit test of the WASI sandbox's path resolver (lw_sandbox_resolve, src/wasi/wasi_sandbox.c):
 * builds a small tree in a temporary directory, resolves guest paths beneath it and checks
 * the WASI errno, or for successes that (dirfd, name) denotes the expected host file.
 * Built and run by test/wasi/wasi.test.mjs:
 *   cc -D_GNU_SOURCE -Inative/runtime/include -Inative/runtime/src test/wasi/sandbox_test.c \
 *      build/runtime/native/runtime/liblogwasm_runtime.a -lm -lpthread
 * Prints "sandbox: N passed, M failed" and exits 1 on any failure. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_internal.h"

static int passed, failed;
static char root[PATH_MAX];

static void mk(const char *rel, bool dir) {
  char p[2 * PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", root, rel);
  if (dir) {
    if (mkdir(p, 0755) != 0) perror(p);
  } else {
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
    else perror(p);
  }
}

static void ln(const char *target, const char *rel) {
  char p[2 * PATH_MAX];
  snprintf(p, sizeof p, "%s/%s", root, rel);
  if (symlink(target, p) != 0) perror(p);
}

/* Resolve and check: want_errno != 0 expects that error; otherwise the result must denote
 * the host path root/want_rel (compared by device and inode, without following a final
 * symlink; skipped when want_rel is NULL) and, when want_name is given, carry exactly that
 * final name. */
static void check(int base, const char *path, size_t len, bool follow, uint16_t want_errno,
                  const char *want_rel, const char *want_name) {
  lw_resolved r;
  uint16_t e = lw_sandbox_resolve(base, path, len, follow, &r);
  char shown[128];
  snprintf(shown, sizeof shown, "%.*s%s", (int)(len < 100 ? len : 100), path,
           follow ? " (follow)" : "");
  for (char *c = shown; *c; c++)
    if (*c == 0) *c = '@';
  bool ok;
  char why[256] = "";
  if (want_errno) {
    ok = e == want_errno;
    if (!ok) snprintf(why, sizeof why, "errno %u, expected %u", e, want_errno);
  } else if (e) {
    ok = false;
    snprintf(why, sizeof why, "errno %u, expected success", e);
  } else {
    char p[2 * PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", root, want_rel ? want_rel : "");
    struct stat got, want;
    ok = !want_rel || (fstatat(r.dirfd, r.name, &got, AT_SYMLINK_NOFOLLOW) == 0 &&
                       lstat(p, &want) == 0 && got.st_ino == want.st_ino &&
                       got.st_dev == want.st_dev);
    if (!ok) snprintf(why, sizeof why, "resolved to '%s', not %s", r.name, want_rel);
    if (ok && want_name && strcmp(r.name, want_name) != 0) {
      ok = false;
      snprintf(why, sizeof why, "final name '%s', expected '%s'", r.name, want_name);
    }
  }
  if (e == 0) lw_resolved_release(&r);
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s: %s\n", shown, why);
  }
}

#define CHECK_OK(path, follow, rel, name) check(base, path, strlen(path), follow, 0, rel, name)
#define CHECK_ERR(path, follow, err) check(base, path, strlen(path), follow, err, NULL, NULL)

int main(void) {
  char tmpl[] = "/tmp/lw-sandbox-XXXXXX";
  if (!mkdtemp(tmpl)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(root, sizeof root, "%s/root", tmpl);
  mkdir(root, 0755);
  mk("a", true);
  mk("a/b", true);
  mk("a/b/file", false);
  mk("file", false);
  ln("a/b", "to_b");                 /* inside */
  ln("../file", "a/up");             /* goes up, stays inside */
  ln("../../..", "a/b/escape");      /* leaves the root */
  ln("/etc", "abs");                 /* absolute */
  ln("self", "self");                /* loop */
  ln("missing", "dangling");
  ln("to_b", "chain0");              /* chains of links */
  for (int i = 1; i <= 45; i++) {
    char name[32], target[32];
    snprintf(name, sizeof name, "chain%d", i);
    snprintf(target, sizeof target, "chain%d", i - 1);
    ln(target, name);
  }
  char outside[PATH_MAX];
  snprintf(outside, sizeof outside, "%s/outside", tmpl);
  mkdir(outside, 0755);

  int base = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (base < 0) {
    perror(root);
    return 1;
  }

  /* plain and normalised paths */
  CHECK_OK("file", false, "file", "file");
  CHECK_OK("a/b/file", false, "a/b/file", "file");
  CHECK_OK("a/./b//file", false, "a/b/file", "file");
  CHECK_OK("a/../a/b/../b/file", false, "a/b/file", "file");
  CHECK_OK(".", false, ".", ".");
  CHECK_OK("a/..", false, ".", ".");
  CHECK_OK("./", false, ".", ".");
  CHECK_OK("a/", false, "a", "a/");
  CHECK_OK("a/b///", false, "a/b", "b/");
  /* escapes */
  CHECK_ERR("..", false, W_ENOTCAPABLE);
  CHECK_ERR("../root/file", false, W_ENOTCAPABLE);
  CHECK_ERR("a/../../root/file", false, W_ENOTCAPABLE);
  CHECK_ERR("a/b/../../..", false, W_ENOTCAPABLE);
  CHECK_ERR("/etc/passwd", false, W_ENOTCAPABLE);
  CHECK_ERR("/", false, W_ENOTCAPABLE);
  CHECK_ERR("a/b/escape/x", false, W_ENOTCAPABLE);
  CHECK_ERR("a/b/escape", true, W_ENOTCAPABLE);
  CHECK_ERR("a/b/escape/", false, W_ENOTCAPABLE);
  CHECK_ERR("abs/passwd", false, W_ENOTCAPABLE);
  CHECK_ERR("abs", true, W_ENOTCAPABLE);
  CHECK_ERR("abs/", false, W_ENOTCAPABLE);
  /* symlinks inside */
  CHECK_OK("to_b/file", false, "a/b/file", "file");
  CHECK_OK("to_b", true, "a/b", NULL);
  CHECK_OK("to_b", false, "to_b", "to_b"); /* not followed: the link itself */
  CHECK_OK("to_b/", false, "a/b", NULL);    /* a trailing slash follows */
  CHECK_OK("a/up", true, "file", "file");
  CHECK_OK("a/up", false, "a/up", "up");
  CHECK_OK("dangling", false, "dangling", "dangling");
  CHECK_OK("dangling", true, NULL, "missing"); /* O_CREAT through it creates the target */
  CHECK_ERR("dangling/x", false, W_ENOENT);
  /* loops and link budget (LW_SANDBOX_MAX_SYMLINKS = 40) */
  CHECK_ERR("self", true, W_ELOOP);
  CHECK_ERR("self/x", false, W_ELOOP);
  CHECK_OK("chain38/file", false, "a/b/file", "file"); /* 39 links + to_b = 40 */
  CHECK_ERR("chain45/file", false, W_ELOOP);
  /* errors from the host */
  CHECK_ERR("missing/x", false, W_ENOENT);
  CHECK_ERR("file/x", false, W_ENOTDIR);
  CHECK_ERR("", false, W_ENOENT);
  check(base, "file\0x", 6, false, W_EINVAL, NULL, NULL);
  check(base, "file\0", 5, false, W_EINVAL, NULL, NULL);
  char longname[NAME_MAX + 8];
  memset(longname, 'n', NAME_MAX + 1);
  longname[NAME_MAX + 1] = 0;
  CHECK_ERR(longname, false, W_ENAMETOOLONG);
  /* non-terminated input: only len bytes count */
  check(base, "filexyz", 4, false, 0, "file", "file");

  close(base);
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpl);
  printf("sandbox: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
