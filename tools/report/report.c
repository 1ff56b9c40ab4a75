/* report.c - cx_report_write: reads the sink's SQLite database (schema in
 * docs/SINKS.md) and writes the self-contained HTML report.
 *
 * The work is split in two phases.  Loaders (load_*) run the queries and
 * fill plain C structures: the overview of the period, the top root-cause
 * clusters (with merged clusters folded into the cluster they were merged
 * into) and the theme table (sub-themes plus their roll-up to the top-level
 * parent).  Section writers (sec_*) then turn those structures, plus a few
 * small queries of their own, into HTML; a later issue adds sections by
 * adding a sec_* function and a line in cx_report_write.
 *
 * Every query is a prepared statement; the period and bucket values are
 * named parameters (:t0, :t1, :w7 ...) bound by prep() for every statement
 * that uses them.  Every text from the database goes through
 * cx_html_escape.  The page has no script and fetches nothing (the live
 * dashboard's variant adds one: report_dash.c). */
#include "cx_report.h"
#include "cx_alloc.h"
#include "cx_util.h"
#include "report_int.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIT(b, s) cx_buf_append((b), s, sizeof(s) - 1)

#define TOP_CLUSTERS 10        /* clusters shown in the clusters section */
#define HEADLINE_CLUSTERS 3    /* ... and in the summary */
#define N_EXAMPLES 5           /* verbatims per cluster */
#define VERBATIM_CHARS 420     /* a verbatim is cut after this many characters */
#define BREAKDOWN_ROWS 12      /* rows per breakdown table */
#define SUBTHEMES_SHOWN 8      /* sub-themes listed under a parent theme */
#define NEG_RANK_ROWS 10       /* rows of the "by negative share" table */

/* A theme counts as negative for a record when the clauses mentioning it
 * score at most this (the tag stage's theme sentiment); without a theme
 * score the record's label decides. */
#define THEME_NEG_MAX "-0.05"
#define THEME_NEG "(CASE WHEN rt.sentiment IS NOT NULL THEN rt.sentiment <= " THEME_NEG_MAX \
                  " ELSE r.label = 'negative' END)"
#define JOIN_RT "record_themes rt JOIN records r ON r.topic = rt.topic AND r.partition = rt.partition" \
                " AND r.\"offset\" = rt.\"offset\""
/* Time bucket of a timestamp: hours, days or Monday-based weeks (1970-01-01
 * was a Thursday, so day + 3 makes weeks start on Monday). */
#define BUCKET "((ts / :unit + :off) / :div)"
#define KEY_SUB "rt.theme"
#define KEY_TOP "(CASE WHEN instr(rt.theme, '.') > 0 THEN substr(rt.theme, 1, instr(rt.theme, '.') - 1)" \
                " ELSE rt.theme END)"

/* ---- small containers ---- */

typedef struct kv { char *key; long long n; } kv;
typedef struct counter { kv *v; size_t n, cap; } counter;

/* Add n to key's count (inserting key).  0, or -1 when out of memory. */
static int counter_add(counter *c, const char *key, long long n) {
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].key, key)) { c->v[i].n += n; return 0; }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        kv *nv = cx_realloc(c->v, nc * sizeof *nv);
        if (!nv) return -1;
        c->v = nv;
        c->cap = nc;
    }
    if (!(c->v[c->n].key = cx_strdup(key))) return -1;
    c->v[c->n++].n = n;
    return 0;
}

static int kv_cmp(const void *a, const void *b) {
    const kv *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void counter_free(counter *c) {
    for (size_t i = 0; i < c->n; i++) cx_free(c->v[i].key);
    cx_free(c->v);
    memset(c, 0, sizeof *c);
}

/* One root-cause cluster as shown: the cluster itself plus every cluster
 * that was merged into it (members, root first). */
typedef struct cluster {
    int64_t id;
    int64_t *members;
    size_t nmem, capmem;
    char *label, *status;
    long long n, neg, nsent, last7, prev7;
    int64_t first_ts; /* first record of the cluster (any time) */
    double ssum;
    counter langs, themes;
    long long *series;
} cluster;

/* One row of the themes table: a top-level theme (roll-up of its
 * sub-themes, each record counted once) or a sub-theme. */
typedef struct theme {
    char *id;
    int top;
    long long n, neg, last7, prev7;
    int64_t first_ts; /* first record mentioning it (any time) */
    long long *series;
} theme;

typedef struct rp {
    const cx_report_opts *o;
    char *err;
    size_t errlen;
    sqlite3 *db;
    cx_buf *b;
    cx_rp_taxo taxo;
    int has_themes, has_clusters, has_examples, has_dead;
    /* the period */
    int64_t oldest_all, newest;   /* over all records */
    int64_t t0, t1, w7, w14;      /* window; growth windows (see load_overview) */
    int64_t first, last;          /* first and last ts in the window */
    long long n, n_neg, n_neu, n_pos, n_other;
    int have_prev;                /* two weeks of data: growth is meaningful */
    /* time buckets */
    int64_t unit, off, div, b0, bucket_ms, start_ms;
    int nb;
    const char *bucket_name;
    /* clusters */
    cluster *cl;
    size_t ncl, n_clusters_total;
    long long n_clustered;
    /* themes */
    theme *th;
    size_t nth;
    long long n_themed;
} rp;

/* ---- SQLite helpers ---- */

static int fail(rp *r, const char *what) {
    snprintf(r->err, r->errlen, "%s: %s: %s", r->o->db_path, what, sqlite3_errmsg(r->db));
    return -1;
}

static void bind_named(sqlite3_stmt *st, const char *name, int64_t v) {
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0) sqlite3_bind_int64(st, i, v);
}

/* Prepare sql and bind the period parameters it mentions.  NULL with err
 * filled when SQLite rejects the statement (e.g. an older schema). */
static sqlite3_stmt *prep(rp *r, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(r, "query failed");
        sqlite3_finalize(st);
        return NULL;
    }
    bind_named(st, ":t0", r->t0);
    bind_named(st, ":t1", r->t1);
    bind_named(st, ":w7", r->w7);
    bind_named(st, ":w14", r->w14);
    bind_named(st, ":unit", r->unit);
    bind_named(st, ":off", r->off);
    bind_named(st, ":div", r->div);
    return st;
}

/* sqlite3_step: 1 for a row, 0 when done, -1 with err filled on error. */
static int step(rp *r, sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return fail(r, "query failed");
}

static const char *ctext(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static int has_table(rp *r, const char *name) {
    sqlite3_stmt *st = prep(r, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    if (!st) return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = step(r, st);
    sqlite3_finalize(st);
    return rc;
}

static int oom(rp *r) {
    snprintf(r->err, r->errlen, "out of memory");
    return -1;
}

/* Open the database read-only and start the read transaction that gives
 * every query the same snapshot.  Checks that it is a cxflow database. */
static int open_db(rp *r) {
    struct stat sb;
    const char *path = r->o->db_path;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT)
            snprintf(r->err, r->errlen,
                     "no database at %s \xE2\x80\x94 run the pipeline first (tools/cxflow run / demo)", path);
        else
            snprintf(r->err, r->errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(sb.st_mode)) {
        snprintf(r->err, r->errlen, "%s is a directory, not a database", path);
        return -1;
    }
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return fail(r, "cannot open");
    sqlite3_busy_timeout(r->db, 5000);
    if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) return fail(r, "cannot read");
    int t = has_table(r, "records");
    if (t < 0) return -1;
    if (!t) {
        snprintf(r->err, r->errlen, "%s is not a cxflow database (no records table)", path);
        return -1;
    }
    if ((r->has_themes = has_table(r, "record_themes")) < 0) return -1;
    if ((r->has_clusters = has_table(r, "clusters")) < 0) return -1;
    if ((r->has_examples = has_table(r, "cluster_examples")) < 0) return -1;
    if ((r->has_dead = has_table(r, "dead_letters")) < 0) return -1;
    return 0;
}

/* ---- loaders ---- */

