/* report_html.c - HTML building blocks of the report: the escaping function
 * every database text goes through, number/date formatting, language names
 * and the page's style sheet (system fonts, small palette, phone and print
 * rules).  Nothing here fetches anything: the page is self-contained. */
#include "cx_report.h"
#include "report_int.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Length of the well-formed UTF-8 sequence starting at p (2..4), or 0 when
 * the bytes there are not one (overlong forms, surrogates and code points
 * above U+10FFFF are rejected, as RFC 3629 requires). */
size_t cx_rp_utf8_seq(const unsigned char *p) {
    unsigned c = p[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

/* Escape for text and attribute values (see cx_report.h).  Plain runs are
 * copied in one append; each special byte is flushed with its replacement. */
int cx_html_escape(cx_buf *b, const char *s, size_t max_chars) {
    if (!s) return b->oom ? -1 : 0;
    const unsigned char *p = (const unsigned char *)s, *run = p;
    size_t chars = 0;
    while (*p) {
        if (max_chars && chars == max_chars) break;
        const char *rep = NULL;
        size_t adv = 1;
        unsigned c = *p;
        if (c < 0x80) {
            switch (c) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            default:
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) rep = " ";
            }
        } else {
            adv = cx_rp_utf8_seq(p);
            if (!adv) { rep = "\xEF\xBF\xBD"; adv = 1; }              /* U+FFFD */
            else if (c == 0xC2 && p[1] < 0xA0) rep = " ";               /* C1 controls */
        }
        if (rep) {
            cx_buf_append(b, run, (size_t)(p - run));
            cx_buf_append(b, rep, strlen(rep));
            run = p + adv;
        }
        p += adv;
        chars++;
    }
    cx_buf_append(b, run, (size_t)(p - run));
    if (*p) cx_buf_append(b, "\xE2\x80\xA6", 3); /* cut: an ellipsis */
    return b->oom ? -1 : 0;
}

const char *cx_rp_date(int64_t ms, int with_time, char *buf, size_t n) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { snprintf(buf, n, "?"); return buf; }
    strftime(buf, n, with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
    return buf;
}

const char *cx_rp_count(long long v, char *buf, size_t n) {
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < n) buf[o++] = '-';
    for (int i = 0; i < len && o + 1 < n; i++) {
        buf[o++] = tmp[i];
        int left = len - i - 1;
        if (left > 0 && left % 3 == 0 && o + 1 < n) buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}

const char *cx_rp_pct(long long part, long long whole, char *buf, size_t n) {
    if (whole <= 0) { snprintf(buf, n, "-"); return buf; }
    double p = 100.0 * (double)part / (double)whole;
    if (part == 0) snprintf(buf, n, "0%%");
    else if (p < 9.95) snprintf(buf, n, "%.1f%%", p);
    else snprintf(buf, n, "%.0f%%", p);
    return buf;
}

const char *cx_rp_signed(double v, int decimals, char *buf, size_t n) {
    double r = pow(10, decimals);
    if (fabs(v) * r < 0.5) { snprintf(buf, n, "%.*f", decimals, 0.0); return buf; }
    snprintf(buf, n, "%s%.*f", v < 0 ? "\xE2\x88\x92" : "+", decimals, fabs(v));
    return buf;
}

static const char *const lang_names[][2] = {
    {"ar", "Arabic"},  {"bn", "Bengali"},   {"da", "Danish"},   {"de", "German"},     {"el", "Greek"},
    {"en", "English"}, {"es", "Spanish"},   {"fa", "Persian"},  {"fi", "Finnish"},    {"fr", "French"},
    {"he", "Hebrew"},  {"hi", "Hindi"},     {"id", "Indonesian"}, {"it", "Italian"}, {"ja", "Japanese"},
    {"ko", "Korean"},  {"nl", "Dutch"},     {"no", "Norwegian"}, {"pl", "Polish"},    {"pt", "Portuguese"},
    {"ru", "Russian"}, {"sv", "Swedish"},   {"ta", "Tamil"},    {"tr", "Turkish"},    {"uk", "Ukrainian"},
    {"ur", "Urdu"},    {"vi", "Vietnamese"}, {"zh", "Chinese"}, {"und", "undetermined"},
};

