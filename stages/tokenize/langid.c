/* langid.c - script-first language identification: ICU scripts, stop words
 * and letter cues, then libexttextcat n-gram ranking and CLD2's vote
 * restricted to the languages of a shared script (see langid.h for the method, docs/LANGID.md
 * for the measurements). */
#include "langid.h"
#include "cx_alloc.h"
#include "cx_hmap.h"
#include "cx_cld2.h"
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>
#include <fingerprint.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#ifndef CX_TEXTCAT_DIR
#define CX_TEXTCAT_DIR "/usr/share/libexttextcat"
#endif

#define LID_MAX_LANGS 64
#define LID_MAX_WORD 64

/* Letter cues: a handful of letters that are frequent in one language and
 * rare elsewhere.  Each cue adds to the score of the languages it names. */
enum {
    Q_DE, Q_ES, Q_PT, Q_FR, Q_IT, Q_CA, Q_SV, Q_DA, Q_NO, Q_FI, Q_TR, Q_PL, Q_CS, Q_HU, Q_RO, Q_VI,
    Q__LATIN,
    Q_FA = Q__LATIN, Q_FA_WEAK, Q_AR, Q_AR_WEAK, Q_UR, Q_UK, Q_SR, Q_BE, Q_KK, Q_RU, Q_AS,
    Q__COUNT
};
static const char *const cue_codes[Q__LATIN] = {"de", "es", "pt", "fr", "it", "ca", "sv", "da",
                                                "no", "fi", "tr", "pl", "cs", "hu", "ro", "vi"};

/* Small built-in stop-word lists: the most frequent function words of each
 * language, so that detection works even before lexicons/stopwords is
 * populated.  Words in the lexicon files are added on top. */
typedef struct lid_builtin { const char *code; const char *words; } lid_builtin;
static const lid_builtin builtins[] = {
    {"en", "the and is was are were to of in it that this not with for have has had but you my me we "
           "they be been very no your our at on from an would will can could there what when i it's "
           "don't didn't or if as by about after still again do does did he she them their us am its "
           "than then only also just so out how why who which want wanna need help please thanks thank get got "
           "cannot can't won't doesn't isn't wasn't haven't i'm"},
    {"de", "der die das und ist nicht ich ein eine mit sich auf für den dem des zu es sie wir war sehr "
           "aber auch noch nur kein keine wie bei mein meine bin habe hat wurde schon"},
    {"fr", "le la les et est pas je une des du que qui il elle nous vous mais très avec pour dans sur "
           "ce cette mon ne au aux c'est j'ai suis été toujours"},
    {"es", "el la los las y es no que de en un una muy pero por para con se lo mi nos su del al está "
           "fue estoy todavía nada"},
    {"it", "il lo la gli le e è non che di un una molto ma per con sono mi del della nel ho ancora "
           "questo stato"},
    {"pt", "o a os as e é não que de em um uma muito mas por para com se do da meu foi está ainda "
           "estou nada"},
    {"nl", "de het een en is niet ik dat van zijn met op voor maar ook wel heel nog geen mijn we er "
           "was"},
    {"sv", "och är inte jag det att en ett som på med för har var men mycket min vi av till"},
    {"da", "og er ikke jeg det at en et som på med for har var men meget min vi af til"},
    {"no", "og er ikke jeg det at en et som på med for har var men veldig min vi av til ikkje"},
    {"fi", "ja on ei se että oli minä olen hyvin mutta kun tämä ole en myös niin kuin jo vielä"},
    {"pl", "i nie jest się to na że w z do jak ale bardzo mnie już tak co jestem był"},
    {"cs", "a je se na že to v s do ale jak jsem byl velmi už také není mi"},
    {"tr", "ve bir bu da de çok için ama ile değil ben biz ne gibi daha var yok mi"},
    {"vi", "và là không của có được tôi rất nhưng một này cho với các những đã"},
    {"id", "dan yang di ini itu tidak saya dengan untuk ke dari ada sangat tapi sudah akan juga kami"},
    {"sw", "na ya wa ni kwa si la za katika hii sana lakini mimi hakuna"},
    {"tl", "ang ng sa na at mga ay hindi ko ako po siya ito ka naman lang"},
    {"ro", "și este nu în că pe cu la un o de foarte dar mai sunt am"},
    {"hu", "a az és nem egy hogy van is de nagyon meg még csak ez volt"},
    {"ca", "el la els les i és no que de en un una molt però per amb em va"},
    {"ru", "и в не на я что с это он как но очень мне у был уже"},
    {"uk", "і в не на я що з це він як але дуже мені у був вже"},
    /* Distinctive words of close pairs (no/da, ms/id, uk/ru, en): spelling
     * and vocabulary that differ between the twins, including the common
     * words of software and support messages.  Written for cxflow. */
    {"no", "hva noe noen mye etter nå ut uten feil bruk bruker brukes kjør kjøre kjører lag legge vindu "
           "vinduer bli blir ble gjør gjøre opp enn finnes lese les ukjent annen annet kjent slik mellom "
           "tilkobling tilgang gjeldende nåværende innstillinger inn inndata utdata lagre søk åpne åpen "
           "lukk hjelp melding feilet skjerm klarte støttet tjeneren tjener mangler"},
    {"da", "hvad noget nogle meget efter nu ud uden fejl brug bruger bruges kør køre kører lav lægge vindue "
           "vinduer bliver blive blev gør gøre findes læse læs ukendt anden andet kendt sådan mellem "
           "forbindelse adgang gældende nuværende indstillinger ind inddata uddata gemme søg åbne åben "
           "luk hjælp meddelelse skærm mislykkedes understøttet understøttes"},
    {"ms", "tidak tak boleh sahaja awak sila cuba percuma fail muat turun laluan tetapan ralat padam "
           "tetingkap disokong ditemui daripada semasa hendak guna pautan bilangan kekunci pelayan mengufuk "
           "menegak lajur skrin imej butang rangkaian selepas mesti mestilah ialah iaitu sebarang baharu "
           "semula paparan papar memaparkan dialih kini ia sampai hingga perisian peranti "
           "akaun emel mesej lalai piawai automatik maklumat nombor kolum kandungan mengandungi benarkan "
           "pengurus ingatan penimbal kelihatan mencukupi medan jidar fizikal persediaan terjana samada mahu "
           "tiada tajuk saiz enjin dihantar hantar rosak dibenarkan milisaat perenggan dieksport eksport aksara "
           "ungkapan rujukan pengesahan kebenaran carian "
           /* everyday and customer words of Malaysia (Indonesian has others) */
           "kereta kedai wang hantar dihantar tempahan perkhidmatan khidmat doktor polis teksi bas kaunter "
           "syarikat kerajaan teruk faham fikir cadangan aduan pulangan barangan kualiti kuantiti telefon "
           "tarikh minit semalam esok nak dah tengok cakap beritahu sikit kawan lelaki isteri bilik tandas "
           "sejuk kakitangan pelayar pencetak dikehendaki mengikut kerana "
           /* and of Malay software */
           "senarai disenaraikan menyenaraikan semak menyemak gelintar menggelintar sokongan kedudukan "
           "menerusi dilumpuhkan dibolehkan fon tersuai lungsur tetikus sempadan berjaya memadam dipadam "
           "cipta mencipta dicipta sambungan"},
    {"id", "tidak bisa silakan coba unduh hapus galat kesalahan pengaturan setelan sandi jendela didukung "
           "ditemukan tautan layar tombol jaringan koneksi setelah sesudah yaitu kolom tampilan tampilkan "
           "menampilkan berkas nggak gak enggak aja banget udah gratis mulai ulang perlu bila informasi "
           "memiliki berisi konten izinkan pengelola terlihat nomor fisik persiapan perangkat akun "
           "surel pesan otomatis standar bawaan baku kustom kueri lunak mau judul ukuran dikirim kirim rusak "
           "elemen paragraf diekspor ekspor tak setel bilah karakter ekspresi referensi otentikasi izin spasi "
           "pencarian perkakas "
           /* everyday and customer words of Indonesia (Malay has others) */
           "uang mobil toko saja pemesanan layanan dokter polisi taksi loket perusahaan pemerintah parah "
           "gampang paham pikir saran keluhan pengaduan pengembalian kualitas kuantitas perbarui pembaruan "
           "unggah telepon tanggal menit kemarin besok lihat bilang teman istri kamar dingin staf manajer "
           "peramban karena kapan sih dong deh kok gimana gitu kayak ongkir lemot "
           "posisi gulir ketik berhasil sukses menghapus dihapus dinonaktifkan"},
    /* Hindi and Marathi share Devanagari: copulas, negators, postpositions and verb endings of
     * each, and common words of software and support messages. */
    {"hi", "है हैं नहीं था थी थे गया गई गए रहा रही रहे सकता सकती सकते करें करने किया किए में से को पर "
           "लिए वाला वाली वाले फ़ाइल त्रुटि उपयोगकर्ता कृपया मेरा मेरी मेरे हमें मुझे क्यों कब जब तब"},
    {"mr", "आहे आहेत नाही नको करा करीता करिता करण्यासाठी करण्याकरीता मधील वरील चुकीचे चुकीचा आढळली आढळले "
           "आढळला सापडली सापडले शकत शकले पाहिजे हवे हवा हवी व्हायला दर्शवा वापरकर्ता वापरा वापरून फाइल "
           "फाईल त्रुटी माझे माझा मला कृपया का नाहीत केले झाले"},
    {"uk", "та або цей ця ще буде можна треба зараз тому коли якщо його вона вони ми ви вдалося зберегти "
           "видалити показати файлу помилка помилки повідомлення користувача користувач розмір даних дані "
           "було бути чи налаштування неможливо неправильний програми каталогу запустити"},
    {"ru", "или если когда его она они мы вы быть было будет можно нельзя ошибка ошибки файла сообщение "
           "пользователя пользователь размер данных данные удалось сохранить удалить показать невозможно "
           "неверный программы каталога запустить ещё"},
    {"en", "unable failed invalid reading writing unknown specified supported allowed enabled disabled "
           "value window directory using show create delete open save whether should must file bad new found "
           "missing closed connection denied unexpected skipped expects arguments remove values number creating "
           "already exist exists does"},
    {"fr", "fichier fichiers répertoire inconnu inconnue valable supprimer manquant manquante trop sans "
           "aucun aucune erreur ligne lignes chaîne caractères où peut être"},
    {"it", "errore sconosciuto sconosciuta impossibile cartella utente valido valida questa nessun nessuna "
           "delle degli dei sul impostazioni"},
    {"es", "archivo archivos desconocido desconocida carpeta usuario esta este ningún ninguna configuración "
           "puede"},
    {"pt", "arquivo arquivos ficheiro desconhecido desconhecida pasta usuário utilizador erro nenhum nenhuma "
           "configuração pode"},
};

