/* main.c - cxflow-dash: the live dashboard and JSON API over the sink's
 * SQLite database.
 *
 *   cxflow-dash [-c FILE] [-o key=value]...
 *
 * Listens on dashboard.listen (default off; the shipped pipeline.conf sets
 * 127.0.0.1:8088) and serves, for GET and HEAD only:
 *   /                    the HTML report (tools/report) rendered per request,
 *                        with a small script that keeps it current
 *   /api/summary         totals the page's script polls
 *   /api/themes          per theme: records, negative records, avg sentiment
 *   /api/clusters        per cluster: label, status, records, sentiment
 *   /api/alerts          the spike alerts, newest first
 *   /api/records         records, newest first: ?theme=ID ?cluster=ID ?limit=N
 *   /healthz             the server is up; whether the database is readable
 * Every request opens its own read-only SQLite connection and reads inside
 * one transaction, so it sees what the sink has committed so far, a
 * consistent snapshot, and no lock is shared between libmicrohttpd's
 * threads.  The database is never written.  There is no authentication:
 * requests whose Host header is not a loopback name are refused while the
 * server listens on a loopback address (a DNS-rebinding page in a browser
 * cannot read the data), and the README says to put an authenticating
 * reverse proxy in front to expose it.  The URL it listens on is logged and
 * written to run.dir/dash.url (port 0 picks a free port: tests use that). */
#include "cx_alloc.h"
#include "cx_log.h"
#include "cx_report.h"
#include "cx_util.h"
#include "report_int.h" /* the theme taxonomy (theme names) */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_NO_LISTEN 3 /* the supervisor does not restart a dashboard that cannot listen */

#define LIMIT_RECORDS_DEF 20
#define LIMIT_RECORDS_MAX 200
#define LIMIT_LIST_DEF 100   /* clusters, alerts */
#define LIMIT_LIST_MAX 1000
#define THEME_NEG_MAX "-0.05" /* the report's rule for a negative theme mention (report.c) */

static struct {
    char db[4096], lexdir[4096];
    int refresh_s;
    int loopback; /* listening on a loopback address: check Host */
} g;

/* ---- responses ---- */

static void free_cb(void *p) { cx_free(p); }

/* Queue body (taken over: freed by MHD through cx_free) with the headers every answer has. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, char *body, size_t len) {
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(len, body, free_cb);
    if (!resp) { cx_free(body); return MHD_NO; }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (!strncmp(type, "text/html", 9))
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                                "connect-src 'self'; frame-ancestors 'none'");
    else
        MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Serialise v (released here) and send it as JSON. */
static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, json_t *v) {
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(8)) : NULL;
    json_decref(v);
    size_t n = s ? strlen(s) : 0;
    char *body = s ? cx_malloc(n + 2) : NULL;
    if (body) {
        memcpy(body, s, n);
        body[n++] = '\n';
        body[n] = '\0';
    }
    free(s); /* Jansson's own allocation */
    if (!body) {
        static const char oom[] = "{\"error\":\"out of memory\"}\n";
        if (!(body = cx_strdup(oom))) return MHD_NO;
        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", body, sizeof oom - 1);
    }
    return reply(conn, status, "application/json", body, n);
}

/* A JSON string of s; bytes that are not valid UTF-8 become '?' (a
 * database from elsewhere must not make the answer fail). */
static json_t *jstr(const char *s) {
    json_t *v = json_string(s);
    if (v) return v;
    char *c = cx_strdup(s);
    if (!c) return NULL;
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    v = json_string(c);
    cx_free(c);
    return v;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg) {
    /* msg may carry a path or an SQLite message: not necessarily UTF-8 */
    return reply_json(conn, status, json_pack("{s:o}", "error", jstr(msg)));
}

/* ---- database ---- */


static json_t *column_json(sqlite3_stmt *st, int i) {
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
    case SQLITE_NULL: return json_null();
    default: return jstr((const char *)sqlite3_column_text(st, i));
    }
}

typedef struct req_db {
    sqlite3 *db;
    char err[512];
    int missing; /* no database file (yet) */
} req_db;

/* Open the database read-only for one request and start its read
 * transaction.  0, or -1 with err (missing set when there is no file). */
