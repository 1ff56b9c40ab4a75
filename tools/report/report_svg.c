/* report_svg.c - the report's charts as inline SVG, written as text into the
 * page: a stacked bar chart of volume over time, sparklines, proportion bars
 * and sentiment-mix bars.  Colours come from CSS classes of the page (see
 * cx_rp_css), hover texts from <title> elements, so no script is needed. */
#include "cx_report.h"
#include "report_int.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Append a string literal (length known at compile time). */
#define LIT(b, s) cx_buf_append((b), s, sizeof(s) - 1)

/* A "nice" grid step (1, 2 or 5 times a power of ten, at least 1) that
 * divides 0..max into about nt intervals. */
static double nice_step(double max, int nt) {
    if (max <= 0) return 1;
    double raw = max / nt, p = pow(10, floor(log10(raw))), f = raw / p;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
    return step < 1 ? 1 : step;
}

static void svg_title(cx_buf *b, const char *title) {
    if (!title || !*title) return;
    LIT(b, "<title>");
    cx_html_escape(b, title, 0);
    LIT(b, "</title>");
}

static const char *bucket_label(int64_t ms, const char *unit, char *buf, size_t n) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) { snprintf(buf, n, "?"); return buf; }
    strftime(buf, n, !strcmp(unit, "hour") ? "%d %b %H:00" : "%d %b", &tm);
    return buf;
}

/* The timeline: one bar per bucket, stacked bottom-up negative, neutral,
 * positive, untagged; horizontal grid with counts on the left; at most about
 * eight date labels under the bars.  Each bar carries a <title> with its
 * date and counts, shown on hover. */
void cx_rp_svg_timeline(cx_buf *b, const cx_rp_stack *s) {
    const double W = 820, H = 250, ml = 44, mr = 12, mt = 10, mb = 30;
    const double pw = W - ml - mr, ph = H - mt - mb;
    static const char *const cls[4] = {"neg", "neu", "pos", "oth"};
    static const char *const names[4] = {"negative", "neutral", "positive", "untagged"};
    long long max = 0;
    for (int i = 0; i < s->nb; i++) {
        long long t = 0;
        for (int k = 0; k < 4; k++) t += s->v[k][i];
        if (t > max) max = t;
    }
    double step = nice_step((double)max, 4), ymax = ceil((double)(max ? max : 1) / step) * step;
    cx_buf_printf(b,
                  "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"Records per %s, stacked by sentiment\">\n",
                  W, H, s->unit);
    for (double y = 0; y <= ymax + 0.5; y += step) {
        double py = mt + ph - y / ymax * ph;
        cx_buf_printf(b, "<line class=\"grid\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>", ml, W - mr, py, py);
        char num[32];
        cx_buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ml - 6, py + 4,
                      cx_rp_count((long long)y, num, sizeof num));
    }
    double bw = pw / (s->nb > 0 ? s->nb : 1);
    double gap = bw > 6 ? bw * 0.2 : bw > 2 ? 0.6 : 0;
    for (int i = 0; i < s->nb; i++) {
        long long tot = 0;
        for (int k = 0; k < 4; k++) tot += s->v[k][i];
        if (!tot) continue;
        char d[48], title[256];
        int64_t start = s->start_ms + (int64_t)i * s->bucket_ms;
        if (!strcmp(s->unit, "hour")) cx_rp_date(start, 1, d, sizeof d);
        else if (!strcmp(s->unit, "week")) {
            char d0[24];
            snprintf(d, sizeof d, "week of %s", cx_rp_date(start, 0, d0, sizeof d0));
        } else
            cx_rp_date(start, 0, d, sizeof d);
        int o = snprintf(title, sizeof title, "%s: %lld record%s", d, tot, tot == 1 ? "" : "s");
        for (int k = 0; k < 4 && o > 0 && (size_t)o < sizeof title; k++)
            if (s->v[k][i] || k < 3) o += snprintf(title + o, sizeof title - (size_t)o, "%s%lld %s", k ? ", " : " \xE2\x80\x94 ", s->v[k][i], names[k]);
        LIT(b, "<g>");
        svg_title(b, title);
        double y = mt + ph, x = ml + i * bw + gap / 2;
        for (int k = 0; k < 4; k++) {
            if (!s->v[k][i]) continue;
            double h = (double)s->v[k][i] / ymax * ph;
            y -= h;
            cx_buf_printf(b, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>", cls[k], x, y,
                          bw - gap, h);
        }
        LIT(b, "</g>\n");
    }
    cx_buf_printf(b, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#b8c0ca\"/>\n", ml, W - mr, mt + ph,
                  mt + ph);
    int every = (s->nb + 7) / 8;
    if (every < 1) every = 1;
    for (int i = 0; i < s->nb; i += every) {
        char lab[32];
        double cx = ml + (i + 0.5) * bw;
        if (cx < ml + 22) cx = ml + 22;
        if (cx > W - mr - 22) cx = W - mr - 22;
        cx_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>", cx, H - 10,
                      bucket_label(s->start_ms + (int64_t)i * s->bucket_ms, s->unit, lab, sizeof lab));
    }
    LIT(b, "\n</svg>\n");
}

