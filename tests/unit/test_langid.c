/* test_langid.c - unit tests of language identification (langid.c through
 * cx_text, as the tokenize stage runs it): one realistic feedback sentence
 * in each of the 40 supported languages, short and ambiguous texts that must
 * stay "und", other scripts inside Latin text, the language hint,
 * per-sentence languages of a mixed record
 * and their envelope field (tag 23), and the libexttextcat model check.
 * The sentences were written for these tests by the cxflow project. */
#include "cx_env.h"
#include "cx_test.h"
#include "cx_text.h"
#include "langid.h"
#include "cx_cld2.h"
#include <stdlib.h>
#include <string.h>
#include <unicode/ustring.h>

#define LEX "lexicons"

static cx_text *mk(int per_sentence, int trust_hint) {
    char err[256];
    cx_text_opts o = {.lexicon_dir = LEX, .default_lang = "und", .trust_hint = trust_hint, .redact_pii = 0,
                      .min_confidence = 0.5f, .per_sentence = per_sentence};
    cx_text *t = cx_text_new(&o, err, sizeof err);
    if (!t) fprintf(stderr, "cx_text_new: %s\n", err);
    return t;
}

/* Analyse text (hint may be NULL); the caller destroys the envelope. */
static cx_env *run(cx_text *t, const char *text, const char *hint) {
    char err[256];
    cx_env *e = cx_env_new();
    if (!e) return NULL;
    e->text = text;
    e->lang_hint = hint;
    if (cx_text_analyze(t, e, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "analyze: %s\n", err);
        cx_env_destroy(&e);
    }
    return e;
}

