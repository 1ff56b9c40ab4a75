/* cx_cld2.h - Compact Language Detector 2 (Debian's libcld2) as one more
 * vote in language identification (langid.c, docs/LANGID.md).
 *
 * CLD2 scores quadgrams and words of the text against tables trained on
 * the web (80+ languages); it is strongest where libexttextcat is weakest:
 * short texts in close Latin-script languages.  cxflow asks it only when the
 * stop words do not settle a shared script. */
#ifndef CX_CLD2_H
#define CX_CLD2_H

typedef struct cx_cld2_result {
    char code[3][8];   /* top three languages, ISO 639-1 ("" when none); "un" unknown */
    int percent[3];    /* share of the text's bytes that scored for each */
    int reliable;      /* CLD2's own reliability flag for the first */
} cx_cld2_result;

/* Detect the language of UTF-8 text (len bytes).  Best effort: CLD2 answers
 * even for short texts, which it otherwise reports as unknown; the caller
 * weighs the answer.  Codes are mapped to ours: iw -> he, nb -> no,
 * zh-Hant -> zh.  Invalid UTF-8 is cut at the first bad byte.  Returns 0, or
 * -1 when nothing could be detected (all codes "un"). */
int cx_cld2_detect(const char *text, int len, cx_cld2_result *out);

#endif
