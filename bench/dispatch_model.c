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

/* One model: NAME() times ROUNDS rounds of the HANDLERS handlers, each W
 * cells (the handler's address, then its operands, which FILL sets for
 * handler i through the pointer c to its first cell); H(L, OP) defines
 * handler L. */
#define MODEL(NAME, W, FILL, H)                                              \
  static double NAME(void) {                                                 \
    static const void *const tab[] = {&&A, &&B, &&C, &&D, &&E, &&F, &&G, &&H, &&END}; \
    cell code[HANDLERS * (W) + 1];                                           \
    uint64_t acc = 0, frame[16] = {0}, *fp = frame;                          \
    (void)fp;                                                                \
    for (int i = 0; i < HANDLERS; i++) {                                     \
      cell *c = &code[(W) * i];                                              \
      c->h = tab[i % 8];                                                     \
      FILL;                                                                  \
    }                                                                        \
    code[(W) * HANDLERS].h = tab[8];                                         \
    uint64_t n = ROUNDS;                                                     \
    const cell *ip = code;                                                   \
    double t0 = now();                                                       \
    goto *ip->h;                                                             \
    H(A, +) H(B, ^) H(C, +) H(D, |) H(E, -) H(F, ^) H(G, +) H(H, +)          \
  END:                                                                       \
    if (--n) {                                                               \
      ip = code;                                                             \
      goto *ip->h;                                                           \
    }                                                                        \
    double t = now() - t0;                                                   \
    if (acc == 42 || frame[3] == 42) puts(""); /* keep the results live */   \
    return t;                                                                \
  }

#define ACC_H(L, OP) L : acc = acc OP ip[1].u; ip += 2; goto *ip->h;
MODEL(run_acc, 2, c[1].u = (uint64_t)i, ACC_H)

/* 8 independent slots */
#define SLOT_H(L, OP) L : fp[ip[1].u] = fp[ip[2].u] OP ip[3].u; ip += 4; goto *ip->h;
MODEL(run_slots, 4, (c[1].u = c[2].u = (uint64_t)(i % 8), c[3].u = (uint64_t)i), SLOT_H)

#define PACKED_H(L, OP)                                                      \
  L : {                                                                      \
    uint64_t p_ = ip[1].u;                                                   \
    fp[p_ & 0xffff] = fp[p_ >> 16 & 0xffff] OP(p_ >> 32);                    \
    ip += 2;                                                                 \
    goto *ip->h;                                                             \
  }
MODEL(run_packed, 2, c[1].u = (uint64_t)(i % 8) | (uint64_t)(i % 8) << 16 | (uint64_t)i << 32,
      PACKED_H)

int main(void) {
  double dispatches = (double)ROUNDS * (HANDLERS + 1);
  printf("model acc   %.2f ns/dispatch\n", run_acc() / dispatches * 1e9);
  printf("model slots %.2f ns/dispatch\n", run_slots() / dispatches * 1e9);
  printf("model packed %.2f ns/dispatch\n", run_packed() / dispatches * 1e9);
  return 0;
}
