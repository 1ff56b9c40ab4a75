/* test_text_quirks.c - the normalisation and segmentation quirks of real
 * multilingual customer feedback, one test per quirk, each in the languages
 * where it shows up (22 languages in all).  The sentences are written for
 * these tests.  Every case forces its language (cx_text_analyze(..., "fa"))
 * so that changes to language identification cannot move the results, and
 * runs on the shipped lexicons (lexicons/, from the source directory that
 * ctest sets as working directory).  Rules under test: cx_text.h.
 *
 * Languages: ar bn de el en es fa fr he hi ja km ko lo my ru ta th tr ur vi zh. */
#include "cx_env.h"
#include "cx_test.h"
#include "cx_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static cx_text *T;   /* the shipped lexicons, no default language */

/* Analyse text as language lang; NULL (and a failed check) on error. */
static cx_env *run(const char *text, const char *lang) {
    cx_env *e = cx_env_new();
    if (!e) return NULL;
    e->text = text;
    char err[256];
    if (cx_text_analyze(T, e, lang, err, sizeof err) < 0) {
        fprintf(stderr, "analyze(%s): %s\n", lang, err);
        cx_t_cur_failed = 1;
        cx_env_destroy(&e);
    }
    return e;
}

static const cx_token *find(const cx_env *e, const char *norm) {
    for (uint32_t i = 0; e && i < e->n_tokens; i++)
        if (!strcmp(e->tokens[i].norm, norm)) return &e->tokens[i];
    return NULL;
}
static int has(const cx_env *e, const char *norm, uint32_t flags) {
    const cx_token *t = find(e, norm);
    return t && (t->flags & flags) == flags;
}
static int type_of(const cx_env *e, const char *norm) {
    const cx_token *t = find(e, norm);
    return t ? t->type : -1;
}
static const char *surface_of(const cx_env *e, const char *norm) {
    const cx_token *t = find(e, norm);
    return t ? t->surface : "(no token)";
}
static int count_type(const cx_env *e, int type) {
    int n = 0;
    for (uint32_t i = 0; e && i < e->n_tokens; i++) n += e->tokens[i].type == type;
    return n;
}
/* norm of token i, "" when there is none */
static const char *norm_at(const cx_env *e, uint32_t i) { return e && i < e->n_tokens ? e->tokens[i].norm : ""; }
static void dump(const cx_env *e) {
    char fl[256];
    for (uint32_t i = 0; e && i < e->n_tokens; i++)
        fprintf(stderr, "   [%u] s%u %-8s %s | %s | %s | %s\n", i, e->tokens[i].sent,
                cx_tok_type_name(e->tokens[i].type), e->tokens[i].surface, e->tokens[i].norm, e->tokens[i].stem,
                cx_text_flag_names(e->tokens[i].flags, fl, sizeof fl));
}
/* Two spellings of the same words give the same norms, token by token. */
static void same_norms(const char *a, const char *b, const char *lang) {
    cx_env *x = run(a, lang), *y = run(b, lang);
    int ok = x && y && x->n_tokens == y->n_tokens && x->n_tokens > 0;
    for (uint32_t i = 0; ok && i < x->n_tokens; i++) ok = !strcmp(x->tokens[i].norm, y->tokens[i].norm);
    if (!ok) {
        fprintf(stderr, "  [%s] norms differ:\n", lang);
        dump(x);
        dump(y);
        cx_t_cur_failed = 1;
    }
    cx_env_destroy(&x);
    cx_env_destroy(&y);
}
#define DONE(e)                        \
    do {                               \
        if (cx_t_cur_failed) dump(e);  \
        cx_env_destroy(&(e));          \
    } while (0)

/* ---- NFKC and case folding ---- */

static void test_fullwidth_and_ligatures(void) {
    /* en: full-width Latin from an East Asian keyboard, the ﬁ ligature from a PDF */
    cx_env *e = run("ＴＨＥ ＡＰＰ is ﬁne but the ﬂight was late", "en");
    CX_CHECK(has(e, "the", CX_TF_STOP | CX_TF_ALLCAPS));
    CX_CHECK(find(e, "app") && !strcmp(surface_of(e, "app"), "ＡＰＰ"));
    CX_CHECK(find(e, "fine") && find(e, "flight") && !strcmp(surface_of(e, "flight"), "ﬂight"));
    CX_CHECK(e && e->n_tokens == 9);
    DONE(e);
    /* ja: full-width Latin and digits inside Japanese */
    e = run("ＡＰＰが使えない。１４日も待った", "ja");
    CX_CHECK(type_of(e, "app") == CX_TOK_WORD);
    CX_CHECK(type_of(e, "14") == CX_TOK_NUMBER && !strcmp(surface_of(e, "14"), "１４"));
    CX_CHECK(e && e->n_sents == 2);
    DONE(e);
    /* fr: ligatures œ stay (a letter in French), ﬁ goes */
    e = run("Service ﬁable, mais le cœur n'y est pas", "fr");
    CX_CHECK(find(e, "fiable") != NULL);
    CX_CHECK(find(e, "cœur") != NULL);
    DONE(e);
}

