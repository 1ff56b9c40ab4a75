/* cx_stage.h - the one shape of a middle stage (tokenize, tag, cluster).
 *
 * A stage provides a cx_stage_ops table: init builds its context from the
 * configuration, process enriches one envelope, tick runs periodically,
 * reload re-reads lexicons on SIGHUP, fini releases the context.  The runner
 * flush sends the last events on stop,
 * (cx_stage_main) owns everything else: the command line, the configuration,
 * the ZeroMQ links (PULL on link.<name>, PUSH to the next stage's link), the
 * metrics file, signals and the loop.  A newcomer who has read one stage has
 * read them all. */
#ifndef CX_STAGE_H
#define CX_STAGE_H
#include "cx_conf.h"
#include "cx_env.h"
#include "cx_metrics.h"

typedef struct cx_stage_io cx_stage_io;

typedef struct cx_stage_ops {
    const char *name;        /* "tokenize" */
    const char *summary;     /* one line for --help */
    const char *in_key;      /* "link.tokenize" */
    const char *out_key;     /* "link.tag" */
    /* Build the context.  0 on success; -1 with a reason in err. */
    int (*init)(void **ctx, const cx_conf *c, cx_metrics *m, char *err, size_t errlen);
    /* Enrich env in place.  0 on success: the runner sends it on.  1: the
     * stage kept the record - it encoded env itself and sends the frame later
     * with cx_stage_send (the cluster stage holds records until a checkpoint
     * covers them).  -1 with a reason in err: the record is then marked with
     * the error and forwarded to the sink's dead letters. */
    int (*process)(void *ctx, cx_env *env, cx_stage_io *io, char *err, size_t errlen);
    /* Optional: called about every 100 ms (decay, alerts, checkpoints). */
    void (*tick)(void *ctx, cx_stage_io *io);
    /* Optional: SIGHUP.  0 on success; -1 keeps the old state and logs err. */
    int (*reload)(void *ctx, const cx_conf *c, char *err, size_t errlen);
    /* Optional: on stop, after the loop and while the links are still open:
     * send the last events (cx_stage_emit_event then gives up on a send after
     * about 3 s instead of blocking). */
    void (*flush)(void *ctx, cx_stage_io *io);
    void (*fini)(void *ctx);
} cx_stage_ops;

/* Send a JSON event (cluster lifecycle, alert) downstream to the sink.  0/-1. */
int cx_stage_emit_event(cx_stage_io *io, const char *json, size_t len);

/* Send an encoded record frame (one that process kept) downstream.  Blocks
 * like the runner's own sends (bounded to about 3 s in flush).  0, or -1
 * when stopping or the send failed. */
int cx_stage_send(cx_stage_io *io, const void *frame, size_t len);

/* The whole stage process: returns the exit code for main. */
int cx_stage_main(int argc, char **argv, const cx_stage_ops *ops);

#endif
