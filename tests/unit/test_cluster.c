/* test_cluster.c - unit tests of the online clusterer (stages/cluster).
 *
 * Envelopes are built by hand (tokens with surface/stem/flags, themes) from
 * tests/data/cluster/stream.txt or inline specs, so the tests do not depend
 * on the tokenizer or the tagger.  Run from the source root (ctest does). */
#include "clusterer.h"
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_test.h"
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM "tests/data/cluster/stream.txt"

/* ---- building envelopes ---- */

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Tokens from "surface[/stem] ~stop , ." (see the fixture's header). */
static void set_tokens(cx_env *e, const char *spec) {
    char *copy = xstrdup(spec), *save = NULL;
    size_t cap = 1;
    for (const char *p = spec; *p; p++) cap += *p == ' ';
    e->tokens = cx_env_alloc(e, cap * sizeof *e->tokens);
    e->n_tokens = 0;
    cx_buf text;
    cx_buf_init(&text);
    uint16_t sent = 0;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        cx_token *t = &e->tokens[e->n_tokens];
        memset(t, 0, sizeof *t);
        if (!strcmp(w, ".") || !strcmp(w, "?") || !strcmp(w, ",")) {
            if (e->n_tokens) e->tokens[e->n_tokens - 1].flags |= *w == ',' ? CX_TF_CLAUSE_END : CX_TF_SENT_END;
            t->type = CX_TOK_PUNCT;
            t->norm = t->stem = t->surface = cx_env_strdup(e, w);
            t->sent = sent;
            if (*w != ',') sent++;
            e->n_tokens++;
            cx_buf_append(&text, w, strlen(w));
            continue;
        }
        if (*w == '~') { t->flags |= CX_TF_STOP; w++; }
        char *slash = strchr(w, '/');
        if (slash) *slash = '\0';
        char norm[256];
        size_t i = 0;
        for (; w[i] && i < sizeof norm - 1; i++) norm[i] = (w[i] >= 'A' && w[i] <= 'Z') ? (char)(w[i] + 32) : w[i];
        norm[i] = '\0';
        t->surface = cx_env_strdup(e, w);
        t->norm = cx_env_strdup(e, norm);
        t->stem = slash ? cx_env_strdup(e, slash + 1) : t->norm;
        int digits = 1;
        for (const char *p = w; *p; p++) digits &= *p >= '0' && *p <= '9';
        t->type = digits ? CX_TOK_NUMBER : CX_TOK_WORD;
        t->sent = sent;
        if (text.len) cx_buf_append(&text, " ", 1);
        cx_buf_append(&text, w, strlen(w));
        e->n_tokens++;
    }
    e->n_sents = sent;
    e->text = cx_env_strdup(e, text.data ? text.data : "");
    cx_buf_free(&text);
    free(copy);
}

static void set_themes(cx_env *e, const char *list) {
    e->n_themes = 0;
    if (!list || !*list || !strcmp(list, "-")) return;
    char *copy = xstrdup(list), *save = NULL;
    e->themes = cx_env_alloc(e, 16 * sizeof *e->themes);
    for (char *t = strtok_r(copy, ",", &save); t && e->n_themes < 16; t = strtok_r(NULL, ",", &save)) {
        e->themes[e->n_themes].id = cx_env_strdup(e, t);
        e->themes[e->n_themes].weight = 1;
        e->themes[e->n_themes].sentiment = -0.5f;
        e->n_themes++;
    }
    free(copy);
}

static int64_t next_offset = 1000;

static cx_env *make_env(const char *id, const char *lang, int label, int64_t ts, const char *themes,
                        const char *tokens) {
    cx_env *e = cx_env_new();
    e->topic = "feedback";
    e->partition = 0;
    e->offset = next_offset++;
    e->id = cx_env_strdup(e, id);
    e->ts_ms = ts;
    snprintf(e->lang, sizeof e->lang, "%s", lang);
    e->label = (int8_t)label;
    e->sentiment = label < 0 ? -0.5f : label > 0 ? 0.5f : 0;
    e->tagged = 1;
    e->channel = "app_review";
    set_tokens(e, tokens);
    set_themes(e, themes);
    return e;
}

/* ---- the fixture stream ---- */

typedef struct rec {
    cx_env *env;
    char problem;
} rec;

static rec recs[64];
static int nrecs;

static void stream_free(void) {
    for (int i = 0; i < nrecs; i++) cx_env_destroy(&recs[i].env);
    nrecs = 0;
}

/* Load the fixture; with_themes = 0 drops the theme ids. */
static int stream_load(int with_themes) {
    stream_free();
    FILE *f = fopen(STREAM, "r");
    if (!f) { fprintf(stderr, "cannot open %s (run from the source root)\n", STREAM); return -1; }
    char line[2048];
    int64_t off = 0;
    while (fgets(line, sizeof line, f) && nrecs < 64) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        char *fld[8], *save = NULL, *p = line;
        int n = 0;
        for (char *t = strtok_r(p, "|", &save); t && n < 8; t = strtok_r(NULL, "|", &save)) fld[n++] = t;
        if (n != 8) { fprintf(stderr, "bad fixture line\n"); fclose(f); return -1; }
        cx_env *e = make_env(fld[0], fld[1], atoi(fld[2]), atoll(fld[4]), with_themes ? fld[5] : "-", fld[7]);
        e->sentiment = (float)atof(fld[3]);
        e->offset = off++;
        recs[nrecs].env = e;
        recs[nrecs].problem = fld[6][0];
        nrecs++;
    }
    fclose(f);
    return nrecs ? 0 : -1;
}

/* ---- capturing events ---- */

typedef struct evlog {
    char **v;
    size_t n, cap;
    int fail;       /* the emitter refuses (simulates a blocked link) */
} evlog;

static int ev_emit(void *arg, const char *json, size_t len) {
    evlog *l = arg;
    if (l->fail) return -1;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    char *s = malloc(len + 1);
    memcpy(s, json, len);
    s[len] = '\0';
    l->v[l->n++] = s;
    return 0;
}