static void test_german_sharp_s(void) {
    same_norms("Die Straße ist GROẞ", "die STRASSE ist gross", "de");
    cx_env *e = run("Die Größe passt nicht, der Fuß tut weh", "de");
    CX_CHECK(find(e, "grösse") && !strcmp(surface_of(e, "grösse"), "Größe"));
    CX_CHECK(find(e, "fuss") != NULL);
    CX_CHECK(has(e, "nicht", CX_TF_NEGATOR));
    DONE(e);
}

static void test_turkish_i(void) {
    /* tr: I -> ı and İ -> i */
    cx_env *e = run("İADE İSTİYORUM, ISLAK paket geldi", "tr");
    CX_CHECK(find(e, "iade") && find(e, "istiyorum") && find(e, "ıslak"));
    CX_CHECK(has(e, "iade", CX_TF_ALLCAPS));
    DONE(e);
    same_norms("IŞIK ÇOK KÖTÜ", "ışık çok kötü", "tr");
    /* outside Turkish, folding "İ" leaves i + U+0307, which is dropped */
    e = run("Die Filiale in İstanbul war geschlossen", "de");
    CX_CHECK(find(e, "istanbul") != NULL);
    DONE(e);
    e = run("IT DID NOT WORK", "en");   /* English I stays i */
    CX_CHECK(find(e, "it") && find(e, "did") && has(e, "not", CX_TF_NEGATOR));
    DONE(e);
}

static void test_greek_sigma_and_accents(void) {
    /* el: final sigma folds to σ; capitals carry no accents, so accents go */
    same_norms("ΠΟΛΥ ΚΑΚΗ ΕΞΥΠΗΡΕΤΗΣΗ ΚΑΙ ΑΡΓΟΣ ΣΕΡΒΙΣ", "Πολύ κακή εξυπηρέτηση και αργός σέρβις", "el");
    cx_env *e = run("Ο πελάτης ΔΕΝ ΕΙΝΑΙ ικανοποιημένος", "el");
    CX_CHECK(find(e, "πελατησ") != NULL);
    CX_CHECK(has(e, "ειναι", CX_TF_STOP | CX_TF_ALLCAPS));   /* stop word είναι, written in capitals */
    CX_CHECK(find(e, "ικανοποιημενοσ") != NULL);
    DONE(e);
    e = run("Προϊόν ΐ ΰ", "el");   /* dialytika with and without tonos */
    CX_CHECK(find(e, "προιον") != NULL);
    CX_CHECK(find(e, "ι") && find(e, "υ"));
    DONE(e);
}

/* ---- Arabic script ---- */

static void test_persian_letter_variants(void) {
    /* fa: Persian typed on an Arabic keyboard */
    same_norms("اين كتاب خيلي خوب است", "این کتاب خیلی خوب است", "fa");
    cx_env *e = run("پشتيباني خيلي ضعيف بود", "fa");
    CX_CHECK(has(e, "خیلی", CX_TF_INTENSIFIER));
    CX_CHECK(find(e, "پشتیبانی") && !strcmp(surface_of(e, "پشتیبانی"), "پشتيباني"));
    DONE(e);
    /* ur: same letters */
    e = run("ڈیلیوری بہت دیر سے آئی، كيا ہو رہا ہے", "ur");
    CX_CHECK(find(e, "کیا") != NULL);
    DONE(e);
    /* ar: Arabic keeps its own yeh and kaf */
    e = run("هذا الكتاب جيد لكن التوصيل بطيء", "ar");
    CX_CHECK(find(e, "الكتاب") && find(e, "لكن"));
    DONE(e);
}

static void test_tatweel_and_harakat(void) {
    cx_env *e = run("خیـــلی بَد بود، مُشکِل حل نشد", "fa");
    CX_CHECK(has(e, "خیلی", CX_TF_INTENSIFIER) && find(e, "بد") && find(e, "مشکل"));
    CX_CHECK(!strcmp(surface_of(e, "خیلی"), "خیـــلی"));
    DONE(e);
    same_norms("الخِدْمَةُ سَيِّئَةٌ جـــدا", "الخدمة سيئة جدا", "ar");
    same_norms("سروس بہت اچھـــی تھی", "سروس بہت اچھی تھی", "ur");
}

