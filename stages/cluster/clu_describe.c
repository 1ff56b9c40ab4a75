/* clu_describe.c - how a cluster is shown to people: its distinctive terms,
 * its readable label ("refund · received · weeks") and the cluster event JSON
 * of docs/ENVELOPE.md.
 *
 * Distinctiveness of a centroid feature = its centroid weight: the sum over
 * members of tf x idf (idf as of when each member joined, recent members
 * counting more under decay), so frequent inside the cluster and rare in the
 * stream; it costs no lookup, which matters at thousands of events/s.  Theme
 * features are not shown as terms (they are ids, not words; they appear in
 * "themes").  Each feature is shown by the most frequent surface form the
 * stream wrote for it (the feature table keeps a few per feature while a
 * centroid holds it: one copy for all clusters, not one per cluster); stems
 * are language specific, so the label is in the language(s) of the members
 * and never shows a stem like "receiv". */
#include "clu_internal.h"
#include "cx_alloc.h"
#include <inttypes.h>
#include <math.h>
#include <string.h>

#define TOP_TERMS 8      /* "terms" in events; the label picks from these */
#define LABEL_MIN 2
#define LABEL_MAX 4
#define LABEL_REL 0.5    /* labels parts 3 and 4 need this share of the top score */

const char *clu_display(const clu_ftab *ft, uint64_t key) {
    const clu_feat *f = ft ? clu_ftab_find(ft, key) : NULL;
    if (!f || !f->disp) return NULL;
    int best = -1;
    for (int k = 0; k < CLU_SURF; k++)
        if (f->disp->s[k] && (best < 0 || f->disp->n[k] > f->disp->n[best])) best = k;
    return best < 0 ? NULL : f->disp->s[best];
}

void clu_disp_free(clu_feat *f) {
    if (!f->disp) return;
    for (int k = 0; k < CLU_SURF; k++) cx_free(f->disp->s[k]);
    cx_free(f->disp);
    f->disp = NULL;
}

typedef struct rank_t {
    double score;
    uint32_t n;
    uint64_t key;
    const char *disp;
    uint8_t kind;
} rank_t;

/* a ranks before b: higher score, then more members, then lower key */
static int rank_before(const rank_t *a, const rank_t *b) {
    if (a->score != b->score) return a->score > b->score;
    if (a->n != b->n) return a->n > b->n;
    return a->key < b->key;
}

/* The TOP_TERMS most distinctive displayable features of c, best first,
 * distinct by display form.  Returns how many. */
static int rank_terms(const clu_ftab *ft, const clu_cluster *c, rank_t *top) {
    int n = 0;
    for (uint32_t i = 0; i < c->nterms; i++) {
        const clu_term *t = &c->terms[i];
        if (t->kind == CLU_K_THEME) continue;
        const char *d = clu_display(ft, t->key);
        if (!d) continue;
        rank_t r = {t->w, t->n, t->key, d, t->kind};
        if (n == TOP_TERMS && !rank_before(&r, &top[n - 1])) continue;
        int dup = -1;
        for (int j = 0; j < n; j++)
            if (!strcmp(top[j].disp, d)) { dup = j; break; }
        if (dup >= 0) {
            if (!rank_before(&r, &top[dup])) continue;
            memmove(&top[dup], &top[dup + 1], (size_t)(n - dup - 1) * sizeof *top);
            n--;
        }
        int j = n < TOP_TERMS ? n++ : n - 1;
        while (j > 0 && rank_before(&r, &top[j - 1])) { top[j] = top[j - 1]; j--; }
        top[j] = r;
    }
    return n;
}

/* Is word w one of the space-separated words of bigram display b? */
static int bigram_has(const char *b, const char *w) {
    size_t lw = strlen(w);
    const char *sp = strchr(b, ' ');
    if (!sp) return 0;
    if ((size_t)(sp - b) == lw && !memcmp(b, w, lw)) return 1;
    return !strcmp(sp + 1, w);
}

/* Label rule: walk the ranked terms, skip a word already shown inside a
 * chosen bigram and a bigram whose words are both shown, take at least
 * LABEL_MIN and at most LABEL_MAX, parts beyond LABEL_MIN only while they
 * score at least LABEL_REL of the best. */
static int label_from(const rank_t *top, int n, cx_buf *out) {
    const rank_t *pick[LABEL_MAX];
    int np = 0;
    for (int i = 0; i < n && np < LABEL_MAX; i++) {
        const rank_t *r = &top[i];
        if (np >= LABEL_MIN && r->score < LABEL_REL * top[0].score) break;
        int skip = 0;
        for (int j = 0; j < np && !skip; j++) {
            if (r->kind == CLU_K_WORD && pick[j]->kind == CLU_K_BIGRAM && bigram_has(pick[j]->disp, r->disp)) skip = 1;
        }
        if (!skip && r->kind == CLU_K_BIGRAM) {
            const char *sp = strchr(r->disp, ' ');
            int first = 0, second = 0;
            for (int j = 0; j < np && sp; j++) {
                if (pick[j]->kind != CLU_K_WORD) continue;
                size_t l = strlen(pick[j]->disp);
                if ((size_t)(sp - r->disp) == l && !memcmp(r->disp, pick[j]->disp, l)) first = 1;
                if (!strcmp(sp + 1, pick[j]->disp)) second = 1;
            }
            skip = first && second;
        }
        if (!skip) pick[np++] = r;
    }
    for (int j = 0; j < np; j++) {
        if (j) cx_buf_append(out, " \xc2\xb7 ", 4); /* " · " */
        cx_buf_append(out, pick[j]->disp, strlen(pick[j]->disp));
    }
    return out->oom ? -1 : 0;
}

