/* test_store.c - unit tests of the SQLite sink: schema, exactly-once effect
 * on source coordinates, themes, dead letters, cluster events, alerts, JSON
 * lines, schema migrations. */
#include "cx_alloc.h"
#include "cx_test.h"
#include "store.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/cxtest-store-XXXXXX";
static char dbpath[256];

static cx_env *rec(int32_t p, int64_t off, const char *text) {
    cx_env *e = cx_env_new();
    e->topic = "feedback";
    e->partition = p;
    e->offset = off;
    e->id = "r";
    e->ts_ms = 1000;
    e->text = text;
    memcpy(e->lang, "de", 3);
    e->n_tokens = 2;
    e->tokens = cx_env_alloc(e, 2 * sizeof(cx_token));
    e->tokens[0] = (cx_token){"die", "die", "die", CX_TF_STOP, 0, CX_TOK_WORD, 0};
    e->tokens[1] = (cx_token){"erstattung", "erstatt", "Erstattung", 0, 0, CX_TOK_WORD, 0};
    e->tagged = 1;
    e->sentiment = -0.5f;
    e->label = CX_LABEL_NEGATIVE;
    e->n_themes = 2;
    e->themes = cx_env_alloc(e, 2 * sizeof(cx_theme_hit));
    e->themes[0] = (cx_theme_hit){"refunds_returns", 1, -0.5f};
    e->themes[1] = (cx_theme_hit){"waiting_time", 1, -0.5f};
    e->cluster_id = 4;
    return e;
}

