/*
 * cm_reptab.c: tables of fixed-size items addressed by small integer reps,
 * with a free list: the one allocator behind the resource handles of the
 * WASI, wasi:http and plugin host interfaces.
 *
 * Liveness is kept apart from the items (link[]), so an item may hold
 * anything, and users can still keep "kind 0 = free" conventions: a
 * released item reads as zeroes.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "stratus/component.h"

#define LIVE UINT32_MAX /* link[rep] of a live rep; free reps hold the next free one */
#define FIRST_CAP 64

static void *item(const cm_reptab *t, uint32_t rep) { return t->items + (size_t)rep * t->size; }

void cm_reptab_init(cm_reptab *t, size_t item_size, uint32_t max) {
  assert(item_size > 0 && max > 0 && max < LIVE);
  memset(t, 0, sizeof *t);
  t->size = item_size;
  t->max = max;
}

/* Room for rep t->n; false when out of memory (the table is unchanged but
 * for possibly larger arrays). */
static bool grow(cm_reptab *t) {
  if (t->n < t->cap) return true;
  uint32_t cap = t->cap ? t->cap * 2 : FIRST_CAP;
  if (cap < t->cap || cap - 1 > t->max) cap = t->max + 1; /* reps run 1..max */
  assert(cap > t->n);
  if (t->size > SIZE_MAX / cap) return false;
  unsigned char *items = realloc(t->items, (size_t)cap * t->size);
  if (!items) return false;
  t->items = items;
  uint32_t *link = realloc(t->link, (size_t)cap * sizeof *link);
  if (!link) return false; /* items stays larger; cap is what both hold */
  t->link = link;
  t->cap = cap;
  return true;
}

void *cm_reptab_alloc(cm_reptab *t, uint32_t *rep) {
  assert(t->size > 0); /* initialized */
  if (t->live >= t->max) return NULL;
  uint32_t r = t->free_head;
  if (r) {
    assert(r < t->n && t->link[r] != LIVE);
    t->free_head = t->link[r];
  } else {
    if (t->n == 0) t->n = 1; /* rep 0 stays unused */
    /* the free list is empty, so every rep below n is live */
    assert(t->n - 1 == t->live);
    if (!grow(t)) return NULL;
    r = t->n++;
  }
  t->link[r] = LIVE;
  t->live++;
  void *p = item(t, r);
  memset(p, 0, t->size);
  *rep = r;
  return p;
}

void cm_reptab_release(cm_reptab *t, uint32_t rep) {
  assert(cm_reptab_at(t, rep)); /* callers check the rep is theirs first */
  memset(item(t, rep), 0, t->size);
  t->link[rep] = t->free_head;
  t->free_head = rep;
  t->live--;
}

void *cm_reptab_at(const cm_reptab *t, uint32_t rep) {
  if (rep == 0 || rep >= t->n || t->link[rep] != LIVE) return NULL;
  return item(t, rep);
}

uint32_t cm_reptab_count(const cm_reptab *t) { return t->live; }

uint32_t cm_reptab_next(const cm_reptab *t, uint32_t rep) {
  for (uint32_t r = rep + 1; r < t->n; r++)
    if (t->link[r] == LIVE) return r;
  return 0;
}

void cm_reptab_reset(cm_reptab *t) {
  assert(t->live == 0);
  t->n = 0;
  t->free_head = 0;
}

void cm_reptab_destroy(cm_reptab *t) {
  free(t->items);
  free(t->link);
  memset(t, 0, sizeof *t);
}
