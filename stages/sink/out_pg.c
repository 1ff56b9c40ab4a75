/* out_pg.c - the PostgreSQL output (sink.postgres): the SQLite schema in a
 * PostgreSQL schema (sink.postgres_schema), one transaction per sink batch.
 *
 * Every write is an idempotent upsert on a natural key (records and dead
 * letters on their source coordinates, clusters on their id, alerts on what
 * fired when), so a batch that ingest sends again after a failed commit
 * changes nothing that is already stored.  Only cluster_events, the log of
 * events as received, has no natural key: a replayed event is logged again.
 *
 * Statements are prepared once per session and take text parameters: the
 * server converts them to the column types, which keeps the binding code as
 * simple as the values (and jsonb columns validate their JSON there).  A
 * lost connection fails the batch's commit; the next begin resets the
 * connection and prepares the statements again (docs/SINKS.md). */
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_util.h"
#include "output.h"
#include "store.h"
#include <jansson.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* version of the PostgreSQL schema below (meta.schema_version); it is
 * independent of the SQLite schema's version */
#define PG_SCHEMA_VERSION 1

/* %s is the quoted schema name.  Times stay integer milliseconds since the
 * epoch as in SQLite (exact, and the same queries work on both); JSON columns
 * are jsonb so they can be queried and indexed. */
static const char *ddl =
    "CREATE TABLE IF NOT EXISTS %1$s.meta (key text PRIMARY KEY, value text);"
    "CREATE TABLE IF NOT EXISTS %1$s.records ("
    " topic text NOT NULL, partition integer NOT NULL, \"offset\" bigint NOT NULL,"
    " id text NOT NULL, ts bigint NOT NULL, channel text, product text, region text,"
    " lang text, lang_conf real, score double precision, score_kind text, text text NOT NULL, meta jsonb,"
    " sentiment real, label text, signals text, explain text, tokens text, n_tokens integer,"
    " cluster_id bigint, stored_at bigint NOT NULL, signal_evidence text,"
    " PRIMARY KEY (topic, partition, \"offset\"));"
    "CREATE INDEX IF NOT EXISTS records_ts ON %1$s.records (ts);"
    "CREATE INDEX IF NOT EXISTS records_cluster ON %1$s.records (cluster_id);"
    "CREATE TABLE IF NOT EXISTS %1$s.record_themes ("
    " topic text, partition integer, \"offset\" bigint, theme text, weight real, sentiment real,"
    " PRIMARY KEY (topic, partition, \"offset\", theme));"
    "CREATE INDEX IF NOT EXISTS record_themes_theme ON %1$s.record_themes (theme);"
    "CREATE TABLE IF NOT EXISTS %1$s.clusters ("
    " cluster_id bigint PRIMARY KEY, label text, size bigint, first_seen bigint, last_seen bigint,"
    " sentiment real, themes jsonb, langs jsonb, terms jsonb, status text, merged_into bigint, updated_at bigint);"
    "CREATE TABLE IF NOT EXISTS %1$s.cluster_examples ("
    " cluster_id bigint, rank integer, record_id text, text text, lang text, PRIMARY KEY (cluster_id, rank));"
    "CREATE TABLE IF NOT EXISTS %1$s.cluster_events ("
    " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, cluster_id bigint, event text, at bigint, body jsonb);"
    "CREATE TABLE IF NOT EXISTS %1$s.alerts ("
    " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, first_ms bigint, kind text NOT NULL,"
    " key text NOT NULL, cluster_id bigint, win text NOT NULL, metric text NOT NULL, count bigint,"
    " baseline double precision, ratio double precision, p_value double precision, records bigint,"
    " neg_share double precision, baseline_neg_share double precision,"
    " body jsonb, stored_at bigint NOT NULL, UNIQUE (kind, key, win, metric, at));"
    "CREATE INDEX IF NOT EXISTS alerts_at ON %1$s.alerts (at);"
    "CREATE TABLE IF NOT EXISTS %1$s.dead_letters ("
    " topic text, partition integer, \"offset\" bigint, id text, reason text, text text, at bigint,"
    " PRIMARY KEY (topic, partition, \"offset\"));"
    "INSERT INTO %1$s.meta VALUES ('schema_version', '%2$d') ON CONFLICT (key) DO NOTHING;";

