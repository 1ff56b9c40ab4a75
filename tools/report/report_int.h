/* report_int.h - internals shared by the source files of the cxreport
 * library: HTML page helpers (report_html.c), inline SVG charts
 * (report_svg.c) and the theme taxonomy (report_taxo.c).  Not installed. */
#ifndef CX_REPORT_INT_H
#define CX_REPORT_INT_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"

#define CX_HOUR_MS 3600000LL
#define CX_DAY_MS 86400000LL

/* ---- report_html.c ---- */

/* Length of the well-formed UTF-8 sequence starting at p (2..4), or 0 when
 * the bytes there are not one (p[0] >= 0x80). */
size_t cx_rp_utf8_seq(const unsigned char *p);

/* The <style> element of the page (palette, layout, phone and print rules). */
void cx_rp_css(cx_buf *b);
/* UTC date of ms: "2026-11-03", with_time adds " 14:05". */
const char *cx_rp_date(int64_t ms, int with_time, char *buf, size_t n);
/* 12345 -> "12,345". */
const char *cx_rp_count(long long v, char *buf, size_t n);
/* part/whole as a percentage: "0%", "4.2%", "37%"; "-" when whole is 0. */
const char *cx_rp_pct(long long part, long long whole, char *buf, size_t n);
/* A signed number with a typographic minus: "+0.42", "\u22120.31". */
const char *cx_rp_signed(double v, int decimals, char *buf, size_t n);
/* English name of an ISO 639-1 code, or NULL when not in the small table. */
const char *cx_rp_lang_name(const char *code);
/* "rtl" when most letters of s are in right-to-left scripts (Arabic,
 * Persian, Urdu, Hebrew, Syriac, Thaana, N'Ko...), else "auto". */
const char *cx_rp_text_dir(const char *s);
/* Append a lang="xx" attribute (with a leading space) when code looks like a
 * language tag and is not "und"; appends nothing otherwise. */
void cx_rp_lang_attr(cx_buf *b, const char *code);

/* ---- report_csv.c ---- */

/* CSV cells (RFC 4180: a cell with a comma, quote, CR or LF is quoted, a
 * quote inside doubled; the caller ends rows with CRLF).  cx_csv_text
 * writes a text from the database: invalid UTF-8 becomes U+FFFD, control
 * characters other than tab/CR/LF a space, and a text starting with = + - @
 * tab or CR gets a leading ' so a spreadsheet shows it instead of running
 * it as a formula.  NULL writes an empty cell. */
void cx_csv_text(cx_buf *b, const char *s);
/* A number with the given decimals; an empty cell when !defined. */
void cx_csv_num(cx_buf *b, double v, int decimals, int defined);
/* ISO 8601 UTC time of ms: "2026-11-03T14:05:09Z". */
const char *cx_rp_iso(int64_t ms, char *buf, size_t n);

/* ---- report_svg.c ---- */

/* Stacked bar chart of record volume per time bucket.  v[0..3] are the
 * negative, neutral, positive and untagged counts, nb values each; bucket i
 * starts at start_ms + i * bucket_ms; unit is "hour", "day" or "week". */
typedef struct cx_rp_stack {
    int nb;
    const long long *v[4];
    int64_t start_ms, bucket_ms;
    const char *unit;
} cx_rp_stack;
void cx_rp_svg_timeline(cx_buf *b, const cx_rp_stack *s);

/* A small trend line of n values (class cls colours it: "s-neg", "s-acc"). */
void cx_rp_svg_spark(cx_buf *b, const long long *v, int n, const char *cls, const char *title);
/* A horizontal bar filled to frac (0..1) with class cls ("neg", "acc"). */
void cx_rp_svg_bar(cx_buf *b, double frac, const char *cls, const char *title);
/* A 100% bar split into negative / neutral / positive / untagged shares. */
void cx_rp_svg_mix(cx_buf *b, long long neg, long long neu, long long pos, long long other);

/* ---- report_dash.c (the live dashboard's page, cxflow-dash) ---- */

/* The inline <script> that polls /api/summary every refresh_s seconds and
 * swaps in the current page when the data changed; records script errors
 * into the page. */
void cx_rp_dash_script(cx_buf *b, int refresh_s);
/* The status line with links to the JSON API. */
void cx_rp_dash_bar(cx_buf *b);

/* ---- report_taxo.c ---- */

/* The theme taxonomy: theme id -> English name (lexicons/themes/taxonomy.tsv). */
typedef struct cx_rp_taxo {
    size_t n;
    char **id, **name; /* sorted by id */
} cx_rp_taxo;

/* Load DIR/themes/taxonomy.tsv.  A missing file (or dir NULL/"") is not an
 * error: the taxonomy stays empty and ids are shown raw.  -1 with err on a
 * read error or out of memory. */
int cx_rp_taxo_load(cx_rp_taxo *t, const char *dir, char *err, size_t errlen);
/* The name of id, or NULL when unknown. */
const char *cx_rp_taxo_name(const cx_rp_taxo *t, const char *id);
void cx_rp_taxo_free(cx_rp_taxo *t);

#endif