static void test_digits_of_every_script(void) {
    cx_env *e = run("سفارش من ۱۴ روز است که نرسیده و قیمت ۱٫۵ برابر شد", "fa");
    CX_CHECK(type_of(e, "14") == CX_TOK_NUMBER && !strcmp(surface_of(e, "14"), "۱۴"));
    CX_CHECK(type_of(e, "1.5") == CX_TOK_NUMBER);   /* Arabic decimal separator */
    DONE(e);
    e = run("الطلب متأخر ١٢ يوما", "ar");
    CX_CHECK(type_of(e, "12") == CX_TOK_NUMBER);
    DONE(e);
    e = run("ডেলিভারি ৩ দিন দেরি", "bn");
    CX_CHECK(type_of(e, "3") == CX_TOK_NUMBER);
    DONE(e);
    e = run("पैसे १४ दिन बाद भी नहीं मिले", "hi");
    CX_CHECK(type_of(e, "14") == CX_TOK_NUMBER);
    DONE(e);
    e = run("รอของ ๓ วัน", "th");
    CX_CHECK(type_of(e, "3") == CX_TOK_NUMBER);
    DONE(e);
    e = run("၃ ရက် စောင့်ရတယ်", "my");
    CX_CHECK(type_of(e, "3") == CX_TOK_NUMBER);
    DONE(e);
}

static void test_zwnj_words(void) {
    /* fa: a ZWNJ inside a word keeps it whole and stays in its norm */
    cx_env *e = run("من می‌خواهم کتاب‌ها را پس بدهم", "fa");
    CX_CHECK(e && e->n_tokens == 6);
    CX_CHECK(type_of(e, "می\u200cخواهم") == CX_TOK_WORD);
    CX_CHECK(has(e, "می\u200cخواهم", CX_TF_REQUEST));
    CX_CHECK(find(e, "کتاب\u200cها") != NULL);
    DONE(e);
    e = run("نمی‌خواهم‌ ", "fa");   /* a ZWNJ at the end of a word goes */
    CX_CHECK(e && e->n_tokens == 1 && !strcmp(norm_at(e, 0), "نمی\u200cخواهم"));
    CX_CHECK(has(e, "نمی\u200cخواهم", CX_TF_NEGATED_FORM));
    DONE(e);
    /* de: outside Arabic script a ZWNJ only steers ligatures: dropped */
    e = run("Die Auf\u200clage war falsch", "de");
    CX_CHECK(find(e, "auflage") != NULL);
    DONE(e);
    /* hi: ZWNJ / ZWJ choose a conjunct's shape only */
    same_norms("क्\u200dष क्\u200cष", "क्ष क्ष", "hi");
}

static void test_persian_detached_affixes(void) {
    /* «می» typed as a word: joined with the verb after it */
    cx_env *e = run("من این را می خواهم", "fa");
    const cx_token *t = find(e, "می\u200cخواهم");
    CX_CHECK(t && t->type == CX_TOK_WORD && !strcmp(t->surface, "می خواهم"));
    CX_CHECK(t && (t->flags & CX_TF_REQUEST));   /* the lexicon's می‌خواهم matches */
    CX_CHECK(find(e, "می") == NULL && e && e->n_tokens == 4);
    DONE(e);
    /* «نمی» + verb: a negated form; Arabic yeh first */
    e = run("غذا رو نمي خوام", "fa");
    CX_CHECK(has(e, "نمی\u200cخوام", CX_TF_NEGATED_FORM | CX_TF_SENT_END | CX_TF_CLAUSE_END));
    DONE(e);
    /* «ها» / «های» typed apart: joined with the noun before */
    e = run("کتاب ها را نفرستادند و غذا های سرد آوردند", "fa");
    CX_CHECK(find(e, "کتاب\u200cها") && !strcmp(surface_of(e, "کتاب\u200cها"), "کتاب ها"));
    CX_CHECK(find(e, "غذا\u200cهای") != NULL);
    CX_CHECK(find(e, "ها") == NULL && find(e, "های") == NULL);
    DONE(e);
    /* same norms as the correct spelling, also with a ZWNJ and a space */
    same_norms("می خواهم کتاب ها را ببینم", "می‌خواهم کتاب‌ها را ببینم", "fa");
    same_norms("می\u200c خواهم", "می‌خواهم", "fa");
    /* a clause-final «ها» is the spoken emphatic particle: left alone */
    e = run("غذا خیلی خوب بود ها", "fa");
    CX_CHECK(find(e, "ها") && find(e, "بود"));
    DONE(e);
    /* never across punctuation, never a lone «می» at the end, not in Arabic */
    e = run("خوب بود، ها را ببین. سفارش می", "fa");
    CX_CHECK(find(e, "ها") && find(e, "می"));
    DONE(e);
    e = run("لا أريد مي خواهم", "ar");
    CX_CHECK(find(e, "مي") != NULL);
    DONE(e);
}