enum { P_REC, P_DLQ, P_CLU, P_EX_DEL, P_EX, P_EV, P_ALERT, P__N };
static const char *pnames[P__N] = {"cx_rec", "cx_dlq", "cx_clu", "cx_ex_del", "cx_ex", "cx_ev", "cx_alert"};
/* unqualified names: the session's search_path is the configured schema */
static const char *psqls[P__N] = {
    "WITH r AS (INSERT INTO records (topic, partition, \"offset\", id, ts, channel, product, region, lang,"
    " lang_conf, score, score_kind, text, meta, sentiment, label, signals, explain, tokens, n_tokens,"
    " cluster_id, stored_at, signal_evidence)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)"
    " ON CONFLICT (topic, partition, \"offset\") DO NOTHING RETURNING topic, partition, \"offset\")"
    /* its themes in the same statement, and only when the record is new (an already stored
     * record keeps the themes of the first time, as in SQLite): no answer to wait for */
    " INSERT INTO record_themes SELECT r.topic, r.partition, r.\"offset\", t.theme, t.weight, t.sentiment"
    " FROM r, unnest($24::text[], $25::real[], $26::real[]) AS t(theme, weight, sentiment) ON CONFLICT DO NOTHING",
    "INSERT INTO dead_letters VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
    /* the latest event of a cluster wins, except for its first and last sighting */
    "INSERT INTO clusters VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT (cluster_id) DO UPDATE SET"
    " label = EXCLUDED.label, size = EXCLUDED.size, first_seen = LEAST(clusters.first_seen, EXCLUDED.first_seen),"
    " last_seen = GREATEST(clusters.last_seen, EXCLUDED.last_seen), sentiment = EXCLUDED.sentiment,"
    " themes = EXCLUDED.themes, langs = EXCLUDED.langs, terms = EXCLUDED.terms, status = EXCLUDED.status,"
    " merged_into = EXCLUDED.merged_into, updated_at = EXCLUDED.updated_at",
    "DELETE FROM cluster_examples WHERE cluster_id = $1",
    "INSERT INTO cluster_examples VALUES ($1,$2,$3,$4,$5) ON CONFLICT (cluster_id, rank) DO UPDATE SET"
    " record_id = EXCLUDED.record_id, text = EXCLUDED.text, lang = EXCLUDED.lang",
    "INSERT INTO cluster_events (cluster_id, event, at, body) VALUES ($1,$2,$3,$4)",
    /* an alert replayed after a restart (same key, window, metric, event time) is stored once */
    "INSERT INTO alerts (at, first_ms, kind, key, cluster_id, win, metric, count, baseline, ratio,"
    " p_value, records, neg_share, baseline_neg_share, body, stored_at)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)"
    " ON CONFLICT (kind, key, win, metric, at) DO NOTHING",
};

/* The output and its state in one allocation: out comes first, so the
 * cx_free of the output by cx_output_close releases the whole. */
typedef struct pg {
    cx_output out;
    PGconn *conn;
    char *schema;          /* quoted identifier (PQescapeIdentifier), cx_malloc'd */
    char where[512];       /* "host H port P db D" for messages */
    char lasterr[512];     /* why the last reconnection failed */
    int need_setup;        /* the session was reset and is not set up yet */
    int64_t last_reset;    /* monotonic ms of the last reconnection attempt */
    int piped;             /* in pipeline mode: the batch's statements are queued, not awaited */
    int queued;            /* statements sent since the last sync */
    char pipe_err[1024];   /* the first error the batch's statements met */
    cx_buf tmp, a_theme, a_weight, a_sent; /* a record's tokens and its themes as array literals */
} pg;

