/* report_cli.h - command-line pieces shared by cxflow-report (main.c) and
 * cxflow-export (export.c): options with values, -o that may be a
 * configuration override, and the configuration with its overrides. */
#ifndef CX_REPORT_CLI_H
#define CX_REPORT_CLI_H
#include "cx_conf.h"

#define CX_RP_MAX_SETS 64

#include <stdio.h>

/* One option with a value: its long name ("--since", also "--since=7d"),
 * an optional short one ("-o"), and where the value goes. */
typedef struct cx_rp_opt {
    const char *name, *short_name;
    const char **dst;
} cx_rp_opt;

/* Parse argv against opts; -h/--help prints usage to stdout, --version the
 * version.  --set key=value, and an -o value that looks like an override
 * (cx_rp_is_override), go to sets.  Returns -1 to go on, else the exit
 * code: 0 after help or version, 2 on a usage error (message on stderr). */
int cx_rp_parse_args(const char *prog, int argc, char **argv, const cx_rp_opt *opts, size_t nopts,
                     void (*usage)(FILE *), const char **sets, int *nsets);

/* Whether s looks like a configuration override: lower-case dotted key
 * ("sink.sqlite", "report.file"), then '='. */
int cx_rp_is_override(const char *s);

/* Value of option argv[*i] (the next argument, or the part after '=' in
 * "--name=value"); NULL with "prog: OPTION needs a value" on stderr. */
const char *cx_rp_opt_value(const char *prog, int argc, char **argv, int *i, const char *eq);

/* Remember the override key=value in sets (at most CX_RP_MAX_SETS).
 * -1 with a message on stderr when it has no '=' or there are too many. */
int cx_rp_add_set(const char *prog, const char **sets, int *nsets, const char *kv);

/* The configuration: conf_file (NULL: ./pipeline.conf when readable, else
 * the defaults) with the overrides applied.  NULL with "prog: reason" on
 * stderr. */
cx_conf *cx_rp_conf(const char *prog, const char *conf_file, const char *const *sets, int nsets);

#endif
