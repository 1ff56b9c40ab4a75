/* store.c - the SQLite sink (see store.h and docs/SINKS.md).
 *
 * Every event is logged in cluster_events; cluster lifecycle events also
 * update clusters and cluster_examples, spike alerts (docs/TRENDS.md) are
 * also stored one per row in alerts. */
#include "store.h"
#include "cx_alloc.h"
#include "cx_util.h"
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *schema =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta VALUES ('schema_version', '3');"
    "CREATE TABLE IF NOT EXISTS records ("
    " topic TEXT NOT NULL, partition INTEGER NOT NULL, \"offset\" INTEGER NOT NULL,"
    " id TEXT NOT NULL, ts INTEGER NOT NULL, channel TEXT, product TEXT, region TEXT,"
    " lang TEXT, lang_conf REAL, score REAL, score_kind TEXT, text TEXT NOT NULL, meta TEXT,"
    " sentiment REAL, label TEXT, signals TEXT, explain TEXT, tokens TEXT, n_tokens INTEGER,"
    " cluster_id INTEGER, stored_at INTEGER NOT NULL, signal_evidence TEXT,"
    " PRIMARY KEY (topic, partition, \"offset\"));"
    "CREATE INDEX IF NOT EXISTS records_ts ON records(ts);"
    "CREATE INDEX IF NOT EXISTS records_cluster ON records(cluster_id);"
    "CREATE TABLE IF NOT EXISTS record_themes ("
    " topic TEXT, partition INTEGER, \"offset\" INTEGER, theme TEXT, weight REAL, sentiment REAL,"
    " PRIMARY KEY (topic, partition, \"offset\", theme));"
    "CREATE INDEX IF NOT EXISTS record_themes_theme ON record_themes(theme);"
    "CREATE TABLE IF NOT EXISTS clusters ("
    " cluster_id INTEGER PRIMARY KEY, label TEXT, size INTEGER, first_seen INTEGER, last_seen INTEGER,"
    " sentiment REAL, themes TEXT, langs TEXT, terms TEXT, status TEXT, merged_into INTEGER, updated_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS cluster_examples ("
    " cluster_id INTEGER, rank INTEGER, record_id TEXT, text TEXT, lang TEXT, PRIMARY KEY (cluster_id, rank));"
    "CREATE TABLE IF NOT EXISTS cluster_events ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, cluster_id INTEGER, event TEXT, at INTEGER, body TEXT);"
    "CREATE TABLE IF NOT EXISTS alerts ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, first_ms INTEGER, kind TEXT NOT NULL,"
    " key TEXT NOT NULL, cluster_id INTEGER, win TEXT NOT NULL, metric TEXT NOT NULL, count INTEGER,"
    " baseline REAL, ratio REAL, p_value REAL, records INTEGER, neg_share REAL, baseline_neg_share REAL,"
    " body TEXT, stored_at INTEGER NOT NULL, UNIQUE (kind, key, win, metric, at));"
    "CREATE INDEX IF NOT EXISTS alerts_at ON alerts(at);"
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    " topic TEXT, partition INTEGER, \"offset\" INTEGER, id TEXT, reason TEXT, text TEXT, at INTEGER,"
    " PRIMARY KEY (topic, partition, \"offset\"));";

enum { S_REC, S_THEME, S_DLQ, S_CLU, S_EX_DEL, S_EX, S_EV, S_ALERT, S__N };
static const char *sqls[S__N] = {
    "INSERT OR IGNORE INTO records (topic, partition, \"offset\", id, ts, channel, product, region, lang,"
    " lang_conf, score, score_kind, text, meta, sentiment, label, signals, explain, tokens, n_tokens,"
    " cluster_id, stored_at, signal_evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT OR IGNORE INTO record_themes VALUES (?,?,?,?,?,?)",
    "INSERT OR IGNORE INTO dead_letters VALUES (?,?,?,?,?,?,?)",
    "INSERT INTO clusters VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(cluster_id) DO UPDATE SET"
    " label=excluded.label, size=excluded.size, first_seen=MIN(first_seen, excluded.first_seen),"
    " last_seen=MAX(last_seen, excluded.last_seen), sentiment=excluded.sentiment, themes=excluded.themes,"
    " langs=excluded.langs, terms=excluded.terms, status=excluded.status, merged_into=excluded.merged_into,"
    " updated_at=excluded.updated_at",
    "DELETE FROM cluster_examples WHERE cluster_id = ?",
    "INSERT OR REPLACE INTO cluster_examples VALUES (?,?,?,?,?)",
    "INSERT INTO cluster_events (cluster_id, event, at, body) VALUES (?,?,?,?)",
    /* an alert replayed after a restart (same key, window, metric, event time) is stored once */
    "INSERT OR IGNORE INTO alerts (at, first_ms, kind, key, cluster_id, win, metric, count, baseline, ratio,"
    " p_value, records, neg_share, baseline_neg_share, body, stored_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
};

