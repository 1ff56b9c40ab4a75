/* test_text.c - unit tests of the text analysis (stages/tokenize/cx_text.c,
 * langid.c, cx_lex.c): normalisation, segmentation, token types, stems,
 * lexicon and structural flags, language detection, reload, bounds and
 * allocation failures.  Runs from the source directory (ctest sets it) and
 * uses the small fixture lexicons in tests/data/text/lexicons. */
#include "cx_alloc.h"
#include "cx_env.h"
#include "cx_log.h"
#include "cx_test.h"
#include "cx_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE "tests/data/text/lexicons"

static cx_text *T;   /* analyser on the fixture lexicons, detection on, hints trusted */

static cx_text *make(const char *dir, const char *deflang) {
    char err[256] = "";
    cx_text_opts o = {.lexicon_dir = dir, .default_lang = deflang, .trust_hint = 1, .redact_pii = 0};
    cx_text *t = cx_text_new(&o, err, sizeof err);
    if (!t) fprintf(stderr, "cx_text_new(%s): %s\n", dir, err);
    return t;
}

/* Analyse text with an optional forced language and hint; NULL on failure. */
static cx_env *run_hint(const char *text, const char *lang, const char *hint) {
    cx_env *e = cx_env_new();
    if (!e) return NULL;
    e->text = text;
    e->lang_hint = hint;
    char err[256];
    if (cx_text_analyze(T, e, lang, err, sizeof err) < 0) {
        fprintf(stderr, "analyze: %s\n", err);
        cx_env_destroy(&e);
    }
    return e;
}
static cx_env *run(const char *text, const char *lang) { return run_hint(text, lang, NULL); }

static const cx_token *find(const cx_env *e, const char *norm) {
    for (uint32_t i = 0; e && i < e->n_tokens; i++)
        if (!strcmp(e->tokens[i].norm, norm)) return &e->tokens[i];
    return NULL;
}
static uint32_t flags_of(const cx_env *e, const char *norm) {
    const cx_token *t = find(e, norm);
    return t ? t->flags : 0xFFFFFFFFu;   /* all bits: makes "flag absent" checks fail loudly */
}
static int has(const cx_env *e, const char *norm, uint32_t f) {
    const cx_token *t = find(e, norm);
    return t && (t->flags & f) == f;
}
static int type_of(const cx_env *e, const char *norm) {
    const cx_token *t = find(e, norm);
    return t ? t->type : -1;
}
static int count_type(const cx_env *e, int type) {
    int n = 0;
    for (uint32_t i = 0; e && i < e->n_tokens; i++) n += e->tokens[i].type == type;
    return n;
}
static void dump(const cx_env *e) {
    char fl[256];
    for (uint32_t i = 0; e && i < e->n_tokens; i++)
        fprintf(stderr, "   [%u] s%u %-8s %s | %s | %s | %s\n", i, e->tokens[i].sent, cx_tok_type_name(e->tokens[i].type),
                e->tokens[i].surface, e->tokens[i].norm, e->tokens[i].stem,
                cx_text_flag_names(e->tokens[i].flags, fl, sizeof fl));
}

/* ---- life cycle ---- */

static void test_missing_dir_fails(void) {
    char err[256] = "";
    cx_text_opts o = {.lexicon_dir = "/nonexistent/cxflow-lexicons", .default_lang = "und", .trust_hint = 1};
    cx_text *t = cx_text_new(&o, err, sizeof err);
    CX_CHECK(t == NULL);
    CX_CHECK(strstr(err, "lexicon directory") != NULL);
    CX_CHECK(strstr(err, "/nonexistent/cxflow-lexicons") != NULL);
    o.lexicon_dir = NULL;
    CX_CHECK(cx_text_new(&o, err, sizeof err) == NULL);
    cx_text_destroy(&t);
}

static void test_real_lexicons_load(void) {
    cx_text *t = make("lexicons", "und");
    CX_CHECK(t != NULL);
    if (!t) return;
    char langs[256];
    cx_text_lexicon_langs(t, langs, sizeof langs);
    printf("     real lexicons: %s\n", langs);
    cx_env *e = cx_env_new();
    e->text = "The refund never arrived and nobody answers my emails, very disappointing!";
    char err[128];
    CX_CHECK(cx_text_analyze(t, e, NULL, err, sizeof err) == 0);
    CX_CHECK_STR(e->lang, "en");
    CX_CHECK(e->n_tokens >= 12);
    cx_env_destroy(&e);
    cx_text_destroy(&t);
}

static void test_fixture_loaded(void) {
    char langs[256];
    int n = cx_text_lexicon_langs(T, langs, sizeof langs);
    CX_CHECK(n == 7);   /* en de es fa bn ta fr (sentiment/en.tsv adds no language) */
    CX_CHECK(strstr(langs, "fa") && strstr(langs, "ta") && strstr(langs, "fr"));
    CX_CHECK_NEAR(cx_text_rule_weight(T, "en", "very", 1.0f), 1.3, 1e-6);
    CX_CHECK_NEAR(cx_text_rule_weight(T, "en", "a bit", 1.0f), 0.7, 1e-6);
    CX_CHECK_NEAR(cx_text_rule_weight(T, "en", "refund", 1.0f), 1.0, 1e-6);
    CX_CHECK_NEAR(cx_text_rule_weight(T, "xx", "very", 2.0f), 2.0, 1e-6);
}

