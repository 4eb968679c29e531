/* wasi_sandbox.c: wasm32-wasi only. Calls the wasi_snapshot_preview1
 * imports directly (below libc, which would resolve paths itself) to check
 * that the host refuses to leave the preopened directory and bounds-checks
 * every guest pointer. Run by tests/wasi/run_wasi.sh with one preopen; it
 * prints one line per failed check and exits with the number of failures. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IMPORT(name)                                                          \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

IMPORT(fd_prestat_get) int32_t w_prestat_get(int32_t fd, int32_t out);
IMPORT(path_open) int32_t w_path_open(int32_t fd, int32_t dirflags, int32_t path,
                                      int32_t path_len, int32_t oflags,
                                      int64_t base, int64_t inh, int32_t fdflags,
                                      int32_t out);
IMPORT(path_symlink) int32_t w_path_symlink(int32_t old, int32_t old_len, int32_t fd,
                                            int32_t path, int32_t path_len);
IMPORT(path_create_directory) int32_t w_mkdir(int32_t fd, int32_t path, int32_t len);
IMPORT(path_remove_directory) int32_t w_rmdir(int32_t fd, int32_t path, int32_t len);
IMPORT(path_unlink_file) int32_t w_unlink(int32_t fd, int32_t path, int32_t len);
IMPORT(path_filestat_get) int32_t w_path_stat(int32_t fd, int32_t flags, int32_t path,
                                              int32_t len, int32_t out);
IMPORT(path_rename) int32_t w_rename(int32_t fd, int32_t a, int32_t alen, int32_t fd2,
                                     int32_t b, int32_t blen);
IMPORT(fd_write) int32_t w_fd_write(int32_t fd, int32_t iovs, int32_t n, int32_t out);
IMPORT(fd_read) int32_t w_fd_read(int32_t fd, int32_t iovs, int32_t n, int32_t out);
IMPORT(args_get) int32_t w_args_get(int32_t argv, int32_t buf);
IMPORT(random_get) int32_t w_random_get(int32_t buf, int32_t len);
IMPORT(clock_time_get) int32_t w_clock_time_get(int32_t id, int64_t prec, int32_t out);
IMPORT(fd_close) int32_t w_fd_close(int32_t fd);

enum { E_BADF = 8, E_FAULT = 21, E_INVAL = 28, E_PERM = 63, E_NOTCAPABLE = 76 };

static int failures;

#define P(s) ((int32_t)(uintptr_t)(s)), ((int32_t)strlen(s))

static void expect(const char *what, int32_t got, int32_t want1, int32_t want2) {
  if (got != want1 && got != want2) {
    printf("FAIL %s: errno %d, expected %d or %d\n", what, (int)got, (int)want1,
           (int)want2);
    failures++;
  }
}

static void escapes(int32_t dir) {
  int32_t fd;
  const int32_t base = 0x2; /* fd_read */
  expect("open ..", w_path_open(dir, 0, P(".."), 0, base, 0, 0, (int32_t)(uintptr_t)&fd),
         E_NOTCAPABLE, E_PERM);
  expect("open ../x", w_path_open(dir, 0, P("../x"), 0, base, 0, 0, (int32_t)(uintptr_t)&fd),
         E_NOTCAPABLE, E_PERM);
  expect("open /etc/passwd",
         w_path_open(dir, 1, P("/etc/passwd"), 0, base, 0, 0, (int32_t)(uintptr_t)&fd),
         E_NOTCAPABLE, E_PERM);
  expect("mkdir sub", w_mkdir(dir, P("sub")), 0, 0);
  expect("open sub/../../x",
         w_path_open(dir, 1, P("sub/../../x"), 0, base, 0, 0, (int32_t)(uintptr_t)&fd),
         E_NOTCAPABLE, E_PERM);
  expect("symlink absolute", w_path_symlink(P("/etc"), dir, P("sub/abs")), E_PERM,
         E_NOTCAPABLE);
  /* A relative link that climbs out may exist, but never be followed. */
  expect("symlink ../../..", w_path_symlink(P("../../.."), dir, P("sub/up")), 0, 0);
  expect("open through link",
         w_path_open(dir, 1, P("sub/up/etc/passwd"), 0, base, 0, 0, (int32_t)(uintptr_t)&fd),
         E_NOTCAPABLE, E_PERM);
  expect("open link as dir",
         w_path_open(dir, 1, P("sub/up"), 2, base, 0, 0, (int32_t)(uintptr_t)&fd),
         E_NOTCAPABLE, E_PERM);
  uint8_t st[64];
  expect("stat through link", w_path_stat(dir, 1, P("sub/up"), (int32_t)(uintptr_t)st),
         E_NOTCAPABLE, E_PERM);
  expect("stat parent", w_path_stat(dir, 0, P("sub/../.."), (int32_t)(uintptr_t)st),
         E_NOTCAPABLE, E_PERM);
  expect("mkdir ../x", w_mkdir(dir, P("../x")), E_NOTCAPABLE, E_PERM);
  expect("mkdir sub/up/x", w_mkdir(dir, P("sub/up/x")), E_NOTCAPABLE, E_PERM);
  expect("unlink ../x", w_unlink(dir, P("../outside.txt")), E_NOTCAPABLE, E_PERM);
  expect("rmdir ..", w_rmdir(dir, P("..")), E_NOTCAPABLE, E_PERM);
  expect("rename out", w_rename(dir, P("sub"), dir, P("../stolen")), E_NOTCAPABLE, E_PERM);
  expect("unlink link", w_unlink(dir, P("sub/up")), 0, 0);
  expect("rmdir sub", w_rmdir(dir, P("sub")), 0, 0);
}