const char *cx_rp_lang_name(const char *code) {
    if (!code) return NULL;
    for (size_t i = 0; i < sizeof lang_names / sizeof lang_names[0]; i++)
        if (!strcmp(lang_names[i][0], code)) return lang_names[i][1];
    return NULL;
}

static int is_rtl_cp(unsigned long cp) {
    return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF) ||
           (cp >= 0x10800 && cp <= 0x10FFF) || (cp >= 0x1E800 && cp <= 0x1EFFF);
}

/* Count letters by direction: code points of right-to-left blocks against
 * letters of the rest (ASCII letters and everything from U+00C0 that is not
 * punctuation, symbols, joiners or emoji).  Digits and marks are neutral. */
const char *cx_rp_text_dir(const char *s) {
    long rtl = 0, ltr = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = *p < 0x80 ? 1 : cx_rp_utf8_seq(p);
        if (!n) { p++; continue; }
        unsigned long cp = n == 1 ? p[0] : n == 2 ? (p[0] & 0x1Fu) : n == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
        for (size_t i = 1; i < n; i++) cp = (cp << 6) | (p[i] & 0x3Fu);
        p += n;
        if (is_rtl_cp(cp)) rtl++;
        else if ((cp < 0x80 && isalpha((int)cp)) ||
                 (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7 && !(cp >= 0x2000 && cp <= 0x2BFF) &&
                  !(cp >= 0x3000 && cp <= 0x303F) && !(cp >= 0xFE00 && cp <= 0xFE0F) && cp < 0x1F000))
            ltr++;
    }
    return rtl > ltr ? "rtl" : "auto";
}

void cx_rp_lang_attr(cx_buf *b, const char *code) {
    if (!code || !isalpha((unsigned char)code[0]) || !strcmp(code, "und")) return;
    size_t n = strlen(code);
    if (n < 2 || n > 15) return;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)code[i]) && code[i] != '-') return;
    cx_buf_printf(b, " lang=\"%s\"", code);
}

/* The style sheet.  Colours: negative red, neutral grey, positive green, one
 * blue accent; the same custom properties colour the SVG charts through
 * classes, so the charts follow the palette and print in colour. */
