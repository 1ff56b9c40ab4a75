/* cx_tag_lfile.c - the learned files' shared reading; cx_tag_lfile.h. */
#include "cx_tag_lfile.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cx_util.h"

int cx_lf_utf8_ok(const unsigned char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) { k = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { k = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { k = 3; cp = c & 0x07; }
        else return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= len || (s[i + j] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += k + 1;
    }
    return 1;
}

char *cx_lf_trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = '\0';
    return s;
}

int cx_lf_lines(char *buf, size_t len, const char *path, cx_lf_line_fn header, cx_lf_line_fn body, void *ctx,
                int *lines, char *err, size_t n) {
    char *p = buf, *end = buf + len;
    if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) p += 3;
    int line = 0;
    while (p < end) {
        line++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *next = nl ? nl + 1 : end;
        size_t ll = (size_t)((nl ? nl : end) - p);
        if (!cx_lf_utf8_ok((const unsigned char *)p, ll)) {
            snprintf(err, n, "%s:%d: invalid UTF-8", path, line);
            *lines = line;
            return -1;
        }
        p[ll] = '\0';
        char *s = cx_lf_trim(p);
        p = next;
        if (!*s) continue;
        if (*s == '#' && (!s[1] || s[1] == ' ' || s[1] == '\t')) { /* "#word" is a hashtag term */
            if (header(ctx, s + 1, line, err, n) < 0) {
                *lines = line;
                return -1;
            }
            continue;
        }
        if (body(ctx, s, line, err, n) < 0) {
            *lines = line;
            return -1;
        }
    }
    *lines = line;
    return 0;
}

int cx_lf_header_key(char *s, const char *const *names, int nk, int *seen, int first_body, const char *first_what,
                     const char *path, int line, char **v, char *err, size_t n) {
    while (*s == ' ' || *s == '\t') s++;
    char *colon = strchr(s, ':');
    if (!colon) return -1;
    size_t kl = (size_t)(colon - s);
    int k = -1;
    for (int i = 0; i < nk; i++)
        if (strlen(names[i]) == kl && !strncmp(s, names[i], kl)) k = i;
    if (k < 0) return -1; /* a comment, or a key for people (date, source, l2, ...) */
    *v = cx_lf_trim(colon + 1);
    if (first_body) {
        snprintf(err, n, "%s:%d: header line '# %s:' after %s (line %d); the header comes first", path, line, names[k],
                 first_what, first_body);
        return -2;
    }
    if (seen[k]) {
        snprintf(err, n, "%s:%d: duplicate '# %s:' header (first on line %d)", path, line, names[k], seen[k]);
        return -2;
    }
    seen[k] = line;
    return k;
}

int cx_lf_set_langs(char (*langs)[8], int *n_langs, int max, int *any_lang, char *v, const char *path, int line,
                    char *err, size_t n) {
    if (!strcmp(v, "*")) {
        *any_lang = 1;
        return 0;
    }
    for (char *s = v; *s;) {
        size_t len = strcspn(s, " ,");
        if (len) {
            int ok = len >= 2 && len <= 3;
            for (size_t i = 0; ok && i < len; i++) ok = s[i] >= 'a' && s[i] <= 'z';
            if (!ok) {
                snprintf(err, n, "%s:%d: bad language code '%.*s' in '# languages:' (ISO 639-1 like 'en', or '*')",
                         path, line, (int)len, s);
                return -1;
            }
            if (*n_langs == max) {
                snprintf(err, n, "%s:%d: more than %d languages", path, line, max);
                return -1;
            }
            memcpy(langs[*n_langs], s, len);
            langs[(*n_langs)++][len] = '\0';
        }
        s += len;
        while (*s == ' ' || *s == ',') s++;
    }
    if (!*n_langs) {
        snprintf(err, n, "%s:%d: '# languages:' lists no language", path, line);
        return -1;
    }
    return 0;
}

int cx_lf_read(const char *path, const char *name, const char *what, char *file, size_t cap, char **buf, size_t *len,
               char *err, size_t n) {
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(err, n, "%s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) snprintf(file, cap, "%s/%s", path, name);
    else snprintf(file, cap, "%s", path);
    return cx_read_text_file(file, buf, len, err, n);
}
