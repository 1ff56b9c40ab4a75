/* cx_log.c - timestamped, levelled logging to stderr (see cx_log.h). */
#include "cx_log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char component[32] = "cxflow";
static int max_level = CX_LOG_INFO;
static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void cx_log_init(const char *comp, int level) {
    snprintf(component, sizeof component, "%s", comp ? comp : "cxflow");
    max_level = level;
}

int cx_log_level_parse(const char *s) {
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i]) == 0) return i;
    return -1;
}

void cx_log(int level, const char *fmt, ...) {
    if (level > max_level) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, component, names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    if (len >= sizeof line - 1) len = sizeof line - 2;
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}