static const struct { const char *lang, *text; } samples[] = {
    {"en", "The package arrived two days late and the box was damaged, but customer support replaced it quickly."},
    {"de", "Die Lieferung kam zwei Tage zu spät und der Karton war beschädigt, aber der Kundendienst hat schnell geholfen."},
    {"fr", "Le colis est arrivé avec deux jours de retard et le carton était abîmé, mais le service client a été rapide."},
    {"es", "El paquete llegó con dos días de retraso y la caja estaba dañada, pero el servicio al cliente respondió rápido."},
    {"it", "Il pacco è arrivato con due giorni di ritardo e la scatola era danneggiata, ma l'assistenza è stata veloce."},
    {"pt", "A encomenda chegou com dois dias de atraso e a caixa estava danificada, mas o atendimento foi rápido."},
    {"nl", "Het pakket kwam twee dagen te laat aan en de doos was beschadigd, maar de klantenservice heeft het snel opgelost."},
    {"sv", "Paketet kom två dagar för sent och kartongen var skadad, men kundtjänsten hjälpte mig snabbt."},
    {"da", "Pakken kom to dage for sent, og kassen var beskadiget, men kundeservice hjalp mig hurtigt med en ny."},
    {"no", "Pakken kom to dager for sent, og esken var skadet, men kundeservice hjalp meg veldig raskt."},
    {"fi", "Paketti saapui kaksi päivää myöhässä ja laatikko oli rikki, mutta asiakaspalvelu auttoi nopeasti."},
    {"pl", "Paczka przyszła z dwudniowym opóźnieniem i karton był uszkodzony, ale obsługa klienta szybko pomogła."},
    {"cs", "Balík přišel o dva dny později a krabice byla poškozená, ale zákaznická podpora mi rychle pomohla."},
    {"ru", "Посылка пришла на два дня позже, и коробка была повреждена, но служба поддержки быстро помогла."},
    {"uk", "Посилка прийшла на два дні пізніше, і коробка була пошкоджена, але служба підтримки швидко допомогла."},
    {"tr", "Paket iki gün geç geldi ve kutu hasarlıydı, ama müşteri hizmetleri hemen yardımcı oldu."},
    {"el", "Το δέμα έφτασε με δύο μέρες καθυστέρηση και το κουτί ήταν χαλασμένο, αλλά η εξυπηρέτηση βοήθησε γρήγορα."},
    {"ar", "وصل الطرد متأخرا يومين وكانت العلبة تالفة، لكن خدمة العملاء ساعدتني بسرعة."},
    {"fa", "بسته دو روز دیر رسید و جعبه آسیب دیده بود، ولی پشتیبانی خیلی سریع کمک کرد."},
    {"ur", "پارسل دو دن دیر سے پہنچا اور ڈبہ خراب تھا، لیکن کسٹمر سروس نے جلدی مدد کی۔"},
    {"he", "החבילה הגיעה באיחור של יומיים והקופסה הייתה פגומה, אבל שירות הלקוחות עזר מהר."},
    {"hi", "पार्सल दो दिन देर से पहुँचा और डिब्बा खराब था, लेकिन ग्राहक सेवा ने जल्दी मदद की।"},
    {"bn", "পার্সেলটি দুই দিন দেরিতে পৌঁছেছে এবং বাক্সটি ভাঙা ছিল, কিন্তু গ্রাহক সেবা দ্রুত সাহায্য করেছে।"},
    {"ta", "பார்சல் இரண்டு நாட்கள் தாமதமாக வந்தது, பெட்டி சேதமடைந்திருந்தது, ஆனால் வாடிக்கையாளர் சேவை உடனே உதவியது."},
    {"te", "పార్సెల్ రెండు రోజులు ఆలస్యంగా వచ్చింది, పెట్టె దెబ్బతింది, కానీ కస్టమర్ సపోర్ట్ త్వరగా సహాయం చేసింది."},
    {"mr", "पार्सल दोन दिवस उशिरा आले आणि खोका खराब झाला होता, पण ग्राहक सेवेने लगेच मदत केली."},
    {"gu", "પાર્સલ બે દિવસ મોડું આવ્યું અને બોક્સ તૂટેલું હતું, પણ ગ્રાહક સેવાએ તરત મદદ કરી."},
    {"kn", "ಪಾರ್ಸೆಲ್ ಎರಡು ದಿನ ತಡವಾಗಿ ಬಂತು ಮತ್ತು ಪೆಟ್ಟಿಗೆ ಹಾಳಾಗಿತ್ತು, ಆದರೆ ಗ್ರಾಹಕ ಸೇವೆ ಬೇಗನೆ ಸಹಾಯ ಮಾಡಿತು."},
    {"ml", "പാഴ്സൽ രണ്ടു ദിവസം വൈകിയാണ് എത്തിയത്, പെട്ടി കേടായിരുന്നു, പക്ഷേ കസ്റ്റമർ സർവീസ് വേഗം സഹായിച്ചു."},
    {"pa", "ਪਾਰਸਲ ਦੋ ਦਿਨ ਦੇਰੀ ਨਾਲ ਪਹੁੰਚਿਆ ਅਤੇ ਡੱਬਾ ਖਰਾਬ ਸੀ, ਪਰ ਗਾਹਕ ਸੇਵਾ ਨੇ ਜਲਦੀ ਮਦਦ ਕੀਤੀ।"},
    {"si", "පාර්සලය දින දෙකක් ප්‍රමාද වී ආවා, පෙට්ටිය කැඩිලා තිබුණා, නමුත් පාරිභෝගික සේවාව ඉක්මනින් උදව් කළා."},
    {"th", "พัสดุมาถึงช้าไปสองวันและกล่องเสียหาย แต่ฝ่ายบริการลูกค้าช่วยเหลืออย่างรวดเร็ว"},
    {"vi", "Gói hàng đến trễ hai ngày và hộp bị hỏng, nhưng bộ phận chăm sóc khách hàng đã hỗ trợ rất nhanh."},
    {"id", "Paketnya datang terlambat dua hari dan kotaknya rusak, tetapi layanan pelanggan membantu saya dengan cepat."},
    {"ms", "Saya nak pulangkan barang ini kerana saiznya salah, dan selepas tiga hari masih tiada jawapan daripada "
           "khidmat pelanggan."},
    {"zh", "包裹晚到了两天，盒子也坏了，不过客服很快就帮我解决了。"},
    {"ja", "荷物が二日遅れて届き、箱も壊れていましたが、サポートの対応は早かったです。"},
    {"ko", "택배가 이틀 늦게 도착했고 상자도 망가져 있었지만 고객센터에서 빠르게 도와주었어요."},
    {"sw", "Kifurushi kilifika siku mbili kuchelewa na sanduku lilikuwa limeharibika, lakini huduma kwa wateja "
           "ilinisaidia haraka."},
    {"tl", "Dumating ang package nang dalawang araw na huli at sira ang kahon, pero mabilis naman akong tinulungan ng "
           "customer service."},
};

