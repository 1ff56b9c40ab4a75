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

/* "" s: only a string literal compiles (sizeof of a pointer would cut the text) */
#define LIT(b, s) cx_buf_append((b), "" s, sizeof(s) - 1)
#define PUT(b, s) cx_buf_append((b), (s), strlen(s))

#define TOP_CLUSTERS 10        /* clusters shown in the clusters section */
#define HEADLINE_CLUSTERS 3    /* ... and in the summary */
#define N_EXAMPLES 5           /* verbatims per cluster */
#define VERBATIM_CHARS 420     /* a verbatim is cut after this many characters */
#define BREAKDOWN_ROWS 12      /* rows per breakdown table */
#define SUBTHEMES_SHOWN 8      /* sub-themes listed under a parent theme */
#define NEG_RANK_ROWS 10       /* rows of the "by negative share" table */
#define ALERTS_SHOWN 15        /* rows of the spikes and alerts table */
#define HURTS_ROWS 6           /* rows per score of the "what hurts satisfaction most" table */
/* Score impact needs at least this many answers of the score (NPS or
 * rating) in the group and as many outside it: below that the interval of
 * a 0/100 NPS mean is wider than the scale and says nothing. */
#define IMPACT_MIN_N 5

/* The value of a scored record, as the summary's figures use it: NPS answers
 * (0-10) count +100 as promoters (9-10), -100 as detractors (0-6) and 0 as
 * passives, so their mean is the NPS; ratings (1-5) count their stars, so
 * their mean is the average rating.  Only these two kinds are scored. */
#define SCORE_V "(CASE WHEN r.score_kind = 'nps' THEN (CASE WHEN r.score >= 9 THEN 100.0 WHEN r.score <= 6" \
                " THEN -100.0 ELSE 0.0 END) ELSE r.score END)"
#define SCORED "r.score IS NOT NULL AND r.score_kind IN ('nps', 'rating')"

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

/* Sums of the score values (SCORE_V) of a group's records, one per score
 * kind (SC_NPS, SC_RATING): count, sum, sum of squares. */
enum { SC_NPS, SC_RATING, SC_KINDS };
typedef struct scsum { long long n; double s, s2; } scsum;
/* The impact of a group on the overall score (see impact_of). */
typedef struct impact { int ok; long long n; double v, lo, hi; } impact;

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
    int64_t last_ts;  /* its last record in the window */
    double ssum;
    counter langs, themes;
    long long *series;
    scsum sc[SC_KINDS];
} cluster;

/* One row of the themes table: a top-level theme (roll-up of its
 * sub-themes, each record counted once) or a sub-theme. */
typedef struct theme {
    char *id;
    int top;
    long long n, neg, last7, prev7, nsent;
    int64_t first_ts; /* first record mentioning it (any time) */
    double ssum;      /* theme sentiment (clause score, else the record's) over the window */
    long long *series;
    scsum sc[SC_KINDS];
    int shown;        /* has a row (and an anchor) in the by-volume table */
} theme;

typedef struct rp {
    const cx_report_opts *o;
    char *err;
    size_t errlen;
    sqlite3 *db;
    cx_buf *b;
    cx_rp_taxo taxo;
    int has_themes, has_clusters, has_examples, has_dead, has_alerts;
    int exporting;                /* cx_export_write: every cluster, no series */
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
    int64_t (*memidx)[2];         /* (member cluster id, index in cl) sorted by id */
    size_t nmemidx;
    /* themes */
    theme *th;
    size_t nth;
    long long n_themed;
    /* scores and alerts in the window */
    scsum sc_all[SC_KINDS];
    long long n_alerts;
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
    if ((r->has_alerts = has_table(r, "alerts")) < 0) return -1;
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
    int64_t first_ts, last_ts;
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
 * was merged into), or NULL when it is not among the top clusters.  A binary
 * search in memidx: an export holds every cluster, not ten. */
static cluster *top_cluster(rp *r, int64_t id) {
    size_t lo = 0, hi = r->nmemidx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->memidx[mid][0] < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->nmemidx && r->memidx[lo][0] == id ? &r->cl[r->memidx[lo][1]] : NULL;
}

