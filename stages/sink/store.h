/* store.h - the SQLite sink (schema: docs/SINKS.md).
 *
 * cx_store writes records, their themes, dead-lettered records and cluster
 * events into one SQLite database in WAL mode.  Records are keyed by their
 * source coordinates (topic, partition, offset) and inserted with INSERT OR
 * IGNORE, so a record delivered twice is stored once.  Writes happen inside
 * a transaction opened by cx_store_begin and made durable by cx_store_commit;
 * the caller acknowledges records upstream only after the commit succeeds.
 * Kept apart from the ZeroMQ loop so tests can drive it directly. */
#ifndef CX_STORE_H
#define CX_STORE_H
#include <stddef.h>
#include "cx_env.h"

typedef struct cx_store cx_store;

/* Open (creating the schema when new).  synchronous: "normal" or "full".
 * NULL with err. */
cx_store *cx_store_open(const char *path, const char *synchronous, char *err, size_t errlen);
void cx_store_close(cx_store **s);

int cx_store_begin(cx_store *s, char *err, size_t errlen);
int cx_store_commit(cx_store *s, char *err, size_t errlen);
int cx_store_rollback(cx_store *s);
/* Is the transaction cx_store_begin opened still open?  Some errors (disk
 * full, I/O, out of memory) make SQLite roll it back by itself; later
 * writes would then commit one by one, outside the batch. */
int cx_store_txn_open(cx_store *s);

/* Insert one record (or, when env->error is set, one dead letter).
 * Returns 1 when new, 0 when it was already stored, -1 on error. */
int cx_store_record(cx_store *s, const cx_env *env, char *err, size_t errlen);

/* Apply one event JSON object (cluster lifecycle).  0 / -1. */
int cx_store_event(cx_store *s, const char *json, size_t len, char *err, size_t errlen);

/* Count rows of a table ("records", "dead_letters", ...); -1 on error. */
long long cx_store_count(cx_store *s, const char *table);

/* Space-separated stems of the content words (not stop words, not punctuation). */
int cx_env_content_stems(const cx_env *env, cx_buf *out);

/* One enriched record as a JSON object line (for the JSON-lines sink). */
int cx_env_to_json(const cx_env *env, cx_buf *out);

#endif
