/* wasi_smoke.c: a small program built both natively and to wasm32-wasi by
 * tests/wasi/run_wasi.sh; both builds must print the same thing and exit
 * with the same code. Exercises args, environment, files and directories
 * in the current directory, clocks, randomness and the exit code. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check(int ok, const char *what) {
  printf("%s: %s\n", what, ok ? "ok" : "FAILED");
}

int main(int argc, char **argv) {
  /* args (argv[0] differs between the builds) */
  printf("argc %d\n", argc);
  for (int i = 1; i < argc; i++) printf("arg %d [%s]\n", i, argv[i]);

  /* environment */
  const char *v = getenv("SMOKE_VAR");
  printf("SMOKE_VAR [%s]\n", v ? v : "(unset)");
  int nenv = 0;
  for (char **e = environ; *e; e++) nenv++;
  printf("environ %d\n", nenv);

  /* clocks */
  struct timespec r1, m1, m2;
  clock_gettime(CLOCK_REALTIME, &r1);
  clock_gettime(CLOCK_MONOTONIC, &m1);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  check(r1.tv_sec > 1600000000, "realtime");
  check(m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec >= m1.tv_nsec),
        "monotonic");

  /* randomness */
  unsigned char rnd[32] = {0};
  int nz = 0;
  if (getentropy(rnd, sizeof rnd) == 0)
    for (size_t i = 0; i < sizeof rnd; i++) nz += rnd[i] != 0;
  check(nz > 0, "random");

  /* files and directories */
  check(mkdir("smoke.d", 0755) == 0, "mkdir");
  FILE *f = fopen("smoke.d/a.txt", "w+");
  check(f != NULL, "fopen");
  if (f) {
    fputs("hello, wasi\nsecond line\n", f);
    fflush(f);
    check(ftell(f) == 24, "ftell");
    fseek(f, 7, SEEK_SET);
    char buf[64] = {0};
    check(fgets(buf, sizeof buf, f) != NULL, "fgets");
    printf("read [%s]\n", strtok(buf, "\n"));
    fclose(f);
  }
  struct stat st;
  check(stat("smoke.d/a.txt", &st) == 0 && st.st_size == 24 && S_ISREG(st.st_mode), "stat");
  int fd = open("smoke.d/b.txt", O_CREAT | O_WRONLY | O_EXCL, 0644);
  check(fd >= 0, "open excl");
  if (fd >= 0) {
    check(write(fd, "xyz", 3) == 3, "write");
    check(pwrite(fd, "Z", 1, 0) == 1, "pwrite");
    close(fd);
  }
  check(open("smoke.d/b.txt", O_CREAT | O_WRONLY | O_EXCL, 0644) < 0 && errno == EEXIST,
        "EEXIST");
  check(open("smoke.d/missing", O_RDONLY) < 0 && errno == ENOENT, "ENOENT");
  check(rename("smoke.d/b.txt", "smoke.d/c.txt") == 0, "rename");
  check(mkdir("smoke.d/sub", 0755) == 0, "mkdir sub");
  DIR *d = opendir("smoke.d");
  char *names[16];
  int n = 0;
  if (d) {
    struct dirent *de;
    while ((de = readdir(d)) && n < 16)
      if (de->d_name[0] != '.') names[n++] = strdup(de->d_name);
    closedir(d);
  }
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  printf("listing:");
  for (int i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
  check(rmdir("smoke.d") != 0 && errno == ENOTEMPTY, "ENOTEMPTY");
  check(unlink("smoke.d/a.txt") == 0 && unlink("smoke.d/c.txt") == 0, "unlink");
  check(rmdir("smoke.d/sub") == 0 && rmdir("smoke.d") == 0, "rmdir");

  fflush(stdout);
  return argc == 3 ? 7 : 1; /* the exit code must come through */
}
