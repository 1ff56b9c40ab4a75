/* cx_pii.h - PII redaction: replaces e-mail addresses, phone numbers,
 * payment card numbers, IBANs and user-defined patterns in feedback text by
 * typed placeholders ([EMAIL] [PHONE] [CARD] [IBAN] [NAME]) before the text
 * is analysed, stored or emitted.
 *
 * The four built-in detectors are hand-written scanners over the UTF-8
 * bytes (one pass, no regex); their rules - including what is deliberately
 * NOT redacted (order numbers, dates, times, amounts, versions, Luhn-invalid
 * card-like numbers ...) - are documented at the top of cx_pii.c.  Digits of
 * every script count (ASCII, Arabic-Indic, Persian, Bengali, Devanagari ...).
 * User patterns (pipeline.conf `pii.pattern.NAME = REGEX`) are PCRE2 regexes
 * compiled once (UTF + UCP mode, JIT when available); their matches become
 * [NAME].  Overlapping matches of different detectors are merged into one
 * placeholder so that no part of a match survives; the type of the merged
 * placeholder is the one of highest priority: user pattern > e-mail > IBAN >
 * card > phone.
 *
 * A cx_pii is not thread-safe (it keeps scratch buffers): one per thread.
 * Allocation goes through cx_malloc (PCRE2 included, except JIT code). */
#ifndef CX_PII_H
#define CX_PII_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"

typedef struct cx_pii cx_pii;

/* A user pattern: NAME is 1..32 characters of [A-Za-z0-9_] and becomes the
 * placeholder [NAME]; regex is PCRE2 syntax. */
typedef struct cx_pii_pattern {
    const char *name;
    const char *regex;
} cx_pii_pattern;

typedef struct cx_pii_opts {
    int email, phone, card, iban;      /* built-in detectors: non-zero = on */
    const cx_pii_pattern *patterns;    /* user patterns (may be NULL) */
    size_t npatterns;
} cx_pii_opts;

/* Replacements by type (per call, or running totals). */
typedef struct cx_pii_counts {
    uint64_t email, phone, card, iban, custom;
} cx_pii_counts;

/* Compile the detectors.  NULL with a reason in err on failure: an invalid
 * name, or a bad regex - then err reads "pii.pattern.NAME: <PCRE2 message>
 * at offset K in \"REGEX\"", so the caller can look up where the key was set
 * (cx_conf_origin) - or out of memory. */
cx_pii *cx_pii_new(const cx_pii_opts *o, char *err, size_t n);
void cx_pii_destroy(cx_pii **p);

/* Redact in[0..len).  Returns the number of placeholders written; 0 means
 * nothing was found and out is untouched (the caller keeps the input); > 0
 * means out was reset and holds the redacted text (NUL-terminated, out->len
 * bytes).  -1 on failure (out of memory, or a user pattern that hit the
 * PCRE2 match limit): the reason is in cx_pii_error(p) and the caller must
 * not emit the input.  counts (may be NULL) receives this call's counts. */
int cx_pii_redact(cx_pii *p, const char *in, size_t len, cx_buf *out, cx_pii_counts *counts);

/* The reason of the last failure of cx_pii_redact. */
const char *cx_pii_error(const cx_pii *p);

/* Counts of all successful cx_pii_redact calls since cx_pii_new. */
void cx_pii_totals(const cx_pii *p, cx_pii_counts *out);

/* Is name[0..n) a placeholder name: EMAIL, PHONE, CARD, IBAN (always, even
 * when p is NULL), or the NAME of one of p's user patterns?  1 / 0.  The
 * tokenizer uses it to keep "[NAME]" as one token. */
int cx_pii_is_placeholder(const cx_pii *p, const char *name, size_t n);

#endif