struct cx_store {
    sqlite3 *db;
    sqlite3_stmt *st[S__N];
    cx_buf tmp;
};

static int fail(cx_store *s, const char *what, char *err, size_t n) {
    snprintf(err, n, "sqlite %s: %s", what, sqlite3_errmsg(s->db));
    return -1;
}

/* Schema migrations of a database written by an older sink:
 *   1 -> 2: records.signal_evidence (the signals' evidence, envelope tag 35),
 *           NULL for the records it holds;
 *   2 -> 3: the alerts table (created by the schema's CREATE TABLE IF NOT
 *           EXISTS, empty).
 * The version is only raised, never lowered (a newer database stays newer). */
static int migrate(cx_store *s, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int have = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info('records') WHERE name = 'signal_evidence'", -1,
                           &st, NULL) != SQLITE_OK)
        return fail(s, "schema check", err, errlen);
    have = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (!have && sqlite3_exec(s->db, "ALTER TABLE records ADD COLUMN signal_evidence TEXT;", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, "schema migration to version 2", err, errlen);
    if (sqlite3_exec(s->db,
                     "UPDATE meta SET value = '3' WHERE key = 'schema_version' AND CAST(value AS INTEGER) < 3;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, "schema migration to version 3", err, errlen);
    return 0;
}

cx_store *cx_store_open(const char *path, const char *synchronous, char *err, size_t errlen) {
    cx_store *s = cx_calloc(1, sizeof *s);
    if (!s) { snprintf(err, errlen, "out of memory"); return NULL; }
    cx_buf_init(&s->tmp);
    if (cx_mkdirs(path, 1) < 0) { snprintf(err, errlen, "cannot create the directory of %s", path); cx_free(s); return NULL; }
    if (sqlite3_open(path, &s->db) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open SQLite database %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        cx_store_close(&s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    char pragmas[200];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=OFF;",
             !strcmp(synchronous, "full") ? "FULL" : "NORMAL");
    char *msg = NULL;
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "SQLite database %s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        cx_store_close(&s);
        return NULL;
    }
    if (migrate(s, err, errlen) < 0) {
        cx_store_close(&s);
        return NULL;
    }
    for (int i = 0; i < S__N; i++)
        if (sqlite3_prepare_v2(s->db, sqls[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            fail(s, "prepare", err, errlen);
            cx_store_close(&s);
            return NULL;
        }
    return s;
}

void cx_store_close(cx_store **sp) {
    if (!sp || !*sp) return;
    cx_store *s = *sp;
    for (int i = 0; i < S__N; i++) sqlite3_finalize(s->st[i]);
    if (s->db) sqlite3_close(s->db);
    cx_buf_free(&s->tmp);
    cx_free(s);
    *sp = NULL;
}

int cx_store_begin(cx_store *s, char *err, size_t n) {
    return sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(s, "BEGIN", err, n);
}
int cx_store_commit(cx_store *s, char *err, size_t n) {
    if (!cx_store_txn_open(s)) {
        snprintf(err, n, "SQLite rolled the batch back after an error");
        return -1;
    }
    return sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(s, "COMMIT", err, n);
}
int cx_store_txn_open(cx_store *s) { return !sqlite3_get_autocommit(s->db); }
int cx_store_rollback(cx_store *s) { return sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1; }

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

static int step(cx_store *s, sqlite3_stmt *st, const char *what, char *err, size_t n) {
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r == SQLITE_DONE ? 0 : fail(s, what, err, n);
}

/* ,"signal_evidence":{"effort":["called 3 times","had to explain again"],"churn":[...]}
 * from the envelope's "effort=called 3 times|had to explain again;churn=..." */
static void json_evidence(cx_buf *b, const char *ev) {
    cx_buf_append(b, ",\"signal_evidence\":{", 20);
    char item[512];
    int first_sig = 1;
    for (const char *p = ev; *p;) {
        size_t sl = strcspn(p, ";");
        const char *eq = memchr(p, '=', sl);
        if (eq) {
            size_t nl = (size_t)(eq - p);
            if (nl >= sizeof item) nl = sizeof item - 1;
            memcpy(item, p, nl);
            item[nl] = '\0';
            if (!first_sig) cx_buf_append(b, ",", 1);
            first_sig = 0;
            cx_buf_json_str(b, item);
            cx_buf_append(b, ":[", 2);
            const char *q = eq + 1, *end = p + sl;
            for (int first = 1; q <= end; first = 0) {
                const char *bar = memchr(q, '|', (size_t)(end - q));
                size_t il = (size_t)((bar ? bar : end) - q);
                if (il >= sizeof item) il = sizeof item - 1;
                memcpy(item, q, il);
                item[il] = '\0';
                if (!first) cx_buf_append(b, ",", 1);
                cx_buf_json_str(b, item);
                if (!bar) break;
                q = bar + 1;
            }
            cx_buf_append(b, "]", 1);
        }
        p += sl;
        if (*p == ';') p++;
    }
    cx_buf_append(b, "}", 1);
}

int cx_env_content_stems(const cx_env *e, cx_buf *out) {
    cx_buf_reset(out);
    cx_buf_append(out, "", 0);
    for (uint32_t i = 0; i < e->n_tokens; i++) {
        const cx_token *t = &e->tokens[i];
        if (t->type == CX_TOK_PUNCT || (t->flags & CX_TF_STOP) || !t->stem) continue;
        if (out->len) cx_buf_append(out, " ", 1);
        cx_buf_append(out, t->stem, strlen(t->stem));
    }
    return out->oom ? -1 : 0;
}

int cx_store_record(cx_store *s, const cx_env *e, char *err, size_t n) {
    int64_t now = cx_now_ms();
    if (e->error) {
        sqlite3_stmt *st = s->st[S_DLQ];
        bind_text(st, 1, e->topic);
        sqlite3_bind_int(st, 2, e->partition);
        sqlite3_bind_int64(st, 3, e->offset);
        bind_text(st, 4, e->id);
        bind_text(st, 5, e->error);
        bind_text(st, 6, e->text);
        sqlite3_bind_int64(st, 7, now);
        if (step(s, st, "insert dead letter", err, n) < 0) return -1;
        return sqlite3_changes(s->db) > 0;
    }
    if (cx_env_content_stems(e, &s->tmp) < 0) { snprintf(err, n, "out of memory"); return -1; }
    sqlite3_stmt *st = s->st[S_REC];
    int i = 1;
    bind_text(st, i++, e->topic);
    sqlite3_bind_int(st, i++, e->partition);
    sqlite3_bind_int64(st, i++, e->offset);
    bind_text(st, i++, e->id ? e->id : "");
    sqlite3_bind_int64(st, i++, e->ts_ms);
    bind_text(st, i++, e->channel);
    bind_text(st, i++, e->product);
    bind_text(st, i++, e->region);
    bind_text(st, i++, e->lang);
    sqlite3_bind_double(st, i++, e->lang_conf);
    if (e->score_kind) {
        sqlite3_bind_double(st, i++, e->score);
        bind_text(st, i++, e->score_kind == CX_SCORE_NPS ? "nps" : "rating");
    } else {
        sqlite3_bind_null(st, i++);
        sqlite3_bind_null(st, i++);
    }
    bind_text(st, i++, e->text ? e->text : "");
    bind_text(st, i++, e->meta_json);
    if (e->tagged) {
        sqlite3_bind_double(st, i++, e->sentiment);
        bind_text(st, i++, cx_label_name(e->label));
    } else {
        sqlite3_bind_null(st, i++);
        sqlite3_bind_null(st, i++);
    }
    bind_text(st, i++, e->signals);
    bind_text(st, i++, e->explain);
    bind_text(st, i++, s->tmp.data);
    sqlite3_bind_int(st, i++, (int)e->n_tokens);
    sqlite3_bind_int64(st, i++, e->cluster_id);
    sqlite3_bind_int64(st, i++, now);
    bind_text(st, i++, e->signal_evidence);
    if (step(s, st, "insert record", err, n) < 0) return -1;
    if (sqlite3_changes(s->db) == 0) return 0; /* already stored: exactly-once effect */
    for (uint32_t k = 0; k < e->n_themes; k++) {
        st = s->st[S_THEME];
        bind_text(st, 1, e->topic);
        sqlite3_bind_int(st, 2, e->partition);
        sqlite3_bind_int64(st, 3, e->offset);
        bind_text(st, 4, e->themes[k].id);
        sqlite3_bind_double(st, 5, e->themes[k].weight);
        sqlite3_bind_double(st, 6, e->themes[k].sentiment);
        if (step(s, st, "insert theme", err, n) < 0) return -1;
    }
    return 1;
}

/* One row of alerts from an alert event (fields: docs/TRENDS.md).  An alert
 * without its key fields is refused (-1): it stays in cluster_events only. */
static int store_alert(cx_store *s, json_t *o, const char *body, int64_t now, char *err, size_t n) {
    const char *kind = json_string_value(json_object_get(o, "kind")), *key = json_string_value(json_object_get(o, "key")),
               *win = json_string_value(json_object_get(o, "window")),
               *metric = json_string_value(json_object_get(o, "metric"));
    json_t *at = json_object_get(o, "at_ms");
    if (!kind || !key || !win || !metric || !json_is_integer(at)) {
        snprintf(err, n, "alert event without kind, key, window, metric or at_ms");
        return -1;
    }
    sqlite3_stmt *st = s->st[S_ALERT];
    int i = 1;
    sqlite3_bind_int64(st, i++, json_integer_value(at));
    sqlite3_bind_int64(st, i++, json_integer_value(json_object_get(o, "first_ms")));
    bind_text(st, i++, kind);
    bind_text(st, i++, key);
    json_t *cid = json_object_get(o, "cluster_id");
    if (json_is_integer(cid)) sqlite3_bind_int64(st, i++, json_integer_value(cid));
    else sqlite3_bind_null(st, i++);
    bind_text(st, i++, win);
    bind_text(st, i++, metric);
    sqlite3_bind_int64(st, i++, (sqlite3_int64)json_number_value(json_object_get(o, "count")));
    const char *reals[] = {"baseline", "ratio", "p_value"};
    for (int k = 0; k < 3; k++) {
        json_t *v = json_object_get(o, reals[k]);
        if (json_is_number(v)) sqlite3_bind_double(st, i++, json_number_value(v));
        else sqlite3_bind_null(st, i++);
    }
    sqlite3_bind_int64(st, i++, (sqlite3_int64)json_number_value(json_object_get(o, "records")));
    const char *shares[] = {"neg_share", "baseline_neg_share"};
    for (int k = 0; k < 2; k++) {
        json_t *v = json_object_get(o, shares[k]);
        if (json_is_number(v)) sqlite3_bind_double(st, i++, json_number_value(v));
        else sqlite3_bind_null(st, i++);
    }
    bind_text(st, i++, body);
    sqlite3_bind_int64(st, i++, now);
    return step(s, st, "insert alert", err, n);
}

static char *dump(json_t *v) { return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL; }

int cx_store_event(cx_store *s, const char *json, size_t len, char *err, size_t n) {
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    if (!o || !json_is_object(o)) {
        snprintf(err, n, "bad event JSON: %s", o ? "not an object" : je.text);
        json_decref(o);
        return -1;
    }
    int rc = 0;
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *event = json_string_value(json_object_get(o, "event"));
    json_int_t id = json_integer_value(json_object_get(o, "cluster_id"));
    int64_t now = cx_now_ms();
    char *body = cx_strndup(json, len);
    int is_alert = type && !strcmp(type, "alert");
    char evname[64];
    /* an alert's row names it as such ("alert.spike"): cluster_events.event stays a lifecycle name otherwise */
    if (is_alert) snprintf(evname, sizeof evname, "alert.%s", event ? event : "?");
    sqlite3_stmt *st = s->st[S_EV];
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, is_alert ? evname : event ? event : (type ? type : "event"));
    sqlite3_bind_int64(st, 3, now);
    bind_text(st, 4, body);
    rc = step(s, st, "insert event", err, n);
    if (rc == 0 && is_alert) rc = store_alert(s, o, body, now, err, n);
    cx_free(body);
    if (rc == 0 && type && !strcmp(type, "cluster") && id > 0) {
        char *themes = dump(json_object_get(o, "themes")), *langs = dump(json_object_get(o, "langs")),
             *terms = dump(json_object_get(o, "terms"));
        const char *status = event && !strcmp(event, "retired") ? "retired" : event && !strcmp(event, "merged") ? "merged" : "live";
        st = s->st[S_CLU];
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, json_string_value(json_object_get(o, "label")));
        sqlite3_bind_int64(st, 3, json_integer_value(json_object_get(o, "size")));
        sqlite3_bind_int64(st, 4, json_integer_value(json_object_get(o, "first_seen_ms")));
        sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(o, "last_seen_ms")));
        sqlite3_bind_double(st, 6, json_number_value(json_object_get(o, "sentiment")));
        bind_text(st, 7, themes);
        bind_text(st, 8, langs);
        bind_text(st, 9, terms);
        bind_text(st, 10, status);
        sqlite3_bind_int64(st, 11, json_integer_value(json_object_get(o, "merged_into")));
        sqlite3_bind_int64(st, 12, now);
        rc = step(s, st, "upsert cluster", err, n);
        free(themes);
        free(langs);
        free(terms);
        json_t *ex = json_object_get(o, "examples");
        if (rc == 0 && json_is_array(ex) && json_array_size(ex)) {
            sqlite3_bind_int64(s->st[S_EX_DEL], 1, id);
            rc = step(s, s->st[S_EX_DEL], "delete examples", err, n);
            size_t k;
            json_t *x;
            json_array_foreach(ex, k, x) {
                if (rc < 0) break;
                st = s->st[S_EX];
                sqlite3_bind_int64(st, 1, id);
                sqlite3_bind_int(st, 2, (int)k);
                bind_text(st, 3, json_string_value(json_object_get(x, "id")));
                bind_text(st, 4, json_string_value(json_object_get(x, "text")));
                bind_text(st, 5, json_string_value(json_object_get(x, "lang")));
                rc = step(s, st, "insert example", err, n);
            }
        }
    }
    json_decref(o);
    return rc;
}

