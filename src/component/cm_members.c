/*
 * cm_members.c: the functions inside a component's interface imports and
 * exports (component.h), for hosts that define or forward a whole
 * interface by function (a workload's service calling a component's
 * exports), whether a type carries resource handles, and which resource
 * types an interface import declares itself (composition proxies those).
 */
#include "component/cm_internal.h"

static const cm_insttype *inst_of(const cm_component *c, uint32_t i, bool import) {
  if (!c || !c->root) return NULL;
  const cm_component_def *r = c->root;
  const cm_externtype *t;
  if (import) {
    if (i >= r->nimports) return NULL;
    t = &r->defs[r->imports[i]].u.import.t;
  } else {
    if (i >= r->nexports) return NULL;
    t = &r->defs[r->exports[i]].u.export_.t;
  }
  return t->sort == CM_SORT_INSTANCE ? t->u.instance : NULL;
}

/* The k-th function export of the instance type (types skipped). */
static const cm_named_extern *func_at(const cm_insttype *it, uint32_t k) {
  for (uint32_t e = 0; it && e < it->nexports; e++)
    if (it->exports[e].t.sort == CM_SORT_FUNC && k-- == 0) return &it->exports[e];
  return NULL;
}

static uint32_t nfuncs(const cm_insttype *it) {
  uint32_t n = 0;
  for (uint32_t e = 0; it && e < it->nexports; e++) n += it->exports[e].t.sort == CM_SORT_FUNC;
  return n;
}

uint32_t cm_component_import_nfuncs(const cm_component *c, uint32_t i) {
  return nfuncs(inst_of(c, i, true));
}
const char *cm_component_import_func_name(const cm_component *c, uint32_t i, uint32_t k) {
  const cm_named_extern *x = func_at(inst_of(c, i, true), k);
  return x ? x->name.name : NULL;
}
const cm_functype *cm_component_import_func_at(const cm_component *c, uint32_t i, uint32_t k) {
  const cm_named_extern *x = func_at(inst_of(c, i, true), k);
  return x ? x->t.u.func : NULL;
}
uint32_t cm_component_export_nfuncs(const cm_component *c, uint32_t i) {
  return nfuncs(inst_of(c, i, false));
}
const char *cm_component_export_func_name(const cm_component *c, uint32_t i, uint32_t k) {
  const cm_named_extern *x = func_at(inst_of(c, i, false), k);
  return x ? x->name.name : NULL;
}
const cm_functype *cm_component_export_func_at(const cm_component *c, uint32_t i, uint32_t k) {
  const cm_named_extern *x = func_at(inst_of(c, i, false), k);
  return x ? x->t.u.func : NULL;
}

bool cm_type_has_handles(const cm_type *t) {
  if (!t) return false;
  switch (t->kind) {
  case CM_OWN: case CM_BORROW: return true;
  case CM_LIST: return cm_type_has_handles(t->as.list.elem);
  case CM_RECORD: case CM_VARIANT:
    for (uint32_t i = 0; i < t->as.record.n; i++)
      if (cm_type_has_handles(t->as.record.fields[i].type)) return true;
    return false;
  case CM_TUPLE:
    for (uint32_t i = 0; i < t->as.tuple.n; i++)
      if (cm_type_has_handles(t->as.tuple.types[i])) return true;
    return false;
  case CM_OPTION: return cm_type_has_handles(t->as.option.t);
  case CM_RESULT: return cm_type_has_handles(t->as.result.ok) || cm_type_has_handles(t->as.result.err);
  case CM_STREAM: case CM_FUTURE: return true; /* host-side objects too */
  default: return false;
  }
}

bool cm_functype_has_handles(const cm_functype *f) {
  if (!f) return false;
  for (uint32_t i = 0; i < f->nparams; i++)
    if (cm_type_has_handles(f->params[i].type)) return true;
  return cm_type_has_handles(f->result);
}

/* The resource of type export e of it, or NULL when e is no resource. */
static const cm_resource_type *res_of(const cm_named_extern *e) {
  if (e->t.sort != CM_SORT_TYPE || !e->t.u.type || e->t.u.type->kind != CM_DT_RESOURCE) return NULL;
  return e->t.u.type->u.resource;
}

/* Whether an import before i exports resource r: then i uses it from
 * there (a WIT `use`), it is not i's own. */
static bool declared_before(const cm_component *c, uint32_t i, const cm_resource_type *r) {
  for (uint32_t j = 0; j < i; j++) {
    const cm_insttype *it = inst_of(c, j, true);
    for (uint32_t e = 0; it && e < it->nexports; e++)
      if (res_of(&it->exports[e]) == r) return true;
  }
  return false;
}

/* The k-th resource import i declares itself. */
static const cm_named_extern *own_res_at(const cm_component *c, uint32_t i, uint32_t k) {
  const cm_insttype *it = inst_of(c, i, true);
  for (uint32_t e = 0; it && e < it->nexports; e++) {
    const cm_resource_type *r = res_of(&it->exports[e]);
    if (r && !declared_before(c, i, r) && k-- == 0) return &it->exports[e];
  }
  return NULL;
}

uint32_t cm_component_import_nresources(const cm_component *c, uint32_t i) {
  uint32_t n = 0;
  while (own_res_at(c, i, n)) n++;
  return n;
}

const char *cm_component_import_resource_name(const cm_component *c, uint32_t i, uint32_t k) {
  const cm_named_extern *x = own_res_at(c, i, k);
  return x ? x->name.name : NULL;
}

int32_t cm_component_import_handle_resource(const cm_component *c, uint32_t i, const cm_type *t) {
  if (!t || (t->kind != CM_OWN && t->kind != CM_BORROW) || !t->as.handle.res) return -1;
  const cm_named_extern *x;
  for (uint32_t k = 0; (x = own_res_at(c, i, k)); k++)
    if (res_of(x) == t->as.handle.res) return (int32_t)k;
  return -1;
}