static void test_forty_languages(void) {
    cx_text *t = mk(0, 0);
    CX_CHECK(t != NULL);
    if (!t) return;
    size_t n = sizeof samples / sizeof samples[0];
    CX_CHECK(n == 40);
    for (size_t i = 0; i < n; i++) {
        cx_env *e = run(t, samples[i].text, NULL);
        if (!e || strcmp(e->lang, samples[i].lang) || e->lang_conf < 0.5f) {
            fprintf(stderr, "  %s: got %s (%.2f): %s\n", samples[i].lang, e ? e->lang : "?",
                    e ? (double)e->lang_conf : 0.0, samples[i].text);
            cx_t_cur_failed = 1;
        }
        cx_env_destroy(&e);
    }
    cx_text_destroy(&t);
}

/* Too short or without letters: "und" rather than a guess. */
static void test_short_is_und(void) {
    cx_text *t = mk(0, 0);
    CX_CHECK(t != NULL);
    if (!t) return;
    static const char *const und[] = {"ok", "OK!!", "👍👍", "12345", "Danke", "top", "#1 https://example.com/x"};
    for (size_t i = 0; i < sizeof und / sizeof und[0]; i++) {
        cx_env *e = run(t, und[i], NULL);
        if (!e || strcmp(e->lang, "und")) {
            fprintf(stderr, "  \"%s\": got %s (%.2f), expected und\n", und[i], e ? e->lang : "?",
                    e ? (double)e->lang_conf : 0.0);
            cx_t_cur_failed = 1;
        }
        cx_env_destroy(&e);
    }
    cx_text_destroy(&t);
}

/* Latin letters dominate, but Hangul, kana or Tamil letters mark the
 * language: English technical words in Korean, Japanese or Tamil text. */
static void test_marked_script(void) {
    cx_text *t = mk(0, 0);
    CX_CHECK(t != NULL);
    if (!t) return;
    static const struct { const char *lang, *text; } m[] = {
        {"ko", "BISECT_TERMS 파일을 열 수 없습니다"},
        {"ja", "iPhone 15 Pro Max の画面が割れました"},
        {"ta", "Trailer vera level semma mass தலைவா சூப்பர்"},
        {"en", "I love the new Samsung phone, the camera is great. ありがとう"},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        cx_env *e = run(t, m[i].text, NULL);
        if (!e || strcmp(e->lang, m[i].lang)) {
            fprintf(stderr, "  %s: got %s (%.2f): %s\n", m[i].lang, e ? e->lang : "?", e ? (double)e->lang_conf : 0.0,
                    m[i].text);
            cx_t_cur_failed = 1;
        }
        cx_env_destroy(&e);
    }
    cx_text_destroy(&t);
}

/* A trusted hint wins, with full confidence; an untrusted one is ignored. */
static void test_hint_wins(void) {
    const char *text = "The package arrived two days late and the box was damaged.";
    cx_text *t = mk(1, 1);
    CX_CHECK(t != NULL);
    if (!t) return;
    cx_env *e = run(t, text, "fr-CA");
    CX_CHECK(e && !strcmp(e->lang, "fr"));
    CX_CHECK(e && e->lang_conf > 0.99f);
    cx_env_destroy(&e);
    cx_text_destroy(&t);
    t = mk(0, 0);
    CX_CHECK(t != NULL);
    if (!t) return;
    e = run(t, text, "fr");
    CX_CHECK(e && !strcmp(e->lang, "en"));
    cx_env_destroy(&e);
    cx_text_destroy(&t);
}

/* A German sentence and an English one: two sentence languages; a record in
 * one language has none; per_sentence off has none. */