/* ---- normalisation and script fixes ---- */

static void test_persian_zwnj_one_token(void) {
    cx_env *e = run("من می‌خواهم این سفارش را لغو کنم", NULL);
    CX_CHECK_STR(e->lang, "fa");
    CX_CHECK(e->n_tokens == 7);
    const cx_token *t = find(e, "می\u200cخواهم");
    CX_CHECK(t != NULL);
    CX_CHECK(t && t->type == CX_TOK_WORD);
    CX_CHECK(t && strstr(t->norm, "\u200c") != NULL);   /* ZWNJ kept inside the word */
    CX_CHECK(has(e, "من", CX_TF_STOP));
    if (cx_t_cur_failed) dump(e);
    cx_env_destroy(&e);
}

static void test_persian_yeh_kaf(void) {
    /* Persian typed on an Arabic keyboard: ي and ك */
    cx_env *e = run_hint("اين كتاب خيلي خوب است", NULL, "fa");
    CX_CHECK_STR(e->lang, "fa");
    CX_CHECK(find(e, "این") != NULL);
    CX_CHECK(find(e, "کتاب") != NULL);
    CX_CHECK(has(e, "خیلی", CX_TF_INTENSIFIER));   /* matches the lexicon only after the fix */
    CX_CHECK(has(e, "این", CX_TF_STOP));
    CX_CHECK(e->n_tokens && !strcmp(e->tokens[2].surface, "خيلي"));   /* surface as written */
    cx_env_destroy(&e);
    /* Arabic keeps its letters */
    e = run("هذا الكتاب جيد جدا", NULL);
    CX_CHECK_STR(e->lang, "ar");
    CX_CHECK(find(e, "الكتاب") != NULL);
    cx_env_destroy(&e);
}

static void test_tatweel_harakat(void) {
    cx_env *e = run("خیـــلی بـــد بود، مُشکِل حل نشد", "fa");
    CX_CHECK(has(e, "خیلی", CX_TF_INTENSIFIER));
    CX_CHECK(find(e, "بد") != NULL);
    CX_CHECK(find(e, "مشکل") != NULL);
    CX_CHECK(has(e, "بود", CX_TF_CLAUSE_END));   /* Persian comma ، */
    if (cx_t_cur_failed) dump(e);
    cx_env_destroy(&e);
}

static void test_persian_digits(void) {
    cx_env *e = run("سفارش من ۱۴ روز است که نرسیده", NULL);
    CX_CHECK_STR(e->lang, "fa");
    CX_CHECK(type_of(e, "14") == CX_TOK_NUMBER);
    const cx_token *t = find(e, "14");
    CX_CHECK(t && !strcmp(t->surface, "۱۴"));
    cx_env_destroy(&e);
    e = run("الطلب متأخر ١٢ يوما", NULL);   /* Arabic-Indic digits */
    CX_CHECK(type_of(e, "12") == CX_TOK_NUMBER);
    cx_env_destroy(&e);
    e = run("ডেলিভারি ৩ দিন দেরি", NULL);   /* Bengali digits */
    CX_CHECK(type_of(e, "3") == CX_TOK_NUMBER);
    cx_env_destroy(&e);
}

static void test_nbsp_is_space(void) {
    cx_env *e = run("refund\u00a0not\u00a0received\u202fyet", "en");
    CX_CHECK(e->n_tokens == 4);
    CX_CHECK(find(e, "refund") && find(e, "not") && find(e, "received") && find(e, "yet"));
    cx_env_destroy(&e);
}

static void test_case_fold_nfkc(void) {
    cx_env *e = run("ＲＥＦＵＮＤ Größe ﬁne", "de");
    CX_CHECK(find(e, "refund") != NULL);   /* fullwidth -> ASCII, folded */
    CX_CHECK(find(e, "grösse") != NULL);   /* ß folds to ss */
    CX_CHECK(find(e, "fine") != NULL);     /* ligature */
    CX_CHECK(e->n_tokens == 3 && !strcmp(e->tokens[1].surface, "Größe"));
    cx_env_destroy(&e);
    e = run("IŞIK çok kötü", "tr");        /* Turkish dotless i */
    CX_CHECK(find(e, "ışık") != NULL);
    cx_env_destroy(&e);
    e = run("don’t", "en");                /* curly apostrophe */
    CX_CHECK(has(e, "don't", CX_TF_NEGATOR));
    cx_env_destroy(&e);
}

/* ---- segmentation and sentences ---- */

static void test_bengali_danda(void) {
    cx_env *e = run("ডেলিভারি খুব দেরিতে এসেছে। প্যাকেট ভাঙা ছিল৷ আর কখনো কিনব না", NULL);
    CX_CHECK_STR(e->lang, "bn");
    CX_CHECK(e->n_sents == 3);
    CX_CHECK(count_type(e, CX_TOK_PUNCT) == 2);
    const cx_token *d = find(e, ".");
    CX_CHECK(d && (d->flags & CX_TF_SENT_END) && !strcmp(d->surface, "।"));
    CX_CHECK(has(e, "খুব", CX_TF_INTENSIFIER));
    CX_CHECK(has(e, "না", CX_TF_NEG_POST | CX_TF_SENT_END | CX_TF_CLAUSE_END));
    if (cx_t_cur_failed) dump(e);
    cx_env_destroy(&e);
}