typedef struct lid_lang {
    char code[8];
    int script;      /* UScriptCode of its stop words */
    int cue;         /* Q_* index or -1 */
} lid_lang;

/* Scripts shared by several of the supported languages: their candidates,
 * which libexttextcat ranks ("no" is Bokmål, model nb.lm), and extra codes
 * that only the stop-word and letter-cue evidence knows. */
typedef struct lid_group_def { int script; const char *langs, *extra; } lid_group_def;
static const lid_group_def group_defs[] = {
    {USCRIPT_LATIN, "en de fr es it pt nl sv da no fi pl cs tr vi id ms sw tl", ""},
    {USCRIPT_CYRILLIC, "ru uk", "sr be kk"},
    {USCRIPT_ARABIC, "ar fa ur", ""},
    {USCRIPT_DEVANAGARI, "hi mr", ""},
};
#define LID_NGROUPS (int)(sizeof group_defs / sizeof group_defs[0])
#define LID_GROUP_MAX 24      /* languages per group */
/* Bytes of text libexttextcat sees at most: its cost grows with the length,
 * its accuracy hardly beyond 100 bytes (docs/LANGID.md). */
#define LID_TEXTCAT_MAX 100
/* Shortest text (bytes) given to libexttextcat (its own default is 25). */
#define LID_TEXTCAT_MIN 12
/* n-grams in a profile (libexttextcat's MAXNGRAMS) */
#define LID_NGRAMS 400

/* How the stop-word points of a candidate are computed (lid_sw_score). */
enum { SW_PLAIN, SW_CUE, SW_FA, SW_AR, SW_UR, SW_UK, SW_RU, SW_SR, SW_BE, SW_KK };

/* One candidate language of a shared script, resolved once at start-up. */
typedef struct lid_cdef {
    const char *code;   /* owned by the cx_langid */
    int lang;           /* index in langs (stop words), or -1 */
    int fp;             /* index in the group's profiles, or -1 */
    int kind, cue;      /* SW_*, and the Q_* letter cue for SW_CUE */
} lid_cdef;

#define LID_GROUP_CANDS (LID_MAX_LANGS + LID_GROUP_MAX)
typedef struct lid_group {
    int script;
    void *fp[LID_GROUP_MAX];  /* libexttextcat n-gram profile of each language, or NULL */
    int n, nextra;
    char codes[LID_GROUP_MAX][4];   /* scored by libexttextcat */
    char extra[4][4];               /* stop words and cues only */
    lid_cdef cand[LID_GROUP_CANDS]; /* codes, extra, then the stop-word languages of the script */
    int ncand, ifa, iur;            /* ifa / iur: candidates fa and ur, or -1 */
    signed char twin[LID_GROUP_CANDS];      /* candidate index of the twin, or -1 */
    signed char twin_pair[LID_GROUP_CANDS]; /* its lid_twins pair */
    signed char twin_sign[LID_GROUP_CANDS]; /* +1 / -1: sign of the pair's evidence */
} lid_group;

struct cx_langid {
    lid_lang langs[LID_MAX_LANGS];
    int nlangs;
    cx_hmap *words;  /* lower-cased word -> bit mask of languages */
    cx_langid_method method;
    lid_group groups[LID_NGROUPS];
};

/* Scripts whose language follows from the script alone (in practice). */
static const struct { int script; const char *code; } script_langs[] = {
    {USCRIPT_BENGALI, "bn"},   {USCRIPT_TAMIL, "ta"},     {USCRIPT_DEVANAGARI, "hi"},
    {USCRIPT_GUJARATI, "gu"},  {USCRIPT_GURMUKHI, "pa"},  {USCRIPT_TELUGU, "te"},
    {USCRIPT_KANNADA, "kn"},   {USCRIPT_MALAYALAM, "ml"}, {USCRIPT_SINHALA, "si"},
    {USCRIPT_THAI, "th"},      {USCRIPT_HANGUL, "ko"},    {USCRIPT_HIRAGANA, "ja"},
    {USCRIPT_KATAKANA, "ja"},  {USCRIPT_HAN, "zh"},       {USCRIPT_GREEK, "el"},
    {USCRIPT_HEBREW, "he"},    {USCRIPT_ARMENIAN, "hy"},  {USCRIPT_GEORGIAN, "ka"},
    {USCRIPT_ETHIOPIC, "am"},  {USCRIPT_KHMER, "km"},     {USCRIPT_LAO, "lo"},
    {USCRIPT_MYANMAR, "my"},   {USCRIPT_ORIYA, "or"},     {USCRIPT_TIBETAN, "bo"},
    {USCRIPT_ARABIC, "ar"},    {USCRIPT_CYRILLIC, "ru"},
};

static const char *script_default(int script) {
    for (size_t i = 0; i < sizeof script_langs / sizeof script_langs[0]; i++)
        if (script_langs[i].script == script) return script_langs[i].code;
    return NULL;
}

/* Lower-case one code point the way detection does (simple mapping, so a
 * word and its stop-word entry always agree). */
static UChar32 lid_lower(UChar32 c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c == 0x2019 || c == 0x2018 || c == 0x02BC) return '\'';
    return u_tolower(c);
}

/* Lower-case a UTF-8 word into out (NUL-terminated) and report the script
 * of its first letter in *script.  Returns the length, or -1 when the word
 * does not fit or is not valid UTF-8. */
static int lid_lower_utf8(const char *s, int32_t n, char *out, int cap, int *script) {
    int32_t i = 0, o = 0;
    *script = USCRIPT_COMMON;
    while (i < n) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0) return -1;
        c = lid_lower(c);
        if (*script == USCRIPT_COMMON && u_isalpha(c)) {
            UErrorCode st = U_ZERO_ERROR;
            int sc = uscript_getScript(c, &st);
            if (U_SUCCESS(st) && sc != USCRIPT_INHERITED) *script = sc;
        }
        if (o + U8_LENGTH(c) >= cap) return -1;
        U8_APPEND_UNSAFE(out, o, c);
    }
    out[o] = '\0';
    return o;
}

