/*
 * wasm_pre.c: instantiation, in the spec's order (imports, allocation,
 * globals, element and data segments, start function), through one path:
 *
 *   module prep   computed once per module (lazily, thread-safe): the
 *                 layout of an instance's single allocation, constant
 *                 global values, element items as function indices,
 *                 constant segment offsets, and copy-on-write images of the
 *                 initial memory contents;
 *   pre-instance  a module with its imports resolved and checked;
 *   instance      stamped out of a pre-instance in a store.
 *
 * wasm_linker_instantiate and wasm_instantiate build a pre-instance and use
 * it once.
 */
#include "wasm_pre.h"

#include <stdlib.h>
#include <string.h>

#define PREP_NULL UINT32_MAX /* a null reference among element items */

typedef struct prep_global {
  wasm_const_how how;
  uint32_t func; /* WASM_CONST_FUNC */
  wasm_val val;  /* WASM_CONST_VALUE */
} prep_global;

typedef struct prep_elem {
  bool dynamic_offset;  /* evaluate the offset per instance */
  uint64_t offset;
  const uint32_t *items; /* function index or PREP_NULL per item; NULL:
                            evaluate the items per instance */
  bool owned;            /* items allocated here (not the module's) */
} prep_elem;

typedef struct module_prep {
  wasm_engine *engine;        /* the module's, whose pool maps the images */
  uint32_t nelems, nmemories; /* of the module, for freeing */
  /* The instance allocation: the struct, then these arrays. */
  size_t size;
  size_t off_funcs, off_tables, off_memories, off_globals, off_tags, off_tag_objs;
  size_t off_func_objs, off_global_objs, off_table_objs, off_mem_objs;
  size_t off_elem_dropped, off_data_dropped;
  prep_global *globals;  /* per defined global */
  prep_elem *elems;      /* per element segment */
  uint64_t *data_offsets; /* per data segment: its offset when static */
  uint8_t *data_dynamic;  /* per data segment: offset evaluated per instance */
  /* When every active data segment targets a defined memory at a constant
   * offset within its minimum size, the segments never trap and each
   * defined memory may start as its image. The images are built for the
   * first explicit pre-instance, or when the module is instantiated a
   * second time: a module instantiated once copies (building an image
   * costs more than one copy, and holds a file descriptor). */
  bool images_possible;
  uint32_t uses; /* one-shot instantiations so far */
  wasm_mem_image *images; /* per defined memory; set once, atomically */
} module_prep;

struct wasm_instance_pre {
  const wasm_module *module;
  const module_prep *prep;
  /* Imports by kind, in index order: funcs, then tables, memories, globals
   * (one array, so an instance copies each kind with one memcpy). */
  void **imports;
  /* The store the store-owned imports belong to, or NULL. */
  wasm_store *store;
};

/* ---- module prep ---- */

static size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

static void images_free(const module_prep *p, wasm_mem_image *images) {
  if (!images) return;
  for (uint32_t k = 0; k < p->nmemories; k++) wasm_mem_image_free(p->engine, &images[k]);
  free(images);
}

void wasm_module_prep_free(void *prep) {
  module_prep *p = prep;
  if (!p) return;
  free(p->globals);
  if (p->elems) {
    for (uint32_t i = 0; i < p->nelems; i++)
      if (p->elems[i].owned) free((void *)p->elems[i].items);
  }
  free(p->elems);
  free(p->data_offsets);
  free(p->data_dynamic);
  images_free(p, p->images);
  free(p);
}

