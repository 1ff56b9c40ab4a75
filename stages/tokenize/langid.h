/* langid.h - language identification for feedback text (40+ languages).
 *
 * Detection works in steps, cheapest first (docs/LANGID.md has the method
 * and the measurements behind it):
 *
 *  1. The writing system.  Every letter is classified with ICU's
 *     uscript_getScript and the dominant script decides the language directly
 *     for scripts used by one language in practice (Bengali -> bn, Tamil ->
 *     ta, Thai -> th, Greek -> el, Hebrew -> he ...); Han, kana and Hangul are
 *     told apart by their mix (zh / ja / ko).  Another script with a fifth
 *     of the letters inside Latin text marks the language (Korean with
 *     English terms is Korean) unless the Latin words are clearly a language.
 *  2. For scripts shared by several languages (Latin, Cyrillic, Arabic,
 *     Devanagari) the words are looked up in the stop-word lists of
 *     lexicons/stopwords plus small built-in lists, and letter cues (ß, ñ, ã,
 *     ğ, ł, ř, ơ, پ, ة, ٹ, і ...) add to the languages they point at.  When
 *     one language leads clearly, that is the answer.
 *  3. Otherwise libexttextcat (Cavnar & Trenkle n-gram profiles, Debian's
 *     libexttextcat-data models) ranks only the candidate languages of that
 *     script (its fingerprint API: fp_Create / fp_Compare), on at most 100
 *     bytes of the text, and its vote is added to the stop-word points;
 *     so is the vote of CLD2 (Debian's libcld2, cx_cld2.h) on the same bytes.
 *
 * The result carries a confidence in [0, 1]; callers turn low confidence into
 * "und" (cx_text: langid.min_confidence).  A cx_langid is immutable after
 * cx_langid_new, so detection may run from several threads at once. */
#ifndef CX_LANGID_H
#define CX_LANGID_H
#include <stddef.h>
#include <unicode/utypes.h>

typedef struct cx_langid cx_langid;

/* Which evidence decides for shared scripts.  COMBINED is what the pipeline
 * uses; the others exist so that `cxflow eval langid --method` can measure
 * the alternatives on the same code path. */
typedef enum cx_langid_method {
    CX_LANGID_COMBINED = 0,   /* stop words when decisive, else + libexttextcat ranking */
    CX_LANGID_STOPWORDS = 1,  /* stop words and letter cues only (the first detector) */
    CX_LANGID_TEXTCAT = 2,    /* libexttextcat over the script's candidate languages only */
    CX_LANGID_CLD2 = 3,       /* CLD2 alone over the script's candidate languages */
    CX_LANGID_NOCLD2 = 4,     /* COMBINED without the CLD2 vote (the detector before CLD2) */
} cx_langid_method;

/* Build an identifier.  lexicon_dir may be NULL (built-in stop-word lists
 * only); a missing stopwords/ directory or file is not an error.  The
 * libexttextcat models are read from $CXFLOW_TEXTCAT_DIR, else the directory
 * found at build time (/usr/share/libexttextcat); with method
 * CX_LANGID_STOPWORDS they are not needed.  NULL with a reason in err when a
 * model is missing or memory runs out.  The caller owns the result. */
cx_langid *cx_langid_new(const char *lexicon_dir, cx_langid_method method, char *err, size_t errlen);
void cx_langid_destroy(cx_langid **l);

/* Detect the language of text (UTF-16, len units).  Returns an ISO 639-1
 * code (static storage or owned by l: valid for the life of l), or "und" when
 * the text is too short or has no letters.  *conf (may be NULL) receives a
 * confidence in [0, 1]: about 0.9-1 for clear cases, below 0.5 for a guess. */
const char *cx_langid_detect(const cx_langid *l, const UChar *text, int32_t len, float *conf);

/* The same without the n-gram ranking (steps 1 and 2 only, a few
 * microseconds): a shared script that the stop words do not settle gives a
 * low confidence.  For short pieces such as the sentences of a record, where
 * only clear evidence should count. */
const char *cx_langid_detect_quick(const cx_langid *l, const UChar *text, int32_t len, float *conf);

/* Number of languages the stop-word table knows (built-in plus loaded). */
int cx_langid_nlangs(const cx_langid *l);

/* Is code (ISO 639-1) a language the identifier can name: one with a
 * built-in stop-word list, the language of a script, or a candidate of a
 * shared script?  (cxflow-lexcheck: lexicon files of other languages are
 * only reachable through a language hint.) */
int cx_langid_known(const char *code);

/* The key under which the identifier stores a stop word of
 * lexicons/stopwords (its own lower-casing, no normalisation): written into
 * out (NUL-terminated, at most 63 bytes).  Returns the length, -1 when the
 * word is too long or not valid UTF-8.  Two lines with the same key are one
 * entry for the identifier. */
int cx_langid_word_key(const char *w, size_t n, char *out, size_t cap);

/* Name of a method ("combined", "stopwords", "textcat"), and the reverse
 * (-1 for an unknown name). */
const char *cx_langid_method_name(cx_langid_method m);
int cx_langid_method_parse(const char *name);

#endif