static void test_sentences(void) {
    cx_env *e = run("The app crashes on start. Support never answered! Why is that?", NULL);
    CX_CHECK(e->n_sents == 3);
    CX_CHECK(has(e, "start", CX_TF_CLAUSE_END) && !(flags_of(e, "crashes") & CX_TF_CLAUSE_END));
    CX_CHECK(has(e, "app", 0) && !(flags_of(e, "app") & (CX_TF_QUESTION | CX_TF_EXCLAIM)));
    CX_CHECK(has(e, "support", CX_TF_EXCLAIM) && !(flags_of(e, "support") & CX_TF_QUESTION));
    CX_CHECK(has(e, "why", CX_TF_QUESTION));
    CX_CHECK(has(e, "?", CX_TF_SENT_END | CX_TF_QUESTION));
    for (uint32_t i = 0; i < e->n_tokens; i++)
        if (e->tokens[i].flags & CX_TF_SENT_END) CX_CHECK(e->tokens[i].type == CX_TOK_PUNCT);
    cx_env_destroy(&e);
    /* the emoji after "!" stays in the first sentence */
    e = run("Great service!!! 😀 Will order again", "en");
    CX_CHECK(e->n_sents == 2);
    const cx_token *em = find(e, "😀");
    CX_CHECK(em && em->sent == 0 && (em->flags & CX_TF_SENT_END) && (em->flags & CX_TF_EXCLAIM));
    CX_CHECK(has(e, "!", CX_TF_STRETCHED));
    CX_CHECK(has(e, "service", CX_TF_CLAUSE_END));
    cx_env_destroy(&e);
    /* Persian question mark, Chinese full stop */
    e = run("چرا سفارش من نرسیده؟ لطفاً پیگیری کنید", NULL);
    CX_CHECK(e->n_sents == 2);
    CX_CHECK(has(e, "چرا", CX_TF_QUESTION));
    CX_CHECK(has(e, "لطفا", CX_TF_REQUEST));   /* tanwin removed */
    cx_env_destroy(&e);
    e = run("", NULL);
    CX_CHECK(e && e->n_tokens == 0 && e->n_sents == 0);
    cx_env_destroy(&e);
    e = run("  ,,, -- ( ) ", NULL);
    CX_CHECK(e && e->n_tokens == 0 && e->n_sents == 0);
    cx_env_destroy(&e);
}

/* "sentence:norm ..." of every token, for comparing segmentations. */
static const char *sent_norms(const cx_env *e, char *buf, size_t n) {
    size_t o = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; e && i < e->n_tokens && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%u:%s", i ? " " : "", e->tokens[i].sent, e->tokens[i].norm);
    return buf;
}

/* The shortcuts around ICU's iterators (cx_text.c: sentence_window, which
 * shows the sentence iterator only the text from just before the first
 * terminal to just after the last one, and the whitespace that skips the
 * word iterator) give what ICU gives over the whole text: these are the
 * segmentations of running ICU on all of it. */
static void test_sentence_window(void) {
    static const struct { const char *text, *want; } c[] = {
        /* SB8: "etc." before a lower-case word goes on */
        {"I paid 5 euros etc. and nothing came. Never again",
         "0:i 0:paid 0:5 0:euros 0:etc 0:. 0:and 0:nothing 0:came 0:. 1:never 1:again"},
        /* closing quote and spaces after the terminal */
        {"He said \"stop.\" Then he left! Bye", "0:he 0:said 0:stop 0:. 1:then 1:he 1:left 1:! 2:bye"},
        {"Mr. Smith was late. Very late", "0:mr 0:. 1:smith 1:was 1:late 1:. 2:very 2:late"},
        /* separators: LF, CR LF, U+2029 */
        {"first line\nsecond line. third one\r\nfourth",
         "0:first 0:line 1:second 1:line 1:. 1:third 1:one 2:fourth"},
        {"ok\xE2\x80\xA9next para. yes", "0:ok 1:next 1:para 1:. 1:yes"},
        /* a supplementary terminal (Brahmi danda) before the first BMP one */
        {"abc\xF0\x91\x81\x87 def. Ghi", "0:abc 1:def 1:. 2:ghi"},
        {"Price was 3.50 today. Good? Yes", "0:price 0:was 0:3.50 0:today 0:. 1:good 1:? 2:yes"},
        {"Really?!  (Sure.)  Fine.", "0:really 0:? 0:! 1:sure 1:. 2:fine 2:."},
        {"e.g. this is fine. OK", "0:e.g 0:. 0:this 0:is 0:fine 0:. 1:ok"},
        {"No way... really. I mean it", "0:no 0:way 0:... 0:really 0:. 1:i 1:mean 1:it"},
        /* an Extend character after the terminal */
        {"Done.\xCC\x81 Next", "0:done 0:. 1:next"},
        /* runs of ASCII blanks and controls; a combining mark or ZWJ after a space */
        {"a \t b  c\r\n d \xC2\xA0 e", "0:a 0:b 0:c 1:d 1:e"},
        {"word \xCC\x81x and  \xE2\x80\x8Dy z", "0:word 0:x 0:and 0:y 0:z"},
    };
    char buf[512];
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        cx_env *e = run(c[i].text, "en");
        CX_CHECK_STR(sent_norms(e, buf, sizeof buf), c[i].want);
        cx_env_destroy(&e);
    }
}