int clu_label(const clu_ftab *ft, const clu_cluster *c, cx_buf *out) {
    rank_t top[TOP_TERMS];
    int n = rank_terms(ft, c, top);
    return label_from(top, n, out);
}

/* Append a counter as a JSON object {"key": count, ...}, or as an array of
 * {"id": key, "count": n} when as_array, largest counts first (ties: key). */
static void json_ctr(cx_buf *b, const clu_ctr *ctr, int as_array) {
    const clu_kv *s[CLU_CTR_MAX];
    int n = 0;
    for (int i = 0; i < ctr->len && n < CLU_CTR_MAX; i++) {
        const clu_kv *kv = &ctr->v[i];
        int j = n++;
        while (j > 0 && (s[j - 1]->n < kv->n || (s[j - 1]->n == kv->n && strcmp(s[j - 1]->k, kv->k) > 0))) {
            s[j] = s[j - 1];
            j--;
        }
        s[j] = kv;
    }
    cx_buf_append(b, as_array ? "[" : "{", 1);
    for (int i = 0; i < n; i++) {
        if (i) cx_buf_append(b, ",", 1);
        if (as_array) {
            cx_buf_append(b, "{\"id\":", 6);
            cx_buf_json_str(b, s[i]->k);
            cx_buf_printf(b, ",\"count\":%" PRIu32 "}", s[i]->n);
        } else {
            cx_buf_json_str(b, s[i]->k);
            cx_buf_printf(b, ":%" PRIu32, s[i]->n);
        }
    }
    cx_buf_append(b, as_array ? "]" : "}", 1);
}

int clu_event_json(const clu_cluster *c, const char *what, const clu_evx *x, cx_buf *b) {
    cx_buf_reset(b);
    rank_t top[TOP_TERMS];
    int n = rank_terms(x ? x->ftab : NULL, c, top);
    double sent = c->size ? c->sent_sum / c->size : 0.0;
    if (!isfinite(sent)) sent = 0.0;
    cx_buf_printf(b, "{\"type\":\"cluster\",\"event\":\"%s\",\"cluster_id\":%" PRId64 ",\"seq\":%" PRIu32 ",\"label\":",
                  what, c->id, c->seq + 1);
    /* the label goes through a JSON string literal: build it at the end of b, then quote it */
    size_t mark = b->len;
    label_from(top, n, b);
    if (b->oom) return -1;
    size_t llen = b->len - mark;
    char small[256], *lab = llen < sizeof small ? small : cx_malloc(llen + 1);
    if (!lab) return -1;
    memcpy(lab, b->data + mark, llen);
    lab[llen] = '\0';
    b->len = mark;
    cx_buf_json_str(b, lab);
    if (lab != small) cx_free(lab);
    cx_buf_printf(b, ",\"size\":%" PRIu32 ",\"first_seen_ms\":%" PRId64 ",\"last_seen_ms\":%" PRId64
                  ",\"sentiment\":%.4f,\"themes\":",
                  c->size, c->first_ms, c->last_ms, sent);
    json_ctr(b, &c->themes, 1);
    cx_buf_append(b, ",\"langs\":", 9);
    json_ctr(b, &c->langs, 0);
    cx_buf_append(b, ",\"channels\":", 12);
    json_ctr(b, &c->channels, 0);
    cx_buf_append(b, ",\"products\":", 12);
    json_ctr(b, &c->products, 0);
    cx_buf_append(b, ",\"regions\":", 11);
    json_ctr(b, &c->regions, 0);
    cx_buf_append(b, ",\"terms\":[", 10);
    for (int i = 0; i < n; i++) {
        if (i) cx_buf_append(b, ",", 1);
        cx_buf_json_str(b, top[i].disp);
    }
    cx_buf_append(b, "],\"examples\":[", 14);
    for (uint32_t i = 0; i < c->nex; i++) {
        const clu_example *e = &c->ex[i];
        if (i) cx_buf_append(b, ",", 1);
        cx_buf_append(b, "{\"id\":", 6);
        cx_buf_json_str(b, e->id);
        cx_buf_append(b, ",\"text\":", 8);
        cx_buf_json_str(b, e->text);
        cx_buf_append(b, ",\"lang\":", 8);
        cx_buf_json_str(b, e->lang);
        cx_buf_append(b, "}", 1);
    }
    cx_buf_printf(b, "],\"merged_into\":%" PRId64, x ? x->merged_into : 0);
    if (x && x->absorbed) cx_buf_printf(b, ",\"absorbed\":%" PRId64, x->absorbed);
    if (x && x->split_from) cx_buf_printf(b, ",\"split_from\":%" PRId64, x->split_from);
    if (x && x->split_into) cx_buf_printf(b, ",\"split_into\":%" PRId64, x->split_into);
    if (x && x->reason) {
        cx_buf_append(b, ",\"reason\":", 10);
        cx_buf_json_str(b, x->reason);
    }
    if (x && x->deco) x->deco(x->deco_arg, c->id, b);
    cx_buf_append(b, "}", 1);
    return b->oom ? -1 : 0;
}
