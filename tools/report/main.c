/* main.c - the `cxflow-report` command: parses the command line, takes the
 * database and output paths from pipeline.conf unless given, and calls
 * cx_report_write.  Exit codes: 0 written, 1 runtime error, 2 usage error.
 *
 * `-o` names the output file here.  Every other cxflow command reads
 * `-o key=value` as a configuration override, so an -o value that looks like
 * one (a dotted key name, '=', a value: "sink.sqlite=x.db") is applied as an
 * override instead; --set key=value says so explicitly. */
#include "cx_report.h"
#include "report_cli.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
    const char *conf_file = getenv("CXFLOW_CONF"), *db = NULL, *out = NULL, *since = "all", *title = NULL,
               *lex = NULL;
    const char *sets[CX_RP_MAX_SETS];
    int nsets = 0;
    const cx_rp_opt opts[] = {{"--config", "-c", &conf_file}, {"--db", NULL, &db},     {"--output", "-o", &out},
                              {"--since", NULL, &since},     {"--title", NULL, &title}, {"--lexicons", NULL, &lex}};
    int rc = cx_rp_parse_args("cxflow-report", argc, argv, opts, sizeof opts / sizeof opts[0], usage, sets, &nsets);
    if (rc >= 0) return rc;
    int64_t since_ms;
    if (cx_report_parse_since(since, &since_ms) < 0) {
        fprintf(stderr, "cxflow-report: --since expects all or a count with h, d or w (24h, 7d, 30d), got '%s'\n", since);
        return 2;
    }
    char err[1024], dbbuf[PATH_MAX], outbuf[PATH_MAX], lexbuf[PATH_MAX];
    cx_conf *c = cx_rp_conf("cxflow-report", conf_file, sets, nsets);
    if (!c) return 2;
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
