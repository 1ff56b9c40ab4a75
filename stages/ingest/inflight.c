/* inflight.c - the in-flight table of the ingest stage (see inflight.h). */
#include "inflight.h"
#include "cx_alloc.h"
#include <string.h>

typedef struct ring {
    cx_if_entry **v;
    size_t head, len, cap;
    int64_t next_commit;  /* offset+1 of the last done record popped, -1 none */
    int advanced;
} ring;

struct cx_inflight {
    ring *parts;          /* indexed by partition id */
    size_t nparts;
    cx_if_entry **fifo;   /* unsent queue (ring buffer) */
    size_t fhead, flen, fcap;
    size_t count;
};

cx_inflight *cx_inflight_new(void) { return cx_calloc(1, sizeof(cx_inflight)); }

static cx_if_entry *ring_at(const ring *r, size_t i) { return r->v[(r->head + i) % r->cap]; }

static int ring_push(ring *r, cx_if_entry *e) {
    if (r->len == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        cx_if_entry **nv = cx_malloc(nc * sizeof *nv);
        if (!nv) return -1;
        for (size_t i = 0; i < r->len; i++) nv[i] = ring_at(r, i);
        cx_free(r->v);
        r->v = nv;
        r->cap = nc;
        r->head = 0;
    }
    r->v[(r->head + r->len) % r->cap] = e;
    r->len++;
    return 0;
}

static int fifo_push(cx_inflight *t, cx_if_entry *e) {
    if (t->flen == t->fcap) {
        size_t nc = t->fcap ? t->fcap * 2 : 256;
        cx_if_entry **nv = cx_malloc(nc * sizeof *nv);
        if (!nv) return -1;
        for (size_t i = 0; i < t->flen; i++) nv[i] = t->fifo[(t->fhead + i) % t->fcap];
        cx_free(t->fifo);
        t->fifo = nv;
        t->fcap = nc;
        t->fhead = 0;
    }
    t->fifo[(t->fhead + t->flen) % t->fcap] = e;
    t->flen++;
    e->queued = 1;
    return 0;
}

static void fifo_pop(cx_inflight *t) {
    cx_if_entry *e = t->fifo[t->fhead];
    t->fhead = (t->fhead + 1) % t->fcap;
    t->flen--;
    e->queued = 0;
    if (e->detached) cx_free(e);
}

/* Remove an entry from its ring: free it unless the FIFO still holds it. */
static void release(cx_if_entry *e) {
    if (e->queued) e->detached = 1;
    else cx_free(e);
}

static ring *part(cx_inflight *t, int32_t p, int create) {
    if (p < 0) return NULL;
    if ((size_t)p >= t->nparts) {
        if (!create) return NULL;
        size_t nn = (size_t)p + 1;
        ring *np = cx_realloc(t->parts, nn * sizeof *np);
        if (!np) return NULL;
        for (size_t i = t->nparts; i < nn; i++) {
            memset(&np[i], 0, sizeof np[i]);
            np[i].next_commit = -1;
        }
        t->parts = np;
        t->nparts = nn;
    }
    return &t->parts[p];
}

cx_if_entry *cx_inflight_add(cx_inflight *t, int32_t partition, int64_t offset, const void *data, size_t len,
                             int dlq) {
    ring *r = part(t, partition, 1);
    if (!r) return NULL;
    cx_if_entry *e = cx_malloc(sizeof *e + len);
    if (!e) return NULL;
    memset(e, 0, sizeof *e);
    e->offset = offset;
    e->partition = partition;
    e->len = len;
    if (len) memcpy(e->data, data, len);
    e->state = dlq ? CX_IF_DLQ : CX_IF_UNSENT;
    if (ring_push(r, e) < 0) { cx_free(e); return NULL; }
    if (!dlq && fifo_push(t, e) < 0) {
        r->len--;
        cx_free(e);
        return NULL;
    }
    t->count++;
    return e;
}