static void evlog_free(evlog *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static json_t *ev_parse(const evlog *l, size_t i) {
    json_error_t je;
    json_t *j = json_loads(l->v[i], 0, &je);
    if (!j) fprintf(stderr, "bad event JSON (%s): %s\n", je.text, l->v[i]);
    return j;
}

static const char *ev_kind(json_t *j) { return json_string_value(json_object_get(j, "event")); }
static int64_t ev_id(json_t *j) { return json_integer_value(json_object_get(j, "cluster_id")); }

/* The bookkeeping tests (events, examples, labels, bounds, resends) run the
 * leader method, whose grouping of this 30-record fixture is exact and easy
 * to reason about; the bookkeeping is the same code for both methods.  The
 * default method (DMM) has its own tests: test_dmm_problems,
 * test_cross_language_themes, test_recency. */
static void fixture_opts(cx_clusterer_opts *o) {
    cx_clusterer_opts_default(o);
    o->method = CX_CLU_LEADER;
    o->theme_weight = 0.75;
}

/* Run the whole fixture through a new clusterer. */
static cx_clusterer *run_stream(const cx_clusterer_opts *o, evlog *log) {
    char err[256];
    cx_clusterer *cl = cx_clusterer_new(o, err, sizeof err);
    if (!cl) { fprintf(stderr, "new: %s\n", err); return NULL; }
    for (int i = 0; i < nrecs; i++)
        if (cx_clusterer_add(cl, recs[i].env, log ? ev_emit : NULL, log, err, sizeof err) < 0)
            fprintf(stderr, "add: %s\n", err);
    return cl;
}

static int64_t id_of(const char *rid) {
    for (int i = 0; i < nrecs; i++)
        if (!strcmp(recs[i].env->id, rid)) return recs[i].env->cluster_id;
    return -1;
}

static void print_clusters(cx_clusterer *cl) {
    int64_t ids[256];
    size_t n = cx_clusterer_ids(cl, ids, 256);
    for (size_t i = 0; i < n && i < 256; i++) {
        cx_cluster_info in;
        if (cx_clusterer_info(cl, ids[i], &in) < 0) continue;
        printf("    cluster %lld size %u: %s [", (long long)in.id, in.size, in.label);
        for (int r = 0; r < nrecs; r++)
            if (recs[r].env->cluster_id == in.id) printf(" %s", recs[r].env->id);
        printf(" ]\n");
    }
}

static void check_invariants(const cx_clusterer *cl) {
    char err[256] = "";
    int rc = cx_clusterer_check(cl, err, sizeof err);
    if (rc < 0) fprintf(stderr, "invariant: %s\n", err);
    CX_CHECK(rc == 0);
}

/* ---- tests ---- */

/* 30 records, 3 problems x 2 languages with shared theme ids: exactly the 3
 * problems come out, and English and German refund complaints meet. */
static void test_three_problems(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    cx_clusterer *cl = run_stream(&o, NULL);
    CX_CHECK(cl != NULL);
    if (!cl) return;
    print_clusters(cl);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.clustered == 30);
    CX_CHECK(st.live == 3);
    const char probs[] = "RLD";
    int64_t pid[3] = {0};
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < nrecs; i++) {
            if (recs[i].problem != probs[p]) continue;
            if (!pid[p]) pid[p] = recs[i].env->cluster_id;
            CX_CHECK(recs[i].env->cluster_id == pid[p]);
        }
        CX_CHECK(pid[p] > 0);
    }
    CX_CHECK(pid[0] != pid[1] && pid[1] != pid[2] && pid[0] != pid[2]);
    CX_CHECK(id_of("r01") == id_of("d01"));          /* en + de refunds */
    CX_CHECK(id_of("d01") == id_of("d05"));          /* "Geld ... Retoure ... erhalten" */
    CX_CHECK(id_of("r01") == 1);                     /* ids start at 1, in order */
    CX_CHECK(id_of("l01") == 2);
    CX_CHECK(id_of("e01") == 3);
    cx_cluster_info in;
    CX_CHECK(cx_clusterer_info(cl, pid[0], &in) == 0 && in.size == 10);
    CX_CHECK(in.first_seen_ms == 1000 && in.last_seen_ms == 28000);
    CX_CHECK_NEAR(in.sentiment, -0.555, 0.001);
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
    CX_CHECK(cl == NULL);
}

/* Same input order, same assignments and byte-identical events. */
static void test_deterministic(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    int64_t first[64];
    evlog a = {0}, b = {0};
    cx_clusterer *cl = run_stream(&o, &a);
    for (int i = 0; i < nrecs; i++) first[i] = recs[i].env->cluster_id;
    cx_clusterer_destroy(&cl);
    cl = run_stream(&o, &b);
    for (int i = 0; i < nrecs; i++) CX_CHECK(recs[i].env->cluster_id == first[i]);
    CX_CHECK(a.n == b.n && a.n > 0);
    for (size_t i = 0; i < a.n && i < b.n; i++) CX_CHECK(!strcmp(a.v[i], b.v[i]));
    cx_clusterer_destroy(&cl);
    evlog_free(&a);
    evlog_free(&b);
}

/* Is s one of the surface or normalised forms in the fixture? */
static int is_written_form(const char *s) {
    for (int i = 0; i < nrecs; i++)
        for (uint32_t t = 0; t < recs[i].env->n_tokens; t++) {
            const cx_token *k = &recs[i].env->tokens[t];
            if (!strcmp(k->surface, s) || !strcmp(k->norm, s)) return 1;
        }
    return 0;
}

/* Labels: 2-4 parts joined by " · ", each a form the customers wrote (never
 * a stem such as "receiv" or "ruckerstatt"). */
static void test_label_surface(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    cx_clusterer *cl = run_stream(&o, NULL);
    int64_t ids[8];
    size_t n = cx_clusterer_ids(cl, ids, 8);
    CX_CHECK(n == 3);
    for (size_t i = 0; i < n && i < 8; i++) {
        cx_cluster_info in;
        CX_CHECK(cx_clusterer_info(cl, ids[i], &in) == 0);
        char lab[512];
        snprintf(lab, sizeof lab, "%s", in.label);
        int parts = 0;
        for (char *p = lab, *q; p; p = q) {
            q = strstr(p, " \xc2\xb7 ");
            if (q) { *q = '\0'; q += 4; }
            parts++;
            if (!is_written_form(p)) fprintf(stderr, "label part '%s' is not a written form\n", p);
            CX_CHECK(is_written_form(p));
        }
        CX_CHECK(parts >= 2 && parts <= 4);
    }
    cx_cluster_info in;
    CX_CHECK(cx_clusterer_info(cl, id_of("r01"), &in) == 0);
    CX_CHECK(strstr(in.label, "refund") || strstr(in.label, "Rückerstattung"));
    CX_CHECK(!strstr(in.label, "receiv ") && !strstr(in.label, "ruckerstatt"));
    cx_clusterer_destroy(&cl);
}

