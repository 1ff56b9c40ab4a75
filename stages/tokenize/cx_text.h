/* cx_text.h - multilingual text analysis shared by the tokenize stage, the
 * tag stage (to normalise lexicon terms exactly like text) and the tools.
 *
 * cx_text_analyze takes env->text and fills env->lang, env->lang_conf,
 * env->tokens, env->n_tokens, env->n_sents and the token flags (CX_TF_*) that
 * the tag stage needs.  It uses ICU for normalisation (NFKC + case folding +
 * script fixes) and word/sentence segmentation, libstemmer (Snowball) for
 * stems, and the lexicons in lexicons/stopwords and lexicons/rules for stop
 * words, negators, contrast words, intensifiers and request markers.
 *
 * A cx_text is not thread-safe: one per thread.  Ownership: the caller owns
 * the cx_text (cx_text_destroy); everything written into env lives in env's
 * pool.
 *
 * Language: a forced lang wins; else a valid env->lang_hint when trust_hint
 * is on (conf 1.0; "pt-BR" is read as "pt"); else the detector (langid.h),
 * whose answer is "und" when its confidence is below min_confidence.
 * When detection says "und" and default_lang is not "und", env->lang is
 * default_lang with the detector's low confidence, so that stems and flags
 * downstream agree with the language actually used.  With per_sentence on,
 * every sentence of a record with several is identified too, and
 * env->sent_lang is set when they differ (docs/LANGID.md).
 *
 * Tokens and their forms:
 *   norm     NFKC, then full case folding (Turkic i for tr/az), then: tatweel,
 *            harakat (U+064B-0652), Hebrew points (not for yi), soft hyphen
 *            and invisible format characters (ZWSP, ZWJ, LRM/RLM, bidi
 *            embeddings, overrides and isolates, word joiner, BOM) removed;
 *            ZWNJ kept only between letters after an Arabic-script letter
 *            (so «می‌خواهم» is one token and keeps it; elsewhere it only
 *            steers rendering and goes); the dot above that folding "İ"
 *            leaves outside tr/az removed ("İstanbul" -> "istanbul"); Greek
 *            tonos and dialytika removed (capitals carry none: "ΚΑΚΗ" =
 *            "κακή" -> "κακη"; final sigma folds to σ); ’ ‘ ʼ ` as ';
 *            decimal digits of every script as ASCII; for fa/ur ي ى -> ی
 *            and ك -> ک.
 *            Persian (fa) affixes typed as separate words are joined into
 *            one token whose norm has a ZWNJ where the blanks were (surface:
 *            the source, blanks included): a standalone «می» / «نمی» with
 *            the word after it («می خواهم» -> می‌خواهم, «نمی خوام» ->
 *            نمی‌خوام), «های» / «هایی» with the word before it, and «ها»
 *            with the word before it when another word follows («کتاب ها
 *            را» -> کتاب‌ها); a clause-final «ها» is the spoken emphatic
 *            particle («خوب بود ها») and stays alone.  Only blanks (space,
 *            tab, Unicode spaces) may separate the two words, and a token
 *            is joined once.
 *            Letter stretches: a run of >= 3 identical letters (>= 4 in
 *            German, which spells "Schifffahrt") keeps 2 letters; if that form
 *            is not a known word of the language but the 1-letter form is
 *            (stop words, rule terms and sentiment terms), the 1-letter form
 *            is used: "goooood" -> "good", "sooo" -> "so", "baaad" -> "bad".
 *            Emoji lose VS15/VS16 and skin tones; emoticons (matched case-
 *            insensitively) get a lower-case canonical form (":-((" -> ":(",
 *            "=)" and "(:" -> ":)", ":D" -> ":d", "XDD" -> "xd"); URLs have a
 *            lower-case scheme and host; e-mails and mentions are lower case;
 *            punctuation is "." "!" "?" "..." (also for । ؟ 。 ！ ...).
 *   stem     Snowball stem of norm for word tokens when the language has one;
 *            else, when lexicons/stemming/<lang>.tsv exists (bn, fa), a
 *            light stem: the longest listed suffix whose removal leaves at
 *            least its minimum stem length is cut, once, with a ZWNJ before
 *            it (کتاب‌ها -> کتاب); else the same string as norm
 *            (pointer-equal).
 *   surface  the bytes of the source text (pointer-equal to norm when equal).
 *   types    word, number (ICU number status, "3.5", "۱۴" -> "14"), emoji
 *            (a pictograph, flag, ZWJ sequence or keycap "1️⃣"),
 *            emoticon, url (http://, https://, www.), email, mention (@x),
 *            hashtag (#x with at least one letter; "#1" is a number), punct
 *            (sentence-final marks only; a run "!!!" is one token).  Other
 *            punctuation and symbols are dropped; clause marks set flags.
 *   French, Italian and Catalan elisions are split: "l'avion" -> "l'" "avion".
 *
 * Flags (CX_TF_*):
 *   STOP          norm is in stopwords/<lang>.txt (or inside a multi-word
 *                 stop phrase).
 *   NEGATOR, NEG_POST, INTENSIFIER, DIMINISHER, CONTRAST, REQUEST
 *                 the token is (part of) a rule term of that kind in
 *                 rules/<lang>.tsv, matched on norm, or on the stem when the
 *                 rule term is its own stem ("keine" matches "kein"); all
 *                 tokens of a multi-word term are marked ("a bit", "por
 *                 favor").  English also: every word ending in n't and the
 *                 apostrophe-less forms (dont, didnt, cant, wont, isnt ...)
 *                 are NEGATOR.
 *   NEGATED_FORM  a word longer than a negator_prefix it starts with, or than
 *                 a negator_suffix it ends with (نمی‌خواهم, வரவில்லை).
 *   CLAUSE_END    the last word-like token of a clause: before , ; : ، ؛ 、
 *                 ， – — or a spaced '-', before the first word of a contrast
 *                 term, before an emoji or emoticon inside a sentence, and
 *                 the last non-punctuation, non-emoji token of each sentence
 *                 (trailing emoji stay outside the clause).
 *   SENT_END      the last token of each sentence (usually its final mark).
 *                 Sentences come from ICU's sentence iterator; a '?' or '.'
 *                 inside a URL or address does not split, and emoji or
 *                 emoticons that open a new ICU sentence ("Great! 😀") stay
 *                 with the previous sentence.
 *   QUESTION, EXCLAIM
 *                 every token of a sentence whose final marks (ignoring
 *                 trailing emoji) contain ? (؟ ？) or ! (！).
 *   ALLCAPS       a token whose source has >= 2 cased letters, all upper case
 *                 ("VERY", "OK"; not "I").  Set even when the whole text is
 *                 in capitals: a consumer that wants VADER's "emphasis only
 *                 when mixed" checks whether all word tokens carry it.
 *   STRETCHED     a collapsed letter stretch (above), a repeated mark ("!!",
 *                 "???"), or an emoticon with a repeated mouth (":)))", "<33").
 *
 * Bounds: CX_TEXT_MAX_TOKENS tokens per record (the rest is ignored),
 * CX_TEXT_MAX_WORD bytes per normalised token, CX_TEXT_MAX_INPUT bytes of
 * text.  Invalid UTF-8 is read as U+FFFD (surfaces then come from the
 * decoded text, so every string is valid UTF-8).  Text that is empty after
 * normalisation gives 0 tokens and 0 sentences. */