/* Index of code in l->langs, adding it when absent (-1 when full). */
static int lid_lang_index(cx_langid *l, const char *code, int script) {
    for (int i = 0; i < l->nlangs; i++)
        if (!strcmp(l->langs[i].code, code)) return i;
    if (l->nlangs >= LID_MAX_LANGS) return -1;
    lid_lang *g = &l->langs[l->nlangs];
    snprintf(g->code, sizeof g->code, "%s", code);
    g->script = script;
    g->cue = -1;
    for (int q = 0; q < Q__LATIN; q++)
        if (!strcmp(cue_codes[q], code)) g->cue = q;
    return l->nlangs++;
}

/* Add one word to the table for language idx.  0 / -1 (out of memory). */
static int lid_add_word(cx_langid *l, int idx, const char *w, size_t n, int *script) {
    char buf[LID_MAX_WORD + 8];
    int len = lid_lower_utf8(w, (int32_t)n, buf, LID_MAX_WORD, script);
    if (len <= 0) return 0;
    uint64_t *v = cx_hmap_upsert(l->words, buf, (size_t)len);
    if (!v) return -1;
    *v |= 1ull << idx;
    return 0;
}

/* Load lexicon_dir/stopwords/<code>.txt files.  The script of a language is
 * the most frequent script among its entries.  0 / -1 (out of memory). */
static int lid_load_dir(cx_langid *l, const char *lexicon_dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/stopwords", lexicon_dir);
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        const char *nm = de->d_name;
        size_t nl = strlen(nm);
        if (nl < 6 || nl > 7 || strcmp(nm + nl - 4, ".txt")) continue;
        char code[4] = {0};
        int ok = 1;
        for (size_t i = 0; i < nl - 4; i++) {
            if (!islower((unsigned char)nm[i])) ok = 0;
            else code[i] = nm[i];
        }
        if (!ok) continue;
        char fpath[4400];
        snprintf(fpath, sizeof fpath, "%s/%s", path, nm);
        FILE *f = fopen(fpath, "r");
        if (!f) continue;
        int idx = lid_lang_index(l, code, USCRIPT_LATIN);
        int latin = 0, other = 0, other_script = USCRIPT_LATIN;
        char line[1024];
        while (idx >= 0 && fgets(line, sizeof line, f)) {
            char *s = line;
            while (*s == ' ' || *s == '\t') s++;
            if (*s == '#' || *s == '\n' || *s == '\r' || !*s) continue;
            size_t n = strcspn(s, "\t\r\n");
            while (n && s[n - 1] == ' ') n--;
            if (!n || memchr(s, ' ', n)) continue;   /* phrases do not help here */
            int sc;
            if (lid_add_word(l, idx, s, n, &sc) < 0) { rc = -1; break; }
            if (sc == USCRIPT_LATIN) latin++;
            else if (sc != USCRIPT_COMMON) { other++; other_script = sc; }
        }
        fclose(f);
        if (idx >= 0 && (latin || other)) l->langs[idx].script = latin >= other ? USCRIPT_LATIN : other_script;
    }
    closedir(d);
    return rc;
}

/* Script of every BMP code point that counts as a letter: script code + 1,
 * LID_INHERITED for combining marks, 0 for everything else (digits,
 * punctuation, symbols, letters of the Common script).  Built once per
 * process so that detection needs no ICU call per character. */
#define LID_INHERITED 255
static uint8_t lid_script[0x10000];
static once_flag lid_once = ONCE_FLAG_INIT;

static void lid_build(void) {
    for (UChar32 c = 0; c < 0x10000; c++) {
        if (!(U_MASK(u_charType(c)) & (U_GC_L_MASK | U_GC_M_MASK))) continue;
        UErrorCode st = U_ZERO_ERROR;
        int sc = uscript_getScript(c, &st);
        if (U_FAILURE(st) || sc == USCRIPT_COMMON) continue;
        lid_script[c] = sc == USCRIPT_INHERITED ? LID_INHERITED : (uint8_t)(sc + 1);
    }
}

/* Script code of c (+1, LID_INHERITED, or 0 when it is not a letter). */
static int lid_script_of(UChar32 c) {
    if (c <= 0xFFFF) return lid_script[c];
    if (!(U_MASK(u_charType(c)) & (U_GC_L_MASK | U_GC_M_MASK))) return 0;
    UErrorCode st = U_ZERO_ERROR;
    int sc = uscript_getScript(c, &st);
    if (U_FAILURE(st) || sc == USCRIPT_COMMON || sc + 1 >= LID_INHERITED) return 0;
    return sc == USCRIPT_INHERITED ? LID_INHERITED : sc + 1;
}

/* Directory of the libexttextcat models: $CXFLOW_TEXTCAT_DIR or the one
 * found at build time. */
static const char *lid_model_dir(void) {
    const char *d = getenv("CXFLOW_TEXTCAT_DIR");
    return d && *d ? d : CX_TEXTCAT_DIR;
}

/* Load the libexttextcat profile (<code>.lm, the LID_NGRAMS most frequent
 * character 1-5-grams) of every language of group g.  0 / -1 with a reason
 * in err. */
static int lid_group_load(lid_group *g, char *err, size_t errlen) {
    const char *dir = lid_model_dir();
    for (int i = 0; i < g->n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.lm", dir, !strcmp(g->codes[i], "no") ? "nb" : g->codes[i]);
        if (access(path, R_OK) != 0 || !(g->fp[i] = fp_Init(g->codes[i])) || !fp_Read(g->fp[i], path, LID_NGRAMS)) {
            snprintf(err, errlen,
                     "language identifier: cannot read the libexttextcat model %s (install libexttextcat-data, "
                     "or set CXFLOW_TEXTCAT_DIR)", path);
            return -1;
        }
    }
    return 0;
}

/* Split a space-separated list of 2-3 letter codes into out.  Returns the count. */
static int lid_split_codes(const char *p, char out[][4], int cap) {
    int n = 0;
    while (*p && n < cap) {
        size_t k = strcspn(p, " ");
        if (k && k < 4) {
            memcpy(out[n], p, k);
            out[n++][k] = '\0';
        }
        p += k;
        while (*p == ' ') p++;
    }
    return n;
}

/* Add code to g's candidates unless it is there (fp: its profile index). */
static void lid_cand_def(const cx_langid *l, lid_group *g, const char *code, int fp) {
    for (int i = 0; i < g->ncand; i++)
        if (!strcmp(g->cand[i].code, code)) return;
    if (g->ncand >= LID_GROUP_CANDS) return;
    static const struct { const char *code; int kind; } kinds[] = {
        {"fa", SW_FA}, {"ar", SW_AR}, {"ur", SW_UR}, {"uk", SW_UK}, {"ru", SW_RU},
        {"sr", SW_SR}, {"be", SW_BE}, {"kk", SW_KK},
    };
    lid_cdef *c = &g->cand[g->ncand];
    c->code = code;
    c->fp = fp;
    c->lang = -1;
    for (int i = 0; i < l->nlangs; i++)
        if (!strcmp(l->langs[i].code, code)) c->lang = i;
    c->kind = SW_PLAIN;
    c->cue = -1;
    if (g->script == USCRIPT_LATIN) {
        for (int q = 0; q < Q__LATIN; q++)
            if (!strcmp(cue_codes[q], code)) { c->kind = SW_CUE; c->cue = q; }
    } else {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (!strcmp(kinds[k].code, code)) c->kind = kinds[k].kind;
    }
    if (c->kind == SW_FA) g->ifa = g->ncand;
    if (c->kind == SW_UR) g->iur = g->ncand;
    g->ncand++;
}

/* The candidates of group g: its libexttextcat languages, its extra codes
 * and every stop-word language written in its script. */
/* Close pairs ("twins") whose libexttextcat profiles hardly differ; the
 * per-word spelling evidence of each pair (lid_scan.twin_ev) is + for the
 * first, - for the second. */
static const char *const lid_twins[][2] = {{"no", "da"}, {"ms", "id"}, {"uk", "ru"}, {"es", "pt"}};
#define LID_NTWINS (int)(sizeof lid_twins / sizeof lid_twins[0])

/* Candidate index of candidate i's twin in group g (or -1); *pair and
 * *sign receive the pair and the sign of its evidence for i. */
static int lid_twin_of(const lid_group *g, int i, int *pair, int *sign) {
    for (int t = 0; t < LID_NTWINS; t++)
        for (int a = 0; a < 2; a++)
            if (!strcmp(g->cand[i].code, lid_twins[t][a]))
                for (int j = 0; j < g->ncand; j++)
                    if (j != i && !strcmp(g->cand[j].code, lid_twins[t][1 - a])) {
                        *pair = t;
                        *sign = a ? -1 : 1;
                        return j;
                    }
    return -1;
}