static void layout(const wasm_module *m, module_prep *p) {
  size_t off = align16(sizeof(wasm_instance));
#define SECTION(FIELD, N, SIZE)                                                \
  p->FIELD = off;                                                              \
  off = align16(off + (size_t)(N) * (SIZE));
  SECTION(off_funcs, wasm_module_total_funcs(m), sizeof(wasm_func *))
  SECTION(off_tables, wasm_module_total_tables(m), sizeof(wasm_table *))
  SECTION(off_memories, wasm_module_total_memories(m), sizeof(wasm_memory *))
  SECTION(off_globals, wasm_module_total_globals(m), sizeof(wasm_global *))
  SECTION(off_tags, wasm_module_total_tags(m), sizeof(wasm_tag *))
  SECTION(off_tag_objs, m->ntags, sizeof(wasm_tag))
  SECTION(off_func_objs, m->nfuncs, sizeof(wasm_func))
  SECTION(off_global_objs, m->nglobals, sizeof(wasm_global))
  SECTION(off_table_objs, m->ntables, sizeof(wasm_table))
  SECTION(off_mem_objs, m->nmemories, sizeof(wasm_memory))
  SECTION(off_elem_dropped, m->nelems, 1)
  SECTION(off_data_dropped, m->ndatas, 1)
#undef SECTION
  p->size = off;
}

static void *alloc_n(size_t n, size_t size) { return calloc(n ? n : 1, size); }

/* A constant offset, or dynamic (also when it cannot be evaluated here:
 * the instantiation then reports the error in its place). */
static bool static_offset(const wasm_module *m, wasm_constexpr e, uint64_t *out) {
  wasm_const_how how;
  wasm_val v;
  uint32_t func;
  if (wasm_eval_const_static(m, e, WASM_I32, &how, &v, &func, NULL) != WASM_OK ||
      how != WASM_CONST_VALUE)
    return false;
  *out = (uint32_t)v.of.i32;
  return true;
}

static wasm_status prep_elems(const wasm_module *m, module_prep *p) {
  uint32_t total = wasm_module_total_funcs(m);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wasm_elem *el = &m->elems[i];
    prep_elem *pe = &p->elems[i];
    if (el->mode == WASM_SEG_ACTIVE) pe->dynamic_offset = !static_offset(m, el->offset, &pe->offset);
    if (el->func_indices) {
      bool ok = true;
      for (uint32_t j = 0; j < el->count && ok; j++) ok = el->func_indices[j] < total;
      if (ok) pe->items = el->func_indices;
      continue;
    }
    if (!el->exprs) continue;
    uint32_t *items = alloc_n(el->count, sizeof *items);
    if (!items) return WASM_NOMEM;
    bool ok = true;
    for (uint32_t j = 0; j < el->count && ok; j++) {
      wasm_const_how how;
      wasm_val v;
      uint32_t func = 0;
      ok = wasm_eval_const_static(m, el->exprs[j], el->elem_kind, &how, &v, &func, NULL) ==
           WASM_OK;
      if (!ok) break;
      if (how == WASM_CONST_FUNC) items[j] = func;
      else if (how == WASM_CONST_VALUE && !v.of.ref) items[j] = PREP_NULL;
      else ok = false;
    }
    if (!ok) {
      free(items);
      continue;
    }
    pe->items = items;
    pe->owned = true;
  }
  return WASM_OK;
}

/* Decides whether defined memories may start from images. */
static void prep_images(const wasm_module *m, module_prep *p) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wasm_data *d = &m->datas[i];
    if (d->mode != WASM_SEG_ACTIVE) continue;
    if (p->data_dynamic[i] || d->memory < m->nmemory_imports ||
        d->memory >= wasm_module_total_memories(m))
      return;
    uint64_t min = m->memories[d->memory - m->nmemory_imports].limits.min;
    if (min > WASM_MAX_PAGES || p->data_offsets[i] + d->len > min * WASM_PAGE_SIZE) return;
    total += d->len;
  }
  p->images_possible = total > 0;
}

