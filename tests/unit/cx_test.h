/* cx_test.h - minimal test macros for cxflow's unit tests.
 * A test program defines test functions, calls them through CX_RUN and ends
 * with CX_DONE, which prints "N passed, M failed" and returns the exit code. */
#ifndef CX_TEST_H
#define CX_TEST_H
#include <math.h>
#include <stdio.h>
#include <string.h>

static int cx_t_failed, cx_t_passed, cx_t_cur_failed;

#define CX_CHECK(cond)                                                              \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            cx_t_cur_failed = 1;                                                    \
        }                                                                           \
    } while (0)
#define CX_CHECK_STR(a, b)                                                                        \
    do {                                                                                          \
        const char *_a = (a), *_b = (b);                                                          \
        if (!_a || !_b || strcmp(_a, _b)) {                                                       \
            fprintf(stderr, "%s:%d: '%s' != '%s' (%s vs %s)\n", __FILE__, __LINE__, _a ? _a : "(null)", \
                    _b ? _b : "(null)", #a, #b);                                                  \
            cx_t_cur_failed = 1;                                                                  \
        }                                                                                         \
    } while (0)
#define CX_CHECK_NEAR(a, b, eps)                                                                       \
    do {                                                                                               \
        double _a = (a), _b = (b);                                                                     \
        if (!(fabs(_a - _b) <= (eps))) {                                                               \
            fprintf(stderr, "%s:%d: %g != %g (+-%g) (%s)\n", __FILE__, __LINE__, _a, _b, (double)(eps), #a); \
            cx_t_cur_failed = 1;                                                                       \
        }                                                                                              \
    } while (0)
#define CX_RUN(fn)                                                        \
    do {                                                                  \
        cx_t_cur_failed = 0;                                              \
        fn();                                                             \
        if (cx_t_cur_failed) { cx_t_failed++; fprintf(stderr, "FAIL %s\n", #fn); } \
        else { cx_t_passed++; printf("ok   %s\n", #fn); }                 \
    } while (0)
#define CX_DONE()                                                          \
    do {                                                                   \
        printf("%d passed, %d failed\n", cx_t_passed, cx_t_failed);        \
        return cx_t_failed ? 1 : 0;                                        \
    } while (0)

/* Does a line of file contain needle?  (Lines up to 8 KB.) */
static inline int cx_t_contains(const char *file, const char *needle) {
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* The value of the first "# key: value" line of file, into buf ("" when
 * absent). */
static inline const char *cx_t_header(const char *file, const char *key, char *buf, size_t n) {
    buf[0] = '\0';
    FILE *f = fopen(file, "r");
    if (!f) return buf;
    char line[8192], want[64];
    snprintf(want, sizeof want, "# %s: ", key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, want, strlen(want))) {
            snprintf(buf, n, "%s", line + strlen(want));
            buf[strcspn(buf, "\r\n")] = '\0';
            break;
        }
    fclose(f);
    return buf;
}

#endif
