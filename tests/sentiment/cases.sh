#!/bin/sh
# tests/sentiment/cases.sh - the sentiment rule cases of every language, run
# through the real tokenizer and tagger with the SHIPPED lexicons.
#
# usage: cases.sh BIN_DIR SOURCE_DIR [LANG...]
#
# Case files: tests/data/sentiment/<lang>.tsv, written by the project, one
# case a line:
#     expected <TAB> text [<TAB> explanation substring]
# expected is positive, negative or neutral; the optional third field must
# appear in the explanation cxflow-tagtext prints (e.g. "negated (nicht)").
# Lines starting with # are comments.  The language is forced to <lang>.
# Prints every failing case with the tagger's explanation, then
# "sentiment_cases lang=L n=N failed=F" per language; exits 1 if any failed.
set -eu
BIN=$1 ROOT=$2
shift 2
LANGS=${*:-$(cd "$ROOT/tests/data/sentiment" && ls *.tsv | sed 's/\.tsv$//')}
status=0
for lang in $LANGS; do
    f="$ROOT/tests/data/sentiment/$lang.tsv"
    [ -f "$f" ] || { echo "cases: no case file $f" >&2; status=1; continue; }
    # the cases without comments, and the texts alone for the tagger
    grep -v '^#' "$f" | grep -v '^[[:space:]]*$' >"${TMPDIR:-/tmp}/cx-cases.$$" || true
    if ! cut -f 2 "${TMPDIR:-/tmp}/cx-cases.$$" |
        "$BIN/cxflow-tagtext" --lexicons "$ROOT/lexicons" --lang "$lang" >"${TMPDIR:-/tmp}/cx-cases-out.$$"; then
        echo "sentiment_cases lang=$lang: cxflow-tagtext failed (its error is above)"
        status=1
        rm -f "${TMPDIR:-/tmp}/cx-cases.$$" "${TMPDIR:-/tmp}/cx-cases-out.$$"
        continue
    fi
    out=$(paste "${TMPDIR:-/tmp}/cx-cases.$$" "${TMPDIR:-/tmp}/cx-cases-out.$$" | awk -F '\t' -v lang="$lang" '
        {
            want = $1; text = $2; need = (NF >= 9) ? $3 : ""
            off = (NF >= 9) ? 3 : 2          # the tagger columns start after the case columns
            got = $(off + 1); score = $(off + 2); expl = $(off + 6)
            n++
            bad = (want != got)
            if (!bad && need != "" && index(expl, need) == 0) bad = 2
            if (bad) {
                failed++
                printf "FAIL %s: want %s got %s (%s)%s\n    %s\n    %s\n", lang, want, got, score,
                       bad == 2 ? " explanation lacks \"" need "\"" : "", text, expl
            }
        }
        END { printf "sentiment_cases lang=%s n=%d failed=%d\n", lang, n, failed + 0; exit failed > 0 }') || status=1
    echo "$out"
    rm -f "${TMPDIR:-/tmp}/cx-cases.$$" "${TMPDIR:-/tmp}/cx-cases-out.$$"
done
exit $status
