/* ckpt_store.h - the cluster stage's checkpoint file.
 *
 * One SQLite database with one table,
 *
 *   state(name TEXT PRIMARY KEY, version INTEGER, saved_at INTEGER, data BLOB)
 *
 * holding named blobs ("clusterer": cx_clusterer_save's bytes, "trend":
 * clu_trend_save's, "events": the events waiting for the checkpoint, "sent":
 * the events sent lately that a restart sends again; main.c).  A checkpoint
 * replaces all its blobs in one transaction, so after a crash the file holds
 * either the complete new checkpoint or the complete previous one.  WAL mode with
 * synchronous=FULL: the write is on disk (fsync) when cx_ckpt_store_put
 * returns, which is what allows the stage to release the records the
 * checkpoint covers (docs/RELIABILITY.md, "Cluster state and restarts").
 *
 * The process holds the file's lock from open to close (locking_mode =
 * EXCLUSIVE), so a second cluster stage configured with the same file fails
 * at start-up instead of overwriting the first one's checkpoints.  The lock
 * dies with the process, also on kill -9. */
#ifndef CX_CKPT_STORE_H
#define CX_CKPT_STORE_H
#include <stddef.h>
#include <stdint.h>
#include "cx_env.h"

typedef struct cx_ckpt_store cx_ckpt_store;

typedef struct cx_ckpt_item {
    const char *name;
    int version;          /* format version of data, stored alongside */
    const void *data;
    size_t len;
} cx_ckpt_item;

/* Open path, creating it (and its directory) when missing.  NULL with
 * "path: reason" in err (not a database, locked by another process, ...).
 * Release with cx_ckpt_store_close. */
cx_ckpt_store *cx_ckpt_store_open(const char *path, char *err, size_t errlen);
void cx_ckpt_store_close(cx_ckpt_store **s);

/* Read the blob called name into out (reset first); version and saved_at_ms
 * (wall clock of the write) may be NULL.  1 when found, 0 when there is no
 * such blob, -1 with "path: reason" in err. */
int cx_ckpt_store_get(cx_ckpt_store *s, const char *name, cx_buf *out, int *version, int64_t *saved_at_ms,
                      char *err, size_t errlen);

/* Replace the blobs items[0..n) in one durable transaction.  0, or -1 with
 * "path: reason" in err; the previous checkpoint is then still complete. */
int cx_ckpt_store_put(cx_ckpt_store *s, const cx_ckpt_item *items, size_t n, char *err, size_t errlen);

#endif
