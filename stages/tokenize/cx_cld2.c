/* cx_cld2.c - the C binding to libcld2 (see cx_cld2.h).
 *
 * libcld2 has only a C++ interface (namespace CLD2).  The one function we
 * need takes and returns plain values (pointers, int, bool, a 32-bit enum
 * and a struct of pointers and ints), which the x86-64 / AArch64 C++ ABI
 * passes exactly like C, so it is declared here under its C++ symbol name
 * and called from C: no C++ code in the product.  The names are those of
 * Debian's libcld2 0.0.0-git20150806 (the only release, frozen upstream
 * since 2015); a different library would fail at link time, not at run
 * time.  CMakeLists.txt checks at configure time that the symbols exist. */
#include "cx_cld2.h"
#include <stdbool.h>
#include <string.h>

/* CLD2::CLDHints: a language hint from HTTP/HTML, a top-level domain, an
 * encoding and a language.  We give none. */
typedef struct {
    const char *content_language_hint;
    const char *tld_hint;
    int encoding_hint;
    int language_hint;   /* CLD2::Language */
} cld2_hints;

enum {
    CLD2_UNKNOWN_ENCODING = 23,    /* encodings.h */
    CLD2_UNKNOWN_LANGUAGE = 26,    /* generated_language.h */
    CLD2_FLAG_BEST_EFFORT = 0x4000 /* kCLDFlagBestEffort: answer even short texts */
};

/* CLD2::ExtDetectLanguageSummaryCheckUTF8(const char *buffer, int length,
 *     bool is_plain_text, const CLDHints *hints, int flags,
 *     Language *language3, int *percent3, double *normalized_score3,
 *     ResultChunkVector *chunks (may be NULL), int *text_bytes,
 *     bool *is_reliable, int *valid_prefix_bytes) */
extern int cld2_ext_detect(const char *buffer, int length, bool is_plain_text, const cld2_hints *hints, int flags,
                           int *language3, int *percent3, double *score3, void *chunks, int *text_bytes,
                           bool *is_reliable, int *valid_prefix_bytes)
    __asm__("_ZN4CLD233ExtDetectLanguageSummaryCheckUTF8EPKcibPKNS_8CLDHintsEiPNS_8LanguageEPiPdPSt6vector"
            "INS_11ResultChunkESaISA_EES7_PbS7_");
/* CLD2::LanguageCode(Language): "en", "iw", "zh-Hant", "un" ... (static storage) */
extern const char *cld2_language_code(int language) __asm__("_ZN4CLD212LanguageCodeENS_8LanguageE");

static void map_code(const char *c, char out[8]) {
    if (!c) c = "un";
    if (!strcmp(c, "iw")) c = "he";
    else if (!strcmp(c, "nb")) c = "no";
    else if (!strncmp(c, "zh", 2)) c = "zh";
    size_t n = strlen(c);
    if (n > 7) n = 7;
    memcpy(out, c, n);
    out[n] = 0;
}

int cx_cld2_detect(const char *text, int len, cx_cld2_result *out) {
    cld2_hints h = {NULL, NULL, CLD2_UNKNOWN_ENCODING, CLD2_UNKNOWN_LANGUAGE};
    int lang3[3] = {CLD2_UNKNOWN_LANGUAGE, CLD2_UNKNOWN_LANGUAGE, CLD2_UNKNOWN_LANGUAGE};
    int pct3[3] = {0, 0, 0}, text_bytes = 0, valid = 0;
    double score3[3];
    bool reliable = false;
    memset(out, 0, sizeof *out);
    if (len > 0)
        cld2_ext_detect(text, len, true, &h, CLD2_FLAG_BEST_EFFORT, lang3, pct3, score3, NULL, &text_bytes,
                        &reliable, &valid);
    for (int i = 0; i < 3; i++) {
        map_code(cld2_language_code(lang3[i]), out->code[i]);
        out->percent[i] = pct3[i];
    }
    out->reliable = reliable;
    return strcmp(out->code[0], "un") ? 0 : -1;
}
