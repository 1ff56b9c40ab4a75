/* cx_pii.c - PII redaction (see cx_pii.h): hand-written scanners for
 * e-mails, phone numbers, payment cards and IBANs, PCRE2 for user patterns,
 * and the merge that writes the placeholders.
 *
 * RULES.  "Digit" means a decimal digit of any script (Unicode Nd: ASCII,
 * Arabic-Indic ٠-٩, Persian ۰-۹, Bengali ০-৯, Devanagari, fullwidth ...);
 * a "glue" character is an ASCII letter, digit or '_', a digit of any
 * script, or a letter of the Latin, Greek or Cyrillic blocks (< U+0530).
 * Letters of other scripts are not glue, because Japanese, Chinese or Thai
 * write 電話は09012345678です without spaces and Persian may attach words.
 *
 * E-MAIL  local part of ASCII [A-Za-z0-9._%+-] or Latin letters U+00C0-
 *   U+024F (at most 64, leading dots dropped), '@', a domain of letters,
 *   digits, '-' and '.', with at least one dot and a top-level label of >= 2
 *   ASCII letters ("ali@example.com", "josé.müller@bücher.de").  Not:
 *   "hello@everyone", "me@localhost", obfuscated forms ("ali [at] x dot
 *   com").
 *
 * NUMBER RUNS  Phones and cards are read from a "run": digit groups joined
 *   by separators.  A group is a digit sequence, or 1-5 digits in
 *   parentheses ("(555)", "(0)", also "(+49)" first).  A separator is up to
 *   two spaces (also NBSP, thin, figure and narrow no-break space), an
 *   optional '-', '.' or '/', and up to two more spaces; ',' ':' and letters
 *   end a run.  A run may start with '+' (followed by a digit).  It does not
 *   start inside a word or a number: not after a glue character ("A1234567",
 *   "v5.2"), not after '-', '/' or '_' that follows glue ("NW-123456"), not
 *   after '.' or ',' that follows a digit ("3,0151234567").  A last group
 *   directly followed by glue or '@' is not part of the run ("12345678kg",
 *   "0151234567@mail.com" - the e-mail scanner takes that).
 *
 *   A run is never redacted when it is
 *   - a thousands-grouped amount: first group 1-3 digits, then groups of
 *     exactly 3 all joined by '.' ("1.234.567"), or by spaces when the first
 *     group has 1-2 digits or a currency is next to it ("12 345 678",
 *     "100 200 300 €"); and "1.234,56 €" never forms a long run;
 *   - an IPv4 address ("192.168.100.200").
 *   Inside a run, groups are consumed left to right:
 *   - DATE: three groups joined by the same '.', '-' or '/' shaped like
 *     d.m.y / m/d/y (1-2, 1-2, 2 or 4 digits) or y-m-d (4, 1-2, 1-2 digits)
 *     with plausible day and month values are skipped ("2026-09-03",
 *     "03.09.2026", "۱۴۰۵/۰۶/۱۲").  Times use ':' or are too short.
 *   - CARD: the longest sequence of groups (from the current one) with 13-19
 *     digits that passes the Luhn check, does not start with 0 or '+', and
 *     is either one contiguous group or groups of 3-6 digits joined by the
 *     same separator, ' ' or '-' ("4111 1111 1111 1111", "5500-0000-0000-
 *     0004", "378282246310005").  Luhn-invalid numbers are never cards.
 *   - PHONE: 7-15 digits (17 when it starts with the "00" international
 *     prefix), at least about 2 digits per group, not next to a currency
 *     (unless it starts with '+'), not after '#', not followed by ',' and a
 *     digit (a decimal), with phone-like structure:
 *       a) a leading '+' ("+49 151 23456789", "+98 912 345 6789",
 *          "+44 (0) 20 7946 0958");
 *       b) a leading area code in parentheses ("(555) 123-4567");
 *       c) a leading 0 (national trunk prefix or "00"): contiguous needs
 *          >= 9 digits ("01512345678", "۰۹۱۲۳۴۵۶۷۸۹", "০১৭১২৩৪৫৬৭৮"),
 *          grouped >= 7 ("0151-2345678", "030 1234567"); not "000..."
 *          (zero-padded ids) and not "0.123...";
 *       d) otherwise only a whole run (or the rest of one after a date or
 *          match) of >= 3 groups, the first 1-4 digits, the others 2-4, the
 *          last 3-4, not all of 4 digits, 7-12 digits in all ("555 123
 *          4567", "1-800-555-0199", "612 345 678");
 *       e) or a whole run of any shape whose context says "phone": the
 *          closest context word in the 64 bytes before it is a phone word
 *          (call, phone, tel, reach me, Handy, Telefon, téléphone, móvil,
 *          تماس, ফোন ... see phone_words) rather than an id word (order,
 *          ticket, invoice, Bestell-, #, سفارش, অর্ডার ... see id_words),
 *          with no digit and no sentence end in between; or, with no
 *          word before, a non-Latin phone word follows within 40 bytes
 *          ("9785975579 নম্বরে ফোন দিন").  So "Call me on 9667547645" is
 *          redacted while "order 9667547645" is not.
 *     An id word before a 0-led number (rule c), with at most one word in
 *     between, makes it an id too ("Kundennummer 0012345678", "order no.
 *     0123456789", "order number 0123456789"), but not "my order never
 *     came 01512345678".
 *     A phone with a strong lead (a-c) may be a prefix of a longer run
 *     ("+49 151 23456789 2026-09-03": the date stays); a run with a strong
 *     lead may also start after a space or '/' in the middle of a run
 *     ("Kd-Nr 12345678 0151 2345678").
 *   Consequences, on purpose: "order 12345678", "Bestellung 4711-0815",
 *   "#12345678", ticket and tracking numbers (DHL 1234567890, UPS
 *   1Z999AA10123456784, Amazon 302-1234567-1234567), versions "5.2.1",
 *   "10.0.19045.2965", years "2019 2020 2021", prices, percentages and
 *   Luhn-invalid 16-digit numbers are kept.  A contiguous 10-digit number
 *   without a leading 0 or '+' and without phone words around it ("ref
 *   5551234567") is kept too: it cannot be told from an order number.  A
 *   typo'd IBAN (right shape and length, wrong checksum) is kept whole.
 *   On the safe side instead: a 13-19 digit id grouped like a card that
 *   happens to pass Luhn (about 1 in 10) becomes [CARD], also after '#';
 *   numbers inside URLs are scanned like any other text.
 *
 * IBAN  Two ASCII letters that are a known IBAN country code (either case),
 *   two check digits, then letters and digits (any script) with single
 *   spaces between groups, exactly the country's IBAN length, not glued to
 *   what follows, and the ISO 7064 mod-97 check must give 1 ("DE89 3704
 *   0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32", "IR06 0120 ...").
 *
 * USER PATTERNS  PCRE2 in UTF and UCP mode (\d and \w match every
 *   script; invalid UTF-8 in the text is tolerated), matched on the
 *   original text (not on placeholders of the other detectors); empty
 *   matches are ignored; a match that exceeds PCRE2's match limit
 *   (PCRE_MATCH_LIMIT) fails the call rather than letting text through.
 *
 * All matches are sorted and overlapping ones merged (see cx_pii.h), then
 * the text is copied with each merged range replaced by its placeholder. */
