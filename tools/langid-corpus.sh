#!/bin/sh
# tools/langid-corpus.sh - build a multilingual language-identification test
# set from the translations shipped in Debian packages, for `cxflow eval langid`.
#
# Sources: the gettext catalogues (.mo) of the packages installed on this
# machine, under /usr/share/locale; English comes from the original messages
# (msgid) of the German catalogues.  With --firefox L... also the Fluent
# messages of Debian's firefox-esr-l10n-L packages (fetched with
# `apt-get download`, not installed): Urdu, for which few installed packages
# have catalogues, is `--firefox ur`.
#
# Every line of the output is one JSON object {"text", "lang", "src"}: a real
# translated message of 20-300 characters (--min-chars N: N-300) in one of the 40 languages cxflow
# identifies, "src" the catalogue it came from.  Untranslated messages,
# code-like strings, mostly-ASCII messages in non-Latin languages and labels
# of fewer than 3 words are dropped; format directives (%s, %1$d, {name}),
# markup (<b>) and accelerators (_File, &File) are removed.  Per language at
# most N messages (default 150), taken evenly from the sorted, de-duplicated
# list: the same packages always give the same set.  More languages and
# messages: apt-get install packages with translations (coreutils tar bash
# apt dpkg gnupg libgtk-3-0 ...).
#
# The messages keep their packages' licences (mostly GPL / LGPL; Firefox:
# MPL 2.0); they serve as evaluation data only and are not committed to the
# repository (docs/LANGID.md).
#
# usage: tools/langid-corpus.sh [--per-lang N] [--min-chars N] [--locale-dir DIR] [--firefox L...] > FILE.jsonl
set -eu

PER=150
MINCH=20
LOCALEDIR=/usr/share/locale
FIREFOX=""
while [ $# -gt 0 ]; do
    case $1 in
        --per-lang) PER=$2; shift 2 ;;
        --min-chars) MINCH=$2; shift 2 ;;
        --locale-dir) LOCALEDIR=$2; shift 2 ;;
        --firefox) shift; while [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; do FIREFOX="$FIREFOX $1"; shift; done ;;
        -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "langid-corpus: unknown argument $1" >&2; exit 2 ;;
    esac
done
command -v msgunfmt >/dev/null 2>&1 || { echo "langid-corpus: msgunfmt missing (apt-get install gettext)" >&2; exit 1; }

# The filter: reads PO text (msgunfmt's output), prints "message<TAB>src" for
# every message worth keeping (variables: dom, useid, latin, spaced).
FILTER='    function unq(s) {   # the text of a "..." PO line
        sub(/^[a-z\[\]0-9]* *"/, "", s); sub(/"$/, "", s)
        gsub(/\\\\/, "\001", s); gsub(/\\"/, "\"", s); gsub(/\\[nt]/, " ", s); gsub(/\001/, "\\", s)
        return s
    }
    function clean(s) {
        gsub(/%[0-9]+\$[-+ #0-9.*]*[a-zA-Z]+/, " ", s)
        gsub(/%[-+ #0-9.*]*(l|ll|h|z|j|t|L|I64)?[diouxXeEfFgGcsSpm]/, " ", s)
        gsub(/\{[^}]*\}/, " ", s); gsub(/<[^>]*>/, " ", s)
        gsub(/(^|[ (])_/, " ", s); gsub(/&[A-Za-z]/, "", s)
        gsub(/[ ]+/, " ", s)
        sub(/^[] :;,.!?*()\[\/"'"'"'-]+/, "", s); sub(/[ :;,(\[\/-]+$/, "", s)
        return s
    }
    function flush() {
        if (id == "" && str ~ /charset=/ && tolower(str) !~ /charset=utf-8/) bad = 1   # legacy charset
        if (!bad && id != "" && str != "" && str != id && id !~ /^(translator|TRANSLATOR)/) {
            s = clean(useid ? id : str)
            t = s; nch = length(t) - gsub(/[\200-\277]/, "", t)
            t = s; nasc = gsub(/[!-~]/, "", t)                    # printable ASCII characters
            t = s; nwords = gsub(/ /, "", t) + 1
            ok = nch >= minch && nch <= 300 && s !~ /(--|=|\/usr|\.(c|h|conf|so)[ :]|\\|^[-+*]|:\/\/|http|@)/
            if (spaced && nwords < 3) ok = 0                        # labels, not sentences
            if (!latin && (nch - nasc) * 10 < 4 * (nch - (nwords - 1))) ok = 0   # mostly ASCII: untranslated terms
            if (ok) print s "\t" dom
        }
        id = ""; str = ""; mode = ""
    }
    /^msgid / { flush(); id = unq($0); mode = "id"; next }
    /^msgid_plural / { mode = "skip"; next }
    /^msgstr(\[0\])? / { str = unq($0); mode = "str"; next }
    /^msgstr\[/ { mode = "skip"; next }
    /^"/ { if (mode == "id") id = id unq($0); else if (mode == "str") str = str unq($0); next }
    /^$/ { flush() }
    END { flush() }
'

# language code -> locale directories holding its catalogues
dirs_of() {
    case $1 in
        no) echo "nb nb_NO no" ;;
        pt) echo "pt pt_BR pt_PT" ;;
        zh) echo "zh_CN zh_Hans zh_TW zh_HK zh_Hant" ;;
        bn) echo "bn bn_BD bn_IN" ;;
        tl) echo "tl fil" ;;
        en) echo "de" ;;   # English: the original messages (msgid) of the German catalogues
        *) echo "$1" ;;
    esac
}