/* ---- sentence and clause marks ---- */

static void test_bengali_danda(void) {
    cx_env *e = run("খাবার ঠান্ডা ছিল। ডেলিভারি দেরিতে এসেছে৷ আর অর্ডার করব না", "bn");
    CX_CHECK(e && e->n_sents == 3);
    CX_CHECK(count_type(e, CX_TOK_PUNCT) == 2);
    CX_CHECK(e && e->n_tokens > 4 && e->tokens[3].type == CX_TOK_PUNCT && !strcmp(e->tokens[3].norm, ".") &&
             !strcmp(e->tokens[3].surface, "।") && (e->tokens[3].flags & CX_TF_SENT_END));
    CX_CHECK(has(e, "ছিল", CX_TF_CLAUSE_END));
    CX_CHECK(has(e, "না", CX_TF_NEG_POST | CX_TF_SENT_END));
    DONE(e);
    e = run("डिलीवरी बहुत देर से आई। पैसे वापस नहीं मिले।", "hi");   /* Hindi danda */
    CX_CHECK(e && e->n_sents == 2 && count_type(e, CX_TOK_PUNCT) == 2);
    DONE(e);
}

static void test_arabic_punctuation(void) {
    cx_env *e = run("الخدمة سيئة، والتوصيل متأخر؛ لماذا؟ لن أطلب مرة أخرى", "ar");
    CX_CHECK(e && e->n_sents == 2);
    CX_CHECK(has(e, "سيئة", CX_TF_CLAUSE_END | CX_TF_QUESTION));    /* ، */
    CX_CHECK(has(e, "متأخر", CX_TF_CLAUSE_END | CX_TF_QUESTION));   /* ؛ */
    CX_CHECK(has(e, "?", CX_TF_SENT_END | CX_TF_QUESTION) && !strcmp(surface_of(e, "?"), "؟"));
    CX_CHECK(find(e, "لن") && !(find(e, "لن")->flags & CX_TF_QUESTION));
    DONE(e);
    e = run("چرا سفارش من نرسیده؟ لطفاً پیگیری کنید", "fa");
    CX_CHECK(e && e->n_sents == 2 && has(e, "چرا", CX_TF_QUESTION) && has(e, "لطفا", CX_TF_REQUEST));
    DONE(e);
    e = run("ڈیلیوری بہت دیر سے آئی۔ پیسے واپس کرو", "ur");   /* Urdu full stop ۔ */
    CX_CHECK(e && e->n_sents == 2 && has(e, ".", CX_TF_SENT_END));
    DONE(e);
}

/* ---- spaces and invisible characters ---- */

static void test_unicode_spaces(void) {
    cx_env *e = run("The\u00a0delivery\u2007was\u202flate\u3000again", "en");
    CX_CHECK(e && e->n_tokens == 5);
    CX_CHECK(find(e, "delivery") && find(e, "was") && find(e, "late") && find(e, "again"));
    DONE(e);
    /* fr: a no-break space before ! and ? (French typography) */
    e = run("Livraison en retard\u00a0! Vraiment\u202f?", "fr");
    CX_CHECK(e && e->n_sents == 2 && has(e, "retard", CX_TF_EXCLAIM) && has(e, "vraiment", CX_TF_QUESTION));
    DONE(e);
    /* ja: the ideographic space */
    e = run("配達が遅い\u3000返金してください", "ja");
    CX_CHECK(find(e, "配達") && find(e, "返金"));
    DONE(e);
}

static void test_invisible_characters(void) {
    /* a BOM at the start, a word joiner, ZWJ inside a word, a soft hyphen */
    cx_env *e = run("\xef\xbb\xbfRefund not re\u200dceived \u2060yet, Liefe\u00adrung", "en");
    CX_CHECK(e && e->n_tokens == 5);
    CX_CHECK(e && !strcmp(norm_at(e, 0), "refund"));
    CX_CHECK(find(e, "received") && find(e, "yet") && find(e, "lieferung"));
    DONE(e);
    /* Hebrew with a right-to-left mark and an isolate around a word */
    e = run("המשלוח\u200f הגיע \u2067מאוחר\u2069", "he");
    CX_CHECK(e && e->n_tokens == 3 && find(e, "המשלוח") && find(e, "מאוחר"));
    DONE(e);
    /* a zero-width space is a word boundary (Khmer and Thai use it so) */
    e = run("re\u200bfund", "en");
    CX_CHECK(e && e->n_tokens == 2 && find(e, "re") && find(e, "fund"));
    DONE(e);
}

/* ---- segmentation ---- */