static int db_open(req_db *d) {
    struct stat sb;
    if (stat(g.db, &sb) != 0) {
        d->missing = errno == ENOENT;
        snprintf(d->err, sizeof d->err, d->missing ? "no database yet at %.400s" : "%.400s: %s", g.db, strerror(errno));
        return -1;
    }
    if (sqlite3_open_v2(g.db, &d->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(d->db, 5000) != SQLITE_OK || sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(d->err, sizeof d->err, "%.400s: %s", g.db, d->db ? sqlite3_errmsg(d->db) : "cannot open");
        return -1;
    }
    return 0;
}

static void db_close(req_db *d) {
    if (!d->db) return;
    sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(d->db);
    d->db = NULL;
}

static int has_table(req_db *d, const char *name) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL))
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* One parameter (the nth binds ?n): NULL when null is set, else the text s, else the integer i. */
typedef struct bindv { const char *s; long long i; int null; } bindv;

/* Run sql with the given bindings; every row becomes an object keyed by the
 * column names (aliases in the SQL name the JSON fields).  NULL with err on
 * an SQLite error or out of memory. */
static json_t *rows(req_db *d, const char *sql, const bindv *b, int nb) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(d->err, sizeof d->err, "query failed: %s", sqlite3_errmsg(d->db));
        return NULL;
    }
    for (int i = 0; i < nb; i++) {
        if (b[i].null) sqlite3_bind_null(st, i + 1);
        else if (b[i].s) sqlite3_bind_text(st, i + 1, b[i].s, -1, SQLITE_TRANSIENT);
        else sqlite3_bind_int64(st, i + 1, b[i].i);
    }
    json_t *arr = json_array();
    int rc, ncol = sqlite3_column_count(st);
    while (arr && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        for (int i = 0; o && i < ncol; i++)
            if (json_object_set_new(o, sqlite3_column_name(st, i), column_json(st, i)) < 0) {
                json_decref(o);
                o = NULL;
            }
        if (!o || json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    if (!arr) snprintf(d->err, sizeof d->err, "out of memory");
    else if (rc != SQLITE_DONE) {
        snprintf(d->err, sizeof d->err, "query failed: %s", sqlite3_errmsg(d->db));
        json_decref(arr);
        arr = NULL;
    }
    sqlite3_finalize(st);
    return arr;
}

/* ---- query parameters ---- */

typedef struct params {
    const char *allowed; /* " theme cluster limit " */
    char bad[160];
} params;

static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    (void)value;
    params *p = cls;
    char want[80];
    snprintf(want, sizeof want, " %.60s ", key);
    if (!strstr(p->allowed, want) || strlen(key) > 60) {
        snprintf(p->bad, sizeof p->bad, "unknown parameter '%.60s'", key);
        return MHD_NO;
    }
    return MHD_YES;
}

/* A positive decimal integer of at most 12 digits, or -1. */
static long long parse_pos(const char *s) {
    if (!s || !*s || strlen(s) > 12) return -1;
    long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
    }
    return v > 0 ? v : -1;
}

/* limit=N: missing gives def, above max is capped; -1 when not a positive integer. */
static long long get_limit(struct MHD_Connection *conn, long long def, long long max) {
    const char *s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
    if (!s) return def;
    long long v = parse_pos(s);
    return v < 0 ? -1 : v > max ? max : v;
}

/* ---- routes ---- */

/* Merge the one row of sql (or, without table, of none_sql: the same
 * columns as constants) into o.  0, or -1 with err. */
static int merge_row(req_db *d, json_t *o, const char *table, const char *sql, const char *none_sql) {
    json_t *x = rows(d, table && !has_table(d, table) ? none_sql : sql, NULL, 0);
    if (!x) return -1;
    json_object_update(o, json_array_get(x, 0));
    json_decref(x);
    return 0;
}