long long cx_store_count(cx_store *s, const char *table) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

int cx_env_to_json(const cx_env *e, cx_buf *b) {
    cx_buf_reset(b);
    cx_buf_append(b, "{\"topic\":", 9);
    cx_buf_json_str(b, e->topic);
    cx_buf_printf(b, ",\"partition\":%d,\"offset\":%lld,\"id\":", (int)e->partition, (long long)e->offset);
    cx_buf_json_str(b, e->id);
    cx_buf_printf(b, ",\"ts\":%lld", (long long)e->ts_ms);
    const char *names[] = {"channel", "product", "region"};
    const char *vals[] = {e->channel, e->product, e->region};
    for (int i = 0; i < 3; i++)
        if (vals[i]) {
            cx_buf_printf(b, ",\"%s\":", names[i]);
            cx_buf_json_str(b, vals[i]);
        }
    cx_buf_append(b, ",\"lang\":", 8);
    cx_buf_json_str(b, e->lang);
    cx_buf_printf(b, ",\"lang_conf\":%.3f", e->lang_conf);
    if (e->score_kind) cx_buf_printf(b, ",\"%s\":%g", e->score_kind == CX_SCORE_NPS ? "nps" : "rating", e->score);
    cx_buf_append(b, ",\"text\":", 8);
    cx_buf_json_str(b, e->text);
    if (e->meta_json) {
        cx_buf_append(b, ",\"meta\":", 8);
        cx_buf_append(b, e->meta_json, strlen(e->meta_json));
    }
    if (e->tagged) {
        cx_buf_printf(b, ",\"sentiment\":%.4f,\"label\":\"%s\",\"themes\":[", e->sentiment, cx_label_name(e->label));
        for (uint32_t i = 0; i < e->n_themes; i++) {
            cx_buf_append(b, i ? ",{\"id\":" : "{\"id\":", i ? 7 : 6);
            cx_buf_json_str(b, e->themes[i].id);
            cx_buf_printf(b, ",\"weight\":%.2f,\"sentiment\":%.3f}", e->themes[i].weight, e->themes[i].sentiment);
        }
        cx_buf_append(b, "]", 1);
        if (e->signals) { cx_buf_append(b, ",\"signals\":", 11); cx_buf_json_str(b, e->signals); }
        if (e->signal_evidence) json_evidence(b, e->signal_evidence);
        if (e->explain) { cx_buf_append(b, ",\"explain\":", 11); cx_buf_json_str(b, e->explain); }
    }
    cx_buf_printf(b, ",\"cluster_id\":%lld,\"tokens\":[", (long long)e->cluster_id);
    int first = 1;
    for (uint32_t i = 0; i < e->n_tokens; i++) {
        const cx_token *t = &e->tokens[i];
        if (t->type == CX_TOK_PUNCT) continue;
        if (!first) cx_buf_append(b, ",", 1);
        first = 0;
        cx_buf_json_str(b, t->stem ? t->stem : t->norm);
    }
    cx_buf_append(b, "]}\n", 3);
    return b->oom ? -1 : 0;
}
