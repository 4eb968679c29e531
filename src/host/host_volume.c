/* host_volume.c: a workload's volumes as WASI preopens. hostPath volumes
 * must be existing directories; ephemeral ones are temporary directories
 * living as long as the host_volumes object. Each item gets preopens for
 * its own volumeMounts only (wasmCloud 2.0.0 gives every item all of
 * them; we do not). */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/host_internal.h"

struct host_volumes {
  host_arena *a;
  const char **dirs;      /* per volume */
  bool *ephemeral;        /* per volume: remove dirs[i] on close */
  size_t nvolumes;
  wasi_preopen **preopens; /* per item */
  size_t *npreopens;
  size_t nitems;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  remove(path);
  return 0; /* keep going: remove as much as possible */
}

/* Deletes dir and everything below it, never following symbolic links
 * (a guest could have planted one pointing outside). */
static void remove_tree(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* A temporary directory name part: the workload's and volume's names
 * with anything unusual replaced. */
static void safe_part(char *out, size_t size, const char *s) {
  size_t i = 0;
  for (; *s && i + 1 < size && i < 40; s++)
    out[i++] = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                *s == '-' || *s == '_')
                   ? *s
                   : '_';
  out[i] = 0;
}

wasm_status host_volumes_open(const workload *w, host_volumes **out, wasm_error *err) {
  *out = NULL;
  host_arena *a = host_arena_new();
  host_volumes *v = a ? host_arena_alloc(a, sizeof *v) : NULL;
  if (!v) {
    host_arena_free(a);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  v->a = a;
  v->nvolumes = w->nvolumes;
  v->nitems = workload_item_count(w);
  v->dirs = host_arena_alloc(a, (w->nvolumes + 1) * sizeof *v->dirs);
  v->ephemeral = host_arena_alloc(a, (w->nvolumes + 1) * sizeof *v->ephemeral);
  v->preopens = host_arena_alloc(a, (v->nitems + 1) * sizeof *v->preopens);
  v->npreopens = host_arena_alloc(a, (v->nitems + 1) * sizeof *v->npreopens);
  if (!v->dirs || !v->ephemeral || !v->preopens || !v->npreopens) {
    host_arena_free(a);
    return host_fail(err, WASM_NOMEM, "out of memory");
  }
  wasm_status st = WASM_OK;
  for (size_t i = 0; i < w->nvolumes && st == WASM_OK; i++) {
    const workload_volume *vol = &w->volumes[i];
    if (vol->kind == WORKLOAD_VOLUME_HOST_PATH) {
      struct stat sb;
      if (stat(vol->resolved_path, &sb) != 0)
        st = host_fail(err, WASM_BAD_ARG, "%s: volume `%s`: hostPath %s: %s", w->source, vol->name,
                       vol->resolved_path, strerror(errno));
      else if (!S_ISDIR(sb.st_mode))
        st = host_fail(err, WASM_BAD_ARG, "%s: volume `%s`: hostPath %s is not a directory",
                       w->source, vol->name, vol->resolved_path);
      else v->dirs[i] = vol->resolved_path;
      continue;
    }
    const char *tmp = getenv("TMPDIR");
    char wn[48], vn[48];
    safe_part(wn, sizeof wn, w->name ? w->name : "workload");
    safe_part(vn, sizeof vn, vol->name);
    char *dir = host_arena_printf(a, "%s/stratus-%s-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", wn, vn);
    if (!dir) st = host_fail(err, WASM_NOMEM, "out of memory");
    else if (!mkdtemp(dir))
      st = host_fail(err, WASM_BAD_ARG, "%s: volume `%s`: cannot create a temporary directory %s: %s",
                     w->source, vol->name, dir, strerror(errno));
    else {
      v->dirs[i] = dir;
      v->ephemeral[i] = true;
    }
  }
  for (size_t it = 0; it < v->nitems && st == WASM_OK; it++) {
    const workload_local_resources *lr = workload_item_local(w, it);
    v->preopens[it] = host_arena_alloc(a, (lr->nvolume_mounts + 1) * sizeof **v->preopens);
    if (!v->preopens[it]) {
      st = host_fail(err, WASM_NOMEM, "out of memory");
      break;
    }
    for (size_t m = 0; m < lr->nvolume_mounts; m++) {
      const workload_volume_mount *vm = &lr->volume_mounts[m];
      v->preopens[it][m] = (wasi_preopen){.host_path = v->dirs[vm->volume],
                                          .guest_path = vm->mount_path,
                                          .read_only = vm->read_only};
    }
    v->npreopens[it] = lr->nvolume_mounts;
  }
  if (st != WASM_OK) {
    host_volumes_close(v);
    return st;
  }
  *out = v;
  return WASM_OK;
}

const wasi_preopen *host_volumes_preopens(const host_volumes *v, size_t item, size_t *n) {
  if (item >= v->nitems) {
    *n = 0;
    return NULL;
  }
  *n = v->npreopens[item];
  return v->preopens[item];
}

const char *host_volumes_dir(const host_volumes *v, size_t volume) {
  return volume < v->nvolumes ? v->dirs[volume] : NULL;
}

void host_volumes_close(host_volumes *v) {
  if (!v) return;
  for (size_t i = 0; i < v->nvolumes; i++)
    if (v->ephemeral[i] && v->dirs[i]) remove_tree(v->dirs[i]);
  host_arena_free(v->a);
}