static json_t *api_summary(req_db *d) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (merge_row(d, o, NULL,
                  "SELECT COUNT(*) AS records, MIN(ts) AS first_ts, MAX(ts) AS newest_ts,"
                  " COALESCE(SUM(label = 'negative'), 0) AS negative, COALESCE(SUM(label = 'neutral'), 0) AS neutral,"
                  " COALESCE(SUM(label = 'positive'), 0) AS positive, COALESCE(SUM(cluster_id > 0), 0) AS clustered"
                  " FROM records", NULL) < 0 ||
        merge_row(d, o, "record_themes", "SELECT COUNT(DISTINCT theme) AS themes FROM record_themes",
                  "SELECT 0 AS themes") < 0 ||
        merge_row(d, o, "clusters",
                  "SELECT COALESCE(SUM(status = 'live'), 0) AS clusters_live, MAX(updated_at) AS clusters_updated_at"
                  " FROM clusters", "SELECT 0 AS clusters_live, NULL AS clusters_updated_at") < 0 ||
        merge_row(d, o, "alerts", "SELECT COUNT(*) AS alerts FROM alerts", "SELECT 0 AS alerts") < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *api_themes(req_db *d) {
    if (!has_table(d, "record_themes")) return json_array();
    json_t *arr = rows(d,
                "SELECT rt.theme AS id, CASE WHEN instr(rt.theme, '.') > 0 THEN substr(rt.theme, 1,"
                " instr(rt.theme, '.') - 1) END AS parent, COUNT(*) AS records,"
                " SUM(CASE WHEN rt.sentiment IS NOT NULL THEN rt.sentiment <= " THEME_NEG_MAX
                " ELSE r.label = 'negative' END) AS negative, AVG(COALESCE(rt.sentiment, r.sentiment)) AS avg_sentiment,"
                " MIN(r.ts) AS first_ts, MAX(r.ts) AS last_ts"
                " FROM record_themes rt JOIN records r ON r.topic = rt.topic AND r.partition = rt.partition"
                " AND r.\"offset\" = rt.\"offset\" GROUP BY rt.theme ORDER BY records DESC, id",
                NULL, 0);
    /* display names from the taxonomy, as in the report (null when unknown) */
    cx_rp_taxo taxo = {0};
    char err[300];
    if (arr && cx_rp_taxo_load(&taxo, g.lexdir, err, sizeof err) == 0) {
        size_t i;
        json_t *t;
        json_array_foreach(arr, i, t) {
            const char *id = json_string_value(json_object_get(t, "id"));
            const char *name = id ? cx_rp_taxo_name(&taxo, id) : NULL;
            json_object_set_new(t, "name", name ? jstr(name) : json_null());
        }
    }
    cx_rp_taxo_free(&taxo);
    return arr;
}

static json_t *api_clusters(req_db *d, long long limit) {
    bindv b[1] = {{NULL, limit, 0}};
    if (!has_table(d, "clusters")) return json_array();
    json_t *arr = rows(d,
                "SELECT c.cluster_id AS id, c.label AS label, c.status AS status, c.merged_into AS merged_into,"
                " c.size AS size, COALESCE(n.records, 0) AS records, COALESCE(n.negative, 0) AS negative,"
                " n.avg_sentiment AS avg_sentiment, c.first_seen AS first_seen, c.last_seen AS last_seen,"
                " c.terms AS terms, c.updated_at AS updated_at"
                " FROM clusters c LEFT JOIN (SELECT cluster_id, COUNT(*) AS records, SUM(label = 'negative') AS negative,"
                " AVG(sentiment) AS avg_sentiment FROM records WHERE cluster_id > 0 GROUP BY cluster_id) n"
                " ON n.cluster_id = c.cluster_id ORDER BY records DESC, id LIMIT ?1",
                b, 1);
    /* the sink stores the terms as a JSON array in text: hand them on as a list (left as text when not JSON) */
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c) {
        const char *t = json_string_value(json_object_get(c, "terms"));
        json_t *v = t ? json_loads(t, 0, NULL) : NULL;
        if (json_is_array(v)) json_object_set_new(c, "terms", v);
        else json_decref(v);
    }
    return arr;
}

static json_t *api_alerts(req_db *d, long long limit) {
    bindv b[1] = {{NULL, limit, 0}};
    if (!has_table(d, "alerts")) return json_array();
    return rows(d,
                "SELECT seq, at, first_ms, kind, key, cluster_id, win AS window, metric, count, baseline, ratio,"
                " p_value, records, neg_share, baseline_neg_share FROM alerts ORDER BY at DESC, seq DESC LIMIT ?1",
                b, 1);
}