static void test_cjk_thai(void) {
    cx_env *e = run("我们的订单还没有到。退款很慢", NULL);
    CX_CHECK_STR(e->lang, "zh");
    CX_CHECK(e->n_sents == 2);
    CX_CHECK(count_type(e, CX_TOK_WORD) >= 6);
    CX_CHECK(find(e, "订单") != NULL);
    cx_env_destroy(&e);
    e = run("บริการแย่มาก รอนานเกินไป", NULL);
    CX_CHECK_STR(e->lang, "th");
    CX_CHECK(count_type(e, CX_TOK_WORD) >= 4);
    CX_CHECK(find(e, "บริการ") != NULL);
    cx_env_destroy(&e);
}

/* ---- token types ---- */

static void test_emoji_emoticons(void) {
    cx_env *e = run("Love the new app 😍👍🏽 but checkout is slow :( :-(( xD <3", "en");
    CX_CHECK(type_of(e, "😍") == CX_TOK_EMOJI);
    const cx_token *t = find(e, "👍");   /* skin tone stripped from the norm */
    CX_CHECK(t && t->type == CX_TOK_EMOJI && !strcmp(t->surface, "👍🏽"));
    CX_CHECK(count_type(e, CX_TOK_EMOTICON) == 4);
    CX_CHECK(type_of(e, ":(") == CX_TOK_EMOTICON);
    CX_CHECK(type_of(e, "xd") == CX_TOK_EMOTICON);   /* canonical forms are lower case */
    CX_CHECK(type_of(e, "<3") == CX_TOK_EMOTICON);
    CX_CHECK(has(e, "app", CX_TF_CLAUSE_END));   /* emoji inside a sentence close the clause */
    int sad = 0;
    for (uint32_t i = 0; i < e->n_tokens; i++)
        if (!strcmp(e->tokens[i].norm, ":(")) sad++;
    CX_CHECK(sad == 2);   /* ":-((" canonicalised to ":(" (STRETCHED) */
    cx_env_destroy(&e);
    e = run("❤️ ✅ © 2024 xDrive 10:30, ratio 1:3, the shoes (size 42): ok", "en");
    CX_CHECK(count_type(e, CX_TOK_EMOJI) == 2);
    CX_CHECK(count_type(e, CX_TOK_EMOTICON) == 0);
    CX_CHECK(find(e, "xdrive") != NULL);
    cx_env_destroy(&e);
    e = run("haha :D =) (: <333 XDD \\o/ ;_;", "en");
    CX_CHECK(count_type(e, CX_TOK_EMOTICON) == 7);
    CX_CHECK(type_of(e, ":d") == CX_TOK_EMOTICON);
    CX_CHECK(has(e, "<3", CX_TF_STRETCHED) && has(e, "xd", CX_TF_STRETCHED));
    CX_CHECK(type_of(e, "\\o/") == CX_TOK_EMOTICON);
    if (cx_t_cur_failed) dump(e);
    cx_env_destroy(&e);
}

static void test_url_email_mention_hashtag(void) {
    cx_env *e = run("Contact me: Jane.Doe+cx@Example.COM or @shop_help, see https://Example.com/Help?id=3. #RefundNow #1",
                    NULL);
    CX_CHECK_STR(e->lang, "en");
    CX_CHECK(type_of(e, "jane.doe+cx@example.com") == CX_TOK_EMAIL);
    CX_CHECK(type_of(e, "@shop_help") == CX_TOK_MENTION);
    CX_CHECK(type_of(e, "https://example.com/Help?id=3") == CX_TOK_URL);
    CX_CHECK(type_of(e, "#refundnow") == CX_TOK_HASHTAG);
    CX_CHECK(type_of(e, "1") == CX_TOK_NUMBER);   /* "#1" is not a hashtag */
    CX_CHECK(has(e, "me", CX_TF_CLAUSE_END));
    CX_CHECK(e->n_sents == 2);                     /* '?' inside the URL does not split */
    const cx_token *u = find(e, "https://example.com/Help?id=3");
    CX_CHECK(u && !strcmp(u->surface, "https://Example.com/Help?id=3"));
    if (cx_t_cur_failed) dump(e);
    cx_env_destroy(&e);
    e = run("visit www.shop.example/faq, or mail info@shop.de", "en");
    CX_CHECK(count_type(e, CX_TOK_URL) == 1 && count_type(e, CX_TOK_EMAIL) == 1);
    cx_env_destroy(&e);
}

/* ---- stems ---- */

static void test_stems(void) {
    cx_env *e = run("Refunds were processed after two weeks of waiting", "en");
    const cx_token *t = find(e, "refunds");
    CX_CHECK(t && !strcmp(t->stem, "refund") && !strcmp(t->surface, "Refunds"));
    t = find(e, "waiting");
    CX_CHECK(t && !strcmp(t->stem, "wait"));
    t = find(e, "two");
    CX_CHECK(t && t->stem == t->norm);   /* unchanged stems share the norm's string */
    cx_env_destroy(&e);
    e = run("Die Lieferungen kamen immer zu spät", "de");
    t = find(e, "lieferungen");
    CX_CHECK(t && !strcmp(t->stem, "liefer"));
    cx_env_destroy(&e);
    e = run("Los reembolsos tardan demasiado", "es");
    t = find(e, "reembolsos");
    CX_CHECK(t && !strcmp(t->stem, "reembols"));
    cx_env_destroy(&e);
    e = run("பணம் திரும்ப வரவில்லை", "ta");
    t = find(e, "வரவில்லை");
    CX_CHECK(t && strcmp(t->stem, t->norm) != 0);   /* Tamil Snowball stemmer ran */
    cx_env_destroy(&e);
    CX_CHECK(cx_text_has_stemmer("en") && cx_text_has_stemmer("de") && cx_text_has_stemmer("pt-BR"));
    CX_CHECK(!cx_text_has_stemmer("fa") && !cx_text_has_stemmer("zh") && !cx_text_has_stemmer(NULL));
}