static long long q(const char *sql) {
    sqlite3 *db;
    sqlite3_open(dbpath, &db);
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_idempotent(void) {
    char err[256];
    cx_store *s = cx_store_open(dbpath, "normal", err, sizeof err);
    CX_CHECK(s != NULL);
    if (!s) { fprintf(stderr, "%s\n", err); return; }
    CX_CHECK(cx_store_begin(s, err, sizeof err) == 0);
    cx_env *a = rec(0, 1, "Die Erstattung fehlt"), *b = rec(1, 1, "Noch nichts"), *a2 = rec(0, 1, "Die Erstattung fehlt");
    CX_CHECK(cx_store_record(s, a, err, sizeof err) == 1);
    CX_CHECK(cx_store_record(s, b, err, sizeof err) == 1);
    CX_CHECK(cx_store_record(s, a2, err, sizeof err) == 0);   /* redelivered: stored once */
    CX_CHECK(cx_store_commit(s, err, sizeof err) == 0);
    CX_CHECK(cx_store_count(s, "records") == 2);
    CX_CHECK(cx_store_count(s, "record_themes") == 4);
    /* a rolled-back batch leaves nothing behind */
    cx_env *c = rec(2, 9, "x");
    cx_store_begin(s, err, sizeof err);
    CX_CHECK(cx_store_record(s, c, err, sizeof err) == 1);
    cx_store_rollback(s);
    CX_CHECK(cx_store_count(s, "records") == 2);
    cx_store_close(&s);
    CX_CHECK(q("SELECT count(*) FROM records WHERE tokens = 'erstatt' AND label = 'negative' AND cluster_id = 4") == 2);
    /* reopening keeps the data and the schema */
    s = cx_store_open(dbpath, "full", err, sizeof err);
    CX_CHECK(s && cx_store_count(s, "records") == 2);
    cx_store_begin(s, err, sizeof err);
    CX_CHECK(cx_store_record(s, a, err, sizeof err) == 0);
    cx_store_commit(s, err, sizeof err);
    cx_store_close(&s);
    cx_env_destroy(&a);
    cx_env_destroy(&b);
    cx_env_destroy(&a2);
    cx_env_destroy(&c);
}

static void test_dead_letter(void) {
    char err[256];
    cx_store *s = cx_store_open(dbpath, "normal", err, sizeof err);
    cx_env *e = rec(3, 3, "poison");
    e->error = "tag: lexicon exploded";
    cx_store_begin(s, err, sizeof err);
    CX_CHECK(cx_store_record(s, e, err, sizeof err) == 1);
    CX_CHECK(cx_store_record(s, e, err, sizeof err) == 0);
    cx_store_commit(s, err, sizeof err);
    CX_CHECK(cx_store_count(s, "dead_letters") == 1);
    CX_CHECK(q("SELECT count(*) FROM records WHERE partition = 3") == 0);
    cx_store_close(&s);
    cx_env_destroy(&e);
}

static void test_events(void) {
    char err[256];
    cx_store *s = cx_store_open(dbpath, "normal", err, sizeof err);
    const char *ev1 = "{\"type\":\"cluster\",\"event\":\"created\",\"cluster_id\":4,\"label\":\"refund\",\"size\":1,"
                      "\"first_seen_ms\":500,\"last_seen_ms\":500,\"sentiment\":-0.5,\"themes\":[{\"id\":\"refunds_returns\",\"count\":1}],"
                      "\"langs\":{\"de\":1},\"terms\":[\"refund\"],\"examples\":[{\"id\":\"r\",\"text\":\"Die Erstattung fehlt\",\"lang\":\"de\"}]}";
    const char *ev2 = "{\"type\":\"cluster\",\"event\":\"grew\",\"cluster_id\":4,\"label\":\"refund · received\",\"size\":3,"
                      "\"first_seen_ms\":900,\"last_seen_ms\":2000,\"sentiment\":-0.6,\"examples\":["
                      "{\"id\":\"a\",\"text\":\"one\",\"lang\":\"en\"},{\"id\":\"b\",\"text\":\"two\",\"lang\":\"fa\"}]}";
    cx_store_begin(s, err, sizeof err);
    CX_CHECK(cx_store_event(s, ev1, strlen(ev1), err, sizeof err) == 0);
    CX_CHECK(cx_store_event(s, ev2, strlen(ev2), err, sizeof err) == 0);
    CX_CHECK(cx_store_event(s, "{bad", 4, err, sizeof err) == -1);
    cx_store_commit(s, err, sizeof err);
    CX_CHECK(cx_store_count(s, "cluster_events") == 2);
    CX_CHECK(cx_store_count(s, "cluster_examples") == 2);
    cx_store_close(&s);
    CX_CHECK(q("SELECT size FROM clusters WHERE cluster_id = 4") == 3);
    CX_CHECK(q("SELECT first_seen FROM clusters WHERE cluster_id = 4") == 500);
    CX_CHECK(q("SELECT last_seen FROM clusters WHERE cluster_id = 4") == 2000);
    CX_CHECK(q("SELECT count(*) FROM clusters WHERE label = 'refund · received' AND status = 'live'") == 1);
}

static void test_jsonl(void) {
    cx_env *e = rec(0, 5, "line \"quoted\"\nnext");
    e->meta_json = "{\"tier\":\"gold\"}";
    cx_buf b;
    cx_buf_init(&b);
    CX_CHECK(cx_env_to_json(e, &b) == 0);
    CX_CHECK(b.len && b.data[b.len - 1] == '\n' && !memchr(b.data, '\n', b.len - 1));
    CX_CHECK(strstr(b.data, "\"text\":\"line \\\"quoted\\\"\\nnext\"") != NULL);
    CX_CHECK(strstr(b.data, "\"meta\":{\"tier\":\"gold\"}") != NULL);
    CX_CHECK(strstr(b.data, "\"label\":\"negative\"") != NULL);
    CX_CHECK(strstr(b.data, "\"themes\":[{\"id\":\"refunds_returns\"") != NULL);
    CX_CHECK(strstr(b.data, "signal_evidence") == NULL);
    /* the signals' evidence as a JSON object of arrays */
    e->signals = "churn,effort";
    e->signal_evidence = "churn=cancel my account;effort=called 3 times|had to \"explain\" again";
    CX_CHECK(cx_env_to_json(e, &b) == 0);
    CX_CHECK(strstr(b.data, "\"signals\":\"churn,effort\"") != NULL);
    CX_CHECK(strstr(b.data, "\"signal_evidence\":{\"churn\":[\"cancel my account\"],"
                            "\"effort\":[\"called 3 times\",\"had to \\\"explain\\\" again\"]}") != NULL);
    cx_buf_free(&b);
    cx_env_destroy(&e);
}

/* records.signal_evidence is stored; a database of schema version 1 (no
 * such column) gets it, and the alerts table of version 3, when the sink
 * opens it. */
static void test_signal_evidence(void) {
    char err[256], old[sizeof dbpath];
    snprintf(old, sizeof old, "%s/v1.db", dir);
    sqlite3 *db;
    CX_CHECK(sqlite3_open(old, &db) == SQLITE_OK);
    CX_CHECK(sqlite3_exec(db,
                          "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                          "INSERT INTO meta VALUES ('schema_version', '1');"
                          "CREATE TABLE records (topic TEXT NOT NULL, partition INTEGER NOT NULL, \"offset\" INTEGER "
                          "NOT NULL, id TEXT NOT NULL, ts INTEGER NOT NULL, channel TEXT, product TEXT, region TEXT,"
                          " lang TEXT, lang_conf REAL, score REAL, score_kind TEXT, text TEXT NOT NULL, meta TEXT,"
                          " sentiment REAL, label TEXT, signals TEXT, explain TEXT, tokens TEXT, n_tokens INTEGER,"
                          " cluster_id INTEGER, stored_at INTEGER NOT NULL, PRIMARY KEY (topic, partition, \"offset\"));"
                          "INSERT INTO records VALUES ('feedback', 0, 1, 'old', 0, NULL, NULL, NULL, 'en', 1, NULL, NULL,"
                          " 'old text', NULL, 0, 'neutral', NULL, NULL, '', 0, 0, 0);",
                          NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    char keep[sizeof dbpath];
    snprintf(keep, sizeof keep, "%s", dbpath);
    snprintf(dbpath, sizeof dbpath, "%s", old);
    cx_store *s = cx_store_open(old, "normal", err, sizeof err);
    CX_CHECK(s != NULL);
    if (s) {
        cx_env *e = rec(0, 2, "I called 3 times");
        e->signals = "effort";
        e->signal_evidence = "effort=called 3 times";
        CX_CHECK(cx_store_begin(s, err, sizeof err) == 0);
        CX_CHECK(cx_store_record(s, e, err, sizeof err) == 1);
        CX_CHECK(cx_store_commit(s, err, sizeof err) == 0);
        cx_env_destroy(&e);
        cx_store_close(&s);
    }
    CX_CHECK(q("SELECT count(*) FROM records WHERE signal_evidence = 'effort=called 3 times'") == 1);
    CX_CHECK(q("SELECT count(*) FROM records WHERE id = 'old' AND signal_evidence IS NULL") == 1);
    CX_CHECK(q("SELECT value FROM meta WHERE key = 'schema_version'") == 3);
    CX_CHECK(q("SELECT count(*) FROM alerts") == 0);
    snprintf(dbpath, sizeof dbpath, "%s", keep);
}

/* Alert events (docs/TRENDS.md) land in alerts, one row each, and in
 * cluster_events as "alert.spike"; the same alert again (a replay) is stored
 * once; an alert without its key fields is refused; the cluster tables are
 * left alone. */
static void test_alerts(void) {
    char err[256];
    cx_store *s = cx_store_open(dbpath, "normal", err, sizeof err);
    CX_CHECK(s != NULL);
    if (!s) return;
    const char *a1 = "{\"type\":\"alert\",\"event\":\"spike\",\"kind\":\"theme\",\"key\":\"delivery.late\","
                     "\"window\":\"minute\",\"window_ms\":60000,\"metric\":\"volume\",\"count\":21,\"baseline\":4.9,"
                     "\"ratio\":4.29,\"p_value\":1.5e-07,\"at_ms\":1767232825000,\"first_ms\":1767232770000,"
                     "\"baseline_periods\":60,\"dispersion\":1,\"records\":21,\"negative\":4,\"neg_share\":0.19,"
                     "\"baseline_neg_share\":0.2,\"sentiment\":0.1,\"trend\":{\"minute\":21}}";
    const char *a2 = "{\"type\":\"alert\",\"event\":\"spike\",\"kind\":\"cluster\",\"key\":\"17\",\"cluster_id\":17,"
                     "\"window\":\"hour\",\"metric\":\"sentiment\",\"count\":30,\"baseline\":9.5,\"ratio\":3.2,"
                     "\"p_value\":2e-9,\"at_ms\":1767232825000,\"first_ms\":1767229260000,\"records\":40,"
                     "\"baseline_neg_share\":null}";
    const char *bad = "{\"type\":\"alert\",\"event\":\"spike\",\"kind\":\"theme\"}";
    CX_CHECK(cx_store_begin(s, err, sizeof err) == 0);
    CX_CHECK(cx_store_event(s, a1, strlen(a1), err, sizeof err) == 0);
    CX_CHECK(cx_store_event(s, a1, strlen(a1), err, sizeof err) == 0);
    CX_CHECK(cx_store_event(s, a2, strlen(a2), err, sizeof err) == 0);
    CX_CHECK(cx_store_event(s, bad, strlen(bad), err, sizeof err) == -1 && strstr(err, "alert"));
    CX_CHECK(cx_store_commit(s, err, sizeof err) == 0);
    cx_store_close(&s);
    CX_CHECK(q("SELECT count(*) FROM alerts") == 2);
    CX_CHECK(q("SELECT count FROM alerts WHERE kind = 'theme' AND key = 'delivery.late' AND win = 'minute'"
               " AND metric = 'volume' AND at = 1767232825000 AND first_ms = 1767232770000 AND cluster_id IS NULL"
               " AND abs(p_value - 1.5e-7) < 1e-12 AND abs(baseline - 4.9) < 1e-9 AND records = 21") == 21);
    CX_CHECK(q("SELECT cluster_id FROM alerts WHERE kind = 'cluster' AND metric = 'sentiment'"
               " AND baseline_neg_share IS NULL AND json_extract(body, '$.window') = 'hour'") == 17);
    CX_CHECK(q("SELECT count(*) FROM cluster_events WHERE event = 'alert.spike'") == 4);
    CX_CHECK(q("SELECT count(*) FROM clusters WHERE cluster_id = 17") == 0);
}

int main(void) {
    if (!mkdtemp(dir)) return 2;
    snprintf(dbpath, sizeof dbpath, "%s/t.db", dir);
    CX_RUN(test_idempotent);
    CX_RUN(test_dead_letter);
    CX_RUN(test_events);
    CX_RUN(test_jsonl);
    CX_RUN(test_signal_evidence);
    CX_RUN(test_alerts);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) fprintf(stderr, "cannot remove %s\n", dir);
    CX_DONE();
}