/* Examples: at most cluster.examples, distinct texts, both languages shown. */
static void test_examples_bounded(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.examples = 3;
    cx_clusterer *cl = run_stream(&o, NULL);
    /* a long text is cut at a character boundary */
    cx_env *lg = make_env("long", "de", -1, 40000, "refunds_returns",
                          "Rückerstattung/ruckerstatt ~nicht erhalten/erhalt .");
    char big[1200];
    size_t k = 0;
    while (k + 2 < 1000) { big[k++] = '\xc3'; big[k++] = '\xbc'; } /* "üüü..." */
    big[k] = '\0';
    lg->text = big;
    char err[128];
    CX_CHECK(cx_clusterer_add(cl, lg, NULL, NULL, err, sizeof err) == 0);
    CX_CHECK(lg->cluster_id == id_of("r01"));
    int64_t ids[8];
    size_t n = cx_clusterer_ids(cl, ids, 8);
    cx_buf b;
    cx_buf_init(&b);
    for (size_t i = 0; i < n && i < 8; i++) {
        CX_CHECK(cx_clusterer_describe(cl, ids[i], NULL, &b) == 0);
        json_error_t je;
        json_t *j = json_loads(b.data, 0, &je);
        CX_CHECK(j != NULL);
        if (!j) continue;
        json_t *ex = json_object_get(j, "examples");
        CX_CHECK(json_array_size(ex) >= 1 && json_array_size(ex) <= 3);
        int en = 0, de = 0;
        for (size_t a = 0; a < json_array_size(ex); a++) {
            json_t *e = json_array_get(ex, a);
            const char *la = json_string_value(json_object_get(e, "lang"));
            const char *tx = json_string_value(json_object_get(e, "text"));
            CX_CHECK(la && tx && json_string_value(json_object_get(e, "id")));
            if (!la || !tx) continue;
            en += !strcmp(la, "en");
            de += !strcmp(la, "de");
            CX_CHECK(strlen(tx) <= 403);
            for (size_t c = a + 1; c < json_array_size(ex); c++)
                CX_CHECK(strcmp(tx, json_string_value(json_object_get(json_array_get(ex, c), "text"))));
        }
        CX_CHECK(en >= 1 && de >= 1);
        json_decref(j);
    }
    cx_cluster_info in;
    CX_CHECK(cx_clusterer_info(cl, id_of("r01"), &in) == 0 && in.n_examples == 3 && in.size == 11);
    cx_buf_free(&b);
    cx_env_destroy(&lg);
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
}

/* Long texts as examples are cut at a UTF-8 boundary with an ellipsis. */
static void test_example_truncation(void) {
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.example_max_bytes = 21;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    cx_env *e = make_env("t1", "de", -1, 1000, "-", "Rückerstattung/ruckerstatt fehlt .");
    e->text = "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc";
    CX_CHECK(cx_clusterer_add(cl, e, NULL, NULL, err, sizeof err) == 0);
    cx_buf b;
    cx_buf_init(&b);
    CX_CHECK(cx_clusterer_describe(cl, e->cluster_id, "snapshot", &b) == 0);
    json_t *j = json_loads(b.data, 0, NULL);
    const char *tx = json_string_value(json_object_get(json_array_get(json_object_get(j, "examples"), 0), "text"));
    CX_CHECK_STR(tx, "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xe2\x80\xa6");
    json_decref(j);
    cx_buf_free(&b);
    cx_env_destroy(&e);
    cx_clusterer_destroy(&cl);
}

/* At the cap the stalest small cluster goes, with a "retired" event. */
static void test_cap_retires_stalest(void) {
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.max_clusters = 10;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    evlog log = {0};
    cx_env *e[16];
    char id[16], toks[64];
    for (int i = 0; i < 13; i++) {
        int topic = i == 0 ? 0 : i - 1; /* record 1 repeats topic 0 */
        snprintf(id, sizeof id, "c%02d", i);
        snprintf(toks, sizeof toks, "alpha%d beta%d gamma%d .", topic, topic, topic);
        e[i] = make_env(id, "en", -1, 1000 + i * 1000, "-", toks);
        CX_CHECK(cx_clusterer_add(cl, e[i], ev_emit, &log, err, sizeof err) == 0);
    }
    /* clusters: topic 0 (size 2, last seen 2000), topics 1..11 singletons */
    CX_CHECK(e[1]->cluster_id == e[0]->cluster_id);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.live == 10);
    CX_CHECK(st.retired == 2);
    /* the two oldest singletons (topics 1 and 2) went, not the older but bigger topic 0 */
    int64_t retired[4];
    int nr = 0;
    for (size_t i = 0; i < log.n; i++) {
        json_t *j = ev_parse(&log, i);
        if (j && !strcmp(ev_kind(j), "retired") && nr < 4) {
            retired[nr++] = ev_id(j);
            CX_CHECK_STR(json_string_value(json_object_get(j, "reason")), "cap");
            CX_CHECK(json_integer_value(json_object_get(j, "size")) == 1);
        }
        json_decref(j);
    }
    CX_CHECK(nr == 2);
    CX_CHECK(nr == 2 && retired[0] == e[2]->cluster_id && retired[1] == e[3]->cluster_id);
    cx_cluster_info in;
    CX_CHECK(cx_clusterer_info(cl, e[0]->cluster_id, &in) == 0 && in.size == 2);
    CX_CHECK(cx_clusterer_info(cl, e[2]->cluster_id, &in) < 0);
    /* a record of a retired topic opens a new cluster with a new id */
    cx_env *again = make_env("again", "en", -1, 20000, "-", "alpha1 beta1 gamma1 .");
    CX_CHECK(cx_clusterer_add(cl, again, NULL, NULL, err, sizeof err) == 0);
    CX_CHECK(again->cluster_id == 13);
    check_invariants(cl);
    for (int i = 0; i < 13; i++) cx_env_destroy(&e[i]);
    cx_env_destroy(&again);
    evlog_free(&log);
    cx_clusterer_destroy(&cl);
}