static void test_fused_words(void) {
    /* bad machine translation glues words; the segmenter has no English
     * dictionary, so they stay one token (nothing guesses at splits) */
    cx_env *e = run("The servicewas bad and deliverywas late", "en");
    CX_CHECK(e && e->n_tokens == 6);
    CX_CHECK(find(e, "servicewas") && find(e, "deliverywas") && find(e, "bad") && find(e, "late"));
    DONE(e);
    /* a missing space after a full stop does split */
    e = run("thedeliverywaslate.Theservicewasbad!!!", "en");
    CX_CHECK(e && e->n_tokens == 3 && find(e, "thedeliverywaslate") && find(e, "theservicewasbad"));
    CX_CHECK(has(e, "!", CX_TF_STRETCHED | CX_TF_EXCLAIM));
    DONE(e);
    /* Latin glued to Han splits at the script change */
    e = run("快递delay了三天", "zh");
    CX_CHECK(find(e, "快递") && find(e, "delay"));
    DONE(e);
    e = run("DieLieferungwarzuspät", "de");
    CX_CHECK(e && e->n_tokens == 1);
    DONE(e);
}

static void test_cjk_without_spaces(void) {
    cx_env *e = run("快递太慢了，客服态度也很差。我要退款", "zh");
    CX_CHECK(e && e->n_sents == 2);
    CX_CHECK(count_type(e, CX_TOK_WORD) >= 8);
    CX_CHECK(find(e, "快递") && find(e, "态度") && find(e, "退款"));
    CX_CHECK(has(e, "了", CX_TF_CLAUSE_END));   /* full-width comma */
    DONE(e);
    e = run("配達が遅すぎます。返金してください", "ja");
    CX_CHECK(e && e->n_sents == 2 && count_type(e, CX_TOK_WORD) >= 6);
    CX_CHECK(find(e, "配達") && find(e, "返金"));
    DONE(e);
    e = run("배송이 너무 늦었어요. 환불해 주세요!", "ko");   /* Korean has spaces */
    CX_CHECK(e && e->n_sents == 2 && find(e, "배송이") && has(e, "주세요", CX_TF_EXCLAIM));
    DONE(e);
}

static void test_southeast_asian_scripts(void) {
    cx_env *e = run("ส่งของช้ามาก พนักงานไม่สุภาพ", "th");
    CX_CHECK(count_type(e, CX_TOK_WORD) >= 6 && find(e, "พนักงาน") && find(e, "ช้า"));
    DONE(e);
    e = run("សេវាកម្មយឺតណាស់ ខ្ញុំមិនពេញចិត្តទេ", "km");
    CX_CHECK(count_type(e, CX_TOK_WORD) >= 5 && find(e, "សេវាកម្ម"));
    DONE(e);
    e = run("ການບໍລິການຊ້າຫຼາຍ ຂ້ອຍບໍ່ພໍໃຈ", "lo");
    CX_CHECK(count_type(e, CX_TOK_WORD) >= 4 && find(e, "ບໍລິການ"));
    DONE(e);
    e = run("ပို့ဆောင်မှုနှေးလွန်းတယ်။ ငွေပြန်အမ်းပါ", "my");
    CX_CHECK(e && e->n_sents == 2 && count_type(e, CX_TOK_WORD) >= 6);
    CX_CHECK(has(e, ".", CX_TF_SENT_END) && !strcmp(surface_of(e, "."), "။"));
    DONE(e);
}

/* ---- token types ---- */

static void test_emoji(void) {
    cx_env *e = run("Family trip \U0001F468\u200d\U0001F469\u200d\U0001F467 was great "
                    "\U0001F44D\U0001F3FD \U0001F1E9\U0001F1EA\U0001F1EB\U0001F1F7 \u2764\ufe0f "
                    "\U0001F926\U0001F3FB\u200d\u2640\ufe0f",
                    "en");
    CX_CHECK(count_type(e, CX_TOK_EMOJI) == 6);
    CX_CHECK(type_of(e, "\U0001F468\u200d\U0001F469\u200d\U0001F467") == CX_TOK_EMOJI);   /* ZWJ family: one */
    CX_CHECK(type_of(e, "\U0001F44D") == CX_TOK_EMOJI &&
             !strcmp(surface_of(e, "\U0001F44D"), "\U0001F44D\U0001F3FD"));   /* skin tone off the norm */
    CX_CHECK(type_of(e, "\U0001F1E9\U0001F1EA") == CX_TOK_EMOJI && type_of(e, "\U0001F1EB\U0001F1F7") == CX_TOK_EMOJI);
    CX_CHECK(type_of(e, "\u2764") == CX_TOK_EMOJI);   /* VS16 off */
    CX_CHECK(type_of(e, "\U0001F926\u200d\u2640") == CX_TOK_EMOJI);
    CX_CHECK(has(e, "trip", CX_TF_CLAUSE_END));
    DONE(e);
    /* emoji in right-to-left and Indic text; repeats stay separate tokens */
    e = run("غذا سرد بود \U0001F621\U0001F621\U0001F621", "fa");
    CX_CHECK(count_type(e, CX_TOK_EMOJI) == 3 && has(e, "بود", CX_TF_CLAUSE_END));
    DONE(e);
    e = run("খাবার দারুণ \U0001F60D\U0001F44C\U0001F3FE", "bn");
    CX_CHECK(count_type(e, CX_TOK_EMOJI) == 2 && type_of(e, "\U0001F44C") == CX_TOK_EMOJI);
    DONE(e);
    /* a keycap is an emoji, not a number */
    e = run("Bewertung 1\ufe0f\u20e3 von 5", "de");
    CX_CHECK(count_type(e, CX_TOK_EMOJI) == 1 && type_of(e, "5") == CX_TOK_NUMBER && find(e, "1") == NULL);
    DONE(e);
}

