/* dispatch_model.c: what one dispatch of a threaded interpreter costs on
 * this machine, apart from any work: the same computed-goto loop as
 * src/wasm/wasm_exec.c runs 16 handlers per round, each
 *   acc    the running value kept in a register, one immediate cell
 *   slots  as our handlers do: two operand cells, a slot read and a slot
 *          write through the frame pointer (dst = src op immediate)
 *   packed the same with dst, src and the immediate packed into one cell
 *          (16, 16 and 32 bits): one operand load instead of three
 * Run by bench/dispatch.sh, which prints the figures. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef union cell {
  const void *h;
  uint64_t u;
} cell;

enum { HANDLERS = 16, ROUNDS = 50000000 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double run_acc(void) {
  static const void *const tab[] = {&&A, &&B, &&C, &&D, &&E, &&F, &&G, &&H, &&END};
  cell code[HANDLERS * 2 + 1];
  for (int i = 0; i < HANDLERS; i++) {
    code[2 * i].h = tab[i % 8];
    code[2 * i + 1].u = (uint64_t)i;
  }
  code[2 * HANDLERS].h = tab[8];
  uint64_t acc = 0, n = ROUNDS;
  const cell *ip = code;
  double t0 = now();
  goto *ip->h;
#define ACC_H(L, OP) L : acc = acc OP ip[1].u; ip += 2; goto *ip->h;
  ACC_H(A, +) ACC_H(B, ^) ACC_H(C, +) ACC_H(D, |) ACC_H(E, -) ACC_H(F, ^) ACC_H(G, +) ACC_H(H, +)
END:
  if (--n) {
    ip = code;
    goto *ip->h;
  }
  double t = now() - t0;
  if (acc == 42) puts(""); /* keep acc live */
  return t;
}

static double run_slots(void) {
  static const void *const tab[] = {&&A, &&B, &&C, &&D, &&E, &&F, &&G, &&H, &&END};
  cell code[HANDLERS * 4 + 1];
  uint64_t frame[16] = {0}, *fp = frame;
  for (int i = 0; i < HANDLERS; i++) {
    code[4 * i].h = tab[i % 8];
    code[4 * i + 1].u = code[4 * i + 2].u = (uint64_t)(i % 8); /* 8 independent slots */
    code[4 * i + 3].u = (uint64_t)i;
  }
  code[4 * HANDLERS].h = tab[8];
  uint64_t n = ROUNDS;
  const cell *ip = code;
  double t0 = now();
  goto *ip->h;
#define SLOT_H(L, OP) L : fp[ip[1].u] = fp[ip[2].u] OP ip[3].u; ip += 4; goto *ip->h;
  SLOT_H(A, +) SLOT_H(B, ^) SLOT_H(C, +) SLOT_H(D, |) SLOT_H(E, -) SLOT_H(F, ^) SLOT_H(G, +) SLOT_H(H, +)
END:
  if (--n) {
    ip = code;
    goto *ip->h;
  }
  double t = now() - t0;
  if (frame[3] == 42) puts("");
  return t;
}

static double run_packed(void) {
  static const void *const tab[] = {&&A, &&B, &&C, &&D, &&E, &&F, &&G, &&H, &&END};
  cell code[HANDLERS * 2 + 1];
  uint64_t frame[16] = {0}, *fp = frame;
  for (int i = 0; i < HANDLERS; i++) {
    code[2 * i].h = tab[i % 8];
    code[2 * i + 1].u = (uint64_t)(i % 8) | (uint64_t)(i % 8) << 16 | (uint64_t)i << 32;
  }
  code[2 * HANDLERS].h = tab[8];
  uint64_t n = ROUNDS;
  const cell *ip = code;
  double t0 = now();
  goto *ip->h;
#define PACKED_H(L, OP)                                                      \
  L : {                                                                      \
    uint64_t p_ = ip[1].u;                                                   \
    fp[p_ & 0xffff] = fp[p_ >> 16 & 0xffff] OP(p_ >> 32);                    \
    ip += 2;                                                                 \
    goto *ip->h;                                                             \
  }
  PACKED_H(A, +) PACKED_H(B, ^) PACKED_H(C, +) PACKED_H(D, |) PACKED_H(E, -) PACKED_H(F, ^)
  PACKED_H(G, +) PACKED_H(H, +)
END:
  if (--n) {
    ip = code;
    goto *ip->h;
  }
  double t = now() - t0;
  if (frame[3] == 42) puts("");
  return t;
}

int main(void) {
  double dispatches = (double)ROUNDS * (HANDLERS + 1);
  printf("model acc   %.2f ns/dispatch\n", run_acc() / dispatches * 1e9);
  printf("model slots %.2f ns/dispatch\n", run_slots() / dispatches * 1e9);
  printf("model packed %.2f ns/dispatch\n", run_packed() / dispatches * 1e9);
  return 0;
}
