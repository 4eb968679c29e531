/*
 * cm_decode.h: private interfaces of the component decoder and validator
 * (cm_decode.c, cm_decode_types.c, cm_validate*.c).
 */
#ifndef STRATUS_CM_DECODE_H
#define STRATUS_CM_DECODE_H

#include "cm_internal.h"

typedef struct cm_rd {
  const uint8_t *p, *end;
} cm_rd;

typedef struct cm_ctx {
  cm_component *comp;
  cm_arena *arena;
  wasm_error *err;
  cm_component_def **scopes;
  uint32_t nscopes, scopecap;
  struct cmv_vis *vis; /* visibility state (cm_validate_vis.c), arena */
} cm_ctx;

/* reader (cm_decode.c) */
wasm_status cmd_eof(cm_ctx *c);
wasm_status cmd_byte(cm_ctx *c, cm_rd *r, uint8_t *out);
wasm_status cmd_u32(cm_ctx *c, cm_rd *r, uint32_t *out);
wasm_status cmd_s33(cm_ctx *c, cm_rd *r, int64_t *out);
wasm_status cmd_name(cm_ctx *c, cm_rd *r, const char **out, uint32_t *len);
wasm_status cmd_count(cm_ctx *c, cm_rd *r, uint32_t *n);
wasm_status cmd_bad_byte(cm_ctx *c, uint8_t b, const char *what);
wasm_status cmd_nomem(cm_ctx *c);
wasm_status cmd_core_sort(cm_ctx *c, uint8_t b, cm_sort *out);
wasm_status cmd_sort(cm_ctx *c, cm_rd *r, cm_sort *out);
cm_sort cmd_sort_of_core_kind(wasm_externkind k);

/* index spaces (cm_decode.c) */
wasm_status cmd_push_item(cm_ctx *c, cm_component_def *s, cm_sort sort,
                          uint32_t def, const cm_externtype *t, uint32_t *out);
cm_def *cmd_push_def(cm_ctx *c, cm_component_def *s, cm_def_kind kind);
wasm_status cmd_def_item(cm_ctx *c, cm_component_def *s, cm_sort sort,
                         const cm_externtype *t);
wasm_status cmd_item(cm_ctx *c, const cm_component_def *s, cm_sort sort,
                     uint32_t idx, const cm_item **out);
cm_component_def *cmd_new_scope(cm_ctx *c, const cm_component_def *parent,
                                bool is_type);
wasm_status cmd_component_body(cm_ctx *c, cm_component_def *s, cm_rd *r);
wasm_status cmd_alias(cm_ctx *c, cm_component_def *s, cm_rd *r);
wasm_status cmd_module_type(cm_ctx *c, const wasm_module *m,
                            const cm_moduletype **out);
wasm_status cmd_resultlist(cm_ctx *c, cm_component_def *s, cm_rd *r,
                           const cm_type **out);

/* types (cm_decode_types.c) */
wasm_status cmd_valtype(cm_ctx *c, cm_component_def *s, cm_rd *r,
                        const cm_type **out);
wasm_status cmd_deftype(cm_ctx *c, cm_component_def *s, cm_rd *r,
                        const cm_deftype **out);
wasm_status cmd_core_type(cm_ctx *c, cm_component_def *s, cm_rd *r,
                          const cm_deftype **out);
wasm_status cmd_externdesc(cm_ctx *c, cm_component_def *s, cm_rd *r,
                           cm_externtype *out);
cm_resource_type *cmd_new_resource(cm_ctx *c, cm_res_origin origin,
                                   const cm_component_def *owner);

/* validation (cm_validate*.c) */
wasm_status cmv_read_extern_name(cm_ctx *c, cm_rd *r, cm_name *out);
wasm_status cmv_label(cm_ctx *c, const char *what, const char *name);
wasm_status cmv_core_instantiate(cm_ctx *c, cm_component_def *s,
                                 const cm_core_instance_def *ci,
                                 cm_moduletype *out);
wasm_status cmv_instance(cm_ctx *c, cm_component_def *s,
                         const cm_instance_def *in, const cm_insttype **out);
wasm_status cmv_alias(cm_ctx *c, cm_component_def *s, cm_alias_def *a,
                      cm_externtype *out);
wasm_status cmv_canon(cm_ctx *c, cm_component_def *s, cm_canon_def *cd,
                      cm_externtype *out);
wasm_status cmv_start(cm_ctx *c, cm_component_def *s, const cm_start_def *sd);
wasm_status cmv_import(cm_ctx *c, cm_component_def *s, const cm_name *name,
                       cm_externtype *t);
wasm_status cmv_export(cm_ctx *c, cm_component_def *s, cm_export_def *ex,
                       const cm_externtype *ascribed);
wasm_status cmv_finish(cm_ctx *c, cm_component_def *s);
wasm_status cmv_component_type(cm_ctx *c, cm_component_def *s,
                               const cm_comptype **out);
/* External visibility and annotated-name rules (cm_validate_vis.c).
 * cmv_vis_extern gives an imported/exported type a fresh identity (in t)
 * and checks that everything t refers to is named in s. */
wasm_status cmv_vis_scope_kind(cm_ctx *c, const cm_component_def *s,
                               bool instance_type);
wasm_status cmv_vis_note_type(cm_ctx *c, const cm_type *node,
                              const cm_deftype *handle_of);
wasm_status cmv_vis_extern(cm_ctx *c, cm_component_def *s, const cm_name *nm,
                           cm_externtype *t, bool import);
wasm_status cmv_vis_instantiate_arg(cm_ctx *c, const cm_externtype *imp,
                                    const cm_externtype *arg, unsigned depth);
/* Two-level core import names must be unique (they mangle to one
 * component-level name), and so must export names. */
wasm_status cmv_core_names_unique(cm_ctx *c, const cm_moduletype *mt);
/* Whether a type (transitively) mentions a resource type. */
bool cmv_deftype_has_resource(const cm_deftype *dt, unsigned depth);
wasm_status cmv_vis_bag_export(cm_ctx *c, const char *name,
                               const cm_externtype *t);
/* Copies t with fresh resources for those bound inside scope `bound`
 * (imports of instance types, instantiation exports). */
wasm_status cmv_refresh(cm_ctx *c, const cm_component_def *owner,
                        cm_externtype *t);

#endif