static void faults(void) {
  const int32_t far = (int32_t)0xFFFFFFF0u; /* beyond any 32-bit memory */
  int32_t n;
  int32_t iov[2] = {(int32_t)(uintptr_t)"x", 1};
  int32_t bad_iov[2] = {far, 16};
  expect("fd_write iovs", w_fd_write(1, far, 1, (int32_t)(uintptr_t)&n), E_FAULT, E_FAULT);
  expect("fd_write buf", w_fd_write(1, (int32_t)(uintptr_t)bad_iov, 1, (int32_t)(uintptr_t)&n),
         E_FAULT, E_FAULT);
  expect("fd_write nwritten", w_fd_write(1, (int32_t)(uintptr_t)iov, 0, far), E_FAULT, E_FAULT);
  expect("fd_read buf", w_fd_read(0, (int32_t)(uintptr_t)bad_iov, 1, (int32_t)(uintptr_t)&n),
         E_FAULT, E_FAULT);
  expect("args_get", w_args_get(far, far), E_FAULT, E_FAULT);
  expect("random_get", w_random_get((int32_t)0x7FFFFF00, 0x1000), E_FAULT, E_FAULT);
  expect("clock_time_get", w_clock_time_get(0, 0, far), E_FAULT, E_FAULT);
  expect("clock bad id", w_clock_time_get(99, 0, (int32_t)(uintptr_t)&n), E_INVAL, E_INVAL);
  expect("path_open path", w_path_open(3, 0, far, 64, 0, 0, 0, 0, (int32_t)(uintptr_t)&n),
         E_FAULT, E_FAULT);
  expect("fd_read closed", w_fd_read(99, (int32_t)(uintptr_t)iov, 1, (int32_t)(uintptr_t)&n),
         E_BADF, E_BADF);
  expect("fd_close closed", w_fd_close(1234), E_BADF, E_BADF);
}

int main(void) {
  uint8_t pre[8];
  if (w_prestat_get(3, (int32_t)(uintptr_t)pre) != 0) {
    printf("FAIL no preopen at fd 3\n");
    return 100;
  }
  escapes(3);
  faults();
  printf("sandbox: %d failures\n", failures);
  return failures;
}
