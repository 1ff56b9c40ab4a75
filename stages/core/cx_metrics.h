/* cx_metrics.h - per-process counters and gauges, written periodically in
 * Prometheus text format to run/metrics/<stage>.prom (atomically, via a
 * temporary file and rename).  `cxflow status` and `cxflow bench` read them.
 * Single-threaded: each stage updates its own metrics from its main loop. */
#ifndef CX_METRICS_H
#define CX_METRICS_H
#include <stdint.h>
#include "cx_conf.h"

typedef struct cx_metrics cx_metrics;

/* NULL when out of memory.  Release with cx_metrics_destroy (writes a last time). */
cx_metrics *cx_metrics_new(const cx_conf *c, const char *stage);
void cx_metrics_destroy(cx_metrics **m);

/* Register a counter or gauge; returns a pointer to its value that stays
 * valid for the life of m (up to 64 metrics).  NULL when full. */
double *cx_metric(cx_metrics *m, const char *name, const char *help, int is_gauge);

/* Write the file when the interval has passed (force != 0: now). */
void cx_metrics_tick(cx_metrics *m, int force);

#endif
