/* report_csv.c - CSV cells for cxflow-export (RFC 4180, UTF-8).  The
 * export's own numbers go through cx_csv_num and are never guarded: a
 * negative impact must stay a number in a spreadsheet.  Texts from the
 * database go through cx_csv_text (see report_int.h). */
#include "report_int.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

void cx_csv_text(cx_buf *b, const char *s) {
    if (!s || !*s) return;
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote) cx_buf_append(b, "\"", 1);
    /* a spreadsheet runs a cell starting with these as a formula
     * (=HYPERLINK(...), +cmd|..., -2+3, @SUM(...)); the apostrophe makes
     * it text and shows the rest unchanged */
    if (strchr("=+-@\t\r", s[0])) cx_buf_append(b, "'", 1);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    while (*p) {
        const char *rep = NULL;
        size_t adv = 1;
        if (*p == '"') rep = "\"\"";
        else if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') || *p == 0x7F) rep = " ";
        else if (*p >= 0x80 && !(adv = cx_rp_utf8_seq(p))) { rep = "\xEF\xBF\xBD"; adv = 1; } /* U+FFFD */
        if (rep) {
            cx_buf_append(b, run, (size_t)(p - run));
            cx_buf_append(b, rep, strlen(rep));
            run = p + adv;
        }
        p += adv;
    }
    cx_buf_append(b, run, (size_t)(p - run));
    if (quote) cx_buf_append(b, "\"", 1);
}

void cx_csv_num(cx_buf *b, double v, int decimals, int defined) {
    if (!defined) return;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    /* -0.001 with two decimals: "0.00", not "-0.00" */
    if (tmp[0] == '-' && strspn(tmp + 1, "0.") == strlen(tmp + 1)) memmove(tmp, tmp + 1, strlen(tmp));
    cx_buf_append(b, tmp, strlen(tmp));
}

const char *cx_rp_iso(int64_t ms, char *buf, size_t n) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { snprintf(buf, n, "?"); return buf; }
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
