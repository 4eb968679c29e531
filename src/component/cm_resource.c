/*
 * cm_resource.c: per-instance resource handle tables (canonical ABI).
 *
 * Indices start at 1 and freed slots are reused last-in first-out, as the
 * spec's table does (tests assert exact indices). Own handles count the
 * borrows lent out of them; a call scope counts the borrow handles it
 * received and remembers the own handles it lent from.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/cm_rt.h"

#define CM_HTABLE_MAX (1u << 28) /* bound the table against runaway guests */

void cm_htable_init(cm_htable *t) { cm_reptab_init(&t->handles, sizeof(cm_handle), CM_HTABLE_MAX); }

void cm_htable_free(cm_htable *t) { cm_reptab_destroy(&t->handles); }

uint32_t cm_htable_insert(cm_htable *t, cm_handle h, wasm_error *err) {
  uint32_t i = 0;
  cm_handle *slot = cm_reptab_alloc(&t->handles, &i);
  if (!slot) {
    if (cm_reptab_count(&t->handles) >= CM_HTABLE_MAX)
      cm_rt_fail(err, WASM_TRAP, "resource table full");
    else
      cm_rt_fail(err, WASM_NOMEM, "out of memory (handle table)");
    return 0;
  }
  *slot = h;
  return i;
}

cm_handle *cm_htable_get(cm_htable *t, uint32_t i, wasm_error *err) {
  cm_handle *h = cm_reptab_at(&t->handles, i);
  if (!h) cm_rt_fail(err, WASM_TRAP, "unknown handle index %u", i);
  return h;
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
  if (cm_reptab_at(&t->handles, i)) cm_reptab_release(&t->handles, i);
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
  cm_handle *h = cm_reptab_at(&t->handles, i);
  assert(h); /* the caller looked the own handle up */
  h->lends++;
  return WASM_OK;
}

wasm_status cm_scope_finish(cm_callscope *s, bool check_borrows,
                            wasm_error *err) {
  for (uint32_t k = 0; k < s->nlenders; k++) {
    cm_lender *l = &s->lenders[k];
    cm_handle *h = cm_reptab_at(&l->t->handles, l->i);
    if (h && h->lends > 0) h->lends--;
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