/* ---- lexicon flags ---- */

static void test_english_flags(void) {
    cx_env *e = run("The app is not very good, but support was extremely helpful. Please add a dark mode!", NULL);
    CX_CHECK_STR(e->lang, "en");
    CX_CHECK(has(e, "not", CX_TF_NEGATOR | CX_TF_STOP));
    CX_CHECK(has(e, "very", CX_TF_INTENSIFIER));
    CX_CHECK(has(e, "good", CX_TF_CLAUSE_END));
    CX_CHECK(has(e, "but", CX_TF_CONTRAST));
    CX_CHECK(has(e, "extremely", CX_TF_INTENSIFIER));
    CX_CHECK(has(e, "please", CX_TF_REQUEST | CX_TF_EXCLAIM));
    CX_CHECK(has(e, "the", CX_TF_STOP));
    CX_CHECK(!(flags_of(e, "app") & (CX_TF_STOP | CX_TF_NEGATOR)));
    CX_CHECK(!(flags_of(e, "the") & CX_TF_EXCLAIM));   /* first sentence has no '!' */
    cx_env_destroy(&e);
    /* contrast word closes the clause before it even without a comma */
    e = run("Delivery was fast however the box was damaged", "en");
    CX_CHECK(has(e, "fast", CX_TF_CLAUSE_END));
    CX_CHECK(has(e, "however", CX_TF_CONTRAST));
    cx_env_destroy(&e);
    /* multi-word terms mark all their tokens */
    e = run("It is a bit slow, on the other hand it is cheap and way too popular", "en");
    CX_CHECK(has(e, "a", CX_TF_DIMINISHER) && has(e, "bit", CX_TF_DIMINISHER));
    CX_CHECK(has(e, "other", CX_TF_CONTRAST) && has(e, "hand", CX_TF_CONTRAST));
    CX_CHECK(has(e, "way", CX_TF_INTENSIFIER) && has(e, "too", CX_TF_INTENSIFIER));
    CX_CHECK(has(e, "slow", CX_TF_CLAUSE_END));
    cx_env_destroy(&e);
    /* n't and bare negations */
    e = run("I don't like it and it didnt work, can't login", "en");
    CX_CHECK(has(e, "don't", CX_TF_NEGATOR));
    CX_CHECK(has(e, "didnt", CX_TF_NEGATOR));
    CX_CHECK(has(e, "can't", CX_TF_NEGATOR));
    CX_CHECK(!(flags_of(e, "like") & CX_TF_NEGATOR));
    cx_env_destroy(&e);
}

static void test_caps_and_stretch(void) {
    cx_env *e = run("This is TERRIBLE and I am sooo angry, goooood grief OK", "en");
    CX_CHECK(has(e, "terrible", CX_TF_ALLCAPS));
    CX_CHECK(!(flags_of(e, "i") & CX_TF_ALLCAPS));   /* one letter is not shouting */
    CX_CHECK(has(e, "ok", CX_TF_ALLCAPS));
    CX_CHECK(has(e, "so", CX_TF_STRETCHED | CX_TF_STOP));   /* "sooo" -> "so": known word */
    CX_CHECK(has(e, "good", CX_TF_STRETCHED));              /* two letters kept: "goooood" -> "good" */
    const cx_token *t = find(e, "so");
    CX_CHECK(t && !strcmp(t->surface, "sooo"));
    cx_env_destroy(&e);
    /* the sentiment vocabulary settles which collapse is a word */
    e = run("baaad, loooove it, cooool", "en");
    CX_CHECK(has(e, "bad", CX_TF_STRETCHED) && has(e, "love", CX_TF_STRETCHED) && has(e, "cool", CX_TF_STRETCHED));
    cx_env_destroy(&e);
    e = run("Die Schifffahrt war sooo schön", "de");   /* German triple letters are spelling */
    CX_CHECK(find(e, "schifffahrt") && !(flags_of(e, "schifffahrt") & CX_TF_STRETCHED));
    cx_env_destroy(&e);
    e = run("خیییییلی بد", "fa");
    CX_CHECK(has(e, "خیلی", CX_TF_STRETCHED | CX_TF_INTENSIFIER));
    cx_env_destroy(&e);
}