/* The period: newest record, window start (--since counts back from the
 * newest record, not from the wall clock), label totals, growth windows
 * (the last 7 days of data and the 7 before) and the time bucket size for the charts. */
static int load_overview(rp *r) {
    sqlite3_stmt *st = prep(r, "SELECT COUNT(*), MIN(ts), MAX(ts) FROM records");
    if (!st) return -1;
    int rc = step(r, st);
    long long all = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
    if (rc == 1 && all > 0) {
        r->oldest_all = sqlite3_column_int64(st, 1);
        r->newest = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;
    if (all <= 0) return 0;
    r->t1 = r->newest;
    r->t0 = r->o->since_ms > 0 ? r->newest - r->o->since_ms + 1 : r->oldest_all;
    r->w7 = r->newest - 7 * CX_DAY_MS;
    r->w14 = r->newest - 14 * CX_DAY_MS;
    r->have_prev = r->newest - r->oldest_all >= 13 * CX_DAY_MS;

    st = prep(r, "SELECT COUNT(*), MIN(ts), MAX(ts), SUM(label = 'negative'), SUM(label = 'neutral'),"
                 " SUM(label = 'positive') FROM records WHERE ts BETWEEN :t0 AND :t1");
    if (!st) return -1;
    if ((rc = step(r, st)) == 1) {
        r->n = sqlite3_column_int64(st, 0);
        r->first = sqlite3_column_int64(st, 1);
        r->last = sqlite3_column_int64(st, 2);
        r->n_neg = sqlite3_column_int64(st, 3);
        r->n_neu = sqlite3_column_int64(st, 4);
        r->n_pos = sqlite3_column_int64(st, 5);
        r->n_other = r->n - r->n_neg - r->n_neu - r->n_pos;
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;

    int64_t span = r->last - r->first;
    if (span <= 3 * CX_DAY_MS) { r->unit = CX_HOUR_MS; r->off = 0; r->div = 1; r->bucket_name = "hour"; }
    else if (span <= 120 * CX_DAY_MS) { r->unit = CX_DAY_MS; r->off = 0; r->div = 1; r->bucket_name = "day"; }
    else { r->unit = CX_DAY_MS; r->off = 3; r->div = 7; r->bucket_name = "week"; }
    r->b0 = (r->first / r->unit + r->off) / r->div;
    int64_t nb = (r->last / r->unit + r->off) / r->div - r->b0 + 1;
    r->nb = nb < 1 ? 1 : nb > 4000 ? 4000 : (int)nb; /* 4000 weeks: only absurd timestamps get cut */
    r->bucket_ms = r->unit * r->div;
    r->start_ms = (r->b0 * r->div - r->off) * r->unit;
    return 0;
}

/* Index of a bucket number in the series arrays, or -1 when outside. */
static int bucket_index(const rp *r, int64_t bucket) {
    int64_t i = bucket - r->b0;
    return i >= 0 && i < r->nb ? (int)i : -1;
}

typedef struct craw {
    int64_t id, root;
    long long n, neg, nsent, last7, prev7;
    int64_t first_ts;
    double ssum;
} craw;

static int craw_cmp_root(const void *a, const void *b) {
    const craw *x = a, *y = b;
    if (x->root != y->root) return x->root < y->root ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cluster_cmp(const void *a, const void *b) {
    const cluster *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void cluster_free(cluster *c) {
    cx_free(c->members);
    cx_free(c->label);
    cx_free(c->status);
    counter_free(&c->langs);
    counter_free(&c->themes);
    cx_free(c->series);
}

/* The shown cluster a stored cluster id belongs to (itself or the cluster it
 * was merged into), or NULL when it is not among the top clusters. */
static cluster *top_cluster(rp *r, int64_t id) {
    for (size_t i = 0; i < r->ncl; i++)
        for (size_t k = 0; k < r->cl[i].nmem; k++)
            if (r->cl[i].members[k] == id) return &r->cl[i];
    return NULL;
}

/* Follow clusters.merged_into from id (at most 64 steps, so a cycle in bad
 * data cannot hang the report).  merges holds (id, into) pairs sorted by id. */
static int64_t merge_root(const int64_t (*merges)[2], size_t nm, int64_t id) {
    for (int hop = 0; hop < 64; hop++) {
        size_t lo = 0, hi = nm;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (merges[mid][0] < id) lo = mid + 1;
            else hi = mid;
        }
        if (lo >= nm || merges[lo][0] != id) break;
        id = merges[lo][1];
    }
    return id;
}

/* Per-cluster counts from `records` (exact, deduplicated), folded into the
 * cluster each one was merged into, sorted by records in the window; keeps
 * the top TOP_CLUSTERS and loads their label, status, languages, themes and
 * volume series. */
static int load_clusters(rp *r) {
    int64_t (*merges)[2] = NULL;
    size_t nm = 0, capm = 0, nraw = 0, capraw = 0;
    craw *raw = NULL;
    int ret = -1, rc;
    sqlite3_stmt *st = NULL;
    if (r->has_clusters) {
        st = prep(r, "SELECT cluster_id, merged_into FROM clusters WHERE status = 'merged' AND merged_into > 0"
                     " AND merged_into <> cluster_id ORDER BY cluster_id");
        if (!st) goto out;
        while ((rc = step(r, st)) == 1) {
            if (nm == capm) {
                size_t nc = capm ? capm * 2 : 32;
                void *nv = cx_realloc(merges, nc * sizeof *merges);
                if (!nv) { oom(r); goto out; }
                merges = nv;
                capm = nc;
            }
            merges[nm][0] = sqlite3_column_int64(st, 0);
            merges[nm++][1] = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc < 0) goto out;
    }
    st = prep(r, "SELECT cluster_id, SUM(ts >= :t0), SUM(CASE WHEN ts >= :t0 THEN sentiment END),"
                 " SUM(ts >= :t0 AND sentiment IS NOT NULL), SUM(ts >= :t0 AND label = 'negative'),"
                 " SUM(ts > :w7), SUM(ts > :w14 AND ts <= :w7), MIN(ts)"
                 " FROM records WHERE cluster_id > 0 AND ts <= :t1 GROUP BY cluster_id");
    if (!st) goto out;
    while ((rc = step(r, st)) == 1) {
        if (nraw == capraw) {
            size_t nc = capraw ? capraw * 2 : 64;
            craw *nv = cx_realloc(raw, nc * sizeof *nv);
            if (!nv) { oom(r); goto out; }
            raw = nv;
            capraw = nc;
        }
        craw *c = &raw[nraw++];
        c->id = sqlite3_column_int64(st, 0);
        c->root = merge_root((const int64_t (*)[2])merges, nm, c->id);
        c->n = sqlite3_column_int64(st, 1);
        c->ssum = sqlite3_column_double(st, 2);
        c->nsent = sqlite3_column_int64(st, 3);
        c->neg = sqlite3_column_int64(st, 4);
        c->last7 = sqlite3_column_int64(st, 5);
        c->prev7 = sqlite3_column_int64(st, 6);
        c->first_ts = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0) goto out;
    if (nraw) qsort(raw, nraw, sizeof *raw, craw_cmp_root);

    /* fold rows with the same root into one cluster */
    size_t nall = 0;
    cluster *all = nraw ? cx_calloc(nraw, sizeof *all) : NULL;
    if (nraw && !all) { oom(r); goto out; }
    for (size_t i = 0; i < nraw; i++) {
        if (!nall || all[nall - 1].id != raw[i].root) all[nall++].id = raw[i].root;
        cluster *c = &all[nall - 1];
        c->n += raw[i].n;
        c->ssum += raw[i].ssum;
        c->nsent += raw[i].nsent;
        c->neg += raw[i].neg;
        c->last7 += raw[i].last7;
        c->prev7 += raw[i].prev7;
        if (c->nmem == 0 || raw[i].first_ts < c->first_ts) c->first_ts = raw[i].first_ts;
        if (c->nmem == c->capmem) {
            size_t nc = c->capmem ? c->capmem * 2 : 2;
            int64_t *nv = cx_realloc(c->members, nc * sizeof *nv);
            if (!nv) { for (size_t k = 0; k < nall; k++) cluster_free(&all[k]); cx_free(all); oom(r); goto out; }
            c->members = nv;
            c->capmem = nc;
        }
        /* the root itself goes first so its examples are preferred */
        if (raw[i].id == c->id && c->nmem) {
            c->members[c->nmem++] = c->members[0];
            c->members[0] = raw[i].id;
        } else
            c->members[c->nmem++] = raw[i].id;
    }
    if (nall) qsort(all, nall, sizeof *all, cluster_cmp);
    r->n_clusters_total = 0;
    r->n_clustered = 0;
    for (size_t i = 0; i < nall; i++)
        if (all[i].n > 0) { r->n_clusters_total++; r->n_clustered += all[i].n; }
    r->ncl = r->n_clusters_total < TOP_CLUSTERS ? r->n_clusters_total : TOP_CLUSTERS;
    for (size_t i = r->ncl; i < nall; i++) cluster_free(&all[i]);
    r->cl = all;

    for (size_t i = 0; i < r->ncl; i++)
        if (!(r->cl[i].series = cx_calloc((size_t)r->nb, sizeof(long long)))) { oom(r); goto out; }
    if (r->has_clusters) {
        st = prep(r, "SELECT label, status, (SELECT group_concat(value, ' ') FROM json_each(CASE WHEN"
                     " json_valid(terms) THEN terms ELSE '[]' END)) FROM clusters WHERE cluster_id = ?1");
        if (!st) goto out;
        for (size_t i = 0; i < r->ncl; i++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, r->cl[i].id);
            if ((rc = step(r, st)) < 0) goto out;
            if (rc == 0) continue;
            const char *label = ctext(st, 0);
            if (!*label) label = ctext(st, 2);
            if ((*label && !(r->cl[i].label = cx_strdup(label))) ||
                (*ctext(st, 1) && !(r->cl[i].status = cx_strdup(ctext(st, 1))))) { oom(r); goto out; }
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (!r->ncl) { ret = 0; goto out; }

    st = prep(r, "SELECT cluster_id, COALESCE(NULLIF(lang, ''), 'und'), COUNT(*) FROM records"
                 " WHERE cluster_id > 0 AND ts BETWEEN :t0 AND :t1 GROUP BY 1, 2");
    if (!st) goto out;
    while ((rc = step(r, st)) == 1) {
        cluster *c = top_cluster(r, sqlite3_column_int64(st, 0));
        if (c && counter_add(&c->langs, ctext(st, 1), sqlite3_column_int64(st, 2)) < 0) { oom(r); goto out; }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0) goto out;

    if (r->has_themes) {
        st = prep(r, "SELECT r.cluster_id, rt.theme, COUNT(*) FROM " JOIN_RT
                     " WHERE r.cluster_id > 0 AND r.ts BETWEEN :t0 AND :t1 GROUP BY 1, 2");
        if (!st) goto out;
        while ((rc = step(r, st)) == 1) {
            cluster *c = top_cluster(r, sqlite3_column_int64(st, 0));
            if (c && counter_add(&c->themes, ctext(st, 1), sqlite3_column_int64(st, 2)) < 0) { oom(r); goto out; }
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc < 0) goto out;
    }

    st = prep(r, "SELECT cluster_id, " BUCKET ", COUNT(*) FROM records"
                 " WHERE cluster_id > 0 AND ts BETWEEN :t0 AND :t1 GROUP BY 1, 2");
    if (!st) goto out;
    while ((rc = step(r, st)) == 1) {
        cluster *c = top_cluster(r, sqlite3_column_int64(st, 0));
        int bi = bucket_index(r, sqlite3_column_int64(st, 1));
        if (c && bi >= 0) c->series[bi] += sqlite3_column_int64(st, 2);
    }
    if (rc < 0) goto out;
    for (size_t i = 0; i < r->ncl; i++) {
        if (r->cl[i].langs.n) qsort(r->cl[i].langs.v, r->cl[i].langs.n, sizeof(kv), kv_cmp);
        if (r->cl[i].themes.n) qsort(r->cl[i].themes.v, r->cl[i].themes.n, sizeof(kv), kv_cmp);
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    cx_free(merges);
    cx_free(raw);
    return ret;
}

static theme *find_theme(rp *r, const char *id, int top) {
    for (size_t i = 0; i < r->nth; i++)
        if (r->th[i].top == top && !strcmp(r->th[i].id, id)) return &r->th[i];
    return NULL;
}

/* Theme counts (records in the window, negative ones, growth windows) and
 * volume series, at the sub-theme level and rolled up to the top-level
 * parent (a record mentioning two sub-themes of one parent counts once). */
static int load_themes(rp *r) {
#define THEME_AGG(KEY)                                                                                     \
    "SELECT k, SUM(ts >= :t0), SUM(ts >= :t0 AND neg), SUM(ts > :w7), SUM(ts > :w14 AND ts <= :w7), MIN(ts) FROM " \
    "(SELECT " KEY " AS k, MAX(r.ts) AS ts, MAX(" THEME_NEG ") AS neg FROM " JOIN_RT                        \
    " WHERE r.ts <= :t1 GROUP BY k, rt.topic, rt.partition, rt.\"offset\") GROUP BY k"
#define THEME_SERIES(KEY)                                                                                 \
    "SELECT k, " BUCKET ", COUNT(*) FROM (SELECT " KEY " AS k, MAX(r.ts) AS ts FROM " JOIN_RT              \
    " WHERE r.ts BETWEEN :t0 AND :t1 GROUP BY k, rt.topic, rt.partition, rt.\"offset\") GROUP BY 1, 2"
    static const char *const agg[2] = {THEME_AGG(KEY_SUB), THEME_AGG(KEY_TOP)};
    static const char *const series[2] = {THEME_SERIES(KEY_SUB), THEME_SERIES(KEY_TOP)};
    if (!r->has_themes) return 0;
    size_t cap = 0;
    int rc;
    for (int top = 0; top < 2; top++) {
        sqlite3_stmt *st = prep(r, agg[top]);
        if (!st) return -1;
        while ((rc = step(r, st)) == 1) {
            const char *id = ctext(st, 0);
            long long n = sqlite3_column_int64(st, 1);
            if (n <= 0 || (!top && !strchr(id, '.'))) continue; /* top-level ids come from the roll-up */
            if (r->nth == cap) {
                size_t nc = cap ? cap * 2 : 32;
                theme *nv = cx_realloc(r->th, nc * sizeof *nv);
                if (!nv) { sqlite3_finalize(st); return oom(r); }
                r->th = nv;
                cap = nc;
            }
            theme *t = &r->th[r->nth];
            memset(t, 0, sizeof *t);
            t->top = top;
            t->n = n;
            t->neg = sqlite3_column_int64(st, 2);
            t->last7 = sqlite3_column_int64(st, 3);
            t->prev7 = sqlite3_column_int64(st, 4);
            t->first_ts = sqlite3_column_int64(st, 5);
            t->id = cx_strdup(id);
            t->series = cx_calloc((size_t)r->nb, sizeof(long long));
            r->nth++;
            if (!t->id || !t->series) { sqlite3_finalize(st); return oom(r); }
        }
        sqlite3_finalize(st);
        if (rc < 0) return -1;
        if (!(st = prep(r, series[top]))) return -1;
        while ((rc = step(r, st)) == 1) {
            theme *t = find_theme(r, ctext(st, 0), top);
            int bi = bucket_index(r, sqlite3_column_int64(st, 1));
            if (t && bi >= 0) t->series[bi] += sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
        if (rc < 0) return -1;
    }
    sqlite3_stmt *st = prep(r, "SELECT COUNT(*) FROM records r WHERE r.ts BETWEEN :t0 AND :t1 AND EXISTS"
                               " (SELECT 1 FROM record_themes rt WHERE rt.topic = r.topic AND"
                               " rt.partition = r.partition AND rt.\"offset\" = r.\"offset\")");
    if (!st) return -1;
    if ((rc = step(r, st)) == 1) r->n_themed = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
#undef THEME_AGG
#undef THEME_SERIES
}

/* ---- formatting helpers ---- */

static void esc(rp *r, const char *s) { cx_html_escape(r->b, s, 0); }

/* The display name of a theme id: its taxonomy name, else the id. */
static const char *theme_name(const rp *r, const char *id) {
    const char *n = cx_rp_taxo_name(&r->taxo, id);
    return n ? n : id;
}

static const char *cluster_label(const cluster *c, char *buf, size_t n) {
    if (c->label && *c->label) return c->label;
    snprintf(buf, n, "cluster #%lld", (long long)c->id);
    return buf;
}

static void lang_html(rp *r, const char *code) {
    const char *name = cx_rp_lang_name(code);
    esc(r, name ? name : code);
}

/* Growth of the last 7 days of data against the 7 days before, as HTML.
 * Nothing in the week before: "new" when the group's first record
 * (first_ts) is in the last week, "back" when it was seen earlier.  bad_up
 * colours a rise red and a fall green (for complaint-like groups). */
static void growth_html(rp *r, long long last, long long prev, int64_t first_ts, int bad_up) {
    if (!r->have_prev) {
        LIT(r->b, "<span class=\"t-mut\" title=\"needs two weeks of data\">n/a</span>");
        return;
    }
    cx_buf_printf(r->b, "<span title=\"last 7 days: %lld, 7 days before: %lld\"", last, prev);
    if (!last && !prev) LIT(r->b, " class=\"t-mut\">\xE2\x80\x93</span>");
    else if (!prev) cx_buf_printf(r->b, "%s>%s</span>", bad_up ? " class=\"t-neg\"" : "", first_ts > r->w7 ? "new" : "back");
    else {
        double pct = 100.0 * (double)(last - prev) / (double)prev;
        if (fabs(pct) < 5) LIT(r->b, " class=\"t-mut\">steady</span>");
        else if (pct > 0) cx_buf_printf(r->b, "%s>\xE2\x96\xB2 +%.0f%%</span>", bad_up ? " class=\"t-neg\"" : "", pct);
        else cx_buf_printf(r->b, "%s>\xE2\x96\xBC \xE2\x88\x92%.0f%%</span>", bad_up ? " class=\"t-pos\"" : "", -pct);
    }
}

static const char *window_text(const rp *r, char *buf, size_t n) {
    int64_t s = r->o->since_ms;
    if (s <= 0) snprintf(buf, n, "all data");
    else if (s % (7 * CX_DAY_MS) == 0 && s >= 14 * CX_DAY_MS) snprintf(buf, n, "last %lld weeks", (long long)(s / (7 * CX_DAY_MS)));
    else if (s % CX_DAY_MS == 0) snprintf(buf, n, "last %lld day%s", (long long)(s / CX_DAY_MS), s == CX_DAY_MS ? "" : "s");
    else snprintf(buf, n, "last %lld hours", (long long)(s / CX_HOUR_MS));
    return buf;
}

/* Count of whole days covered by the period (at least 1). */
static long long period_days(const rp *r) {
    long long d = (long long)((r->last - r->first) / CX_DAY_MS) + 1;
    return d < 1 ? 1 : d;
}

/* ---- sections ---- */

static void page_head(rp *r) {
    const char *title = r->o->title && *r->o->title ? r->o->title : "Customer feedback report";
    LIT(r->b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'");
    /* the dashboard's page runs its own inline script and asks its own server */
    if (r->o->dashboard) LIT(r->b, "; script-src 'unsafe-inline'; connect-src 'self'");
    LIT(r->b, "\">\n<meta name=\"generator\" content=\"cxflow-report " CX_VERSION "\">\n<title>");
    esc(r, title);
    LIT(r->b, "</title>\n");
    cx_rp_css(r->b);
    if (r->o->dashboard) cx_rp_dash_script(r->b, r->o->refresh_s);
    LIT(r->b, "</head>\n<body>\n<main class=\"wrap\">\n<header>\n");
    if (r->o->dashboard) cx_rp_dash_bar(r->b);
    LIT(r->b, "<h1>");
    esc(r, title);
    LIT(r->b, "</h1>\n<p class=\"sub\">");
    if (r->n > 0) {
        char a[32], b[32], c[32], w[48];
        cx_buf_printf(r->b, "%s records \xC2\xB7 %s \xE2\x80\x93 %s UTC \xC2\xB7 window: %s",
                      cx_rp_count(r->n, c, sizeof c), cx_rp_date(r->first, 1, a, sizeof a),
                      cx_rp_date(r->last, 1, b, sizeof b), window_text(r, w, sizeof w));
    } else
        LIT(r->b, "no records");
    LIT(r->b, "</p>\n");
    if (r->n > 0)
        LIT(r->b, "<nav class=\"toc\"><a href=\"#summary\">Summary</a><a href=\"#timeline\">Sentiment over time</a>"
                  "<a href=\"#themes\">Themes</a><a href=\"#clusters\">Root causes</a>"
                  "<a href=\"#breakdowns\">Breakdowns</a></nav>\n");
    LIT(r->b, "</header>\n");
}

static void page_foot(rp *r) {
    char now[32];
    int64_t t = r->o->now_ms ? r->o->now_ms : cx_now_ms();
    LIT(r->b, "<footer>Generated by cxflow-report " CX_VERSION " on ");
    cx_buf_printf(r->b, "%s UTC from <bdi>", cx_rp_date(t, 1, now, sizeof now));
    esc(r, r->o->db_path);
    LIT(r->b, "</bdi>. All times are UTC. Sentiment labels come from the tag stage; a theme counts as negative for "
              "a record when the clauses that mention it score \xE2\x89\xA4 \xE2\x88\x92" "0.05 (without a theme score, "
              "when the record is negative). Growth compares the last 7 days of data with the 7 days before. "
              "Clusters merged into another are counted with it.</footer>\n</main>\n</body>\n</html>\n");
}

static void sec_empty(rp *r) {
    LIT(r->b, "<section id=\"summary\"><h2>Summary</h2><p>No records in the selected period. Run the pipeline "
              "(tools/cxflow run or the demo) and produce the report again.</p></section>\n");
}

/* One sentence about a cluster for the summary: size, negativity, growth,
 * languages and main theme. */
static void cluster_sentence(rp *r, const cluster *c) {
    char lb[48], a[32], p[32];
    LIT(r->b, "<li><b><bdi>");
    esc(r, cluster_label(c, lb, sizeof lb));
    cx_buf_printf(r->b, "</bdi></b> \xE2\x80\x94 %s records (%s of all), %s negative", cx_rp_count(c->n, a, sizeof a),
                  cx_rp_pct(c->n, r->n, p, sizeof p), cx_rp_pct(c->neg, c->n, lb, sizeof lb));
    if (r->have_prev) {
        if (!c->prev7 && c->last7 && c->first_ts > r->w7) LIT(r->b, ", <b class=\"t-neg\">new in the last 7 days</b>");
        else if (!c->prev7 && c->last7) LIT(r->b, ", <b class=\"t-neg\">back in the last 7 days</b> after a quiet week");
        else if (c->prev7) {
            double pct = 100.0 * (double)(c->last7 - c->prev7) / (double)c->prev7;
            if (pct >= 5) cx_buf_printf(r->b, ", <b class=\"t-neg\">up %.0f%%</b> week on week", pct);
            else if (pct <= -5) cx_buf_printf(r->b, ", down %.0f%% week on week", -pct);
            else LIT(r->b, ", steady week on week");
        }
    }
    if (c->langs.n == 1) {
        LIT(r->b, "; all in ");
        lang_html(r, c->langs.v[0].key);
    } else if (c->langs.n > 1) {
        LIT(r->b, "; mostly ");
        lang_html(r, c->langs.v[0].key);
        cx_buf_printf(r->b, " (%s) and ", cx_rp_pct(c->langs.v[0].n, c->n, p, sizeof p));
        lang_html(r, c->langs.v[1].key);
        cx_buf_printf(r->b, " (%s)", cx_rp_pct(c->langs.v[1].n, c->n, p, sizeof p));
    }
    if (c->themes.n) {
        LIT(r->b, "; mainly about ");
        esc(r, theme_name(r, c->themes.v[0].key));
    }
    LIT(r->b, ".</li>\n");
}

/* 1. Headline summary: key figures as cards, then the top root causes in
 * one sentence each. */
static int sec_summary(rp *r) {
    char a[48], b[48], c[48];
    long long n_rating = 0, n_nps = 0, nps_pro = 0, nps_det = 0, n_dead = -1, n_langs = 0;
    double avg_rating = 0, avg_nps = 0;
    counter langs = {0};
    int rc;
    sqlite3_stmt *st = prep(r, "SELECT SUM(score_kind = 'rating'), AVG(CASE WHEN score_kind = 'rating' THEN score END),"
                               " SUM(score_kind = 'nps'), AVG(CASE WHEN score_kind = 'nps' THEN score END),"
                               " SUM(score_kind = 'nps' AND score >= 9), SUM(score_kind = 'nps' AND score <= 6)"
                               " FROM records WHERE ts BETWEEN :t0 AND :t1 AND score IS NOT NULL");
    if (!st) return -1;
    if ((rc = step(r, st)) == 1) {
        n_rating = sqlite3_column_int64(st, 0);
        avg_rating = sqlite3_column_double(st, 1);
        n_nps = sqlite3_column_int64(st, 2);
        avg_nps = sqlite3_column_double(st, 3);
        nps_pro = sqlite3_column_int64(st, 4);
        nps_det = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;
    if (r->has_dead) {
        if (!(st = prep(r, "SELECT COUNT(*) FROM dead_letters"))) return -1;
        if ((rc = step(r, st)) == 1) n_dead = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc < 0) return -1;
    }
    if (!(st = prep(r, "SELECT COALESCE(NULLIF(lang, ''), 'und') AS k, COUNT(*) FROM records"
                       " WHERE ts BETWEEN :t0 AND :t1 GROUP BY k ORDER BY 2 DESC, k")))
        return -1;
    while ((rc = step(r, st)) == 1) {
        if (strcmp(ctext(st, 0), "und")) n_langs++;
        if (counter_add(&langs, ctext(st, 0), sqlite3_column_int64(st, 1)) < 0) { rc = oom(r); break; }
    }
    sqlite3_finalize(st);
    if (rc < 0) { counter_free(&langs); return -1; }

    LIT(r->b, "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"kpis\">\n");
    cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">Records analysed</div><div class=\"v\">%s</div>"
                        "<div class=\"d\">%s \xE2\x80\x93 %s (%lld day%s)</div></div>\n",
                  cx_rp_count(r->n, a, sizeof a), cx_rp_date(r->first, 0, b, sizeof b),
                  cx_rp_date(r->last, 0, c, sizeof c), period_days(r), period_days(r) == 1 ? "" : "s");
    if (r->n_other == r->n)
        LIT(r->b, "<div class=\"kpi\"><div class=\"k\">Negative</div><div class=\"v t-mut\">\xE2\x80\x93</div>"
                  "<div class=\"d\">no record has a sentiment label yet</div>");
    else {
        cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">Negative</div><div class=\"v t-neg\">%s</div>",
                      cx_rp_pct(r->n_neg, r->n, a, sizeof a));
        cx_buf_printf(r->b, "<div class=\"d\">neutral %s \xC2\xB7 positive %s", cx_rp_pct(r->n_neu, r->n, b, sizeof b),
                      cx_rp_pct(r->n_pos, r->n, c, sizeof c));
        if (r->n_other) cx_buf_printf(r->b, " \xC2\xB7 untagged %s", cx_rp_pct(r->n_other, r->n, a, sizeof a));
        LIT(r->b, "</div>");
    }
    cx_rp_svg_mix(r->b, r->n_neg, r->n_neu, r->n_pos, r->n_other);
    LIT(r->b, "</div>\n");
    cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">Languages</div><div class=\"v\">%lld</div><div class=\"d\">",
                  n_langs);
    for (size_t i = 0; i < langs.n && i < 4; i++) {
        if (i) LIT(r->b, " \xC2\xB7 ");
        lang_html(r, langs.v[i].key);
        cx_buf_printf(r->b, " %s", cx_rp_pct(langs.v[i].n, r->n, a, sizeof a));
    }
    LIT(r->b, "</div></div>\n");
    if (n_rating > 0)
        cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">Average rating</div><div class=\"v\">%.1f / 5</div>"
                            "<div class=\"d\">from %s ratings</div></div>\n",
                      avg_rating, cx_rp_count(n_rating, a, sizeof a));
    if (n_nps > 0) {
        double nps = 100.0 * (double)(nps_pro - nps_det) / (double)n_nps;
        cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">NPS</div><div class=\"v%s\">%s</div>"
                            "<div class=\"d\">%s answers, average %.1f / 10</div></div>\n",
                      nps < 0 ? " t-neg" : "", cx_rp_signed(nps, 0, a, sizeof a), cx_rp_count(n_nps, b, sizeof b), avg_nps);
    }
    if (n_dead >= 0)
        cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">Dead letters</div><div class=\"v%s\">%s</div>"
                            "<div class=\"d\">records a stage could not process (all time)</div></div>\n",
                      n_dead ? " t-neg" : "", cx_rp_count(n_dead, a, sizeof a));
    cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">Root-cause clusters</div><div class=\"v\">%s</div>"
                        "<div class=\"d\">holding %s of records</div></div>\n</div>\n",
                  cx_rp_count((long long)r->n_clusters_total, a, sizeof a), cx_rp_pct(r->n_clustered, r->n, b, sizeof b));
    counter_free(&langs);

    LIT(r->b, "<h4>Top root causes</h4>\n");
    if (!r->ncl) LIT(r->b, "<p class=\"note\">No records have been clustered in this period yet.</p>\n");
    else {
        LIT(r->b, "<ol class=\"top\">\n");
        for (size_t i = 0; i < r->ncl && i < HEADLINE_CLUSTERS; i++) cluster_sentence(r, &r->cl[i]);
        LIT(r->b, "</ol>\n");
    }
    LIT(r->b, "</section>\n");
    return 0;
}

