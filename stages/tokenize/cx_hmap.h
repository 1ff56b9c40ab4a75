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
#include <string.h>

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

/* The hash the map uses (non-zero), also for callers that build their own
 * caches or tables (the tagger's vocabulary).  Hash a short byte string.  Keys are mostly 2-20 bytes, so the loop reads
 * eight bytes at a time and finishes with a multiply-xorshift avalanche so
 * that the low bits (used for the slot index) depend on every input byte.
 * Inline: it is on the tokenizer's and the tagger's per-token paths; never 0. */
static inline __attribute__((always_inline)) uint32_t cx_hmap_hash(const char *s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, s, 8);
        h ^= k * 0xBF58476D1CE4E5B9ull;
        h = ((h << 29) | (h >> 35)) * 0x94D049BB133111EBull;
        s += 8;
        n -= 8;
    }
    if (n) {
        /* the last 1-7 bytes as a little-endian number, zero-extended (the
         * value of memcpy(&k, s, n) into a zeroed k on a little-endian
         * machine), built from fixed-size loads: a memcpy of variable
         * length is a library call */
        uint64_t k = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n >= 4) {
            uint32_t lo, hi;   /* overlapping when n < 8: the shared bytes land on the same positions */
            memcpy(&lo, s, 4);
            memcpy(&hi, s + n - 4, 4);
            k = (uint64_t)lo | ((uint64_t)hi << (8 * (n - 4)));
        } else {
            k = (uint64_t)(uint8_t)s[0] | ((uint64_t)(uint8_t)s[n / 2] << (8 * (n / 2))) |
                ((uint64_t)(uint8_t)s[n - 1] << (8 * (n - 1)));
        }
#else
        memcpy(&k, s, n);
#endif
        h ^= k * 0xBF58476D1CE4E5B9ull;
    }
    h ^= h >> 31;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 29;
    uint32_t r = (uint32_t)(h ^ (h >> 32));
    return r ? r : 1;
}

/* Call cb for every entry (in slot order); stops when cb returns non-zero. */
int cx_hmap_each(const cx_hmap *m, int (*cb)(const char *key, size_t len, uint64_t val, void *arg), void *arg);

#endif