static int memidx_cmp(const void *a, const void *b) {
    const int64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Index the members of the shown clusters for top_cluster. */
static int index_members(rp *r) {
    size_t n = 0;
    for (size_t i = 0; i < r->ncl; i++) n += r->cl[i].nmem;
    if (!n) return 0;
    if (!(r->memidx = cx_malloc(n * sizeof *r->memidx))) return oom(r);
    for (size_t i = 0; i < r->ncl; i++)
        for (size_t k = 0; k < r->cl[i].nmem; k++) {
            r->memidx[r->nmemidx][0] = r->cl[i].members[k];
            r->memidx[r->nmemidx++][1] = (int64_t)i;
        }
    qsort(r->memidx, r->nmemidx, sizeof *r->memidx, memidx_cmp);
    return 0;
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
                 " SUM(ts > :w7), SUM(ts > :w14 AND ts <= :w7), MIN(ts), MAX(ts)"
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
        c->last_ts = sqlite3_column_int64(st, 8);
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
        if (raw[i].last_ts > c->last_ts) c->last_ts = raw[i].last_ts;
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
    r->ncl = r->n_clusters_total < TOP_CLUSTERS || r->exporting ? r->n_clusters_total : TOP_CLUSTERS;
    for (size_t i = r->ncl; i < nall; i++) cluster_free(&all[i]);
    r->cl = all;
    if (index_members(r) < 0) goto out;

    for (size_t i = 0; i < r->ncl && !r->exporting; i++)
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
        if (c && c->series && bi >= 0) c->series[bi] += sqlite3_column_int64(st, 2);
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
    "SELECT k, SUM(ts >= :t0), SUM(ts >= :t0 AND neg), SUM(ts > :w7), SUM(ts > :w14 AND ts <= :w7), MIN(ts),"    \
    " SUM(CASE WHEN ts >= :t0 THEN s END), SUM(ts >= :t0 AND s IS NOT NULL) FROM "                           \
    "(SELECT " KEY " AS k, MAX(r.ts) AS ts, MAX(" THEME_NEG ") AS neg,"                                      \
    " AVG(COALESCE(rt.sentiment, r.sentiment)) AS s FROM " JOIN_RT                                            \
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
            t->ssum = sqlite3_column_double(st, 6);
            t->nsent = sqlite3_column_int64(st, 7);
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
    /* which sub-themes get a row in the by-volume table (the SUBTHEMES_SHOWN
     * largest of each parent, in sec_themes' order): links point only there */
    for (size_t i = 0; i < r->nth; i++) {
        theme *t = &r->th[i];
        const char *dot = strchr(t->id, '.');
        size_t pl = dot ? (size_t)(dot - t->id) : 0, rank = 0;
        for (size_t k = 0; k < r->nth && !t->top; k++) {
            const theme *o = &r->th[k];
            if (o->top || strncmp(o->id, t->id, pl) || o->id[pl] != '.') continue;
            if (o->n > t->n || (o->n == t->n && strcmp(o->id, t->id) < 0)) rank++;
        }
        t->shown = t->top || rank < SUBTHEMES_SHOWN;
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

/* Add the score sums of sql's rows (key, is rating, count, sum, sum of
 * squares) to the overall sums (what 0), the shown cluster of the key (1),
 * the sub-theme (2) or the top-level theme (3). */
static int score_rows(rp *r, const char *sql, int what) {
    sqlite3_stmt *st = prep(r, sql);
    if (!st) return -1;
    int rc;
    while ((rc = step(r, st)) == 1) {
        scsum *sc = NULL;
        if (what == 0) sc = r->sc_all;
        else if (what == 1) {
            cluster *c = top_cluster(r, sqlite3_column_int64(st, 0));
            if (c) sc = c->sc;
        } else {
            theme *t = find_theme(r, ctext(st, 0), what == 3);
            if (t) sc = t->sc;
        }
        if (!sc) continue;
        scsum *d = &sc[sqlite3_column_int(st, 1) ? SC_RATING : SC_NPS];
        d->n += sqlite3_column_int64(st, 2);
        d->s += sqlite3_column_double(st, 3);
        d->s2 += sqlite3_column_double(st, 4);
    }
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* Score sums in the window (SCORE_V per record, each record once per
 * group): overall, per shown cluster (merged clusters folded in) and per
 * theme at both levels.  impact_of turns them into impacts. */
static int load_scores(rp *r) {
#define SCORE_AGG(KEY, FROM, GROUP)                                                                          \
    "SELECT k, kind, COUNT(*), SUM(v), SUM(v * v) FROM (SELECT " KEY " AS k, r.score_kind = 'rating' AS kind,"  \
    " MAX(" SCORE_V ") AS v FROM " FROM " WHERE r.ts BETWEEN :t0 AND :t1 AND " SCORED " GROUP BY " GROUP ")"   \
    " GROUP BY 1, 2"
#define BY_RECORD "r.topic, r.partition, r.\"offset\""
    if (score_rows(r, SCORE_AGG("0", "records r", BY_RECORD), 0) < 0 ||
        score_rows(r, SCORE_AGG("r.cluster_id", "records r", BY_RECORD), 1) < 0)
        return -1;
    if (r->has_themes && (score_rows(r, SCORE_AGG(KEY_SUB, JOIN_RT, "k, " BY_RECORD), 2) < 0 ||
                          score_rows(r, SCORE_AGG(KEY_TOP, JOIN_RT, "k, " BY_RECORD), 3) < 0))
        return -1;
    return 0;
#undef SCORE_AGG
#undef BY_RECORD
}

/* Number of spike alerts raised in the window (none without the table:
 * databases before schema version 3). */
static int load_alerts(rp *r) {
    if (!r->has_alerts) return 0;
    sqlite3_stmt *st = prep(r, "SELECT COUNT(*) FROM alerts WHERE at BETWEEN :t0 AND :t1");
    if (!st) return -1;
    int rc = step(r, st);
    if (rc == 1) r->n_alerts = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* The variance of a mean of n values with sum of squares s2 and mean m:
 * s^2 / n with the Bessel-corrected s^2 (0 when rounding makes it negative). */
static double var_of_mean(double s2, double m, long long n) {
    double v = (s2 / (double)n - m * m) / (double)(n - 1);
    return v > 0 ? v : 0;
}

/* Impact of a group (score sums k) on the overall score of one kind: the
 * overall mean minus the mean of the records outside the group,
 *     I = m_O - m_R = (n_K / n_O) (m_K - m_R),
 * the cluster stage's definition (docs/TRENDS.md, "Score impact") with
 * every answer in the window weighing 1 instead of its time decay.  95%
 * interval by the normal approximation to the difference of two means (the
 * share n_K / n_O taken as fixed):
 *     SE = (n_K / n_O) sqrt(s_K^2 / n_K + s_R^2 / n_R),   I +- 1.96 SE.
 * ok = 0 with fewer than IMPACT_MIN_N answers in the group or outside it.
 * NPS impacts are in NPS points, rating impacts in stars. */
static impact impact_of(const rp *r, const scsum *k, int kind) {
    impact im = {0, k[kind].n, 0, 0, 0};
    const scsum *o = &r->sc_all[kind];
    long long nk = k[kind].n, nr = o->n - nk;
    if (nk < IMPACT_MIN_N || nr < IMPACT_MIN_N) return im;
    double mk = k[kind].s / (double)nk, mr = (o->s - k[kind].s) / (double)nr, mo = o->s / (double)o->n;
    double se = (double)nk / (double)o->n * sqrt(var_of_mean(k[kind].s2, mk, nk) + var_of_mean(o->s2 - k[kind].s2, mr, nr));
    im.ok = 1;
    im.v = mo - mr;
    im.lo = im.v - 1.96 * se;
    im.hi = im.v + 1.96 * se;
    return im;
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

/* The id attribute of a theme's row, also its link target: "theme-" and
 * the theme id with every byte other than letters, digits, '.', '_' and '-'
 * as "~XX", so an id from a user's taxonomy (spaces, quotes, non-ASCII)
 * still makes a valid fragment that needs no escaping. */
static void theme_anchor(rp *r, const char *id) {
    LIT(r->b, "theme-");
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (isalnum(*p) || *p == '.' || *p == '_' || *p == '-') cx_buf_append(r->b, p, 1);
        else cx_buf_printf(r->b, "~%02X", *p);
    }
}

static int any_scores(const rp *r) { return r->sc_all[SC_NPS].n > 0 || r->sc_all[SC_RATING].n > 0; }

/* A score impact as HTML: "−12.3" NPS points or "−0.42★", the 95% interval
 * in the title and, when long is set, after it.  Red when the whole
 * interval is below zero, green when above; "–" with too few answers. */
static void impact_html(rp *r, const impact *im, int kind, int long_form) {
    char v[48], lo[48], hi[48];
    int dec = kind == SC_NPS ? 1 : 2;
    const char *unit = kind == SC_NPS ? "" : "\xE2\x98\x85";
    if (!im->ok) {
        cx_buf_printf(r->b, "<span class=\"t-mut\" title=\"%lld answer%s: needs %d in and %d outside the group\">"
                            "\xE2\x80\x93</span>",
                      im->n, im->n == 1 ? "" : "s", IMPACT_MIN_N, IMPACT_MIN_N);
        return;
    }
    cx_rp_signed(im->lo, dec, lo, sizeof lo);
    cx_rp_signed(im->hi, dec, hi, sizeof hi);
    cx_buf_printf(r->b, "<span%s title=\"95%% interval %s to %s, %lld answers\">%s%s</span>",
                  im->hi < 0 ? " class=\"t-neg\"" : im->lo > 0 ? " class=\"t-pos\"" : "", lo, hi, im->n,
                  cx_rp_signed(im->v, dec, v, sizeof v), unit);
    if (long_form) cx_buf_printf(r->b, " <small class=\"t-mut\">(%s to %s)</small>", lo, hi);
}

/* The impact cell of a group: one line per score kind the window has. */
static void impact_cell(rp *r, const scsum *sc) {
    for (int kind = 0; kind < SC_KINDS; kind++) {
        if (!r->sc_all[kind].n) continue;
        if (kind && r->sc_all[SC_NPS].n) LIT(r->b, "<br>");
        PUT(r->b, kind == SC_NPS ? "NPS " : "rating ");
        impact im = impact_of(r, sc, kind);
        impact_html(r, &im, kind, 0);
    }
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
        LIT(r->b, "<nav class=\"toc\"><a href=\"#summary\">Summary</a><a href=\"#alerts\">Spikes</a>"
                  "<a href=\"#timeline\">Sentiment over time</a><a href=\"#themes\">Themes</a>"
                  "<a href=\"#clusters\">Root causes</a><a href=\"#impact\">Score impact</a>"
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
    if (r->has_alerts)
        cx_buf_printf(r->b, "<div class=\"kpi\"><div class=\"k\">Spike alerts</div><div class=\"v%s\">%s</div>"
                            "<div class=\"d\">%s</div></div>\n",
                      r->n_alerts ? " t-neg" : "", cx_rp_count(r->n_alerts, a, sizeof a),
                      r->n_alerts ? "<a href=\"#alerts\">raised in the period</a>" : "none in the period");
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
    cx_buf_printf(r->b, "<tr class=\"%s\" id=\"", t->top ? "parent" : "child");
    theme_anchor(r, t->id);
    LIT(r->b, "\"><td class=\"name\"><bdi>");
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
    if (any_scores(r)) {
        LIT(r->b, "</td><td class=\"num\">");
        impact_cell(r, t->sc);
    }
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
                        "<th>Trend per %s</th><th class=\"num\">7 days vs prior</th>%s</tr></thead>\n<tbody>\n",
                  r->bucket_name, any_scores(r) ? "<th class=\"num\">Score impact</th>" : "");
    for (size_t i = 0; i < r->nth; i++) {
        if (!v[i]->top) continue;
        theme_row(r, v[i], maxn);
        size_t pl = strlen(v[i]->id), hidden = 0;
        for (size_t k = 0; k < r->nth; k++) {
            const theme *s = v[k];
            if (s->top || strncmp(s->id, v[i]->id, pl) || s->id[pl] != '.') continue;
            if (s->shown) theme_row(r, s, maxn);
            else hidden++;
        }
        if (hidden)
            cx_buf_printf(r->b, "<tr class=\"child\"><td class=\"t-mut\" colspan=\"%d\">and %zu smaller sub-theme%s</td></tr>\n",
                          any_scores(r) ? 8 : 7, hidden, hidden == 1 ? "" : "s");
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
/* Named parameters only: SQLite numbers a named parameter after the largest
 * number so far, so a "?2" after ":t0" would be :t0 itself. */
#define EX_STORED_SQL "SELECT text, lang FROM cluster_examples WHERE cluster_id = :cid" \
                      " AND text IS NOT NULL AND text <> '' ORDER BY rank LIMIT :lim"
#define EX_RECENT_SQL "SELECT text, lang FROM records WHERE cluster_id = :cid AND ts BETWEEN" \
                      " :t0 AND :t1 ORDER BY ts DESC LIMIT :lim"
static int cluster_examples(rp *r, const cluster *c) {
    char *seen[N_EXAMPLES];
    int shown = 0, rc = 0;
    for (int pass = 0; pass < 2 && shown < N_EXAMPLES && rc >= 0; pass++) {
        if (pass == 0 && !r->has_examples) continue;
        sqlite3_stmt *st = prep(r, pass == 0 ? EX_STORED_SQL : EX_RECENT_SQL);
        if (!st) { rc = -1; break; }
        for (size_t m = 0; m < c->nmem && shown < N_EXAMPLES && rc >= 0; m++) {
            sqlite3_reset(st);
            bind_named(st, ":cid", c->members[m]);
            bind_named(st, ":lim", 2 * N_EXAMPLES); /* room for repeats */
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
        for (int kind = 0; kind < SC_KINDS; kind++) {
            if (!c->sc[kind].n) continue;
            impact im = impact_of(r, c->sc, kind);
            PUT(r->b, kind == SC_NPS ? "<span>NPS impact <b>" : "<span>rating impact <b>");
            impact_html(r, &im, kind, 1);
            LIT(r->b, "</b></span>");
        }
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

/* 1b. Spikes and alerts: the cluster stage's spike alerts (docs/TRENDS.md)
 * raised in the window, most significant (smallest p-value) first, then the
 * most recent, at most ALERTS_SHOWN; each links to its theme's row or its
 * cluster's entry when the page has one. */
static int sec_alerts(rp *r) {
#define ALERTS_SQL(LABEL)                                                                                      \
    "SELECT a.kind, a.key, a.cluster_id, " LABEL ", a.win, a.metric, a.count, a.baseline, a.ratio, a.p_value,"  \
    " a.at FROM alerts a"
    char a[48], b[48], c[48];
    LIT(r->b, "<section id=\"alerts\">\n<h2>Spikes and alerts</h2>\n");
    if (!r->has_alerts) {
        LIT(r->b, "<p class=\"note\">This database has no alerts table (it was written before schema version 3).</p>\n"
                  "</section>\n");
        return 0;
    }
    if (!r->n_alerts) {
        LIT(r->b, "<p class=\"note\">No spikes: the cluster stage raised no alert in this period.</p>\n</section>\n");
        return 0;
    }
    cx_buf_printf(r->b, "<p class=\"sub\">%s alert%s raised by the cluster stage when a window's volume or negative "
                        "share was significantly above its baseline; most significant first",
                  cx_rp_count(r->n_alerts, a, sizeof a), r->n_alerts == 1 ? " was" : "s were");
    if (r->n_alerts > ALERTS_SHOWN) cx_buf_printf(r->b, ", the first %d shown", ALERTS_SHOWN);
    LIT(r->b, ".</p>\n<div class=\"scroll\"><table>\n<thead><tr><th>What spiked</th><th>Window</th><th>Metric</th>"
              "<th class=\"num\">Count vs baseline</th><th class=\"num\">Ratio</th><th class=\"num\">p-value</th>"
              "<th>When (UTC)</th></tr></thead>\n<tbody>\n");
    sqlite3_stmt *st = prep(r, r->has_clusters
                                   ? ALERTS_SQL("c.label") " LEFT JOIN clusters c ON c.cluster_id = a.cluster_id"
                                     " WHERE a.at BETWEEN :t0 AND :t1 ORDER BY a.p_value IS NULL, a.p_value, a.at DESC,"
                                     " a.seq DESC LIMIT :lim"
                                   : ALERTS_SQL("NULL") " WHERE a.at BETWEEN :t0 AND :t1 ORDER BY a.p_value IS NULL,"
                                     " a.p_value, a.at DESC, a.seq DESC LIMIT :lim");
    if (!st) return -1;
    bind_named(st, ":lim", ALERTS_SHOWN);
    int rc;
    while ((rc = step(r, st)) == 1) {
        const char *kind = ctext(st, 0), *key = ctext(st, 1), *label = ctext(st, 3), *metric = ctext(st, 5);
        int64_t cid = sqlite3_column_type(st, 2) == SQLITE_NULL ? strtoll(key, NULL, 10) : sqlite3_column_int64(st, 2);
        LIT(r->b, "<tr><td class=\"name\"><span class=\"badge\">");
        esc(r, kind);
        LIT(r->b, "</span> ");
        if (!strcmp(kind, "overall")) LIT(r->b, "<a href=\"#timeline\">all feedback</a>");
        else if (!strcmp(kind, "cluster")) {
            const cluster *cl = top_cluster(r, cid);
            if (cl) cx_buf_printf(r->b, "<a href=\"#cluster-%lld\">", (long long)cl->id);
            LIT(r->b, "<bdi>");
            if (*label) esc(r, label);
            else cx_buf_printf(r->b, "cluster #%lld", (long long)cid);
            PUT(r->b, cl ? "</bdi></a>" : "</bdi>");
        } else {
            const theme *t = find_theme(r, key, !strchr(key, '.'));
            if (t && t->shown) {
                LIT(r->b, "<a href=\"#");
                theme_anchor(r, key);
                LIT(r->b, "\">");
            }
            LIT(r->b, "<bdi>");
            esc(r, theme_name(r, key));
            PUT(r->b, t && t->shown ? "</bdi></a>" : "</bdi>");
        }
        LIT(r->b, "</td><td>");
        esc(r, ctext(st, 4));
        LIT(r->b, "</td><td>");
        esc(r, strcmp(metric, "sentiment") ? metric : "negative records");
        snprintf(c, sizeof c, "%.2g", sqlite3_column_double(st, 9));
        cx_buf_printf(r->b, "</td><td class=\"num\">%s vs %.1f</td><td class=\"num\">\xC3\x97%.1f</td>"
                            "<td class=\"num\">%s</td><td>%s</td></tr>\n",
                      cx_rp_count(sqlite3_column_int64(st, 6), a, sizeof a), sqlite3_column_double(st, 7),
                      sqlite3_column_double(st, 8), sqlite3_column_type(st, 9) == SQLITE_NULL ? "\xE2\x80\x93" : c,
                      cx_rp_date(sqlite3_column_int64(st, 10), 1, b, sizeof b));
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;
    LIT(r->b, "</tbody></table></div>\n</section>\n");
    return 0;
#undef ALERTS_SQL
}

/* One entry of the "what hurts satisfaction most" table. */
typedef struct hurt {
    impact im;
    const cluster *c;
    const theme *t;
} hurt;

/* Most negative impact first; ties: more answers, clusters before themes,
 * then by id, so the page does not depend on qsort's order. */
static int hurt_cmp(const void *a, const void *b) {
    const hurt *x = a, *y = b;
    if (x->im.v != y->im.v) return x->im.v < y->im.v ? -1 : 1;
    if (x->im.n != y->im.n) return x->im.n > y->im.n ? -1 : 1;
    if (!x->c != !y->c) return x->c ? -1 : 1;
    if (x->c) return x->c->id < y->c->id ? -1 : x->c->id > y->c->id;
    return strcmp(x->t->id, y->t->id);
}

/* 4b. Score impact: per score kind, the shown clusters and the themes that
 * pull the score down most (impact_of), with the method in words. */
static int sec_impact(rp *r) {
    char a[48], b[48];
    LIT(r->b, "<section id=\"impact\">\n<h2>Score impact</h2>\n");
    if (!any_scores(r)) {
        LIT(r->b, "<p class=\"note\">No record in this period carries an NPS answer or a rating.</p>\n</section>\n");
        return 0;
    }
    cx_buf_printf(r->b, "<p class=\"sub\">What hurts satisfaction most: the impact of a root cause or theme is the "
                        "overall score minus the score of the records without it (NPS in points, ratings in stars), "
                        "with a 95%% interval (normal approximation). Only groups with at least %d answers, and %d "
                        "outside them, are rated; a record with several themes counts for each, so impacts do not "
                        "add up.</p>\n",
                  IMPACT_MIN_N, IMPACT_MIN_N);
    hurt *v = cx_malloc((r->ncl + r->nth + 1) * sizeof *v);
    if (!v) return oom(r);
    for (int kind = 0; kind < SC_KINDS; kind++) {
        const scsum *o = &r->sc_all[kind];
        if (!o->n) continue;
        size_t n = 0;
        for (size_t i = 0; i < r->ncl; i++) {
            impact im = impact_of(r, r->cl[i].sc, kind);
            if (im.ok && im.v < 0) v[n++] = (hurt){im, &r->cl[i], NULL};
        }
        for (size_t i = 0; i < r->nth; i++) {
            impact im = impact_of(r, r->th[i].sc, kind);
            if (im.ok && im.v < 0) v[n++] = (hurt){im, NULL, &r->th[i]};
        }
        if (kind == SC_NPS)
            cx_buf_printf(r->b, "<h4>NPS</h4>\n<p class=\"note\">NPS %s from %s answers.</p>\n",
                          cx_rp_signed(o->s / (double)o->n, 1, a, sizeof a), cx_rp_count(o->n, b, sizeof b));
        else
            cx_buf_printf(r->b, "<h4>Rating</h4>\n<p class=\"note\">Average %.2f\xE2\x98\x85 from %s ratings.</p>\n",
                          o->s / (double)o->n, cx_rp_count(o->n, a, sizeof a));
        if (!n) {
            LIT(r->b, "<p class=\"note\">No root cause or theme with enough answers pulls this score down.</p>\n");
            continue;
        }
        qsort(v, n, sizeof *v, hurt_cmp);
        LIT(r->b, "<div class=\"scroll\"><table>\n<thead><tr><th>Root cause or theme</th><th class=\"num\">Answers</th>"
                  "<th class=\"num\">Impact (95% interval)</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < n && i < HURTS_ROWS; i++) {
            char lb[48];
            if (v[i].c) {
                cx_buf_printf(r->b, "<tr><td class=\"name\"><span class=\"badge\">cluster</span> "
                                    "<a href=\"#cluster-%lld\"><bdi>", (long long)v[i].c->id);
                esc(r, cluster_label(v[i].c, lb, sizeof lb));
            } else {
                LIT(r->b, "<tr><td class=\"name\"><span class=\"badge\">theme</span> ");
                if (v[i].t->shown) {
                    LIT(r->b, "<a href=\"#");
                    theme_anchor(r, v[i].t->id);
                    LIT(r->b, "\">");
                }
                LIT(r->b, "<bdi>");
                esc(r, theme_name(r, v[i].t->id));
            }
            cx_buf_printf(r->b, "</bdi>%s</td><td class=\"num\">%s</td><td class=\"num\">",
                          v[i].c || v[i].t->shown ? "</a>" : "", cx_rp_count(v[i].im.n, a, sizeof a));
            impact_html(r, &v[i].im, kind, 1);
            LIT(r->b, "</td></tr>\n");
        }
        LIT(r->b, "</tbody></table></div>\n");
    }
    cx_free(v);
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

/* ---- CSV export (cx_export_write) ---- */

static int write_file(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* Growth columns: last_7d, prev_7d, growth_pct (empty without two weeks of
 * data or without records the week before, where the report says n/a,
 * "new" or "back"). */
static void csv_growth(rp *r, long long last, long long prev) {
    cx_buf_printf(r->b, ",%lld,%lld,", last, prev);
    cx_csv_num(r->b, prev ? 100.0 * (double)(last - prev) / (double)prev : 0, 1, r->have_prev && prev > 0);
}

/* Impact columns per score kind: answers, impact, 95% interval (impact_of;
 * empty with too few answers). */
static void csv_impacts(rp *r, const scsum *sc) {
    for (int kind = 0; kind < SC_KINDS; kind++) {
        impact im = impact_of(r, sc, kind);
        int dec = kind == SC_NPS ? 2 : 3;
        cx_buf_printf(r->b, ",%lld,", im.n);
        cx_csv_num(r->b, im.v, dec, im.ok);
        LIT(r->b, ",");
        cx_csv_num(r->b, im.lo, dec, im.ok);
        LIT(r->b, ",");
        cx_csv_num(r->b, im.hi, dec, im.ok);
    }
}

/* A counter as one text cell: "key:n; key:n" for at most max keys. */
static int csv_counter(rp *r, const counter *c, size_t max) {
    cx_buf cell;
    cx_buf_init(&cell);
    for (size_t i = 0; i < c->n && i < max; i++) cx_buf_printf(&cell, "%s%s:%lld", i ? "; " : "", c->v[i].key, c->v[i].n);
    int bad = cell.oom;
    if (!bad) cx_csv_text(r->b, cell.data);
    cx_buf_free(&cell);
    return bad ? oom(r) : 0;
}

/* The example column of a cluster: its first stored example (root first),
 * else its most recent record in the window, as cluster_examples picks. */
static int csv_example(rp *r, const cluster *c, sqlite3_stmt *stored, sqlite3_stmt *recent) {
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_stmt *st = pass ? recent : stored;
        for (size_t m = 0; st && m < c->nmem; m++) {
            sqlite3_reset(st);
            bind_named(st, ":cid", c->members[m]);
            bind_named(st, ":lim", 1);
            int rc = step(r, st);
            if (rc < 0) return -1;
            if (rc == 1) {
                cx_csv_text(r->b, ctext(st, 0));
                sqlite3_reset(st);
                return 0;
            }
        }
    }
    return 0;
}

#define CSV_IMPACT_COLS ",nps_answers,nps_impact,nps_impact_lo,nps_impact_hi" \
                        ",rating_answers,rating_impact,rating_impact_lo,rating_impact_hi\r\n"

static int csv_clusters(rp *r) {
    char a[48], b[48];
    LIT(r->b, "id,label,records,share,status,merged,first_seen,last_seen,negative,negative_share,sentiment,"
              "last_7d,prev_7d,growth_pct,top_themes,languages,example" CSV_IMPACT_COLS);
    sqlite3_stmt *stored = NULL, *recent = prep(r, EX_RECENT_SQL);
    int ret = -1;
    if (!recent || (r->has_examples && !(stored = prep(r, EX_STORED_SQL)))) goto out;
    for (size_t i = 0; i < r->ncl; i++) {
        const cluster *c = &r->cl[i];
        cx_buf_printf(r->b, "%lld,", (long long)c->id);
        cx_csv_text(r->b, c->label);
        cx_buf_printf(r->b, ",%lld,", c->n);
        cx_csv_num(r->b, (double)c->n / (double)r->n, 4, 1);
        LIT(r->b, ",");
        cx_csv_text(r->b, c->status);
        LIT(r->b, ",");
        for (size_t k = 1; k < c->nmem; k++) cx_buf_printf(r->b, "%s%lld", k > 1 ? " " : "", (long long)c->members[k]);
        cx_buf_printf(r->b, ",%s,%s,%lld,", cx_rp_iso(c->first_ts, a, sizeof a), cx_rp_iso(c->last_ts, b, sizeof b),
                      c->neg);
        cx_csv_num(r->b, (double)c->neg / (double)c->n, 4, 1);
        LIT(r->b, ",");
        cx_csv_num(r->b, c->nsent ? c->ssum / (double)c->nsent : 0, 3, c->nsent > 0);
        csv_growth(r, c->last7, c->prev7);
        LIT(r->b, ",");
        if (csv_counter(r, &c->themes, 5) < 0) goto out;
        LIT(r->b, ",");
        if (csv_counter(r, &c->langs, SIZE_MAX) < 0) goto out;
        LIT(r->b, ",");
        if (csv_example(r, c, stored, recent) < 0) goto out;
        csv_impacts(r, c->sc);
        LIT(r->b, "\r\n");
    }
    ret = 0;
out:
    sqlite3_finalize(stored);
    sqlite3_finalize(recent);
    return ret;
}

static void csv_theme(rp *r, const theme *t) {
    cx_csv_text(r->b, t->id);
    LIT(r->b, ",");
    cx_csv_text(r->b, theme_name(r, t->id));
    PUT(r->b, t->top ? ",theme," : ",sub-theme,");
    const char *dot = strchr(t->id, '.');
    if (!t->top && dot) {
        char parent[256];
        snprintf(parent, sizeof parent, "%.*s", (int)(dot - t->id), t->id);
        cx_csv_text(r->b, parent);
    }
    cx_buf_printf(r->b, ",%lld,", t->n);
    cx_csv_num(r->b, (double)t->n / (double)r->n, 4, 1);
    cx_buf_printf(r->b, ",%lld,", t->neg);
    cx_csv_num(r->b, (double)t->neg / (double)t->n, 4, 1);
    LIT(r->b, ",");
    cx_csv_num(r->b, t->nsent ? t->ssum / (double)t->nsent : 0, 3, t->nsent > 0);
    csv_growth(r, t->last7, t->prev7);
    csv_impacts(r, t->sc);
    LIT(r->b, "\r\n");
}

/* Every top-level theme by records, each followed by all its sub-themes. */
static int csv_themes(rp *r) {
    LIT(r->b, "id,name,level,parent,records,share,negative,negative_share,sentiment,last_7d,prev_7d,growth_pct"
              CSV_IMPACT_COLS);
    if (!r->nth) return 0;
    theme **v = cx_malloc(r->nth * sizeof *v);
    if (!v) return oom(r);
    for (size_t i = 0; i < r->nth; i++) v[i] = &r->th[i];
    qsort(v, r->nth, sizeof *v, theme_cmp_n);
    for (size_t i = 0; i < r->nth; i++) {
        if (!v[i]->top) continue;
        csv_theme(r, v[i]);
        size_t pl = strlen(v[i]->id);
        for (size_t k = 0; k < r->nth; k++)
            if (!v[k]->top && !strncmp(v[k]->id, v[i]->id, pl) && v[k]->id[pl] == '.') csv_theme(r, v[k]);
    }
    cx_free(v);
    return 0;
}

static void rp_free(rp *r);

int cx_export_write(const cx_export_opts *o, char *err, size_t errlen) {
    const char *what = o && o->what && *o->what ? o->what : "themes";
    if (!o || !o->db_path || !*o->db_path) {
        snprintf(err, errlen, "no database given");
        return -1;
    }
    if (strcmp(what, "themes") && strcmp(what, "clusters")) {
        snprintf(err, errlen, "cannot export '%s': choose themes or clusters", what);
        return -1;
    }
    cx_report_opts ro = {.db_path = o->db_path, .out_path = o->out_path, .lexicons_dir = o->lexicons_dir,
                         .since_ms = o->since_ms};
    cx_buf b;
    cx_buf_init(&b);
    rp r;
    memset(&r, 0, sizeof r);
    r.o = &ro;
    r.err = err;
    r.errlen = errlen;
    r.b = &b;
    r.exporting = 1;
    int rc = -1, clusters = !strcmp(what, "clusters");
    if (open_db(&r) < 0 || cx_rp_taxo_load(&r.taxo, o->lexicons_dir, err, errlen) < 0 || load_overview(&r) < 0)
        goto done;
    if (r.n > 0 && (load_clusters(&r) < 0 || load_themes(&r) < 0 || load_scores(&r) < 0)) goto done;
    if (clusters ? csv_clusters(&r) < 0 : csv_themes(&r) < 0) goto done;
    if (b.oom) { oom(&r); goto done; }
    if (o->out_path && *o->out_path && strcmp(o->out_path, "-")) {
        if (write_file(o->out_path, b.data, b.len, err, errlen) < 0) goto done;
    } else if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
        snprintf(err, errlen, "cannot write to standard output: %s", strerror(errno));
        goto done;
    }
    rc = 0;
done:
    rp_free(&r);
    cx_buf_free(&b);
    return rc;
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
    if (r.n > 0 && (load_clusters(&r) < 0 || load_themes(&r) < 0 || load_scores(&r) < 0 || load_alerts(&r) < 0))
        goto done;
    page_head(&r);
    if (r.n == 0) sec_empty(&r);
    else if (sec_summary(&r) < 0 || sec_alerts(&r) < 0 || sec_timeline(&r) < 0 || sec_themes(&r) < 0 ||
             sec_clusters(&r) < 0 || sec_impact(&r) < 0 || sec_breakdowns(&r) < 0)
        goto done;
    page_foot(&r);
    if (out->oom) { oom(&r); goto done; }
    rc = 0;
done:
    rp_free(&r);
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

/* End the read transaction, close the database and free what the loaders
 * allocated. */
static void rp_free(rp *r) {
    if (r->db) {
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(r->db);
    }
    for (size_t i = 0; i < r->ncl; i++) cluster_free(&r->cl[i]);
    cx_free(r->cl);
    cx_free(r->memidx);
    for (size_t i = 0; i < r->nth; i++) { cx_free(r->th[i].id); cx_free(r->th[i].series); }
    cx_free(r->th);
    cx_rp_taxo_free(&r->taxo);
}