static void lid_group_cands(const cx_langid *l, lid_group *g) {
    g->ncand = 0;
    g->ifa = g->iur = -1;
    for (int i = 0; i < g->n; i++) lid_cand_def(l, g, g->codes[i], i);
    for (int i = 0; i < g->nextra; i++) lid_cand_def(l, g, g->extra[i], -1);
    for (int i = 0; i < l->nlangs; i++)
        if (l->langs[i].script == g->script) lid_cand_def(l, g, l->langs[i].code, -1);
    for (int i = 0; i < g->ncand; i++) {
        int pair = 0, sign = 0;
        g->twin[i] = (signed char)lid_twin_of(g, i, &pair, &sign);
        g->twin_pair[i] = (signed char)pair;
        g->twin_sign[i] = (signed char)sign;
    }
}

/* Fill the candidate groups from group_defs and, unless only stop words
 * are used, load the libexttextcat models.  0 / -1. */
static int lid_groups_init(cx_langid *l, char *err, size_t errlen) {
    for (int gi = 0; gi < LID_NGROUPS; gi++) {
        lid_group *g = &l->groups[gi];
        g->script = group_defs[gi].script;
        g->n = lid_split_codes(group_defs[gi].langs, g->codes, LID_GROUP_MAX);
        g->nextra = lid_split_codes(group_defs[gi].extra, g->extra, 4);
        lid_group_cands(l, g);
        if (l->method != CX_LANGID_STOPWORDS && lid_group_load(g, err, errlen) < 0) return -1;
    }
    return 0;
}

cx_langid *cx_langid_new(const char *lexicon_dir, cx_langid_method method, char *err, size_t errlen) {
    call_once(&lid_once, lid_build);
    cx_langid *l = cx_calloc(1, sizeof *l);
    if (!l || !(l->words = cx_hmap_new())) goto oom;
    l->method = method;
    for (size_t b = 0; b < sizeof builtins / sizeof builtins[0]; b++) {
        int script = (!strcmp(builtins[b].code, "ru") || !strcmp(builtins[b].code, "uk")) ? USCRIPT_CYRILLIC
                                                                                          : USCRIPT_LATIN;
        int idx = lid_lang_index(l, builtins[b].code, script);
        const char *w = builtins[b].words;
        while (*w) {
            size_t n = strcspn(w, " ");
            int sc;
            if (n && lid_add_word(l, idx, w, n, &sc) < 0) goto oom;
            w += n;
            while (*w == ' ') w++;
        }
    }
    if (lexicon_dir && lid_load_dir(l, lexicon_dir) < 0) goto oom;
    if (lid_groups_init(l, err, errlen) < 0) {
        cx_langid_destroy(&l);
        return NULL;
    }
    return l;
oom:
    snprintf(err, errlen, "language identifier: out of memory");
    cx_langid_destroy(&l);
    return NULL;
}

void cx_langid_destroy(cx_langid **lp) {
    if (!lp || !*lp) return;
    for (int i = 0; i < LID_NGROUPS; i++)
        for (int k = 0; k < LID_GROUP_MAX; k++)
            if ((*lp)->groups[i].fp[k]) fp_Done((*lp)->groups[i].fp[k]);
    cx_hmap_destroy(&(*lp)->words);
    cx_free(*lp);
    *lp = NULL;
}

int cx_langid_nlangs(const cx_langid *l) { return l ? l->nlangs : 0; }

/* Per-call counters gathered in one pass over the text. */
typedef struct lid_scan {
    int sc_script[8], sc_count[8], nsc;
    int letters, latin, han, kana, hangul;
    float cue[Q__COUNT];
    int hits[LID_MAX_LANGS];
    float whits[LID_MAX_LANGS];   /* hits weighted 1/k for a word in k languages' lists */
    int words, al_words;
    int hashtags;                 /* words of hashtags count (not for CX_LANGID_STOPWORDS) */
    int words_done;               /* lid_words ran */
    float twin_ev[4];             /* spelling evidence per lid_twins pair: no/da ms/id uk/ru es/pt */
} lid_scan;

/* Letter cues: bump the languages a code point points at. */
static void lid_cue(lid_scan *s, UChar32 c) {
    float *q = s->cue;
    switch (c) {
    case 0xDF: q[Q_DE] += 2; break;                                   /* ß */
    case 0xE4: q[Q_DE] += .4f; q[Q_SV] += .4f; q[Q_FI] += .6f; break; /* ä */
    case 0xF6: q[Q_DE] += .3f; q[Q_SV] += .3f; q[Q_FI] += .3f; q[Q_TR] += .3f; q[Q_HU] += .3f; break;
    case 0xFC: q[Q_DE] += .5f; q[Q_TR] += .5f; q[Q_HU] += .3f; break; /* ü */
    case 0xF1: q[Q_ES] += 1; break;                                   /* ñ */
    case 0xBF: case 0xA1: q[Q_ES] += 2; break;                        /* ¿ ¡ */
    case 0xE3: case 0xF5: q[Q_PT] += 1; break;                        /* ã õ */
    case 0xE7: q[Q_PT] += .5f; q[Q_FR] += .5f; q[Q_CA] += .5f; q[Q_TR] += .3f; break; /* ç */
    case 0xE9: q[Q_FR] += .3f; q[Q_ES] += .1f; q[Q_PT] += .1f; break;  /* é */
    case 0xE8: case 0xEA: case 0xF9: case 0xFB: case 0xEE: case 0xEF: case 0xEB: case 0x153:
        q[Q_FR] += .5f; break;                                        /* è ê ù û î ï ë œ */
    case 0xE0: q[Q_FR] += .3f; q[Q_IT] += .3f; q[Q_CA] += .3f; q[Q_PT] += .2f; break; /* à */
    case 0xF2: case 0xEC: q[Q_IT] += .5f; q[Q_CA] += .3f; break;      /* ò ì */
    case 0xE5: q[Q_SV] += .7f; q[Q_DA] += .5f; q[Q_NO] += .5f; break; /* å */
    case 0xF8: case 0xE6: q[Q_DA] += .7f; q[Q_NO] += .7f; break;      /* ø æ */
    case 0x11F: case 0x15F: case 0x131: case 0x130: q[Q_TR] += 1.5f; q[Q_RO] += (c == 0x15F) ? .5f : 0; break;
    case 0x105: case 0x119: case 0x142: case 0x17C: case 0x17A: case 0x15B: case 0x107: case 0x144:
        q[Q_PL] += 1; break;                                          /* ą ę ł ż ź ś ć ń */
    case 0x159: case 0x11B: case 0x16F: q[Q_CS] += 1.5f; break;       /* ř ě ů */
    case 0x10D: case 0x161: case 0x17E: case 0xFD: q[Q_CS] += .3f; break;
    case 0x151: case 0x171: q[Q_HU] += 1.5f; break;                   /* ő ű */
    case 0x219: case 0x21B: case 0x163: q[Q_RO] += 1; break;          /* ș ț ţ */
    case 0x103: q[Q_RO] += .7f; q[Q_VI] += .5f; break;                /* ă */
    case 0x1A1: case 0x1B0: case 0x111: q[Q_VI] += 1.5f; break;       /* ơ ư đ */
    /* Arabic script */
    case 0x67E: case 0x686: case 0x698: case 0x6AF: q[Q_FA] += 1; break; /* پ چ ژ گ (fa, ur) */
    case 0x6CC: case 0x6A9: q[Q_FA_WEAK] += 1; break;                 /* ی ک */
    case 0x629: q[Q_AR] += 1; break;                                  /* ة */
    case 0x64A: case 0x649: case 0x643: q[Q_AR_WEAK] += 1; break;     /* ي ى ك */
    case 0x679: case 0x688: case 0x691: case 0x6D2: case 0x6BA: case 0x6BE: case 0x6C1:
        q[Q_UR] += 1; break;                                          /* ٹ ڈ ڑ ے ں ھ ہ */
    /* Cyrillic */
    case 0x456: case 0x457: case 0x454: case 0x491: q[Q_UK] += 1; break; /* і ї є ґ */
    case 0x452: case 0x45B: case 0x45F: case 0x459: case 0x45A: case 0x458: q[Q_SR] += 1; break;
    case 0x45E: q[Q_BE] += 1; break;                                  /* ў */
    case 0x4D9: case 0x493: case 0x49B: case 0x4A3: case 0x4E9: case 0x4B1: case 0x4AF: case 0x4BB:
        q[Q_KK] += 1; break;
    case 0x44B: case 0x44D: case 0x451: case 0x44A: q[Q_RU] += .5f; break; /* ы э ё ъ */
    case 0x9F0: case 0x9F1: q[Q_AS] += 1; break;                      /* ৰ ৱ (Assamese) */
    default:
        if (c >= 0x1EA0 && c <= 0x1EF9) q[Q_VI] += 1;                 /* Vietnamese tone letters */
    }
}