static void test_emoticons(void) {
    cx_env *e = run("Lieferung kam nie an :-( aber Support war nett :)", "de");
    CX_CHECK(type_of(e, ":(") == CX_TOK_EMOTICON && type_of(e, ":)") == CX_TOK_EMOTICON);
    DONE(e);
    e = run("jajaja XD la app va genial ^_^ pero el envío T_T", "es");
    CX_CHECK(type_of(e, "xd") == CX_TOK_EMOTICON && type_of(e, "^_^") == CX_TOK_EMOTICON &&
             type_of(e, "t_t") == CX_TOK_EMOTICON);
    CX_CHECK(find(e, "jajaja") != NULL);
    DONE(e);
    e = run("Доставка опоздала :((( но курьер вежливый <3", "ru");
    CX_CHECK(has(e, ":(", CX_TF_STRETCHED) && type_of(e, "<3") == CX_TOK_EMOTICON);
    DONE(e);
}

static void test_urls_emails_mentions_hashtags(void) {
    cx_env *e = run("Schreiben Sie an Kundendienst@Shop.DE oder HTTPS://WWW.Shop.de/Retoure?id=7 @MaxMuster "
                    "#LieferungVerspätet #2",
                    "de");
    CX_CHECK(type_of(e, "kundendienst@shop.de") == CX_TOK_EMAIL);
    CX_CHECK(type_of(e, "https://www.shop.de/Retoure?id=7") == CX_TOK_URL);
    CX_CHECK(type_of(e, "@maxmuster") == CX_TOK_MENTION);
    CX_CHECK(type_of(e, "#lieferungverspätet") == CX_TOK_HASHTAG);
    CX_CHECK(type_of(e, "2") == CX_TOK_NUMBER);
    DONE(e);
    /* hashtags and mentions in other scripts, a URL inside Persian text */
    e = run("#تاخیر_ارسال سفارش من https://shop.example.ir/order?id=۱۲ @پشتیبانی", "fa");
    CX_CHECK(type_of(e, "#تاخیر_ارسال") == CX_TOK_HASHTAG);
    CX_CHECK(count_type(e, CX_TOK_URL) == 1 && type_of(e, "@پشتیبانی") == CX_TOK_MENTION);
    DONE(e);
    e = run("#配達遅延 返金まだ @support_jp", "ja");
    CX_CHECK(type_of(e, "#配達遅延") == CX_TOK_HASHTAG && type_of(e, "@support_jp") == CX_TOK_MENTION);
    DONE(e);
}

/* ---- Indic, Korean, Hebrew, Cyrillic, Vietnamese ---- */

static void test_tamil_vowel_signs(void) {
    /* கொ typed as one sign (U+0BCA) or as its two halves (U+0BC6 U+0BBE) */
    same_norms("கொடுத்த பணம்", "\u0b95\u0bc6\u0bbe\u0b9f\u0bc1\u0ba4\u0bcd\u0ba4 பணம்", "ta");
    cx_env *e = run("டெலிவரி தாமதமாக வந்தது, பணம் திரும்பப் கிடைக்கவில்லை", "ta");
    CX_CHECK(e && e->n_tokens == 6);   /* vowel signs and pulli (ப்ப) stay inside their words */
    CX_CHECK(find(e, "திரும்பப்") && find(e, "கிடைக்கவில்லை"));
    CX_CHECK(has(e, "கிடைக்கவில்லை", CX_TF_NEGATED_FORM));
    CX_CHECK(has(e, "வந்தது", CX_TF_CLAUSE_END));
    for (uint32_t i = 0; e && i < e->n_tokens; i++) {   /* no token starts with a combining sign */
        const unsigned char *s = (const unsigned char *)e->tokens[i].norm;
        CX_CHECK(!(s[0] == 0xE0 && s[1] == 0xAF && s[2] >= 0x80 && s[2] <= 0x8D));
    }
    DONE(e);
}