/* A resent (topic, partition, offset) gets the same cluster and is not counted. */
static void test_duplicates(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    evlog log = {0};
    cx_clusterer *cl = run_stream(&o, &log);
    size_t nev = log.n;
    char err[128];
    cx_env *r = recs[0].env;
    int64_t cid = r->cluster_id;
    cx_cluster_info in;
    CX_CHECK(cx_clusterer_info(cl, cid, &in) == 0);
    uint32_t size = in.size;
    r->cluster_id = 0;
    CX_CHECK(cx_clusterer_add(cl, r, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(r->cluster_id == cid);
    CX_CHECK(cx_clusterer_info(cl, cid, &in) == 0 && in.size == size);
    CX_CHECK(log.n == nev);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.duplicates == 1 && st.clustered == 30);
    /* same record, other partition: a different source record, counted */
    r->partition = 1;
    CX_CHECK(cx_clusterer_add(cl, r, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(r->cluster_id == cid);
    CX_CHECK(cx_clusterer_info(cl, cid, &in) == 0 && in.size == size + 1);
    /* no topic: never a resend */
    r->topic = NULL;
    CX_CHECK(cx_clusterer_add(cl, r, NULL, NULL, err, sizeof err) == 0);
    CX_CHECK(cx_clusterer_add(cl, r, NULL, NULL, err, sizeof err) == 0);
    CX_CHECK(cx_clusterer_info(cl, cid, &in) == 0 && in.size == size + 3);
    r->topic = "feedback";
    r->partition = 0;
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
    evlog_free(&log);

    /* the window is bounded: after 2 x window newer keys an old one is forgotten */
    o.dedup_window = 4;
    cl = cx_clusterer_new(&o, err, sizeof err);
    for (int i = 0; i < 12; i++) CX_CHECK(cx_clusterer_add(cl, recs[i].env, NULL, NULL, err, sizeof err) == 0);
    CX_CHECK(cx_clusterer_add(cl, recs[11].env, NULL, NULL, err, sizeof err) == 0); /* recent: resend */
    CX_CHECK(cx_clusterer_add(cl, recs[0].env, NULL, NULL, err, sizeof err) == 0);  /* old: forgotten */
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.duplicates == 1 && st.clustered == 13);
    cx_clusterer_destroy(&cl);
}

/* negative_only: positive and neutral records pass with cluster_id 0. */
static void test_negative_only(void) {
    cx_clusterer_opts o;
    fixture_opts(&o);
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    evlog log = {0};
    cx_env *pos = make_env("p1", "en", 1, 1000, "refunds_returns", "refund arrived quickly , great support .");
    cx_env *neu = make_env("n1", "en", 0, 1000, "-", "refund status question .");
    pos->cluster_id = 99;
    CX_CHECK(cx_clusterer_add(cl, pos, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(cx_clusterer_add(cl, neu, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(pos->cluster_id == 0 && neu->cluster_id == 0);
    CX_CHECK(log.n == 0);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.skipped == 2 && st.live == 0 && st.vocab == 0);
    /* a record without any usable feature (stop words only) is not clustered either */
    cx_env *stop = make_env("s1", "en", -1, 1000, "-", "~it ~is ~not ~ok , x .");
    CX_CHECK(cx_clusterer_add(cl, stop, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(stop->cluster_id == 0);
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.empty == 1 && st.live == 0);
    cx_clusterer_destroy(&cl);
    /* with negative_only off every record is clustered */
    o.negative_only = 0;
    cl = cx_clusterer_new(&o, err, sizeof err);
    CX_CHECK(cx_clusterer_add(cl, pos, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(pos->cluster_id == 1);
    cx_clusterer_destroy(&cl);
    cx_env_destroy(&pos);
    cx_env_destroy(&neu);
    cx_env_destroy(&stop);
    evlog_free(&log);
}

/* The event JSON of docs/ENVELOPE.md and the event lifecycle. */
static void test_events(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    evlog log = {0};
    cx_clusterer *cl = run_stream(&o, &log);
    int created = 0, grew = 0;
    int64_t seen[8] = {0};
    for (size_t i = 0; i < log.n; i++) {
        json_t *j = ev_parse(&log, i);
        CX_CHECK(j != NULL);
        if (!j) continue;
        CX_CHECK_STR(json_string_value(json_object_get(j, "type")), "cluster");
        const char *k = ev_kind(j);
        int64_t id = ev_id(j);
        json_int_t size = json_integer_value(json_object_get(j, "size"));
        CX_CHECK(id >= 1 && id <= 3);
        CX_CHECK(json_is_string(json_object_get(j, "label")));
        CX_CHECK(json_is_integer(json_object_get(j, "first_seen_ms")));
        CX_CHECK(json_is_integer(json_object_get(j, "last_seen_ms")));
        CX_CHECK(json_is_number(json_object_get(j, "sentiment")));
        CX_CHECK(json_is_object(json_object_get(j, "langs")));
        CX_CHECK(json_is_array(json_object_get(j, "terms")));
        CX_CHECK(json_is_array(json_object_get(j, "examples")));
        CX_CHECK(json_integer_value(json_object_get(j, "merged_into")) == 0);
        json_t *th = json_object_get(j, "themes");
        CX_CHECK(json_is_array(th) && json_array_size(th) >= 1);
        json_t *t0 = json_array_get(th, 0);
        CX_CHECK(json_is_string(json_object_get(t0, "id")) && json_is_integer(json_object_get(t0, "count")));
        CX_CHECK(json_integer_value(json_object_get(t0, "count")) == size);
        if (!strcmp(k, "created")) {
            created++;
            CX_CHECK(size == 1 && id >= 1 && id <= 3 && !seen[id]);
            if (id >= 1 && id <= 3) seen[id] = 1;
        } else if (!strcmp(k, "grew")) {
            grew++;
            CX_CHECK(id >= 1 && id <= 3 && seen[id]);
            CX_CHECK(size == 2 || size == 3 || size == 5 || size == 10);
        } else {
            CX_CHECK(0); /* nothing else without a tick */
        }
        json_decref(j);
    }
    CX_CHECK(created == 3 && grew == 12);
    json_t *last = ev_parse(&log, log.n - 1);
    json_t *langs = json_object_get(last, "langs");
    CX_CHECK(json_integer_value(json_object_get(langs, "en")) == 5 && json_integer_value(json_object_get(langs, "de")) == 5);
    CX_CHECK(json_integer_value(json_object_get(json_object_get(last, "channels"), "app_review")) == 10);
    json_decref(last);

    /* an 11th refund: changed, "updated" only once the interval has passed */
    char err[128];
    cx_env *e = make_env("r06", "en", -1, 31000, "refunds_returns",
                         "~My \"refund\"/refund ~is ~still missing/miss , three weeks/week !\t.");
    size_t n0 = log.n;
    CX_CHECK(cx_clusterer_add(cl, e, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(e->cluster_id == id_of("r01"));
    CX_CHECK(log.n == n0);
    cx_clusterer_tick(cl, 1000, ev_emit, &log);
    CX_CHECK(log.n == n0);
    log.fail = 1;                              /* the link refuses: stays changed */
    cx_clusterer_tick(cl, 2500, ev_emit, &log);
    CX_CHECK(log.n == n0);
    log.fail = 0;
    cx_clusterer_tick(cl, 2600, ev_emit, &log);
    CX_CHECK(log.n == n0 + 1);
    json_t *j = ev_parse(&log, n0);
    CX_CHECK(j && !strcmp(ev_kind(j), "updated") && ev_id(j) == id_of("r01"));
    CX_CHECK(json_integer_value(json_object_get(j, "size")) == 11);
    CX_CHECK(json_integer_value(json_object_get(j, "last_seen_ms")) == 31000);
    json_decref(j);
    cx_clusterer_tick(cl, 9000, ev_emit, &log);   /* nothing changed since */
    CX_CHECK(log.n == n0 + 1);
    /* flush ignores the interval */
    cx_env *e2 = make_env("r07", "en", -1, 32000, "refunds_returns", "refund ~not received/receiv ~yet .");
    CX_CHECK(cx_clusterer_add(cl, e2, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(cx_clusterer_flush(cl, ev_emit, &log) == 0);
    CX_CHECK(log.n == n0 + 2);
    CX_CHECK(cx_clusterer_flush(cl, ev_emit, &log) == 0);
    CX_CHECK(log.n == n0 + 2);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.events == log.n && st.events_failed == 1);
    cx_env_destroy(&e);
    cx_env_destroy(&e2);
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
    evlog_free(&log);
}

/* publish_min_size: small clusters stay silent until they reach it. */
static void test_publish_min_size(void) {
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.publish_min_size = 2;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    evlog log = {0};
    cx_env *a = make_env("a", "en", -1, 1000, "-", "printer jams constantly .");
    cx_env *b = make_env("b", "en", -1, 2000, "-", "printer jams again .");
    cx_env *c = make_env("c", "en", -1, 3000, "-", "printer jams every day .");
    CX_CHECK(cx_clusterer_add(cl, a, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(log.n == 0);
    CX_CHECK(cx_clusterer_add(cl, b, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(b->cluster_id == a->cluster_id && log.n == 1);
    CX_CHECK(cx_clusterer_add(cl, c, ev_emit, &log, err, sizeof err) == 0);
    CX_CHECK(log.n == 2);
    for (size_t i = 0; i < log.n; i++) {
        json_t *j = ev_parse(&log, i);
        CX_CHECK_STR(ev_kind(j), i == 0 ? "created" : "grew");
        CX_CHECK(json_integer_value(json_object_get(j, "size")) == (json_int_t)i + 2);
        CX_CHECK(json_integer_value(json_object_get(j, "seq")) == (json_int_t)i + 1);
        json_decref(j);
    }
    cx_env_destroy(&a);
    cx_env_destroy(&b);
    cx_env_destroy(&c);
    cx_clusterer_destroy(&cl);
    evlog_free(&log);
}

/* The bridge between languages is the theme id: the first German refund
 * complaint shares no word with the English refund cluster and joins it on
 * its theme (its words are scored against the cluster's German members,
 * of which there are none yet); without theme features it opens a cluster. */
static void test_cross_language_themes(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    cx_clusterer_opts_default(&o);
    cx_clusterer *cl = run_stream(&o, NULL);
    CX_CHECK(cl && id_of("d01") == id_of("r01") && id_of("f01") == id_of("e01"));
    cx_clusterer_destroy(&cl);
    CX_CHECK(stream_load(1) == 0);
    o.theme_weight = 0;
    cl = run_stream(&o, NULL);
    CX_CHECK(cl && id_of("d01") != id_of("r01") && id_of("f01") != id_of("e01"));
    if (cl) check_invariants(cl);
    cx_clusterer_destroy(&cl);
}

/* The default method on the fixture: every cluster holds one problem, the
 * refund complaints in English and German meet, and the login crashes of
 * both languages form one cluster. */
static void test_dmm_problems(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    cx_clusterer_opts_default(&o);
    cx_clusterer *cl = run_stream(&o, NULL);
    CX_CHECK(cl != NULL);
    if (!cl) return;
    print_clusters(cl);
    int64_t ids[64];
    size_t n = cx_clusterer_ids(cl, ids, 64);
    CX_CHECK(n >= 3 && n <= 8);
    for (size_t i = 0; i < n && i < 64; i++) {
        char prob = 0;
        int pure = 1;
        for (int r = 0; r < nrecs; r++) {
            if (recs[r].env->cluster_id != ids[i]) continue;
            if (!prob) prob = recs[r].problem;
            else if (prob != recs[r].problem) pure = 0;
        }
        CX_CHECK(pure);
    }
    CX_CHECK(id_of("r01") == id_of("d01") && id_of("r01") == id_of("d02") && id_of("r01") == id_of("r05"));
    CX_CHECK(id_of("l01") == id_of("g01") && id_of("l01") == id_of("l05") && id_of("l01") == id_of("g05"));
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
}

/* The recency prior: a record that fits two clusters (a shared word) goes
 * to the one active in the last records with it, not without it (then it
 * joins the larger one or opens its own). */
static void test_recency(void) {
    cx_clusterer_opts o;
    char err[128];
    for (int on = 0; on < 2; on++) {
        cx_clusterer_opts_default(&o);
        if (!on) o.recency_weight = 0;
        cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
        CX_CHECK(cl != NULL);
        if (!cl) return;
        int64_t a = 0, b = 0, last = 0;
        /* cluster A: 6 x "card arrived late", 60 records of another problem,
         * cluster B: 3 x "card blocked abroad", then "card" alone: A is
         * larger, B is recent */
        for (int i = 0; i < 70; i++) {
            const char *text = i < 6 ? "card arrived late ." : i < 66 ? "printer jammed again ." : i < 69 ? "card blocked abroad ." : "card .";
            cx_env *e = make_env("x", "en", -1, 1000 * (i + 1), "-", text);
            CX_CHECK(cx_clusterer_add(cl, e, NULL, NULL, err, sizeof err) == 0);
            if (i == 0) a = e->cluster_id;
            if (i == 66) b = e->cluster_id;
            last = e->cluster_id;
            cx_env_destroy(&e);
        }
        CX_CHECK(a != b);
        CX_CHECK(on ? last == b : last != b);
        check_invariants(cl);
        cx_clusterer_destroy(&cl);
    }
}

/* Merging: two clusters of near-identical complaints (kept apart by a
 * strict leader threshold) merge at a size milestone: the smaller gets a "merged" event naming the survivor, the
 * survivor a "grew" event naming the absorbed one and the summed size; the
 * decorator's field is in every event. */
static void deco_add(void *arg, int64_t id, cx_buf *out) {
    (void)arg;
    cx_buf_printf(out, ",\"deco\":%lld", (long long)id);
}

static void test_merge(void) {
    cx_clusterer_opts o;
    cx_clusterer_opts_default(&o);
    o.method = CX_CLU_LEADER;
    o.similarity = 0.99;
    o.merge_similarity = 0.5;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    CX_CHECK(cl != NULL);
    if (!cl) return;
    cx_clusterer_set_decorator(cl, deco_add, NULL);
    evlog log = {0};
    const char *texts[] = {"refund never received after weeks .", "refund never received after weeks again ."};
    int64_t id[3];
    for (int i = 0; i < 3; i++) {
        cx_env *e = make_env("m", "en", -1, 1000 * (i + 1), "-", texts[i % 2]);
        CX_CHECK(cx_clusterer_add(cl, e, ev_emit, &log, err, sizeof err) == 0);
        id[i] = e->cluster_id;
        cx_env_destroy(&e);
    }
    CX_CHECK(id[0] == 1 && id[1] == 2);          /* apart at first */
    CX_CHECK(id[2] == 1);                        /* 1 reaches size 2 and absorbs 2 */
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.merged == 1 && st.live == 1);
    int merged = 0, grew = 0;
    for (size_t i = 0; i < log.n; i++) {
        json_t *j = ev_parse(&log, i);
        if (!j) continue;
        CX_CHECK(json_integer_value(json_object_get(j, "deco")) == ev_id(j));
        if (!strcmp(ev_kind(j), "merged")) {
            merged++;
            CX_CHECK(ev_id(j) == 2 && json_integer_value(json_object_get(j, "merged_into")) == 1);
        }
        if (!strcmp(ev_kind(j), "grew") && json_integer_value(json_object_get(j, "absorbed")) == 2) {
            grew++;
            CX_CHECK(ev_id(j) == 1 && json_integer_value(json_object_get(j, "size")) >= 3);
        }
        json_decref(j);
    }
    CX_CHECK(merged == 1 && grew == 1);
    cx_cluster_info in;
    CX_CHECK(cx_clusterer_info(cl, 1, &in) == 0 && in.size == 3 && cx_clusterer_info(cl, 2, &in) < 0);
    check_invariants(cl);
    evlog_free(&log);
    cx_clusterer_destroy(&cl);
}

/* Examples are diverse: rewordings of one sentence do not fill the list,
 * a differently worded member gets a place. */
static void test_examples_diverse(void) {
    cx_clusterer_opts o;
    cx_clusterer_opts_default(&o);
    o.method = CX_CLU_LEADER;
    o.similarity = 0.05;
    o.examples = 3;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    CX_CHECK(cl != NULL);
    if (!cl) return;
    const char *texts[] = {"refund not received after two weeks .", "refund not received after two weeks again .",
                           "refund really not received after two weeks .", "refund not received after two weeks sadly .",
                           "money back for the return missing , refund promised ."};
    int64_t id = 0;
    for (int i = 0; i < 5; i++) {
        char rid[8];
        snprintf(rid, sizeof rid, "x%d", i);
        cx_env *e = make_env(rid, "en", -1, 1000 * (i + 1), "-", texts[i]);
        e->text = cx_env_strdup(e, texts[i]);
        CX_CHECK(cx_clusterer_add(cl, e, NULL, NULL, err, sizeof err) == 0);
        if (!i) id = e->cluster_id;
        CX_CHECK(e->cluster_id == id);
        cx_env_destroy(&e);
    }
    cx_buf b;
    cx_buf_init(&b);
    CX_CHECK(cx_clusterer_describe(cl, id, NULL, &b) == 0);
    json_t *j = b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    json_t *ex = json_object_get(j, "examples");
    int money = 0;
    size_t k;
    json_t *x;
    json_array_foreach(ex, k, x) money += strstr(json_string_value(json_object_get(x, "text")), "money") != NULL;
    CX_CHECK(json_array_size(ex) >= 2 && money == 1);
    json_decref(j);
    cx_buf_free(&b);
    cx_clusterer_destroy(&cl);
}

/* Splitting: a cluster that took two unrelated problems (a lax leader
 * threshold and a shared theme id glue them) splits at a size milestone into
 * two clusters of one problem each: "split" events on both sides. */
static void test_split(void) {
    cx_clusterer_opts o;
    cx_clusterer_opts_default(&o);
    o.method = CX_CLU_LEADER;
    o.similarity = 0.01;
    o.merge_similarity = 0;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    CX_CHECK(cl != NULL);
    if (!cl) return;
    evlog log = {0};
    const char *texts[] = {"printer jams paper tray broken .", "router wifi drops connection hourly ."};
    int64_t first = 0, ids[40];
    for (int i = 0; i < 40; i++) {
        cx_env *e = make_env("s", "en", -1, 1000 * (i + 1), "support", texts[i % 2]);
        CX_CHECK(cx_clusterer_add(cl, e, ev_emit, &log, err, sizeof err) == 0);
        ids[i] = e->cluster_id;
        if (!i) first = e->cluster_id;
        cx_env_destroy(&e);
    }
    CX_CHECK(ids[1] == first);                   /* glued together at first */
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.split >= 1);
    /* after the split, each problem goes to its own cluster */
    CX_CHECK(ids[38] != ids[39]);
    int from = 0, into = 0;
    for (size_t i = 0; i < log.n; i++) {
        json_t *j = ev_parse(&log, i);
        if (!j) continue;
        if (!strcmp(ev_kind(j), "split")) {
            from += json_integer_value(json_object_get(j, "split_from")) == first;
            into += ev_id(j) == first && json_integer_value(json_object_get(j, "split_into")) > first;
        }
        json_decref(j);
    }
    CX_CHECK(from == 1 && into == 1);
    check_invariants(cl);
    evlog_free(&log);
    cx_clusterer_destroy(&cl);
}

/* The global term budget: with room for 400 terms over at most 20 clusters
 * (max_terms 40 alone would allow 20 x 60 = 1200), the live clusters
 * together stay within the budget plus one record's features. */
static void test_terms_budget(void) {
    cx_clusterer_opts o;
    cx_clusterer_opts_default(&o);
    o.max_terms = 40;
    o.max_terms_total = 400;
    o.max_clusters = 20;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    CX_CHECK(cl != NULL);
    if (!cl) return;
    uint32_t rng = 777;
    size_t peak = 0;
    for (int i = 0; i < 2000; i++) {
        char toks[256] = "";
        size_t k = 0;
        for (int w = 0; w < 6; w++) {
            rng = rng * 1103515245u + 12345u;
            k += (size_t)snprintf(toks + k, sizeof toks - k, "t%uw%u ", (unsigned)(i / 100), (rng >> 8) % 60);
        }
        snprintf(toks + k, sizeof toks - k, ".");
        cx_env *e = make_env("b", "en", -1, 1000 + i * 100, "-", toks);
        CX_CHECK(cx_clusterer_add(cl, e, NULL, NULL, err, sizeof err) == 0 && e->cluster_id > 0);
        cx_env_destroy(&e);
        cx_clusterer_stats st;
        cx_clusterer_get_stats(cl, &st);
        if (i >= 1000 && st.terms > peak) peak = st.terms;
        if (i % 250 == 249) check_invariants(cl);
    }
    CX_CHECK(peak > 300 && peak <= 400 + 8);
    check_invariants(cl);
    /* the term arrays hold what is live, not the most a cluster ever had:
     * after pruning an array shrinks to fit, so no cluster keeps more than
     * twice its terms (or the 16 every array starts with) of capacity */
    int64_t ids[64];
    size_t n = cx_clusterer_ids(cl, ids, 64), room = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        cx_cluster_info ci;
        if (cx_clusterer_info(cl, ids[i], &ci) == 0) room += ci.n_terms * 2 > 16 ? ci.n_terms * 2 : 16;
    }
    cx_clusterer_mem m;
    cx_clusterer_get_mem(cl, &m);
    /* a term is 32 bytes, its index 2 x 4 (clu_internal.h) */
    CX_CHECK(n > 0 && m.terms > 0 && m.terms <= room * 40);
    CX_CHECK(m.total >= m.features + m.postings + m.terms && m.features > 0 && m.postings > 0);
    cx_clusterer_destroy(&cl);
}

/* The leader method: without theme ids the words alone still give pure
 * clusters at a strict threshold (0.30).  (Its default, 0.18, relies on the
 * theme ids of the tagger; without them it merges these short synthetic
 * texts too eagerly.) */
static void test_words_only(void) {
    CX_CHECK(stream_load(0) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.method = CX_CLU_LEADER;
    o.similarity = 0.30;
    cx_clusterer *cl = run_stream(&o, NULL);
    print_clusters(cl);
    int64_t ids[64];
    size_t n = cx_clusterer_ids(cl, ids, 64);
    size_t multi = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        char prob = 0;
        int size = 0, pure = 1;
        for (int r = 0; r < nrecs; r++) {
            if (recs[r].env->cluster_id != ids[i]) continue;
            size++;
            if (!prob) prob = recs[r].problem;
            else if (prob != recs[r].problem) pure = 0;
        }
        CX_CHECK(pure);
        multi += size >= 3;
    }
    CX_CHECK(multi >= 3);
    CX_CHECK(id_of("l01") == id_of("l05")); /* "app crashes ... login" */
    CX_CHECK(id_of("r01") == id_of("r05")); /* "refund received weeks" */
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
}

/* Centroids, vocabulary and counters stay bounded; decay and out-of-order
 * times keep the state consistent. */
static void test_bounds(void) {
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.max_terms = 8;
    o.max_vocab = 64;
    o.half_life_ms = 1000; /* forces centroid rescaling */
    o.max_clusters = 20;
    char err[128];
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    uint32_t rng = 12345;
    int64_t joined = 0;
    for (int i = 0; i < 600; i++) {
        char toks[256] = "", id[16], themes[64];
        size_t k = 0;
        for (int w = 0; w < 6; w++) {
            rng = rng * 1103515245u + 12345u;
            k += (size_t)snprintf(toks + k, sizeof toks - k, "w%u ", (rng >> 8) % 500);
        }
        snprintf(toks + k, sizeof toks - k, "common .");
        snprintf(id, sizeof id, "b%d", i);
        snprintf(themes, sizeof themes, "topic%d.sub%d,extra%d", i % 3, i % 5, i % 17);
        rng = rng * 1103515245u + 12345u;
        int64_t ts = 1000 + i * 500 - (int64_t)((rng >> 8) % 3000); /* a little out of order */
        cx_env *e = make_env(id, i % 2 ? "en" : "de", -1, ts, themes, toks);
        e->region = (i % 40) < 20 ? "eu" : NULL;
        char prod[16];
        snprintf(prod, sizeof prod, "p%d", i % 23);
        e->product = prod;
        CX_CHECK(cx_clusterer_add(cl, e, NULL, NULL, err, sizeof err) == 0);
        joined += e->cluster_id > 0;
        cx_env_destroy(&e);
        if (i % 100 == 99) check_invariants(cl);
    }
    CX_CHECK(joined == 600);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.live <= 20);
    /* the vocabulary may exceed max_vocab only by features live centroids use */
    CX_CHECK(st.vocab <= 64 + st.live * 12 + 32);
    int64_t ids[32];
    size_t n = cx_clusterer_ids(cl, ids, 32);
    for (size_t i = 0; i < n && i < 32; i++) {
        cx_cluster_info in;
        CX_CHECK(cx_clusterer_info(cl, ids[i], &in) == 0);
        CX_CHECK(in.n_terms <= 12);
        if (i) CX_CHECK(ids[i] > ids[i - 1]);
    }
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
}

/* Bigrams (off by default), with the leader method: still the 3 problems;
 * label parts are written forms or pairs of them, and a word never repeats
 * inside its own bigram. */
static void test_bigrams(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.method = CX_CLU_LEADER;
    o.bigram_weight = 0.5;
    cx_clusterer *cl = run_stream(&o, NULL);
    print_clusters(cl);
    cx_clusterer_stats st;
    cx_clusterer_get_stats(cl, &st);
    CX_CHECK(st.live == 3);
    int64_t ids[8];
    size_t n = cx_clusterer_ids(cl, ids, 8);
    int saw_bigram = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        cx_buf b;
        cx_buf_init(&b);
        CX_CHECK(cx_clusterer_describe(cl, ids[i], NULL, &b) == 0);
        json_t *j = json_loads(b.data, 0, NULL);
        json_t *terms = json_object_get(j, "terms");
        for (size_t t = 0; t < json_array_size(terms); t++) {
            char term[128];
            snprintf(term, sizeof term, "%s", json_string_value(json_array_get(terms, t)));
            char *sp = strchr(term, ' ');
            if (sp) {
                *sp = '\0';
                saw_bigram = 1;
                CX_CHECK(is_written_form(term) && is_written_form(sp + 1));
            } else {
                CX_CHECK(is_written_form(term));
            }
        }
        json_decref(j);
        cx_buf_free(&b);
    }
    CX_CHECK(saw_bigram);
    check_invariants(cl);
    cx_clusterer_destroy(&cl);
}

/* Allocation failures anywhere: no crash, no leak (ASan), invariants hold,
 * and the clusterer works again once memory is back. */
static void test_alloc_failures(void) {
    CX_CHECK(stream_load(1) == 0);
    cx_clusterer_opts o;
    fixture_opts(&o);
    o.dedup_window = 64;
    o.max_clusters = 10;
    long injected = 0;
    for (int persistent = 0; persistent < 2; persistent++) {
        for (long n = 1; n < 400; n++) {
            char err[128];
            evlog log = {0};
            cx_alloc_fail_at(n, persistent);
            cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
            if (cl) {
                for (int i = 0; i < nrecs; i++) {
                    int rc = cx_clusterer_add(cl, recs[i].env, ev_emit, &log, err, sizeof err);
                    if (rc < 0) CX_CHECK(recs[i].env->cluster_id == 0);
                }
                cx_clusterer_tick(cl, 5000, ev_emit, &log);
            }
            injected += cx_alloc_failures();
            cx_alloc_fail_at(0, 0);
            if (cl) {
                check_invariants(cl);
                for (int i = 0; i < nrecs; i++) {
                    recs[i].env->offset += 1000; /* fresh source records */
                    CX_CHECK(cx_clusterer_add(cl, recs[i].env, ev_emit, &log, err, sizeof err) == 0);
                    CX_CHECK(recs[i].env->cluster_id > 0);
                    recs[i].env->offset -= 1000;
                }
                cx_clusterer_flush(cl, ev_emit, &log);
                check_invariants(cl);
                cx_clusterer_destroy(&cl);
            }
            evlog_free(&log);
        }
    }
    CX_CHECK(injected > 100);
}

static void test_bad_options(void) {
    cx_clusterer_opts o;
    char err[128] = "";
    fixture_opts(&o);
    o.similarity = 0;
    CX_CHECK(cx_clusterer_new(&o, err, sizeof err) == NULL && strstr(err, "similarity"));
    fixture_opts(&o);
    o.examples = 0;
    CX_CHECK(cx_clusterer_new(&o, err, sizeof err) == NULL && strstr(err, "examples"));
    fixture_opts(&o);
    o.first_id = 1000;
    cx_clusterer *cl = cx_clusterer_new(&o, err, sizeof err);
    cx_env *e = make_env("x", "en", -1, 1, "-", "checkout broken .");
    CX_CHECK(cx_clusterer_add(cl, e, NULL, NULL, err, sizeof err) == 0 && e->cluster_id == 1000);
    cx_env_destroy(&e);
    cx_clusterer_destroy(&cl);
}

int main(void) {
    CX_RUN(test_three_problems);
    CX_RUN(test_cross_language_themes);
    CX_RUN(test_recency);
    CX_RUN(test_dmm_problems);
    CX_RUN(test_merge);
    CX_RUN(test_examples_diverse);
    CX_RUN(test_split);
    CX_RUN(test_terms_budget);
    CX_RUN(test_deterministic);
    CX_RUN(test_label_surface);
    CX_RUN(test_examples_bounded);
    CX_RUN(test_example_truncation);
    CX_RUN(test_cap_retires_stalest);
    CX_RUN(test_duplicates);
    CX_RUN(test_negative_only);
    CX_RUN(test_events);
    CX_RUN(test_publish_min_size);
    CX_RUN(test_words_only);
    CX_RUN(test_bounds);
    CX_RUN(test_bigrams);
    CX_RUN(test_alloc_failures);
    CX_RUN(test_bad_options);
    stream_free();
    CX_DONE();
}
