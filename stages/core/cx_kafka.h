/* cx_kafka.h - librdkafka set-up shared by ingest, the sink and the tools.
 *
 * cx_kafka_conf builds an rd_kafka_conf_t from pipeline.conf: the bootstrap
 * list (kafka.brokers, or the embedded broker's address from
 * run/broker.addr when it is "embedded"), then every pass-through kafka.* key
 * (with file:line in the error when librdkafka rejects one). */
#ifndef CX_KAFKA_H
#define CX_KAFKA_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include "cx_conf.h"

/* Resolve the bootstrap servers into buf.  For "embedded" waits up to
 * wait_ms for the embedded broker's address file.  0 / -1 with err. */
int cx_kafka_bootstrap(const cx_conf *c, char *buf, size_t n, int wait_ms, char *err, size_t errlen);

/* A new rd_kafka_conf_t with bootstrap.servers, then `defaults` (NULL-
 * terminated name, value pairs; may be NULL), then the pass-through kafka.*
 * keys, which therefore win.  NULL with err.  The caller owns the result
 * (rd_kafka_conf_destroy, or hand it to rd_kafka_new). */
rd_kafka_conf_t *cx_kafka_conf(const cx_conf *c, int wait_ms, const char *const *defaults, char *err,
                               size_t errlen);

/* Set one property, formatting a helpful error. 0 / -1. */
int cx_kafka_set(rd_kafka_conf_t *kc, const char *name, const char *value, char *err, size_t errlen);

/* A log callback (rd_kafka_conf_set_log_cb) writing librdkafka's messages to
 * the stage's log at the matching level. */
void cx_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

/* Path of the embedded broker's address file (run.dir/broker.addr). */
const char *cx_kafka_addr_file(const cx_conf *c, char *buf, size_t n);

#endif