static void test_devanagari(void) {
    /* ज़ precomposed (U+095B) and as ज + nukta */
    same_norms("\u095b\u094dयादा देर", "ज\u093c\u094dयादा देर", "hi");
    cx_env *e = run("डिलीवरी बहुत देर से आई, पैसे वापस नहीं मिले", "hi");
    CX_CHECK(e && e->n_tokens == 9 && find(e, "डिलीवरी") && has(e, "आई", CX_TF_CLAUSE_END));
    CX_CHECK(has(e, "से", CX_TF_STOP));
    DONE(e);
}

static void test_korean_jamo(void) {
    /* Hangul from a decomposing keyboard (conjoining jamo) = precomposed */
    same_norms("\u1107\u1162\u1109\u1169\u11bc\u110b\u1175 \u1102\u1173\u11bd\u110b\u1165\u11bb\u110b\u1165\u110b\u116d",
               "배송이 늦었어요", "ko");
}

static void test_hebrew_points(void) {
    /* niqqud is dropped like harakat: pointed and plain spellings meet */
    same_norms("הַשֵּׁרוּת הָיָה גָּרוּעַ", "השרות היה גרוע", "he");
    cx_env *e = run("השירות היה גרוע מאוד, המשלוח הגיע מאוחר", "he");
    CX_CHECK(has(e, "מאוד", CX_TF_CLAUSE_END) && has(e, "היה", CX_TF_STOP));
    DONE(e);
}

static void test_russian(void) {
    cx_env *e = run("ДОСТАВКА опоздала на неделю, ёлка сломана. Верните деньги!", "ru");
    CX_CHECK(has(e, "доставка", CX_TF_ALLCAPS));
    CX_CHECK(has(e, "на", CX_TF_STOP) && has(e, "неделю", CX_TF_CLAUSE_END));
    CX_CHECK(e && e->n_sents == 2 && has(e, "деньги", CX_TF_EXCLAIM));
    const cx_token *a = find(e, "ёлка");   /* ё kept in the norm; the stemmer reads it as е */
    cx_env *f = run("елка", "ru");
    CX_CHECK(a && f && f->n_tokens == 1 && !strcmp(a->stem, f->tokens[0].stem));
    cx_env_destroy(&f);
    DONE(e);
}

static void test_vietnamese_diacritics(void) {
    /* decomposed input (combining marks) = precomposed; tone marks matter */
    same_norms("Giao ha\u0300ng qua\u0301 cha\u0323\u0302m", "Giao hàng quá chậm", "vi");
    same_norms("GIAO HÀNG QUÁ CHẬM", "giao hàng quá chậm", "vi");
    cx_env *e = run("chậm châm", "vi");
    CX_CHECK(e && e->n_tokens == 2 && strcmp(norm_at(e, 0), norm_at(e, 1)) != 0);
    DONE(e);
}

/* ---- light stemmers (lexicons/stemming) ---- */

static const char *stem_of(const cx_env *e, const char *norm) {
    const cx_token *t = find(e, norm);
    return t ? t->stem : "(no token)";
}

static void test_light_stemmers(void) {
    cx_env *e = run("کتاب‌ها خوبه بدترین کم غذاهایشان سفارشات مودبانه", "fa");
    CX_CHECK_STR(stem_of(e, "کتاب\u200cها"), "کتاب");   /* the ZWNJ goes with the suffix */
    CX_CHECK_STR(stem_of(e, "خوبه"), "خوب");
    CX_CHECK_STR(stem_of(e, "بدترین"), "بد");
    CX_CHECK_STR(stem_of(e, "غذاهایشان"), "غذا");
    CX_CHECK_STR(stem_of(e, "سفارشات"), "سفارش");
    CX_CHECK_STR(stem_of(e, "مودبانه"), "مودب");
    const cx_token *t = find(e, "کم");   /* too short to lose its -م */
    CX_CHECK(t && t->stem == t->norm);
    DONE(e);
    e = run("کتاب ها را آوردند", "fa");   /* joined affixes are stemmed like typed ones */
    CX_CHECK_STR(stem_of(e, "کتاب\u200cها"), "کتاب");
    DONE(e);
    e = run("খাবারটি ভালোই ছিল, দোকানের মেনুগুলো সম্পূর্ণভাবে নতুন", "bn");
    CX_CHECK_STR(stem_of(e, "খাবারটি"), "খাবার");
    CX_CHECK_STR(stem_of(e, "ভালোই"), "ভালো");
    CX_CHECK_STR(stem_of(e, "দোকানের"), "দোকান");
    CX_CHECK_STR(stem_of(e, "মেনুগুলো"), "মেনু");
    CX_CHECK_STR(stem_of(e, "সম্পূর্ণভাবে"), "সম্পূর্ণ");
    DONE(e);
    CX_CHECK(!cx_text_has_stemmer("fa") && !cx_text_has_stemmer("bn"));   /* Snowball has none */
}