static void test_german_spanish_flags(void) {
    cx_env *e = run("Ich habe keine Rückerstattung bekommen, aber der Support war sehr nett. Bitte schnell!", NULL);
    CX_CHECK_STR(e->lang, "de");
    CX_CHECK(has(e, "keine", CX_TF_NEGATOR));   /* via the stem of the rule term "kein" */
    CX_CHECK(has(e, "aber", CX_TF_CONTRAST));
    CX_CHECK(has(e, "sehr", CX_TF_INTENSIFIER | CX_TF_STOP));
    CX_CHECK(has(e, "bitte", CX_TF_REQUEST | CX_TF_EXCLAIM));
    CX_CHECK(has(e, "bekommen", CX_TF_CLAUSE_END));
    cx_env_destroy(&e);
    e = run("Das ist ein bisschen teuer", "de");
    CX_CHECK(has(e, "ein", CX_TF_DIMINISHER) && has(e, "bisschen", CX_TF_DIMINISHER));
    cx_env_destroy(&e);
    e = run("No funciona muy bien; sin embargo, por favor arreglen la app", NULL);
    CX_CHECK_STR(e->lang, "es");
    CX_CHECK(has(e, "no", CX_TF_NEGATOR));
    CX_CHECK(has(e, "sin", CX_TF_CONTRAST) && has(e, "embargo", CX_TF_CONTRAST));
    CX_CHECK(has(e, "por", CX_TF_REQUEST) && has(e, "favor", CX_TF_REQUEST));
    CX_CHECK(has(e, "bien", CX_TF_CLAUSE_END));
    cx_env_destroy(&e);
}

static void test_persian_tamil_bengali_flags(void) {
    cx_env *e = run("پشتیبانی خوب نیست، اما نمی‌خواهم سفارش را لغو کنم", NULL);
    CX_CHECK_STR(e->lang, "fa");
    CX_CHECK(has(e, "نیست", CX_TF_NEG_POST | CX_TF_CLAUSE_END));
    CX_CHECK(has(e, "اما", CX_TF_CONTRAST));
    CX_CHECK(has(e, "نمی\u200cخواهم", CX_TF_NEGATED_FORM));
    cx_env_destroy(&e);
    e = run("டெலிவரி ரொம்ப லேட், ஆனால் பணம் திரும்ப வரவில்லை", NULL);
    CX_CHECK_STR(e->lang, "ta");
    CX_CHECK(has(e, "ரொம்ப", CX_TF_INTENSIFIER));
    CX_CHECK(has(e, "ஆனால்", CX_TF_CONTRAST));
    CX_CHECK(has(e, "வரவில்லை", CX_TF_NEGATED_FORM));
    CX_CHECK(has(e, "லேட்", CX_TF_CLAUSE_END));
    cx_env_destroy(&e);
    e = run("সাপোর্ট ভালো নেই কিন্তু পণ্য এখনো আসেনি। দয়া করে দেখুন", NULL);
    CX_CHECK_STR(e->lang, "bn");
    CX_CHECK(has(e, "নেই", CX_TF_NEG_POST));
    CX_CHECK(has(e, "আসেনি", CX_TF_NEGATED_FORM));
    CX_CHECK(has(e, "দয়া", CX_TF_REQUEST) && has(e, "করে", CX_TF_REQUEST));
    CX_CHECK(e->n_sents == 2);
    if (cx_t_cur_failed) dump(e);
    cx_env_destroy(&e);
}

static void test_french_elision(void) {
    cx_env *e = run("L'application ne marche pas", "fr");
    CX_CHECK(has(e, "l'", CX_TF_STOP));
    CX_CHECK(find(e, "application") != NULL);
    cx_env_destroy(&e);
}

/* ---- language ---- */

static void expect_lang(const char *text, const char *lang) {
    cx_env *e = run(text, NULL);
    if (!e || strcmp(e->lang, lang)) {
        fprintf(stderr, "  detect(\"%s\") = %s (%.2f), expected %s\n", text, e ? e->lang : "?",
                e ? (double)e->lang_conf : 0.0, lang);
        cx_t_cur_failed = 1;
    }
    if (e && strcmp(lang, "und")) CX_CHECK(e->lang_conf > 0.2f);
    cx_env_destroy(&e);
}

static void test_langid(void) {
    expect_lang("I ordered a new phone two weeks ago and it still has not arrived.", "en");
    expect_lang("Ich habe vor zwei Wochen bestellt und die Ware ist immer noch nicht da.", "de");
    expect_lang("Pedí el reembolso hace un mes y todavía no me han devuelto el dinero.", "es");
    expect_lang("Le colis est arrivé en retard et le service client ne répond pas.", "fr");
    expect_lang("O pedido chegou atrasado e ainda não recebi o reembolso.", "pt");
    expect_lang("سفارش من دو هفته است که نرسیده و پشتیبانی جواب نمی‌دهد", "fa");
    expect_lang("لم يصل الطلب بعد أسبوعين وخدمة العملاء لا ترد على الرسائل", "ar");
    expect_lang("অর্ডার করার দুই সপ্তাহ পরেও পণ্য হাতে পাইনি", "bn");
    expect_lang("ஆர்டர் செய்து இரண்டு வாரம் ஆகியும் பொருள் வரவில்லை", "ta");
    expect_lang("Заказ так и не пришёл, служба поддержки не отвечает", "ru");
    expect_lang("Замовлення так і не прийшло, підтримка не відповідає", "uk");
    expect_lang("我的订单两周了还没有到，客服也不回复", "zh");
    expect_lang("注文した商品が二週間たっても届きません", "ja");
    expect_lang("주문한 지 2주가 지났는데 아직 도착하지 않았어요", "ko");
    expect_lang("สั่งของไปสองอาทิตย์แล้วยังไม่ได้รับเลย", "th");
    expect_lang("ok", "und");
    expect_lang("Danke", "und");
    expect_lang("👍👍", "und");
    expect_lang("12345", "und");
}

