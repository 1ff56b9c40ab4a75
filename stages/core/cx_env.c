/* cx_env.c - envelope pool, encoder and decoder (format: docs/ENVELOPE.md). */
#include "cx_env.h"
#include "cx_alloc.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct cx_pool_chunk {
    cx_pool_chunk *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

enum {
    T_TOPIC = 1, T_PARTITION, T_OFFSET, T_ID, T_TS, T_INGEST_US, T_CHANNEL, T_PRODUCT, T_REGION,
    T_LANG_HINT, T_SCORE, T_META, T_TEXT, T_ERROR, T_KAFKA_TS,
    T_LANG = 20, T_TOKENS, T_COUNTS, T_SENT_LANG,
    T_SENTIMENT = 30, T_SENT_SCORES, T_THEMES, T_SIGNALS, T_EXPLAIN, T_SIGNAL_EVIDENCE,
    T_CLUSTER = 40,
};

static const char *tok_names[CX_TOK__COUNT] = {"word", "number", "emoji", "emoticon", "url",
                                               "email", "mention", "hashtag", "punct", "pii"};
const char *cx_tok_type_name(int t) { return t >= 0 && t < CX_TOK__COUNT ? tok_names[t] : "?"; }

const char *cx_label_name(int label) {
    return label > 0 ? "positive" : label < 0 ? "negative" : "neutral";
}

/* ---- pool ---- */

cx_env *cx_env_new(void) {
    cx_env *e = cx_calloc(1, sizeof *e);
    if (!e) return NULL;
    memcpy(e->lang, "und", 4);
    e->partition = -1;
    e->offset = -1;
    return e;
}

void cx_env_destroy(cx_env **ep) {
    if (!ep || !*ep) return;
    cx_pool_chunk *c = (*ep)->pool;
    while (c) { cx_pool_chunk *n = c->next; cx_free(c); c = n; }
    cx_free(*ep);
    *ep = NULL;
}