#include "cx_pii.h"
#include "cx_alloc.h"
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unicode/uchar.h>

#define MAX_NAME 32
#define MAXG 24            /* groups in a number run */
#define MAXD 72            /* digits in a number run */
#define PCRE_MATCH_LIMIT 2000000u

/* Hit kinds, in increasing priority for merges. */
enum { K_PHONE = 1, K_CARD, K_IBAN, K_EMAIL, K_CUSTOM };

typedef struct hit {
    size_t s, e;
    int kind;
    int pat;               /* user pattern index for K_CUSTOM */
} hit;

typedef struct upat {
    char *name;
    size_t nlen;
    pcre2_code *code;
} upat;

struct cx_pii {
    int email, phone, card, iban;
    upat *pats;
    size_t npats;
    pcre2_general_context *gctx;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jstack;
    pcre2_match_data *md;
    hit *hits;
    size_t nhits, caphits;
    int oom;
    cx_pii_counts totals;
    char errbuf[256];
};

/* One group of a number run: bytes [bs, be) (parentheses included), digits
 * dig[d0 .. d0+nd), the separator kind before it (0 none, ' ' spaces, '-'
 * '.' '/' alone, 'M' spaces around '-' '.' '/'). */
typedef struct grp {
    size_t bs, be;
    int d0, nd;
    char sep;
    uint8_t paren;
} grp;

typedef struct run {
    size_t s, e;           /* bytes: from the '+' or first group to the end of the last group */
    int plus;              /* led by '+' */
    int hash;              /* right after '#' */
    int decimal;           /* followed by ',' and a digit */
    int ng, nd;
    grp g[MAXG];
    uint8_t dig[MAXD];
} run;

/* ------------------------------------------------------------------ */
/* characters                                                           */

/* Decode the UTF-8 sequence at s[i] (i < n); *len gets its length.  An
 * invalid or truncated sequence reads as U+FFFD of length 1. */