static int lid_ends(const char *w, size_t n, const char *suf) {
    size_t k = strlen(suf);
    return n >= k + 2 && !memcmp(w + n - k, suf, k);
}

/* Spelling that tells Bokmål from Danish in any word: -sjon / -tion,
 * kj- skj- gj- (Danish k- sk- g-), -het / -hed, -ert / -eret, øy / øj,
 * ei / ej, -ig / -igt, ut- opp- / ud- op-, æ.  +1 Bokmål, -1 Danish. */
/* Letter sequences of a Latin word that the twins' spelling cues look for,
 * found in one pass over its bytes (this runs for every word of Latin text). */
typedef struct lid_seq {
    uint8_t sjon, oy, oj, ei, ej, ae, cion, ll, lh_nh;   /* "øy" "øj" "æ" "ción" "lh"/"nh" */
} lid_seq;

static void lid_seq_of(const char *w, size_t n, lid_seq *q) {
    const unsigned char *u = (const unsigned char *)w;
    memset(q, 0, sizeof *q);
    for (size_t i = 0; i + 1 < n; i++) {
        const unsigned char b = u[i + 1];
        switch (u[i]) {
        case 'e': q->ei |= b == 'i'; q->ej |= b == 'j'; break;
        case 'l': q->ll |= b == 'l'; q->lh_nh |= b == 'h'; break;
        case 'n': q->lh_nh |= b == 'h'; break;
        case 's': q->sjon |= b == 'j' && i + 3 < n && u[i + 2] == 'o' && u[i + 3] == 'n'; break;
        case 'c': q->cion |= b == 'i' && i + 4 < n && u[i + 2] == 0xC3 && u[i + 3] == 0xB3 && u[i + 4] == 'n'; break;
        case 0xC3:
            q->ae |= b == 0xA6;
            if (b == 0xB8 && i + 2 < n) { q->oy |= u[i + 2] == 'y'; q->oj |= u[i + 2] == 'j'; }
            break;
        default: break;
        }
    }
}

static float lid_nb_da(const char *w, size_t n, const lid_seq *q) {
    float v = 0;
    if (q->sjon) v += 1;
    if (!memcmp(w, "kj", 2) || !memcmp(w, "gj", 2) || (n >= 5 && !memcmp(w, "skj", 3))) v += 1;
    if (lid_ends(w, n, "het")) v += 1;
    if (lid_ends(w, n, "hed")) v -= 1;
    if (lid_ends(w, n, "eret")) v -= 1;
    else if (lid_ends(w, n, "ert")) v += 1;
    if (q->oy) v += 1;
    if (q->oj) v -= 1;
    if (q->ei) v += .5f;
    if (q->ej) v -= .5f;
    if (lid_ends(w, n, "igt")) v -= 1;
    if (!memcmp(w, "ut", 2) || !memcmp(w, "opp", 3)) v += 1;     /* ut-, opp- (Danish ud-, op-) */
    if (!memcmp(w, "ud", 2) || (w[0] == 'o' && w[1] == 'p' && strchr("dlrsh", w[2]))) v -= 1;
    if (q->ae) v -= .5f;   /* æ: frequent in Danish only */
    return v;
}

/* The same for Ukrainian (+) and Russian (-): infinitives -ти / -ть,
 * nouns -ння / -ние -ния. */
static float lid_uk_ru(const char *w, size_t n) {
    float v = 0;
    if (lid_ends(w, n, "ти")) v += 1;
    if (lid_ends(w, n, "ть")) v -= .5f;
    if (lid_ends(w, n, "ння")) v += 1;
    if (lid_ends(w, n, "ние") || lid_ends(w, n, "ния")) v -= 1;
    return v;
}

/* The same for Spanish (+) and Portuguese (-): -ción / -ção, ll / lh nh,
 * -ble / -vel, word-final -m (Portuguese um em sem bem, Spanish -n). */
static float lid_es_pt(const char *w, size_t n, const lid_seq *q) {
    float v = 0;
    if (q->cion) v += 1;
    if (q->ll) v += .5f;
    if (q->lh_nh) v -= .5f;
    if (lid_ends(w, n, "ble")) v += .5f;
    if (lid_ends(w, n, "vel")) v -= .5f;
    if (w[n - 1] == 'm') v -= .5f;
    return v;
}

/* The same for Malay (+) and Indonesian (-): -iti / -itas, nyah-. */
static float lid_ms_id(const char *w, size_t n) {
    float v = 0;
    if (lid_ends(w, n, "iti")) v += 1;
    if (lid_ends(w, n, "itas")) v -= 1;
    if (n >= 7 && !memcmp(w, "nyah", 4)) v += 1;
    return v;
}

/* Letter-cue points of one word spelt the Bokmål way (-sjon kj- gj- øy). */
#define NB_SPELL 1.0f

/* Finish the current word: look it up in the stop-word table. */
static void lid_word_end(const cx_langid *l, lid_scan *s, char *w, int *wlen, int *wcp, int *al, int *overflow) {
    int n = *wlen;
    while (n > 0 && w[n - 1] == '\'') n--;
    if (n > 0 && !*overflow) {
        s->words++;
        if (*al && *wcp >= 4) s->al_words++;
        /* spelling of close pairs: Latin words (ASCII or Latin-1 first
         * letter) and Cyrillic ones only */
        const unsigned char c0 = (unsigned char)w[0];
        if (n >= 4 && (c0 < 0x80 || c0 == 0xC3)) {
            lid_seq q;
            lid_seq_of(w, (size_t)n, &q);
            s->twin_ev[0] += lid_nb_da(w, (size_t)n, &q);
            if (q.sjon || !memcmp(w, "kj", 2) || !memcmp(w, "gj", 2) || q.oy)
                s->cue[Q_NO] += NB_SPELL;   /* Bokmål spelling, rare in Swedish and Danish */
            s->twin_ev[1] += lid_ms_id(w, (size_t)n);
            s->twin_ev[3] += lid_es_pt(w, (size_t)n, &q);
        } else if (n >= 4 && (c0 == 0xD0 || c0 == 0xD1)) {
            s->twin_ev[2] += lid_uk_ru(w, (size_t)n);
        }
        const uint64_t *m = cx_hmap_get(l->words, w, (size_t)n);
        float wt = m ? 1.0f / (float)__builtin_popcountll(*m) : 0;
        for (uint64_t mask = m ? *m : 0; mask; mask &= mask - 1) {
            s->hits[__builtin_ctzll(mask)]++;
            s->whits[__builtin_ctzll(mask)] += wt;
        }
    }
    *wlen = 0;
    *wcp = 0;
    *al = 0;
    *overflow = 0;
}

static void lid_count_script_n(lid_scan *s, int sc, int n) {
    if (sc == USCRIPT_HAN) s->han += n;
    else if (sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA) s->kana += n;
    else if (sc == USCRIPT_HANGUL) s->hangul += n;
    if (sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA || sc == USCRIPT_HANGUL) sc = USCRIPT_HAN; /* CJK */
    for (int i = 0; i < s->nsc; i++)
        if (s->sc_script[i] == sc) { s->sc_count[i] += n; return; }
    if (s->nsc < 8) {
        s->sc_script[s->nsc] = sc;
        s->sc_count[s->nsc++] = n;
    }
}

static void lid_count_script(lid_scan *s, int sc) { lid_count_script_n(s, sc, 1); }

/* Best language among those written in script whose score is highest;
 * *best and *second receive the two top scores. */
static int lid_rank(const cx_langid *l, const lid_scan *s, int script, float *best, float *second) {
    int bi = -1;
    *best = *second = 0;
    for (int i = 0; i < l->nlangs; i++) {
        if (l->langs[i].script != script) continue;
        float sc = (float)s->hits[i];
        if (script == USCRIPT_LATIN && l->langs[i].cue >= 0) {
            float q = s->cue[l->langs[i].cue];
            sc += q > 3 ? 3 : q;
        }
        if (sc > *best) { *second = *best; *best = sc; bi = i; }
        else if (sc > *second) *second = sc;
    }
    return bi;
}

