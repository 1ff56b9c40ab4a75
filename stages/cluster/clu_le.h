/* clu_le.h - the little-endian field encoding shared by the cluster stage's
 * two state blobs: the clusterer checkpoint (clu_ckpt.c) and the trend state
 * (clu_trend.c).  Integers are little-endian, floats and doubles their
 * IEEE-754 bits; the writers append to a cx_buf (its oom flag reports a
 * failed append), the decoders read bytes the caller has bounds-checked. */
#ifndef CLU_LE_H
#define CLU_LE_H
#include <stdint.h>
#include <string.h>
#include "cx_env.h"

static inline void clu_le_set(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t clu_le_get(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static inline void clu_put_le(cx_buf *b, uint64_t v, int n) {
    if (!b->oom && b->cap - b->len > (size_t)n) { /* room (and for cx_buf's NUL): write in place */
        clu_le_set((unsigned char *)b->data + b->len, v, n);
        b->len += (size_t)n;
        b->data[b->len] = '\0';
        return;
    }
    unsigned char x[8];
    clu_le_set(x, v, n);
    cx_buf_append(b, x, (size_t)n);
}

static inline void clu_put_u8(cx_buf *b, uint8_t v) { clu_put_le(b, v, 1); }
static inline void clu_put_u16(cx_buf *b, uint16_t v) { clu_put_le(b, v, 2); }
static inline void clu_put_u32(cx_buf *b, uint32_t v) { clu_put_le(b, v, 4); }
static inline void clu_put_u64(cx_buf *b, uint64_t v) { clu_put_le(b, v, 8); }
static inline void clu_put_i64(cx_buf *b, int64_t v) { clu_put_le(b, (uint64_t)v, 8); }

static inline uint32_t clu_f32_bits(float v) { uint32_t u; memcpy(&u, &v, sizeof u); return u; }
static inline uint64_t clu_f64_bits(double v) { uint64_t u; memcpy(&u, &v, sizeof u); return u; }
static inline float clu_f32_of(uint32_t u) { float v; memcpy(&v, &u, sizeof v); return v; }
static inline double clu_f64_of(uint64_t u) { double v; memcpy(&v, &u, sizeof v); return v; }

static inline void clu_put_f32(cx_buf *b, float v) { clu_put_u32(b, clu_f32_bits(v)); }
static inline void clu_put_f64(cx_buf *b, double v) { clu_put_u64(b, clu_f64_bits(v)); }

#endif
