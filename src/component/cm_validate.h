/*
 * cm_validate.h: private helpers shared by cm_validate*.c.
 */
#ifndef STRATUS_CM_VALIDATE_H
#define STRATUS_CM_VALIDATE_H

#include <stdio.h>

#include "cm_decode.h"

/* A resource substitution: from[i] -> to[i]; with fresh set, resources
 * bound inside `bound` that are not mapped get fresh ones owned by owner. */
typedef struct cmv_subst {
  const cm_resource_type **from, **to;
  uint32_t n, cap;
  bool fresh;
  const cm_component_def *bound;
  const cm_component_def *owner;
  bool error;
} cmv_subst;

const cm_resource_type *cmv_map_get(cmv_subst *m, const cm_resource_type *r);
wasm_status cmv_map_put(cm_ctx *c, cmv_subst *m, const cm_resource_type *from,
                        const cm_resource_type *to);
void cmv_map_free(cmv_subst *m);
const cm_type *cmv_subst_type(cm_ctx *c, cmv_subst *m, const cm_type *t,
                              unsigned depth);
void cmv_subst_extern(cm_ctx *c, cmv_subst *m, cm_externtype *t,
                      unsigned depth);

#endif
