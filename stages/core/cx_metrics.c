/* cx_metrics.c - counters written as Prometheus text (see cx_metrics.h). */
#include "cx_metrics.h"
#include "cx_alloc.h"
#include "cx_util.h"
#include <stdio.h>
#include <string.h>

#define MAXM 64

struct cx_metrics {
    char stage[32];
    char path[4200], tmp[4210];
    int64_t interval_ms, last_ms, start_ms;
    size_t n;
    const char *names[MAXM], *helps[MAXM];
    int gauge[MAXM];
    double values[MAXM];
};

cx_metrics *cx_metrics_new(const cx_conf *c, const char *stage) {
    cx_metrics *m = cx_calloc(1, sizeof *m);
    if (!m) return NULL;
    char dir[4096];
    cx_conf_path(c, "run.dir", dir, sizeof dir);
    snprintf(m->stage, sizeof m->stage, "%s", stage);
    snprintf(m->path, sizeof m->path, "%s/metrics/%s.prom", dir, stage);
    snprintf(m->tmp, sizeof m->tmp, "%s.tmp", m->path);
    cx_mkdirs(m->path, 1);
    m->interval_ms = cx_conf_int(c, "metrics.interval_ms");
    m->start_ms = cx_mono_ms();
    return m;
}

double *cx_metric(cx_metrics *m, const char *name, const char *help, int is_gauge) {
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->names[i], name)) return &m->values[i];
    if (m->n == MAXM) return NULL;
    m->names[m->n] = name;
    m->helps[m->n] = help;
    m->gauge[m->n] = is_gauge;
    return &m->values[m->n++];
}

void cx_metrics_tick(cx_metrics *m, int force) {
    int64_t now = cx_mono_ms();
    if (!force && now - m->last_ms < m->interval_ms) return;
    m->last_ms = now;
    FILE *f = fopen(m->tmp, "w");
    if (!f) return;
    for (size_t i = 0; i < m->n; i++) {
        fprintf(f, "# HELP cxflow_%s %s\n# TYPE cxflow_%s %s\ncxflow_%s{stage=\"%s\"} %.17g\n", m->names[i],
                m->helps[i], m->names[i], m->gauge[i] ? "gauge" : "counter", m->names[i], m->stage, m->values[i]);
    }
    fprintf(f, "# HELP cxflow_peak_rss_bytes peak resident set size\n# TYPE cxflow_peak_rss_bytes gauge\n"
               "cxflow_peak_rss_bytes{stage=\"%s\"} %ld\n",
            m->stage, cx_peak_rss_kb() * 1024);
    fprintf(f, "# HELP cxflow_uptime_seconds seconds since start\n# TYPE cxflow_uptime_seconds gauge\n"
               "cxflow_uptime_seconds{stage=\"%s\"} %.3f\n",
            m->stage, (now - m->start_ms) / 1000.0);
    fprintf(f, "# HELP cxflow_heartbeat_ms wall clock of this write\n# TYPE cxflow_heartbeat_ms gauge\n"
               "cxflow_heartbeat_ms{stage=\"%s\"} %lld\n",
            m->stage, (long long)cx_now_ms());
    if (fclose(f) == 0) rename(m->tmp, m->path);
}

void cx_metrics_destroy(cx_metrics **mp) {
    if (!mp || !*mp) return;
    cx_metrics_tick(*mp, 1);
    cx_free(*mp);
    *mp = NULL;
}
