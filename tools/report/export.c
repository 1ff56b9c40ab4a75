/* export.c - the `cxflow-export` command: the report's themes or clusters
 * table as CSV, for spreadsheets and BI tools.  Same options and
 * configuration handling as cxflow-report (main.c); the CSV goes to
 * standard output unless -o names a file.  Exit codes: 0 written, 1 runtime
 * error, 2 usage error. */
#include "cx_report.h"
#include "report_cli.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "cxflow-export"

static void usage(FILE *f) {
    fprintf(f,
            "usage: cxflow-export [--format csv] [--what themes|clusters] [--since 7d|24h|30d|all]\n"
            "                     [-o OUTFILE] [-c FILE] [--db PATH] [--lexicons DIR] [-h] [--version]\n\n"
            "Export the report's themes or root-cause clusters from the sink's SQLite database as CSV\n"
            "(RFC 4180, CRLF line ends, UTF-8, a header row; columns in docs/SINKS.md, \"CSV export\").\n"
            "Texts starting with = + - @ get a leading ' so spreadsheets do not run them as formulas.\n\n"
            "  --format csv     the output format (csv, the only one so far)\n"
            "  --what WHAT      themes (default: every theme and sub-theme) or clusters (every cluster\n"
            "                   with records in the window, merged clusters folded in)\n"
            "  --since WINDOW   only the last N hours/days/weeks (24h, 7d, 30d, 4w) before the newest\n"
            "                   record, or all (default)\n"
            "  -o OUTFILE       file to write (default: standard output; - is standard output too)\n"
            "  -o key=value, --set key=value\n"
            "                   override a configuration key (e.g. -o sink.sqlite=out/x.db)\n"
            "  -c FILE          configuration (default: $CXFLOW_CONF, else ./pipeline.conf if present)\n"
            "  --db PATH        database to read (default: sink.sqlite of the configuration)\n"
            "  --lexicons DIR   lexicons with themes/taxonomy.tsv for theme names (default: lexicons.dir)\n"
            "  -h, --help       this help\n");
}

int main(int argc, char **argv) {
    const char *conf_file = getenv("CXFLOW_CONF"), *db = NULL, *out = NULL, *since = "all", *format = "csv",
               *what = "themes", *lex = NULL;
    const char *sets[CX_RP_MAX_SETS];
    int nsets = 0;
    const cx_rp_opt opts[] = {{"--config", "-c", &conf_file}, {"--db", NULL, &db},       {"--output", "-o", &out},
                              {"--since", NULL, &since},     {"--format", NULL, &format}, {"--what", NULL, &what},
                              {"--lexicons", NULL, &lex}};
    int rc = cx_rp_parse_args(PROG, argc, argv, opts, sizeof opts / sizeof opts[0], usage, sets, &nsets);
    if (rc >= 0) return rc;
    if (strcmp(format, "csv")) {
        fprintf(stderr, PROG ": --format %s is not supported; the only format is csv\n", format);
        return 2;
    }
    if (strcmp(what, "themes") && strcmp(what, "clusters")) {
        fprintf(stderr, PROG ": --what expects themes or clusters, got '%s'\n", what);
        return 2;
    }
    int64_t since_ms;
    if (cx_report_parse_since(since, &since_ms) < 0) {
        fprintf(stderr, PROG ": --since expects all or a count with h, d or w (24h, 7d, 30d), got '%s'\n", since);
        return 2;
    }
    char err[1024], dbbuf[PATH_MAX], lexbuf[PATH_MAX];
    cx_conf *c = cx_rp_conf(PROG, conf_file, sets, nsets);
    if (!c) return 2;
    if (!db) db = cx_conf_path(c, "sink.sqlite", dbbuf, sizeof dbbuf);
    if (!lex) lex = cx_conf_path(c, "lexicons.dir", lexbuf, sizeof lexbuf);
    cx_conf_destroy(&c);
    if (!*db) {
        fprintf(stderr, PROG ": sink.sqlite is disabled in the configuration; pass --db PATH\n");
        return 2;
    }
    cx_export_opts o = {.db_path = db, .out_path = out, .what = what, .lexicons_dir = lex, .since_ms = since_ms};
    if (cx_export_write(&o, err, sizeof err) < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 1;
    }
    if (out && *out && strcmp(out, "-")) {
        char abs[PATH_MAX];
        fprintf(stderr, "%s written to %s\n", what, realpath(out, abs) ? abs : out);
    }
    return 0;
}
