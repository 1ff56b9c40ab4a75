/* cx_stage.c - the runner shared by the middle stages (see cx_stage.h). */
#include "cx_stage.h"
#include "cx_alloc.h"
#include "cx_link.h"
#include "cx_log.h"
#include "cx_util.h"
#include <stdio.h>
#include <string.h>
#include <zmq.h>

struct cx_stage_io {
    void *out;
    const char *out_ep;
    cx_buf ebuf;
    double *events;
    double *records_out;
    int draining;          /* in ops->flush: bounded sends */
};

static int send_out(cx_stage_io *io, const void *data, size_t len) {
    return io->draining ? cx_link_send_for(io->out, data, len, 3000) : cx_link_send(io->out, data, len, io->out_ep);
}

int cx_stage_emit_event(cx_stage_io *io, const char *json, size_t len) {
    if (cx_event_encode(json, len, &io->ebuf) < 0 || send_out(io, io->ebuf.data, io->ebuf.len) < 0) return -1;
    (*io->events)++;
    return 0;
}

int cx_stage_send(cx_stage_io *io, const void *frame, size_t len) {
    if (send_out(io, frame, len) < 0) return -1;
    (*io->records_out)++;
    return 0;
}

int cx_stage_main(int argc, char **argv, const cx_stage_ops *ops) {
    int code;
    cx_conf *c = cx_stage_args(argc, argv, ops->name, ops->summary, &code);
    if (!c) return code;
    cx_signals_install();
    cx_metrics *m = cx_metrics_new(c, ops->name);
    void *zctx = zmq_ctx_new(), *in = NULL, *ctx = NULL;
    cx_stage_io io = {0};
    cx_buf out;
    cx_buf_init(&out);
    cx_buf_init(&io.ebuf);
    char err[1024] = "";
    int rc = 1;
    if (!m || !zctx) { cx_error("out of memory"); goto done; }
    double *m_in = cx_metric(m, "records_in_total", "records received", 0);
    double *m_out = cx_metric(m, "records_out_total", "records sent downstream", 0);
    double *m_err = cx_metric(m, "records_failed_total", "records marked for the dead letters by this stage", 0);
    double *m_bad = cx_metric(m, "frames_bad_total", "frames that could not be decoded (dropped)", 0);
    double *m_busy = cx_metric(m, "busy_seconds_total", "time spent processing records", 0);
    io.events = cx_metric(m, "events_out_total", "events sent downstream", 0);
    io.records_out = m_out;
    double *m_reloads = cx_metric(m, "reloads_total", "SIGHUP reloads that succeeded", 0);
    double *m_reload_fail = cx_metric(m, "reload_failures_total", "SIGHUP reloads that failed (the old state stays)", 0);
    static double no_slot[2];   /* the metrics table is full: count nowhere */
    if (!m_reloads) m_reloads = &no_slot[0];
    if (!m_reload_fail) m_reload_fail = &no_slot[1];
    if (!io.records_out) io.records_out = &no_slot[0];
    if (ops->init(&ctx, c, m, err, sizeof err) < 0) { cx_error("start-up failed: %s", err); goto done; }
    if (!(in = cx_link_pull(zctx, c, ops->in_key, err, sizeof err)) ||
        !(io.out = cx_link_push(zctx, c, ops->out_key, err, sizeof err))) {
        cx_error("%s", err);
        goto done;
    }
    io.out_ep = cx_conf_str(c, ops->out_key);
    cx_pidfile_write(c, ops->name);
    cx_info("%s started: in %s, out %s", ops->name, cx_conf_str(c, ops->in_key), io.out_ep);
    int64_t last_tick = cx_mono_ms();
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    rc = 0;
    while (!cx_stop) {
        if (cx_reload) {
            cx_reload = 0;
            if (!ops->reload) cx_info("SIGHUP: nothing to reload");
            else if (ops->reload(ctx, c, err, sizeof err) < 0) {
                cx_error("reload failed, keeping the old state: %s", err);
                (*m_reload_fail)++;
            } else {
                cx_info("reloaded");
                (*m_reloads)++;
            }
            cx_metrics_tick(m, 1);   /* `cxflow reload` waits for these counters */
        }
        int64_t now = cx_mono_ms();
        if (now - last_tick >= 100) {
            if (ops->tick) ops->tick(ctx, &io);
            cx_metrics_tick(m, 0);
            last_tick = now;
        }
        int n = zmq_msg_recv(&msg, in, 0);
        if (n < 0) continue; /* timeout (250 ms) or EINTR */
        const void *data = zmq_msg_data(&msg);
        size_t len = zmq_msg_size(&msg);
        int kind = cx_msg_kind(data, len);
        if (kind != CX_MSG_RECORD) {
            if (kind < 0) { (*m_bad)++; cx_warn("dropped a frame that is not a cxflow frame (%zu bytes)", len); continue; }
            if (cx_link_send(io.out, data, len, io.out_ep) < 0) break;
            continue;
        }
        (*m_in)++;
        cx_env *env = cx_env_decode(data, len, err, sizeof err);
        if (!env) {
            (*m_bad)++;
            cx_warn("dropped an undecodable envelope: %s", err);
            continue;
        }
        int kept = 0;
        if (!env->error) {
            int64_t t0 = cx_now_us();
            err[0] = '\0';
            int pr = ops->process(ctx, env, &io, err, sizeof err);
            if (pr < 0) {
                char why[1100];
                snprintf(why, sizeof why, "%s: %s", ops->name, err[0] ? err : "failed");
                env->error = cx_env_strdup(env, why);
                (*m_err)++;
            }
            kept = pr > 0;
            *m_busy += (cx_now_us() - t0) / 1e6;
        }
        if (kept) { /* the stage sends it later (cx_stage_send) */
            cx_env_destroy(&env);
            continue;
        }
        if (cx_env_encode(env, &out) < 0) {
            cx_error("out of memory encoding a record; it will be sent again by ingest");
            cx_env_destroy(&env);
            continue;
        }
        cx_env_destroy(&env);
        if (cx_link_send(io.out, out.data, out.len, io.out_ep) < 0) break;
        (*m_out)++;
    }
    zmq_msg_close(&msg);
    cx_info("%s stopping", ops->name);
    if (ops->flush && io.out) {
        io.draining = 1;
        ops->flush(ctx, &io);
    }
done:
    if (ctx && ops->fini) ops->fini(ctx);
    cx_link_close(&in);
    cx_link_close(&io.out);
    if (zctx) zmq_ctx_term(zctx);
    cx_buf_free(&out);
    cx_buf_free(&io.ebuf);
    cx_metrics_destroy(&m);
    cx_pidfile_remove(c, ops->name);
    cx_conf_destroy(&c);
    return rc;
}