static void test_lang_hint_and_force(void) {
    cx_env *e = run_hint("ok", NULL, "de-AT");
    CX_CHECK_STR(e->lang, "de");
    CX_CHECK_NEAR(e->lang_conf, 1.0, 1e-6);
    cx_env_destroy(&e);
    e = run_hint("The delivery was late", "es", "de");   /* forced beats the hint */
    CX_CHECK_STR(e->lang, "es");
    cx_env_destroy(&e);
    e = run_hint("The delivery was late", NULL, "???");  /* a bad hint is ignored */
    CX_CHECK_STR(e->lang, "en");
    cx_env_destroy(&e);
    /* untrusted hint, default language */
    char err[128];
    cx_text_opts o = {.lexicon_dir = FIXTURE, .default_lang = "en", .trust_hint = 0};
    cx_text *t = cx_text_new(&o, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) return;
    e = cx_env_new();
    e->text = "Die Lieferung war sehr spät und nicht vollständig";
    e->lang_hint = "en";
    CX_CHECK(cx_text_analyze(t, e, NULL, err, sizeof err) == 0);
    CX_CHECK_STR(e->lang, "de");
    cx_env_destroy(&e);
    e = cx_env_new();
    e->text = "refunds";   /* undetermined: analysed as the default language */
    CX_CHECK(cx_text_analyze(t, e, NULL, err, sizeof err) == 0);
    CX_CHECK_STR(e->lang, "en");
    CX_CHECK(e->lang_conf < 0.5f);
    CX_CHECK(e->n_tokens == 1 && !strcmp(e->tokens[0].stem, "refund"));
    cx_env_destroy(&e);
    cx_text_destroy(&t);
}

/* ---- robustness ---- */

static void test_invalid_utf8_and_bounds(void) {
    cx_env *e = run("refund \xff\xfe not \xc3 received \xe2\x82", "en");
    CX_CHECK(e != NULL);
    CX_CHECK(find(e, "refund") && find(e, "received"));
    for (uint32_t i = 0; e && i < e->n_tokens; i++) {   /* every string is valid UTF-8 */
        const unsigned char *s = (const unsigned char *)e->tokens[i].surface;
        for (; *s; s++) CX_CHECK(*s != 0xff && *s != 0xfe);
    }
    cx_env_destroy(&e);
    /* token cap */
    size_t n = 10000 * 4;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i += 4) memcpy(big + i, "ab. ", 4);
    big[n] = '\0';
    e = run(big, "en");
    CX_CHECK(e && e->n_tokens == CX_TEXT_MAX_TOKENS);
    cx_env_destroy(&e);
    /* word cap */
    for (size_t i = 0; i < n; i++) big[i] = (char)('a' + (i % 7));
    e = run(big, "en");
    CX_CHECK(e && e->n_tokens == 1 && strlen(e->tokens[0].norm) < CX_TEXT_MAX_WORD);
    cx_env_destroy(&e);
    /* a long URL and a long run of emoji stay bounded */
    memcpy(big, "http://", 7);
    e = run(big, "en");
    CX_CHECK(e && e->n_tokens == 1 && e->tokens[0].type == CX_TOK_URL && strlen(e->tokens[0].norm) < CX_TEXT_MAX_WORD);
    cx_env_destroy(&e);
    free(big);
}

/* Hostile shapes of text must stay linear: each 1 MB input is analysed in
 * well under a second (quadratic behaviour would take minutes). */
static void test_hostile_inputs_bounded(void) {
    static const char *const units[] = {".", "@", "#", "x@", "😀", "好", "a.", ":)", "\xcc\x81", "aaaa", "-_-", "http://"};
    size_t n = 1 << 20;
    char *big = malloc(n + 8);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]), o = 0;
        if (u == 3) { memcpy(big, "x@", 2); o = 2; ul = 1; }   /* "x@" then dots: e-mail scan */
        while (o + ul <= n) {
            memcpy(big + o, u == 3 ? "." : units[u], ul);
            o += ul;
        }
        big[o] = '\0';
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cx_env *e = run(big, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        CX_CHECK(e != NULL);
        CX_CHECK(e && e->n_tokens <= CX_TEXT_MAX_TOKENS);
        if (secs > 2.0) {   /* generous: sanitizer builds are slow */
            fprintf(stderr, "  unit '%s': %.2f s\n", units[u], secs);
            cx_t_cur_failed = 1;
        }
        cx_env_destroy(&e);
    }
    free(big);
}

/* Copy src file to dst, appending extra when not NULL.  0 / -1. */
static int copy_file(const char *src, const char *dst, const char *extra) {
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    int rc = in && out ? 0 : -1;
    char buf[4096];
    size_t k;
    while (rc == 0 && (k = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, k, out) != k) rc = -1;
    if (rc == 0 && extra) fputs(extra, out);
    if (in) fclose(in);
    if (out && fclose(out)) rc = -1;
    return rc;
}

