/* langid.h - a small, dependency-light language identifier for feedback text.
 *
 * Detection works in two steps.  First the writing system: every letter is
 * classified with ICU's uscript_getScript and the dominant script decides the
 * language directly for scripts used by one language in practice (Bengali ->
 * bn, Tamil -> ta, Thai -> th, Hangul -> ko, kana -> ja, Han -> zh ...), or
 * narrows the choice to a family settled by letter cues (Arabic script: fa /
 * ur / ar; Cyrillic: ru / uk / sr / be / kk).  Then, for Latin script (and
 * for any script whose languages have stop-word lists), the words of the text
 * are looked up in the stop-word lists of lexicons/stopwords plus small
 * built-in lists, and letter cues (ß, ñ, ã, ğ, ł, ř, ơ ...) add a bonus.
 *
 * The interface is deliberately narrow so that a later issue can replace the
 * Latin part with libexttextcat or CLD2 without touching callers. */
#ifndef CX_LANGID_H
#define CX_LANGID_H
#include <stddef.h>
#include <unicode/utypes.h>

typedef struct cx_langid cx_langid;

/* Build an identifier.  lexicon_dir may be NULL (built-in lists only); a
 * missing stopwords/ directory or file is not an error.  NULL with a reason
 * in err when out of memory. */
cx_langid *cx_langid_new(const char *lexicon_dir, char *err, size_t errlen);
void cx_langid_destroy(cx_langid **l);

/* Detect the language of text (UTF-16, len units).  Returns an ISO 639-1
 * code (static storage or owned by l, valid for the life of l), or "und" when
 * the text is too short or ambiguous.  *conf (may be NULL) receives a
 * confidence in [0, 1]. */
const char *cx_langid_detect(const cx_langid *l, const UChar *text, int32_t len, float *conf);

/* Number of languages the word table knows (built-in plus loaded). */
int cx_langid_nlangs(const cx_langid *l);

#endif
