/* cm_wat_internal.h: state shared by the component text parser's files
 * (cm_wat.c: scopes, sections and component fields; cm_wat_types.c: type
 * definitions and declarators; cm_wat_canon.c: canonical definitions,
 * aliases and references).
 *
 * The parser works in one pass, like wasm-tools' expansion: an inline
 * definition (an anonymous value type, an inline alias such as
 * (func $i "f"), an inline instance in a `with`) is emitted as its own item
 * the moment it is met, before the item that uses it, so indices come out
 * in the same order as the reference encoder's. Inline exports are queued
 * and emitted at the end of their component. */
#ifndef CM_WAT_INTERNAL_H
#define CM_WAT_INTERNAL_H

#include "wasm/wat_internal.h"

/* Index spaces: core sorts then component sorts. */
enum {
  CS_CORE_FUNC, CS_CORE_TABLE, CS_CORE_MEM, CS_CORE_GLOBAL, CS_CORE_TAG,
  CS_CORE_TYPE, CS_CORE_MODULE, CS_CORE_INSTANCE,
  CS_FUNC, CS_VALUE, CS_TYPE, CS_INSTANCE, CS_COMPONENT,
  CS_COUNT
};
static inline bool cw_is_core(int space) { return space <= CS_CORE_INSTANCE; }

/* What an index space's items are: component, component type, instance
 * type, core module type. */
enum { CW_COMPONENT, CW_COMPTYPE, CW_INSTTYPE, CW_MODTYPE };

/* Kinds of items a scope receives. */
enum {
  CI_CORE_MODULE, CI_CORE_INSTANCE, CI_CORE_TYPE, CI_COMPONENT, CI_INSTANCE,
  CI_ALIAS, CI_TYPE, CI_CANON, CI_START, CI_IMPORT, CI_EXPORT
};

typedef struct cw_piece {
  uint8_t sec; /* component: section id; type scopes: declarator prefix */
  wat_buf b;
} cw_piece;

typedef struct cw_pieces {
  cw_piece *p;
  uint32_t n, cap;
} cw_pieces;

typedef struct cw_scope {
  struct cw_scope *parent;
  int kind;
  const wat_token *id; /* $id of the component or type, for outer aliases */
  wat_space space[CS_COUNT];
  cw_pieces items;
  cw_pieces tail; /* inline exports, emitted last (components only) */
  /* Implicit outer aliases made for the current item: wasm-tools reuses
   * one within an item (field or declarator) and makes a new one per item. */
  struct cw_implicit { int space; const wat_token *id; uint32_t idx; } *implicit;
  uint32_t nimplicit, implicit_cap;
} cw_scope;

typedef struct cw_ctx {
  wat_ctx w; /* tokens, position, error; w.types is scratch for core sigs */
  cw_scope *sc;
  uint32_t depth;
} cw_ctx;

#define CW_MAX_DEPTH 64

/* ---- cm_wat.c ---- */
wasm_status cw_nomem(cw_ctx *c);
/* Adds a definition (id may be NULL) to a space of the current scope;
 * its index is the space's previous size. */
wasm_status cw_add(cw_ctx *c, int space, const wat_token *id, uint32_t *idx);
/* Resolves a number or $id in a space; a type, module or component $id
 * found only in an enclosing scope gets an implicit outer alias. */
wasm_status cw_resolve(cw_ctx *c, int space, const wat_token *t, uint32_t *out);
/* Starts a new item (field or declarator) of the current scope. */
static inline void cw_item_start(cw_ctx *c) { c->sc->nimplicit = 0; }
/* Emits an item into the current scope (takes b's contents). */
wasm_status cw_emit(cw_ctx *c, int item, wat_buf *b);
/* A string literal written as a name (u32 length then UTF-8 bytes). */
wasm_status cw_name(cw_ctx *c, wat_buf *b);
/* An import/export name with its attributes ((implements "..."),
 * (external-id "...")): 0x00 name, or 0x02 name attrs. */
wasm_status cw_externname(cw_ctx *c, wat_buf *b);
/* A string literal decoded into a new buffer (free it). */
wasm_status cw_string(cw_ctx *c, uint8_t **s, size_t *n);
/* A scope's items as a component binary or a declarator vector, and its
 * cleanup. */
wasm_status cw_assemble(cw_ctx *c, cw_scope *sc, wat_buf *out);
void cw_scope_free(cw_scope *sc);
/* A nested (component ...) form starting at "(": its binary into out. */
wasm_status cw_component(cw_ctx *c, cw_scope *sc, size_t stop, wat_buf *out);

/* ---- cm_wat_canon.c ---- */
/* Parses the sort of a reference at the current token ("func", "core func",
 * "instance", ...); in core_ctx a bare "func" means the core sort. */
int cw_sort(cw_ctx *c, bool core_ctx);
/* Writes a sort: core sorts as 0x00 code, or only the code when bare. */
void cw_put_sort(wat_buf *b, int space, bool bare_core);
/* (sort idx) or the inline alias (sort $inst "name"+), emitting aliases as
 * needed; expect is the required space or -1. */
wasm_status cw_sortidx(cw_ctx *c, int expect, bool core_ctx, int *space, uint32_t *idx);
/* An index in space: a bare number/$id, or a parenthesized reference. */
wasm_status cw_index_or_ref(cw_ctx *c, int space, uint32_t *idx);
/* (alias ...) with "alias" consumed up to the target's end; the sort is
 * known (sugar) or read from the trailing (sort $id?). */
wasm_status cw_alias_field(cw_ctx *c);
wasm_status cw_alias_sugar(cw_ctx *c, int space, const wat_token *id);
/* (canon ...) as a field, and the sugars (core func (canon ...)) and
 * (func ... (canon lift ...)); type_idx < 0 when no type use was given. */
wasm_status cw_canon_field(cw_ctx *c);
wasm_status cw_canon_core_func(cw_ctx *c, const wat_token *id);
wasm_status cw_canon_lift(cw_ctx *c, int64_t type_idx, const wat_token *id, uint32_t *func);

/* ---- cm_wat_types.c ---- */
/* A value type: primitive, index, or inline definition (emitted). */
wasm_status cw_valtype(cw_ctx *c, wat_buf *out);
/* (type $id? deftype) after "type" and the id; emits and registers. */
wasm_status cw_type_field(cw_ctx *c, const wat_token *id);
/* (core type $id? ...) after "core" "type". */
wasm_status cw_core_type_field(cw_ctx *c);
/* A type use for an extern of the given space: (type x) or an inline
 * definition (emitted), giving the type index. */
wasm_status cw_typeuse(cw_ctx *c, int space, uint32_t *idx);
/* An extern descriptor after "(" (sort keywords next); space and id out. */
wasm_status cw_externdesc(cw_ctx *c, wat_buf *out, int *space, const wat_token **id);
/* The descriptor's contents after its sort and $id (space known). */
wasm_status cw_externdesc_body(cw_ctx *c, int space, wat_buf *out);
/* Function type contents: (param "n" t)* (result t)?. */
wasm_status cw_functype(cw_ctx *c, bool async, wat_buf *out);

#endif