/* Hits of the language with this code (0 when not in the table). */
static float lid_hits(const cx_langid *l, const lid_scan *s, const char *code) {
    for (int i = 0; i < l->nlangs; i++)
        if (!strcmp(l->langs[i].code, code)) return (float)s->hits[i];
    return 0;
}

/* URLs, e-mail addresses, mentions and hashtags say nothing about the
 * language.  Returns the index after such a token starting at or around
 * i (c is the code point before i), or -1 when there is none. */
static int32_t lid_skip(const UChar *u, int32_t i, int32_t n, UChar32 c) {
    int www = c == '.' && i >= 4 && (u[i - 4] | 32) == 'w' && (u[i - 3] | 32) == 'w' && (u[i - 2] | 32) == 'w' &&
              (i == 4 || !u_isalnum(u[i - 5]));
    if (c == '@' || c == '#' || (c == ':' && i + 1 < n && u[i] == '/' && u[i + 1] == '/') || www) {
        while (i < n && !u_isUWhiteSpace(u[i])) i++;
        return i;
    }
    return -1;
}

/* Enough evidence already: one language leads the stop-word count by 6. */
static int lid_settled(const cx_langid *l, const lid_scan *s) {
    int b = 0, sec = 0;
    for (int i = 0; i < l->nlangs; i++) {
        int h = s->hits[i];
        if (h > b) { sec = b; b = h; }
        else if (h > sec) sec = h;
    }
    return b - sec >= 6;
}

/* Pass 2: split the text into words, lower-case them and count stop-word
 * hits per language (and Arabic words starting with ال).  Stops early once
 * one language is clearly ahead. */
static void lid_words(const cx_langid *l, lid_scan *s, const UChar *u, int32_t n) {
    if (s->words_done) return;
    s->words_done = 1;
    char w[LID_MAX_WORD + 8];
    int wlen = 0, wcp = 0, al = 0, overflow = 0;
    UChar32 first = 0;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        /* Runs of ASCII letters (most of Latin-script feedback): lower-case
         * and append directly; what ends the run takes the general path. */
        if (u[i] < 0x80 && (unsigned)((u[i] | 32) - 'a') < 26u && !overflow) {
            if (wcp == 0) first = u[i] | 32;
            else if (wcp == 1) al = 0;   /* ال needs two Arabic letters */
            do {
                if (wlen + 1 < LID_MAX_WORD) w[wlen++] = (char)(u[i] | 32);
                else { overflow = 1; break; }
                wcp++;
                i++;
            } while (i < n && u[i] < 0x80 && (unsigned)((u[i] | 32) - 'a') < 26u);
            continue;
        }
        U16_NEXT(u, i, n, c);
        int32_t k = (c == '@' || (c == '#' && !s->hashtags) || c == ':' || c == '.') ? lid_skip(u, i, n, c) : -1;
        if (k >= 0) {
            wlen = wcp = al = overflow = 0;
            i = k;
            continue;
        }
        int letter = c < 0x80 ? ((c | 32) >= 'a' && (c | 32) <= 'z') : lid_script_of(c) != 0;
        if (!letter) {
            if ((c == '\'' || c == 0x2019) && wlen > 0 && wlen < LID_MAX_WORD) { w[wlen++] = '\''; continue; }
            if (wlen) {
                lid_word_end(l, s, w, &wlen, &wcp, &al, &overflow);
                if ((s->words & 7) == 0 && lid_settled(l, s)) return;
            }
            continue;
        }
        UChar32 lc = lid_lower(c);
        if (wcp == 0) first = lc;
        else if (wcp == 1) al = (first == 0x627 && lc == 0x644);   /* ال */
        wcp++;
        if (wlen + U8_LENGTH(lc) < LID_MAX_WORD) U8_APPEND_UNSAFE(w, wlen, lc);
        else overflow = 1;
    }
    if (wlen) lid_word_end(l, s, w, &wlen, &wcp, &al, &overflow);
}

/* ---- libexttextcat ranking and the combined decision ---- */

/* Weight of libexttextcat's first choice against stop-word points, reached
 * when it saw TC_FULL_LEN bytes or more (proportionally less below: its
 * profiles of short texts are unreliable). */
#define W_TEXTCAT 3.0f
/* Weight of CLD2's vote (a language scoring all of the text gets this many
 * points at TC_FULL_LEN bytes or more, proportionally less below). */
#define W_CLD2 2.0f
#define TC_FULL_LEN 60
/* Stop-word evidence is decisive (libexttextcat is not asked) when the
 * leader has at least DEC_MIN points and leads by at least DEC_MARGIN. */
#define DEC_MIN 2.0f
#define DEC_MARGIN 1.5f
/* After the vote, a lead of CONF_MARGIN points or more is full confidence. */
#define CONF_MARGIN 1.0f

/* Relative distance at which a language's n-gram vote reaches 0
 * (libexttextcat itself reports the languages within 3% of the best). */
#define TC_SPREAD 0.03f

/* Stop-word and letter-cue points of candidate c (the weights of the first
 * detector; hits weighted by how many languages list the word). */
static float lid_sw_score(const lid_scan *s, const lid_cdef *c) {
    float h = c->lang >= 0 ? s->whits[c->lang] : 0;
    const float *q = s->cue;
    switch (c->kind) {
    case SW_CUE: return h + (q[c->cue] > 3 ? 3 : q[c->cue]);
    case SW_FA: return 2 * q[Q_FA] + q[Q_FA_WEAK] + 1.5f * h;
    case SW_AR: return 2 * q[Q_AR] + q[Q_AR_WEAK] + (float)s->al_words + 1.5f * h;
    case SW_UR: return 2 * q[Q_UR] + 1.5f * h;
    case SW_UK: return h + 2 * q[Q_UK];
    case SW_RU: return h + q[Q_RU];
    case SW_SR: return h + 2 * q[Q_SR];
    case SW_BE: return h + 2 * q[Q_BE];
    case SW_KK: return h + 2 * q[Q_KK];
    default: return h;
    }
}

/* The text libexttextcat sees: UTF-8, letters of the dominant script (and
 * combining marks) plus a little punctuation, everything else (digits,
 * other scripts, emoji, URLs, addresses, mentions) a single space; at most
 * LID_TEXTCAT_MAX bytes, cut at a word boundary.  Returns the length. */
static int lid_textcat_text(const UChar *u, int32_t n, int script, char *out, int cap) {
    int o = 0, space = 1, last_space = 0;
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U16_NEXT(u, i, n, c);
        if (c == '@' || c == ':' || c == '.') {   /* hashtags stay: their words are language */
            int32_t k = lid_skip(u, i, n, c);
            if (k >= 0) {   /* drop the scheme or host part already copied */
                while (o > 0 && out[o - 1] != ' ') o--;
                i = k;
                c = ' ';
            }
        }
        int keep;
        if (c < 0x80) keep = ((c | 32) >= 'a' && (c | 32) <= 'z') ? script == USCRIPT_LATIN
                             : (c == ',' || c == '.' || c == '!' || c == '?' || c == '\'' || c == '-');
        else {
            int sc = lid_script_of(c);
            keep = sc == LID_INHERITED ? !space : sc == script + 1;
            if (!sc && (c == 0x2019 || c == 0x60C || c == 0x61F || c == 0x964)) keep = 1;   /* ’ ، ؟ । */
        }
        if (!keep) {
            if (!space && o < cap) { last_space = o; out[o++] = ' '; }
            space = 1;
            continue;
        }
        if (o + U8_LENGTH(c) > cap) {
            if (last_space > cap / 2) o = last_space;
            break;
        }
        U8_APPEND_UNSAFE(out, o, c);
        space = 0;
    }
    while (o > 0 && out[o - 1] == ' ') o--;
    return o;
}

/* Weight of the n-gram vote between twins, relative to W_TEXTCAT. */
#define TWIN_TC 0.3f
/* Weight of one spelling cue between no and da (lid_nb_da). */
#define TWIN_SPELL 1.0f

/* Decision for a script shared by several languages (group g): stop words
 * and cues, and, when they do not settle it, libexttextcat's ranking of the
 * group's languages and CLD2's answer (or one of them alone, for
 * CX_LANGID_TEXTCAT and CX_LANGID_CLD2). */