/* Parameters of one statement as text; numbers are formatted into num. */
#define PG_MAXP 28
typedef struct params {
    const char *v[PG_MAXP];
    char num[PG_MAXP][32];
    int n;
} params;

static void p_str(params *p, const char *s) { p->v[p->n++] = s; }
static void p_i64(params *p, long long x) {
    snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", x);
    p->v[p->n] = p->num[p->n];
    p->n++;
}
/* non-finite numbers become NULL: they are not valid in every column type */
static void p_dbl(params *p, double x) {
    if (!isfinite(x)) { p->v[p->n++] = NULL; return; }
    snprintf(p->num[p->n], sizeof p->num[p->n], "%.17g", x);
    p->v[p->n] = p->num[p->n];
    p->n++;
}
/* the source coordinates that key records, themes and dead letters */
static void p_coords(params *p, const cx_env *e) {
    p_str(p, e->topic ? e->topic : "");
    p_i64(p, e->partition);
    p_i64(p, e->offset);
}
static void p_json_num(params *p, json_t *v) {
    if (json_is_number(v)) p_dbl(p, json_number_value(v));
    else p_str(p, NULL);
}

/* libpq's message on one line: its messages end with a newline and may
 * span several lines (ERROR, DETAIL, HINT). */
static void one_line(char *dst, size_t n, const char *msg) {
    snprintf(dst, n, "%s", msg && *msg ? msg : "unknown error");
    for (char *c = dst; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t') *c = ' ';
    char *w = dst; /* the line breaks leave runs of blanks */
    for (char *c = dst; *c; c++)
        if (!(*c == ' ' && w > dst && w[-1] == ' ')) *w++ = *c;
    *w = '\0';
    size_t l = strlen(dst);
    while (l && dst[l - 1] == ' ') dst[--l] = '\0';
}

static int conn_fail(pg *g, const char *what, char *err, size_t errlen) {
    char m[400];
    one_line(m, sizeof m, PQerrorMessage(g->conn));
    snprintf(err, errlen, "PostgreSQL %s (%.200s): %s", what, g->where, m);
    return -1;
}

/* Run a command; any result but the expected status is an error. */
static int exec_ok(pg *g, const char *sql, const char *what, char *err, size_t errlen) {
    PGresult *r = PQexec(g->conn, sql);
    int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    if (!ok) {
        char m[400];
        one_line(m, sizeof m, r ? PQresultErrorMessage(r) : PQerrorMessage(g->conn));
        snprintf(err, errlen, "PostgreSQL %s (%s): %s", what, g->where, m);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

/* Statements queued between syncs.  Bounded so that the answers waiting in
 * the socket (a few dozen bytes each) never fill it while we are still
 * sending: that would block both sides. */
#define PG_PIPE_MAX 256

/* Sync the pipeline and read every answer up to the sync; the first error
 * is kept in g->pipe_err (and reported in err).  0 / -1. */
static int drain(pg *g, char *err, size_t errlen) {
    if (!g->piped) return 0;
    if (PQpipelineSync(g->conn) != 1) {
        g->queued = 0;
        return conn_fail(g, "pipeline sync", err, errlen);
    }
    int pending = g->queued, idle = 0;
    g->queued = 0;
    for (;;) {
        PGresult *r = PQgetResult(g->conn);
        if (!r) {
            /* each statement's answers end with a NULL; more NULLs than
             * statements mean the connection is gone */
            if (pending > 0) { pending--; continue; }
            if (PQstatus(g->conn) != CONNECTION_OK || ++idle > 2) {
                if (!g->pipe_err[0]) conn_fail(g, "pipeline", g->pipe_err, sizeof g->pipe_err);
                break;
            }
            continue;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !g->pipe_err[0]) {
            char m[400];
            one_line(m, sizeof m, st == PGRES_PIPELINE_ABORTED ? "a statement before failed" : PQresultErrorMessage(r));
            snprintf(g->pipe_err, sizeof g->pipe_err, "PostgreSQL (%.200s): %s", g->where, m);
        }
        PQclear(r);
    }
    if (!g->pipe_err[0]) return 0;
    snprintf(err, errlen, "%s", g->pipe_err);
    return -1;
}

/* Leave pipeline mode (every answer read first). */
static void pipe_end(pg *g) {
    char e[512];
    if (!g->piped) return;
    drain(g, e, sizeof e);
    PQexitPipelineMode(g->conn);
    g->piped = 0;
}

/* Queue a prepared statement of the batch (its answer is read at the next
 * sync: every PG_PIPE_MAX statements and at commit).  0 / -1. */
static int run(pg *g, int which, const params *p, char *err, size_t errlen) {
    if (g->pipe_err[0]) { /* the batch is lost already: stop early */
        snprintf(err, errlen, "%s", g->pipe_err);
        return -1;
    }
    if (PQsendQueryPrepared(g->conn, pnames[which], p->n, p->v, NULL, NULL, 0) != 1)
        return conn_fail(g, pnames[which] + 3, err, errlen);
    if (++g->queued >= PG_PIPE_MAX) return drain(g, err, errlen);
    return 0;
}

/* What a session needs, on connecting and after every reset: UTF-8, the
 * schema on the search path, the prepared statements. */
static int session_setup(pg *g, char *err, size_t errlen) {
    char sql[600];
    /* DEALLOCATE ALL: a set-up that failed half-way on this connection left
     * some statements prepared, and preparing them again would fail for ever.
     * statement_timeout: a hung server must not hold the sink's one thread. */
    snprintf(sql, sizeof sql,
             "DEALLOCATE ALL; SET client_encoding TO 'UTF8'; SET statement_timeout TO '60s'; SET search_path TO %s",
             g->schema);
    if (exec_ok(g, sql, "session set-up", err, errlen) < 0) return -1;
    for (int i = 0; i < P__N; i++) {
        PGresult *r = PQprepare(g->conn, pnames[i], psqls[i], 0, NULL);
        int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) {
            char m[400];
            one_line(m, sizeof m, r ? PQresultErrorMessage(r) : PQerrorMessage(g->conn));
            snprintf(err, errlen, "PostgreSQL prepare %s (%s): %s", pnames[i], g->where, m);
        }
        PQclear(r);
        if (!ok) return -1;
    }
    return 0;
}

/* Create the schema and its tables when missing, refuse a newer schema. */
static int schema_setup(pg *g, const char *name, char *err, size_t errlen) {
    /* CREATE SCHEMA needs the CREATE privilege on the database even when the
     * schema exists: only ask for it when the schema is missing */
    const char *pv[1] = {name};
    PGresult *r = PQexecParams(g->conn, "SELECT 1 FROM pg_namespace WHERE nspname = $1", 1, NULL, pv, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return conn_fail(g, "schema check", err, errlen);
    }
    int have = PQntuples(r) > 0;
    PQclear(r);
    cx_buf_reset(&g->tmp);
    if (!have) cx_buf_printf(&g->tmp, "CREATE SCHEMA IF NOT EXISTS %s;", g->schema);
    cx_buf_printf(&g->tmp, ddl, g->schema, PG_SCHEMA_VERSION);
    cx_buf_append(&g->tmp, "", 1);
    if (g->tmp.oom) { snprintf(err, errlen, "out of memory"); return -1; }
    /* one simple-query string runs as one transaction: all tables or none */
    if (exec_ok(g, g->tmp.data, "schema creation", err, errlen) < 0) return -1;
    cx_buf_reset(&g->tmp);
    cx_buf_printf(&g->tmp, "SELECT value FROM %s.meta WHERE key = 'schema_version'", g->schema);
    cx_buf_append(&g->tmp, "", 1);
    r = PQexec(g->conn, g->tmp.data);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return conn_fail(g, "schema version", err, errlen);
    }
    long v = PQntuples(r) ? atol(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (v > PG_SCHEMA_VERSION) {
        snprintf(err, errlen, "PostgreSQL schema %s (%s) has version %ld, newer than this sink's %d", name, g->where, v,
                 PG_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

/* Reset a broken connection, at most once a second: with the server gone,
 * every record of a batch would otherwise try (and wait) again. */
static int reconnect(pg *g, char *err, size_t errlen) {
    int64_t now = cx_mono_ms();
    if (g->last_reset && now - g->last_reset < 1000) {
        snprintf(err, errlen, "%s", g->lasterr);
        return -1;
    }
    g->last_reset = now;
    PQreset(g->conn);
    if (PQstatus(g->conn) != CONNECTION_OK) {
        conn_fail(g, "server still unreachable", err, errlen);
        snprintf(g->lasterr, sizeof g->lasterr, "%s", err);
        return -1;
    }
    g->last_reset = 0;
    g->need_setup = 1; /* a new session: no search_path, no prepared statements */
    cx_info("reconnected to PostgreSQL (%s)", g->where);
    return 0;
}

/* A usable session: reconnected when the connection broke, set up again
 * after a reconnection. */
static int ensure_session(pg *g, char *err, size_t errlen) {
    if (PQstatus(g->conn) != CONNECTION_OK && reconnect(g, err, errlen) < 0) return -1;
    if (g->need_setup) {
        if (session_setup(g, err, errlen) < 0) return -1;
        g->need_setup = 0;
    }
    return 0;
}

static int pg_begin(cx_output *o, char *err, size_t errlen) {
    pg *g = o->ctx;
    if (ensure_session(g, err, errlen) < 0) return -1;
    /* a transaction left open by a failed batch is taken back first */
    pipe_end(g);
    if (PQtransactionStatus(g->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(g->conn, "ROLLBACK");
        PQclear(r);
    }
    if (exec_ok(g, "BEGIN", "BEGIN", err, errlen) < 0) {
        /* the server went away while the connection was idle: this is where we notice */
        if (PQstatus(g->conn) == CONNECTION_OK || ensure_session(g, err, errlen) < 0) return -1;
        if (exec_ok(g, "BEGIN", "BEGIN", err, errlen) < 0) return -1;
    }
    /* the batch's statements go out without waiting for each answer (one
     * round trip per row held the whole pipeline to ~2,500 records/s) */
    if (PQenterPipelineMode(g->conn) != 1) return conn_fail(g, "pipeline mode", err, errlen);
    g->piped = 1;
    g->queued = 0;
    g->pipe_err[0] = '\0';
    return 0;
}

static int pg_commit(cx_output *o, char *err, size_t errlen) {
    pg *g = o->ctx;
    int bad = drain(g, err, errlen);
    pipe_end(g);
    if (bad < 0) return -1;
    /* COMMIT of a failed transaction "succeeds" as a ROLLBACK: check first */
    if (PQtransactionStatus(g->conn) != PQTRANS_INTRANS) {
        if (PQstatus(g->conn) != CONNECTION_OK) return conn_fail(g, "COMMIT", err, errlen);
        snprintf(err, errlen, "PostgreSQL COMMIT (%s): the transaction failed earlier in the batch", g->where);
        return -1;
    }
    PGresult *r = PQexec(g->conn, "COMMIT");
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
    if (!ok) {
        char m[400];
        one_line(m, sizeof m, r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(g->conn));
        snprintf(err, errlen, "PostgreSQL COMMIT (%s): %s", g->where, m);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static void pg_rollback(cx_output *o) {
    pg *g = o->ctx;
    pipe_end(g);
    if (PQstatus(g->conn) == CONNECTION_OK && PQtransactionStatus(g->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(g->conn, "ROLLBACK");
        PQclear(r);
    }
}

/* A JSON text for a jsonb column, or NULL when jsonb would refuse it (the
 * record is still stored; a bad value must not stop the pipeline). */
static const char *valid_json(const char *s) {
    if (!s) return NULL;
    json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
    json_decref(v);
    return v && !strstr(s, "\\u0000") ? s : NULL;
}

static int pg_record(cx_output *o, const cx_env *e, const char *json, size_t len, char *err, size_t errlen) {
    (void)json;
    (void)len;
    pg *g = o->ctx;
    int64_t now = cx_now_ms();
    params p = {.n = 0};
    if (e->error) {
        p_coords(&p, e);
        p_str(&p, e->id);
        p_str(&p, e->error);
        p_str(&p, e->text);
        p_i64(&p, now);
        return run(g, P_DLQ, &p, err, errlen);
    }
    if (cx_env_content_stems(e, &g->tmp) < 0) { snprintf(err, errlen, "out of memory"); return -1; }
    p_coords(&p, e);
    p_str(&p, e->id ? e->id : "");
    p_i64(&p, e->ts_ms);
    p_str(&p, e->channel);
    p_str(&p, e->product);
    p_str(&p, e->region);
    p_str(&p, e->lang);
    p_dbl(&p, e->lang_conf);
    if (e->score_kind) {
        p_dbl(&p, e->score);
        p_str(&p, e->score_kind == CX_SCORE_NPS ? "nps" : "rating");
    } else {
        p_str(&p, NULL);
        p_str(&p, NULL);
    }
    p_str(&p, e->text ? e->text : "");
    p_str(&p, valid_json(e->meta_json));
    if (e->tagged) {
        p_dbl(&p, e->sentiment);
        p_str(&p, cx_label_name(e->label));
    } else {
        p_str(&p, NULL);
        p_str(&p, NULL);
    }
    p_str(&p, e->signals);
    p_str(&p, e->explain);
    p_str(&p, g->tmp.data);
    p_i64(&p, e->n_tokens);
    p_i64(&p, e->cluster_id);
    p_i64(&p, now);
    p_str(&p, e->signal_evidence);
    /* the themes as three array literals: {"id",...}, {weight,...}, {sentiment,...} */
    cx_buf_reset(&g->a_theme);
    cx_buf_reset(&g->a_weight);
    cx_buf_reset(&g->a_sent);
    cx_buf_append(&g->a_theme, "{", 1);
    cx_buf_append(&g->a_weight, "{", 1);
    cx_buf_append(&g->a_sent, "{", 1);
    for (uint32_t k = 0; k < e->n_themes; k++) {
        const char *sep = k ? "," : "";
        cx_buf_printf(&g->a_theme, "%s\"", sep);
        for (const char *c = e->themes[k].id ? e->themes[k].id : ""; *c; c++) {
            if (*c == '"' || *c == '\\') cx_buf_append(&g->a_theme, "\\", 1);
            cx_buf_append(&g->a_theme, c, 1);
        }
        cx_buf_append(&g->a_theme, "\"", 1);
        double w = e->themes[k].weight, se = e->themes[k].sentiment;
        if (isfinite(w)) cx_buf_printf(&g->a_weight, "%s%.9g", sep, w);
        else cx_buf_printf(&g->a_weight, "%sNULL", sep);
        if (isfinite(se)) cx_buf_printf(&g->a_sent, "%s%.9g", sep, se);
        else cx_buf_printf(&g->a_sent, "%sNULL", sep);
    }
    cx_buf_append(&g->a_theme, "}", 1);
    cx_buf_append(&g->a_weight, "}", 1);
    cx_buf_append(&g->a_sent, "}", 1);
    if (g->a_theme.oom || g->a_weight.oom || g->a_sent.oom) { snprintf(err, errlen, "out of memory"); return -1; }
    p_str(&p, g->a_theme.data);
    p_str(&p, g->a_weight.data);
    p_str(&p, g->a_sent.data);
    return run(g, P_REC, &p, err, errlen);
}

/* One row of alerts (fields: docs/TRENDS.md), as store.c writes it.  An
 * alert without its key fields stays in cluster_events only. */
static int pg_alert(pg *g, json_t *o, const char *body, int64_t now, char *err, size_t errlen) {
    const char *kind = json_string_value(json_object_get(o, "kind")), *key = json_string_value(json_object_get(o, "key")),
               *win = json_string_value(json_object_get(o, "window")),
               *metric = json_string_value(json_object_get(o, "metric"));
    json_t *at = json_object_get(o, "at_ms");
    if (!kind || !key || !win || !metric || !json_is_integer(at)) {
        cx_warn("postgres: alert event without kind, key, window, metric or at_ms: kept in cluster_events only");
        return 0;
    }
    params p = {.n = 0};
    p_i64(&p, json_integer_value(at));
    p_i64(&p, json_integer_value(json_object_get(o, "first_ms")));
    p_str(&p, kind);
    p_str(&p, key);
    json_t *cid = json_object_get(o, "cluster_id");
    if (json_is_integer(cid)) p_i64(&p, json_integer_value(cid));
    else p_str(&p, NULL);
    p_str(&p, win);
    p_str(&p, metric);
    p_i64(&p, (long long)json_number_value(json_object_get(o, "count")));
    p_json_num(&p, json_object_get(o, "baseline"));
    p_json_num(&p, json_object_get(o, "ratio"));
    p_json_num(&p, json_object_get(o, "p_value"));
    p_i64(&p, (long long)json_number_value(json_object_get(o, "records")));
    p_json_num(&p, json_object_get(o, "neg_share"));
    p_json_num(&p, json_object_get(o, "baseline_neg_share"));
    p_str(&p, body);
    p_i64(&p, now);
    return run(g, P_ALERT, &p, err, errlen);
}

static char *dump(json_t *v) { return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL; }

static int pg_cluster(pg *g, json_t *o, json_int_t id, const char *event, int64_t now, char *err, size_t errlen) {
    char *themes = dump(json_object_get(o, "themes")), *langs = dump(json_object_get(o, "langs")),
         *terms = dump(json_object_get(o, "terms"));
    const char *status = event && !strcmp(event, "retired") ? "retired" : event && !strcmp(event, "merged") ? "merged" : "live";
    params p = {.n = 0};
    p_i64(&p, id);
    p_str(&p, json_string_value(json_object_get(o, "label")));
    p_i64(&p, json_integer_value(json_object_get(o, "size")));
    p_i64(&p, json_integer_value(json_object_get(o, "first_seen_ms")));
    p_i64(&p, json_integer_value(json_object_get(o, "last_seen_ms")));
    p_dbl(&p, json_number_value(json_object_get(o, "sentiment")));
    p_str(&p, themes);
    p_str(&p, langs);
    p_str(&p, terms);
    p_str(&p, status);
    p_i64(&p, json_integer_value(json_object_get(o, "merged_into")));
    p_i64(&p, now);
    int rc = run(g, P_CLU, &p, err, errlen);
    free(themes); /* Jansson's json_dumps allocates with malloc */
    free(langs);
    free(terms);
    json_t *ex = json_object_get(o, "examples");
    if (rc < 0 || !json_is_array(ex) || !json_array_size(ex)) return rc;
    params d = {.n = 0};
    p_i64(&d, id);
    if (run(g, P_EX_DEL, &d, err, errlen) < 0) return -1;
    size_t k;
    json_t *x;
    json_array_foreach(ex, k, x) {
        params q = {.n = 0};
        p_i64(&q, id);
        p_i64(&q, (long long)k);
        p_str(&q, json_string_value(json_object_get(x, "id")));
        p_str(&q, json_string_value(json_object_get(x, "text")));
        p_str(&q, json_string_value(json_object_get(x, "lang")));
        if (run(g, P_EX, &q, err, errlen) < 0) return -1;
    }
    return 0;
}

/* Mirrors cx_store_event: every event in cluster_events, cluster lifecycle
 * events also in clusters and cluster_examples, alerts also in alerts. */
static int pg_event(cx_output *o, const char *json, size_t len, char *err, size_t errlen) {
    pg *g = o->ctx;
    json_error_t je;
    json_t *v = json_loadb(json, len, 0, &je);
    if (!v || !json_is_object(v)) {
        /* bad input is not a reason to take the batch back */
        cx_warn("postgres: event not stored: bad event JSON: %s", v ? "not an object" : je.text);
        json_decref(v);
        return 0;
    }
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *event = json_string_value(json_object_get(v, "event"));
    json_int_t id = json_integer_value(json_object_get(v, "cluster_id"));
    int64_t now = cx_now_ms();
    int is_alert = type && !strcmp(type, "alert");
    char evname[64];
    if (is_alert) snprintf(evname, sizeof evname, "alert.%s", event ? event : "?");
    char *body = cx_strndup(json, len);
    if (!body) {
        json_decref(v);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    params p = {.n = 0};
    p_i64(&p, id);
    p_str(&p, is_alert ? evname : event ? event : (type ? type : "event"));
    p_i64(&p, now);
    p_str(&p, body);
    int rc = run(g, P_EV, &p, err, errlen);
    if (rc == 0 && is_alert) rc = pg_alert(g, v, body, now, err, errlen);
    if (rc == 0 && type && !strcmp(type, "cluster") && id > 0) rc = pg_cluster(g, v, id, event, now, err, errlen);
    cx_free(body);
    json_decref(v);
    return rc;
}

static void pg_close(cx_output *o) {
    pg *g = o->ctx;
    if (g->conn) PQfinish(g->conn); /* an open transaction is rolled back by the server */
    cx_free(g->schema);
    cx_buf_free(&g->tmp);
    cx_buf_free(&g->a_theme);
    cx_buf_free(&g->a_weight);
    cx_buf_free(&g->a_sent);
}

cx_output *cx_out_pg_open(const cx_conf *c, char *err, size_t errlen) {
    err[0] = '\0';
    const char *conninfo = cx_conf_str(c, "sink.postgres");
    if (!conninfo || !*conninfo) return NULL;
    const char *schema = cx_conf_str(c, "sink.postgres_schema");
    if (!schema || !*schema) {
        snprintf(err, errlen, "sink.postgres_schema is empty: name the PostgreSQL schema for the tables");
        return NULL;
    }
    if (strlen(schema) > 63) { /* PostgreSQL's identifier limit (NAMEDATALEN - 1) */
        snprintf(err, errlen, "sink.postgres_schema is longer than PostgreSQL's 63 bytes: %.80s...", schema);
        return NULL;
    }
    pg *g = cx_calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cx_output *o = &g->out;
    cx_buf_init(&g->tmp);
    cx_buf_init(&g->a_theme);
    cx_buf_init(&g->a_weight);
    cx_buf_init(&g->a_sent);
    o->name = "postgres";
    o->ctx = g;
    o->close = pg_close;
    g->conn = PQconnectdb(conninfo);
    if (!g->conn) {
        snprintf(err, errlen, "out of memory connecting to PostgreSQL");
        cx_output_close(&o);
        return NULL;
    }
    /* PQhost and PQdb answer from the options even when the connection failed;
     * the connection string itself may hold a password, so it is never logged */
    const char *host = PQhost(g->conn), *port = PQport(g->conn), *db = PQdb(g->conn);
    snprintf(g->where, sizeof g->where, "host %s port %s db %s", host && *host ? host : "(default)",
             port && *port ? port : "(default)", db && *db ? db : "(default)");
    if (PQstatus(g->conn) != CONNECTION_OK) {
        conn_fail(g, "connection failed", err, errlen);
        cx_output_close(&o);
        return NULL;
    }
    char *q = PQescapeIdentifier(g->conn, schema, strlen(schema));
    if (q) {
        g->schema = cx_strdup(q);
        PQfreemem(q);
    }
    if (!g->schema) {
        conn_fail(g, "schema name", err, errlen);
        cx_output_close(&o);
        return NULL;
    }
    if (schema_setup(g, schema, err, errlen) < 0 || session_setup(g, err, errlen) < 0) {
        cx_output_close(&o);
        return NULL;
    }
    cx_info("PostgreSQL output: %s, schema %s", g->where, schema);
    o->begin = pg_begin;
    o->record = pg_record;
    o->event = pg_event;
    o->commit = pg_commit;
    o->rollback = pg_rollback;
    return o;
}