/* The file format: comments, minimum stem lengths, longest suffix first,
 * bad lines skipped, a file for a Snowball language ignored. */
static void test_stemming_file_format(void) {
    char dir[] = "/tmp/cxquirks-lexXXXXXX", p[512];
    CX_CHECK(mkdtemp(dir) != NULL);
    snprintf(p, sizeof p, "%s/stemming", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/stemming/xx.tsv", dir);
    FILE *f = fopen(p, "w");
    CX_CHECK(f != NULL);
    if (!f) return;
    fputs("# test suffixes\n\nS\nes\t4\nless\t4\nbad\tx\nzz\t0\n", f);   /* "S" is folded to "s" */
    fclose(f);
    snprintf(p, sizeof p, "%s/stemming/en.tsv", dir);
    if ((f = fopen(p, "w"))) { fputs("s\n", f); fclose(f); }
    char err[256];
    cx_text_opts o = {.lexicon_dir = dir, .default_lang = "und", .trust_hint = 1};
    cx_text *t = cx_text_new(&o, err, sizeof err);
    CX_CHECK(t != NULL);
    cx_env *e = cx_env_new();
    if (t && e) {
        e->text = "glasses boxes hopeless useless cats as ZZbad";
        CX_CHECK(cx_text_analyze(t, e, "xx", err, sizeof err) == 0);
        CX_CHECK(e->n_tokens == 7);
        CX_CHECK_STR(stem_of(e, "glasses"), "glass");    /* "es" before "s" */
        CX_CHECK_STR(stem_of(e, "boxes"), "boxe");       /* "es" would leave 3 < 4: "s" instead */
        CX_CHECK_STR(stem_of(e, "hopeless"), "hope");
        CX_CHECK_STR(stem_of(e, "useless"), "useles");
        CX_CHECK_STR(stem_of(e, "cats"), "cat");
        CX_CHECK_STR(stem_of(e, "as"), "as");            /* 1 letter left < 2 (default) */
        CX_CHECK_STR(stem_of(e, "zzbad"), "zzbad");      /* the bad lines were skipped */
        cx_env_destroy(&e);
        e = cx_env_new();
        e->text = "cats";
        CX_CHECK(cx_text_analyze(t, e, "en", err, sizeof err) == 0);
        CX_CHECK(e->n_tokens == 1 && !strcmp(e->tokens[0].stem, "cat"));   /* Snowball, file ignored */
    }
    cx_env_destroy(&e);
    cx_text_destroy(&t);
    unlink(p);
    snprintf(p, sizeof p, "%s/stemming/xx.tsv", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/stemming", dir);
    rmdir(p);
    rmdir(dir);
}

int main(void) {
    char err[256] = "";
    cx_text_opts o = {.lexicon_dir = "lexicons", .default_lang = "und", .trust_hint = 1};
    T = cx_text_new(&o, err, sizeof err);
    if (!T) {
        fprintf(stderr, "cx_text_new(lexicons): %s\n", err);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    CX_RUN(test_fullwidth_and_ligatures);
    CX_RUN(test_german_sharp_s);
    CX_RUN(test_turkish_i);
    CX_RUN(test_greek_sigma_and_accents);
    CX_RUN(test_persian_letter_variants);
    CX_RUN(test_tatweel_and_harakat);
    CX_RUN(test_digits_of_every_script);
    CX_RUN(test_zwnj_words);
    CX_RUN(test_persian_detached_affixes);
    CX_RUN(test_bengali_danda);
    CX_RUN(test_arabic_punctuation);
    CX_RUN(test_unicode_spaces);
    CX_RUN(test_invisible_characters);
    CX_RUN(test_fused_words);
    CX_RUN(test_cjk_without_spaces);
    CX_RUN(test_southeast_asian_scripts);
    CX_RUN(test_emoji);
    CX_RUN(test_emoticons);
    CX_RUN(test_urls_emails_mentions_hashtags);
    CX_RUN(test_tamil_vowel_signs);
    CX_RUN(test_devanagari);
    CX_RUN(test_korean_jamo);
    CX_RUN(test_hebrew_points);
    CX_RUN(test_russian);
    CX_RUN(test_vietnamese_diacritics);
    CX_RUN(test_light_stemmers);
    CX_RUN(test_stemming_file_format);
    cx_text_destroy(&T);
    CX_DONE();
}