static const char *lid_decide_shared(const cx_langid *l, lid_scan *s, const lid_group *g, const UChar *u,
                                     int32_t n, float share, int ngrams, float *cf) {
    float sw[LID_GROUP_CANDS] = {0}, tc[LID_GROUP_CANDS] = {0};
    const int nc = g->ncand;
    int method = l->method;
    for (int i = 0; i < nc && method != CX_LANGID_TEXTCAT && method != CX_LANGID_CLD2; i++) sw[i] = lid_sw_score(s, &g->cand[i]);
    if (g->ifa >= 0 && g->iur >= 0 && sw[g->iur] > 0 && sw[g->iur] * 2 >= sw[g->ifa])
        sw[g->ifa] = 0;   /* Urdu shares the Persian letters */
    float b = 0, sec = 0;
    int bi = -1;
    for (int i = 0; i < nc; i++) {
        if (sw[i] > b) { sec = b; b = sw[i]; bi = i; }
        else if (sw[i] > sec) sec = sw[i];
    }
    if ((method == CX_LANGID_COMBINED || method == CX_LANGID_NOCLD2) && bi >= 0 && b >= DEC_MIN && b - sec >= DEC_MARGIN) {
        float m = (b - sec) / (b + 1.0f);
        *cf = share * (m > 0.5f ? 1.0f : 0.5f + m);
        return g->cand[bi].code;
    }
    int ran = 0;
    float wtc = 0;   /* weight of libexttextcat's vote: grows with the text it saw */
    float wcl = 0, cl[LID_GROUP_CANDS] = {0};   /* CLD2's vote and its weight */
    char buf[LID_TEXTCAT_MAX + 8];
    int len = ngrams ? lid_textcat_text(u, n, g->script, buf, LID_TEXTCAT_MAX) : 0;
    buf[len] = 0;   /* fp_Create may read past the length it is given (valgrind: reads of the
                     * uninitialised bytes after the text); the NUL keeps that defined */
    int use_tc = method == CX_LANGID_COMBINED || method == CX_LANGID_TEXTCAT || method == CX_LANGID_NOCLD2;
    int use_cl = method == CX_LANGID_COMBINED || method == CX_LANGID_CLD2;
    if (g->fp[0] && use_tc && len >= LID_TEXTCAT_MIN) {
        void *fpu = fp_Init(NULL);
        if (fpu) {
            fp_SetProperty(fpu, TCPROP_UTF8AWARE, TC_TRUE);
            fp_SetProperty(fpu, TCPROP_MINIMUM_DOCUMENT_SIZE, LID_TEXTCAT_MIN);
        }
        if (fpu && fp_Create(fpu, buf, (uint4)len, LID_NGRAMS)) {
            /* Out-of-place distance of the text's profile to each language's.
             * The stop-word leader goes first; the others stop counting once
             * they are TC_SPREAD farther than the best so far (their vote
             * would be 0), as libexttextcat does with its 3% threshold. */
            int dist[LID_GROUP_MAX], best = -1;
            int first = bi >= 0 && g->cand[bi].fp >= 0 ? g->cand[bi].fp : 0;
            for (int j = 0; j < g->n; j++) {
                int k = j == 0 ? first : (j <= first ? j - 1 : j);
                int cut = best < 0 ? INT32_MAX : (int)((float)dist[best] * (1.0f + TC_SPREAD)) + 1;
                dist[k] = fp_Compare(g->fp[k], fpu, cut);
                if (best < 0 || dist[k] < dist[best]) best = k;
            }
            wtc = W_TEXTCAT * (len >= TC_FULL_LEN ? 1.0f : (float)len / (float)TC_FULL_LEN);
            for (int i = 0; i < nc && dist[best] > 0; i++) {
                /* vote 1 for the nearest, falling linearly to 0 at TC_SPREAD farther */
                int k = g->cand[i].fp;
                float v = k < 0 ? 0 : 1.0f - ((float)dist[k] / (float)dist[best] - 1.0f) / TC_SPREAD;
                tc[i] = v > 0 ? v : 0;
            }
            ran = 1;
        }
        if (fpu) fp_Done(fpu);
    }
    if (use_cl && len >= LID_TEXTCAT_MIN) {
        /* CLD2's top three, each voting with the share of the text it scored;
         * a language outside the group's candidates votes for none. */
        cx_cld2_result r;
        if (cx_cld2_detect(buf, len, &r) == 0) {
            for (int k = 0; k < 3; k++)
                for (int i = 0; i < nc; i++)
                    if (!strcmp(r.code[k], g->cand[i].code)) cl[i] += (float)r.percent[k] / 100.0f;
            wcl = W_CLD2 * (len >= TC_FULL_LEN ? 1.0f : (float)len / (float)TC_FULL_LEN);
            ran = 1;
        }
    }
    b = sec = 0;
    bi = -1;
    float tot[LID_GROUP_CANDS];
    for (int i = 0; i < nc; i++) tot[i] = sw[i] + wtc * tc[i] + wcl * cl[i];
    /* Twins (no/da, ms/id, uk/ru, es/pt): neither libexttextcat's profiles
     * nor CLD2 separate them well, and their votes would drown the pair's
     * distinctive words.  The pair competes with the others on the better of
     * its two n-gram votes plus both CLD2 shares (CLD2 splits the text
     * between twins); within the pair the stop words and the pair's
     * spelling evidence decide, the n-gram and CLD2 votes weighing TWIN_TC
     * only. */
    for (int i = 0; ran && i < nc; i++) {
        int j = g->twin[i];
        if (j < 0) continue;
        float tw = wtc * (tc[i] > tc[j] ? tc[i] : tc[j]) + wcl * (cl[i] + cl[j]);
        float own = sw[i] + TWIN_TC * (wtc * tc[i] + wcl * cl[i]);
        float other = sw[j] + TWIN_TC * (wtc * tc[j] + wcl * cl[j]);
        own += TWIN_SPELL * (float)g->twin_sign[i] * s->twin_ev[(int)g->twin_pair[i]];
        tot[i] = sw[i] + tw;
        if (own < other || (own == other && i > j)) tot[i] = -1;   /* the twin carries the pair */
        else if (sw[j] + tw > tot[i]) tot[i] = sw[j] + tw;
    }
    for (int i = 0; i < nc; i++) {
        float t = tot[i];
        if (t > b) { sec = b; b = t; bi = i; }
        else if (t > sec) sec = t;
    }
    if (!ran) {   /* too short for n-grams, or not asked for: the stop words alone */
        if (bi < 0 || b < 1.0f || b - sec < 0.5f) { *cf = 0.1f; return "und"; }
        *cf = (b - sec) / (b + 1.0f) * share * (ngrams ? 1.0f : 0.5f);   /* quick: a hint, not a decision */
        return g->cand[bi].code;
    }
    if (bi < 0) { *cf = 0.1f; return "und"; }
    float m = (b - sec) / CONF_MARGIN;
    *cf = share * (m > 1 ? 1 : m);
    return g->cand[bi].code;
}

/* Latin letters dominate, but another script has a good part of them:
 * feedback in Tamil, Japanese or Russian often carries English product and
 * technical words, while the reverse is rare, so the other script marks the
 * language unless the Latin words are clearly a language of their own (the
 * stop words decide).  Han, kana and Hangul count double: one of them holds
 * a syllable or a word.  Returns 1 and switches *dom and *domc to the other
 * script, or 0. */
static int lid_marked(const cx_langid *l, lid_scan *s, const UChar *u, int32_t n, int *dom, int *domc) {
    int alt = -1, altc = 0;
    for (int i = 0; i < s->nsc; i++)
        if (s->sc_script[i] != USCRIPT_LATIN && s->sc_count[i] > altc) { altc = s->sc_count[i]; alt = s->sc_script[i]; }
    int altw = alt == USCRIPT_HAN ? 2 * altc : altc;
    if (alt < 0 || altc < 3 || altw * 4 < *domc) return 0;
    if (l->method == CX_LANGID_TEXTCAT || l->method == CX_LANGID_CLD2) goto marked;
    lid_words(l, s, u, n);
    float b = 0, sec = 0;
    for (int i = 0; i < l->nlangs; i++) {
        if (l->langs[i].script != USCRIPT_LATIN) continue;
        float h = s->whits[i];
        if (h > b) { sec = b; b = h; }
        else if (h > sec) sec = h;
    }
    if (b >= DEC_MIN && b - sec >= DEC_MARGIN) return 0;
marked:
    *dom = alt;
    *domc = altc;
    return 1;
}

/* The detector proper.  Pass 1 counts letters per script and letter cues;
 * pass 2 (stop words) runs only when the dominant script is shared by
 * several languages; libexttextcat only when that is not decisive. */