static void test_reload(void) {
    char dir[] = "/tmp/cxtext-lexXXXXXX";
    CX_CHECK(mkdtemp(dir) != NULL);
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/rules", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/rules/en.tsv", dir);
    CX_CHECK(copy_file(FIXTURE "/rules/en.tsv", p, NULL) == 0);
    char err[256];
    cx_text_opts o = {.lexicon_dir = dir, .default_lang = "und", .trust_hint = 1};
    cx_text *t = cx_text_new(&o, err, sizeof err);
    CX_CHECK(t != NULL);
    if (!t) return;
    cx_env *e = cx_env_new();
    e->text = "hardly working";
    CX_CHECK(cx_text_analyze(t, e, "en", err, sizeof err) == 0);
    CX_CHECK(e->n_tokens == 2 && !(e->tokens[0].flags & CX_TF_NEGATOR));
    cx_env_destroy(&e);
    CX_CHECK(copy_file(FIXTURE "/rules/en.tsv", p, "negator\thardly\n") == 0);
    CX_CHECK(cx_text_reload(t, err, sizeof err) == 0);
    e = cx_env_new();
    e->text = "hardly working";
    CX_CHECK(cx_text_analyze(t, e, "en", err, sizeof err) == 0);
    CX_CHECK(e->n_tokens == 2 && (e->tokens[0].flags & CX_TF_NEGATOR));
    cx_env_destroy(&e);
    /* the directory disappears: reload fails, the old tables stay */
    unlink(p);
    snprintf(q, sizeof q, "%s/rules", dir);
    rmdir(q);
    rmdir(dir);
    CX_CHECK(cx_text_reload(t, err, sizeof err) == -1);
    CX_CHECK(strstr(err, "lexicon directory") != NULL);
    e = cx_env_new();
    e->text = "hardly working";
    CX_CHECK(cx_text_analyze(t, e, "en", err, sizeof err) == 0);
    CX_CHECK(e->n_tokens == 2 && (e->tokens[0].flags & CX_TF_NEGATOR));
    cx_env_destroy(&e);
    cx_text_destroy(&t);
}

/* Every allocation of cx_text_new and cx_text_analyze may fail: the calls
 * must report it and leave nothing behind (ASan checks the leaks). */
static void test_alloc_failures(void) {
    const char *text = "Please refund my order 😀 :( https://x.example/a #late @shop — it's been 14 days!";
    int new_failed = 0, an_failed = 0, ok = 0;
    cx_log_init("test_text", CX_LOG_ERROR);   /* the fixture's malformed line would warn 400 times */
    for (long k = 1; k < 400; k++) {
        char err[256];
        cx_text_opts o = {.lexicon_dir = FIXTURE, .default_lang = "und", .trust_hint = 1};
        cx_alloc_fail_at(k, 0);
        cx_text *t = cx_text_new(&o, err, sizeof err);
        if (!t) {
            cx_alloc_fail_at(0, 0);
            CX_CHECK(err[0] != '\0');
            new_failed++;
            continue;
        }
        cx_env *e = cx_env_new();
        if (e) {
            e->text = text;
            if (cx_text_analyze(t, e, NULL, err, sizeof err) < 0) an_failed++;
            else ok++;
        }
        cx_alloc_fail_at(0, 0);
        cx_env_destroy(&e);
        cx_text_destroy(&t);
    }
    cx_alloc_fail_at(0, 0);
    /* and then analysis alone, with the analyser built */
    cx_text *t = make(FIXTURE, "und");
    for (long k = 1; t && k < 20; k++) {
        char err[256];
        cx_env *e = cx_env_new();
        e->text = text;
        cx_alloc_fail_at(k, 1);
        int rc = cx_text_analyze(t, e, NULL, err, sizeof err);
        cx_alloc_fail_at(0, 0);
        if (rc < 0) CX_CHECK(strstr(err, "out of memory") != NULL);
        cx_env_destroy(&e);
    }
    cx_text_destroy(&t);
    cx_log_init("test_text", CX_LOG_INFO);
    CX_CHECK(new_failed > 10 && ok > 0);
    (void)an_failed;
}

int main(void) {
    T = make(FIXTURE, "und");
    if (!T) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    CX_RUN(test_missing_dir_fails);
    CX_RUN(test_real_lexicons_load);
    CX_RUN(test_fixture_loaded);
    CX_RUN(test_persian_zwnj_one_token);
    CX_RUN(test_persian_yeh_kaf);
    CX_RUN(test_tatweel_harakat);
    CX_RUN(test_persian_digits);
    CX_RUN(test_nbsp_is_space);
    CX_RUN(test_case_fold_nfkc);
    CX_RUN(test_bengali_danda);
    CX_RUN(test_sentences);
    CX_RUN(test_sentence_window);
    CX_RUN(test_cjk_thai);
    CX_RUN(test_emoji_emoticons);
    CX_RUN(test_url_email_mention_hashtag);
    CX_RUN(test_stems);
    CX_RUN(test_english_flags);
    CX_RUN(test_caps_and_stretch);
    CX_RUN(test_german_spanish_flags);
    CX_RUN(test_persian_tamil_bengali_flags);
    CX_RUN(test_french_elision);
    CX_RUN(test_langid);
    CX_RUN(test_lang_hint_and_force);
    CX_RUN(test_invalid_utf8_and_bounds);
    CX_RUN(test_hostile_inputs_bounded);
    CX_RUN(test_reload);
    CX_RUN(test_alloc_failures);
    cx_text_destroy(&T);
    CX_DONE();
}
