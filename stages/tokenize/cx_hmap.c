/* cx_hmap.c - open-addressing string hash map (see cx_hmap.h). */
#include "cx_hmap.h"
#include "cx_alloc.h"
#include <string.h>

typedef struct hm_slot {
    uint64_t val;
    uint32_t hash;   /* 0 marks an empty slot (real hashes are forced non-zero) */
    uint32_t koff;   /* offset of the key in the arena */
    uint32_t klen;
} hm_slot;

struct cx_hmap {
    hm_slot *slots;
    size_t cap, count;      /* cap is a power of two */
    char *keys;
    size_t klen, kcap;
};

cx_hmap *cx_hmap_new(void) {
    cx_hmap *m = cx_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->cap = 16;
    m->slots = cx_calloc(m->cap, sizeof *m->slots);
    if (!m->slots) { cx_free(m); return NULL; }
    return m;
}

void cx_hmap_destroy(cx_hmap **mp) {
    if (!mp || !*mp) return;
    cx_free((*mp)->slots);
    cx_free((*mp)->keys);
    cx_free(*mp);
    *mp = NULL;
}

size_t cx_hmap_count(const cx_hmap *m) { return m ? m->count : 0; }

/* Find the slot holding key, or the empty slot where it would go. */
static hm_slot *hm_find(const cx_hmap *m, const char *key, size_t len, uint32_t h) {
    size_t mask = m->cap - 1, i = h & mask;
    for (;;) {
        hm_slot *s = &m->slots[i];
        if (s->hash == 0) return s;
        if (s->hash == h && s->klen == len && memcmp(m->keys + s->koff, key, len) == 0) return s;
        i = (i + 1) & mask;
    }
}

/* Double the slot array and re-insert every entry.  The key arena does not
 * move, so only the slots are rebuilt.  0 / -1 (out of memory). */
static int hm_grow(cx_hmap *m) {
    size_t ncap = m->cap * 2;
    hm_slot *ns = cx_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        hm_slot *s = &m->slots[i];
        if (!s->hash) continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].hash) j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    cx_free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

uint64_t *cx_hmap_upsert(cx_hmap *m, const char *key, size_t len) {
    if (len > 65535) return NULL;
    uint32_t h = cx_hmap_hash(key, len);
    hm_slot *s = hm_find(m, key, len, h);
    if (s->hash) return &s->val;
    if ((m->count + 1) * 2 > m->cap) {
        if (hm_grow(m) < 0) return NULL;
        s = hm_find(m, key, len, h);
    }
    if (m->klen + len + 1 > m->kcap) {
        size_t nk = m->kcap ? m->kcap * 2 : 1024;
        while (nk < m->klen + len + 1) nk *= 2;
        if (nk > UINT32_MAX) return NULL;
        char *k = cx_realloc(m->keys, nk);
        if (!k) return NULL;
        m->keys = k;
        m->kcap = nk;
    }
    memcpy(m->keys + m->klen, key, len);
    m->keys[m->klen + len] = '\0';
    s->hash = h;
    s->koff = (uint32_t)m->klen;
    s->klen = (uint32_t)len;
    s->val = 0;
    m->klen += len + 1;
    m->count++;
    return &s->val;
}

const uint64_t *cx_hmap_get_h(const cx_hmap *m, const char *key, size_t len, uint32_t hash) {
    if (!m || !m->count) return NULL;
    hm_slot *s = hm_find(m, key, len, hash);
    return s->hash ? &s->val : NULL;
}

const uint64_t *cx_hmap_get(const cx_hmap *m, const char *key, size_t len) {
    if (!m || !m->count) return NULL;
    return cx_hmap_get_h(m, key, len, cx_hmap_hash(key, len));
}

int cx_hmap_each(const cx_hmap *m, int (*cb)(const char *, size_t, uint64_t, void *), void *arg) {
    if (!m) return 0;
    for (size_t i = 0; i < m->cap; i++) {
        const hm_slot *s = &m->slots[i];
        if (!s->hash) continue;
        int rc = cb(m->keys + s->koff, s->klen, s->val, arg);
        if (rc) return rc;
    }
    return 0;
}
