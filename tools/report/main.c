/* main.c - the `cxflow-report` command: parses the command line, takes the
 * database and output paths from pipeline.conf unless given, and calls
 * cx_report_write.  Exit codes: 0 written, 1 runtime error, 2 usage error.
 *
 * `-o` names the output file here.  Every other cxflow command reads
 * `-o key=value` as a configuration override, so an -o value that looks like
 * one (a dotted key name, '=', a value: "sink.sqlite=x.db") is applied as an
 * override instead; --set key=value says so explicitly. */
#include "cx_conf.h"
#include "cx_report.h"
#include "cx_util.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f) {
    fprintf(f,
            "usage: cxflow-report [-c FILE] [--db PATH] [-o OUTFILE] [--since 7d|24h|30d|all]\n"
            "                     [--title T] [--lexicons DIR] [-h] [--version]\n\n"
            "Write a self-contained HTML report (no scripts, no network) from the SQLite database\n"
            "written by the sink.\n\n"
            "  -c FILE          configuration (default: $CXFLOW_CONF, else ./pipeline.conf if present)\n"
            "  --db PATH        database to read (default: sink.sqlite of the configuration)\n"
            "  -o OUTFILE       HTML file to write (default: report.file of the configuration)\n"
            "  -o key=value, --set key=value\n"
            "                   override a configuration key (e.g. -o sink.sqlite=out/x.db)\n"
            "  --since WINDOW   only the last N hours/days/weeks (24h, 7d, 30d, 4w) before the newest\n"
            "                   record, or all (default)\n"
            "  --title T        page title (default: \"Customer feedback report\")\n"
            "  --lexicons DIR   lexicons with themes/taxonomy.tsv for theme names (default: lexicons.dir)\n"
            "  -h, --help       this help\n");
}

/* Whether s looks like a configuration override: lower-case dotted key
 * ("sink.sqlite", "report.file"), then '='. */
static int is_override(const char *s) {
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || !memchr(s, '.', (size_t)(eq - s))) return 0;
    for (const char *p = s; p < eq; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.')) return 0;
    return 1;
}

/* Value of option argv[*i] (the next argument, or the part after '=' in
 * "--name=value"); NULL with a message when it is missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq) {
    if (eq) return eq + 1;
    if (*i + 1 >= argc) {
        fprintf(stderr, "cxflow-report: %s needs a value (try --help)\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int main(int argc, char **argv) {
    const char *conf_file = getenv("CXFLOW_CONF"), *db = NULL, *out = NULL, *since = "all", *title = NULL,
               *lex = NULL, *val;
    const char *sets[64];
    int nsets = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = !strncmp(a, "--", 2) ? strchr(a, '=') : NULL;
        size_t nl = eq ? (size_t)(eq - a) : strlen(a);
        const char **dst = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--version")) { printf("cxflow-report %s\n", CX_VERSION); return 0; }
        if (!strcmp(a, "-c") || (nl == 8 && !strncmp(a, "--config", nl))) dst = &conf_file;
        else if (nl == 4 && !strncmp(a, "--db", nl)) dst = &db;
        else if (!strcmp(a, "-o") || (nl == 8 && !strncmp(a, "--output", nl))) dst = &out;
        else if (nl == 7 && !strncmp(a, "--since", nl)) dst = &since;
        else if (nl == 7 && !strncmp(a, "--title", nl)) dst = &title;
        else if (nl == 10 && !strncmp(a, "--lexicons", nl)) dst = &lex;
        else if (nl == 5 && !strncmp(a, "--set", nl)) {
            if (!(val = opt_value(argc, argv, &i, eq))) return 2;
            if (!strchr(val, '=')) {
                fprintf(stderr, "cxflow-report: --set expects key=value, got '%s'\n", val);
                return 2;
            }
            if (nsets == (int)(sizeof sets / sizeof sets[0])) {
                fprintf(stderr, "cxflow-report: too many overrides\n");
                return 2;
            }
            sets[nsets++] = val;
            continue;
        } else {
            fprintf(stderr, "cxflow-report: unknown argument '%s' (try --help)\n", a);
            return 2;
        }
        if (!(val = opt_value(argc, argv, &i, eq))) return 2;
        if (dst == &out && is_override(val)) {
            if (nsets == (int)(sizeof sets / sizeof sets[0])) {
                fprintf(stderr, "cxflow-report: too many overrides\n");
                return 2;
            }
            sets[nsets++] = val;
        } else
            *dst = val;
    }
    int64_t since_ms;
    if (cx_report_parse_since(since, &since_ms) < 0) {
        fprintf(stderr, "cxflow-report: --since expects all or a count with h, d or w (24h, 7d, 30d), got '%s'\n", since);
        return 2;
    }
    if (!conf_file && access("pipeline.conf", R_OK) == 0) conf_file = "pipeline.conf";
    char err[1024], dbbuf[PATH_MAX], outbuf[PATH_MAX], lexbuf[PATH_MAX];
    cx_conf *c = cx_conf_load(conf_file, err, sizeof err);
    if (!c) {
        fprintf(stderr, "cxflow-report: %s\n", err);
        return 2;
    }
    for (int i = 0; i < nsets; i++) {
        char key[256];
        const char *eq = strchr(sets[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        if (cx_conf_set(c, key, eq + 1, err, sizeof err) < 0) {
            fprintf(stderr, "cxflow-report: %s\n", err);
            cx_conf_destroy(&c);
            return 2;
        }
    }
    if (!db) db = cx_conf_path(c, "sink.sqlite", dbbuf, sizeof dbbuf);
    if (!out) out = cx_conf_path(c, "report.file", outbuf, sizeof outbuf);
    if (!lex) lex = cx_conf_path(c, "lexicons.dir", lexbuf, sizeof lexbuf);
    cx_conf_destroy(&c);
    if (!*db) {
        fprintf(stderr, "cxflow-report: sink.sqlite is disabled in the configuration; pass --db PATH\n");
        return 2;
    }
    if (!*out) {
        fprintf(stderr, "cxflow-report: report.file is empty in the configuration; pass -o OUTFILE\n");
        return 2;
    }
    cx_report_opts o = {.db_path = db, .out_path = out, .title = title, .lexicons_dir = lex, .since_ms = since_ms};
    if (cx_report_write(&o, err, sizeof err) < 0) {
        fprintf(stderr, "cxflow-report: %s\n", err);
        return 1;
    }
    char abs[PATH_MAX];
    printf("report written to %s\n", realpath(out, abs) ? abs : out);
    return 0;
}
