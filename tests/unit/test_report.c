/* test_report.c - tests of cxflow-report (tools/report): the HTML escaping,
 * --since parsing and text direction helpers, and whole reports written from
 * a fixture database built from tests/data/report/fixture.sql (run from the
 * source directory, as ctest does): headline, cluster order with merged
 * clusters folded in, escaped injection texts, right-to-left verbatims,
 * inline SVG, no remote fetches, the clear error for a missing database, and
 * the command line's exit codes. */
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

/* Make the Nth allocation fail, for every N until a run needs no more: each
 * run either fails with "out of memory" and leaves no file, or succeeds
 * with exactly the page of an undisturbed run (no half-written output). */
static void test_alloc_failures(void) {
    char db[128], ref[128], out[128], err[512];
    path_in_tmp(db, sizeof db, "fixture.db");
    path_in_tmp(ref, sizeof ref, "sub/dir/report.html");
    path_in_tmp(out, sizeof out, "oom.html");
    char *want = slurp(ref);
    CX_CHECK(want != NULL);
    if (!want) return;
    int runs = 0, ok_runs = 0, bad = 0;
    for (long n = 1; n < 20000; n++) {
        unlink(out);
        cx_report_opts o = {.db_path = db, .out_path = out, .title = "Nordwind feedback",
                            .lexicons_dir = FIXTURE_LEX, .now_ms = NOW_MS};
        cx_alloc_fail_at(n, 0);
        int rc = cx_report_write(&o, err, sizeof err);
        long injected = cx_alloc_failures();
        cx_alloc_fail_at(0, 0);
        runs++;
        if (rc == 0) {
            char *got = slurp(out);
            if (!got || strcmp(got, want)) { bad++; fprintf(stderr, "alloc %ld: different page\n", n); }
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

/* Run the binary with args; returns its exit code and its output in out. */
static int run_cli(const char *args, char *out, size_t n) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", CX_REPORT_BIN, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

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

static void cleanup(void) {
    static const char *const files[] = {"fixture.db", "sub/dir/report.html", "again.html", "since.html",
                                        "missing.html", "oom.html", "notadb.txt", "other.db", "empty.db", "empty.html", "cli.html", "cli2.html"};
    char p[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        path_in_tmp(p, sizeof p, files[i]);
        unlink(p);
    }
    path_in_tmp(p, sizeof p, "sub/dir");
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
    if (!getenv("CX_KEEP")) cleanup();
    else printf("kept %s\n", tmpdir);
    CX_DONE();
}