/* theme matches the id itself and its sub-themes (theme=delivery gives
 * delivery.late too); cluster 0 and theme NULL mean any. */
static json_t *api_records(req_db *d, const char *theme, long long cluster, long long limit) {
    int themes = has_table(d, "record_themes");
    if (theme && !themes) return json_array();
#define RT_OF_R "t.topic = r.topic AND t.partition = r.partition AND t.\"offset\" = r.\"offset\""
    char sql[1600];
    snprintf(sql, sizeof sql,
             "SELECT r.id AS id, r.topic AS topic, r.partition AS partition, r.\"offset\" AS \"offset\", r.ts AS ts,"
             " r.lang AS lang, r.channel AS channel, r.product AS product, r.region AS region, r.label AS label,"
             " r.sentiment AS sentiment, r.cluster_id AS cluster_id, %s AS themes, r.text AS text FROM records r"
             " WHERE %s AND (?2 = 0 OR r.cluster_id = ?2)"
             " ORDER BY r.ts DESC, r.topic, r.partition, r.\"offset\" DESC LIMIT ?3",
             themes ? "(SELECT group_concat(t.theme, ',') FROM record_themes t WHERE " RT_OF_R ")" : "NULL",
             theme ? "EXISTS (SELECT 1 FROM record_themes t WHERE " RT_OF_R
                     " AND (t.theme = ?1 OR substr(t.theme, 1, length(?1) + 1) = ?1 || '.'))"
                   : "?1 IS NULL");
#undef RT_OF_R
    bindv b[3] = {{theme, 0, theme == NULL}, {NULL, cluster, 0}, {NULL, limit, 0}};
    json_t *arr = rows(d, sql, b, 3);
    if (!arr) return NULL;
    /* the comma-separated themes as a list */
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec) {
        json_t *t = json_object_get(rec, "themes"), *list = json_array();
        if (!list) {
            json_decref(arr);
            snprintf(d->err, sizeof d->err, "out of memory");
            return NULL;
        }
        if (json_is_string(t)) {
            const char *s = json_string_value(t);
            while (*s) {
                const char *e = strchr(s, ',');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                json_array_append_new(list, json_stringn(s, n));
                s += n + (e != NULL);
            }
        }
        json_object_set_new(rec, "themes", list);
    }
    return arr;
}

/* The page while there is no database (or it cannot be read): says why and
 * reloads itself, so it turns into the dashboard once the sink has written. */
static enum MHD_Result page_waiting(struct MHD_Connection *conn, const char *why) {
    cx_buf b;
    cx_buf_init(&b);
    cx_buf_printf(&b,
                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta http-equiv=\"refresh\" content=\"%d\">\n<title>cxflow dashboard: waiting for data</title>\n"
                  "</head>\n<body style=\"font-family:system-ui,sans-serif;margin:2rem\">\n<h1>Waiting for data</h1>\n<p id=\"waiting\">",
                  g.refresh_s);
    cx_html_escape(&b, why, 0);
    cx_buf_printf(&b, ".</p>\n<p>Start the pipeline (tools/cxflow run) and produce records; this page retries every %d s.</p>\n"
                      "</body>\n</html>\n", g.refresh_s);
    if (b.oom) { cx_buf_free(&b); return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory"); }
    return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/html; charset=utf-8", b.data, b.len);
}

static enum MHD_Result page_dashboard(struct MHD_Connection *conn) {
    char err[600] = "";
    struct stat sb;
    if (stat(g.db, &sb) != 0 && errno == ENOENT) {
        snprintf(err, sizeof err, "no database yet at %.400s", g.db);
        return page_waiting(conn, err);
    }
    cx_buf b;
    cx_buf_init(&b);
    cx_report_opts o = {.db_path = g.db, .title = "Customer feedback (live)", .lexicons_dir = g.lexdir,
                        .dashboard = 1, .refresh_s = g.refresh_s};
    if (cx_report_render(&o, &b, err, sizeof err) < 0) {
        cx_buf_free(&b);
        return page_waiting(conn, err);
    }
    return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", b.data, b.len);
}

/* Host names allowed while listening on loopback: localhost and loopback
 * literals, with or without a port. */
static int host_ok(struct MHD_Connection *conn) {
    if (!g.loopback) return 1;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!h) return 1; /* HTTP/1.0 without Host: not a browser */
    char host[256];
    snprintf(host, sizeof host, "%s", h);
    char *end = host[0] == '[' ? strchr(host, ']') : strrchr(host, ':');
    if (host[0] == '[') {
        if (!end) return 0;
        end[1] = '\0';
    } else if (end)
        *end = '\0';
    if (!strcmp(host, "localhost") || !strcmp(host, "[::1]")) return 1;
    /* an IPv4 literal in 127/8, parsed, not matched by prefix: a name such
     * as 127.attacker.example must not pass (DNS rebinding) */
    struct in_addr a;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
    (void)cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    *upload_data_size = 0; /* a body is ignored: nothing here takes one */
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET");
    if (!host_ok(conn)) return reply_error(conn, MHD_HTTP_FORBIDDEN, "Host is not a loopback name");