static const char *lid_detect(const cx_langid *l, const UChar *u, int32_t n, int ngrams, float *conf) {
    lid_scan s;
    memset(&s, 0, sizeof s);
    s.hashtags = l->method != CX_LANGID_STOPWORDS;
    float cf = 0;
    const char *res = "und";
    for (int32_t i = 0; i < n;) {
        UChar32 c;
        U16_NEXT(u, i, n, c);
        int sc;
        if (c < 0x80) {
            if ((c | 32) >= 'a' && (c | 32) <= 'z') {
                s.latin++;
                continue;
            }
            if (c == '@' || (c == '#' && !s.hashtags) || c == ':' || c == '.') {
                int32_t k = lid_skip(u, i, n, c);   /* "www"/"https" itself was counted: harmless */
                if (k >= 0) i = k;
            }
            continue;
        } else {
            if (c < 0x0700 || (c >= 0x1EA0 && c <= 0x1EF9) || c == 0x9F0 || c == 0x9F1) lid_cue(&s, c);
            sc = lid_script_of(c);
            if (!sc) continue;
        }
        s.letters++;   /* combining marks count with the letter before */
        if (sc != LID_INHERITED) lid_count_script(&s, sc - 1);
    }
    if (s.latin) {
        s.letters += s.latin;
        lid_count_script_n(&s, USCRIPT_LATIN, s.latin);
    }
    int dom = -1, domc = 0;
    for (int i = 0; i < s.nsc; i++)
        if (s.sc_count[i] > domc) { domc = s.sc_count[i]; dom = s.sc_script[i]; }
    if (s.letters < 2 || dom < 0) goto out;
    float share = (float)domc / (float)s.letters;
    int nlen = s.letters;   /* letters that speak for the language (length factor) */
    if (l->method != CX_LANGID_STOPWORDS && dom == USCRIPT_LATIN && lid_marked(l, &s, u, n, &dom, &domc)) {
        share = 1.0f;
        nlen = domc;
    }
    if (l->method != CX_LANGID_STOPWORDS) {
        for (int gi = 0; gi < LID_NGROUPS; gi++) {
            if (l->groups[gi].script != dom) continue;
            if (l->method == CX_LANGID_COMBINED || l->method == CX_LANGID_NOCLD2) lid_words(l, &s, u, n);
            res = lid_decide_shared(l, &s, &l->groups[gi], u, n, share, ngrams, &cf);
            goto out;
        }
    }
    int need_words = dom == USCRIPT_LATIN || dom == USCRIPT_ARABIC || dom == USCRIPT_CYRILLIC;
    const char *sdef = script_default(dom);
    for (int i = 0; i < l->nlangs && !need_words; i++)   /* another language shares the script */
        if (l->langs[i].script == dom && (!sdef || strcmp(l->langs[i].code, sdef))) need_words = 1;
    if (need_words) lid_words(l, &s, u, n);
    float lenf = nlen >= 8 ? 1.0f : (float)nlen / 8.0f;
    float script_conf = share * (0.5f + 0.5f * lenf);

    if (dom == USCRIPT_LATIN) {
        float b, sec;
        int bi = lid_rank(l, &s, USCRIPT_LATIN, &b, &sec);
        if (bi < 0 || b < 1.0f || b - sec < 0.5f) { cf = 0.1f; goto out; }
        res = l->langs[bi].code;
        cf = (b - sec) / (b + 1.0f) * share;
    } else if (dom == USCRIPT_HAN) {
        /* Korean has Hangul; Japanese mixes kana into Han; kanji alone reads as Chinese. */
        if (s.hangul && s.hangul >= s.kana) res = "ko";
        else if (s.kana && s.kana * 20 >= s.han) res = "ja";
        else res = "zh";
        cf = script_conf;
    } else if (dom == USCRIPT_ARABIC) {
        float fa = 2 * s.cue[Q_FA] + s.cue[Q_FA_WEAK] + 1.5f * lid_hits(l, &s, "fa");
        float ar = 2 * s.cue[Q_AR] + s.cue[Q_AR_WEAK] + s.al_words + 1.5f * lid_hits(l, &s, "ar");
        float ur = 2 * s.cue[Q_UR] + 1.5f * lid_hits(l, &s, "ur");
        if (ur > 0 && ur * 2 >= fa) fa = 0;   /* Urdu shares the Persian letters */
        float b = fa > ar ? fa : ar;
        b = ur > b ? ur : b;
        if (b <= 0) {
            if (s.letters < 4) goto out;
            res = "ar";
            cf = 0.3f * script_conf;
        } else {
            res = b == ur ? "ur" : b == fa ? "fa" : "ar";
            float rest = (fa + ar + ur) - b;
            cf = script_conf * (b - rest > 0 ? (b - rest) / (b + 1.0f) : 0.2f);
            if (cf < 0.2f) cf = 0.2f;
        }
    } else if (dom == USCRIPT_CYRILLIC) {
        float uk = 2 * s.cue[Q_UK] + lid_hits(l, &s, "uk"), ru = s.cue[Q_RU] + lid_hits(l, &s, "ru");
        float sr = 2 * s.cue[Q_SR] + lid_hits(l, &s, "sr"), be = 2 * s.cue[Q_BE] + lid_hits(l, &s, "be");
        float kk = 2 * s.cue[Q_KK] + lid_hits(l, &s, "kk");
        res = "ru";
        float b = ru;
        if (uk > b) { b = uk; res = "uk"; }
        if (sr > b) { b = sr; res = "sr"; }
        if (be > b) { b = be; res = "be"; }
        if (kk > b) { b = kk; res = "kk"; }
        cf = script_conf;
    } else {
        const char *def = script_default(dom);
        if (dom == USCRIPT_BENGALI && s.cue[Q_AS] > 0) def = "as";
        if (!def) { cf = 0.1f; goto out; }
        res = def;
        /* languages sharing the script (hi / mr / ne) are settled by stop words */
        float b, sec;
        int bi = lid_rank(l, &s, dom, &b, &sec);
        if (bi >= 0 && b >= 1 && b - sec >= 1 && b > lid_hits(l, &s, def)) res = l->langs[bi].code;
        cf = script_conf;
    }
out:
    if (cf > 1) cf = 1;
    if (conf) *conf = cf;
    return res;
}

const char *cx_langid_detect(const cx_langid *l, const UChar *u, int32_t n, float *conf) {
    return lid_detect(l, u, n, 1, conf);
}

const char *cx_langid_detect_quick(const cx_langid *l, const UChar *u, int32_t n, float *conf) {
    return lid_detect(l, u, n, l->method == CX_LANGID_TEXTCAT || l->method == CX_LANGID_CLD2, conf);
}

/* Is code in the space-separated list? */
static int lid_in_list(const char *list, const char *code) {
    size_t n = strlen(code);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && !memcmp(p, code, n)) return 1;
        p += k;
        while (*p == ' ') p++;
    }
    return 0;
}

int cx_langid_known(const char *code) {
    if (!code || !*code) return 0;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].code, code)) return 1;
    for (size_t i = 0; i < sizeof script_langs / sizeof script_langs[0]; i++)
        if (!strcmp(script_langs[i].code, code)) return 1;
    for (int g = 0; g < LID_NGROUPS; g++)
        if (lid_in_list(group_defs[g].langs, code) || lid_in_list(group_defs[g].extra, code)) return 1;
    return 0;
}

int cx_langid_word_key(const char *w, size_t n, char *out, size_t cap) {
    int script;
    if (cap < 2) return -1;
    return lid_lower_utf8(w, (int32_t)n, out, cap > LID_MAX_WORD ? LID_MAX_WORD : (int)cap, &script);
}

const char *cx_langid_method_name(cx_langid_method m) {
    return m == CX_LANGID_STOPWORDS ? "stopwords" : m == CX_LANGID_TEXTCAT ? "textcat" : m == CX_LANGID_CLD2 ? "cld2"
         : m == CX_LANGID_NOCLD2 ? "stopwords+textcat" : "combined";
}

int cx_langid_method_parse(const char *name) {
    if (!name) return -1;
    if (!strcmp(name, "combined")) return CX_LANGID_COMBINED;
    if (!strcmp(name, "stopwords")) return CX_LANGID_STOPWORDS;
    if (!strcmp(name, "textcat")) return CX_LANGID_TEXTCAT;
    if (!strcmp(name, "cld2")) return CX_LANGID_CLD2;
    if (!strcmp(name, "stopwords+textcat")) return CX_LANGID_NOCLD2;
    return -1;
}
