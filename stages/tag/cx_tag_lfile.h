/* cx_tag_lfile.h - reading the learned files' plain-text format, shared by
 * the learned sentiment lexicon (cx_tag_learned.c, sentiment.tsv) and the
 * learned themes (cx_tag_ltheme.c, themes.tsv): the line loop, "# key: value"
 * header lines, the languages header, strict UTF-8.  Errors are
 * "file:line: reason". */
#ifndef CX_TAG_LFILE_H
#define CX_TAG_LFILE_H

#include <stddef.h>

/* The file of a learned model at path: path itself, or path/name when path
 * is a directory, into file (cap bytes), read whole into *buf (cx_free it)
 * and *len.  0, or -1 with "what path: reason" or the reader's error. */
int cx_lf_read(const char *path, const char *name, const char *what, char *file, size_t cap, char **buf, size_t *len,
               char *err, size_t n);

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
int cx_lf_utf8_ok(const unsigned char *s, size_t len);

/* s without leading blanks and trailing blanks / CR (cut in place). */
char *cx_lf_trim(char *s);

/* A line's handler: 0, or -1 with a message in err. */
typedef int (*cx_lf_line_fn)(void *ctx, char *s, int line, char *err, size_t n);

/* The lines of buf (len bytes, changed in place; a UTF-8 BOM skipped), each
 * checked as UTF-8 and trimmed: blank lines skipped, "#" and "# ..." lines to
 * header (s after the '#'; "#word" is a term), the others to body.  *lines:
 * the number of lines.  0, or -1 with err. */
int cx_lf_lines(char *buf, size_t len, const char *path, cx_lf_line_fn header, cx_lf_line_fn body, void *ctx,
                int *lines, char *err, size_t n);

/* A header line s (after the '#': " key: value") of a file at path: the index
 * of its key in names[nk] with its trimmed value in *v and seen[key] set to
 * line; -1 for a comment or a key the loader does not read; -2 with err when
 * the key comes twice or after the first body line (first_body, described as
 * first_what, e.g. "the first term"). */
int cx_lf_header_key(char *s, const char *const *names, int nk, int *seen, int first_body, const char *first_what,
                     const char *path, int line, char **v, char *err, size_t n);

/* '# languages:' v: "*" sets *any_lang, else 2-3 letter codes separated by
 * blanks or commas, at most max of them, into langs / *n_langs. */
int cx_lf_set_langs(char (*langs)[8], int *n_langs, int max, int *any_lang, char *v, const char *path, int line,
                    char *err, size_t n);

#endif