/* 2. Sentiment over time: volume per bucket stacked by label, plus the
 * busiest and the most negative bucket in words. */
static int sec_timeline(rp *r) {
    long long *v = cx_calloc((size_t)r->nb * 4, sizeof *v);
    if (!v) return oom(r);
    sqlite3_stmt *st = prep(r, "SELECT " BUCKET ", SUM(label = 'negative'), SUM(label = 'neutral'),"
                               " SUM(label = 'positive'), COUNT(*) FROM records WHERE ts BETWEEN :t0 AND :t1 GROUP BY 1");
    if (!st) { cx_free(v); return -1; }
    int rc;
    while ((rc = step(r, st)) == 1) {
        int bi = bucket_index(r, sqlite3_column_int64(st, 0));
        if (bi < 0) continue;
        long long neg = sqlite3_column_int64(st, 1), neu = sqlite3_column_int64(st, 2), pos = sqlite3_column_int64(st, 3);
        v[bi] = neg;
        v[r->nb + bi] = neu;
        v[2 * r->nb + bi] = pos;
        v[3 * r->nb + bi] = sqlite3_column_int64(st, 4) - neg - neu - pos;
    }
    sqlite3_finalize(st);
    if (rc < 0) { cx_free(v); return -1; }
    cx_rp_stack s = {r->nb, {v, v + r->nb, v + 2 * r->nb, v + 3 * r->nb}, r->start_ms, r->bucket_ms, r->bucket_name};
    cx_buf_printf(r->b, "<section id=\"timeline\">\n<h2>Sentiment over time</h2>\n"
                        "<p class=\"sub\">Records per %s (UTC), stacked by sentiment label. Hover a bar for its counts.</p>\n"
                        "<div class=\"scroll\">",
                  r->bucket_name);
    cx_rp_svg_timeline(r->b, &s);
    LIT(r->b, "</div>\n<div class=\"legend\"><span><i class=\"neg\"></i>negative</span><span><i class=\"neu\"></i>neutral"
              "</span><span><i class=\"pos\"></i>positive</span>");
    if (r->n_other) LIT(r->b, "<span><i class=\"oth\"></i>untagged</span>");
    LIT(r->b, "</div>\n");
    /* busiest bucket, and the most negative one among buckets with a fair volume */
    int busiest = -1, worst = -1;
    long long max = 0, minvol = r->n / (r->nb * 2LL) + 1;
    if (minvol < 3) minvol = 3;
    double worst_share = -1;
    for (int i = 0; i < r->nb; i++) {
        long long tot = v[i] + v[r->nb + i] + v[2 * r->nb + i] + v[3 * r->nb + i];
        if (tot > max) { max = tot; busiest = i; }
        double share = tot ? (double)v[i] / (double)tot : 0;
        if (tot >= minvol && share > worst_share) { worst_share = share; worst = i; }
    }
    if (busiest >= 0 && r->nb > 1) {
        char d[32], c[32], p[32];
        int hour = !strcmp(r->bucket_name, "hour");
        const char *what = hour ? "hour" : !strcmp(r->bucket_name, "week") ? "week (starting)" : "day";
        cx_buf_printf(r->b, "<p class=\"note\">Busiest %s: %s with %s record%s.", what,
                      cx_rp_date(r->start_ms + busiest * r->bucket_ms, hour, d, sizeof d), cx_rp_count(max, c, sizeof c),
                      max == 1 ? "" : "s");
        if (worst >= 0 && v[worst] > 0) {
            long long tot = v[worst] + v[r->nb + worst] + v[2 * r->nb + worst] + v[3 * r->nb + worst];
            cx_buf_printf(r->b, " Most negative %s: %s, %s of %s records negative.", what,
                          cx_rp_date(r->start_ms + worst * r->bucket_ms, hour, d, sizeof d),
                          cx_rp_pct(v[worst], tot, p, sizeof p), cx_rp_count(tot, c, sizeof c));
        }
        LIT(r->b, "</p>\n");
    }
    LIT(r->b, "</section>\n");
    cx_free(v);
    return 0;
}

