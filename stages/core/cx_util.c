/* cx_util.c - clocks, signals, directories and the common stage command line. */
#include "cx_util.h"
#include "cx_alloc.h"
#include "cx_log.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t cx_stop;
volatile sig_atomic_t cx_reload;

int64_t cx_now_ms(void) { return cx_now_us() / 1000; }
int64_t cx_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
int64_t cx_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_stop(int sig) { (void)sig; cx_stop = 1; }
static void on_hup(int sig) { (void)sig; cx_reload = 1; }

void cx_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cx_mkdirs(const char *path, int dir_of_file) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    if (dir_of_file) {
        char *s = strrchr(buf, '/');
        if (!s) return 0;
        *s = '\0';
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (*buf && mkdir(buf, 0755) < 0 && errno != EEXIST) return -1;
    return 0;
}

long cx_peak_rss_kb(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static void usage(FILE *o, const char *name, const char *summary) {
    fprintf(o,
            "usage: %s [-c FILE] [-o key=value]... [-h] [--version]\n\n%s\n\n"
            "  -c FILE        configuration file (default: $CXFLOW_CONF, else ./pipeline.conf)\n"
            "  -o key=value   override one configuration key (repeatable)\n"
            "  -h, --help     this help\n"
            "  --version      print the version\n\n"
            "Normally started by `tools/cxflow run`, which supervises every stage.\n"
            "Configuration keys: docs/CONFIG.md or `tools/cxflow config --help`.\n",
            name, summary);
}

cx_conf *cx_stage_args(int argc, char **argv, const char *name, const char *summary, int *exit_code) {
    const char *file = getenv("CXFLOW_CONF");
    *exit_code = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout, name, summary);
            *exit_code = 0;
            return NULL;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("%s %s\n", name, CX_VERSION);
            *exit_code = 0;
            return NULL;
        }
        if (!strcmp(argv[i], "-c") && i + 1 < argc) { file = argv[++i]; continue; }
        if (!strcmp(argv[i], "-o") && i + 1 < argc) { i++; continue; }
        fprintf(stderr, "%s: unknown argument '%s' (try --help)\n", name, argv[i]);
        return NULL;
    }
    if (!file) file = access("pipeline.conf", R_OK) == 0 ? "pipeline.conf" : NULL;
    char err[1024];
    cx_conf *c = cx_conf_load(file, err, sizeof err);
    if (!c) { fprintf(stderr, "%s: %s\n", name, err); return NULL; }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") || i + 1 >= argc) continue;
        if (cx_conf_set_kv(c, argv[++i], err, sizeof err) < 0) {
            fprintf(stderr, "%s: -o: %s\n", name, err);
            cx_conf_destroy(&c);
            return NULL;
        }
    }
    cx_log_init(name, cx_log_level_parse(cx_conf_str(c, "log.level")));
    *exit_code = 0;
    return c;
}

int cx_pidfile_write(const cx_conf *c, const char *name) {
    char dir[4096], path[4200];
    cx_conf_path(c, "run.dir", dir, sizeof dir);
    if (cx_mkdirs(dir, 0) < 0) return -1;
    snprintf(path, sizeof path, "%s/%s.pid", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
    return 0;
}

void cx_pidfile_remove(const cx_conf *c, const char *name) {
    char dir[4096], path[4200];
    cx_conf_path(c, "run.dir", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s.pid", dir, name);
    unlink(path);
}

int cx_read_text_file(const char *path, char **out, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, l = 0;
    char *buf = cx_malloc(cap);
    for (;;) {
        if (buf && cap - l < 4096) {
            char *nb = cx_realloc(buf, cap * 2);
            if (!nb) {
                cx_free(buf);
                buf = NULL;
            } else {
                buf = nb;
                cap *= 2;
            }
        }
        if (!buf) {
            fclose(f);
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        size_t r = fread(buf + l, 1, cap - l - 1, f);
        l += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || memchr(buf, '\0', l)) {
        cx_free(buf);
        snprintf(err, errlen, bad ? "%s: read error" : "%s: contains a NUL byte (not a text file)", path);
        return -1;
    }
    buf[l] = '\0';
    *out = buf;
    if (len) *len = l;
    return 0;
}

int cx_parse_double(const char *s, double *v) {
    if (!*s) return -1;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || !isfinite(d)) return -1;
    *v = d;
    return 0;
}
