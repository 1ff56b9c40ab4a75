/* cx_alloc.h - the one allocation wrapper every cxflow module uses.
 *
 * All heap allocation in cxflow goes through these functions so that tests
 * can make the Nth allocation fail (transient: only the Nth; persistent:
 * the Nth and every later one), in the spirit of SQLite's FAULTSIM.  The
 * wrappers never abort: callers must handle NULL.  Memory returned by
 * cx_malloc and friends is released with cx_free. */
#ifndef CX_ALLOC_H
#define CX_ALLOC_H
#include <stddef.h>

void *cx_malloc(size_t n);
void *cx_calloc(size_t nmemb, size_t size);
void *cx_realloc(void *p, size_t n);
char *cx_strdup(const char *s);
char *cx_strndup(const char *s, size_t n);
void cx_free(void *p);

/* What the allocator reports: *in_use the bytes the program holds (without
 * the allocator's free space and fragmentation), *held the bytes the
 * allocator keeps mapped for it (jemalloc: "stats.resident"; glibc: the heap
 * arena plus mmapped chunks).  Names the allocator ("jemalloc" / "glibc"). */
const char *cx_alloc_stats(size_t *in_use, size_t *held);

/* Fault injection: the nth allocation from now fails (n >= 1); when
 * persistent is non-zero every allocation after it fails too.  n = 0
 * disables injection.  Returns the number of failures injected so far. */
void cx_alloc_fail_at(long n, int persistent);
long cx_alloc_failures(void);

#endif
