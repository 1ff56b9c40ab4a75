/* test_report.c - tests of cxflow-report (tools/report): the HTML escaping,
 * --since parsing and text direction helpers, and whole reports written from
 * a fixture database built from tests/data/report/fixture.sql (run from the
 * source directory, as ctest does): headline, cluster order with merged
 * clusters folded in, escaped injection texts, right-to-left verbatims,
 * inline SVG, no remote fetches, the clear error for a missing database, and
 * the command line's exit codes.  Then the spikes and alerts section (order,
 * links, window, cap), score impact on a database with a hand-computed
 * answer, and cxflow-export: CSV cells, both tables parsed back as RFC 4180
 * (columns, quoting, formula guard, row counts), its command line, and
 * allocation failures in all of it. */
#include "cx_alloc.h"
#include "cx_report.h"
#include "cx_test.h"
#include "report_int.h"
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIXTURE_SQL "tests/data/report/fixture.sql"
#define FIXTURE_LEX "tests/data/report/lexicons"
#define NOW_MS 1795000000000LL /* pinned "generated at" */

static char tmpdir[64];

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

/* Create db_path from the fixture SQL, then run extra_sql (may be NULL). */
static int make_db(const char *db_path, const char *extra_sql) {
    char *sql = slurp(FIXTURE_SQL);
    if (!sql) {
        fprintf(stderr, "cannot read %s (run from the source directory)\n", FIXTURE_SQL);
        return -1;
    }
    unlink(db_path);
    sqlite3 *db;
    char *msg = NULL;
    int rc = sqlite3_open(db_path, &db);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK && extra_sql) rc = sqlite3_exec(db, extra_sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fprintf(stderr, "fixture: %s\n", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_close(db);
    free(sql);
    return rc == SQLITE_OK ? 0 : -1;
}

static void path_in_tmp(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", tmpdir, name); }

/* Write a report of db into out with the fixture taxonomy; returns the HTML
 * (caller frees) or NULL. */
static char *report(const char *db, const char *out, int64_t since_ms) {
    char err[512] = "";
    cx_report_opts o = {.db_path = db, .out_path = out, .title = "Nordwind feedback",
                        .lexicons_dir = FIXTURE_LEX, .since_ms = since_ms, .now_ms = NOW_MS};
    if (cx_report_write(&o, err, sizeof err) != 0) {
        fprintf(stderr, "cx_report_write: %s\n", err);
        return NULL;
    }
    return slurp(out);
}

static void test_escape(void) {
    cx_buf b;
    cx_buf_init(&b);
    CX_CHECK(cx_html_escape(&b, "<script>alert(1)</script> & \"q\" 'a'", 0) == 0);
    CX_CHECK_STR(b.data, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;");
    cx_buf_reset(&b);
    cx_html_escape(&b, "\"><img src=x onerror=alert(1)>", 0);
    CX_CHECK(!strchr(b.data, '<') && !strchr(b.data, '>') && !strchr(b.data, '"'));
    cx_buf_reset(&b);
    cx_html_escape(&b, "a\x01" "b\xff" "c\xc0\xaf" "d", 0); /* control, invalid byte, overlong '/' */
    CX_CHECK_STR(b.data, "a b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d");
    cx_buf_reset(&b);
    cx_html_escape(&b, "پولم هنوز", 3); /* cut after 3 characters, never inside one */
    CX_CHECK_STR(b.data, "پول\xE2\x80\xA6");
    cx_buf_reset(&b);
    cx_html_escape(&b, "abc", 3); /* exactly max: no ellipsis */
    CX_CHECK_STR(b.data, "abc");
    cx_buf_reset(&b);
    cx_html_escape(&b, NULL, 0);
    CX_CHECK(b.len == 0);
    cx_buf_free(&b);
}

static void test_parse_since(void) {
    int64_t ms = -1;
    CX_CHECK(cx_report_parse_since("all", &ms) == 0 && ms == 0);
    CX_CHECK(cx_report_parse_since("24h", &ms) == 0 && ms == 24LL * 3600000);
    CX_CHECK(cx_report_parse_since("7d", &ms) == 0 && ms == 7LL * 86400000);
    CX_CHECK(cx_report_parse_since("30d", &ms) == 0 && ms == 30LL * 86400000);
    CX_CHECK(cx_report_parse_since("2w", &ms) == 0 && ms == 14LL * 86400000);
    CX_CHECK(cx_report_parse_since("7", &ms) < 0);
    CX_CHECK(cx_report_parse_since("-7d", &ms) < 0);
    CX_CHECK(cx_report_parse_since("0d", &ms) < 0);
    CX_CHECK(cx_report_parse_since("7dd", &ms) < 0);
    CX_CHECK(cx_report_parse_since("week", &ms) < 0);
    CX_CHECK(cx_report_parse_since("", &ms) < 0);
}

static void test_text_dir(void) {
    CX_CHECK_STR(cx_rp_text_dir("هنوز پول برگشتی سفارشم را دریافت نکرده‌ام"), "rtl");
    CX_CHECK_STR(cx_rp_text_dir("Nordwind بازپرداخت را تایید کرد"), "rtl"); /* Latin first, Persian mostly */
    CX_CHECK_STR(cx_rp_text_dir("The app crashes"), "auto");
    CX_CHECK_STR(cx_rp_text_dir("அப் மூடுகிறது"), "auto");
    CX_CHECK_STR(cx_rp_text_dir("123 !!"), "auto");
    char buf[32];
    CX_CHECK_STR(cx_rp_count(1234567, buf, sizeof buf), "1,234,567");
    CX_CHECK_STR(cx_rp_count(12, buf, sizeof buf), "12");
    CX_CHECK_STR(cx_rp_pct(1, 3, buf, sizeof buf), "33%");
    CX_CHECK_STR(cx_rp_pct(1, 40, buf, sizeof buf), "2.5%");
    CX_CHECK_STR(cx_rp_pct(1, 0, buf, sizeof buf), "-");
}

/* Position of needle in h after from, or -1. */
static long pos_after(const char *h, const char *from, const char *needle) {
    const char *s = from ? strstr(h, from) : h;
    if (!s) return -1;
    const char *p = strstr(s, needle);
    return p ? (long)(p - h) : -1;
}

static void test_report_fixture(void) {
    char db[128], out[128];
    path_in_tmp(db, sizeof db, "fixture.db");
    path_in_tmp(out, sizeof out, "sub/dir/report.html"); /* directories are created */
    CX_CHECK(make_db(db, NULL) == 0);
    char *h = report(db, out, 0);
    CX_CHECK(h != NULL);
    if (!h) return;
    /* page and headline */
    CX_CHECK(!strncmp(h, "<!DOCTYPE html>", 15));
    CX_CHECK(strstr(h, "</html>\n") != NULL);
    CX_CHECK(strstr(h, "<title>Nordwind feedback</title>") != NULL);
    CX_CHECK(strstr(h, "<h2>Summary</h2>") != NULL);
    CX_CHECK(strstr(h, "Records analysed</div><div class=\"v\">40</div>") != NULL);
    CX_CHECK(strstr(h, "2026-11-01 \xE2\x80\x93 2026-11-21 (21 days)") != NULL);
    CX_CHECK(strstr(h, "Languages</div><div class=\"v\">6</div>") != NULL);  /* en de es fa bn ta, not und */
    CX_CHECK(strstr(h, "Dead letters</div><div class=\"v t-neg\">2</div>") != NULL);
    CX_CHECK(strstr(h, "Average rating") != NULL && strstr(h, "NPS") != NULL);
    /* top root causes in the summary, in order, with the merged cluster folded in */
    long s1 = pos_after(h, "<ol class=\"top\">", "refund not received</bdi></b> \xE2\x80\x94 10 records");
    long s2 = pos_after(h, "<ol class=\"top\">", "app crash login</bdi></b> \xE2\x80\x94 8 records");
    long s3 = pos_after(h, "<ol class=\"top\">", "courier late</bdi></b> \xE2\x80\x94 5 records");
    CX_CHECK(s1 > 0 && s2 > s1 && s3 > s2);
    CX_CHECK(pos_after(h, "<ol class=\"top\">", "up 133%") > 0); /* refunds: 7 in the last week vs 3 */
    CX_CHECK(pos_after(h, "<ol class=\"top\">", "back in the last 7 days") > s3); /* courier: 0 the week before */
    /* cluster section order: 11 (7 + 3 merged), 12, 13, 16 (label from its terms) */
    long c1 = pos_after(h, "id=\"clusters\"", ">refund not received</h3>");
    long c2 = pos_after(h, "id=\"clusters\"", ">app crash login</h3>");
    long c3 = pos_after(h, "id=\"clusters\"", ">courier late</h3>");
    long c4 = pos_after(h, "id=\"clusters\"", ">price increase</h3>");
    CX_CHECK(c1 > 0 && c2 > c1 && c3 > c2 && c4 > c3);
    CX_CHECK(strstr(h, "2 merged clusters") != NULL);
    { /* examples are not repeated when stored ones are topped up from records */
        const char *p1 = strstr(h, ">Prices went up too much this season.");
        CX_CHECK(p1 && !strstr(p1 + 1, ">Prices went up too much this season."));
        CX_CHECK(strstr(h, ">Viel zu teuer geworden.") != NULL);
    }
    CX_CHECK(strstr(h, "old sizing chart") == NULL); /* retired, no records */
    CX_CHECK(pos_after(h, "id=\"clusters\"", "\xE0\xAE\x95\xE0\xAF\x82\xE0\xAE\xB0\xE0\xAE\xBF") > c3); /* Tamil fallback example */
    /* injection texts are escaped, nothing executable comes out */
    CX_CHECK(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt; app crashed on login again") != NULL);
    CX_CHECK(strstr(h, "&quot;&gt;&lt;svg onload=alert(1)&gt;") != NULL);
    CX_CHECK(strcasestr(h, "<script") == NULL);
    CX_CHECK(strcasestr(h, "<svg onload") == NULL);
    /* verbatims: direction and language */
    CX_CHECK(strstr(h, "dir=\"auto\"") != NULL);
    CX_CHECK(strstr(h, "<blockquote class=\"vb\" dir=\"rtl\" lang=\"fa\">Nordwind") != NULL);
    CX_CHECK(strstr(h, "dir=\"auto\" lang=\"bn\"") != NULL || strstr(h, "dir=\"auto\" lang=\"en\"") != NULL);
    /* charts and themes */
    CX_CHECK(strstr(h, "<svg class=\"chart\"") != NULL);
    CX_CHECK(strstr(h, "<svg class=\"spark\"") != NULL);
    CX_CHECK(strstr(h, "<h2>Sentiment over time</h2>") != NULL);
    CX_CHECK(strstr(h, "Records per day") != NULL);
    CX_CHECK(strstr(h, "Refund not received") != NULL);            /* name from taxonomy.tsv */
    CX_CHECK(pos_after(h, "id=\"themes\"", "<tr class=\"parent\" id=\"theme-refunds\"><td class=\"name\"><bdi>Refunds</bdi>") > 0);
    CX_CHECK(strstr(h, "<h2>Breakdowns</h2>") != NULL && strstr(h, "Persian") != NULL);
    CX_CHECK(strstr(h, "By region") == NULL); /* no regions in the fixture */
    /* self-contained: no remote fetches, no scripts */
    CX_CHECK(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL);
    CX_CHECK(strcasestr(h, "src=") == NULL && strcasestr(h, "url(") == NULL && strcasestr(h, "@import") == NULL);
    CX_CHECK(strcasestr(h, "<link") == NULL && strcasestr(h, "<img") == NULL && strcasestr(h, "<iframe") == NULL);
    CX_CHECK(strstr(h, "@media print") != NULL && strstr(h, "name=\"viewport\"") != NULL);
    free(h);
    /* the same database again gives the same page (deterministic) */
    char out2[128];
    path_in_tmp(out2, sizeof out2, "again.html");
    char *h1 = slurp(out), *h2 = report(db, out2, 0);
    CX_CHECK(h1 && h2 && !strcmp(h1, h2));
    free(h1);
    free(h2);
}

/* Something under test that writes out from db: 0, or -1 with err. */
typedef int (*writer_fn)(const char *db, const char *out, char *err, size_t errlen);

static int write_report(const char *db, const char *out, char *err, size_t errlen) {
    cx_report_opts o = {.db_path = db, .out_path = out, .title = "Nordwind feedback", .lexicons_dir = FIXTURE_LEX,
                        .now_ms = NOW_MS};
    return cx_report_write(&o, err, errlen);
}

static int write_export(const char *db, const char *out, char *err, size_t errlen) {
    cx_export_opts o = {.db_path = db, .out_path = out, .what = "clusters", .lexicons_dir = FIXTURE_LEX};
    return cx_export_write(&o, err, errlen);
}

/* Make the Nth allocation of w fail, for every N until a run needs no
 * more: each run either fails with "out of memory" and leaves no file, or
 * succeeds with exactly the output of an undisturbed run (want; no
 * half-written output). */
static void alloc_loop(writer_fn w, const char *db, const char *want) {
    char out[128], err[512];
    path_in_tmp(out, sizeof out, "oom.html");
    int runs = 0, ok_runs = 0, bad = 0;
    for (long n = 1; n < 20000; n++) {
        unlink(out);
        cx_alloc_fail_at(n, 0);
        int rc = w(db, out, err, sizeof err);
        long injected = cx_alloc_failures();
        cx_alloc_fail_at(0, 0);
        runs++;
        if (rc == 0) {
            char *got = slurp(out);
            if (!got || strcmp(got, want)) { bad++; fprintf(stderr, "alloc %ld: different output\n", n); }
            free(got);
            ok_runs++;
        } else if (!strstr(err, "out of memory") || access(out, F_OK) == 0) {
            bad++;
            fprintf(stderr, "alloc %ld: %s\n", n, err);
        }
        if (!injected) break; /* the run got past its last allocation */
    }
    CX_CHECK(bad == 0);
    CX_CHECK(runs > 10 && ok_runs >= 1);
    printf("     %d runs with an injected allocation failure\n", runs - 1);
}

/* alloc_loop of w on db (under tmpdir), against w's undisturbed output. */
static void alloc_loop_db(writer_fn w, const char *name) {
    char db[128], ref[128], err[512] = "";
    path_in_tmp(db, sizeof db, name);
    path_in_tmp(ref, sizeof ref, "oom-ref.out");
    CX_CHECK(w(db, ref, err, sizeof err) == 0);
    char *want = slurp(ref);
    CX_CHECK(want != NULL);
    if (want) alloc_loop(w, db, want);
    free(want);
    unlink(ref);
}

static void test_alloc_failures(void) {
    char db[128], ref[128];
    path_in_tmp(db, sizeof db, "fixture.db");
    path_in_tmp(ref, sizeof ref, "sub/dir/report.html"); /* as test_report_fixture wrote it */
    char *want = slurp(ref);
    CX_CHECK(want != NULL);
    if (want) alloc_loop(write_report, db, want);
    free(want);
}

static void test_since(void) {
    char db[128], out[128];
    path_in_tmp(db, sizeof db, "fixture.db");
    path_in_tmp(out, sizeof out, "since.html");
    int64_t ms;
    CX_CHECK(cx_report_parse_since("7d", &ms) == 0);
    char *h = report(db, out, ms); /* relative to the newest record (2026-11-21 23:00), not the clock */
    CX_CHECK(h != NULL);
    if (!h) return;
    CX_CHECK(strstr(h, "window: last 7 days") != NULL);
    CX_CHECK(strstr(h, "Records analysed</div><div class=\"v\">14</div>") != NULL);
    CX_CHECK(strstr(h, "refund not received</bdi></b> \xE2\x80\x94 7 records") != NULL);
    CX_CHECK(strstr(h, "app crash login</bdi></b> \xE2\x80\x94 2 records") != NULL);
    CX_CHECK(strstr(h, "up 133%") != NULL); /* growth does not depend on the window */
    free(h);
    CX_CHECK(cx_report_parse_since("24h", &ms) == 0);
    h = report(db, out, ms);
    CX_CHECK(h && strstr(h, "Records per hour") != NULL);
    free(h);
}

static void test_missing_db(void) {
    char out[128], err[512] = "";
    path_in_tmp(out, sizeof out, "missing.html");
    cx_report_opts o = {.db_path = "/nonexistent/cxflow.db", .out_path = out};
    CX_CHECK(cx_report_write(&o, err, sizeof err) == -1);
    CX_CHECK(strstr(err, "no database at /nonexistent/cxflow.db") != NULL);
    CX_CHECK(strstr(err, "run the pipeline first (tools/cxflow run / demo)") != NULL);
    CX_CHECK(access(out, F_OK) != 0);
    /* not a database / not a cxflow database */
    char bad[128];
    path_in_tmp(bad, sizeof bad, "notadb.txt");
    FILE *f = fopen(bad, "w");
    if (f) { fputs("hello, this is not SQLite\n", f); fclose(f); }
    o.db_path = bad;
    CX_CHECK(cx_report_write(&o, err, sizeof err) == -1 && strstr(err, "not a database") != NULL);
    path_in_tmp(bad, sizeof bad, "other.db");
    sqlite3 *db;
    if (sqlite3_open(bad, &db) == SQLITE_OK) sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    CX_CHECK(cx_report_write(&o, err, sizeof err) == -1 && strstr(err, "not a cxflow database") != NULL);
    CX_CHECK(access(out, F_OK) != 0);
}

static void test_empty_db(void) {
    char db[128], out[128];
    path_in_tmp(db, sizeof db, "empty.db");
    path_in_tmp(out, sizeof out, "empty.html");
    CX_CHECK(make_db(db, "DELETE FROM records; DELETE FROM record_themes;") == 0);
    char *h = report(db, out, 0);
    CX_CHECK(h && strstr(h, "No records in the selected period") != NULL && strstr(h, "</html>") != NULL);
    free(h);
}

/* Run the program bin with args; returns its exit code, and its standard
 * output and error in out. */
static int run_bin(const char *bin, const char *args, char *out, size_t n) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run_cli(const char *args, char *out, size_t n) { return run_bin(CX_REPORT_BIN, args, out, n); }

static void test_cli(void) {
    char out[4096], args[1024], db[128], html[128];
    path_in_tmp(db, sizeof db, "fixture.db");
    path_in_tmp(html, sizeof html, "cli.html");
    CX_CHECK(run_cli("--help", out, sizeof out) == 0 && strstr(out, "usage: cxflow-report") != NULL);
    CX_CHECK(run_cli("--since bogus", out, sizeof out) == 2 && strstr(out, "--since") != NULL);
    CX_CHECK(run_cli("--frobnicate", out, sizeof out) == 2 && strstr(out, "unknown argument") != NULL);
    CX_CHECK(run_cli("--db", out, sizeof out) == 2);
    snprintf(args, sizeof args, "-c /dev/null --db %s/nope.db -o %s", tmpdir, html);
    CX_CHECK(run_cli(args, out, sizeof out) == 1);
    CX_CHECK(strstr(out, "no database at") != NULL && strstr(out, "run the pipeline first") != NULL);
    snprintf(args, sizeof args, "-c /dev/null --db %s -o %s --since=30d --title 'CLI <test>' --lexicons %s", db, html,
             FIXTURE_LEX);
    CX_CHECK(run_cli(args, out, sizeof out) == 0 && strstr(out, "report written to") != NULL &&
             strstr(out, "cli.html") != NULL);
    char *h = slurp(html);
    CX_CHECK(h && strstr(h, "<h1>CLI &lt;test&gt;</h1>") != NULL);
    free(h);
    /* -o key=value is a configuration override, as for every cxflow command */
    char html2[128];
    path_in_tmp(html2, sizeof html2, "cli2.html");
    char cwd[512]; /* relative paths in overrides resolve against the config file's directory */
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = '\0';
    snprintf(args, sizeof args, "-c /dev/null -o sink.sqlite=%s -o report.file=%s --set lexicons.dir=%s/%s", db, html2,
             cwd, FIXTURE_LEX);
    CX_CHECK(run_cli(args, out, sizeof out) == 0 && strstr(out, "cli2.html") != NULL);
    h = slurp(html2);
    CX_CHECK(h && strstr(h, "Refund not received") != NULL);
    free(h);
    CX_CHECK(run_cli("-c /dev/null -o no.such.key=1", out, sizeof out) == 2 && strstr(out, "no.such.key") != NULL);
}

/* ---- spikes and alerts, score impact, CSV export ---- */

/* The alerts table of docs/SINKS.md with five alerts in the fixture's
 * window (newest record 2026-11-21 23:00) and one before it: a theme, a
 * cluster that was merged into cluster 11, the whole stream, a theme the
 * page has no row for, a cluster the database does not know. */
#define ALERTS_SQL                                                                                            \
    "CREATE TABLE alerts (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, first_ms INTEGER,"     \
    " kind TEXT NOT NULL, key TEXT NOT NULL, cluster_id INTEGER, win TEXT NOT NULL, metric TEXT NOT NULL,"     \
    " count INTEGER, baseline REAL, ratio REAL, p_value REAL, records INTEGER, neg_share REAL,"                \
    " baseline_neg_share REAL, body TEXT, stored_at INTEGER NOT NULL, UNIQUE (kind, key, win, metric, at));" \
    "INSERT INTO alerts (at, kind, key, cluster_id, win, metric, count, baseline, ratio, p_value, stored_at) VALUES" \
    " (1795100000000, 'overall', 'all', NULL, 'hour', 'sentiment', 9, 2.5, 3.6, 1e-7, 0),"                    \
    " (1795200000000, 'theme', 'refunds.not_received', NULL, 'day', 'volume', 7, 1.2, 5.83, 1e-9, 0),"        \
    " (1795210000000, 'cluster', '14', 14, 'day', 'volume', 6, 0.5, 12, 1e-8, 0),"                             \
    " (1795220000000, 'theme', 'shipping.lost', NULL, 'minute', 'volume', 5, 0.02, 250, 1e-6, 0),"            \
    " (1795230000000, 'cluster', '99', 99, 'minute', 'volume', 5, 0.02, 250, 1e-6, 0),"                        \
    " (1793600000000, 'theme', 'delivery.late', NULL, 'day', 'volume', 5, 1, 5, 1e-10, 0);"

/* Every in-page link (href="#x") has its target (id="x"). */
static int links_resolve(const char *h) {
    int bad = 0;
    for (const char *p = strstr(h, "href=\"#"); p; p = strstr(p + 1, "href=\"#")) {
        const char *s = p + 7, *e = strchr(s, '"');
        char want[300];
        if (!e || e - s > 250) return 0;
        snprintf(want, sizeof want, "id=\"%.*s\"", (int)(e - s), s);
        if (!strstr(h, want)) { fprintf(stderr, "no target for %s\n", want); bad++; }
    }
    return bad == 0;
}

static void test_alerts(void) {
    char db[128], out[128];
    path_in_tmp(db, sizeof db, "alerts.db");
    path_in_tmp(out, sizeof out, "alerts.html");
    CX_CHECK(make_db(db, ALERTS_SQL) == 0);
    char *h = report(db, out, 0);
    CX_CHECK(h != NULL);
    if (!h) return;
    CX_CHECK(strstr(h, "Spike alerts</div><div class=\"v t-neg\">6</div>") != NULL); /* headline */
    long sec = pos_after(h, NULL, "<section id=\"alerts\">");
    CX_CHECK(sec > 0 && sec < pos_after(h, NULL, "<section id=\"timeline\">"));
    /* most significant first: 1e-10, 1e-9, 1e-8, 1e-7, then the two at 1e-6, the more recent first */
    long a1 = pos_after(h, "id=\"alerts\"", "<a href=\"#theme-delivery.late\"><bdi>Late delivery</bdi></a>");
    long a2 = pos_after(h, "id=\"alerts\"", "<a href=\"#theme-refunds.not_received\"><bdi>Refund not received</bdi></a>");
    long a3 = pos_after(h, "id=\"alerts\"", "<a href=\"#cluster-11\"><bdi>refund missing</bdi></a>"); /* merged into 11 */
    long a4 = pos_after(h, "id=\"alerts\"", "<a href=\"#timeline\">all feedback</a>");
    long a5 = pos_after(h, "id=\"alerts\"", "<bdi>cluster #99</bdi></td>");                  /* unknown: no link */
    long a6 = pos_after(h, "id=\"alerts\"", "</span> <bdi>shipping.lost</bdi></td>");        /* no row: no link */
    CX_CHECK(a1 > sec && a2 > a1 && a3 > a2 && a4 > a3 && a5 > a4 && a6 > a5);
    /* window, metric, count vs baseline, ratio, p-value, when */
    long r2 = pos_after(h, "id=\"alerts\"", "</td><td>day</td><td>volume</td><td class=\"num\">7 vs 1.2</td>"
                                            "<td class=\"num\">\xC3\x97" "5.8</td><td class=\"num\">1e-09</td>"
                                            "<td>2026-11-20 18:40</td></tr>");
    CX_CHECK(r2 > a2 && r2 < a3);
    long r4 = pos_after(h, "id=\"alerts\"", "</td><td>hour</td><td>negative records</td><td class=\"num\">9 vs 2.5</td>");
    CX_CHECK(r4 > a4 && r4 < a5);
    CX_CHECK(links_resolve(h));
    free(h);
    /* the window counts: with 7 days, the alert of 2026-11-02 is out */
    int64_t ms;
    cx_report_parse_since("7d", &ms);
    h = report(db, out, ms);
    CX_CHECK(h && strstr(h, "Spike alerts</div><div class=\"v t-neg\">5</div>") != NULL);
    long in = h ? pos_after(h, NULL, "<section id=\"alerts\">") : -1, late = h ? pos_after(h, NULL, "#theme-delivery.late") : -1;
    CX_CHECK(in > 0 && (late < 0 || late > pos_after(h, "id=\"alerts\"", "</section>")));
    free(h);
    /* capped at 15 rows, the rest counted */
    CX_CHECK(make_db(db, ALERTS_SQL "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)"
                                    " INSERT INTO alerts (at, kind, key, win, metric, count, baseline, ratio, p_value,"
                                    " stored_at) SELECT 1795000000000 + i, 'overall', 'all', 'minute', 'volume', 9,"
                                    " 1, 9, 1e-7, 0 FROM n;") == 0);
    h = report(db, out, 0);
    CX_CHECK(h && strstr(h, "26 alerts were raised") && strstr(h, "the first 15 shown"));
    if (h) {
        const char *s = strstr(h, "<section id=\"alerts\">"), *e = s ? strstr(s, "</section>") : NULL;
        int rows = 0;
        for (const char *p = s; p && p < e; p = strstr(p + 1, "<tr><td class=\"name\">")) rows += p != s;
        CX_CHECK(rows == 15);
    }
    free(h);
    /* no alerts: a clear line; no table (older database): said so */
    CX_CHECK(make_db(db, ALERTS_SQL "DELETE FROM alerts;") == 0);
    h = report(db, out, 0);
    CX_CHECK(h && strstr(h, "No spikes: the cluster stage raised no alert in this period.") != NULL);
    CX_CHECK(h && strstr(h, "Spike alerts</div><div class=\"v\">0</div>") != NULL);
    free(h);
    path_in_tmp(db, sizeof db, "fixture.db");
    h = report(db, out, 0);
    CX_CHECK(h && strstr(h, "has no alerts table") != NULL && !strstr(h, "Spike alerts</div>"));
    free(h);
}

/* A database for score impact where the answer is known: cluster 21
 * ("checkout broken", themes app.crash and app.login on every record) has
 * NPS answers 0 0 0 0 8 10 and ratings 1 2 1 1 2 (and one record without a
 * score); the other records have NPS 10 10 9 9 7 8 3 10 and ratings
 * 5 4 5 4 5 (theme delivery.fast).  As NPS values: cluster -100 x4, 0, 100
 * (mean -50), others 100 x5, 0 x2, -100 (mean 50), all 14 answers 100/14.
 *   NPS impact = 7.142857 - 50 = -42.857143
 *   SE = 6/14 * sqrt(s_K^2/6 + s_R^2/8) = 6/14 * sqrt(7000/6 + 5714.29/8) = 18.587
 *   95% interval -42.857 -+ 36.431 = [-79.288, -6.426]
 *   rating impact = 3.0 - 4.6 = -1.6 stars, SE = 5/10 * sqrt(0.3/5 + 0.3/5)
 *   = 0.17321, interval [-1.9395, -1.2605]. */
static int make_impact_db(const char *db) {
    static const struct { double score; const char *kind; int cluster; } recs[] = {
        {0, "nps", 21}, {0, "nps", 21}, {0, "nps", 21}, {0, "nps", 21}, {8, "nps", 21}, {10, "nps", 21},
        {1, "rating", 21}, {2, "rating", 21}, {1, "rating", 21}, {1, "rating", 21}, {2, "rating", 21}, {-1, NULL, 21},
        {10, "nps", 0}, {10, "nps", 0}, {9, "nps", 0}, {9, "nps", 0}, {7, "nps", 0}, {8, "nps", 0}, {3, "nps", 0},
        {10, "nps", 0}, {5, "rating", 0}, {4, "rating", 0}, {5, "rating", 0}, {4, "rating", 0}, {5, "rating", 0}};
    cx_buf b;
    cx_buf_init(&b);
    cx_buf_printf(&b, "DELETE FROM records; DELETE FROM record_themes; DELETE FROM clusters; DELETE FROM cluster_examples;"
                      "INSERT INTO clusters (cluster_id, label, status) VALUES (21, 'checkout broken', 'live');");
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        int c = recs[i].cluster;
        cx_buf_printf(&b, "INSERT INTO records (topic, partition, \"offset\", id, ts, lang, score, score_kind, text,"
                          " sentiment, label, cluster_id, stored_at) VALUES ('t', 0, %zu, 'r%zu', %lld, 'en', %s%g%s,"
                          " %s%s%s, 'text %zu', %s, '%s', %d, 0);",
                      i, i, 1795000000000LL + (long long)i * 3600000, recs[i].kind ? "" : "NULL--", recs[i].score,
                      recs[i].kind ? "" : "\n", recs[i].kind ? "'" : "NULL", recs[i].kind ? recs[i].kind : "",
                      recs[i].kind ? "'" : "", i, c ? "-0.5" : "0.5", c ? "negative" : "positive", c);
        if (c)
            cx_buf_printf(&b, "INSERT INTO record_themes VALUES ('t', 0, %zu, 'app.crash', 1, -0.5),"
                              " ('t', 0, %zu, 'app.login', 1, -0.5);", i, i);
        else
            cx_buf_printf(&b, "INSERT INTO record_themes VALUES ('t', 0, %zu, 'delivery.fast', 1, 0.5);", i);
    }
    int rc = b.oom ? -1 : make_db(db, b.data);
    cx_buf_free(&b);
    return rc;
}

static void test_impact(void) {
    char db[128], out[128];
    path_in_tmp(db, sizeof db, "impact.db");
    path_in_tmp(out, sizeof out, "impact.html");
    CX_CHECK(make_impact_db(db) == 0);
    char *h = report(db, out, 0);
    CX_CHECK(h != NULL);
    if (!h) return;
    /* the cluster's facts */
    CX_CHECK(pos_after(h, "id=\"cluster-21\"", "NPS impact <b><span class=\"t-neg\" title=\"95% interval "
                                               "\xE2\x88\x92" "79.3 to \xE2\x88\x92" "6.4, 6 answers\">\xE2\x88\x92" "42.9</span>") > 0);
    CX_CHECK(pos_after(h, "id=\"cluster-21\"", "rating impact <b><span class=\"t-neg\" title=\"95% interval "
                                               "\xE2\x88\x92" "1.94 to \xE2\x88\x92" "1.26, 5 answers\">\xE2\x88\x92"
                                               "1.60\xE2\x98\x85</span>") > 0);
    /* the parent theme counts each record once although it has two sub-themes: the same impact */
    CX_CHECK(pos_after(h, "id=\"theme-app\"", "NPS <span class=\"t-neg\" title=\"95% interval \xE2\x88\x92" "79.3 to "
                                              "\xE2\x88\x92" "6.4, 6 answers\">") > 0);
    /* what hurts most: the cluster first (ties go to clusters), no theme that helps */
    long s = pos_after(h, NULL, "<section id=\"impact\">");
    CX_CHECK(s > pos_after(h, NULL, "<section id=\"clusters\">"));
    long c = pos_after(h, "id=\"impact\"", "<a href=\"#cluster-21\"><bdi>checkout broken</bdi></a>");
    long t = pos_after(h, "id=\"impact\"", "<a href=\"#theme-app\"><bdi>App &amp; website</bdi></a>");
    CX_CHECK(c > s && t > c);
    CX_CHECK(pos_after(h, "id=\"impact\"", "NPS +7.1 from 14 answers") > s);
    CX_CHECK(pos_after(h, "id=\"impact\"", "Average 3.00\xE2\x98\x85 from 10 ratings") > s);
    long bd = pos_after(h, NULL, "<section id=\"breakdowns\">");
    long fast = pos_after(h, "id=\"impact\"", "#theme-delivery.fast");
    CX_CHECK(bd > s && (fast < 0 || fast > bd));
    CX_CHECK(links_resolve(h));
    free(h);
    /* too few answers: the same records within a window that holds 4 NPS answers of the cluster */
    h = report(db, out, 22 * 3600000LL);
    CX_CHECK(h && strstr(h, "needs 5 in and 5 outside the group") != NULL);
    free(h);
}

/* ---- CSV parsing for the export tests (RFC 4180) ---- */

#define CSV_ROWS 64
#define CSV_COLS 32
typedef struct csv {
    int nrows, ncols[CSV_ROWS];
    char *cell[CSV_ROWS][CSV_COLS];
} csv;

static void csv_free(csv *c) {
    for (int r = 0; r < c->nrows; r++)
        for (int k = 0; k < c->ncols[r]; k++) free(c->cell[r][k]);
    memset(c, 0, sizeof *c);
}

/* Rows of cells; -1 when s is not RFC 4180 with CRLF line ends: a bare LF
 * or CR outside quotes, a quote inside an unquoted cell, an open quote, a
 * last row without its CRLF. */
static int csv_parse(const char *s, csv *c) {
    memset(c, 0, sizeof *c);
    const char *p = s;
    while (*p) {
        if (c->nrows == CSV_ROWS) return -1;
        int r = c->nrows++;
        for (;;) {
            if (c->ncols[r] == CSV_COLS) return -1;
            char *cell = malloc(strlen(p) + 1);
            size_t n = 0;
            if (!cell) return -1;
            c->cell[r][c->ncols[r]++] = cell;
            if (*p == '"') {
                for (p++;; p++) {
                    if (!*p) return -1;
                    if (*p == '"' && p[1] != '"') break;
                    if (*p == '"') p++;
                    cell[n++] = *p;
                }
                p++;
            } else
                while (*p && *p != ',' && *p != '\r' && *p != '\n') {
                    if (*p == '"') return -1;
                    cell[n++] = *p++;
                }
            cell[n] = '\0';
            if (*p == ',') { p++; continue; }
            if (p[0] == '\r' && p[1] == '\n') { p += 2; break; }
            return -1;
        }
    }
    return c->nrows;
}

/* The cell of row r in the column named name (from the header row), or NULL. */
static const char *csv_get(const csv *c, int r, const char *name) {
    for (int k = 0; k < c->ncols[0]; k++)
        if (!strcmp(c->cell[0][k], name)) return r < c->nrows && k < c->ncols[r] ? c->cell[r][k] : NULL;
    return NULL;
}

/* The row whose column col is val, or -1. */
static int csv_find(const csv *c, const char *col, const char *val) {
    for (int r = 1; r < c->nrows; r++) {
        const char *v = csv_get(c, r, col);
        if (v && !strcmp(v, val)) return r;
    }
    return -1;
}

static char *export_csv(const char *db, const char *out, const char *what, int64_t since_ms) {
    char err[512] = "";
    cx_export_opts o = {.db_path = db, .out_path = out, .what = what, .lexicons_dir = FIXTURE_LEX, .since_ms = since_ms};
    if (cx_export_write(&o, err, sizeof err) != 0) {
        fprintf(stderr, "cx_export_write: %s\n", err);
        return NULL;
    }
    return slurp(out);
}

#define LABEL_11 "refund, \"not\" received\nsecond line"

static void test_export(void) {
    char db[128], out[128];
    path_in_tmp(db, sizeof db, "export.db");
    path_in_tmp(out, sizeof out, "export/clusters.csv");
    CX_CHECK(make_db(db, "UPDATE clusters SET label = 'refund, \"not\" received' || char(10) || 'second line'"
                         " WHERE cluster_id = 11; UPDATE clusters SET label = '=HYPERLINK(\"http://x\",\"y\")'"
                         " WHERE cluster_id = 12; UPDATE clusters SET label = '@SUM(A1)' WHERE cluster_id = 13;") == 0);
    char *s = export_csv(db, out, "clusters", 0);
    CX_CHECK(s != NULL);
    csv c;
    int rows = s ? csv_parse(s, &c) : -1;
    CX_CHECK(rows == 5); /* header + clusters 11 (with 14), 12, 13, 16; 15 has no records */
    if (rows > 0) {
        CX_CHECK(c.ncols[0] == 25);
        for (int r = 1; r < rows; r++) CX_CHECK(c.ncols[r] == c.ncols[0]);
        CX_CHECK_STR(c.cell[0][0], "id");
        CX_CHECK_STR(csv_get(&c, 1, "id"), "11");
        CX_CHECK_STR(csv_get(&c, 1, "label"), LABEL_11);          /* comma, quotes, newline survive */
        CX_CHECK_STR(csv_get(&c, 1, "records"), "10");
        CX_CHECK_STR(csv_get(&c, 1, "merged"), "14");
        CX_CHECK_STR(csv_get(&c, 1, "first_seen"), "2026-11-09T09:00:00Z");
        CX_CHECK_STR(csv_get(&c, 1, "last_seen"), "2026-11-21T23:00:00Z");
        CX_CHECK_STR(csv_get(&c, 1, "languages"), "en:4; de:3; fa:3");
        CX_CHECK_STR(csv_get(&c, 1, "last_7d"), "7");
        CX_CHECK_STR(csv_get(&c, 1, "prev_7d"), "3");
        CX_CHECK_STR(csv_get(&c, 1, "growth_pct"), "133.3");
        CX_CHECK_STR(csv_get(&c, 1, "sentiment"), "-0.521"); /* our numbers are not guarded */
        CX_CHECK_STR(csv_get(&c, 1, "nps_answers"), "2");
        CX_CHECK_STR(csv_get(&c, 1, "nps_impact"), "");      /* too few answers */
        CX_CHECK_STR(csv_get(&c, 2, "label"), "'=HYPERLINK(\"http://x\",\"y\")");
        CX_CHECK_STR(csv_get(&c, 2, "example"), "<script>alert(1)</script> app crashed on login again");
        CX_CHECK_STR(csv_get(&c, 3, "label"), "'@SUM(A1)");
        CX_CHECK_STR(csv_get(&c, 3, "growth_pct"), "");      /* nothing the week before */
        CX_CHECK_STR(csv_get(&c, 3, "example"), "Delivery late again, the courier did not call."); /* from records */
        CX_CHECK_STR(csv_get(&c, 4, "label"), "price increase"); /* from its terms */
        csv_free(&c);
    }
    free(s);
    /* themes: every theme and sub-theme, parents first */
    path_in_tmp(out, sizeof out, "export/themes.csv");
    s = export_csv(db, out, NULL, 0);
    rows = s ? csv_parse(s, &c) : -1;
    CX_CHECK(rows == 14); /* 5 top-level themes, 8 sub-themes */
    if (rows > 0) {
        CX_CHECK(c.ncols[0] == 20);
        CX_CHECK_STR(csv_get(&c, 1, "id"), "refunds");
        CX_CHECK_STR(csv_get(&c, 1, "level"), "theme");
        int r = csv_find(&c, "id", "app.crash");
        CX_CHECK(r > csv_find(&c, "id", "app"));
        CX_CHECK_STR(csv_get(&c, r, "name"), "App crashes");
        CX_CHECK_STR(csv_get(&c, r, "level"), "sub-theme");
        CX_CHECK_STR(csv_get(&c, r, "parent"), "app");
        CX_CHECK_STR(csv_get(&c, r, "records"), "7");
        CX_CHECK_STR(csv_get(&c, r, "negative_share"), "1.0000");
        csv_free(&c);
    }
    free(s);
    /* impact figures where the answer is known (make_impact_db) */
    path_in_tmp(db, sizeof db, "impact.db");
    path_in_tmp(out, sizeof out, "export/impact.csv");
    s = export_csv(db, out, "themes", 0);
    rows = s ? csv_parse(s, &c) : -1;
    CX_CHECK(rows == 6); /* header, app, app.crash, app.login, delivery, delivery.fast */
    if (rows > 0) {
        int r = csv_find(&c, "id", "app");
        CX_CHECK_STR(csv_get(&c, r, "nps_answers"), "6");
        CX_CHECK_STR(csv_get(&c, r, "nps_impact"), "-42.86");
        CX_CHECK_STR(csv_get(&c, r, "nps_impact_lo"), "-79.29");
        CX_CHECK_STR(csv_get(&c, r, "nps_impact_hi"), "-6.43");
        CX_CHECK_STR(csv_get(&c, r, "rating_impact"), "-1.600");
        CX_CHECK_STR(csv_get(&c, r, "rating_impact_lo"), "-1.939");
        CX_CHECK_STR(csv_get(&c, r, "rating_impact_hi"), "-1.261");
        r = csv_find(&c, "id", "delivery.fast"); /* the rest: 100/14 minus the cluster's -50 */
        CX_CHECK_STR(csv_get(&c, r, "nps_impact"), "57.14");
        csv_free(&c);
    }
    free(s);
    s = export_csv(db, out, "clusters", 0);
    rows = s ? csv_parse(s, &c) : -1;
    CX_CHECK(rows == 2);
    if (rows > 0) {
        CX_CHECK_STR(csv_get(&c, 1, "nps_impact"), "-42.86");
        CX_CHECK_STR(csv_get(&c, 1, "rating_impact"), "-1.600");
        CX_CHECK_STR(csv_get(&c, 1, "records"), "12");
        csv_free(&c);
    }
    free(s);
    /* an empty window: the header row only; a bad --what and a missing database are errors */
    path_in_tmp(db, sizeof db, "empty.db");
    s = export_csv(db, out, "clusters", 0);
    CX_CHECK(s && !strncmp(s, "id,label,", 9) && strlen(s) == (size_t)(strstr(s, "\r\n") - s) + 2);
    free(s);
    char err[512];
    cx_export_opts o = {.db_path = db, .out_path = out, .what = "records"};
    CX_CHECK(cx_export_write(&o, err, sizeof err) == -1 && strstr(err, "choose themes or clusters"));
    o.what = NULL;
    o.db_path = "/nonexistent/cxflow.db";
    CX_CHECK(cx_export_write(&o, err, sizeof err) == -1 && strstr(err, "run the pipeline first"));
}

/* csv cells on their own: quoting, the formula guard, invalid UTF-8 */
static void test_csv_cells(void) {
    cx_buf b;
    cx_buf_init(&b);
    cx_csv_text(&b, "plain");
    CX_CHECK_STR(b.data, "plain");
    cx_buf_reset(&b);
    cx_csv_text(&b, "a,\"b\"\r\nc");
    CX_CHECK_STR(b.data, "\"a,\"\"b\"\"\r\nc\"");
    cx_buf_reset(&b);
    cx_csv_text(&b, "-1+2");
    CX_CHECK_STR(b.data, "'-1+2");
    cx_buf_reset(&b);
    cx_csv_text(&b, "=1,2");
    CX_CHECK_STR(b.data, "\"'=1,2\"");
    cx_buf_reset(&b);
    cx_csv_text(&b, "x\xff" "y\x01" "z");
    CX_CHECK_STR(b.data, "x\xEF\xBF\xBDy z");
    cx_buf_reset(&b);
    cx_csv_text(&b, "مرحبا, world");
    CX_CHECK_STR(b.data, "\"مرحبا, world\"");
    cx_buf_reset(&b);
    cx_csv_num(&b, -0.0004, 3, 1);
    cx_buf_append(&b, ",", 1);
    cx_csv_num(&b, -1.25, 2, 1);
    cx_buf_append(&b, ",", 1);
    cx_csv_num(&b, 7, 2, 0);
    CX_CHECK_STR(b.data, "0.000,-1.25,");
    cx_buf_free(&b);
}

/* Allocation failures in the alerts and impact sections and in the export. */
static void test_alloc_failures_new_parts(void) {
    alloc_loop_db(write_report, "alerts.db");
    alloc_loop_db(write_report, "impact.db");
    alloc_loop_db(write_export, "export.db");
}

static int run_export(const char *args, char *out, size_t n) { return run_bin(CX_EXPORT_BIN, args, out, n); }

static void test_export_cli(void) {
    static char out[16384];
    char args[1024], db[128], file[128];
    path_in_tmp(db, sizeof db, "export.db");
    path_in_tmp(file, sizeof file, "cli.csv");
    CX_CHECK(run_export("--help", out, sizeof out) == 0 && strstr(out, "usage: cxflow-export") && strstr(out, "CRLF"));
    CX_CHECK(run_export("--format xlsx", out, sizeof out) == 2 && strstr(out, "only format is csv"));
    CX_CHECK(run_export("--what records", out, sizeof out) == 2 && strstr(out, "themes or clusters"));
    CX_CHECK(run_export("--since 3x", out, sizeof out) == 2);
    snprintf(args, sizeof args, "-c /dev/null --db %s/nope.db", tmpdir);
    CX_CHECK(run_export(args, out, sizeof out) == 1 && strstr(out, "no database at") &&
             strstr(out, "run the pipeline first"));
    /* standard output without -o */
    snprintf(args, sizeof args, "-c /dev/null --db %s --format csv --what clusters --since 7d 2>/dev/null", db);
    CX_CHECK(run_export(args, out, sizeof out) == 0);
    csv c;
    int rows = csv_parse(out, &c);
    CX_CHECK(rows == 5); /* header, 11 (7 records), 12 (2), 13 (1), 16 (1) in the last 7 days */
    if (rows > 0) {
        CX_CHECK_STR(csv_get(&c, 1, "records"), "7");
        csv_free(&c);
    }
    snprintf(args, sizeof args, "-c /dev/null --db %s -o %s --lexicons %s", db, file, FIXTURE_LEX);
    CX_CHECK(run_export(args, out, sizeof out) == 0 && strstr(out, "themes written to"));
    char *s = slurp(file);
    CX_CHECK(s && !strncmp(s, "id,name,level,parent,records,", 29) && strstr(s, "\r\nrefunds,Refunds,theme,,10,"));
    free(s);
}

static void cleanup(void) {
    static const char *const files[] = {"fixture.db", "sub/dir/report.html", "again.html", "since.html",
                                        "missing.html", "oom.html", "notadb.txt", "other.db", "empty.db", "empty.html", "cli.html", "cli2.html",
                                        "alerts.db", "alerts.html", "impact.db", "impact.html", "export.db",
                                        "export/clusters.csv", "export/themes.csv", "export/impact.csv", "cli.csv"};
    char p[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        path_in_tmp(p, sizeof p, files[i]);
        unlink(p);
    }
    path_in_tmp(p, sizeof p, "sub/dir");
    rmdir(p);
    path_in_tmp(p, sizeof p, "export");
    rmdir(p);
    path_in_tmp(p, sizeof p, "sub");
    rmdir(p);
    rmdir(tmpdir);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cxreport-test.XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    CX_RUN(test_escape);
    CX_RUN(test_parse_since);
    CX_RUN(test_text_dir);
    CX_RUN(test_report_fixture);
    CX_RUN(test_alloc_failures);
    CX_RUN(test_since);
    CX_RUN(test_missing_db);
    CX_RUN(test_empty_db);
    CX_RUN(test_cli);
    CX_RUN(test_alerts);
    CX_RUN(test_impact);
    CX_RUN(test_csv_cells);
    CX_RUN(test_export);
    CX_RUN(test_alloc_failures_new_parts);
    CX_RUN(test_export_cli);
    if (!getenv("CX_KEEP")) cleanup();
    else printf("kept %s\n", tmpdir);
    CX_DONE();
}