static void test_per_sentence(void) {
    const char *mixed = "Die Lieferung war leider viel zu spät und der Karton war kaputt. "
                        "The support team was very friendly and they solved the problem quickly.";
    cx_text *t = mk(1, 0);
    CX_CHECK(t != NULL);
    if (!t) return;
    cx_env *e = run(t, mixed, NULL);
    CX_CHECK(e && e->n_sents == 2 && e->sent_lang);
    if (e && e->n_sents == 2 && e->sent_lang) {
        CX_CHECK_STR(e->sent_lang[0], "de");
        CX_CHECK_STR(e->sent_lang[1], "en");
        /* the envelope carries them (tag 23) and a decoder reads them back */
        cx_buf b;
        cx_buf_init(&b);
        CX_CHECK(cx_env_encode(e, &b) == 0);
        char err[128];
        cx_env *d = cx_env_decode(b.data, b.len, err, sizeof err);
        CX_CHECK(d && d->n_sents == 2 && d->sent_lang);
        if (d && d->sent_lang) {
            CX_CHECK_STR(d->sent_lang[0], "de");
            CX_CHECK_STR(d->sent_lang[1], "en");
        }
        cx_env_destroy(&d);
        cx_buf_free(&b);
    }
    cx_env_destroy(&e);
    e = run(t, "Die Lieferung war leider viel zu spät. Der Karton war auch noch kaputt und nass.", NULL);
    CX_CHECK(e && e->n_sents == 2 && !e->sent_lang && !strcmp(e->lang, "de"));
    cx_env_destroy(&e);
    cx_text_destroy(&t);
    t = mk(0, 0);
    CX_CHECK(t != NULL);
    if (!t) return;
    e = run(t, mixed, NULL);
    CX_CHECK(e && e->n_sents == 2 && !e->sent_lang);
    cx_env_destroy(&e);
    cx_text_destroy(&t);
}

/* Tag 23 from the wire: a length running past the field is an error; a
 * list that does not match the sentence count is dropped. */
static void test_sent_lang_decode(void) {
    char err[128];
    static const unsigned char bad[] = {'C', 'X', CX_ENV_VERSION, CX_MSG_RECORD, 23, 2, 0, 0, 0, 5, 'd'};
    cx_env *e = cx_env_decode(bad, sizeof bad, err, sizeof err);
    CX_CHECK(e == NULL && strstr(err, "23"));
    static const unsigned char odd[] = {'C', 'X', CX_ENV_VERSION, CX_MSG_RECORD,
                                        22, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,   /* 3 sentences */
                                        23, 6, 0, 0, 0, 2, 'd', 'e', 2, 'e', 'n'}; /* 2 languages */
    e = cx_env_decode(odd, sizeof odd, err, sizeof err);
    CX_CHECK(e && e->n_sents == 3 && e->sent_lang == NULL);
    cx_env_destroy(&e);
}

/* cx_text_identify decides exactly like cx_text_analyze. */
static void test_identify_matches_analyze(void) {
    cx_text *t = mk(0, 0);
    CX_CHECK(t != NULL);
    if (!t) return;
    char err[128];
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i += 3) {
        cx_env *a = run(t, samples[i].text, NULL), *b = cx_env_new();
        b->text = samples[i].text;
        CX_CHECK(cx_text_identify(t, b, err, sizeof err) == 0);
        CX_CHECK(a && !strcmp(a->lang, b->lang) && a->lang_conf == b->lang_conf);
        cx_env_destroy(&a);
        cx_env_destroy(&b);
    }
    cx_text_destroy(&t);
}

