/* cx_hmap.h - a small open-addressing hash map from UTF-8 strings to 64-bit
 * values, used for stop words, rule terms, phrases and the language
 * identifier's word table.
 *
 * Keys are byte strings (not necessarily NUL-terminated) copied into the
 * map's own arena; values are a uint64_t the caller interprets (a flag set,
 * a language bit mask, flags plus a packed weight).  Linear probing, load
 * factor at most 1/2, no deletion: lexicons are built once and replaced as a
 * whole on reload.  Not thread-safe for writers; concurrent readers are fine. */
#ifndef CX_HMAP_H
#define CX_HMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct cx_hmap cx_hmap;

/* A new empty map, or NULL when out of memory. */
cx_hmap *cx_hmap_new(void);
void cx_hmap_destroy(cx_hmap **m);

/* Pointer to the value of key, inserting it with value 0 when absent.  The
 * pointer is valid until the next insertion.  NULL when out of memory or
 * when the key is longer than 65535 bytes. */
uint64_t *cx_hmap_upsert(cx_hmap *m, const char *key, size_t len);

/* Pointer to the value of key, or NULL when absent.  m may be NULL. */
const uint64_t *cx_hmap_get(const cx_hmap *m, const char *key, size_t len);

/* cx_hmap_get with the key's hash already computed by cx_hmap_hash. */
const uint64_t *cx_hmap_get_h(const cx_hmap *m, const char *key, size_t len, uint32_t hash);

size_t cx_hmap_count(const cx_hmap *m);

/* The hash the map uses (non-zero), for callers that build their own caches. */
uint32_t cx_hmap_hash(const char *key, size_t len);

/* Call cb for every entry (in slot order); stops when cb returns non-zero. */
int cx_hmap_each(const cx_hmap *m, int (*cb)(const char *key, size_t len, uint64_t val, void *arg), void *arg);

#endif
