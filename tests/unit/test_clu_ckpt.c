/* test_clu_ckpt.c - checkpoints of the clusterer (stages/cluster/clu_ckpt.c)
 * and the cluster stage's checkpoint file (stages/cluster/ckpt_store.c).
 *
 * A synthetic stream from a fixed-seed generator exercises every part of the
 * state: eight planted problems and noise words in eleven languages, surface
 * variants (capitalised, plural, all caps), bigrams, themes with parents,
 * numbers, resends, records without a topic, positive and empty records,
 * out-of-order times, long texts, more regions than a counter holds.  Small
 * caps make clusters retire, centroids prune, the vocabulary evict, the
 * resend filter rotate and examples compete, a low merge threshold makes
 * clusters merge, and with the default options clusters that took two
 * problems split; ticks on a synthetic clock emit "updated" events.  A
 * clusterer that was saved and loaded must describe every cluster exactly as
 * the original does, and, fed the same further records, emit the same events
 * and end in the same bytes. */
#include "ckpt_store.h"
#include "clu_ckpt.h"
#include "clusterer.h"
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_test.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a deterministic synthetic stream ---- */

typedef struct gen {
    uint64_t s;
    int64_t t;               /* event time (ms) */
    int64_t clock;           /* monotonic clock handed to tick (ms) */
    int64_t next_off[3];     /* next offset per partition */
    int32_t seen_p[256];     /* recent source coordinates, for resends */
    int64_t seen_o[256];
    int nseen, n;
} gen;

static uint64_t rnd64(gen *g) {
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 2685821657736338717ULL;
}

static uint32_t rnd(gen *g, uint32_t n) { return (uint32_t)(rnd64(g) % n); }

static void gen_init(gen *g, uint64_t seed) {
    memset(g, 0, sizeof *g);
    g->s = seed;
    g->t = 1788000000000LL;
    g->clock = 5000;
}

static const char *const problem_words[8][5] = {
    {"refund", "received", "weeks", "returned", "money"},
    {"delivery", "late", "parcel", "courier", "tracking"},
    {"charged", "twice", "payment", "card", "double"},
    {"app", "crashes", "login", "update", "freezes"},
    {"support", "hotline", "waiting", "hours", "nobody"},
    {"account", "locked", "password", "reset", "blocked"},
    {"screen", "broken", "cracked", "arrived", "damaged"},
    {"fees", "hidden", "price", "expensive", "surcharge"},
};
static const char *const problem_theme[8] = {
    "refunds_returns.not_received", "delivery.late", "billing.double_charge", "app.crash",
    "support.unreachable", "account.access.locked", "product.damaged", "pricing.fees"};
