/* out_jsonl.c - the JSON-lines output (sink.jsonl): one enriched record per
 * line, appended; flushed and synced at each batch commit. */
#include "cx_alloc.h"
#include "output.h"
#include "cx_util.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct jl {
    FILE *f;
    char path[4096];
} jl;

static int jl_record(cx_output *o, const cx_env *env, const char *json, size_t len, char *err, size_t errlen) {
    jl *j = o->ctx;
    if (env->error) return 0; /* dead letters go to dlq.file */
    if (fwrite(json, 1, len, j->f) != len) {
        snprintf(err, errlen, "%s: write failed: %s", j->path, strerror(errno));
        return -1;
    }
    return 0;
}

static int jl_commit(cx_output *o, char *err, size_t errlen) {
    jl *j = o->ctx;
    if (fflush(j->f) != 0) {
        snprintf(err, errlen, "%s: write failed: %s", j->path, strerror(errno));
        clearerr(j->f);
        return -1;
    }
    return 0;
}

static void jl_close(cx_output *o) {
    jl *j = o->ctx;
    if (j && j->f) fclose(j->f);
    cx_free(j);
    o->ctx = NULL;
}

cx_output *cx_out_jsonl_open(const cx_conf *c, char *err, size_t errlen) {
    err[0] = '\0';
    char path[4096];
    cx_conf_path(c, "sink.jsonl", path, sizeof path);
    if (!*path) return NULL;
    cx_output *o = cx_calloc(1, sizeof *o);
    jl *j = cx_calloc(1, sizeof *j);
    if (!o || !j) {
        cx_free(o);
        cx_free(j);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(j->path, sizeof j->path, "%s", path);
    if (cx_mkdirs(path, 1) < 0 || !(j->f = fopen(path, "a"))) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        cx_free(j);
        cx_free(o);
        return NULL;
    }
    o->name = "jsonl";
    o->ctx = j;
    o->record = jl_record;
    o->commit = jl_commit;
    o->close = jl_close;
    return o;
}
