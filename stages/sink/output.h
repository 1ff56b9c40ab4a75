/* output.h - the sink stage's outputs besides SQLite (docs/SINKS.md).
 *
 * An output receives, inside one batch, the records SQLite stored for the
 * first time (or every record when SQLite is off), the dead letters, and the
 * cluster events and alerts, then makes the batch durable in commit.  The
 * batch protocol of the sink (stages/sink/main.c, flush_batch):
 *
 *   1. every output's commit runs first (a file is flushed, a
 *      Kafka producer waits for the delivery reports of the batch, a
 *      database commits its transaction);
 *   2. only when all of them succeeded, SQLite commits;
 *   3. only then are the records acknowledged to ingest.
 *
 * When an output fails, SQLite rolls back and nothing is acknowledged:
 * ingest sends the records again, every output gets them again (the outputs
 * are at-least-once, and idempotent where the target allows it: PostgreSQL
 * upserts on the source coordinates, Kafka messages are keyed by them).
 * When SQLite fails after the outputs committed, the records come again and
 * the outputs see them twice: consumers deduplicate on topic/partition/offset.
 *
 * The callbacks return 0, or -1 with a one-line reason in err.  Outputs are
 * driven from the sink's one thread. */
#ifndef CX_OUTPUT_H
#define CX_OUTPUT_H
#include <stddef.h>
#include "cx_conf.h"
#include "cx_env.h"

typedef struct cx_output cx_output;
struct cx_output {
    const char *name;   /* "jsonl", "kafka", "postgres", ... (for logs and metrics) */
    void *ctx;
    /* a batch opens (optional) */
    int (*begin)(cx_output *o, char *err, size_t errlen);
    /* one record: env decoded, json its JSON object line (cx_env_to_json,
     * newline included); env->error set means a dead letter */
    int (*record)(cx_output *o, const cx_env *env, const char *json, size_t len, char *err, size_t errlen);
    /* one cluster lifecycle event or alert, as the JSON object the cluster
     * stage sent ("event": "created" | ... | "alert.spike") */
    int (*event)(cx_output *o, const char *json, size_t len, char *err, size_t errlen);
    /* make everything since begin durable */
    int (*commit)(cx_output *o, char *err, size_t errlen);
    /* forget everything since begin (optional: an output that cannot take
     * back what it wrote leaves the duplicates to the consumers) */
    void (*rollback)(cx_output *o);
    /* called from the sink's loop about every 250 ms (optional: serve
     * delivery callbacks, reconnect, rotate) */
    void (*tick)(cx_output *o);
    void (*close)(cx_output *o);
};

/* Constructors: each reads its own keys from c.  They return NULL with
 * err[0] == '\0' when the output is not configured, NULL with a reason in
 * err when it is configured but cannot start (the stage then stops). */
cx_output *cx_out_jsonl_open(const cx_conf *c, char *err, size_t errlen);
cx_output *cx_out_kafka_open(const cx_conf *c, char *err, size_t errlen);
cx_output *cx_out_pg_open(const cx_conf *c, char *err, size_t errlen);

void cx_output_close(cx_output **o);

#endif
