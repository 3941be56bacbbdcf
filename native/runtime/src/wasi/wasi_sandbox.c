/* Sandboxed path resolution: a guest path is walked one component at a time beneath the
 * directory descriptor it is relative to, so it can never name anything outside it.
 *
 * Why not let the kernel resolve the whole path: an ordinary openat() follows "..", absolute
 * paths and symlinks anywhere. Here every intermediate directory is opened with
 * O_NOFOLLOW | O_DIRECTORY | O_PATH from its parent, ".." pops back to a descriptor we opened
 * ourselves (refused at the base), and symlinks are read with readlinkat() and expanded in
 * place (absolute targets refused), with a budget against loops. The final component is
 * returned with its parent directory so each operation can use the matching *at() call with
 * no-follow semantics. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_internal.h"

typedef struct dir_stack {
  int *fds;
  size_t depth, cap;
} dir_stack;

static void stack_clear(dir_stack *s) {
  for (size_t i = 0; i < s->depth; i++) close(s->fds[i]);
  free(s->fds);
  s->fds = NULL;
  s->depth = s->cap = 0;
}

static bool stack_push(dir_stack *s, int fd) {
  if (s->depth == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 16;
    int *fds = realloc(s->fds, cap * sizeof *fds);
    if (!fds) return false;
    s->fds = fds;
    s->cap = cap;
  }
  s->fds[s->depth++] = fd;
  return true;
}

/* Replace the unresolved rest of the path by link_target + "/" + rest. Returns a new buffer. */
static char *splice_link(const char *target, size_t target_len, const char *rest, size_t rest_len) {
  char *out = malloc(target_len + 1 + rest_len + 1);
  if (!out) return NULL;
  memcpy(out, target, target_len);
  size_t n = target_len;
  if (rest_len) {
    out[n++] = '/';
    memcpy(out + n, rest, rest_len);
    n += rest_len;
  }
  out[n] = 0;
  return out;
}

/* A symlink's target (n bytes) that cannot be followed: an empty one names nothing (NOENT),
 * an absolute one would leave the sandbox (NOTCAPABLE). 0 when it can be. */
static uint16_t link_target_error(const char *target, ssize_t n) {
  if (n == 0) return W_ENOENT;
  if (target[0] == '/') return W_ENOTCAPABLE;
  return 0;
}

/* Read the symlink (dirfd, name). Returns its length, or -1 with errno set. */
static ssize_t read_link(int dirfd, const char *name, char *buf, size_t cap) {
  ssize_t n = readlinkat(dirfd, name, buf, cap);
  if (n >= 0 && (size_t)n >= cap) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return n;
}

uint16_t lw_sandbox_resolve(int base_fd, const char *path, size_t path_len, bool follow_final,
                            lw_resolved *out) {
  out->dirfd = -1;
  out->dirfd_owned = false;
  out->name = NULL;
  if (path_len == 0) return W_ENOENT;
  if (memchr(path, 0, path_len)) return W_EINVAL;
  if (path[0] == '/') return W_ENOTCAPABLE; /* absolute paths never resolve beneath a dir */

  char *work = malloc(path_len + 1); /* the unresolved remainder, rewritten on symlinks */
  char link_buf[PATH_MAX];
  if (!work) return W_ENOMEM;
  memcpy(work, path, path_len);
  work[path_len] = 0;
  size_t pos = 0;
  dir_stack stack = {0};
  int symlinks = 0;
  uint16_t result = 0;
  char *final_name = NULL;

  for (;;) {
    int cur = stack.depth ? stack.fds[stack.depth - 1] : base_fd;
    size_t len = strlen(work);
    while (pos < len && work[pos] == '/') pos++;
    if (pos >= len) { /* only slashes or nothing left: the current directory itself */
      final_name = strdup(".");
      break;
    }
    size_t start = pos;
    while (pos < len && work[pos] != '/') pos++;
    size_t comp_len = pos - start;
    size_t after = pos;
    while (after < len && work[after] == '/') after++;
    bool is_last = after >= len;
    bool trailing_slash = is_last && pos < len;
    char comp[NAME_MAX + 2];
    if (comp_len > NAME_MAX) {
      result = W_ENAMETOOLONG;
      break;
    }
    memcpy(comp, work + start, comp_len);
    comp[comp_len] = 0;

    if (strcmp(comp, ".") == 0) {
      if (is_last) {
        final_name = strdup(".");
        break;
      }
      continue;
    }
    if (strcmp(comp, "..") == 0) {
      if (stack.depth == 0) { /* would leave the directory we were given */
        result = W_ENOTCAPABLE;
        break;
      }
      close(stack.fds[--stack.depth]);
      if (is_last) {
        final_name = strdup(".");
        break;
      }
      continue;
    }

    if (is_last) {
      /* A trailing slash makes the kernel follow a final symlink whatever the flags say, so
       * such a symlink is expanded here, inside the sandbox, like an intermediate one. */
      if (follow_final || trailing_slash) {
        struct stat st;
        if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
          if (++symlinks > LW_SANDBOX_MAX_SYMLINKS) {
            result = W_ELOOP;
            break;
          }
          ssize_t n = read_link(cur, comp, link_buf, sizeof link_buf);
          if (n < 0) {
            result = lw_wasi_errno_from_host(errno);
            break;
          }
          if ((result = link_target_error(link_buf, n))) break;
          /* keep the trailing slash: the target must then be a directory */
          char *next = malloc((size_t)n + 2);
          if (next) {
            memcpy(next, link_buf, (size_t)n);
            next[n] = trailing_slash ? '/' : 0;
            next[n + 1] = 0;
          }
          if (!next) {
            result = W_ENOMEM;
            break;
          }
          free(work);
          work = next;
          pos = 0;
          continue;
        }
      }
      final_name = malloc(comp_len + 2);
      if (final_name) {
        memcpy(final_name, comp, comp_len);
        if (trailing_slash) final_name[comp_len++] = '/';
        final_name[comp_len] = 0;
      }
      break;
    }

    /* An intermediate component: must be a directory or a symlink to one. */
    int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      if (!stack_push(&stack, fd)) {
        close(fd);
        result = W_ENOMEM;
        break;
      }
      continue;
    }
    int open_errno = errno;
    if (open_errno == ENOTDIR || open_errno == ELOOP) {
      ssize_t n = read_link(cur, comp, link_buf, sizeof link_buf);
      if (n >= 0) {
        if (++symlinks > LW_SANDBOX_MAX_SYMLINKS) {
          result = W_ELOOP;
          break;
        }
        if ((result = link_target_error(link_buf, n))) break;
        char *next = splice_link(link_buf, (size_t)n, work + after, len - after);
        if (!next) {
          result = W_ENOMEM;
          break;
        }
        free(work);
        work = next;
        pos = 0;
        continue;
      }
    }
    result = lw_wasi_errno_from_host(open_errno);
    break;
  }
  free(work);

  if (result == 0 && !final_name) result = W_ENOMEM;
  if (result != 0) {
    free(final_name);
    stack_clear(&stack);
    return result;
  }
  if (stack.depth) {
    out->dirfd = stack.fds[--stack.depth];
    out->dirfd_owned = true;
  } else {
    out->dirfd = base_fd;
  }
  stack_clear(&stack);
  out->name = final_name;
  return 0;
}

void lw_resolved_release(lw_resolved *r) {
  if (r->dirfd_owned && r->dirfd >= 0) close(r->dirfd);
  free(r->name);
  r->dirfd = -1;
  r->dirfd_owned = false;
  r->name = NULL;
}
