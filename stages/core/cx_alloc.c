/* cx_alloc.c - allocation wrapper with fault injection (see cx_alloc.h). */
#include "cx_alloc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef CX_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

static long fail_countdown;   /* 0 = off; counts down to the failing call */
static int fail_persistent;
static int failing;           /* persistent mode has been triggered */
static long failures;

static int should_fail(void) {
    if (failing) { failures++; return 1; }
    if (fail_countdown > 0 && --fail_countdown == 0) {
        failures++;
        if (fail_persistent) failing = 1;
        return 1;
    }
    return 0;
}

void cx_alloc_fail_at(long n, int persistent) {
    fail_countdown = n;
    fail_persistent = persistent;
    failing = 0;
    failures = 0;
}

long cx_alloc_failures(void) { return failures; }

const char *cx_alloc_stats(size_t *in_use, size_t *held) {
#ifdef CX_HAVE_JEMALLOC
    uint64_t epoch = 1; /* refresh jemalloc's cached statistics */
    size_t sz = sizeof epoch;
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    size_t a = 0, r = 0;
    sz = sizeof a;
    if (mallctl("stats.allocated", &a, &sz, NULL, 0)) a = 0;
    sz = sizeof r;
    if (mallctl("stats.resident", &r, &sz, NULL, 0)) r = 0;
    *in_use = a;
    *held = r;
    return "jemalloc";
#else
    struct mallinfo2 mi = mallinfo2();
    *in_use = mi.uordblks + mi.hblkhd;
    *held = mi.arena + mi.hblkhd;
    return "glibc";
#endif
}

void *cx_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *cx_calloc(size_t nmemb, size_t size) {
    return should_fail() ? NULL : calloc(nmemb ? nmemb : 1, size ? size : 1);
}
void *cx_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void cx_free(void *p) { free(p); }

char *cx_strndup(const char *s, size_t n) {
    char *d = cx_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *cx_strdup(const char *s) { return s ? cx_strndup(s, strlen(s)) : NULL; }