#ifndef CX_TEXT_H
#define CX_TEXT_H
#include <stddef.h>
#include "cx_env.h"

typedef struct cx_text cx_text;

typedef struct cx_text_opts {
    const char *lexicon_dir;   /* directory holding stopwords/ and rules/ */
    const char *default_lang;  /* used for stemming when nothing decides, "und" = none */
    int trust_hint;            /* env->lang_hint wins over detection */
    int redact_pii;            /* unused: attach a redactor with cx_text_set_pii instead */
    float min_confidence;      /* detection below it says "und" (langid.min_confidence); 0 = 0.50, < 0 = none */
    int per_sentence;          /* fill env->sent_lang when sentences differ (langid.per_sentence) */
    int langid_method;         /* cx_langid_method (langid.h); 0 = combined, the others for measurements */
} cx_text_opts;

/* NULL with a reason in err on failure (missing lexicon dir, ICU error, OOM). */
cx_text *cx_text_new(const cx_text_opts *opts, char *err, size_t errlen);
void cx_text_destroy(cx_text **t);

/* Analyse env->text.  lang, when not NULL, forces the language (ISO 639-1)
 * for this call (used to normalise lexicon terms).  0 on success, -1 with a
 * reason in err (the record then goes to the dead letters). */
int cx_text_analyze(cx_text *t, cx_env *env, const char *lang, char *err, size_t errlen);

