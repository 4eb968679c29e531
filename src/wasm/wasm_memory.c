/*
 * wasm_memory.c: linear memories: address-space reservation (and a small
 * per-engine pool of reserved regions for reuse), growth, store limits, and
 * copy-on-write images of a module's initial memory contents.
 *
 * A memory reserves its whole addressable range (the type's maximum, at
 * most 4 GiB) plus a guard region once, so `data` never moves; only
 * [0, size) is readable and writable. An image is a sealed memfd holding
 * the bytes the module's data segments write; mapping it MAP_PRIVATE over
 * the start of a memory costs the same whatever the data size, and the
 * pages are only copied when the instance writes to them.
 */
#include "wasm_pre.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Bytes reserved past the largest accessible size of a memory, so a stray
 * access just past the end faults instead of touching another mapping. */
#define WASM_MEMORY_GUARD ((size_t)1 << 16)

/* ---- the pool of reserved regions ---- */

/* Regions kept for reuse per engine. A freed memory's pages are dropped
 * with one madvise(MADV_DONTNEED) and the region is kept as it was: its
 * accessible prefix stays readable and writable, and an image mapped over
 * its start stays mapped (dropping the private copies of its pages brings
 * back the image's contents). A new memory of the same shape and image then
 * costs no system call at all. */
#define WASM_MEM_POOL_SLOTS 32

typedef struct pool_slot {
  uint8_t *base;
  size_t reserved;
  size_t accessible; /* [0, accessible) is PROT_READ|PROT_WRITE */
  uint64_t image_id; /* the image mapped at the start, or 0 */
  size_t image_len;
} pool_slot;

struct wasm_mem_pool {
  pthread_mutex_t lock;
  size_t n;
  pool_slot slots[WASM_MEM_POOL_SLOTS];
};

static struct wasm_mem_pool *engine_pool(wasm_engine *e) {
  if (!e) return NULL;
  struct wasm_mem_pool *p = __atomic_load_n(&e->mem_pool, __ATOMIC_ACQUIRE);
  if (p) return p;
  p = calloc(1, sizeof *p);
  if (!p) return NULL;
  pthread_mutex_init(&p->lock, NULL);
  struct wasm_mem_pool *expected = NULL;
  if (!__atomic_compare_exchange_n(&e->mem_pool, &expected, p, false, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    pthread_mutex_destroy(&p->lock);
    free(p);
    return expected;
  }
  return p;
}

/* Takes the slot that best fits (same reservation; then same image; then
 * same accessible size), or returns false. */
static bool pool_take(struct wasm_mem_pool *p, size_t reserved, uint64_t image_id, size_t size,
                      pool_slot *out) {
  if (!p) return false;
  pthread_mutex_lock(&p->lock);
  size_t best = SIZE_MAX;
  int best_score = -1;
  for (size_t i = p->n; i-- > 0;) {
    const pool_slot *sl = &p->slots[i];
    if (sl->reserved != reserved) continue;
    int score = (sl->image_id == image_id ? 2 : 0) + (sl->accessible == size ? 1 : 0);
    if (score > best_score) {
      best = i;
      best_score = score;
      if (score == 3) break;
    }
  }
  if (best != SIZE_MAX) {
    *out = p->slots[best];
    p->slots[best] = p->slots[--p->n];
  }
  pthread_mutex_unlock(&p->lock);
  return best != SIZE_MAX;
}

/* Keeps a reset region; false when the pool is full. */
static bool pool_put(struct wasm_mem_pool *p, const pool_slot *sl) {
  if (!p) return false;
  bool kept = false;
  pthread_mutex_lock(&p->lock);
  if (p->n < WASM_MEM_POOL_SLOTS) {
    p->slots[p->n++] = *sl;
    kept = true;
  }
  pthread_mutex_unlock(&p->lock);
  return kept;
}

void wasm_mem_pool_delete(struct wasm_mem_pool *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) munmap(p->slots[i].base, p->slots[i].reserved);
  pthread_mutex_destroy(&p->lock);
  free(p);
}

