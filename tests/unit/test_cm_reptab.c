/*
 * test_cm_reptab.c: the rep table behind host resource handles
 * (cm_reptab.c): reps start at 1, released reps come back last in first
 * out, the maximum, at() on free and unknown reps, iteration, reset, and
 * growth keeping the items.
 */
#include <stdint.h>
#include <string.h>

#include "stratus/component.h"
#include "unit.h"

typedef struct item {
  uint32_t tag;
  uint64_t payload[3];
} item;

static bool all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

static void test_alloc_release_reuse(void) {
  cm_reptab t;
  cm_reptab_init(&t, sizeof(item), 100);
  CHECK(cm_reptab_count(&t) == 0);
  CHECK(cm_reptab_at(&t, 0) == NULL);
  CHECK(cm_reptab_at(&t, 1) == NULL); /* never handed out */
  CHECK(cm_reptab_next(&t, 0) == 0);

  uint32_t r[4];
  for (uint32_t i = 0; i < 4; i++) {
    item *it = cm_reptab_alloc(&t, &r[i]);
    CHECK(it != NULL);
    if (!it) return;
    CHECKM(r[i] == i + 1, "rep %u for the item %u: reps start at 1", r[i], i);
    CHECK(all_zero(it, sizeof *it));
    it->tag = 100 + i;
  }
  CHECK(cm_reptab_count(&t) == 4);
  CHECK(cm_reptab_at(&t, 0) == NULL);
  CHECK(cm_reptab_at(&t, 5) == NULL);
  item *two = cm_reptab_at(&t, 2);
  CHECK(two && two->tag == 101);

  /* released reps read as NULL and come back last in, first out */
  cm_reptab_release(&t, 2);
  cm_reptab_release(&t, 4);
  CHECK(cm_reptab_at(&t, 2) == NULL);
  CHECK(cm_reptab_at(&t, 4) == NULL);
  CHECK(cm_reptab_count(&t) == 2);
  /* the item's memory is zeroed, so a "kind 0 = free" field reads free */
  CHECK(all_zero(t.items + 2 * sizeof(item), sizeof(item)));

  uint32_t a = 0, b = 0, c = 0;
  item *ia = cm_reptab_alloc(&t, &a);
  item *ib = cm_reptab_alloc(&t, &b);
  item *ic = cm_reptab_alloc(&t, &c);
  CHECKM(a == 4 && b == 2 && c == 5, "reuse order %u %u %u, want 4 2 5", a, b, c);
  CHECK(ia && ib && ic && all_zero(ia, sizeof *ia) && all_zero(ib, sizeof *ib));
  CHECK(cm_reptab_count(&t) == 5);

  /* iteration visits the live reps in order, and releasing inside is fine */
  cm_reptab_release(&t, 3);
  uint32_t seen[8], n = 0;
  for (uint32_t x = cm_reptab_next(&t, 0); x && n < 8; x = cm_reptab_next(&t, x)) {
    seen[n++] = x;
    cm_reptab_release(&t, x);
  }
  CHECK(n == 4 && seen[0] == 1 && seen[1] == 2 && seen[2] == 4 && seen[3] == 5);
  CHECK(cm_reptab_count(&t) == 0);
  CHECK(cm_reptab_next(&t, 0) == 0);

  /* reset starts over at rep 1 */
  cm_reptab_reset(&t);
  CHECK(cm_reptab_at(&t, 1) == NULL);
  uint32_t d = 0;
  CHECK(cm_reptab_alloc(&t, &d) != NULL && d == 1);
  CHECK(cm_reptab_at(&t, 2) == NULL);
  cm_reptab_destroy(&t);
  CHECK(t.items == NULL && cm_reptab_count(&t) == 0);
}

static void test_maximum(void) {
  cm_reptab t;
  cm_reptab_init(&t, sizeof(uint32_t), 3);
  uint32_t r = 0, last = 0;
  for (uint32_t i = 0; i < 3; i++) CHECK(cm_reptab_alloc(&t, &last) != NULL);
  CHECK(last == 3);
  r = 77;
  CHECK(cm_reptab_alloc(&t, &r) == NULL);
  CHECK(r == 77); /* untouched on failure */
  CHECK(cm_reptab_count(&t) == 3);
  /* a freed rep makes room again, and only that rep comes back */
  cm_reptab_release(&t, 2);
  CHECK(cm_reptab_alloc(&t, &r) != NULL && r == 2);
  CHECK(cm_reptab_alloc(&t, &r) == NULL);
  cm_reptab_destroy(&t);

  /* a maximum of one: rep 1 only */
  cm_reptab_init(&t, 1, 1);
  CHECK(cm_reptab_alloc(&t, &r) != NULL && r == 1);
  CHECK(cm_reptab_alloc(&t, &r) == NULL);
  cm_reptab_release(&t, 1);
  CHECK(cm_reptab_alloc(&t, &r) != NULL && r == 1);
  cm_reptab_destroy(&t);
}

/* What item rep holds in test_growth. */
static item item_for(uint32_t rep) { return (item){rep * 7u, {rep, (uint64_t)rep << 32, ~(uint64_t)rep}}; }

/* Whether it holds item_for(rep) (field by field: padding is not copied). */
static bool same(const item *it, uint32_t rep) {
  item w = item_for(rep);
  return it->tag == w.tag && it->payload[0] == w.payload[0] && it->payload[1] == w.payload[1] &&
         it->payload[2] == w.payload[2];
}

/* Allocates n items, each written with item_for(its rep); false on failure. */
static bool fill(cm_reptab *t, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t r = 0;
    item *it = cm_reptab_alloc(t, &r);
    if (!it || r == 0) return false;
    *it = item_for(r);
  }
  return true;
}

/* Many items: the arrays grow (and move) several times; every item keeps
 * what was written into it, freed reps are refilled first. */
static void test_growth(void) {
  cm_reptab t;
  cm_reptab_init(&t, sizeof(item), 1u << 20);
  CHECK(fill(&t, 1000));
  uint32_t holes = 0;
  for (uint32_t r = 2; r <= 1000; r += 3, holes++) cm_reptab_release(&t, r);
  CHECK(fill(&t, 4000)); /* the holes first, then new reps up to 5000 - holes */
  uint32_t top = 5000 - holes;
  CHECK(cm_reptab_count(&t) == top);
  CHECK(cm_reptab_at(&t, top + 1) == NULL);
  for (uint32_t r = 5; r <= top; r += 5) cm_reptab_release(&t, r);
  bool ok = true;
  for (uint32_t r = 1; r <= top; r++) {
    const item *it = cm_reptab_at(&t, r);
    if (r % 5 == 0 ? it != NULL : !it || !same(it, r)) ok = false;
  }
  CHECKM(ok, "items changed while the table grew");
  CHECK(cm_reptab_count(&t) == top - top / 5);
  cm_reptab_destroy(&t);
}

int main(void) {
  test_alloc_release_reuse();
  test_maximum();
  test_growth();
  return unit_report();
}