static int theme_cmp_n(const void *a, const void *b) {
    const theme *x = *(const theme *const *)a, *y = *(const theme *const *)b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int theme_cmp_neg(const void *a, const void *b) {
    const theme *x = *(const theme *const *)a, *y = *(const theme *const *)b;
    double sx = (double)x->neg / (double)x->n, sy = (double)y->neg / (double)y->n;
    if (sx != sy) return sx > sy ? -1 : 1;
    return theme_cmp_n(a, b);
}

/* One row of the volume table. */
static void theme_row(rp *r, const theme *t, long long maxn) {
    char a[32], b[32], title[300];
    double negshare = t->n ? (double)t->neg / (double)t->n : 0;
    cx_buf_printf(r->b, "<tr class=\"%s\"><td class=\"name\"><bdi>", t->top ? "parent" : "child");
    esc(r, theme_name(r, t->id));
    LIT(r->b, "</bdi>");
    if (cx_rp_taxo_name(&r->taxo, t->id)) {
        LIT(r->b, "<span class=\"id\">");
        esc(r, t->id);
        LIT(r->b, "</span>");
    }
    cx_buf_printf(r->b, "</td><td class=\"num\">%s</td><td>", cx_rp_count(t->n, a, sizeof a));
    snprintf(title, sizeof title, "%s of all records", cx_rp_pct(t->n, r->n, b, sizeof b));
    cx_rp_svg_bar(r->b, maxn ? (double)t->n / (double)maxn : 0, "acc", title);
    cx_buf_printf(r->b, "</td><td class=\"num%s\">%s</td><td>", negshare >= 0.5 ? " t-neg" : "",
                  cx_rp_pct(t->neg, t->n, a, sizeof a));
    snprintf(title, sizeof title, "%lld of %lld negative", t->neg, t->n);
    cx_rp_svg_bar(r->b, negshare, "neg", title);
    LIT(r->b, "</td><td>");
    snprintf(title, sizeof title, "%s per %s", theme_name(r, t->id), r->bucket_name);
    cx_rp_svg_spark(r->b, t->series, r->nb, negshare >= 0.5 ? "s-neg" : "s-acc", title);
    LIT(r->b, "</td><td class=\"num\">");
    growth_html(r, t->last7, t->prev7, t->first_ts, negshare >= 0.5);
    LIT(r->b, "</td></tr>\n");
}

/* 3. Themes: every top-level theme by volume with its sub-themes under it,
 * then themes (both levels) ranked by negative share. */
static int sec_themes(rp *r) {
    char a[32], b[32], c[32];
    LIT(r->b, "<section id=\"themes\">\n<h2>Themes</h2>\n");
    if (!r->nth) {
        LIT(r->b, "<p class=\"note\">No themes were tagged in this period.</p>\n</section>\n");
        return 0;
    }
    theme **v = cx_malloc(r->nth * sizeof *v);
    if (!v) return oom(r);
    for (size_t i = 0; i < r->nth; i++) v[i] = &r->th[i];
    qsort(v, r->nth, sizeof *v, theme_cmp_n);
    long long maxn = 0;
    for (size_t i = 0; i < r->nth; i++)
        if (v[i]->top && v[i]->n > maxn) maxn = v[i]->n;
    cx_buf_printf(r->b, "<p class=\"sub\">%s of %s records (%s) mention at least one theme. Sub-themes are listed "
                        "under their parent, whose counts include them (each record once).</p>\n",
                  cx_rp_count(r->n_themed, a, sizeof a), cx_rp_count(r->n, b, sizeof b),
                  cx_rp_pct(r->n_themed, r->n, c, sizeof c));
    cx_buf_printf(r->b, "<h4>By volume</h4>\n<div class=\"scroll\"><table>\n<thead><tr><th>Theme</th>"
                        "<th class=\"num\">Records</th><th>Volume</th><th class=\"num\">Negative</th><th></th>"
                        "<th>Trend per %s</th><th class=\"num\">7 days vs prior</th></tr></thead>\n<tbody>\n",
                  r->bucket_name);
    for (size_t i = 0; i < r->nth; i++) {
        if (!v[i]->top) continue;
        theme_row(r, v[i], maxn);
        size_t pl = strlen(v[i]->id), shown = 0, hidden = 0;
        for (size_t k = 0; k < r->nth; k++) {
            const theme *s = v[k];
            if (s->top || strncmp(s->id, v[i]->id, pl) || s->id[pl] != '.') continue;
            if (shown < SUBTHEMES_SHOWN) { theme_row(r, s, maxn); shown++; }
            else hidden++;
        }
        if (hidden)
            cx_buf_printf(r->b, "<tr class=\"child\"><td class=\"t-mut\" colspan=\"7\">and %zu smaller sub-theme%s</td></tr>\n",
                          hidden, hidden == 1 ? "" : "s");
    }
    LIT(r->b, "</tbody></table></div>\n");

    /* ranked by negative share, among themes with a meaningful volume */
    long long min_n = r->n / 200 > 3 ? r->n / 200 : 3;
    size_t k = 0;
    for (size_t i = 0; i < r->nth; i++)
        if (r->th[i].n >= min_n && r->th[i].neg > 0) v[k++] = &r->th[i];
    if (k) {
        qsort(v, k, sizeof *v, theme_cmp_neg);
        cx_buf_printf(r->b, "<h4>By negative share</h4>\n<p class=\"note\">Themes with at least %lld records.</p>\n"
                            "<div class=\"scroll\"><table>\n<thead><tr><th>Theme</th><th class=\"num\">Negative</th><th></th>"
                            "<th class=\"num\">Records</th><th class=\"num\">7 days vs prior</th></tr></thead>\n<tbody>\n",
                      min_n);
        for (size_t i = 0; i < k && i < NEG_RANK_ROWS; i++) {
            const theme *t = v[i];
            LIT(r->b, "<tr><td class=\"name\"><bdi>");
            if (!t->top) {
                char parent[256];
                const char *dot = strchr(t->id, '.');
                snprintf(parent, sizeof parent, "%.*s", (int)(dot - t->id), t->id);
                esc(r, theme_name(r, parent));
                LIT(r->b, " \xE2\x80\xBA ");
            }
            esc(r, theme_name(r, t->id));
            cx_buf_printf(r->b, "</bdi></td><td class=\"num t-neg\">%s</td><td>", cx_rp_pct(t->neg, t->n, a, sizeof a));
            cx_rp_svg_bar(r->b, (double)t->neg / (double)t->n, "neg", NULL);
            cx_buf_printf(r->b, "</td><td class=\"num\">%s</td><td class=\"num\">", cx_rp_count(t->n, a, sizeof a));
            growth_html(r, t->last7, t->prev7, t->first_ts, 1);
            LIT(r->b, "</td></tr>\n");
        }
        LIT(r->b, "</tbody></table></div>\n");
    }
    LIT(r->b, "</section>\n");
    cx_free(v);
    return 0;
}

/* A verbatim: dir="rtl" when most of its letters are Arabic-script or
 * Hebrew (Persian, Arabic, Urdu, Hebrew - even when it starts with a Latin
 * brand name), dir="auto" otherwise; lang from the record; text escaped and
 * cut to VERBATIM_CHARS. */
static void verbatim(rp *r, const char *text, const char *lang) {
    cx_buf_printf(r->b, "<blockquote class=\"vb\" dir=\"%s\"", cx_rp_text_dir(text));
    cx_rp_lang_attr(r->b, lang);
    LIT(r->b, ">");
    cx_html_escape(r->b, text, VERBATIM_CHARS);
    if (lang && *lang) {
        LIT(r->b, "<small dir=\"ltr\">");
        esc(r, lang);
        LIT(r->b, "</small>");
    }
    LIT(r->b, "</blockquote>\n");
}

/* Up to N_EXAMPLES verbatims of a cluster: the cluster stage's chosen
 * examples (cluster_examples, the root cluster first, then clusters merged
 * into it), topped up with its most recent records in the period; a text
 * already shown is not repeated. */
static int cluster_examples(rp *r, const cluster *c) {
    char *seen[N_EXAMPLES];
    int shown = 0, rc = 0;
    for (int pass = 0; pass < 2 && shown < N_EXAMPLES && rc >= 0; pass++) {
        if (pass == 0 && !r->has_examples) continue;
        sqlite3_stmt *st = prep(r, pass == 0 ? "SELECT text, lang FROM cluster_examples WHERE cluster_id = ?1"
                                               " AND text IS NOT NULL AND text <> '' ORDER BY rank LIMIT ?2"
                                             : "SELECT text, lang FROM records WHERE cluster_id = ?1 AND ts BETWEEN"
                                               " :t0 AND :t1 ORDER BY ts DESC LIMIT ?2");
        if (!st) { rc = -1; break; }
        for (size_t m = 0; m < c->nmem && shown < N_EXAMPLES && rc >= 0; m++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, c->members[m]);
            sqlite3_bind_int(st, 2, 2 * N_EXAMPLES); /* room for repeats */
            while (shown < N_EXAMPLES && (rc = step(r, st)) == 1) {
                const char *text = ctext(st, 0);
                int dup = 0;
                for (int k = 0; k < shown && !dup; k++) dup = !strcmp(seen[k], text);
                if (dup) continue;
                if (!(seen[shown] = cx_strdup(text))) { rc = oom(r); break; }
                verbatim(r, text, ctext(st, 1));
                shown++;
            }
        }
        sqlite3_finalize(st);
    }
    for (int k = 0; k < shown; k++) cx_free(seen[k]);
    if (rc < 0) return -1;
    if (!shown) LIT(r->b, "<p class=\"note\">No examples stored.</p>\n");
    return 0;
}

