/*
 * cmd_wast_component.h: the component half of `stratus wast` (cm-runtime).
 * cmd_wast.c hands component commands to these functions; they keep the
 * script's components, instances and linker, and report failures as
 * statuses with messages (cmd_wast.c counts and prints them).
 */
#ifndef STRATUS_CMD_WAST_COMPONENT_H
#define STRATUS_CMD_WAST_COMPONENT_H

#include "stratus/component.h"
#include "stratus/wasm.h"

typedef struct cmw_state cmw_state;

cmw_state *cmw_new(wasm_engine *e, wasm_store *s);
/* Call after wasm_store_delete: the store's core instances use modules
 * owned by the components freed here. */
void cmw_delete(cmw_state *w);

/* Compiles a component (text, quote or binary). *text_failed tells a text
 * syntax error from a decode/validation failure. */
wasm_status cmw_compile(cmw_state *w, const wast_module_src *src, cm_component **out,
                        bool *text_failed, wasm_error *err);

/* (component ...): compile and instantiate (it becomes the current
 * instance, named by src->name); (component definition ...): compile and
 * remember under src->name. */
wasm_status cmw_component(cmw_state *w, const wast_module_src *src, bool *instantiated,
                          wasm_error *err);
/* Is there an instance of that name ($id)? */
bool cmw_has_instance(const cmw_state *w, const char *name);
/* (component instance $i $def) */
wasm_status cmw_instance(cmw_state *w, const char *name, const char *def, wasm_error *err);
/* (register "name" $i?) */
wasm_status cmw_register(cmw_state *w, const char *as, const char *inst, wasm_error *err);
/* assert_unlinkable / assert_trap on a component: the status of
 * instantiation (compile failures are reported as they are). */
wasm_status cmw_instantiate_only(cmw_state *w, const wast_module_src *src, bool *compiled,
                                 wasm_error *err);

/* Invokes `field` of the named (or current) instance with argument texts
 * parsed against its parameter types. On WASM_OK *result holds the result
 * (kind 0 and has_result false when the function has none). */
typedef struct cmw_result {
  bool has_result;
  cm_val val;
  const cm_functype *type;
} cmw_result;
wasm_status cmw_invoke(cmw_state *w, const char *inst, const char *field,
                       const char *const *args, const size_t *arg_lens, size_t nargs,
                       cmw_result *res, wasm_error *err);
void cmw_result_free(cmw_result *res);

/* Compares a result with the expected value texts (zero or one); on a
 * mismatch fills why. */
bool cmw_result_matches(const cmw_result *res, const char *const *expected,
                        const size_t *lens, size_t n, char *why, size_t whylen);

/* Trap message match: the expected text, minus a "wasm trap: " prefix,
 * must occur in ours. */
bool cmw_message_matches(const char *expected, const char *ours);

#endif