    const char *allowed = " ";
    if (!strcmp(url, "/api/records")) allowed = " theme cluster limit ";
    else if (!strcmp(url, "/api/clusters") || !strcmp(url, "/api/alerts")) allowed = " limit ";
    params p = {.allowed = allowed};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, check_param, &p);

    int is_api = !strncmp(url, "/api/", 5);
    if (!strcmp(url, "/") || !strcmp(url, "/index.html")) {
        if (p.bad[0]) return reply_error(conn, MHD_HTTP_BAD_REQUEST, p.bad);
        return page_dashboard(conn);
    }
    if (!strcmp(url, "/healthz")) {
        req_db d = {0};
        int ok = db_open(&d) == 0;
        db_close(&d);
        return reply_json(conn, MHD_HTTP_OK,
                          json_pack("{s:b,s:s,s:o}", "ok", 1, "database", ok ? "ready" : d.missing ? "missing" : "error",
                                    "detail", jstr(ok ? "" : d.err)));
    }
    if (!is_api || (strcmp(url, "/api/summary") && strcmp(url, "/api/themes") && strcmp(url, "/api/clusters") &&
                    strcmp(url, "/api/alerts") && strcmp(url, "/api/records")))
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "not found");
    if (p.bad[0]) return reply_error(conn, MHD_HTTP_BAD_REQUEST, p.bad);

    /* validate every parameter before touching the database */
    long long limit = 0, cluster = 0;
    const char *theme = NULL;
    if (!strcmp(url, "/api/records")) {
        if ((limit = get_limit(conn, LIMIT_RECORDS_DEF, LIMIT_RECORDS_MAX)) < 0)
            return reply_error(conn, MHD_HTTP_BAD_REQUEST, "limit must be a positive integer");
        const char *c = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "cluster");
        if (c && (cluster = parse_pos(c)) < 0)
            return reply_error(conn, MHD_HTTP_BAD_REQUEST, "cluster must be a positive integer (a cluster id)");
        theme = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "theme");
        if (theme && (!*theme || strlen(theme) > 200))
            return reply_error(conn, MHD_HTTP_BAD_REQUEST, "theme must be a theme id of 1 to 200 bytes");
    } else if (strcmp(url, "/api/summary") && strcmp(url, "/api/themes")) {
        if ((limit = get_limit(conn, LIMIT_LIST_DEF, LIMIT_LIST_MAX)) < 0)
            return reply_error(conn, MHD_HTTP_BAD_REQUEST, "limit must be a positive integer");
    }

    req_db d = {0};
    if (db_open(&d) < 0) {
        db_close(&d);
        return reply_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, d.err);
    }
    json_t *v = NULL;
    const char *key = NULL;
    if (!has_table(&d, "records")) snprintf(d.err, sizeof d.err, "%.400s is not a cxflow database (no records table)", g.db);
    else if (!strcmp(url, "/api/summary")) v = api_summary(&d);
    else if (!strcmp(url, "/api/themes")) v = api_themes(&d), key = "themes";
    else if (!strcmp(url, "/api/clusters")) v = api_clusters(&d, limit), key = "clusters";
    else if (!strcmp(url, "/api/alerts")) v = api_alerts(&d, limit), key = "alerts";
    else v = api_records(&d, theme, cluster, limit), key = "records";
    db_close(&d);
    if (!v) return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, d.err[0] ? d.err : "out of memory");
    if (key) {
        json_t *o = json_object();
        if (!o || json_object_set_new(o, key, v) < 0) {
            json_decref(o);
            return reply_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        }
        if (!strcmp(key, "records") || !strcmp(key, "clusters") || !strcmp(key, "alerts"))
            json_object_set_new(o, "limit", json_integer(limit));
        v = o;
    }
    return reply_json(conn, MHD_HTTP_OK, v);
}

