/* input.c - validation and parsing of input messages (see input.h). */
#include "input.h"
#include "cx_alloc.h"
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cx_input_opts_from_conf(cx_input_opts *o, const cx_conf *c) {
    o->json = !strcmp(cx_conf_str(c, "input.format"), "json");
    o->max_bytes = (size_t)cx_conf_int(c, "input.max_bytes");
    o->f_text = cx_conf_str(c, "input.field.text");
    o->f_id = cx_conf_str(c, "input.field.id");
    o->f_ts = cx_conf_str(c, "input.field.timestamp");
    o->f_channel = cx_conf_str(c, "input.field.channel");
    o->f_product = cx_conf_str(c, "input.field.product");
    o->f_region = cx_conf_str(c, "input.field.region");
    o->f_lang = cx_conf_str(c, "input.field.lang");
    o->f_rating = cx_conf_str(c, "input.field.rating");
    o->f_nps = cx_conf_str(c, "input.field.nps");
}

long cx_utf8_invalid_at(const unsigned char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
        else return (long)i;
        if (len - i <= need) return (long)i;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return (long)i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return (long)i;
        i += need + 1;
    }
    return -1;
}

static int digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int cx_parse_iso8601(const char *s, int64_t *ms) {
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, off = 0;
    const char *p = s;
    while (*p == ' ') p++;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d)) return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec)) return -1;
            if (*p == '.' || *p == ',') {
                p++;
                int scale = 100;
                if (!isdigit((unsigned char)*p)) return -1;
                while (isdigit((unsigned char)*p)) { frac_ms += (*p - '0') * scale; scale /= 10; p++; }
            }
        }
        if (*p == 'Z' || *p == 'z') p++;
        else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh)) return -1;
            if (*p == ':') p++;
            if (isdigit((unsigned char)*p) && digits(&p, 2, &om)) return -1;
            off = sign * (oh * 60 + om);
        }
    }
    while (*p == ' ') p++;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac_ms;
    return 0;
}

int cx_base64_append(cx_buf *b, const unsigned char *p, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char q[4];
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        q[0] = tab[v >> 18]; q[1] = tab[(v >> 12) & 63]; q[2] = tab[(v >> 6) & 63]; q[3] = tab[v & 63];
        if (cx_buf_append(b, q, 4) < 0) return -1;
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        q[0] = tab[v >> 18]; q[1] = tab[(v >> 12) & 63];
        q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        q[3] = '=';
        if (cx_buf_append(b, q, 4) < 0) return -1;
    }
    return 0;
}

/* A string field, or NULL when absent/null; numbers are rendered as text. */
static const char *field_str(cx_env *env, json_t *obj, const char *name) {
    if (!*name) return NULL;
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) return NULL;
    if (json_is_string(v)) return json_string_length(v) ? cx_env_strndup(env, json_string_value(v), json_string_length(v)) : NULL;
    char tmp[64];
    if (json_is_integer(v)) snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));
    else return NULL;
    return cx_env_strdup(env, tmp);
}

/* A number field (number or numeric string); 0 when present and valid. */
static int field_num(json_t *obj, const char *name, double *out) {
    if (!*name) return -1;
    json_t *v = json_object_get(obj, name);
    if (!v) return -1;
    if (json_is_number(v)) { *out = json_number_value(v); return 0; }
    if (json_is_string(v)) {
        char *end;
        double d = strtod(json_string_value(v), &end);
        if (end != json_string_value(v) && !*end && isfinite(d)) { *out = d; return 0; }
    }
    return -1;
}

static int only_space(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i])) return 0;
    return 1;
}

int cx_input_parse(const cx_input_opts *o, const void *payload, size_t len, cx_env *env, char *why, size_t n) {
    const unsigned char *p = payload;
    if (len > o->max_bytes) {
        snprintf(why, n, "oversized: %zu bytes > input.max_bytes %zu", len, o->max_bytes);
        return -1;
    }
    if (len == 0 || !p) { snprintf(why, n, "empty message"); return -1; }
    long bad = cx_utf8_invalid_at(p, len);
    if (bad >= 0) { snprintf(why, n, "invalid UTF-8 at byte %ld", bad); return -1; }
    if (memchr(p, '\0', len)) { snprintf(why, n, "NUL byte in message"); return -1; }
    if (!o->json) {
        size_t l = len;
        while (l && (p[l - 1] == '\n' || p[l - 1] == '\r')) l--;
        if (only_space((const char *)p, l)) { snprintf(why, n, "empty text"); return -1; }
        if (!(env->text = cx_env_strndup(env, (const char *)p, l))) { snprintf(why, n, "out of memory"); return -1; }
        return 0;
    }
    json_error_t je;
    json_t *obj = json_loadb((const char *)p, len, 0, &je);
    if (!obj) {
        snprintf(why, n, "unparsable JSON: %s at line %d column %d", je.text, je.line, je.column);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(obj)) { snprintf(why, n, "JSON value is not an object"); goto out; }
    json_t *t = json_object_get(obj, o->f_text);
    if (!t || json_is_null(t)) { snprintf(why, n, "missing text field '%s'", o->f_text); goto out; }
    if (!json_is_string(t)) { snprintf(why, n, "text field '%s' is not a string", o->f_text); goto out; }
    if (only_space(json_string_value(t), json_string_length(t))) { snprintf(why, n, "empty text"); goto out; }
    env->text = cx_env_strndup(env, json_string_value(t), json_string_length(t));
    env->id = field_str(env, obj, o->f_id);
    env->channel = field_str(env, obj, o->f_channel);
    env->product = field_str(env, obj, o->f_product);
    env->region = field_str(env, obj, o->f_region);
    env->lang_hint = field_str(env, obj, o->f_lang);
    double d;
    json_t *ts = *o->f_ts ? json_object_get(obj, o->f_ts) : NULL;
    int64_t ms;
    if (ts && json_is_string(ts) && cx_parse_iso8601(json_string_value(ts), &ms) == 0) env->ts_ms = ms;
    else if (ts && json_is_number(ts)) {
        d = json_number_value(ts);
        env->ts_ms = d < 1e11 ? (int64_t)(d * 1000) : (int64_t)d;
    }
    if (field_num(obj, o->f_nps, &d) == 0 && d >= 0 && d <= 10) { env->score = d; env->score_kind = CX_SCORE_NPS; }
    else if (field_num(obj, o->f_rating, &d) == 0 && d >= 1 && d <= 5) {
        env->score = d;
        env->score_kind = CX_SCORE_RATING;
    }
    /* everything else is kept as metadata */
    const char *known[] = {o->f_text, o->f_id, o->f_ts, o->f_channel, o->f_product, o->f_region, o->f_lang,
                           o->f_rating, o->f_nps};
    json_t *meta = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        int skip = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (!strcmp(k, known[i])) skip = 1;
        if (!skip) json_object_set(meta, k, v);
    }
    if (json_object_size(meta)) {
        char *s = json_dumps(meta, JSON_COMPACT);
        if (s) { env->meta_json = cx_env_strdup(env, s); free(s); }
    }
    json_decref(meta);
    if (!env->text) { snprintf(why, n, "out of memory"); goto out; }
    rc = 0;
out:
    json_decref(obj);
    return rc;
}