static uint32_t u8dec(const uint8_t *s, size_t i, size_t n, int *len) {
    uint8_t b = s[i];
    *len = 1;
    if (b < 0x80) return b;
    int k;
    uint32_t c, min;
    if (b >= 0xC2 && b <= 0xDF) { k = 1; c = b & 0x1Fu; min = 0x80; }
    else if (b >= 0xE0 && b <= 0xEF) { k = 2; c = b & 0x0Fu; min = 0x800; }
    else if (b >= 0xF0 && b <= 0xF4) { k = 3; c = b & 0x07u; min = 0x10000; }
    else return 0xFFFD;
    if (i + (size_t)k >= n) return 0xFFFD;
    for (int j = 1; j <= k; j++) {
        uint8_t t = s[i + (size_t)j];
        if ((t & 0xC0) != 0x80) return 0xFFFD;
        c = (c << 6) | (t & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0xFFFD;
    *len = k + 1;
    return c;
}

/* The code point that ends at byte i (i > 0); *start gets where it starts. */
static uint32_t u8prev(const uint8_t *s, size_t i, size_t n, size_t *start) {
    size_t j = i - 1;
    for (int back = 0; j > 0 && back < 3 && (s[j] & 0xC0) == 0x80; back++) j--;
    int len;
    uint32_t c = u8dec(s, j, n, &len);
    if (j + (size_t)len != i) { j = i - 1; c = 0xFFFD; }
    *start = j;
    return c;
}

static int is_alpha_ascii(uint32_t c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }
static int is_digit_ascii(uint32_t c) { return c >= '0' && c <= '9'; }

/* BMP code points that u_charDigitValue gives a value, one bit each, so
 * that the letters of the text (every character goes through digit_val)
 * cost no ICU call. */
static uint8_t nd_bits[0x10000 / 8];
static once_flag nd_once = ONCE_FLAG_INIT;
static void nd_build(void) {
    for (UChar32 c = 0x660; c < 0x10000; c++)
        if (u_charDigitValue(c) >= 0) nd_bits[c >> 3] |= (uint8_t)(1u << (c & 7));
}

/* Decimal digit value of any script, or -1. */
static int digit_val(uint32_t c) {
    if (c < 0x80) return is_digit_ascii(c) ? (int)(c - '0') : -1;
    if (c < 0x660) return -1;
    if (c < 0x10000 && !((nd_bits[c >> 3] >> (c & 7)) & 1)) return -1;
    return (int)u_charDigitValue((UChar32)c);
}

/* See "glue" in the rules above. */
static int is_glue(uint32_t c) {
    if (c < 0x80) return is_digit_ascii(c) || is_alpha_ascii(c) || c == '_';
    if (c < 0x530) return u_isalpha((UChar32)c);
    return digit_val(c) >= 0;
}

/* Length of a space character at s[i] (' ', NBSP, figure, thin, hair and
 * narrow no-break space), or 0. */
static int space_len(const uint8_t *s, size_t i, size_t n) {
    if (s[i] == ' ') return 1;
    if (s[i] == 0xC2 && i + 1 < n && s[i + 1] == 0xA0) return 2;
    if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 &&
        (s[i + 2] == 0x87 || s[i + 2] == 0x89 || s[i + 2] == 0x8A || s[i + 2] == 0xAF))
        return 3;
    return 0;
}

static int digit_at(const uint8_t *s, size_t i, size_t n) {
    int len;
    return i < n && digit_val(u8dec(s, i, n, &len)) >= 0;
}

/* ------------------------------------------------------------------ */
/* hits                                                                 */

static void add_hit(cx_pii *p, size_t s, size_t e, int kind, int pat) {
    if (p->nhits == p->caphits) {
        size_t nc = p->caphits ? p->caphits * 2 : 16;
        hit *nh = cx_realloc(p->hits, nc * sizeof *nh);
        if (!nh) { p->oom = 1; return; }
        p->hits = nh;
        p->caphits = nc;
    }
    p->hits[p->nhits++] = (hit){s, e, kind, pat};
}

static int hit_cmp(const void *a, const void *b) {
    const hit *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    if (x->e != y->e) return x->e > y->e ? -1 : 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* e-mail                                                               */

static int is_latin_letter(uint32_t c) { return c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7; }

static int is_local_ascii(uint8_t b) {
    return is_digit_ascii(b) || is_alpha_ascii(b) || b == '.' || b == '_' || b == '%' || b == '+' || b == '-';
}

/* The e-mail address around the '@' at a: 1 with its range in [*ps, *pe). */
static int scan_email(const uint8_t *s, size_t n, size_t a, size_t *ps, size_t *pe) {
    size_t st = a;
    for (int cnt = 0; st > 0 && cnt < 64; cnt++) {
        uint8_t b = s[st - 1];
        if (b < 0x80) {
            if (!is_local_ascii(b)) break;
            st--;
            continue;
        }
        size_t q;
        if (!is_latin_letter(u8prev(s, st, n, &q))) break;
        st = q;
    }
    while (st < a && s[st] == '.') st++;
    if (st == a) return 0;
    size_t q = a + 1;
    while (q < n) {
        uint8_t b = s[q];
        if (b < 0x80) {
            if (is_digit_ascii(b) || is_alpha_ascii(b) || b == '-' || b == '.') { q++; continue; }
            break;
        }
        int l;
        if (!is_latin_letter(u8dec(s, q, n, &l))) break;
        q += (size_t)l;
    }
    while (q > a + 1 && (s[q - 1] == '.' || s[q - 1] == '-')) q--;
    size_t dot = 0;
    for (size_t k = q; k > a + 1; k--)
        if (s[k - 1] == '.') { dot = k - 1; break; }
    if (!dot || dot == a + 1 || s[dot - 1] == '.' || q - dot - 1 < 2) return 0;
    for (size_t k = dot + 1; k < q; k++)
        if (!is_alpha_ascii(s[k])) return 0;
    *ps = st;
    *pe = q;
    return 1;
}

/* ------------------------------------------------------------------ */
/* IBAN                                                                 */

/* IBAN lengths by country (SWIFT IBAN registry, plus the experimental
 * ones in use in West and North Africa). */
static const struct { char cc[3]; uint8_t len; } iban_lens[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AO", 25}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BF", 28}, {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BJ", 28}, {"BR", 29}, {"BY", 28}, {"CH", 21},
    {"CI", 28}, {"CM", 27}, {"CR", 22}, {"CV", 25}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"DZ", 26}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18},
    {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28},
    {"HN", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IR", 26}, {"IS", 26},
    {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20},
    {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MA", 28}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MG", 27},
    {"MK", 19}, {"ML", 28}, {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"MZ", 25}, {"NI", 28},
    {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29},
    {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19},
    {"SK", 24}, {"SM", 27}, {"SN", 28}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

static int iban_len(uint8_t a, uint8_t b) {
    char c0 = (char)(a & ~32), c1 = (char)(b & ~32);
    for (size_t i = 0; i < sizeof iban_lens / sizeof iban_lens[0]; i++)
        if (iban_lens[i].cc[0] == c0 && iban_lens[i].cc[1] == c1) return iban_lens[i].len;
    return 0;
}

/* The IBAN starting with the letters at s[p]: its end, or 0.  *shape gets
 * the end of an IBAN-shaped string of the right length whose checksum
 * fails (a typo, or not an IBAN): its digits are not scanned further. */
static size_t scan_iban(const uint8_t *s, size_t n, size_t p, size_t *shape) {
    *shape = 0;
    int L = iban_len(s[p], s[p + 1]);
    if (!L) return 0;
    if (p > 0) {
        size_t ps;
        if (is_glue(u8prev(s, p, n, &ps))) return 0;
    }
    uint8_t v[40];
    int nv = 2;
    v[0] = (uint8_t)((s[p] & ~32) - 'A' + 10);
    v[1] = (uint8_t)((s[p + 1] & ~32) - 'A' + 10);
    size_t q = p + 2;
    while (q < n && nv < L) {
        int len;
        uint32_t c = u8dec(s, q, n, &len);
        int d = digit_val(c);
        if (d >= 0) {
            v[nv++] = (uint8_t)d;
        } else if (c < 0x80 && is_alpha_ascii(c)) {
            if (nv < 4) return 0;   /* check digits are digits */
            v[nv++] = (uint8_t)((c & ~32u) - 'A' + 10);
        } else {
            int sl = nv >= 4 ? space_len(s, q, n) : 0;
            if (!sl || q + (size_t)sl >= n) return 0;
            uint32_t nx = u8dec(s, q + (size_t)sl, n, &len);
            if (!(is_alpha_ascii(nx) || digit_val(nx) >= 0)) return 0;
            q += (size_t)sl;
            continue;
        }
        q += (size_t)len;
    }
    if (nv != L) return 0;
    if (q < n) {
        int len;
        if (is_glue(u8dec(s, q, n, &len))) return 0;
    }
    /* ISO 7064 mod 97-10 over BBAN + country + check digits */
    unsigned rem = 0;
    for (int i = 0; i < L; i++) {
        unsigned x = v[(i + 4) % L];
        rem = (x >= 10 ? rem * 100 + x : rem * 10 + x) % 97;
    }
    if (rem == 1) return q;
    *shape = q;
    return 0;
}

/* ------------------------------------------------------------------ */
/* number runs: cards and phones                                        */

/* Digits at s[q..]: stored in r->dig; *cnt gets how many there are (all of
 * them, even beyond MAXD).  Returns the bytes they take. */
static size_t read_digits(const uint8_t *s, size_t n, size_t q, run *r, int *cnt) {
    size_t x = q;
    *cnt = 0;
    while (x < n) {
        int len;
        int d = digit_val(u8dec(s, x, n, &len));
        if (d < 0) break;
        if (r->nd + *cnt < MAXD) r->dig[r->nd + *cnt] = (uint8_t)d;
        (*cnt)++;
        x += (size_t)len;
    }
    return x - q;
}

/* One group at s[q]: digits, or '(' 1-5 digits ')' ("(+49)" as the first
 * group).  Appends it to r and returns the byte after it; 0 when there is
 * no group there or it would not fit (*full set). */
static size_t read_group(const uint8_t *s, size_t n, size_t q, run *r, int *full) {
    *full = 0;
    if (r->ng == MAXG) { *full = 1; return 0; }
    grp *g = &r->g[r->ng];
    g->bs = q;
    g->d0 = r->nd;
    g->paren = 0;
    g->sep = 0;
    size_t x = q;
    int cnt, plus = 0;
    if (s[x] == '(') {
        x++;
        if (r->ng == 0 && x < n && s[x] == '+') { plus = 1; x++; }
        size_t k = read_digits(s, n, x, r, &cnt);
        if (!k || cnt > 5 || x + k >= n || s[x + k] != ')') return 0;
        x += k + 1;
        g->paren = 1;
    } else {
        size_t k = read_digits(s, n, x, r, &cnt);
        if (!k) return 0;
        x += k;
    }
    if (r->nd + cnt > MAXD) { *full = 1; return 0; }
    if (plus) r->plus = 1;
    g->nd = cnt;
    g->be = x;
    r->nd += cnt;
    r->ng++;
    return x;
}

/* The separator at s[q]: up to 2 spaces, an optional '-' '.' '/', up to 2
 * spaces.  Returns its length; *kind as in grp.sep. */
static size_t read_sep(const uint8_t *s, size_t n, size_t q, char *kind) {
    size_t x = q;
    int sp = 0, l;
    char pc = 0;
    for (int k = 0; k < 2 && x < n && (l = space_len(s, x, n)); k++) { x += (size_t)l; sp++; }
    if (x < n && (s[x] == '-' || s[x] == '.' || s[x] == '/')) {
        pc = (char)s[x++];
        for (int k = 0; k < 2 && x < n && (l = space_len(s, x, n)); k++) { x += (size_t)l; sp++; }
    }
    *kind = pc ? (sp ? 'M' : pc) : (sp ? ' ' : 0);
    return x - q;
}

/* Skip the glued sequence (word or number) at q: where it ends. */
static size_t skip_glue(const uint8_t *s, size_t n, size_t q) {
    while (q < n) {
        int l;
        if (!is_glue(u8dec(s, q, n, &l))) break;
        q += (size_t)l;
    }
    return q;
}

/* Parse the run starting at s[p] ('+', '(' or a digit).  1 when there is
 * one; else 0 and *next is where scanning continues. */
static int parse_run(const uint8_t *s, size_t n, size_t p, run *r, size_t *next) {
    memset(r, 0, offsetof(run, g));
    r->s = p;
    size_t q = p;
    int full;
    if (s[q] == '+') { r->plus = 1; q++; }
    size_t x = read_group(s, n, q, r, &full);
    if (!x) {
        *next = digit_at(s, p, n) ? skip_glue(s, n, p) : p + 1;
        return 0;
    }
    for (;;) {
        char kind;
        size_t y = x + read_sep(s, n, x, &kind);
        if (y >= n || (!digit_at(s, y, n) && s[y] != '(')) break;
        if (!kind && s[y] != '(' && !r->g[r->ng - 1].paren) break;
        size_t z = read_group(s, n, y, r, &full);
        if (!z) break;
        r->g[r->ng - 1].sep = kind;
        x = z;
    }
    /* a last group glued to a word or an address is not part of the run */
    int len;
    uint32_t nx = x < n ? u8dec(s, x, n, &len) : ' ';
    if (is_glue(nx) || nx == '@') {
        r->ng--;
        r->nd = r->g[r->ng].d0;
        if (!r->ng) {
            *next = skip_glue(s, n, r->g[0].bs + (s[r->g[0].bs] == '(' ? 1 : 0));
            if (*next <= p) *next = p + 1;
            return 0;
        }
        x = r->g[r->ng - 1].be;
        nx = ' ';
    }
    r->e = x;
    if (nx == ',' && digit_at(s, x + 1, n)) r->decimal = 1;
    return 1;
}

/* Currency codes and words that make a nearby number an amount. */
static const char *const cur_words[] = {
    "eur", "euro", "euros", "usd", "dollar", "dollars", "gbp", "chf", "sek", "nok", "dkk", "pln", "czk",
    "huf", "inr", "rs", "rupees", "irr", "rial", "rials", "toman", "tomans", "bdt", "taka", "rub", "try",
    "tl", "brl", "mxn", "jpy", "yen", "cny", "yuan", "aed", "sar", "\xd8\xaa\xd9\x88\xd9\x85\xd8\xa7\xd9\x86" /* تومان */,
    "\xd8\xb1\xdb\x8c\xd8\xa7\xd9\x84" /* ریال */, "\xd8\xb1\xd9\x8a\xd8\xa7\xd9\x84" /* ريال */,
    "\xe0\xa6\x9f\xe0\xa6\xbe\xe0\xa6\x95\xe0\xa6\xbe" /* টাকা */, "\xd1\x80\xd1\x83\xd0\xb1" /* руб */, NULL};

static int is_currency_cp(uint32_t c) {
    return c == '$' || (c >= 0xA2 && u_charType((UChar32)c) == U_CURRENCY_SYMBOL);
}

/* Is w[0..n) (ASCII lower-cased by the caller, or UTF-8) a currency word? */
static int is_cur_word(const char *w, size_t n) {
    for (int i = 0; cur_words[i]; i++)
        if (strlen(cur_words[i]) == n && !memcmp(cur_words[i], w, n)) return 1;
    return 0;
}

/* A currency symbol or word right before [a, b) or right after it (one
 * space allowed in between). */
static int currency_near(const uint8_t *s, size_t n, size_t a, size_t b) {
    size_t q = b;
    int l;
    if (q < n && (l = space_len(s, q, n))) q += (size_t)l;
    if (q < n) {
        if (is_currency_cp(u8dec(s, q, n, &l))) return 1;
        char w[16];
        size_t k = 0, x = q;
        while (x < n) {
            uint32_t c = u8dec(s, x, n, &l);
            if (!(is_alpha_ascii(c) || (c >= 0x80 && (U_MASK(u_charType((UChar32)c)) & (U_GC_L_MASK | U_GC_M_MASK)))))
                break;
            if (k + (size_t)l > sizeof w) { k = 0; break; }   /* too long for a currency word */
            if (c < 0x80) w[k++] = (char)(s[x] | 32);
            else { memcpy(w + k, s + x, (size_t)l); k += (size_t)l; }
            x += (size_t)l;
        }
        if (k && is_cur_word(w, k)) return 1;
    }
    q = a;
    if (q > 0) {
        size_t st;
        uint32_t c = u8prev(s, q, n, &st);
        if (c == ' ' || c == 0xA0 || c == 0x202F) {
            q = st;
            if (q == 0) return 0;
            c = u8prev(s, q, n, &st);
        }
        if (is_currency_cp(c)) return 1;
        char w[8];
        size_t k = 0, x = q;
        while (x > 0 && k < sizeof w && is_alpha_ascii(s[x - 1])) x--, k++;
        size_t ws;
        if (k && k < sizeof w && (x == 0 || !is_glue(u8prev(s, x, n, &ws)))) {
            for (size_t j = 0; j < k; j++) w[j] = (char)(s[x + j] | 32);
            if (is_cur_word(w, k)) return 1;
        }
    }
    return 0;
}

static long group_val(const run *r, int i) {
    long v = 0;
    for (int k = 0; k < r->g[i].nd; k++) v = v * 10 + r->dig[r->g[i].d0 + k];
    return v;
}

/* Groups i, i+1, i+2 form a date (see the rules). */
static int date_at(const run *r, int i) {
    if (i + 3 > r->ng || (i == 0 && r->plus)) return 0;
    const grp *g = &r->g[i];
    if (g[0].paren || g[1].paren || g[2].paren) return 0;
    char k = g[1].sep;
    if (k != g[2].sep || (k != '.' && k != '-' && k != '/')) return 0;
    if (g[0].nd > 4 || g[1].nd > 2 || g[2].nd > 4) return 0;
    long a = group_val(r, i), b = group_val(r, i + 1), c = group_val(r, i + 2);
    if (g[0].nd == 4 && g[2].nd <= 2) return b >= 1 && b <= 12 && c >= 1 && c <= 31;
    if (g[0].nd <= 2 && (g[2].nd == 2 || g[2].nd == 4))
        return a >= 1 && b >= 1 && ((a <= 31 && b <= 12) || (a <= 12 && b <= 31));
    return 0;
}

/* The whole run is a thousands-grouped amount or an IPv4 address. */
static int amount_or_ip(const run *r, int cur) {
    if (r->plus || r->ng < 2 || r->g[0].paren) return 0;
    char k = r->g[1].sep;
    int all3 = 1, ip = r->ng == 4 && k == '.';
    for (int i = 0; i < r->ng; i++) {
        const grp *g = &r->g[i];
        if (g->paren || (i && g->sep != k)) return 0;
        if (i && g->nd != 3) all3 = 0;
        if (g->nd > 3 || group_val(r, i) > 255) ip = 0;
    }
    if (ip) return 1;
    if (!all3 || r->g[0].nd > 3 || r->dig[0] == 0) return 0;
    if (k == '.') return 1;
    return k == ' ' && (r->g[0].nd <= 2 || cur);
}

static int luhn_ok(const uint8_t *d, int n) {
    int sum = 0;
    for (int i = 0; i < n; i++) {
        int x = d[n - 1 - i];
        if (i & 1) { x *= 2; if (x > 9) x -= 9; }
        sum += x;
    }
    return sum % 10 == 0;
}

/* Groups [i, j) form a card number. */
static int card_ok(const run *r, int i, int j) {
    if (i == 0 && r->plus) return 0;
    int nd = 0;
    for (int k = i; k < j; k++) {
        const grp *g = &r->g[k];
        if (g->paren) return 0;
        if (j - i > 1 && (g->nd < 3 || g->nd > 6)) return 0;
        if (k > i && (g->sep != r->g[i + 1].sep || (g->sep != ' ' && g->sep != '-'))) return 0;
        nd += g->nd;
    }
    const uint8_t *d = r->dig + r->g[i].d0;
    return nd >= 13 && nd <= 19 && d[0] != 0 && luhn_ok(d, nd);
}

/* Groups [i, j) form a phone number (see the rules).  strong: it has a
 * leading '+', '(' or 0. */
static int phone_ok(const run *r, int i, int j, int strong) {
    const grp *g0 = &r->g[i];
    const uint8_t *d = r->dig + g0->d0;
    int ng = j - i, nd = 0;
    for (int k = i; k < j; k++) nd += r->g[k].nd;
    int hi = (nd >= 2 && d[0] == 0 && d[1] == 0 && !(i == 0 && r->plus)) ? 17 : 15;
    if (nd < 7 || nd > hi) return 0;
    if (strong) {
        if (nd < 2 * ng - 1) return 0;
        if (i == 0 && r->plus) return 1;
        if (g0->paren) return g0->nd >= 2 && ng >= 2;
        if (nd >= 3 && d[1] == 0 && d[2] == 0) return 0;               /* 000... */
        if (g0->nd == 1 && ng > 1 && r->g[i + 1].sep == '.') return 0;  /* 0.123... */
        return ng > 1 || nd >= 9;
    }
    if (j != r->ng || ng < 3 || nd > 12) return 0;
    int all4 = 1;
    for (int k = i; k < j; k++) {
        const grp *g = &r->g[k];
        if (g->paren || g->nd > 4 || (k > i && g->nd < 2)) return 0;
        if (g->nd != 4) all4 = 0;
    }
    return !all4 && r->g[j - 1].nd >= 3;
}

/* Context words.  A phone word before a number (or, for the languages that
 * put it after, after it) says it is a phone number; an id word says it is
 * an order, ticket, invoice ... number.  ASCII words match case-
 * insensitively at the start of a word ("call" also matches "calling"). */
static const char *const phone_words[] = {
    "call", "phone", "tel", "mobile", "cell", "whatsapp", "sms", "text me", "ring me", "reach me", "dial",
    "my number", "telefon", "handy", "mobil", "rufnummer", "anrufen", "erreichbar", "meine nummer",
    "t\xc3\xa9l\xc3\xa9phone" /* téléphone */, "t\xc3\xa9l" /* tél */, "portable", "appel", "mon num\xc3\xa9ro",
    "tel\xc3\xa9" "fono", "telefono", "m\xc3\xb3vil", "movil", "celular", "llam", "ll\xc3\xa1m", "mi n\xc3\xbamero",
    "mi numero", "en number",
    "\xd8\xaa\xd9\x84\xd9\x81\xd9\x86" /* تلفن */, "\xd9\x85\xd9\x88\xd8\xa8\xd8\xa7\xdb\x8c\xd9\x84" /* موبایل */,
    "\xd8\xaa\xd9\x85\xd8\xa7\xd8\xb3" /* تماس */, "\xd8\xb2\xd9\x86\xda\xaf" /* زنگ */,
    "\xd8\xb4\xd9\x85\xd8\xa7\xd8\xb1\xd9\x87 \xd9\x85\xd9\x86" /* شماره من */,
    "\xd8\xb4\xd9\x85\xd8\xa7\xd8\xb1\xd9\x87\xe2\x80\x8c\xd8\xa7\xd9\x85" /* شماره‌ام */,
    "\xd8\xb4\xd9\x85\xd8\xa7\xd8\xb1\xd9\x85" /* شمارم */, "\xd9\x87\xd8\xa7\xd8\xaa\xd9\x81" /* هاتف */,
    "\xd8\xac\xd9\x88\xd8\xa7\xd9\x84" /* جوال */, "\xd8\xa7\xd8\xaa\xd8\xb5\xd9\x84" /* اتصل */,
    "\xd8\xb1\xd9\x82\xd9\x85\xd9\x8a" /* رقمي */, "\xe0\xa6\xab\xe0\xa7\x8b\xe0\xa6\xa8" /* ফোন */,
    "\xe0\xa6\x86\xe0\xa6\xae\xe0\xa6\xbe\xe0\xa6\xb0 \xe0\xa6\xa8\xe0\xa6\xae\xe0\xa7\x8d\xe0\xa6\xac\xe0\xa6\xb0" /* আমার নম্বর */,
    "\xe0\xa6\xa8\xe0\xa6\xae\xe0\xa7\x8d\xe0\xa6\xac\xe0\xa6\xb0\xe0\xa7\x87" /* নম্বরে */,
    "\xe0\xa4\xab\xe0\xa5\x8b\xe0\xa4\xa8" /* फोन */, "\xe0\xa4\xa8\xe0\xa4\x82\xe0\xa4\xac\xe0\xa4\xb0" /* नंबर */,
    "\xe0\xae\xaa\xe0\xaf\x8b\xe0\xae\xa9\xe0\xaf\x8d" /* போன் */,
    "\xe0\xae\xa8\xe0\xae\xae\xe0\xaf\x8d\xe0\xae\xaa\xe0\xae\xb0\xe0\xaf\x8d" /* நம்பர் */,
    "\xe9\x9b\xbb\xe8\xa9\xb1" /* 電話 */, "\xe6\x90\xba\xe5\xb8\xaf" /* 携帯 */, NULL};
static const char *const id_words[] = {
    "order", "ordr", "oredr", "bestell", "auftrag", "pedido", "commande", "ticket", "invoice", "rechnung", "factura",
    "facture", "tracking", "sendung", "ref", "case", "kunden", "customer", "account", "konto", "card", "karte",
    "tarjeta", "carte", "nr", "no.", "id", "#",
    "\xd8\xb3\xd9\x81\xd8\xa7\xd8\xb1\xd8\xb4" /* سفارش */, "\xd9\xbe\xdb\x8c\xda\xaf\xdb\x8c\xd8\xb1\xdb\x8c" /* پیگیری */,
    "\xd9\x81\xd8\xa7\xda\xa9\xd8\xaa\xd9\x88\xd8\xb1" /* فاکتور */,
    "\xe0\xa6\x85\xe0\xa6\xb0\xe0\xa7\x8d\xe0\xa6\xa1\xe0\xa6\xbe\xe0\xa6\xb0" /* অর্ডার */,
    "\xe0\xae\x86\xe0\xae\xb0\xe0\xaf\x8d\xe0\xae\x9f\xe0\xae\xb0\xe0\xaf\x8d" /* ஆர்டர் */, NULL};

#define CTX_BEFORE 64
#define CTX_AFTER 40

/* Does w occur in buf (lower-cased copy of the text) at k, starting a word
 * when it starts with an ASCII letter, and ending one when it is an ASCII
 * word of at most 3 letters ("tel" but not "tell", "id" but not "idea")? */
static int word_at(const char *buf, size_t len, size_t k, const char *w) {
    size_t wl = strlen(w);
    if (k + wl > len || memcmp(buf + k, w, wl)) return 0;
    if (!is_alpha_ascii((uint8_t)w[0])) return 1;
    if (k > 0 && is_alpha_ascii((uint8_t)buf[k - 1])) return 0;
    return !(wl <= 3 && k + wl < len && is_alpha_ascii((uint8_t)buf[k + wl]));
}

/* What the context of the run [a, b) says: the closest context word before
 * it (within CTX_BEFORE bytes, no digit or sentence end in between) decides
 * - 1 for a phone word, -1 for an id word; with none there, the first non-
 * ASCII context word after it (within CTX_AFTER bytes, no digit in between)
 * decides (languages that put it after the number: ০১৭... নম্বরে ফোন দিন);
 * 0 when nothing does.  *gap gets the number of words between the
 * deciding word before the run and the run, plus 100 per clause break
 * (, ; ، ؛) (INT_MAX when none decided before it). */
static int phone_context(const uint8_t *s, size_t n, size_t a, size_t b, int *gap) {
    *gap = INT_MAX;
    char buf[CTX_BEFORE + 1];
    size_t st = a > CTX_BEFORE ? a - CTX_BEFORE : 0;
    while (st < a && (s[st] & 0xC0) == 0x80) st++;
    size_t len = a - st;
    for (size_t k = 0; k < len; k++) {
        uint8_t c = s[st + k];
        buf[k] = (char)(is_alpha_ascii(c) ? c | 32 : c);
    }
    int best = 0;            /* 1 phone, -1 id */
    size_t best_end = 0;
    for (size_t k = 0; k < len; k++) {
        uint8_t c = (uint8_t)buf[k];
        if (c < 0x80 ? (c != '#' && !is_alpha_ascii(c)) || (k > 0 && is_alpha_ascii((uint8_t)buf[k - 1]))
                     : (c & 0xC0) == 0x80)
            continue;   /* context words start at a word or at a character */
        for (int pass = 0; pass < 2; pass++) {
            const char *const *ws = pass ? id_words : phone_words;
            for (int i = 0; ws[i]; i++)
                if ((uint8_t)ws[i][0] == c && word_at(buf, len, k, ws[i])) {
                    size_t e = k + strlen(ws[i]);
                    if (e > best_end || (e == best_end && pass)) { best_end = e; best = pass ? -1 : 1; }
                }
        }
    }
    /* a digit in between: the word is about another number; a sentence end
     * in between: the word does not count */
    for (size_t k = best_end; best && k < len; k++) {
        uint8_t c = (uint8_t)buf[k];
        if (is_digit_ascii(c)) return 0;
        if (c == '!' || c == '?' || c == '\n' || (c == '.' && k > best_end)) best = 0;
        if (c >= 0x80) {
            int l;
            uint32_t cp = u8dec((const uint8_t *)buf, k, len, &l);
            if (digit_val(cp) >= 0) return 0;
            if (cp == 0x964 || cp == 0x61F || cp == 0x6D4 || cp == 0x3002) best = 0;
        }
    }
    if (best) {
        *gap = 0;
        for (size_t k = best_end; k < len; k++) {
            uint8_t c = (uint8_t)buf[k];
            int letter = is_alpha_ascii(c) || c >= 0x80;
            int prev = k > best_end && (is_alpha_ascii((uint8_t)buf[k - 1]) || (uint8_t)buf[k - 1] >= 0x80);
            if (letter && !prev) (*gap)++;
            if (c == ',' || c == ';' || (c == 0xD8 && k + 1 < len && ((uint8_t)buf[k + 1] == 0x8C || (uint8_t)buf[k + 1] == 0x9B)))
                *gap += 100;   /* a clause break: "my order didn't come, 0171..." */
        }
        return best;
    }
    size_t e = b + CTX_AFTER < n ? b + CTX_AFTER : n;
    for (size_t k = b; k < e;) {
        int l;
        if (digit_val(u8dec(s, k, n, &l)) >= 0) return 0;
        if (s[k] >= 0x80) {
            for (int i = 0; phone_words[i]; i++)
                if ((uint8_t)phone_words[i][0] == s[k] && word_at((const char *)s, n, k, phone_words[i])) return 1;
            for (int i = 0; id_words[i]; i++)
                if ((uint8_t)id_words[i][0] == s[k] && word_at((const char *)s, n, k, id_words[i])) return -1;
        }
        k += (size_t)l;
    }
    return 0;
}

/* Find the dates, cards and phones of a parsed run (see the rules). */
static void classify_run(cx_pii *p, const uint8_t *s, size_t n, const run *r) {
    int cur = currency_near(s, n, r->s, r->e);
    if (amount_or_ip(r, cur)) return;
    int no_phone = !p->phone || r->hash || r->decimal || (cur && !r->plus);
    int i = 0, can_start = 1;
    while (i < r->ng) {
        if (date_at(r, i)) {
            i += 3;
            can_start = 1;
            continue;
        }
        size_t st = i == 0 ? r->s : r->g[i].bs;
        int j = 0, found = 0;
        if (p->card)
            for (j = r->ng < i + 8 ? r->ng : i + 8; j > i && !found; j--)
                if (card_ok(r, i, j)) { add_hit(p, st, r->g[j - 1].be, K_CARD, 0); found = j; }
        if (!found && !no_phone) {
            const grp *g0 = &r->g[i];
            int strong = (i == 0 && r->plus) || g0->paren || r->dig[g0->d0] == 0;
            int sep_ok = g0->sep == ' ' || g0->sep == '/' || g0->sep == 'M';
            if (can_start || (strong && sep_ok))
                for (j = r->ng; j > i && !found; j--) {
                    if (!strong && j != r->ng) break;
                    int ok = phone_ok(r, i, j, strong);
                    int gap;
                    /* an id word right before a 0-led number: "Kundennummer 0012345678" */
                    if (ok && strong && i == 0 && !r->plus && !g0->paren &&
                        phone_context(s, n, r->s, r->e, &gap) < 0 && gap <= 1)
                        ok = 0;
                    if (!ok && !strong && i == 0 && r->nd >= 7 && r->nd <= 15)
                        ok = phone_context(s, n, r->s, r->e, &gap) > 0;
                    if (ok) {
                        add_hit(p, st, r->g[j - 1].be, K_PHONE, 0);
                        found = j;
                    }
                }
        }
        if (found) {
            i = found;
            can_start = 1;
        } else {
            i++;
            can_start = 0;
        }
    }
}

/* A possible number run at s[p] ('+', '(' or a digit): find what it holds.
 * Returns where scanning continues (> p). */
static size_t number_at(cx_pii *p, const uint8_t *s, size_t n, size_t pos) {
    int len;
    uint32_t c = u8dec(s, pos, n, &len);
    int isdig = digit_val(c) >= 0;
    if (c == '+' && !(digit_at(s, pos + 1, n) || (pos + 1 < n && s[pos + 1] == '('))) return pos + 1;
    if (c == '(' && !(digit_at(s, pos + 1, n) || (pos + 2 < n && s[pos + 1] == '+' && digit_at(s, pos + 2, n))))
        return pos + 1;
    int hash = 0;
    if (pos > 0) {
        size_t ps;
        uint32_t pc = u8prev(s, pos, n, &ps);
        int blocked = is_glue(pc);
        if (!blocked && ps > 0 && (pc == '-' || pc == '/' || pc == '_' || pc == '.' || pc == ',')) {
            size_t pps;
            uint32_t ppc = u8prev(s, ps, n, &pps);
            blocked = (pc == '.' || pc == ',') ? digit_val(ppc) >= 0 : is_glue(ppc);
        }
        if (blocked) return isdig ? skip_glue(s, n, pos) : pos + (size_t)len;
        hash = pc == '#';
    }
    run r;
    size_t next;
    if (!parse_run(s, n, pos, &r, &next)) return next > pos ? next : pos + (size_t)len;
    r.hash = hash;
    classify_run(p, s, n, &r);
    return r.e > pos ? r.e : pos + (size_t)len;
}

/* ------------------------------------------------------------------ */
/* user patterns                                                        */

static void *pii_malloc(PCRE2_SIZE n, void *ud) {
    (void)ud;
    return cx_malloc(n);
}
static void pii_free(void *ptr, void *ud) {
    (void)ud;
    cx_free(ptr);
}

/* Run user pattern k over the text.  0 / -1 (reason in p->errbuf). */
static int match_pattern(cx_pii *p, size_t k, const uint8_t *s, size_t n) {
    const upat *u = &p->pats[k];
    size_t off = 0;
    while (off <= n) {
        int rc = pcre2_match(u->code, s, n, off, 0, p->md, p->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            char msg[160];
            if (rc == PCRE2_ERROR_NOMEMORY) snprintf(msg, sizeof msg, "out of memory");
            else pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
            snprintf(p->errbuf, sizeof p->errbuf, "pii.pattern.%s: %s", u->name, msg);
            return -1;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
        if (ov[1] > ov[0]) {
            add_hit(p, ov[0], ov[1], K_CUSTOM, (int)k);
            off = ov[1];
        } else {   /* empty match: move on by one character */
            off = (ov[0] > off ? ov[0] : off) + 1;
            while (off < n && (s[off] & 0xC0) == 0x80) off++;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* the API                                                              */

static int valid_name(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (!n || n > MAX_NAME) return 0;
    for (size_t i = 0; i < n; i++)
        if (!(is_alpha_ascii((uint8_t)s[i]) || is_digit_ascii((uint8_t)s[i]) || s[i] == '_')) return 0;
    return 1;
}

cx_pii *cx_pii_new(const cx_pii_opts *o, char *err, size_t n) {
    pcre2_compile_context *cctx = NULL;
    call_once(&nd_once, nd_build);
    cx_pii *p = cx_calloc(1, sizeof *p);
    if (!p) goto fail_oom;
    if (o) {
        p->email = o->email;
        p->phone = o->phone;
        p->card = o->card;
        p->iban = o->iban;
    }
    if (!o || !o->npatterns) return p;
    if (!(p->gctx = pcre2_general_context_create(pii_malloc, pii_free, NULL))) goto fail_oom;
    if (!(cctx = pcre2_compile_context_create(p->gctx))) goto fail_oom;
    if (!(p->pats = cx_calloc(o->npatterns, sizeof *p->pats))) goto fail_oom;
    uint32_t flags = PCRE2_UTF | PCRE2_UCP;
#ifdef PCRE2_MATCH_INVALID_UTF
    flags |= PCRE2_MATCH_INVALID_UTF;
#endif
    for (size_t i = 0; i < o->npatterns; i++) {
        const cx_pii_pattern *pt = &o->patterns[i];
        if (!valid_name(pt->name)) {
            snprintf(err, n, "pii.pattern.%s: the name must be 1-%d letters, digits or '_'", pt->name ? pt->name : "",
                     MAX_NAME);
            goto fail;
        }
        int ec;
        PCRE2_SIZE eo;
        const char *rx = pt->regex ? pt->regex : "";
        pcre2_code *code = pcre2_compile((PCRE2_SPTR)rx, PCRE2_ZERO_TERMINATED, flags, &ec, &eo, cctx);
        if (!code && (ec == PCRE2_ERROR_NOMEMORY || ec == PCRE2_ERROR_HEAP_FAILED)) goto fail_oom;
        if (!code) {
            char msg[160];
            pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
            snprintf(err, n, "pii.pattern.%s: %s at offset %zu in \"%s\"", pt->name, msg, (size_t)eo, rx);
            goto fail;
        }
        p->pats[p->npats].code = code;
        if (!(p->pats[p->npats].name = cx_strdup(pt->name))) { pcre2_code_free(code); goto fail_oom; }
        p->pats[p->npats].nlen = strlen(pt->name);
        p->npats++;
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);   /* the interpreter is the fallback */
    }
    pcre2_compile_context_free(cctx);
    cctx = NULL;
    if (!(p->mctx = pcre2_match_context_create(p->gctx))) goto fail_oom;
    pcre2_set_match_limit(p->mctx, PCRE_MATCH_LIMIT);
    if ((p->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, p->gctx)))
        pcre2_jit_stack_assign(p->mctx, NULL, p->jstack);
    if (!(p->md = pcre2_match_data_create(1, p->gctx))) goto fail_oom;
    return p;
fail_oom:
    snprintf(err, n, "pii: out of memory");
fail:
    if (cctx) pcre2_compile_context_free(cctx);
    cx_pii_destroy(&p);
    return NULL;
}

void cx_pii_destroy(cx_pii **pp) {
    if (!pp || !*pp) return;
    cx_pii *p = *pp;
    for (size_t i = 0; i < p->npats; i++) {
        pcre2_code_free(p->pats[i].code);
        cx_free(p->pats[i].name);
    }
    cx_free(p->pats);
    if (p->md) pcre2_match_data_free(p->md);
    if (p->jstack) pcre2_jit_stack_free(p->jstack);
    if (p->mctx) pcre2_match_context_free(p->mctx);
    if (p->gctx) pcre2_general_context_free(p->gctx);
    cx_free(p->hits);
    cx_free(p);
    *pp = NULL;
}

const char *cx_pii_error(const cx_pii *p) { return p ? p->errbuf : "no redactor"; }

void cx_pii_totals(const cx_pii *p, cx_pii_counts *out) {
    if (p) *out = p->totals;
    else memset(out, 0, sizeof *out);
}

int cx_pii_is_placeholder(const cx_pii *p, const char *name, size_t n) {
    static const char *const builtin[] = {"EMAIL", "PHONE", "CARD", "IBAN"};
    for (int i = 0; i < 4; i++)
        if (strlen(builtin[i]) == n && !memcmp(builtin[i], name, n)) return 1;
    for (size_t i = 0; p && i < p->npats; i++)
        if (p->pats[i].nlen == n && !memcmp(p->pats[i].name, name, n)) return 1;
    return 0;
}

/* Key bytes of cx_pii_redact's scan: '@', ASCII digits, '+', '(' and every
 * byte >= 0x80. */
static const uint8_t key_byte[256] = {
    ['@'] = 1, ['+'] = 1, ['('] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1,
    [0x80] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0xA0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0xC0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    [0xE0] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Collect every detector's hits over the text; then merge overlapping hits
 * and write the text with placeholders. */
int cx_pii_redact(cx_pii *p, const char *in, size_t len, cx_buf *out, cx_pii_counts *counts) {
    cx_pii_counts c = {0};
    if (counts) *counts = c;
    if (!p || !in || !len) return 0;
    const uint8_t *s = (const uint8_t *)in;
    size_t n = len;
    p->nhits = 0;
    p->oom = 0;
    p->errbuf[0] = '\0';
    int numbers = p->phone || p->card;
    for (size_t i = 0; i < n;) {
        /* Every detector starts at a "key" byte ('@', an ASCII digit, '+',
         * '(' or a non-ASCII byte, which may be a digit of another script)
         * or, for an IBAN, at a letter two bytes before an ASCII digit or a
         * non-ASCII byte - itself a key byte.  So a stretch without key
         * bytes starts nothing, except at its last two positions: jump to
         * two bytes before the next key byte (or stop when there is none)
         * and take the positions from there one by one, as before. */
        size_t j = i;
        while (j < n && !key_byte[s[j]]) j++;
        if (j >= n) break;
        if (j - i > 2) i = j - 2;
        uint8_t b = s[i];
        if (b < 0x80) {
            if (b == '@') {
                size_t hs, he;
                if (p->email && scan_email(s, n, i, &hs, &he)) {
                    add_hit(p, hs, he, K_EMAIL, 0);
                    i = he;
                } else {
                    i++;
                }
            } else if (numbers && (is_digit_ascii(b) || b == '+' || b == '(')) {
                i = number_at(p, s, n, i);
            } else if (p->iban && i + 3 < n && (is_digit_ascii(s[i + 2]) || s[i + 2] >= 0x80) &&
                       is_alpha_ascii(b) && is_alpha_ascii(s[i + 1])) {
                /* (the third byte is tested first: in running text it is
                 * nearly always a letter or a space, so most bytes are
                 * turned away by one comparison) */
                size_t shape, e = scan_iban(s, n, i, &shape);
                if (e) add_hit(p, i, e, K_IBAN, 0);
                i = e ? e : shape ? shape : i + 1;
            } else {
                i++;
            }
            continue;
        }
        /* another script's character (a digit starts a number run); the
         * two- and three-byte forms of nearly all text are decoded here as
         * u8dec would */
        int l;
        uint32_t cp;
        if (b >= 0xC2 && b <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            cp = (uint32_t)(b & 0x1F) << 6 | (s[i + 1] & 0x3Fu);
            l = 2;
        } else if (b >= 0xE0 && b <= 0xEF && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
            cp = (uint32_t)(b & 0x0F) << 12 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3Fu);
            l = 3;
            if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) {
                cp = 0xFFFD;
                l = 1;
            }
        } else {
            cp = u8dec(s, i, n, &l);
        }
        if (numbers && digit_val(cp) >= 0) i = number_at(p, s, n, i);
        else i += (size_t)l;
    }
    for (size_t k = 0; k < p->npats; k++)
        if (match_pattern(p, k, s, n) < 0) return -1;
    if (p->oom) goto oom;
    if (!p->nhits) return 0;

    /* merge: sort by start, fold overlapping hits into the first, keeping
     * the kind of highest priority (the earliest user pattern among equals) */
    qsort(p->hits, p->nhits, sizeof *p->hits, hit_cmp);
    size_t m = 0;
    for (size_t k = 1; k < p->nhits; k++) {
        hit *a = &p->hits[m], *h = &p->hits[k];
        if (h->s < a->e) {
            if (h->e > a->e) a->e = h->e;
            if (h->kind > a->kind || (h->kind == K_CUSTOM && a->kind == K_CUSTOM && h->pat < a->pat)) {
                a->kind = h->kind;
                a->pat = h->pat;
            }
        } else {
            p->hits[++m] = *h;
        }
    }
    size_t nm = m + 1;

    cx_buf_reset(out);
    size_t at = 0;
    for (size_t k = 0; k < nm; k++) {
        const hit *h = &p->hits[k];
        cx_buf_append(out, in + at, h->s - at);
        const char *name;
        switch (h->kind) {
        case K_EMAIL: name = "EMAIL"; c.email++; break;
        case K_PHONE: name = "PHONE"; c.phone++; break;
        case K_CARD: name = "CARD"; c.card++; break;
        case K_IBAN: name = "IBAN"; c.iban++; break;
        default: name = p->pats[h->pat].name; c.custom++; break;
        }
        cx_buf_append(out, "[", 1);
        cx_buf_append(out, name, strlen(name));
        cx_buf_append(out, "]", 1);
        at = h->e;
    }
    cx_buf_append(out, in + at, len - at);
    if (out->oom) goto oom;
    p->totals.email += c.email;
    p->totals.phone += c.phone;
    p->totals.card += c.card;
    p->totals.iban += c.iban;
    p->totals.custom += c.custom;
    if (counts) *counts = c;
    return (int)(nm > INT32_MAX ? INT32_MAX : nm);
oom:
    snprintf(p->errbuf, sizeof p->errbuf, "pii redaction: out of memory");
    return -1;
}
