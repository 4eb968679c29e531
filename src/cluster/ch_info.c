/*
 * ch_info.c: the host's identity (a UUIDv4 id, a friendly name) and its
 * HostHeartbeat (reference, section 2.4): system figures from /proc and
 * uname, the workload counts, and the plugins' worlds as WitInterface
 * entries.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>

#include "ch_internal.h"

/* Random bytes; getrandom cannot fail short for <= 256 bytes once the
 * pool is ready, but fall back to the clock rather than leave zeros. */
static void ch_random(void *buf, size_t n) {
  ssize_t got = getrandom(buf, n, 0);
  if (got == (ssize_t)n) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)(uintptr_t)buf;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift */
    ((uint8_t *)buf)[i] = (uint8_t)x;
  }
}

void ch_uuid4(char out[CH_ID_MAX]) {
  uint8_t b[16];
  ch_random(b, sizeof b);
  b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  snprintf(out, CH_ID_MAX,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static const char *const ch_adjectives[] = {
    "amber", "brave",  "calm",   "clever", "crisp",  "dusty",  "eager", "fancy",
    "gentle", "golden", "happy", "hidden", "icy",    "jolly",  "keen",  "lively",
    "lucky", "misty",  "noble",  "polite", "quiet",  "rapid",  "rosy",  "silent",
    "sleepy", "snowy", "steady", "sunny",  "swift",  "tidy",   "vivid", "witty",
};
static const char *const ch_nouns[] = {
    "badger", "beacon", "brook",  "canyon", "cedar",  "comet",  "falcon", "fern",
    "glacier", "harbor", "heron", "island", "lagoon", "lantern", "maple", "meadow",
    "otter",  "pebble", "pine",   "prairie", "raven", "reef",   "river",  "sparrow",
    "summit", "thistle", "tundra", "valley", "willow", "wren",  "yarrow", "zephyr",
};

void ch_friendly_name(char *out, size_t n) {
  uint32_t r[3];
  ch_random(r, sizeof r);
  snprintf(out, n, "%s-%s-%04" PRIu32,
           ch_adjectives[r[0] % (sizeof ch_adjectives / sizeof *ch_adjectives)],
           ch_nouns[r[1] % (sizeof ch_nouns / sizeof *ch_nouns)], r[2] % 10000);
}

/* ---- system figures ---- */

static bool read_cpu(ch_cpu *c) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return false;
  uint64_t v[8] = {0};
  int n = fscanf(f, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                 " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 4) return false;
  /* user nice system idle iowait irq softirq steal: idle and iowait are
   * not busy; guest time is already inside user */
  c->total = 0;
  for (int i = 0; i < 8; i++) c->total += v[i];
  c->busy = c->total - v[3] - v[4];
  return true;
}

/* The CPU usage (%) since the previous call; the last value when too
 * little time passed to tell. */
static float cpu_usage(cluster_host *h) {
  ch_cpu now;
  pthread_mutex_lock(&h->mu);
  if (read_cpu(&now)) {
    uint64_t dt = now.total - h->cpu_prev.total, db = now.busy - h->cpu_prev.busy;
    if (h->cpu_prev.total && now.total > h->cpu_prev.total && dt >= 10) {
      h->cpu_usage = (float)(100.0 * (double)db / (double)dt);
      h->cpu_prev = now;
    } else if (!h->cpu_prev.total) h->cpu_prev = now;
  }
  float u = h->cpu_usage;
  pthread_mutex_unlock(&h->mu);
  return u;
}

static void read_mem(uint64_t *total, uint64_t *avail) {
  *total = *avail = 0;
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    uint64_t kb;
    if (sscanf(line, "MemTotal: %" SCNu64, &kb) == 1) *total = kb * 1024;
    else if (sscanf(line, "MemAvailable: %" SCNu64, &kb) == 1) *avail = kb * 1024;
  }
  fclose(f);
}

/* ---- plugin worlds ---- */

/* Appends the WitInterface entries of interface set text `set` ("ns:pkg/a,b@v
 * ns2:..."), one per space-separated entry, to arr. */
static void add_sets(json_t *arr, const char *set) {
  if (!set) return;
  char *copy = strdup(set);
  if (!copy) return;
  char *save = NULL;
  for (char *e = strtok_r(copy, " ", &save); e; e = strtok_r(NULL, " ", &save)) {
    char *colon = strchr(e, ':'), *slash = strchr(e, '/'), *at = strchr(e, '@');
    if (!colon || (slash && slash < colon)) continue;
    if (at) *at = '\0';
    if (slash) *slash = '\0';
    *colon = '\0';
    json_t *wi = json_object(), *ifs = json_array();
    if (!wi || !ifs) {
      json_decref(wi), json_decref(ifs);
      break;
    }
    json_object_set_new(wi, "namespace", json_string(e));
    json_object_set_new(wi, "package", json_string(colon + 1));
    if (at) json_object_set_new(wi, "version", json_string(at + 1));
    if (slash) {
      char *s2 = NULL;
      for (char *i = strtok_r(slash + 1, ",", &s2); i; i = strtok_r(NULL, ",", &s2))
        json_array_append_new(ifs, json_string(i));
    }
    json_object_set_new(wi, "interfaces", ifs);
    json_array_append_new(arr, wi);
  }
  free(copy);
}

/* ---- the heartbeat ---- */

char *ch_heartbeat_json(cluster_host *h) {
  struct utsname u;
  if (uname(&u) != 0) memset(&u, 0, sizeof u);
  char osname[sizeof u.sysname];
  size_t i = 0;
  for (; u.sysname[i] && i + 1 < sizeof osname; i++)
    osname[i] = (char)((u.sysname[i] >= 'A' && u.sysname[i] <= 'Z') ? u.sysname[i] + 32 : u.sysname[i]);
  osname[i] = '\0';
  uint64_t memtotal, memavail, nworkloads, ncomponents;
  read_mem(&memtotal, &memavail);
  ch_workloads_count(h, &nworkloads, &ncomponents);
  int port = 0;
  const char *addr = cluster_host_http_addr(h);
  if (addr) {
    const char *c = strrchr(addr, ':');
    if (c) port = atoi(c + 1);
  }
  json_t *imports = json_array(), *exports = json_array();
  for (size_t k = 0; k < h->nplugins; k++) {
    add_sets(imports, h->plugins[k]->imports);
    add_sets(exports, h->plugins[k]->exports);
  }
  json_t *v = json_object();
  if (v && imports && exports) {
    json_object_set_new(v, "id", json_string(h->id));
    json_object_set_new(v, "hostname", json_string(h->hostname));
    json_object_set_new(v, "friendlyName", json_string(h->friendly));
    json_object_set_new(v, "version", json_string(h->cfg.version ? h->cfg.version : "0.0.0"));
    json_object_set_new(v, "labels", json_deep_copy(h->labels)); /* heartbeats build on two threads */
    json_object_set_new(v, "startedAt", proto_timestamp(h->started_s, h->started_ns));
    json_object_set_new(v, "osArch", json_string(u.machine));
    json_object_set_new(v, "osName", json_string(osname));
    /* the kernel release: wasmCloud sends the OS family ("unix") here,
     * which the field's name does not say and nothing reads */
    json_object_set_new(v, "osKernel", json_string(u.release));
    json_object_set_new(v, "systemCpuUsage", json_real(cpu_usage(h)));
    json_object_set_new(v, "systemMemoryTotal", json_integer((json_int_t)memtotal));
    json_object_set_new(v, "systemMemoryFree", json_integer((json_int_t)memavail));
    json_object_set_new(v, "componentCount", json_integer((json_int_t)ncomponents));
    json_object_set_new(v, "workloadCount", json_integer((json_int_t)nworkloads));
    json_object_set(v, "imports", imports);
    json_object_set(v, "exports", exports);
    json_object_set_new(v, "httpPort", json_integer(port));
  }
  json_decref(imports);
  json_decref(exports);
  char *out = NULL;
  wasm_error err = {0};
  if (!v) ch_log(h, "cannot build the heartbeat: out of memory");
  else if (proto_encode(h->m_heartbeat, v, &out, &err) != WASM_OK) {
    ch_log(h, "cannot encode the heartbeat: %s", err.message);
    out = NULL;
  }
  json_decref(v);
  return out;
}
