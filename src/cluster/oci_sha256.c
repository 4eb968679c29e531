/*
 * oci_sha256.c: OCI digest strings ("sha256:<hex>") over the plugins
 * layer's SHA-256 (plugin_sha256_*).
 */
#include <stdio.h>
#include <string.h>

#include "cluster/oci_internal.h"

void oci_sha256_digest(oci_sha256 *s, char out[OCI_DIGEST_LEN]) {
  uint8_t md[32];
  plugin_sha256_final(s, md);
  memcpy(out, "sha256:", 7);
  for (int i = 0; i < 32; i++) snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

void oci_digest_of(const void *data, size_t len, char out[OCI_DIGEST_LEN]) {
  oci_sha256 s;
  plugin_sha256_init(&s);
  plugin_sha256_update(&s, data, len);
  oci_sha256_digest(&s, out);
}

bool oci_digest_valid(const char *d) {
  if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64) return false;
  for (const char *p = d + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  return true;
}