/* Builds the images once (when possible and the host allows). */
static void images_build(const wasm_module *m, module_prep *p) {
  if (!p->images_possible || __atomic_load_n(&p->images, __ATOMIC_ACQUIRE)) return;
  wasm_mem_image *images = alloc_n(m->nmemories, sizeof *images);
  if (!images) return;
  for (uint32_t k = 0; k < m->nmemories; k++) images[k].fd = -1;
  for (uint32_t k = 0; k < m->nmemories; k++) {
    if (!wasm_mem_image_build(m, m->nmemory_imports + k, p->data_offsets, &images[k])) {
      /* No memfd here: instances copy instead. */
      images_free(p, images);
      return;
    }
  }
  wasm_mem_image *expected = NULL;
  if (!__atomic_compare_exchange_n(&p->images, &expected, images, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    images_free(p, images);
}

static module_prep *prep_build(const wasm_module *m) {
  module_prep *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->engine = m->engine;
  p->nelems = m->nelems;
  p->nmemories = m->nmemories;
  layout(m, p);
  p->globals = alloc_n(m->nglobals, sizeof *p->globals);
  p->elems = alloc_n(m->nelems, sizeof *p->elems);
  p->data_offsets = alloc_n(m->ndatas, sizeof *p->data_offsets);
  p->data_dynamic = alloc_n(m->ndatas, sizeof *p->data_dynamic);
  if (!p->globals || !p->elems || !p->data_offsets || !p->data_dynamic) goto fail;
  for (uint32_t i = 0; i < m->nglobals; i++) {
    const wasm_global_def *gd = &m->globals[i];
    prep_global *pg = &p->globals[i];
    if (wasm_eval_const_static(m, gd->init, gd->type.kind, &pg->how, &pg->val, &pg->func,
                               NULL) != WASM_OK)
      pg->how = WASM_CONST_DYNAMIC;
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    if (m->datas[i].mode == WASM_SEG_ACTIVE)
      p->data_dynamic[i] = !static_offset(m, m->datas[i].offset, &p->data_offsets[i]);
  }
  if (prep_elems(m, p) != WASM_OK) goto fail;
  prep_images(m, p);
  return p;
fail:
  wasm_module_prep_free(p);
  return NULL;
}

/* The module's prep, built by the first caller; concurrent first callers
 * may both build one, and the loser frees its copy. */
static module_prep *prep_get(const wasm_module *m) {
  void **slot = (void **)&((wasm_module *)m)->prep;
  module_prep *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (p) return p;
  p = prep_build(m);
  if (!p) return NULL;
  void *expected = NULL;
  if (!__atomic_compare_exchange_n(slot, &expected, p, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    wasm_module_prep_free(p);
    return expected;
  }
  return p;
}

/* ---- pre-instances ---- */

static wasm_status oom(wasm_error *err) { return wasm_fail(err, WASM_NOMEM, "out of memory"); }

void wasm_pre_free(wasm_instance_pre *pre) {
  if (!pre) return;
  if (pre->imports) {
    for (uint32_t i = 0; i < pre->module->nfunc_imports; i++)
      wasm_shared_func_unref(pre->imports[i]);
  }
  free(pre->imports);
  free(pre);
}

void wasm_instance_pre_delete(wasm_instance_pre *pre) { wasm_pre_free(pre); }

wasm_status wasm_pre_new(const wasm_module *m, const wasm_extern *imports, size_t nimports,
                         bool reuse, wasm_instance_pre **out, wasm_error *err) {
  *out = NULL;
  if (nimports != m->nimports)
    return wasm_fail(err, WASM_LINK_ERROR, "expected %u imports, got %zu", m->nimports, nimports);
  if (nimports && !imports) return wasm_fail(err, WASM_BAD_ARG, "no imports");
  wasm_instance_pre *pre = calloc(1, sizeof *pre);
  if (!pre) return oom(err);
  pre->module = m;
  pre->imports = alloc_n(m->nimports, sizeof *pre->imports);
  if (!pre->imports) {
    free(pre);
    return oom(err);
  }
  /* Where each kind starts in pre->imports. */
  uint32_t next[5];
  next[WASM_EXTERN_FUNC] = 0;
  next[WASM_EXTERN_TABLE] = m->nfunc_imports;
  next[WASM_EXTERN_MEMORY] = next[WASM_EXTERN_TABLE] + m->ntable_imports;
  next[WASM_EXTERN_GLOBAL] = next[WASM_EXTERN_MEMORY] + m->nmemory_imports;
  next[WASM_EXTERN_TAG] = next[WASM_EXTERN_GLOBAL] + m->nglobal_imports;
  uint32_t end[5] = {next[1], next[2], next[3], next[4], m->nimports};
  wasm_status st = WASM_OK;
  for (uint32_t i = 0; i < m->nimports && st == WASM_OK; i++) {
    const wasm_import *imp = &m->imports[i];
    const wasm_extern *ext = &imports[i];
    if (imp->kind > WASM_EXTERN_TAG || next[imp->kind] >= end[imp->kind]) {
      st = wasm_fail(err, WASM_LINK_ERROR, "import counts disagree with the module");
      break;
    }
    if (!wasm_import_matches(m, imp, ext)) {
      st = wasm_fail(err, WASM_LINK_ERROR, "incompatible import type %s.%s", imp->module,
                     imp->name);
      break;
    }
    wasm_store *owner = wasm_extern_store(ext);
    if (owner && pre->store && owner != pre->store) {
      st = wasm_fail(err, WASM_LINK_ERROR,
                     "import %s.%s belongs to another store than the imports before it",
                     imp->module, imp->name);
      break;
    }
    if (owner) pre->store = owner;
    void *obj = NULL;
    switch (imp->kind) {
    case WASM_EXTERN_FUNC:
      obj = ext->of.func;
      wasm_shared_func_ref(ext->of.func);
      break;
    case WASM_EXTERN_TABLE: obj = ext->of.table; break;
    case WASM_EXTERN_MEMORY: obj = ext->of.memory; break;
    case WASM_EXTERN_GLOBAL: obj = ext->of.global; break;
    case WASM_EXTERN_TAG: obj = ext->of.tag; break;
    }
    pre->imports[next[imp->kind]++] = obj;
  }
  if (st == WASM_OK && (next[0] != end[0] || next[1] != end[1] || next[2] != end[2] ||
                        next[3] != end[3] || next[4] != end[4]))
    st = wasm_fail(err, WASM_LINK_ERROR, "import counts disagree with the module");
  if (st == WASM_OK) {
    module_prep *p = prep_get(m);
    if (!p) st = oom(err);
    else if (p->images_possible && !__atomic_load_n(&p->images, __ATOMIC_ACQUIRE) &&
             (reuse || __atomic_add_fetch(&p->uses, 1, __ATOMIC_RELAXED) >= 2))
      images_build(m, p);
    pre->prep = p;
  }
  if (st != WASM_OK) {
    /* Only the functions taken so far hold references. */
    for (uint32_t i = 0; i < next[WASM_EXTERN_FUNC]; i++) wasm_shared_func_unref(pre->imports[i]);
    free(pre->imports);
    free(pre);
    return st;
  }
  *out = pre;
  return WASM_OK;
}

/* ---- instances ---- */

#define AT(inst, off, type) ((type)(void *)((char *)(inst) + (off)))

void wasm_instance_free(wasm_instance *inst) {
  const wasm_module *m = inst->module;
  const module_prep *p = m->prep;
  wasm_table *tables = AT(inst, p->off_table_objs, wasm_table *);
  wasm_memory *mems = AT(inst, p->off_mem_objs, wasm_memory *);
  for (uint32_t i = 0; i < m->ntables; i++) wasm_table_release(&tables[i]);
  for (uint32_t i = 0; i < m->nmemories; i++) wasm_memory_release(&mems[i]);
  free(inst);
}

/* The value of item j of element segment el, evaluated per instance. */
static wasm_status elem_item(const wasm_instance *inst, const wasm_elem *el, uint32_t j,
                             void **out, wasm_error *err) {
  const wasm_module *m = inst->module;
  if (el->func_indices) {
    uint32_t fi = el->func_indices[j];
    if (fi >= wasm_module_total_funcs(m)) return wasm_fail(err, WASM_INVALID, "unknown function");
    *out = inst->funcs[fi];
    return WASM_OK;
  }
  if (!el->exprs) return wasm_fail(err, WASM_INVALID, "element segment without items");
  wasm_val v;
  wasm_status st = wasm_eval_const(inst, el->exprs[j], el->elem_kind, &v, err);
  if (st != WASM_OK) return st;
  *out = v.of.ref;
  return WASM_OK;
}

static wasm_status eval_offset(const wasm_instance *inst, wasm_constexpr e, uint64_t *out,
                               wasm_error *err) {
  wasm_val v;
  wasm_status st = wasm_eval_const(inst, e, WASM_I32, &v, err);
  if (st != WASM_OK) return st;
  *out = (uint32_t)v.of.i32;
  return WASM_OK;
}

static wasm_status alloc_defined(wasm_store *s, wasm_instance *inst, const module_prep *p,
                                 const wasm_mem_image *images, wasm_error *err) {
  const wasm_module *m = inst->module;
  wasm_func *fobjs = AT(inst, p->off_func_objs, wasm_func *);
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    const wasm_funcdef *def = &m->funcs[i];
    if (def->type >= m->ntypes) return wasm_fail(err, WASM_INVALID, "unknown type");
    wasm_func *f = &fobjs[i];
    f->type = &m->types[def->type];
    f->instance = inst;
    f->def = def;
    f->index = m->nfunc_imports + i;
    f->store = s;
    inst->funcs[f->index] = f;
  }
  wasm_table *tobjs = AT(inst, p->off_table_objs, wasm_table *);
  for (uint32_t i = 0; i < m->ntables; i++) {
    wasm_status st = wasm_table_init(&tobjs[i], s, m->tables[i].elem, m->tables[i].limits,
                                     NULL, err);
    if (st != WASM_OK) return st;
    inst->tables[m->ntable_imports + i] = &tobjs[i];
  }
  wasm_memory *mobjs = AT(inst, p->off_mem_objs, wasm_memory *);
  for (uint32_t i = 0; i < m->nmemories; i++) {
    const wasm_mem_image *img = images ? &images[i] : NULL;
    wasm_status st = wasm_memory_init(&mobjs[i], s, m->memories[i].limits, img, err);
    if (st != WASM_OK) return st;
    inst->memories[m->nmemory_imports + i] = &mobjs[i];
  }
  wasm_global *gobjs = AT(inst, p->off_global_objs, wasm_global *);
  for (uint32_t i = 0; i < m->nglobals; i++) {
    const wasm_global_def *gd = &m->globals[i];
    const prep_global *pg = &p->globals[i];
    wasm_global *g = &gobjs[i];
    wasm_val v = pg->val;
    switch (pg->how) {
    case WASM_CONST_VALUE: break;
    case WASM_CONST_FUNC: v.of.ref = inst->funcs[pg->func]; break;
    case WASM_CONST_DYNAMIC: {
      wasm_status st = wasm_eval_const(inst, gd->init, gd->type.kind, &v, err);
      if (st != WASM_OK) return st;
      break;
    }
    }
    g->kind = gd->type.kind;
    wasm_global_set(g, v);
    g->mutable_ = gd->type.mutable_;
    g->store = s;
    inst->globals[m->nglobal_imports + i] = g;
  }
  return WASM_OK;
}

static wasm_status init_elems(wasm_instance *inst, const module_prep *p, wasm_error *err) {
  const wasm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wasm_elem *el = &m->elems[i];
    const prep_elem *pe = &p->elems[i];
    if (el->mode == WASM_SEG_DECLARATIVE) {
      inst->elem_dropped[i] = 1;
      continue;
    }
    if (el->mode != WASM_SEG_ACTIVE) continue;
    if (el->table >= wasm_module_total_tables(m)) return wasm_fail(err, WASM_INVALID, "unknown table");
    wasm_table *t = inst->tables[el->table];
    uint64_t off = pe->offset;
    if (pe->dynamic_offset) {
      wasm_status st = eval_offset(inst, el->offset, &off, err);
      if (st != WASM_OK) return st;
    }
    /* table.init semantics: check the whole range before writing. */
    if (off > t->size || el->count > t->size - off)
      return wasm_fail(err, WASM_TRAP, "out of bounds table access");
    void **dst = t->elems + off;
    if (pe->items) {
      for (uint32_t j = 0; j < el->count; j++)
        dst[j] = pe->items[j] == PREP_NULL ? NULL : inst->funcs[pe->items[j]];
    } else {
      for (uint32_t j = 0; j < el->count; j++) {
        void *ref = NULL;
        wasm_status st = elem_item(inst, el, j, &ref, err);
        if (st != WASM_OK) return st;
        dst[j] = ref;
      }
    }
    inst->elem_dropped[i] = 1;
  }
  return WASM_OK;
}

/* Instantiation failed before the data segments: the defined memories
 * must not show their images (a function of this instance may already be
 * in an imported table). */
static wasm_status drop_images(wasm_instance *inst, const wasm_mem_image *images,
                               wasm_status st) {
  const wasm_module *m = inst->module;
  if (!images) return st;
  for (uint32_t k = 0; k < m->nmemories; k++) {
    wasm_memory *mem = inst->memories[m->nmemory_imports + k];
    if (mem && !wasm_memory_drop_image(mem)) {
      /* Unusable: make it empty rather than wrong. */
      mem->size = 0;
      mem->max_pages = 0;
    }
  }
  return st;
}

static wasm_status init_datas(wasm_instance *inst, const module_prep *p,
                              const wasm_mem_image *images, wasm_error *err) {
  const wasm_module *m = inst->module;
  bool copy = !images;
  if (images) {
    /* The segments cannot trap, and each defined memory was created with
     * its image mapped, unless the host refused: then copy them all
     * (copying again what was mapped is harmless). */
    for (uint32_t k = 0; k < m->nmemories; k++) {
      if (images[k].fd >= 0 && inst->memories[m->nmemory_imports + k]->image != &images[k])
        copy = true;
    }
    if (!copy) {
      for (uint32_t i = 0; i < m->ndatas; i++)
        if (m->datas[i].mode == WASM_SEG_ACTIVE) inst->data_dropped[i] = 1;
      return WASM_OK;
    }
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wasm_data *d = &m->datas[i];
    if (d->mode != WASM_SEG_ACTIVE) continue;
    if (d->memory >= wasm_module_total_memories(m)) return wasm_fail(err, WASM_INVALID, "unknown memory");
    wasm_memory *mem = inst->memories[d->memory];
    uint64_t off = p->data_offsets[i];
    if (p->data_dynamic[i]) {
      wasm_status st = eval_offset(inst, d->offset, &off, err);
      if (st != WASM_OK) return st;
    }
    if (off > mem->size || d->len > mem->size - off)
      return wasm_fail(err, WASM_TRAP, "out of bounds memory access");
    if (d->len) memcpy(mem->data + off, d->bytes, d->len);
    inst->data_dropped[i] = 1;
  }
  return WASM_OK;
}

wasm_status wasm_instance_pre_instantiate(const wasm_instance_pre *pre, wasm_store *s,
                                          wasm_instance **out, wasm_error *err) {
  if (!out) return wasm_fail(err, WASM_BAD_ARG, "no output instance");
  *out = NULL;
  if (!pre || !s) return wasm_fail(err, WASM_BAD_ARG, "no pre-instance or store");
  if (pre->store && pre->store != s)
    return wasm_fail(err, WASM_LINK_ERROR,
                     "imports belong to another store: store-owned externs work only in "
                     "their own store");
  if (s->limits.max_instances && s->ninstances >= s->limits.max_instances)
    return wasm_fail(err, WASM_EXHAUSTED, "too many instances in the store (limit %llu)",
                     (unsigned long long)s->limits.max_instances);
  const wasm_module *m = pre->module;
  const module_prep *p = pre->prep;
  wasm_instance *inst = calloc(1, p->size);
  if (!inst) return oom(err);
  inst->module = m;
  inst->store = s;
  inst->funcs = AT(inst, p->off_funcs, wasm_func **);
  inst->tables = AT(inst, p->off_tables, wasm_table **);
  inst->memories = AT(inst, p->off_memories, wasm_memory **);
  inst->globals = AT(inst, p->off_globals, wasm_global **);
  inst->tags = AT(inst, p->off_tags, wasm_tag **);
  inst->elem_dropped = AT(inst, p->off_elem_dropped, uint8_t *);
  inst->data_dropped = AT(inst, p->off_data_dropped, uint8_t *);
  /* Tracked from the start: on a trap during initialisation, tables and
   * memories shared with other instances may already refer to its parts. */
  if (wasm_store_track(s, WASM_OBJ_INSTANCE, inst) != WASM_OK) {
    free(inst);
    return oom(err);
  }
  s->ninstances++;
  void *const *imp = pre->imports;
  if (m->nfunc_imports) memcpy(inst->funcs, imp, m->nfunc_imports * sizeof(void *));
  imp += m->nfunc_imports;
  if (m->ntable_imports) memcpy(inst->tables, imp, m->ntable_imports * sizeof(void *));
  imp += m->ntable_imports;
  if (m->nmemory_imports) memcpy(inst->memories, imp, m->nmemory_imports * sizeof(void *));
  imp += m->nmemory_imports;
  if (m->nglobal_imports) memcpy(inst->globals, imp, m->nglobal_imports * sizeof(void *));
  imp += m->nglobal_imports;
  if (m->ntag_imports) memcpy(inst->tags, imp, m->ntag_imports * sizeof(void *));
  /* Defined tags: fresh objects per instance (tags are generative). */
  wasm_tag *tag_objs = AT(inst, p->off_tag_objs, wasm_tag *);
  for (uint32_t i = 0; i < m->ntags; i++) {
    tag_objs[i] = (wasm_tag){&m->types[m->tags[i]], s};
    inst->tags[m->ntag_imports + i] = &tag_objs[i];
  }
  const wasm_mem_image *images = __atomic_load_n(&p->images, __ATOMIC_ACQUIRE);
  wasm_status st = alloc_defined(s, inst, p, images, err);
  if (st == WASM_OK) st = init_elems(inst, p, err);
  if (st != WASM_OK) return drop_images(inst, images, st);
  st = init_datas(inst, p, images, err);
  if (st == WASM_OK && m->has_start) {
    if (m->start >= wasm_module_total_funcs(m)) return wasm_fail(err, WASM_INVALID, "unknown function");
    st = wasm_func_call(s, inst->funcs[m->start], NULL, 0, NULL, 0, err);
  }
  if (st != WASM_OK) return st;
  *out = inst;
  return WASM_OK;
}

wasm_status wasm_pre_instantiate_once(wasm_instance_pre *pre, wasm_store *s,
                                      wasm_instance **out, wasm_error *err) {
  /* Instances refer to the shared functions the pre-instance holds: then
   * the store keeps it until it is deleted. */
  bool keep = false;
  for (uint32_t i = 0; i < pre->module->nfunc_imports && !keep; i++)
    keep = wasm_func_is_shared(pre->imports[i]);
  if (keep && wasm_store_track(s, WASM_OBJ_PRE, pre) != WASM_OK) {
    wasm_pre_free(pre);
    return oom(err);
  }
  wasm_status st = wasm_instance_pre_instantiate(pre, s, out, err);
  if (!keep) wasm_pre_free(pre);
  return st;
}
