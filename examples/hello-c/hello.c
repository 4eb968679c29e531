/* hello.c: a first WASI program. scripts/main.sh builds it for
 * wasm32-wasi, wraps it into a component, and runs both with stratus. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  const char *who = argc > 1 ? argv[1] : "world";
  const char *greeting = getenv("GREETING");
  printf("%s, %s, from WebAssembly!\n", greeting ? greeting : "Hello", who);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("The wall clock says %lld seconds since 1970.\n", (long long)ts.tv_sec);
  return 0;
}