static const char *const langs[] = {"en", "de", "fa", "ta", "bn", "fr", "es", "it", "pt", "nl", "und"};
static const char *const channels[] = {"email", "chat", "app_review", "social", "phone"};
static const char *const stops[] = {"the", "and", "my", "is", "it", "a", "to", "of"};
static const char *const syl[] = {"ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "be", "do"};

typedef struct tokbuf {
    cx_env *e;
    cx_buf text;
    uint16_t sent;
    int first_in_sent;
} tokbuf;

static void add_tok(tokbuf *b, const char *surface, const char *norm, const char *stem, int type, uint32_t flags) {
    cx_env *e = b->e;
    if (e->n_tokens >= 64) return;
    cx_token *t = &e->tokens[e->n_tokens++];
    memset(t, 0, sizeof *t);
    t->surface = cx_env_strdup(e, surface);
    t->norm = cx_env_strdup(e, norm);
    t->stem = cx_env_strdup(e, stem);
    t->type = (uint8_t)type;
    t->flags = flags;
    t->sent = b->sent;
    if (b->text.len) cx_buf_append(&b->text, " ", 1);
    cx_buf_append(&b->text, surface, strlen(surface));
    b->first_in_sent = 0;
}

/* A problem word in one of its written forms. */
static void add_word(gen *g, tokbuf *b, const char *w) {
    char up[64], pl[64];
    size_t n = strlen(w);
    int v = (int)rnd(g, 20);
    if (v < 3) { /* Capitalised */
        snprintf(up, sizeof up, "%s", w);
        up[0] = (char)(up[0] - 32);
        add_tok(b, up, w, w, CX_TOK_WORD, 0);
    } else if (v < 5) { /* plural: another norm, the same stem */
        snprintf(pl, sizeof pl, "%ss", w);
        add_tok(b, pl, pl, w, CX_TOK_WORD, 0);
    } else if (v < 6) {
        for (size_t i = 0; i <= n && i < sizeof up; i++) up[i] = (char)(w[i] >= 'a' && w[i] <= 'z' ? w[i] - 32 : w[i]);
        add_tok(b, up, w, w, CX_TOK_WORD, CX_TF_ALLCAPS);
    } else {
        add_tok(b, w, w, w, CX_TOK_WORD, 0);
    }
}

static void add_noise(gen *g, tokbuf *b) {
    uint32_t i = rnd(g, rnd(g, 600) + 1); /* small indices are frequent */
    char w[16];
    snprintf(w, sizeof w, "%s%s%s", syl[i % 10], syl[i / 10 % 10], syl[i / 100 % 10]);
    add_tok(b, w, w, w, CX_TOK_WORD, 0);
}

static void add_stop(gen *g, tokbuf *b) {
    const char *s = stops[rnd(g, 8)];
    add_tok(b, s, s, s, CX_TOK_WORD, CX_TF_STOP);
}

static void end_clause(tokbuf *b, uint32_t flag) {
    cx_env *e = b->e;
    if (e->n_tokens) e->tokens[e->n_tokens - 1].flags |= flag;
    const char *p = flag == CX_TF_SENT_END ? "." : ",";
    add_tok(b, p, p, p, CX_TOK_PUNCT, 0);
    if (flag == CX_TF_SENT_END) {
        b->sent++;
        b->first_in_sent = 1;
    }
}

/* The next record of the stream (caller owns). */
static cx_env *gen_record(gen *g) {
    cx_env *e = cx_env_new();
    int kind = (int)rnd(g, 100);
    int32_t p = (int32_t)rnd(g, 3);
    int64_t off;
    if (kind < 6 && g->nseen) { /* a resend of a recent source record */
        uint32_t k = rnd(g, (uint32_t)(g->nseen < 256 ? g->nseen : 256));
        p = g->seen_p[k];
        off = g->seen_o[k];
    } else {
        off = g->next_off[p]++;
        g->seen_p[g->nseen % 256] = p;
        g->seen_o[g->nseen % 256] = off;
        g->nseen++;
    }
    e->topic = kind >= 6 && kind < 9 ? NULL : "feedback";
    e->partition = p;
    e->offset = off;
    char id[32];
    snprintf(id, sizeof id, "r%05d", g->n++);
    e->id = cx_env_strdup(e, id);
    g->t += rnd(g, 240000);
    e->ts_ms = rnd(g, 40) == 0 ? g->t - (int64_t)rnd(g, 7200000) : g->t;
    e->label = kind >= 9 && kind < 24 ? (int8_t)(kind & 1) : CX_LABEL_NEGATIVE;
    e->sentiment = e->label < 0 ? -0.2f - (float)rnd(g, 80) / 100.0f : 0.4f;
    e->tagged = 1;
    snprintf(e->lang, sizeof e->lang, "%s", langs[rnd(g, 11)]);
    e->channel = channels[rnd(g, 5)];
    char prod[16], reg[16];
    snprintf(prod, sizeof prod, "p%02u", rnd(g, 25));
    snprintf(reg, sizeof reg, "R%u", rnd(g, 20));
    e->product = cx_env_strdup(e, prod);
    e->region = rnd(g, 10) ? cx_env_strdup(e, reg) : NULL;
    e->tokens = cx_env_alloc(e, 64 * sizeof *e->tokens);
    tokbuf b = {e, {0}, 0, 1};
    cx_buf_init(&b.text);
    if (kind >= 24 && kind < 27) { /* nothing usable */
        for (int i = 0; i < 4; i++) add_stop(g, &b);
        end_clause(&b, CX_TF_SENT_END);
    } else {
        int prob = (int)rnd(g, 8), outlier = rnd(g, 12) == 0;
        int nsent = 1 + (int)rnd(g, 2);
        for (int s = 0; s < nsent; s++) {
            int nw = 3 + (int)rnd(g, 5);
            for (int i = 0; i < nw; i++) {
                uint32_t r = rnd(g, 10);
                if (!outlier && r < 4) add_word(g, &b, problem_words[prob][rnd(g, 5)]);
                else if (r < 8) add_noise(g, &b);
                else add_stop(g, &b);
                if (rnd(g, 9) == 0) end_clause(&b, CX_TF_CLAUSE_END);
            }
            if (rnd(g, 6) == 0) add_tok(&b, "404", "404", "404", CX_TOK_NUMBER, 0);
            if (rnd(g, 15) == 0) add_tok(&b, "#fail", "#fail", "fail", CX_TOK_HASHTAG, 0);
            end_clause(&b, CX_TF_SENT_END);
        }
        e->n_sents = b.sent;
        int nth = outlier ? 0 : 1 + (rnd(g, 5) == 0);
        e->themes = cx_env_alloc(e, 2 * sizeof *e->themes);
        for (int i = 0; i < nth; i++) {
            cx_theme_hit *h = &e->themes[e->n_themes++];
            h->id = problem_theme[i ? rnd(g, 8) : (uint32_t)prob];
            h->weight = 1.0f + (float)rnd(g, 3);
            h->sentiment = -0.5f;
        }
    }
    if (rnd(g, 8) == 0) /* long, with multi-byte characters where the cut falls */
        for (int i = 0; i < 12; i++) cx_buf_append(&b.text, " \xc3\xbc\xd8\xb4\xe0\xae\xa4", 8);
    e->text = cx_env_strdup(e, b.text.data ? b.text.data : "");
    cx_buf_free(&b.text);
    return e;
}

static int emit_log(void *arg, const char *json, size_t len) {
    cx_buf *log = arg;
    cx_buf_append(log, json, len);
    cx_buf_append(log, "\n", 1);
    return 0;
}

/* Feed n records of g to cl, ticking every few records. */
static void feed(cx_clusterer *cl, gen *g, int n, cx_buf *log) {
    for (int i = 0; i < n; i++) {
        cx_env *e = gen_record(g);
        char err[128];
        CX_CHECK(cx_clusterer_add(cl, e, emit_log, log, err, sizeof err) == 0);
        cx_env_destroy(&e);
        if (i % 7 == 6) {
            g->clock += 200 + rnd(g, 600);
            cx_clusterer_tick(cl, g->clock, emit_log, log);
        }
    }
}

static void small_opts(cx_clusterer_opts *o) {
    cx_clusterer_opts_default(o);
    o->max_clusters = 12;
    o->examples = 3;
    o->bigram_weight = 0.5;
    o->max_terms = 12;
    o->max_record_features = 10;
    o->max_vocab = 150;
    o->dedup_window = 80;
    o->half_life_ms = 1800 * 1000;
    o->update_interval_ms = 1500;
    o->publish_min_size = 2;
    o->example_max_bytes = 40;
    o->merge_similarity = 0.3;
}

static cx_clusterer *build(const cx_clusterer_opts *o, gen *g, int n, cx_buf *log) {
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(o, err, sizeof err);
    CX_CHECK(cl != NULL);
    if (cl) feed(cl, g, n, log);
    return cl;
}

static cx_buf save(const cx_clusterer *cl) {
    cx_buf b;
    cx_buf_init(&b);
    char err[128];
    CX_CHECK(cx_clusterer_save(cl, &b, err, sizeof err) == 0);
    return b;
}

static cx_clusterer *load(const cx_clusterer_opts *o, const cx_buf *b) {
    char err[256] = "";
    cx_clusterer *cl = cx_clusterer_load(o, b->data, b->len, err, sizeof err);
    if (!cl) fprintf(stderr, "load: %s\n", err);
    return cl;
}

#define MAXIDS 8192

/* a and b describe every cluster alike, count alike and serialise alike;
 * b passes its own consistency check.  Returns the number of clusters. */
static size_t check_same(cx_clusterer *a, cx_clusterer *b) {
    static int64_t ia[MAXIDS], ib[MAXIDS];
    size_t na = cx_clusterer_ids(a, ia, MAXIDS), nb = cx_clusterer_ids(b, ib, MAXIDS);
    CX_CHECK(na == nb && na <= MAXIDS);
    CX_CHECK(!memcmp(ia, ib, (na < nb ? na : nb) * sizeof *ia));
    cx_buf da, db;
    cx_buf_init(&da);
    cx_buf_init(&db);
    size_t differ = 0;
    for (size_t i = 0; i < na && i < nb; i++) {
        CX_CHECK(cx_clusterer_describe(a, ia[i], "snapshot", &da) == 0);
        CX_CHECK(cx_clusterer_describe(b, ia[i], "snapshot", &db) == 0);
        if (da.len != db.len || memcmp(da.data, db.data, da.len)) {
            if (!differ++) fprintf(stderr, "cluster %lld differs:\n  %.*s\n  %.*s\n", (long long)ia[i], (int)da.len,
                                   da.data, (int)db.len, db.data);
        }
    }
    CX_CHECK(differ == 0);
    cx_buf_free(&da);
    cx_buf_free(&db);
    cx_clusterer_stats sa, sb;
    cx_clusterer_get_stats(a, &sa);
    cx_clusterer_get_stats(b, &sb);
    CX_CHECK(sa.records == sb.records && sa.clustered == sb.clustered && sa.duplicates == sb.duplicates &&
             sa.skipped == sb.skipped && sa.empty == sb.empty && sa.failed == sb.failed && sa.created == sb.created &&
             sa.retired == sb.retired && sa.merged == sb.merged && sa.split == sb.split && sa.events == sb.events &&
             sa.events_failed == sb.events_failed && sa.live == sb.live && sa.vocab == sb.vocab &&
             sa.terms == sb.terms);
    char err[256];
    if (cx_clusterer_check(b, err, sizeof err) < 0) {
        fprintf(stderr, "check: %s\n", err);
        CX_CHECK(0);
    }
    cx_buf xa = save(a), xb = save(b);
    CX_CHECK(xa.len == xb.len && !memcmp(xa.data, xb.data, xa.len));
    cx_buf_free(&xa);
    cx_buf_free(&xb);
    return na;
}

/* ---- tests ---- */

/* What a roundtrip must have gone through: retirements, merges and splits
 * over the whole run, and merges and splits already in the saved state. */
typedef struct expect {
    uint64_t retired, merged, split, merged_saved, split_saved;
} expect;

/* Save, load, compare; then the same n2 further records into both. */
static void roundtrip(const cx_clusterer_opts *o, int n1, int n2, uint64_t seed, expect want) {
    gen g;
    gen_init(&g, seed);
    cx_buf log_a, log_b;
    cx_buf_init(&log_a);
    cx_buf_init(&log_b);
    cx_clusterer *a = build(o, &g, n1, &log_a);
    cx_clusterer_stats saved;
    cx_clusterer_get_stats(a, &saved);
    CX_CHECK(saved.merged >= want.merged_saved && saved.split >= want.split_saved);
    cx_buf blob = save(a);
    cx_clusterer *b = load(o, &blob);
    CX_CHECK(b != NULL);
    if (!a || !b) goto out;
    size_t n = check_same(a, b);
    CX_CHECK(n > 5);
    gen g2 = g;
    cx_buf_reset(&log_a);
    feed(a, &g, n2, &log_a);
    feed(b, &g2, n2, &log_b);
    CX_CHECK(log_a.len > 0 && log_a.len == log_b.len && !memcmp(log_a.data, log_b.data, log_a.len));
    check_same(a, b);
    CX_CHECK(cx_clusterer_flush(a, emit_log, &log_a) == 0 && cx_clusterer_flush(b, emit_log, &log_b) == 0);
    CX_CHECK(log_a.len == log_b.len && !memcmp(log_a.data, log_b.data, log_a.len));
    cx_clusterer_stats st;
    cx_clusterer_get_stats(a, &st);
    CX_CHECK(st.duplicates > 10 && st.skipped > 10 && st.empty > 3);
    CX_CHECK(st.retired >= want.retired && st.merged >= want.merged && st.split >= want.split);
    if (getenv("CX_TEST_VERBOSE"))
        fprintf(stderr, "records %llu clustered %llu dup %llu skipped %llu empty %llu created %llu retired %llu "
                "merged %llu (%llu saved) split %llu (%llu saved) live %zu vocab %zu terms %zu events %llu\n",
                (unsigned long long)st.records, (unsigned long long)st.clustered, (unsigned long long)st.duplicates,
                (unsigned long long)st.skipped, (unsigned long long)st.empty, (unsigned long long)st.created,
                (unsigned long long)st.retired, (unsigned long long)st.merged, (unsigned long long)saved.merged,
                (unsigned long long)st.split, (unsigned long long)saved.split, st.live, st.vocab, st.terms,
                (unsigned long long)st.events);
out:
    cx_buf_free(&blob);
    cx_buf_free(&log_a);
    cx_buf_free(&log_b);
    cx_clusterer_destroy(&a);
    cx_clusterer_destroy(&b);
}

static void test_roundtrip_small_caps(void) {
    cx_clusterer_opts o;
    small_opts(&o);
    roundtrip(&o, 400, 300, 10, (expect){.retired = 10, .merged = 1, .merged_saved = 1}); /* merged before */
    roundtrip(&o, 150, 300, 10, (expect){.retired = 5, .merged = 1});                     /* merged after */
    /* the leader method (cosine threshold): many small clusters, many retirements */
    o.method = CX_CLU_LEADER;
    roundtrip(&o, 400, 300, 0x1234567u, (expect){.retired = 100});
}

/* The default options (the DMM): a cluster that took two problems splits,
 * before the checkpoint or after it. */
static void test_roundtrip_defaults(void) {
    cx_clusterer_opts o;
    cx_clusterer_opts_default(&o);
    roundtrip(&o, 400, 300, 15, (expect){.split = 1, .split_saved = 1});
    roundtrip(&o, 400, 300, 1, (expect){.split = 1});
}

/* A clusterer that never saw a record saves and loads too. */
static void test_empty(void) {
    cx_clusterer_opts o;
    small_opts(&o);
    char err[128];
    cx_clusterer *a = cx_clusterer_new(&o, err, sizeof err);
    cx_buf blob = save(a);
    cx_clusterer *b = load(&o, &blob);
    CX_CHECK(b != NULL);
    if (b) {
        check_same(a, b);
        gen g, g2;
        gen_init(&g, 42);
        g2 = g;
        cx_buf la, lb;
        cx_buf_init(&la);
        cx_buf_init(&lb);
        feed(a, &g, 200, &la);
        feed(b, &g2, 200, &lb);
        CX_CHECK(la.len == lb.len && !memcmp(la.data, lb.data, la.len));
        check_same(a, b);
        cx_buf_free(&la);
        cx_buf_free(&lb);
    }
    cx_buf_free(&blob);
    cx_clusterer_destroy(&a);
    cx_clusterer_destroy(&b);
}

/* After a load in another process the clock is moved: the time since each
 * cluster's last event is kept, whichever way the clock jumped. */
static void test_clock(void) {
    cx_clusterer_opts o;
    small_opts(&o);
    gen g;
    gen_init(&g, 77);
    cx_buf la, lb;
    cx_buf_init(&la);
    cx_buf_init(&lb);
    cx_clusterer *a = build(&o, &g, 300, &la);
    cx_buf blob = save(a);
    int64_t shifts[2] = {1000000000LL, -g.clock + 3};
    for (int k = 0; k < 2; k++) {
        cx_clusterer *b = load(&o, &blob);
        CX_CHECK(b != NULL);
        if (!b) continue;
        cx_clusterer_set_clock(b, g.clock + shifts[k]);
        cx_buf_reset(&la);
        cx_buf_reset(&lb);
        /* a2: the state as saved, on the saving process's clock */
        cx_clusterer *a2 = load(&o, &blob);
        CX_CHECK(a2 != NULL);
        for (int64_t dt = 100; a2 && dt <= 2000; dt += 100) {
            cx_clusterer_tick(a2, g.clock + dt, emit_log, &la);
            cx_clusterer_tick(b, g.clock + shifts[k] + dt, emit_log, &lb);
        }
        CX_CHECK(la.len > 0 && la.len == lb.len && !memcmp(la.data, lb.data, la.len));
        cx_clusterer_destroy(&a2);
        cx_clusterer_destroy(&b);
    }
    cx_buf_free(&blob);
    cx_buf_free(&la);
    cx_buf_free(&lb);
    cx_clusterer_destroy(&a);
}

/* After a restart every published cluster is sent again: flush then emits one
 * "updated" event per published live cluster, with its current size. */
static void test_republish(void) {
    cx_clusterer_opts o;
    small_opts(&o);
    gen g;
    gen_init(&g, 31);
    cx_buf log;
    cx_buf_init(&log);
    cx_clusterer *a = build(&o, &g, 300, &log);
    cx_buf blob = save(a);
    cx_clusterer *b = load(&o, &blob);
    CX_CHECK(b != NULL);
    if (b) {
        char err[256];
        CX_CHECK(cx_clusterer_republish(b) == 0);
        CX_CHECK(cx_clusterer_check(b, err, sizeof err) == 0);
        CX_CHECK(cx_clusterer_republish(b) == 0); /* twice: still one entry per cluster */
        CX_CHECK(cx_clusterer_check(b, err, sizeof err) == 0);
        cx_buf_reset(&log);
        CX_CHECK(cx_clusterer_flush(b, emit_log, &log) == 0);
        static int64_t ids[MAXIDS];
        size_t n = cx_clusterer_ids(b, ids, MAXIDS), published = 0, events = 0, sized = 0;
        for (size_t i = 0; i < n; i++) {
            cx_cluster_info in;
            CX_CHECK(cx_clusterer_info(b, ids[i], &in) == 0);
            if (in.size < o.publish_min_size) continue;
            published++;
            char want[96];
            snprintf(want, sizeof want, "\"event\":\"updated\",\"cluster_id\":%lld,", (long long)ids[i]);
            char size[48];
            snprintf(size, sizeof size, "\"size\":%u,", in.size);
            for (const char *p = log.data; p && (p = strstr(p, want)); p++) {
                events++;
                const char *eol = strchr(p, '\n');
                const char *sz = strstr(p, size);
                sized += sz && (!eol || sz < eol);
            }
        }
        CX_CHECK(published > 3 && events == published && sized == published);
        CX_CHECK(cx_clusterer_check(b, err, sizeof err) == 0);
        /* nothing left to send */
        cx_buf_reset(&log);
        CX_CHECK(cx_clusterer_flush(b, emit_log, &log) == 0 && log.len == 0);
        cx_clusterer_destroy(&b);
    }
    cx_buf_free(&blob);
    cx_buf_free(&log);
    cx_clusterer_destroy(&a);
}

/* Damage: every truncation, every flipped bit (the checksum), and altered
 * bodies with a valid checksum (the parser and the consistency check): an
 * error with a reason, or a clusterer that is consistent and keeps working -
 * never a crash (this test runs under ASan + UBSan in the sanitize build). */
static void test_damaged(void) {
    cx_clusterer_opts o;
    small_opts(&o);
    o.max_clusters = 20;
    gen g;
    gen_init(&g, 99);
    cx_buf log;
    cx_buf_init(&log);
    cx_clusterer *a = build(&o, &g, 200, &log);
    cx_buf blob = save(a);
    size_t len = blob.len;
    unsigned char *copy = malloc(len);
    char err[256];
    int bad = 0;
    printf("     checkpoint of %zu bytes\n", len);
    for (size_t n = 0; n < len; n++) { /* every truncation */
        err[0] = '\0';
        cx_clusterer *b = cx_clusterer_load(&o, blob.data, n, err, sizeof err);
        if ((b || !err[0]) && !bad++) fprintf(stderr, "cut at %zu: %s\n", n, b ? "loaded" : "no reason");
        cx_clusterer_destroy(&b);
    }
    CX_CHECK(bad == 0);
    cx_clusterer_load(&o, blob.data, len - 1, err, sizeof err);
    CX_CHECK(strstr(err, "truncated") != NULL);
    for (size_t i = 0; i < len; i++) { /* every byte, one bit flipped */
        memcpy(copy, blob.data, len);
        copy[i] ^= (unsigned char)(1u << (i % 8));
        err[0] = '\0';
        cx_clusterer *b = cx_clusterer_load(&o, copy, len, err, sizeof err);
        if ((b || !err[0]) && !bad++) fprintf(stderr, "bit flip at %zu: %s\n", i, b ? "loaded" : "no reason");
        cx_clusterer_destroy(&b);
    }
    CX_CHECK(bad == 0);
    memcpy(copy, blob.data, len);
    copy[len / 2] ^= 4;
    cx_clusterer_load(&o, copy, len, err, sizeof err);
    CX_CHECK(strstr(err, "checksum") != NULL);
    /* altered but sealed: the parser itself must hold */
    size_t loaded = 0, refused = 0;
    static const unsigned char pats[3] = {0x01, 0x80, 0xff};
    for (size_t i = CLU_CKPT_HEADER; i < len; i++) {
        memcpy(copy, blob.data, len);
        copy[i] ^= pats[i % 3];
        clu_ckpt_seal(copy, len);
        err[0] = '\0';
        cx_clusterer *b = cx_clusterer_load(&o, copy, len, err, sizeof err);
        if (!b) {
            if (!err[0] && !bad++) fprintf(stderr, "byte %zu: refused without a reason\n", i);
            refused++;
            continue;
        }
        loaded++;
        if (cx_clusterer_check(b, err, sizeof err) < 0 && !bad++) fprintf(stderr, "byte %zu: %s\n", i, err);
        if (i % 16 == 0) { /* it keeps working */
            gen g2 = g;
            cx_buf_reset(&log);
            feed(b, &g2, 30, &log);
            if (cx_clusterer_check(b, err, sizeof err) < 0) bad++;
        }
        cx_clusterer_destroy(&b);
    }
    CX_CHECK(bad == 0);
    CX_CHECK(loaded > 0 && refused > 0);
    printf("     altered and resealed: %zu loaded consistently, %zu refused\n", loaded, refused);
    /* bodies cut short with a matching header: "truncated in <part>" */
    for (size_t n = CLU_CKPT_HEADER; n < len; n += 3) {
        memcpy(copy, blob.data, n);
        uint64_t body = n - CLU_CKPT_HEADER;
        for (int k = 0; k < 8; k++) copy[8 + k] = (unsigned char)(body >> (8 * k));
        clu_ckpt_seal(copy, n);
        err[0] = '\0';
        cx_clusterer *b = cx_clusterer_load(&o, copy, n, err, sizeof err);
        if (b || !strstr(err, "truncated")) {
            if (!bad++) fprintf(stderr, "cut at %zu: %s\n", n, err);
        }
        cx_clusterer_destroy(&b);
    }
    CX_CHECK(bad == 0);
    /* another format version (the one before, a later one), another file */
    CX_CHECK(blob.data[4] == CLU_CKPT_VERSION && CLU_CKPT_VERSION == 2);
    for (int v = 1; v <= 3; v += 2) {
        memcpy(copy, blob.data, len);
        copy[4] = (unsigned char)v;
        clu_ckpt_seal(copy, len);
        char want[32];
        snprintf(want, sizeof want, "format version %d ", v);
        CX_CHECK(cx_clusterer_load(&o, copy, len, err, sizeof err) == NULL && strstr(err, want));
    }
    CX_CHECK(cx_clusterer_load(&o, "SQLite format 3", 15, err, sizeof err) == NULL && strstr(err, "not a cluster"));
    CX_CHECK(cx_clusterer_load(&o, NULL, 0, err, sizeof err) == NULL);
    free(copy);
    cx_buf_free(&blob);
    cx_buf_free(&log);
    cx_clusterer_destroy(&a);
}

/* Options that changed between save and load. */
static void test_options(void) {
    cx_clusterer_opts o;
    small_opts(&o);
    gen g;
    gen_init(&g, 5);
    cx_buf log;
    cx_buf_init(&log);
    cx_clusterer *a = build(&o, &g, 300, &log);
    cx_buf blob = save(a);
    char err[256];
    cx_clusterer_opts o2 = o;
    o2.max_clusters = 10;
    CX_CHECK(cx_clusterer_load(&o2, blob.data, blob.len, err, sizeof err) == NULL &&
             strstr(err, "cluster.max_clusters"));
    o2 = o;
    o2.dedup_window = 10;
    CX_CHECK(cx_clusterer_load(&o2, blob.data, blob.len, err, sizeof err) == NULL && strstr(err, "window"));
    /* fewer examples: the later ones are dropped */
    o2 = o;
    o2.examples = 1;
    cx_clusterer *b = cx_clusterer_load(&o2, blob.data, blob.len, err, sizeof err);
    CX_CHECK(b != NULL);
    if (b) {
        static int64_t ids[MAXIDS];
        size_t n = cx_clusterer_ids(b, ids, MAXIDS), more = 0;
        for (size_t i = 0; i < n; i++) {
            cx_cluster_info ia, ib;
            CX_CHECK(cx_clusterer_info(b, ids[i], &ib) == 0 && cx_clusterer_info(a, ids[i], &ia) == 0);
            CX_CHECK(ib.n_examples == (ia.n_examples ? 1u : 0u) && ib.size == ia.size);
            more += ia.n_examples > 1;
        }
        CX_CHECK(more > 0);
        CX_CHECK(cx_clusterer_check(b, err, sizeof err) == 0);
        gen g2 = g;
        feed(b, &g2, 100, &log);
        CX_CHECK(cx_clusterer_check(b, err, sizeof err) == 0);
        cx_clusterer_destroy(&b);
    }
    /* a larger window keeps every resend key */
    o2 = o;
    o2.dedup_window = 1000;
    b = cx_clusterer_load(&o2, blob.data, blob.len, err, sizeof err);
    CX_CHECK(b != NULL);
    if (b) {
        gen g2 = g;
        cx_env *e = gen_record(&g2);
        e->label = CX_LABEL_NEGATIVE;
        e->topic = "feedback";
        e->partition = g.seen_p[(g.nseen - 1) % 256]; /* the last new source record */
        e->offset = g.seen_o[(g.nseen - 1) % 256];
        cx_clusterer_stats s0, s1;
        cx_clusterer_get_stats(b, &s0);
        CX_CHECK(cx_clusterer_add(b, e, NULL, NULL, err, sizeof err) == 0 && e->cluster_id != 0);
        cx_clusterer_get_stats(b, &s1);
        CX_CHECK(s1.duplicates == s0.duplicates + 1 && s1.clustered == s0.clustered);
        cx_env_destroy(&e);
        cx_clusterer_destroy(&b);
    }
    cx_buf_free(&blob);
    cx_buf_free(&log);
    cx_clusterer_destroy(&a);
}

/* The Nth allocation fails during save or load: an error, no leak, no crash. */
static void test_alloc_failures(void) {
    cx_clusterer_opts o;
    small_opts(&o);
    gen g;
    gen_init(&g, 11);
    cx_buf log;
    cx_buf_init(&log);
    cx_clusterer *a = build(&o, &g, 200, &log);
    cx_buf blob = save(a);
    long injected = 0;
    size_t ok = 0;
    for (int persistent = 0; persistent < 2; persistent++) {
        for (long n = 1; n < 1500; n += persistent ? 7 : 1) {
            char err[256] = "";
            cx_alloc_fail_at(n, persistent);
            cx_clusterer *b = cx_clusterer_load(&o, blob.data, blob.len, err, sizeof err);
            injected += cx_alloc_failures();
            cx_alloc_fail_at(0, 0);
            if (b) {
                ok++;
                check_same(a, b);
            } else {
                CX_CHECK(strstr(err, "out of memory") != NULL);
            }
            cx_clusterer_destroy(&b);
        }
    }
    CX_CHECK(injected > 500 && ok > 0);
    cx_buf out;
    cx_buf_init(&out);
    char err[128] = "";
    cx_alloc_fail_at(1, 1);
    int rc = cx_clusterer_save(a, &out, err, sizeof err);
    cx_alloc_fail_at(0, 0);
    CX_CHECK(rc < 0 && strstr(err, "out of memory"));
    cx_buf_free(&out);
    cx_buf_free(&blob);
    cx_buf_free(&log);
    cx_clusterer_destroy(&a);
}

/* The checkpoint file: blobs replaced together, kept across close and open,
 * one process at a time, a clear error for a file that is no database. */
static void test_store(void) {
    char dir[] = "/tmp/cx-ckpt-XXXXXX";
    CX_CHECK(mkdtemp(dir) != NULL);
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/state/cluster.db", dir);
    snprintf(bad, sizeof bad, "%s/not-a-db", dir);
    char err[512] = "";
    cx_ckpt_store *s = cx_ckpt_store_open(path, err, sizeof err);
    CX_CHECK(s != NULL);
    if (!s) { fprintf(stderr, "%s\n", err); return; }
    cx_buf b;
    cx_buf_init(&b);
    CX_CHECK(cx_ckpt_store_get(s, "clusterer", &b, NULL, NULL, err, sizeof err) == 0);
    cx_ckpt_item it[2] = {{"clusterer", 1, "first", 5}, {"events", 1, "", 0}};
    CX_CHECK(cx_ckpt_store_put(s, it, 2, err, sizeof err) == 0);
    it[0].data = "second state";
    it[0].len = 12;
    it[1].data = "ev";
    it[1].len = 2;
    it[1].version = 3;
    CX_CHECK(cx_ckpt_store_put(s, it, 2, err, sizeof err) == 0);
    /* a second user of the file is refused */
    cx_ckpt_store *s2 = cx_ckpt_store_open(path, err, sizeof err);
    CX_CHECK(s2 == NULL && strstr(err, path) && strstr(err, "another cluster stage"));
    cx_ckpt_store_close(&s2);
    cx_ckpt_store_close(&s);
    s = cx_ckpt_store_open(path, err, sizeof err);
    CX_CHECK(s != NULL);
    int version = 0;
    int64_t at = 0;
    if (s) {
        CX_CHECK(cx_ckpt_store_get(s, "clusterer", &b, &version, &at, err, sizeof err) == 1);
        CX_CHECK(b.len == 12 && !memcmp(b.data, "second state", 12) && version == 1 && at > 1700000000000LL);
        CX_CHECK(cx_ckpt_store_get(s, "events", &b, &version, NULL, err, sizeof err) == 1);
        CX_CHECK(b.len == 2 && !memcmp(b.data, "ev", 2) && version == 3);
        cx_ckpt_store_close(&s);
    }
    FILE *f = fopen(bad, "w");
    if (f) {
        fputs("this is not an SQLite database, just some text long enough to look like a header\n", f);
        fclose(f);
    }
    CX_CHECK(cx_ckpt_store_open(bad, err, sizeof err) == NULL && strstr(err, "not-a-db"));
    cx_buf_free(&b);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CX_CHECK(system(cmd) == 0);
}

int main(void) {
    CX_RUN(test_roundtrip_small_caps);
    CX_RUN(test_roundtrip_defaults);
    CX_RUN(test_empty);
    CX_RUN(test_clock);
    CX_RUN(test_republish);
    CX_RUN(test_damaged);
    CX_RUN(test_options);
    CX_RUN(test_alloc_failures);
    CX_RUN(test_store);
    CX_DONE();
}