/* 4. Top root-cause clusters, each with its figures, languages, themes,
 * trend and example verbatims. */
static int sec_clusters(rp *r) {
    char a[48], b[48], lb[48];
    LIT(r->b, "<section id=\"clusters\">\n<h2>Top root causes</h2>\n");
    if (!r->ncl) {
        LIT(r->b, "<p class=\"note\">No records have been clustered in this period yet.</p>\n</section>\n");
        return 0;
    }
    cx_buf_printf(r->b, "<p class=\"sub\">Clusters of feedback about the same problem, ordered by records in the period. "
                        "%s clusters hold %s records (%s of all)",
                  cx_rp_count((long long)r->n_clusters_total, a, sizeof a), cx_rp_count(r->n_clustered, b, sizeof b),
                  cx_rp_pct(r->n_clustered, r->n, lb, sizeof lb));
    if (r->n_clusters_total > r->ncl) cx_buf_printf(r->b, "; the %zu largest are shown", r->ncl);
    LIT(r->b, ".</p>\n");
    for (size_t i = 0; i < r->ncl; i++) {
        const cluster *c = &r->cl[i];
        double avg = c->nsent ? c->ssum / (double)c->nsent : 0;
        cx_buf_printf(r->b, "<div class=\"cl\" id=\"cluster-%lld\">\n<div class=\"cl-head\"><span class=\"rank\">#%zu</span>"
                            "<h3 dir=\"%s\">",
                      (long long)c->id, i + 1, cx_rp_text_dir(cluster_label(c, lb, sizeof lb)));
        esc(r, cluster_label(c, lb, sizeof lb));
        LIT(r->b, "</h3>");
        if (c->status && strcmp(c->status, "live")) {
            LIT(r->b, "<span class=\"badge\">");
            esc(r, c->status);
            LIT(r->b, "</span>");
        }
        if (c->nmem > 1) cx_buf_printf(r->b, "<span class=\"badge\">%zu merged clusters</span>", c->nmem);
        cx_buf_printf(r->b, "</div>\n<div class=\"facts\"><span><b>%s</b> records (%s)</span>",
                      cx_rp_count(c->n, a, sizeof a), cx_rp_pct(c->n, r->n, b, sizeof b));
        LIT(r->b, "<span>7 days vs prior: <b>");
        growth_html(r, c->last7, c->prev7, c->first_ts, avg < 0);
        cx_buf_printf(r->b, "</b></span><span>avg sentiment <b class=\"%s\">%s</b></span>",
                      avg <= -0.05 ? "t-neg" : avg >= 0.05 ? "t-pos" : "", c->nsent ? cx_rp_signed(avg, 2, a, sizeof a) : "n/a");
        cx_buf_printf(r->b, "<span><b>%s</b> negative</span>", cx_rp_pct(c->neg, c->n, a, sizeof a));
        LIT(r->b, "<span>languages: <b>");
        for (size_t k = 0; k < c->langs.n && k < 4; k++) {
            if (k) LIT(r->b, ", ");
            lang_html(r, c->langs.v[k].key);
            cx_buf_printf(r->b, " %s", cx_rp_pct(c->langs.v[k].n, c->n, a, sizeof a));
        }
        if (c->langs.n > 4) cx_buf_printf(r->b, " +%zu", c->langs.n - 4);
        LIT(r->b, "</b></span>");
        if (c->themes.n) {
            LIT(r->b, "<span>themes: <b>");
            for (size_t k = 0; k < c->themes.n && k < 3; k++) {
                if (k) LIT(r->b, ", ");
                esc(r, theme_name(r, c->themes.v[k].key));
                cx_buf_printf(r->b, " (%lld)", c->themes.v[k].n);
            }
            LIT(r->b, "</b></span>");
        }
        LIT(r->b, "</div>\n<div class=\"cl-body\"><div class=\"ex\">\n");
        if (cluster_examples(r, c) < 0) return -1;
        cx_buf_printf(r->b, "</div><div><h4>Records per %s</h4>", r->bucket_name);
        char title[200];
        snprintf(title, sizeof title, "records per %s", r->bucket_name);
        cx_rp_svg_spark(r->b, c->series, r->nb, avg < 0 ? "s-neg" : "s-acc", title);
        LIT(r->b, "</div></div>\n</div>\n");
    }
    LIT(r->b, "</section>\n");
    return 0;
}