LANGS="en de fr es it pt nl sv da no fi pl cs ru uk tr el ar fa ur he hi bn ta te mr gu kn ml pa si th vi id ms zh ja ko sw tl"
LATIN="en de fr es it pt nl sv da no fi pl cs tr vi id ms sw tl"   # written in Latin script
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Firefox's Fluent messages of one language pack, as PO text for the filter
# ("key = value" lines; keys as msgid).  $1 language pack name, $2 work dir.
ftl_po() {
    mkdir -p "$2"
    (cd "$2" && apt-get download "firefox-esr-l10n-$1" >/dev/null 2>&1) && dpkg-deb -x "$2"/*.deb "$2/x" || return 1
    for xpi in "$2"/x/usr/lib/firefox-esr/browser/extensions/*.xpi; do
        unzip -p "$xpi" '*.ftl' 2>/dev/null | LC_ALL=C awk '
            /^[a-z0-9-]+ = ./ && !/[{}]/ {
                v = $0; sub(/^[a-z0-9-]+ = /, "", v); gsub(/\\/, "\\\\", v); gsub(/"/, "\\\"", v)
                printf "msgid \"%s\"\nmsgstr \"%s\"\n\n", $1, v
            }'
    done
}
# Language packs fall back to English for messages not yet translated and
# ship some of them as they are: messages identical in the British English
# pack are left out.
if [ -n "$FIREFOX" ]; then
    if ftl_po en-gb "$tmp/ff-en" >"$tmp/ff-en.po"; then
        LC_ALL=C awk -v dom=en -v minch=1 -v useid=0 -v latin=1 -v spaced=0 "$FILTER" <"$tmp/ff-en.po" | cut -f 1 >"$tmp/ff-en.txt"
    else
        echo "langid-corpus: could not fetch firefox-esr-l10n-en-gb (untranslated messages stay in)" >&2
    fi
fi
touch "$tmp/ff-en.txt"

for lang in $LANGS; do
    : >"$tmp/$lang"
    useid=0; [ "$lang" = en ] && useid=1
    case " $LATIN " in *" $lang "*) latin=1 ;; *) latin=0 ;; esac
    case $lang in zh|ja|th) spaced=0 ;; *) spaced=1 ;; esac
    for d in $(dirs_of "$lang"); do
        [ -d "$LOCALEDIR/$d/LC_MESSAGES" ] || continue
        for mo in "$LOCALEDIR/$d/LC_MESSAGES"/*.mo; do
            [ -f "$mo" ] || continue
            dom=$(basename "$mo" .mo)
            case $dom in iso_*) continue ;; esac   # country and language names: labels, not sentences
            msgunfmt --no-wrap "$mo" 2>/dev/null |
                LC_ALL=C awk -v dom="$dom" -v minch="$MINCH" -v useid="$useid" -v latin="$latin" -v spaced="$spaced" "$FILTER" >>"$tmp/$lang" || true
        done
    done
    case " $FIREFOX " in
        *" $lang "*)   # Firefox's Fluent messages ("key = value"), as PO text for the same filter
            if ftl_po "$lang" "$tmp/ff-$lang" >"$tmp/ff-$lang.po"; then
                LC_ALL=C awk -v dom="firefox-esr-l10n-$lang" -v minch="$MINCH" -v useid=0 -v latin="$latin" \
                             -v spaced="$spaced" "$FILTER" <"$tmp/ff-$lang.po" |
                    LC_ALL=C awk -F '\t' 'NR == FNR { en[$0] = 1; next } !($1 in en)' "$tmp/ff-en.txt" - >>"$tmp/$lang" || true
            else
                echo "langid-corpus: $lang: could not fetch firefox-esr-l10n-$lang" >&2
            fi ;;
    esac
    # de-duplicate on the text, then take PER messages spread evenly over the sorted list
    LC_ALL=C sort -t "$(printf '\t')" -k1,1 -u "$tmp/$lang" | LC_ALL=C awk -F '\t' -v per="$PER" -v lang="$lang" '
        { t[NR] = $1; d[NR] = $2 }
        END {
            if (NR == 0) { printf "langid-corpus: %s: no messages\n", lang > "/dev/stderr"; exit }
            step = NR / per; if (step < 1) step = 1
            n = 0
            for (x = 1; x <= NR && n < per; x += step) {
                i = int(x); s = t[i]
                gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, " ", s)
                printf "{\"text\": \"%s\", \"lang\": \"%s\", \"src\": \"%s\"}\n", s, lang, d[i]
                n++
            }
            printf "langid-corpus: %s: %d of %d messages\n", lang, n, NR > "/dev/stderr"
        }'
done
