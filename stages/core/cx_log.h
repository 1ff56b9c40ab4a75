/* cx_log.h - logging for every cxflow process.
 *
 * Lines go to stderr as "2026-11-22T06:50:01.123Z stage LEVEL message".
 * The supervisor captures each stage's stderr into run/<stage>.log. */
#ifndef CX_LOG_H
#define CX_LOG_H

enum { CX_LOG_ERROR = 0, CX_LOG_WARN = 1, CX_LOG_INFO = 2, CX_LOG_DEBUG = 3 };

void cx_log_init(const char *component, int level);
int cx_log_level_parse(const char *s); /* -1 when unknown */
void cx_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cx_error(...) cx_log(CX_LOG_ERROR, __VA_ARGS__)
#define cx_warn(...) cx_log(CX_LOG_WARN, __VA_ARGS__)
#define cx_info(...) cx_log(CX_LOG_INFO, __VA_ARGS__)
#define cx_debug(...) cx_log(CX_LOG_DEBUG, __VA_ARGS__)

#endif