/* A sparkline: the values as a line over a faint area, scaled to the
 * series' own maximum, with a dot on the last value. */
void cx_rp_svg_spark(cx_buf *b, const long long *v, int n, const char *cls, const char *title) {
    const double W = 110, H = 24, pad = 2.5;
    long long max = 1;
    for (int i = 0; i < n; i++)
        if (v[i] > max) max = v[i];
    cx_buf_printf(b, "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">", W, H);
    svg_title(b, title);
    if (n <= 0) { LIT(b, "</svg>"); return; }
    int m = n > 1 ? n : 2; /* a single value is drawn as a flat line */
    char pts[64];
    cx_buf pl;
    cx_buf_init(&pl);
    for (int i = 0; i < m; i++) {
        long long val = v[n > 1 ? i : 0];
        double x = pad + (W - 2 * pad) * i / (m - 1);
        double y = H - pad - (H - 2 * pad) * (double)val / (double)max;
        snprintf(pts, sizeof pts, "%s%.1f,%.1f", i ? " " : "", x, y);
        cx_buf_append(&pl, pts, strlen(pts));
    }
    const char *sfx = cls && !strncmp(cls, "s-", 2) ? cls + 2 : "acc";
    cx_buf_printf(b, "<polygon class=\"a-%s\" points=\"%.1f,%.1f %s %.1f,%.1f\"/>", sfx, pad, H - pad,
                  pl.data ? pl.data : "", W - pad, H - pad);
    cx_buf_printf(b, "<polyline class=\"%s\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"%s\"/>",
                  cls ? cls : "s-acc", pl.data ? pl.data : "");
    double ly = H - pad - (H - 2 * pad) * (double)v[n - 1] / (double)max;
    cx_buf_printf(b, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\"/></svg>", sfx, W - pad, ly);
    if (pl.oom) b->oom = 1;
    cx_buf_free(&pl);
}

void cx_rp_svg_bar(cx_buf *b, double frac, const char *cls, const char *title) {
    if (!(frac >= 0)) frac = 0;
    if (frac > 1) frac = 1;
    LIT(b, "<svg class=\"bar\" viewBox=\"0 0 100 9\" preserveAspectRatio=\"none\" role=\"img\">");
    svg_title(b, title);
    cx_buf_printf(b, "<rect class=\"track\" width=\"100\" height=\"9\"/><rect class=\"%s\" width=\"%.2f\" height=\"9\"/></svg>",
                  cls, frac * 100);
}

/* The sentiment mix of a group as one 100% bar: negative from the left,
 * then neutral, positive and untagged, with the counts in the hover text. */
void cx_rp_svg_mix(cx_buf *b, long long neg, long long neu, long long pos, long long other) {
    long long v[4] = {neg, neu, pos, other}, tot = neg + neu + pos + other;
    static const char *const cls[4] = {"neg", "neu", "pos", "oth"};
    char title[160];
    int o = snprintf(title, sizeof title, "%lld negative, %lld neutral, %lld positive", neg, neu, pos);
    if (other && o > 0 && (size_t)o < sizeof title) snprintf(title + o, sizeof title - (size_t)o, ", %lld untagged", other);
    LIT(b, "<svg class=\"mix\" viewBox=\"0 0 100 9\" preserveAspectRatio=\"none\" role=\"img\">");
    svg_title(b, title);
    if (tot <= 0) LIT(b, "<rect class=\"track\" width=\"100\" height=\"9\"/>");
    double x = 0;
    for (int k = 0; k < 4 && tot > 0; k++) {
        if (!v[k]) continue;
        double w = 100.0 * (double)v[k] / (double)tot;
        cx_buf_printf(b, "<rect class=\"%s\" x=\"%.2f\" width=\"%.2f\" height=\"9\"/>", cls[k], x, w);
        x += w;
    }
    LIT(b, "</svg>");
}