/* The detector alone: methods, and a clear error without the models. */
static void test_methods_and_models(void) {
    CX_CHECK(cx_langid_method_parse("combined") == CX_LANGID_COMBINED);
    CX_CHECK(cx_langid_method_parse("stopwords") == CX_LANGID_STOPWORDS);
    CX_CHECK(cx_langid_method_parse("textcat") == CX_LANGID_TEXTCAT);
    CX_CHECK(cx_langid_method_parse("cld2") == CX_LANGID_CLD2);
    CX_CHECK(cx_langid_method_parse("stopwords+textcat") == CX_LANGID_NOCLD2);
    CX_CHECK(cx_langid_method_parse("fasttext") == -1);
    CX_CHECK_STR(cx_langid_method_name(CX_LANGID_CLD2), "cld2");
    CX_CHECK_STR(cx_langid_method_name(CX_LANGID_TEXTCAT), "textcat");
    char err[512];
    UChar u[256];
    int32_t n = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(u, 256, &n, "Het pakket kwam twee dagen te laat aan, maar de service was goed.", -1, &st);
    for (int m = CX_LANGID_COMBINED; m <= CX_LANGID_NOCLD2; m++) {
        cx_langid *l = cx_langid_new(LEX, (cx_langid_method)m, err, sizeof err);
        CX_CHECK(l != NULL);
        if (!l) continue;
        float conf = 0;
        CX_CHECK_STR(cx_langid_detect(l, u, n, &conf), "nl");
        if (m == CX_LANGID_COMBINED) CX_CHECK(conf > 0.5f);
        cx_langid_destroy(&l);
        CX_CHECK(l == NULL);
    }
    const char *old = getenv("CXFLOW_TEXTCAT_DIR");
    setenv("CXFLOW_TEXTCAT_DIR", "/nonexistent/cxflow-models", 1);
    cx_langid *l = cx_langid_new(LEX, CX_LANGID_COMBINED, err, sizeof err);
    CX_CHECK(l == NULL && strstr(err, "libexttextcat-data"));
    l = cx_langid_new(LEX, CX_LANGID_STOPWORDS, err, sizeof err);   /* needs no models */
    CX_CHECK(l != NULL);
    cx_langid_destroy(&l);
    if (old) setenv("CXFLOW_TEXTCAT_DIR", old, 1);
    else unsetenv("CXFLOW_TEXTCAT_DIR");
}

/* CLD2 through its C binding, and its vote: a short Danish complaint whose
 * stop words and n-grams lean Norwegian (written for this test). */
static void test_cld2(void) {
    cx_cld2_result r;
    const char *de = "Die Bestellung kam zwei Wochen zu spät und beschädigt an.";
    const char *he = "ההזמנה הגיעה שבוע אחרי המועד";
    CX_CHECK(cx_cld2_detect(de, (int)strlen(de), &r) == 0);
    CX_CHECK_STR(r.code[0], "de");
    CX_CHECK(r.percent[0] > 50);
    CX_CHECK(cx_cld2_detect(he, (int)strlen(he), &r) == 0);
    CX_CHECK_STR(r.code[0], "he");   /* CLD2 says "iw" */
    CX_CHECK(cx_cld2_detect("", 0, &r) == -1);
    CX_CHECK_STR(r.code[0], "un");
    CX_CHECK(cx_cld2_detect("\xff\xfe broken", 9, &r) == -1);   /* invalid UTF-8: cut, nothing left */

    const char *da = "Applikationen går ned hver gang jeg åbner kurven";
    UChar u[256];
    int32_t n = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(u, 256, &n, da, -1, &st);
    char err[512];
    cx_langid *with = cx_langid_new(LEX, CX_LANGID_COMBINED, err, sizeof err);
    cx_langid *without = cx_langid_new(LEX, CX_LANGID_NOCLD2, err, sizeof err);
    CX_CHECK(with && without);
    if (with && without) {
        float conf = 0;
        CX_CHECK_STR(cx_langid_detect(with, u, n, &conf), "da");
        CX_CHECK(conf >= 0.5f);
        CX_CHECK_STR(cx_langid_detect(without, u, n, &conf), "no");   /* what CLD2 corrects */
    }
    cx_langid_destroy(&with);
    cx_langid_destroy(&without);
}

int main(void) {
    CX_RUN(test_forty_languages);
    CX_RUN(test_short_is_und);
    CX_RUN(test_marked_script);
    CX_RUN(test_hint_wins);
    CX_RUN(test_per_sentence);
    CX_RUN(test_sent_lang_decode);
    CX_RUN(test_identify_matches_analyze);
    CX_RUN(test_methods_and_models);
    CX_RUN(test_cld2);
    CX_DONE();
}