void wasm_mem_pool_forget_image(wasm_engine *e, uint64_t image_id) {
  struct wasm_mem_pool *p = e ? __atomic_load_n(&e->mem_pool, __ATOMIC_ACQUIRE) : NULL;
  if (!p || !image_id) return;
  pthread_mutex_lock(&p->lock);
  for (size_t i = p->n; i-- > 0;) {
    if (p->slots[i].image_id == image_id) {
      munmap(p->slots[i].base, p->slots[i].reserved);
      p->slots[i] = p->slots[--p->n];
    }
  }
  pthread_mutex_unlock(&p->lock);
}

/* ---- memories ---- */

/* Replaces [0, len) of a region by fresh zero pages, readable and
 * writable. */
static bool map_zero(uint8_t *base, size_t len) {
  return mmap(base, len, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == (void *)base;
}

/* Makes a region taken from the pool (or fresh) hold a zeroed memory of
 * size bytes with img (or nothing) mapped at its start. False when the
 * region is unusable. */
static bool shape_region(pool_slot *sl, size_t size, const wasm_mem_image *img) {
  if (sl->image_id && (!img || sl->image_id != img->id)) {
    if (!map_zero(sl->base, sl->image_len)) return false;
    if (sl->image_len > sl->accessible) sl->accessible = sl->image_len;
    sl->image_id = 0;
    sl->image_len = 0;
  }
  if (sl->accessible < size &&
      mprotect(sl->base + sl->accessible, size - sl->accessible, PROT_READ | PROT_WRITE) != 0)
    return false;
  if (sl->accessible > size && mprotect(sl->base + size, sl->accessible - size, PROT_NONE) != 0)
    return false;
  sl->accessible = size;
  if (img && sl->image_id != img->id) {
    void *p = mmap(sl->base, img->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, img->fd, 0);
    if (p == (void *)sl->base) {
      sl->image_id = img->id;
      sl->image_len = img->len;
    } else if (!map_zero(sl->base, img->len)) {
      /* A failed MAP_FIXED may have removed the old pages. */
      return false;
    }
  }
  return true;
}

wasm_status wasm_memory_init(wasm_memory *m, wasm_store *s, wasm_limits limits,
                             const wasm_mem_image *img, wasm_error *err) {
  uint64_t type_max = WASM_MAX_PAGES;
  if (limits.has_max && limits.max < type_max) type_max = limits.max;
  if (limits.min > type_max)
    return wasm_fail(err, WASM_BAD_ARG, "memory minimum of %llu pages exceeds its maximum",
                     (unsigned long long)limits.min);
  uint64_t max_pages = type_max;
  if (s->limits.max_memory_bytes) {
    uint64_t cap = s->limits.max_memory_bytes / WASM_PAGE_SIZE;
    if (cap < max_pages) max_pages = cap;
  }
  if (limits.min > max_pages)
    return wasm_fail(err, WASM_EXHAUSTED,
                     "memory minimum of %llu pages (%llu bytes) exceeds the store's limit of "
                     "%llu bytes",
                     (unsigned long long)limits.min,
                     (unsigned long long)limits.min * WASM_PAGE_SIZE,
                     (unsigned long long)s->limits.max_memory_bytes);
  if (s->limits.max_memories && s->nmemories >= s->limits.max_memories)
    return wasm_fail(err, WASM_EXHAUSTED, "too many memories in the store (limit %llu)",
                     (unsigned long long)s->limits.max_memories);
  /* The reservation follows the type, not the store's limit, so regions
   * are interchangeable in the pool. */
  size_t reserved = (size_t)type_max * WASM_PAGE_SIZE + WASM_MEMORY_GUARD;
  size_t size = (size_t)limits.min * WASM_PAGE_SIZE;
  if (img && (img->fd < 0 || !img->len || img->len > size)) img = NULL;
  pool_slot sl;
  if (!pool_take(engine_pool(s->engine), reserved, img ? img->id : 0, size, &sl)) {
    void *p = mmap(NULL, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      return wasm_fail(err, WASM_NOMEM, "cannot reserve address space for a memory");
    sl = (pool_slot){p, reserved, 0, 0, 0};
  }
  if (!shape_region(&sl, size, img)) {
    munmap(sl.base, sl.reserved);
    return wasm_fail(err, WASM_NOMEM, "cannot allocate memory of %llu pages",
                     (unsigned long long)limits.min);
  }
  m->data = sl.base;
  m->size = size;
  m->limits = limits;
  m->max_pages = max_pages;
  m->reserved = reserved;
  m->store = s;
  m->image = img && sl.image_id == img->id ? img : NULL;
  s->nmemories++;
  return WASM_OK;
}

bool wasm_memory_drop_image(wasm_memory *m) {
  if (!m->image) return true;
  if (!map_zero(m->data, m->image->len)) return false;
  m->image = NULL;
  return true;
}

void wasm_memory_release(wasm_memory *m) {
  if (!m->data) return;
  struct wasm_mem_pool *pool =
      m->store ? __atomic_load_n(&m->store->engine->mem_pool, __ATOMIC_ACQUIRE) : NULL;
  pool_slot sl = {m->data, m->reserved, m->size, m->image ? m->image->id : 0,
                  m->image ? m->image->len : 0};
  bool reset = !m->size || madvise(m->data, m->size, MADV_DONTNEED) == 0;
  if (!reset || !pool_put(pool, &sl)) munmap(m->data, m->reserved);
  m->data = NULL;
}

wasm_memory *wasm_memory_new(wasm_store *s, wasm_limits limits) {
  if (!s) return NULL;
  wasm_memory *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  if (wasm_memory_init(m, s, limits, NULL, NULL) != WASM_OK) {
    free(m);
    return NULL;
  }
  if (wasm_store_track(s, WASM_OBJ_MEMORY, m) != WASM_OK) {
    wasm_memory_release(m);
    free(m);
    return NULL;
  }
  return m;
}

uint8_t *wasm_memory_data(wasm_memory *m) { return m ? m->data : NULL; }
uint64_t wasm_memory_size(const wasm_memory *m) { return m ? m->size : 0; }

wasm_limits wasm_memory_limits(const wasm_memory *m) {
  wasm_limits l = {0, 0, false};
  return m ? m->limits : l;
}

int64_t wasm_memory_grow(wasm_memory *m, uint64_t delta_pages) {
  if (!m) return -1;
  uint64_t old = m->size / WASM_PAGE_SIZE;
  if (delta_pages > m->max_pages - old) return -1;
  if (delta_pages) {
    size_t bytes = (size_t)delta_pages * WASM_PAGE_SIZE;
    if (mprotect(m->data + m->size, bytes, PROT_READ | PROT_WRITE) != 0) return -1;
    m->size += bytes;
    m->limits.min = old + delta_pages;
  }
  return (int64_t)old;
}

/* ---- images ---- */

static bool write_all(int fd, const uint8_t *p, size_t n, uint64_t off) {
  while (n) {
    ssize_t w = pwrite(fd, p, n, (off_t)off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
    off += (uint64_t)w;
  }
  return true;
}

bool wasm_mem_image_build(const wasm_module *m, uint32_t mem, const uint64_t *offsets,
                          wasm_mem_image *out) {
  out->fd = -1;
  out->len = 0;
  out->id = 0;
  uint64_t end = 0;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wasm_data *d = &m->datas[i];
    if (d->mode == WASM_SEG_ACTIVE && d->memory == mem && d->len && offsets[i] + d->len > end)
      end = offsets[i] + d->len;
  }
  if (end == 0) return true; /* nothing to write: all zeroes */
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || WASM_PAGE_SIZE % (uint64_t)page) return false;
  uint64_t len = (end + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
  int fd = memfd_create("stratus-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return false;
  bool ok = ftruncate(fd, (off_t)len) == 0;
  /* In segment order, so a later segment overwrites an earlier one just as
   * copying them one after the other would. */
  for (uint32_t i = 0; ok && i < m->ndatas; i++) {
    const wasm_data *d = &m->datas[i];
    if (d->mode == WASM_SEG_ACTIVE && d->memory == mem && d->len)
      ok = write_all(fd, d->bytes, d->len, offsets[i]);
  }
  /* Sealed: nothing can change the image under the instances mapping it. */
  if (ok)
    ok = fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
  if (!ok) {
    close(fd);
    return false;
  }
  static uint64_t next_id;
  out->fd = fd;
  out->len = (size_t)len;
  out->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
  return true;
}

void wasm_mem_image_free(wasm_engine *e, wasm_mem_image *img) {
  wasm_mem_pool_forget_image(e, img->id);
  if (img->fd >= 0) close(img->fd);
  img->fd = -1;
  img->len = 0;
  img->id = 0;
}