int cx_inflight_ack(cx_inflight *t, int32_t partition, int64_t offset) {
    ring *r = part(t, partition, 0);
    if (!r || !r->len) return 0;
    /* binary search: offsets increase along the ring */
    size_t lo = 0, hi = r->len;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ring_at(r, mid)->offset < offset) lo = mid + 1;
        else hi = mid;
    }
    if (lo == r->len) return 0;
    cx_if_entry *e = ring_at(r, lo);
    if (e->offset != offset || e->state == CX_IF_ACKED) return 0;
    e->state = CX_IF_ACKED;
    /* pop the done prefix */
    while (r->len && ring_at(r, 0)->state == CX_IF_ACKED) {
        cx_if_entry *h = ring_at(r, 0);
        r->next_commit = h->offset + 1;
        r->advanced = 1;
        r->head = (r->head + 1) % r->cap;
        r->len--;
        t->count--;
        release(h);
    }
    return 1;
}

cx_if_entry *cx_inflight_peek_unsent(cx_inflight *t) {
    while (t->flen) {
        cx_if_entry *e = t->fifo[t->fhead];
        if (!e->detached && e->state == CX_IF_UNSENT) return e;
        fifo_pop(t); /* acknowledged meanwhile, or its partition was revoked */
    }
    return NULL;
}

void cx_inflight_sent(cx_inflight *t, cx_if_entry *e, int64_t now_ms) {
    if (t->flen && t->fifo[t->fhead] == e) fifo_pop(t);
    e->state = CX_IF_SENT;
    e->sent_ms = now_ms;
    if (e->tries < 0xFFFF) e->tries++;
}

size_t cx_inflight_expire(cx_inflight *t, int64_t now_ms, int64_t base) {
    size_t n = 0;
    for (size_t p = 0; p < t->nparts; p++) {
        ring *r = &t->parts[p];
        for (size_t i = 0; i < r->len; i++) {
            cx_if_entry *e = ring_at(r, i);
            if (e->state != CX_IF_SENT || e->queued) continue;
            int shift = e->tries > 4 ? 3 : e->tries - 1;
            if (now_ms - e->sent_ms < (base << (shift > 0 ? shift : 0))) continue;
            e->state = CX_IF_UNSENT;
            if (fifo_push(t, e) < 0) { e->state = CX_IF_SENT; return n; }
            n++;
        }
    }
    return n;
}

size_t cx_inflight_advance(cx_inflight *t, cx_ack_item *out, size_t max) {
    size_t n = 0;
    for (size_t p = 0; p < t->nparts && n < max; p++) {
        ring *r = &t->parts[p];
        if (!r->advanced) continue;
        r->advanced = 0;
        out[n].partition = (int32_t)p;
        out[n].offset = r->next_commit;
        n++;
    }
    return n;
}

size_t cx_inflight_revoke(cx_inflight *t, int32_t partition) {
    ring *r = part(t, partition, 0);
    if (!r) return 0;
    size_t n = r->len;
    for (size_t i = 0; i < r->len; i++) release(ring_at(r, i));
    t->count -= n;
    r->len = 0;
    r->head = 0;
    r->advanced = 0;
    r->next_commit = -1;
    return n;
}

size_t cx_inflight_count(const cx_inflight *t) { return t->count; }
size_t cx_inflight_unsent(const cx_inflight *t) { return t->flen; }

void cx_inflight_destroy(cx_inflight **tp) {
    if (!tp || !*tp) return;
    cx_inflight *t = *tp;
    for (size_t p = 0; p < t->nparts; p++) cx_inflight_revoke(t, (int32_t)p);
    while (t->flen) fifo_pop(t);
    for (size_t p = 0; p < t->nparts; p++) cx_free(t->parts[p].v);
    cx_free(t->parts);
    cx_free(t->fifo);
    cx_free(t);
    *tp = NULL;
}