/* One breakdown table: volume, sentiment mix, negative share and average
 * sentiment per value of a record field.  sql must select key, count,
 * negative, neutral, positive, average sentiment, ordered by count.  Returns
 * 1 when written, 0 when skipped (skip_if_only_none and nothing but
 * "(none)"), -1 on error. */
static int breakdown(rp *r, const char *heading, const char *col, const char *sql, int is_lang, int skip_if_only_none) {
    sqlite3_stmt *st = prep(r, sql);
    if (!st) return -1;
    size_t start = r->b->len;
    char a[48], b[48];
    int rc, rows = 0;
    long long more = 0, more_n = 0;
    cx_buf_printf(r->b, "<div><h4>%s</h4><div class=\"scroll\"><table>\n<thead><tr><th>%s</th><th class=\"num\">"
                        "Records</th><th>Sentiment</th><th class=\"num\">Negative</th><th class=\"num\">Avg</th></tr>"
                        "</thead>\n<tbody>\n",
                  heading, col);
    int only_none = 1;
    while ((rc = step(r, st)) == 1) {
        const char *k = ctext(st, 0);
        long long n = sqlite3_column_int64(st, 1), neg = sqlite3_column_int64(st, 2);
        long long neu = sqlite3_column_int64(st, 3), pos = sqlite3_column_int64(st, 4);
        if (strcmp(k, "(none)")) only_none = 0;
        if (rows >= BREAKDOWN_ROWS) { more++; more_n += n; continue; }
        rows++;
        LIT(r->b, "<tr><td class=\"name\"><bdi>");
        if (is_lang) {
            lang_html(r, k);
            LIT(r->b, "</bdi><span class=\"id\">");
            esc(r, k);
            LIT(r->b, "</span>");
        } else {
            esc(r, k);
            LIT(r->b, "</bdi>");
        }
        cx_buf_printf(r->b, "</td><td class=\"num\">%s</td><td>", cx_rp_count(n, a, sizeof a));
        cx_rp_svg_mix(r->b, neg, neu, pos, n - neg - neu - pos);
        cx_buf_printf(r->b, "</td><td class=\"num%s\">%s</td><td class=\"num\">%s</td></tr>\n",
                      n && 2 * neg >= n ? " t-neg" : "", cx_rp_pct(neg, n, a, sizeof a),
                      sqlite3_column_type(st, 5) == SQLITE_NULL ? "\xE2\x80\x93"
                                                                : cx_rp_signed(sqlite3_column_double(st, 5), 2, b, sizeof b));
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;
    if (more)
        cx_buf_printf(r->b, "<tr><td class=\"t-mut\" colspan=\"5\">%lld more with %s records</td></tr>\n", more,
                      cx_rp_count(more_n, a, sizeof a));
    LIT(r->b, "</tbody></table></div></div>\n");
    if (skip_if_only_none && only_none) {
        r->b->len = start;
        if (r->b->data) r->b->data[start] = '\0';
        return 0;
    }
    return 1;
}

/* 5. Breakdowns by channel, product and language (and region when the data
 * has regions). */
static int sec_breakdowns(rp *r) {
#define BREAKDOWN_SQL(EXPR)                                                                                     \
    "SELECT " EXPR " AS k, COUNT(*), SUM(label = 'negative'), SUM(label = 'neutral'), SUM(label = 'positive'),"  \
    " AVG(sentiment) FROM records WHERE ts BETWEEN :t0 AND :t1 GROUP BY k ORDER BY 2 DESC, k"
    LIT(r->b, "<section id=\"breakdowns\">\n<h2>Breakdowns</h2>\n<p class=\"sub\">Volume, sentiment mix and negative "
              "share by channel, product and language.</p>\n<div class=\"grid2\">\n");
    if (breakdown(r, "By channel", "Channel", BREAKDOWN_SQL("COALESCE(NULLIF(channel, ''), '(none)')"), 0, 0) < 0 ||
        breakdown(r, "By product", "Product", BREAKDOWN_SQL("COALESCE(NULLIF(product, ''), '(none)')"), 0, 0) < 0 ||
        breakdown(r, "By language", "Language", BREAKDOWN_SQL("COALESCE(NULLIF(lang, ''), 'und')"), 1, 0) < 0 ||
        breakdown(r, "By region", "Region", BREAKDOWN_SQL("COALESCE(NULLIF(region, ''), '(none)')"), 0, 1) < 0)
        return -1;
    LIT(r->b, "</div>\n</section>\n");
    return 0;
#undef BREAKDOWN_SQL
}

/* ---- output ---- */

/* Write data to path through a temporary file renamed into place, so a
 * reader never sees half a report. */
static int write_file(const char *path, const char *data, size_t len, char *err, size_t errlen) {
    char tmp[4200];
    if (cx_mkdirs(path, 1) < 0) {
        snprintf(err, errlen, "cannot create the directory of %s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int cx_report_parse_since(const char *s, int64_t *ms) {
    if (!s || !*s) return -1;
    if (!strcmp(s, "all")) { *ms = 0; return 0; }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v <= 0 || !isdigit((unsigned char)s[0]) || end[0] == '\0' || end[1] != '\0') return -1;
    int64_t unit = end[0] == 'h' ? CX_HOUR_MS : end[0] == 'd' ? CX_DAY_MS : end[0] == 'w' ? 7 * CX_DAY_MS : 0;
    if (!unit || v > INT64_MAX / unit) return -1;
    *ms = v * unit;
    return 0;
}

int cx_report_render(const cx_report_opts *o, cx_buf *out, char *err, size_t errlen) {
    if (!o || !o->db_path || !*o->db_path || !out) {
        snprintf(err, errlen, "no database given");
        return -1;
    }
    rp r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.err = err;
    r.errlen = errlen;
    r.b = out;
    int rc = -1;
    if (open_db(&r) < 0 || cx_rp_taxo_load(&r.taxo, o->lexicons_dir, err, errlen) < 0 || load_overview(&r) < 0)
        goto done;
    if (r.n > 0 && (load_clusters(&r) < 0 || load_themes(&r) < 0)) goto done;
    page_head(&r);
    if (r.n == 0) sec_empty(&r);
    else if (sec_summary(&r) < 0 || sec_timeline(&r) < 0 || sec_themes(&r) < 0 || sec_clusters(&r) < 0 ||
             sec_breakdowns(&r) < 0)
        goto done;
    page_foot(&r);
    if (out->oom) { oom(&r); goto done; }
    rc = 0;
done:
    if (r.db) {
        sqlite3_exec(r.db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(r.db);
    }
    for (size_t i = 0; i < r.ncl; i++) cluster_free(&r.cl[i]);
    cx_free(r.cl);
    for (size_t i = 0; i < r.nth; i++) { cx_free(r.th[i].id); cx_free(r.th[i].series); }
    cx_free(r.th);
    cx_rp_taxo_free(&r.taxo);
    return rc;
}

int cx_report_write(const cx_report_opts *o, char *err, size_t errlen) {
    if (!o || !o->db_path || !*o->db_path || !o->out_path || !*o->out_path) {
        snprintf(err, errlen, "no database or output path given");
        return -1;
    }
    cx_buf b;
    cx_buf_init(&b);
    int rc = cx_report_render(o, &b, err, errlen);
    if (rc == 0) rc = write_file(o->out_path, b.data, b.len, err, errlen);
    cx_buf_free(&b);
    return rc;
}