void *cx_env_alloc(cx_env *e, size_t n) {
    n = (n + 15) & ~(size_t)15;
    cx_pool_chunk *c = e->pool;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 3072 ? n : 4096 - sizeof *c;
        if (c && c->cap * 2 > cap && c->cap < (1u << 20)) cap = c->cap * 2 > n ? c->cap * 2 : n;
        cx_pool_chunk *nc = cx_malloc(sizeof *nc + cap);
        if (!nc) return NULL;
        nc->used = 0;
        nc->cap = cap;
        nc->next = c;
        e->pool = c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

char *cx_env_strndup(cx_env *e, const char *s, size_t n) {
    char *d = cx_env_alloc(e, n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *cx_env_strdup(cx_env *e, const char *s) { return s ? cx_env_strndup(e, s, strlen(s)) : NULL; }

/* ---- buffer ---- */

void cx_buf_init(cx_buf *b) { memset(b, 0, sizeof *b); }
void cx_buf_free(cx_buf *b) { cx_free(b->data); memset(b, 0, sizeof *b); }
void cx_buf_reset(cx_buf *b) { b->len = 0; b->oom = 0; }

static int buf_reserve(cx_buf *b, size_t extra) {
    if (b->oom) return -1;
    if (b->cap - b->len >= extra + 1) return 0;
    size_t nc = b->cap ? b->cap : 256;
    while (nc - b->len < extra + 1) nc *= 2;
    char *nd = cx_realloc(b->data, nc);
    if (!nd) { b->oom = 1; return -1; }
    b->data = nd;
    b->cap = nc;
    return 0;
}

int cx_buf_append(cx_buf *b, const void *p, size_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int cx_buf_printf(cx_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return -1;
    if ((size_t)n < sizeof tmp) return cx_buf_append(b, tmp, (size_t)n);
    if (buf_reserve(b, (size_t)n) < 0) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int cx_buf_json_str(cx_buf *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (cx_buf_append(b, "\"", 1) < 0) return -1;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    const unsigned char *run = p;
    for (; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\') continue;
        cx_buf_append(b, run, (size_t)(p - run));
        char esc[7] = {'\\', 0};
        switch (*p) {
        case '"': esc[1] = '"'; cx_buf_append(b, esc, 2); break;
        case '\\': esc[1] = '\\'; cx_buf_append(b, esc, 2); break;
        case '\n': esc[1] = 'n'; cx_buf_append(b, esc, 2); break;
        case '\r': esc[1] = 'r'; cx_buf_append(b, esc, 2); break;
        case '\t': esc[1] = 't'; cx_buf_append(b, esc, 2); break;
        default:
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            cx_buf_append(b, esc, 6);
        }
        run = p + 1;
    }
    cx_buf_append(b, run, (size_t)(p - run));
    return cx_buf_append(b, "\"", 1);
}

/* ---- little-endian primitives ---- */

static void put_u16(cx_buf *b, uint16_t v) { unsigned char x[2] = {v & 255, v >> 8}; cx_buf_append(b, x, 2); }
static void put_u32(cx_buf *b, uint32_t v) {
    unsigned char x[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24};
    cx_buf_append(b, x, 4);
}
static void put_u64(cx_buf *b, uint64_t v) { put_u32(b, (uint32_t)v); put_u32(b, (uint32_t)(v >> 32)); }
static void put_f32(cx_buf *b, float f) { uint32_t u; memcpy(&u, &f, 4); put_u32(b, u); }
static void put_f64(cx_buf *b, double f) { uint64_t u; memcpy(&u, &f, 8); put_u64(b, u); }

static uint16_t get_u16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static float get_f32(const unsigned char *p) { uint32_t u = get_u32(p); float f; memcpy(&f, &u, 4); return f; }
static double get_f64(const unsigned char *p) { uint64_t u = get_u64(p); double f; memcpy(&f, &u, 8); return f; }

/* field header; the length is patched by end_field */
static size_t begin_field(cx_buf *b, int tag) {
    unsigned char t = (unsigned char)tag;
    cx_buf_append(b, &t, 1);
    size_t at = b->len;
    put_u32(b, 0);
    return at;
}
static void end_field(cx_buf *b, size_t at) {
    if (b->oom) return;
    uint32_t n = (uint32_t)(b->len - at - 4);
    unsigned char *p = (unsigned char *)b->data + at;
    p[0] = n & 255; p[1] = (n >> 8) & 255; p[2] = (n >> 16) & 255; p[3] = n >> 24;
}
static void put_str_field(cx_buf *b, int tag, const char *s) {
    if (!s) return;
    size_t at = begin_field(b, tag);
    cx_buf_append(b, s, strlen(s));
    end_field(b, at);
}
static void put_i64_field(cx_buf *b, int tag, int64_t v) {
    size_t at = begin_field(b, tag);
    put_u64(b, (uint64_t)v);
    end_field(b, at);
}
/* short string: u16 length + bytes (truncated at 65534) */
static void put_sstr(cx_buf *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n > 65534) n = 65534;
    put_u16(b, (uint16_t)n);
    cx_buf_append(b, s, n);
}

static void frame_header(cx_buf *b, int kind) {
    unsigned char h[4] = {CX_ENV_MAGIC0, CX_ENV_MAGIC1, CX_ENV_VERSION, (unsigned char)kind};
    cx_buf_append(b, h, 4);
}

int cx_env_encode(const cx_env *e, cx_buf *b) {
    cx_buf_reset(b);
    frame_header(b, CX_MSG_RECORD);
    put_str_field(b, T_TOPIC, e->topic);
    size_t at = begin_field(b, T_PARTITION);
    put_u32(b, (uint32_t)e->partition);
    end_field(b, at);
    put_i64_field(b, T_OFFSET, e->offset);
    put_str_field(b, T_ID, e->id);
    put_i64_field(b, T_TS, e->ts_ms);
    put_i64_field(b, T_INGEST_US, e->ingest_us);
    if (e->kafka_ts_ms) put_i64_field(b, T_KAFKA_TS, e->kafka_ts_ms);
    put_str_field(b, T_CHANNEL, e->channel);
    put_str_field(b, T_PRODUCT, e->product);
    put_str_field(b, T_REGION, e->region);
    put_str_field(b, T_LANG_HINT, e->lang_hint);
    if (e->score_kind) {
        at = begin_field(b, T_SCORE);
        put_f64(b, e->score);
        cx_buf_append(b, &e->score_kind, 1);
        end_field(b, at);
    }
    put_str_field(b, T_META, e->meta_json);
    put_str_field(b, T_TEXT, e->text);
    put_str_field(b, T_ERROR, e->error);
    if (strcmp(e->lang, "und") || e->n_tokens) {
        at = begin_field(b, T_LANG);
        put_f32(b, e->lang_conf);
        cx_buf_append(b, e->lang, strnlen(e->lang, sizeof e->lang - 1));
        end_field(b, at);
    }
    if (e->n_tokens) {
        at = begin_field(b, T_TOKENS);
        put_u32(b, e->n_tokens);
        for (uint32_t i = 0; i < e->n_tokens; i++) {
            const cx_token *t = &e->tokens[i];
            put_u32(b, t->flags);
            put_u16(b, t->sent);
            cx_buf_append(b, &t->type, 1);
            put_sstr(b, t->norm);
            if (t->stem == t->norm || (t->stem && t->norm && !strcmp(t->stem, t->norm))) put_u16(b, 0xFFFF);
            else put_sstr(b, t->stem);
            if (t->surface == t->norm || (t->surface && t->norm && !strcmp(t->surface, t->norm))) put_u16(b, 0xFFFF);
            else put_sstr(b, t->surface);
        }
        end_field(b, at);
    }
    if (e->n_sents || e->pii_count) {
        at = begin_field(b, T_COUNTS);
        put_u32(b, e->n_sents);
        put_u32(b, e->pii_count);
        end_field(b, at);
    }
    if (e->sent_lang && e->n_sents) {   /* u8 length + code per sentence */
        at = begin_field(b, T_SENT_LANG);
        for (uint32_t i = 0; i < e->n_sents; i++) {
            unsigned char n = (unsigned char)strnlen(e->sent_lang[i], sizeof e->sent_lang[i] - 1);
            cx_buf_append(b, &n, 1);
            cx_buf_append(b, e->sent_lang[i], n);
        }
        end_field(b, at);
    }
    if (e->tagged) {
        at = begin_field(b, T_SENTIMENT);
        put_f32(b, e->sentiment);
        unsigned char l = (unsigned char)e->label;
        cx_buf_append(b, &l, 1);
        end_field(b, at);
        if (e->sent_scores && e->n_sents) {
            at = begin_field(b, T_SENT_SCORES);
            for (uint32_t i = 0; i < e->n_sents; i++) put_f32(b, e->sent_scores[i]);
            end_field(b, at);
        }
        at = begin_field(b, T_THEMES);
        put_u32(b, e->n_themes);
        for (uint32_t i = 0; i < e->n_themes; i++) {
            put_sstr(b, e->themes[i].id);
            put_f32(b, e->themes[i].weight);
            put_f32(b, e->themes[i].sentiment);
        }
        end_field(b, at);
        put_str_field(b, T_SIGNALS, e->signals);
        put_str_field(b, T_EXPLAIN, e->explain);
        put_str_field(b, T_SIGNAL_EVIDENCE, e->signal_evidence);
    }
    if (e->cluster_id) put_i64_field(b, T_CLUSTER, e->cluster_id);
    return b->oom ? -1 : 0;
}

int cx_msg_kind(const void *data, size_t len) {
    const unsigned char *p = data;
    if (len < 4 || p[0] != CX_ENV_MAGIC0 || p[1] != CX_ENV_MAGIC1) return -1;
    return p[3];
}

/* bounds-checked reader */
typedef struct rd { const unsigned char *p, *end; int bad; } rd;
static int need(rd *r, size_t n) { if ((size_t)(r->end - r->p) < n) { r->bad = 1; return 0; } return 1; }
static const char *rd_sstr(rd *r, cx_env *e, const char *same) {
    if (!need(r, 2)) return NULL;
    uint16_t n = get_u16(r->p);
    r->p += 2;
    if (n == 0xFFFF) return same;
    if (!need(r, n)) return NULL;
    const char *s = cx_env_strndup(e, (const char *)r->p, n);
    if (!s) r->bad = 2;
    r->p += n;
    return s;
}

cx_env *cx_env_decode(const void *data, size_t len, char *err, size_t errlen) {
    const unsigned char *p = data, *end = p + len;
    if (len < 4 || p[0] != CX_ENV_MAGIC0 || p[1] != CX_ENV_MAGIC1) {
        snprintf(err, errlen, "not a cxflow frame (bad magic)");
        return NULL;
    }
    if (p[2] != CX_ENV_VERSION) { snprintf(err, errlen, "unsupported envelope version %u", p[2]); return NULL; }
    if (p[3] != CX_MSG_RECORD) { snprintf(err, errlen, "frame kind %u is not a record", p[3]); return NULL; }
    cx_env *e = cx_env_new();
    if (!e) { snprintf(err, errlen, "out of memory"); return NULL; }
    uint32_t sent_lang_n = 0;
    p += 4;
    while (p < end) {
        if (end - p < 5) { snprintf(err, errlen, "truncated field header"); goto fail; }
        int tag = p[0];
        uint32_t n = get_u32(p + 1);
        p += 5;
        if ((size_t)(end - p) < n) { snprintf(err, errlen, "field %d: length %u runs past the frame", tag, n); goto fail; }
        const unsigned char *f = p;
        p += n;
        const char **sp = NULL;
        switch (tag) {
        case T_TOPIC: sp = &e->topic; break;
        case T_ID: sp = &e->id; break;
        case T_CHANNEL: sp = &e->channel; break;
        case T_PRODUCT: sp = &e->product; break;
        case T_REGION: sp = &e->region; break;
        case T_LANG_HINT: sp = &e->lang_hint; break;
        case T_META: sp = &e->meta_json; break;
        case T_TEXT: sp = &e->text; break;
        case T_ERROR: sp = &e->error; break;
        case T_SIGNALS: sp = &e->signals; break;
        case T_EXPLAIN: sp = &e->explain; break;
        case T_SIGNAL_EVIDENCE: sp = &e->signal_evidence; break;
        case T_PARTITION:
            if (n != 4) goto badlen;
            e->partition = (int32_t)get_u32(f);
            break;
        case T_OFFSET: case T_TS: case T_INGEST_US: case T_KAFKA_TS: case T_CLUSTER: {
            if (n != 8) goto badlen;
            int64_t v = (int64_t)get_u64(f);
            if (tag == T_OFFSET) e->offset = v;
            else if (tag == T_TS) e->ts_ms = v;
            else if (tag == T_INGEST_US) e->ingest_us = v;
            else if (tag == T_KAFKA_TS) e->kafka_ts_ms = v;
            else e->cluster_id = v;
            break;
        }
        case T_SCORE:
            if (n != 9) goto badlen;
            e->score = get_f64(f);
            e->score_kind = f[8];
            break;
        case T_LANG:
            if (n < 4 || n - 4 >= sizeof e->lang) goto badlen;
            e->lang_conf = get_f32(f);
            memcpy(e->lang, f + 4, n - 4);
            e->lang[n - 4] = '\0';
            break;
        case T_COUNTS:
            if (n != 8) goto badlen;
            e->n_sents = get_u32(f);
            e->pii_count = get_u32(f + 4);
            break;
        case T_TOKENS: {
            rd r = {f, f + n, 0};
            if (!need(&r, 4)) goto badlen;
            uint32_t cnt = get_u32(r.p);
            r.p += 4;
            if (cnt > n / 9) goto badlen; /* every token takes at least 9 bytes */
            e->tokens = cx_env_alloc(e, (size_t)cnt * sizeof *e->tokens);
            if (!e->tokens && cnt) goto oom;
            for (uint32_t i = 0; i < cnt && !r.bad; i++) {
                cx_token *t = &e->tokens[i];
                if (!need(&r, 7)) break;
                t->flags = get_u32(r.p);
                t->sent = get_u16(r.p + 4);
                t->type = r.p[6];
                r.p += 7;
                t->norm = rd_sstr(&r, e, NULL);
                if (r.bad) break;
                t->stem = rd_sstr(&r, e, t->norm);
                t->surface = rd_sstr(&r, e, t->norm);
                if (!t->norm || !t->stem || !t->surface) r.bad = r.bad ? r.bad : 1;
            }
            if (r.bad == 2) goto oom;
            if (r.bad) { snprintf(err, errlen, "malformed token list"); goto fail; }
            e->n_tokens = cnt;
            break;
        }
        case T_SENT_LANG: {
            uint32_t cnt = 0;
            for (uint32_t o = 0; o < n; o += 1u + f[o], cnt++)
                if (f[o] >= sizeof *e->sent_lang || o + 1u + f[o] > n) goto badlen;
            e->sent_lang = cx_env_alloc(e, (cnt ? cnt : 1) * sizeof *e->sent_lang);
            if (!e->sent_lang) goto oom;
            for (uint32_t o = 0, i = 0; o < n; o += 1u + f[o], i++) {
                memcpy(e->sent_lang[i], f + o + 1, f[o]);
                e->sent_lang[i][f[o]] = '\0';
            }
            sent_lang_n = cnt;
            break;
        }
        case T_SENTIMENT:
            if (n != 5) goto badlen;
            e->sentiment = get_f32(f);
            e->label = (int8_t)f[4];
            e->tagged = 1;
            break;
        case T_SENT_SCORES:
            if (n % 4) goto badlen;
            e->sent_scores = cx_env_alloc(e, n ? n : 4);
            if (!e->sent_scores) goto oom;
            for (uint32_t i = 0; i < n / 4; i++) e->sent_scores[i] = get_f32(f + 4 * i);
            break;
        case T_THEMES: {
            rd r = {f, f + n, 0};
            if (!need(&r, 4)) goto badlen;
            uint32_t cnt = get_u32(r.p);
            r.p += 4;
            if (cnt > n / 10) goto badlen;
            e->themes = cx_env_alloc(e, (size_t)cnt * sizeof *e->themes + 1);
            if (!e->themes) goto oom;
            for (uint32_t i = 0; i < cnt && !r.bad; i++) {
                e->themes[i].id = rd_sstr(&r, e, NULL);
                if (r.bad || !e->themes[i].id || !need(&r, 8)) { r.bad = r.bad ? r.bad : 1; break; }
                e->themes[i].weight = get_f32(r.p);
                e->themes[i].sentiment = get_f32(r.p + 4);
                r.p += 8;
            }
            if (r.bad == 2) goto oom;
            if (r.bad) { snprintf(err, errlen, "malformed theme list"); goto fail; }
            e->n_themes = cnt;
            break;
        }
        default:
            break; /* unknown tag from a newer stage: skip */
        }
        if (sp) {
            *sp = cx_env_strndup(e, (const char *)f, n);
            if (!*sp) goto oom;
            if (memchr(f, '\0', n)) { snprintf(err, errlen, "field %d contains a NUL byte", tag); goto fail; }
        }
        continue;
    badlen:
        snprintf(err, errlen, "field %d has a bad length %u", tag, n);
        goto fail;
    }
    if (e->sent_scores && !e->n_sents) e->sent_scores = NULL;
    if (e->sent_lang && sent_lang_n != e->n_sents) e->sent_lang = NULL;   /* must match the sentences */
    return e;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    cx_env_destroy(&e);
    return NULL;
}

int cx_event_encode(const char *json, size_t len, cx_buf *out) {
    cx_buf_reset(out);
    frame_header(out, CX_MSG_EVENT);
    cx_buf_append(out, json, len);
    return out->oom ? -1 : 0;
}

int cx_event_decode(const void *data, size_t len, const char **json, size_t *jlen) {
    if (cx_msg_kind(data, len) != CX_MSG_EVENT || ((const unsigned char *)data)[2] != CX_ENV_VERSION) return -1;
    *json = (const char *)data + 4;
    *jlen = len - 4;
    return 0;
}

int cx_ack_encode(const char *topic, const cx_ack_item *items, size_t n, cx_buf *out) {
    cx_buf_reset(out);
    frame_header(out, CX_MSG_ACK);
    put_sstr(out, topic);
    put_u32(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put_u32(out, (uint32_t)items[i].partition);
        put_u64(out, (uint64_t)items[i].offset);
    }
    return out->oom ? -1 : 0;
}

int cx_ack_decode(const void *data, size_t len, char *topic, size_t topiclen, cx_ack_item **items, size_t *n) {
    const unsigned char *p = data, *end = p + len;
    if (cx_msg_kind(data, len) != CX_MSG_ACK || len < 6 || p[2] != CX_ENV_VERSION) return -1;
    p += 4;
    uint16_t tl = get_u16(p);
    p += 2;
    if ((size_t)(end - p) < (size_t)tl + 4 || tl >= topiclen) return -1;
    memcpy(topic, p, tl);
    topic[tl] = '\0';
    p += tl;
    uint32_t cnt = get_u32(p);
    p += 4;
    if ((size_t)(end - p) != (size_t)cnt * 12) return -1;
    *items = cx_malloc((cnt ? cnt : 1) * sizeof **items);
    if (!*items) return -1;
    for (uint32_t i = 0; i < cnt; i++, p += 12) {
        (*items)[i].partition = (int32_t)get_u32(p);
        (*items)[i].offset = (int64_t)get_u64(p + 4);
    }
    *n = cnt;
    return 0;
}
