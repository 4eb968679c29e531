/*
 * cm_resource.c: per-instance resource handle tables (canonical ABI).
 *
 * Indices start at 1 and freed slots are reused last-in first-out, as the
 * spec's table does (tests assert exact indices). Own handles count the
 * borrows lent out of them; a call scope counts the borrow handles it
 * received and remembers the own handles it lent from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/cm_rt.h"

#define CM_HTABLE_MAX (1u << 28) /* bound the table against runaway guests */

void cm_htable_init(cm_htable *t) { memset(t, 0, sizeof *t); }

void cm_htable_free(cm_htable *t) {
  free(t->v);
  free(t->freel);
  memset(t, 0, sizeof *t);
}

uint32_t cm_htable_insert(cm_htable *t, cm_handle h, wasm_error *err) {
  if (t->nfree) {
    uint32_t i = t->freel[--t->nfree];
    t->v[i] = h;
    return i;
  }
  if (t->n == 0) t->n = 1; /* reserve index 0 */
  if (t->n >= CM_HTABLE_MAX) {
    cm_rt_fail(err, WASM_TRAP, "resource table full");
    return 0;
  }
  if (t->n >= t->cap) {
    uint32_t c = t->cap ? t->cap * 2 : 16;
    cm_handle *v = realloc(t->v, (size_t)c * sizeof *v);
    if (!v) {
      cm_rt_fail(err, WASM_NOMEM, "out of memory (handle table)");
      return 0;
    }
    t->v = v;
    t->cap = c;
  }
  uint32_t i = t->n++;
  t->v[i] = h;
  return i;
}

cm_handle *cm_htable_get(cm_htable *t, uint32_t i, wasm_error *err) {
  if (i == 0 || i >= t->n || t->v[i].state == CM_H_FREE) {
    cm_rt_fail(err, WASM_TRAP, "unknown handle index %u", i);
    return NULL;
  }
  return &t->v[i];
}

cm_handle *cm_htable_get_typed(cm_htable *t, uint32_t i, const cm_rtres *rt,
                               wasm_error *err) {
  cm_handle *h = cm_htable_get(t, i, err);
  if (!h) return NULL;
  if (rt && h->rt != rt) {
    cm_rt_fail(err, WASM_TRAP,
               "handle index %u used with the wrong type, expected %s but "
               "found %s",
               i, rt->impl ? "guest-defined resource" : "host-defined resource",
               h->rt && h->rt->impl ? "a different guest-defined resource"
                                    : "a different host-defined resource");
    return NULL;
  }
  return h;
}

void cm_htable_remove(cm_htable *t, uint32_t i) {
  if (i == 0 || i >= t->n || t->v[i].state == CM_H_FREE) return;
  memset(&t->v[i], 0, sizeof t->v[i]);
  if (t->nfree >= t->freecap) {
    uint32_t c = t->freecap ? t->freecap * 2 : 16;
    uint32_t *f = realloc(t->freel, (size_t)c * sizeof *f);
    if (!f) return; /* the slot leaks; the table stays consistent */
    t->freel = f;
    t->freecap = c;
  }
  t->freel[t->nfree++] = i;
}

void cm_scope_init(cm_callscope *s) { memset(s, 0, sizeof *s); }

void cm_scope_free(cm_callscope *s) {
  free(s->lenders);
  memset(s, 0, sizeof *s);
}

wasm_status cm_scope_add_lender(cm_callscope *s, cm_htable *t, uint32_t i,
                                wasm_error *err) {
  if (s->nlenders >= s->cap) {
    uint32_t c = s->cap ? s->cap * 2 : 8;
    cm_lender *l = realloc(s->lenders, (size_t)c * sizeof *l);
    if (!l) return cm_rt_fail(err, WASM_NOMEM, "out of memory (lenders)");
    s->lenders = l;
    s->cap = c;
  }
  s->lenders[s->nlenders].t = t;
  s->lenders[s->nlenders].i = i;
  s->nlenders++;
  t->v[i].lends++;
  return WASM_OK;
}

wasm_status cm_scope_finish(cm_callscope *s, bool check_borrows,
                            wasm_error *err) {
  for (uint32_t k = 0; k < s->nlenders; k++) {
    cm_lender *l = &s->lenders[k];
    if (l->i < l->t->n && l->t->v[l->i].lends > 0) l->t->v[l->i].lends--;
  }
  s->nlenders = 0;
  if (check_borrows && s->borrow_count != 0)
    return cm_rt_fail(err, WASM_TRAP,
                      "borrow handles still remain at the end of the call");
  return WASM_OK;
}

wasm_status cm_resource_new(cm_htable *t, const cm_rtres *rt, uint32_t rep,
                            uint32_t *out, wasm_error *err) {
  cm_handle h = {.rt = rt, .rep = rep, .state = CM_H_OWN};
  uint32_t i = cm_htable_insert(t, h, err);
  if (!i) return err ? err->status : WASM_TRAP;
  *out = i;
  return WASM_OK;
}

wasm_status cm_resource_rep(cm_htable *t, const cm_rtres *rt, uint32_t i,
                            uint32_t *out, wasm_error *err) {
  cm_handle *h = cm_htable_get_typed(t, i, rt, err);
  if (!h) return WASM_TRAP;
  *out = h->rep;
  return WASM_OK;
}

wasm_status cm_resource_drop(cm_htable *t, const cm_rtres *rt, uint32_t i,
                             wasm_error *err) {
  cm_handle *h = cm_htable_get_typed(t, i, rt, err);
  if (!h) return WASM_TRAP;
  if (h->state == CM_H_OWN && h->lends != 0)
    return cm_rt_fail(err, WASM_TRAP,
                      "cannot remove owned resource while borrowed");
  cm_handle copy = *h;
  cm_htable_remove(t, i);
  if (copy.state == CM_H_BORROW) {
    if (copy.scope && copy.scope->borrow_count > 0) copy.scope->borrow_count--;
    return WASM_OK;
  }
  if (copy.rt && copy.rt->dtor) {
    wasm_val arg = {.kind = WASM_I32, .of.i32 = (int32_t)copy.rep};
    return wasm_func_call(copy.rt->store, copy.rt->dtor, &arg, 1, NULL, 0, err);
  }
  if (copy.rt && copy.rt->host_dtor) copy.rt->host_dtor(copy.rt->host_env, copy.rep);
  return WASM_OK;
}
