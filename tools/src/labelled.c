/* labelled.c - reading labelled JSON lines for cxflow-eval and cxflow-train
 * (see labelled.h). */
#include "labelled.h"
#include "cx_alloc.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lb_cls[LB_NCLS] = {"negative", "neutral", "positive"};

int lb_cls_of(const char *s) {
    for (int i = 0; i < LB_NCLS; i++)
        if (!strcmp(s, lb_cls[i])) return i;
    return -1;
}

void lb_data_free(lb_data *d) {
    for (size_t i = 0; i < d->n; i++) {
        cx_free(d->r[i].text);
        cx_free(d->r[i].gold);
    }
    cx_free(d->r);
    memset(d, 0, sizeof *d);
}

int lb_read_jsonl(const char *path, const char *text_key, const char *gold_key, lb_data *d, char *err,
                  size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        const char *t = o ? json_string_value(json_object_get(o, text_key)) : NULL;
        const char *g = o ? json_string_value(json_object_get(o, gold_key)) : NULL;
        if (!t || !g) {
            if (len > 1) d->skipped++;
            json_decref(o);
            continue;
        }
        if (d->n == d->cap) {
            size_t nc = d->cap ? d->cap * 2 : 1024;
            lb_rec *nr = cx_realloc(d->r, nc * sizeof *nr);
            if (!nr) { rc = -1; json_decref(o); break; }
            d->r = nr;
            d->cap = nc;
        }
        lb_rec *r = &d->r[d->n];
        r->text = cx_strdup(t);
        r->gold = cx_strdup(g);
        const char *lg = json_string_value(json_object_get(o, "lang"));
        snprintf(r->lang, sizeof r->lang, "%s", lg ? lg : "");
        json_decref(o);
        if (!r->text || !r->gold) {
            cx_free(r->text);
            cx_free(r->gold);
            rc = -1;
            break;
        }
        d->n++;
    }
    free(line);
    fclose(f);
    if (rc < 0) snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}

size_t lb_keep_sentiment(lb_data *d, int half) {
    size_t unknown = 0, kept = 0;
    for (size_t i = 0; i < d->n; i++) {
        int ok = lb_cls_of(d->r[i].gold) >= 0;
        unknown += !ok;
        if (ok && half && (int)(i % 2) != half - 1) ok = 0;
        if (ok) d->r[kept++] = d->r[i];
        else {
            cx_free(d->r[i].text);
            cx_free(d->r[i].gold);
        }
    }
    d->n = kept;
    return unknown;
}

void lb_text_opts(const cx_conf *c, const char *lexdir, int detect, cx_text_opts *o) {
    memset(o, 0, sizeof *o);
    o->lexicon_dir = lexdir;
    o->default_lang = cx_conf_str(c, "tokenize.default_lang");
    o->trust_hint = !detect;
    o->min_confidence = (float)cx_conf_dbl(c, "langid.min_confidence");
    if (o->min_confidence <= 0) o->min_confidence = -1;
    o->per_sentence = cx_conf_bool(c, "langid.per_sentence");
    o->redact_pii = cx_conf_bool(c, "pii.redact");
}