void cx_rp_css(cx_buf *b) {
    static const char *const css[] = {
        "<style>\n",
        ":root{--neg:#d1453b;--neu:#9aa3ad;--pos:#2e9b5b;--oth:#d7dce2;--acc:#2a5caa;--ink:#1e2430;"
        "--mut:#5d6878;--line:#e2e6eb;--bg:#f4f6f8;--card:#fff}\n",
        "*{box-sizing:border-box}\n",
        "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\n",
        "body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"
        "\"Segoe UI\",Roboto,\"Noto Sans\",\"Helvetica Neue\",Arial,sans-serif}\n",
        ".wrap{max-width:1240px;margin:0 auto;padding:24px 20px 40px}\n",
        "header h1{font-size:1.75rem;line-height:1.2;margin:0 0 6px}\n",
        "h2{font-size:1.25rem;margin:0 0 4px}\n",
        "h3{font-size:1.05rem;margin:0;display:inline}\n",
        "h4{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:var(--mut);margin:14px 0 6px}\n",
        "section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px;"
        "margin:16px 0}\n",
        ".sub,.note{color:var(--mut);font-size:.88rem;margin:0 0 12px}\n",
        "nav.toc{font-size:.88rem;margin:10px 0 0;display:flex;flex-wrap:wrap;gap:2px 16px}\n",
        "nav.toc a{color:var(--acc);text-decoration:none;white-space:nowrap}\n",
        ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(165px,1fr));gap:12px;margin:12px 0}\n",
        ".kpi{border:1px solid var(--line);border-radius:8px;padding:10px 12px}\n",
        ".kpi .k{color:var(--mut);font-size:.75rem;text-transform:uppercase;letter-spacing:.05em}\n",
        ".kpi .v{font-size:1.45rem;font-weight:650;line-height:1.3;font-variant-numeric:tabular-nums}\n",
        ".kpi .d{color:var(--mut);font-size:.82rem}\n",
        ".kpi .mix{width:100%;height:8px;margin-top:6px}\n",
        "ol.top{margin:6px 0 0;padding-left:1.4em}\n",
        "ol.top li{margin:4px 0}\n",
        ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\n",
        "table{border-collapse:collapse;width:100%;font-size:.88rem}\n",
        "th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle;"
        "white-space:nowrap}\n",
        "th{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--mut);font-weight:600}\n",
        ".num{text-align:right;font-variant-numeric:tabular-nums}\n",
        "td.name{white-space:normal;min-width:8em}\n",
        "tr.parent td{font-weight:600;border-top:1px solid #c9d0d8}\n",
        "tr.child td:first-child{padding-left:26px}\n",
        ".id{color:var(--mut);font:.75rem ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin-left:6px}\n",
        "svg.bar{width:72px;height:9px;display:block}\n",
        "svg.mix{width:110px;height:9px;display:block}\n",
        "svg.spark{width:90px;height:24px;display:block}\n",
        "svg.chart{width:100%;min-width:560px;height:auto;display:block}\n",
        "svg text{font:11px system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;fill:var(--mut)}\n",
        "svg .grid{stroke:var(--line);stroke-width:1}\n",
        "svg .track{fill:#edf0f3}\n",
        ".neg{fill:var(--neg)} .neu{fill:var(--neu)} .pos{fill:var(--pos)} .oth{fill:var(--oth)} .acc{fill:var(--acc)}\n",
        ".s-neg{stroke:var(--neg);fill:none} .s-acc{stroke:var(--acc);fill:none}\n",
        ".a-neg{fill:var(--neg);opacity:.12} .a-acc{fill:var(--acc);opacity:.12}\n",
        ".t-neg{color:var(--neg)} .t-pos{color:var(--pos)} .t-mut{color:var(--mut)}\n",
        ".legend{font-size:.85rem;color:var(--mut);margin:8px 0 0}\n",
        ".legend span{margin-right:16px;white-space:nowrap}\n",
        ".legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;"
        "vertical-align:-1px}\n",
        ".legend i.neg{background:var(--neg)} .legend i.neu{background:var(--neu)}"
        " .legend i.pos{background:var(--pos)} .legend i.oth{background:var(--oth)}\n",
        ".cl{border-top:1px solid var(--line);padding:16px 0 4px}\n",
        ".cl:first-of-type{border-top:none}\n",
        ".cl-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 12px}\n",
        ".rank{color:var(--mut);font-weight:600}\n",
        ".badge{font-size:.72rem;border:1px solid var(--line);border-radius:10px;padding:0 7px;color:var(--mut)}\n",
        ".facts{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:.86rem;color:var(--mut);margin:6px 0}\n",
        ".facts b{color:var(--ink);font-weight:600}\n",
        ".cl-body{display:flex;flex-wrap:wrap;gap:10px 24px;align-items:flex-start}\n",
        ".cl-body .ex{flex:1 1 420px;min-width:0}\n",
        "blockquote.vb{margin:6px 0;padding:6px 10px;border-inline-start:3px solid var(--line);"
        "background:#fafbfc;border-radius:0 4px 4px 0;overflow-wrap:anywhere}\n",
        "blockquote.vb small{color:var(--mut);margin-inline-start:6px}\n",
        ".grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:8px 26px}\n",
        ".grid2>*{min-width:0}\n",
        "footer{color:var(--mut);font-size:.8rem;margin:18px 4px;overflow-wrap:anywhere}\n",
        "@media (max-width:600px){body{font-size:14px}.wrap{padding:12px 10px 28px}"
        "section{padding:14px 12px;border-radius:8px}header h1{font-size:1.35rem}.kpi .v{font-size:1.2rem}"
        ".kpis{grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:8px}"
        ".grid2{grid-template-columns:1fr}}\n",
        "@media print{body{background:#fff;font-size:10.5pt}.wrap{max-width:none;padding:0}"
        "section{border:none;border-radius:0;padding:0;margin:0 0 16pt}nav.toc{display:none}"
        ".scroll{overflow:visible}th,td{white-space:normal}.cl,.kpi,tr{break-inside:avoid}"
        "h2{break-after:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n",
        "</style>\n",
    };
    for (size_t i = 0; i < sizeof css / sizeof css[0]; i++) cx_buf_append(b, css[i], strlen(css[i]));
}
