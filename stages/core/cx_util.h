/* cx_util.h - small helpers shared by every process: clocks, signals,
 * directories, command-line handling common to all stage binaries. */
#ifndef CX_UTIL_H
#define CX_UTIL_H
#include <signal.h>
#include <stdint.h>
#include <stddef.h>
#include "cx_conf.h"

int64_t cx_now_ms(void);      /* wall clock, ms since epoch */
int64_t cx_now_us(void);      /* wall clock, us since epoch */
int64_t cx_mono_ms(void);     /* monotonic ms */

/* Set by SIGINT/SIGTERM (stop) and SIGHUP (reload) once cx_signals_install ran. */
extern volatile sig_atomic_t cx_stop;
extern volatile sig_atomic_t cx_reload;
void cx_signals_install(void);

/* mkdir -p for the directory part of path (dir_of_file != 0) or path itself. 0 / -1. */
int cx_mkdirs(const char *path, int dir_of_file);

/* Peak resident set size of this process in KiB. */
long cx_peak_rss_kb(void);

/* Read a whole text file into a NUL-terminated cx_malloc'ed buffer (*len
 * bytes, NUL excluded; len may be NULL).  0, or -1 with "path: reason" in
 * err (cannot open, read error, out of memory, or a NUL byte inside: not a
 * text file).  The caller frees *out with cx_free. */
int cx_read_text_file(const char *path, char **out, size_t *len, char *err, size_t errlen);

/* Parse a whole string as a finite decimal number (strtod syntax, nothing
 * after it, no overflow).  0, or -1 leaving *v unchanged. */
int cx_parse_double(const char *s, double *v);

/* Common command line of every stage binary:
 *   NAME [-c FILE] [-o key=value]... [-h|--help] [--version]
 * Loads the configuration (default: $CXFLOW_CONF, else ./pipeline.conf),
 * applies overrides, starts logging.  Returns the conf (caller owns), or NULL
 * after printing help (*exit_code = 0) or an error (*exit_code = 2). */
cx_conf *cx_stage_args(int argc, char **argv, const char *name, const char *summary, int *exit_code);

/* Write pid file run_dir/<name>.pid; removed by cx_pidfile_remove. */
int cx_pidfile_write(const cx_conf *c, const char *name);
void cx_pidfile_remove(const cx_conf *c, const char *name);

#define CX_VERSION "0.1.0"
#endif