/* ---- listening ---- */

/* Bind and listen on "host:port" or "[v6]:port"; -1 with err. */
static int listen_on(const char *spec, char *url, size_t urln, char *err, size_t errlen) {
    char host[256], port[16];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1] || strlen(colon + 1) >= sizeof port) {
        snprintf(err, errlen, "dashboard.listen = '%s': expected host:port (e.g. 127.0.0.1:8088)", spec);
        return -1;
    }
    size_t hl = (size_t)(colon - spec);
    if (spec[0] == '[') {
        if (hl < 3 || spec[hl - 1] != ']') {
            snprintf(err, errlen, "dashboard.listen = '%s': expected [v6-address]:port", spec);
            return -1;
        }
        snprintf(host, sizeof host, "%.*s", (int)(hl - 2), spec + 1);
    } else
        snprintf(host, sizeof host, "%.*s", (int)hl, spec);
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "dashboard.listen = '%s': %s", spec, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    char addr[INET6_ADDRSTRLEN] = "?";
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    if (sa.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
        g.loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
        snprintf(url, urln, "http://[%s]:%u/", addr, ntohs(s6->sin6_port));
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
        g.loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
        snprintf(url, urln, "http://%s:%u/", addr, ntohs(s4->sin_port));
    }
    return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = '\0';
    cx_warn("http: %s", msg);
}

int main(int argc, char **argv) {
    int code;
    cx_conf *c = cx_stage_args(argc, argv, "dash",
                               "the live dashboard and JSON API over the sink's SQLite database (dashboard.listen)", &code);
    if (!c) return code;
    const char *spec = cx_conf_str(c, "dashboard.listen");
    if (!*spec) {
        cx_error("dashboard.listen is empty: the dashboard is disabled");
        cx_conf_destroy(&c);
        return EXIT_NO_LISTEN;
    }
    cx_conf_path(c, "sink.sqlite", g.db, sizeof g.db);
    cx_conf_path(c, "lexicons.dir", g.lexdir, sizeof g.lexdir);
    g.refresh_s = (int)cx_conf_int(c, "dashboard.refresh_s");
    if (!*g.db) {
        cx_error("sink.sqlite is empty: the dashboard has no database to show");
        cx_conf_destroy(&c);
        return EXIT_NO_LISTEN;
    }
    char err[600], url[128];
    int fd = listen_on(spec, url, sizeof url, err, sizeof err);
    if (fd < 0) {
        cx_error("%s", err);
        cx_conf_destroy(&c);
        return EXIT_NO_LISTEN;
    }
    cx_signals_install();
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, NULL, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!d) {
        cx_error("cannot start the HTTP server on %s", spec);
        close(fd);
        cx_conf_destroy(&c);
        return EXIT_NO_LISTEN;
    }
    char rundir[4096], path[4200];
    cx_conf_path(c, "run.dir", rundir, sizeof rundir);
    cx_mkdirs(rundir, 0);
    snprintf(path, sizeof path, "%s/dash.url", rundir);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%s\n", url);
        fclose(f);
    }
    cx_pidfile_write(c, "dash");
    cx_info("dashboard on %s (database %s)", url, g.db);
    while (!cx_stop) usleep(100 * 1000);
    MHD_stop_daemon(d);
    close(fd);
    unlink(path);
    cx_pidfile_remove(c, "dash");
    cx_info("dashboard stopped");
    cx_conf_destroy(&c);
    return 0;
}