/* Only the language of env->text (env->lang, env->lang_conf), by exactly the
 * rules of cx_text_analyze but without tokens or per-sentence languages (for
 * `cxflow eval langid`).  0 / -1 with a reason in err. */
int cx_text_identify(cx_text *t, cx_env *env, char *err, size_t errlen);

/* Re-read stop words and rules from the lexicon directory (SIGHUP), with
 * the sentiment terms used as known words and the language identifier's
 * stop-word tables.  New tables are built first; on failure the old ones
 * stay in place.  0 / -1. */
int cx_text_reload(cx_text *t, char *err, size_t errlen);

/* PII redaction.  With a redactor attached (pii != NULL), cx_text_analyze
 * first replaces e-mails, phones, cards, IBANs and user patterns in
 * env->text (see cx_pii.h): env->text then points to the redacted copy in
 * env's pool, env->pii_count is the number of placeholders, and tokens and
 * surfaces only ever see the placeholders.  When redaction fails (out of
 * memory, a user pattern hitting PCRE2's match limit) cx_text_analyze
 * returns -1 and env->text is "" - never the original.  NULL detaches.
 * The redactor is borrowed: the caller keeps it alive and destroys it after
 * the cx_text.  Lexicon loading and reload never redact.
 *
 * A placeholder "[EMAIL]" "[PHONE]" "[CARD]" "[IBAN]" (always) or "[NAME]"
 * of one of the attached redactor's user patterns is one token of type
 * CX_TOK_PII with surface "[EMAIL]" and norm and stem "[email]". */
typedef struct cx_pii cx_pii;
void cx_text_set_pii(cx_text *t, cx_pii *pii);

/* Is there a Snowball stemmer for this ISO 639-1 code? */
int cx_text_has_stemmer(const char *lang);

/* ---- additions beyond the original contract ---- */

/* Bounds that keep hostile input cheap: at most CX_TEXT_MAX_TOKENS tokens
 * per record (the rest of the text is ignored), fewer than CX_TEXT_MAX_WORD
 * bytes in a token's normalised form or stem (longer ones are cut at a
 * character boundary; surfaces are cut below 1024 bytes), and at most
 * CX_TEXT_MAX_INPUT bytes of text analysed per record. */
#define CX_TEXT_MAX_TOKENS 4096
#define CX_TEXT_MAX_WORD 256
#define CX_TEXT_MAX_INPUT (1 << 20)

/* Snowball algorithm name used for lang ("english"), or NULL. */
const char *cx_text_stemmer_name(const char *lang);

/* Weight given in lexicons/rules/<lang>.tsv to a rule term (intensifier or
 * diminisher multiplier, contrast weight).  norm is the normalised term as
 * found in cx_token.norm; a multi-word term is its normalised words joined
 * by single spaces.  dflt when the term has no weight or is unknown. */
float cx_text_rule_weight(const cx_text *t, const char *lang, const char *norm, float dflt);

/* Space-separated list of the languages that have lexicon files loaded
 * (for logs).  Returns the number of languages. */
int cx_text_lexicon_langs(const cx_text *t, char *buf, size_t n);

/* "STOP|NEGATOR|..." for a flag set (debug output).  Returns buf. */
const char *cx_text_flag_names(uint32_t flags, char *buf, size_t n);

#endif
