#!/bin/sh
# tests/themes/cases.sh - the theme and signal rule cases of every language,
# run through the real tokenizer and tagger with the SHIPPED lexicons.
#
# usage: cases.sh BIN_DIR SOURCE_DIR [LANG...]
#
# Case files: tests/data/themes/<lang>.tsv, one case a line:
#     themes <TAB> signals <TAB> sentence
# themes:  comma-separated theme ids that must be tagged; a listed id is
#          satisfied by itself or any of its sub-themes (delivery by
#          delivery.late); "-" means no theme at all; "*" means do not check.
# signals: comma-separated signal names that must be present (question,
#          request, churn, effort, urgency, legal, praise, suggestion); "-"
#          means none; "*" means do not check.
# Lines starting with # and blank lines are skipped.  The language is forced
# to <lang>.  Prints every failing case as "file:line: ..." with what was
# tagged, then "theme_cases lang=L n=N failed=F" per language; exits 1 if
# any case failed (or a file is malformed).
set -eu
BIN=$1 ROOT=$2
shift 2
DATA="$ROOT/tests/data/themes"
LANGS=${*:-$(cd "$DATA" && ls *.tsv | sed 's/\.tsv$//')}
TMP=${TMPDIR:-/tmp}
status=0
for lang in $LANGS; do
    f="$DATA/$lang.tsv"
    [ -f "$f" ] || { echo "theme_cases: no case file $f" >&2; status=1; continue; }
    # line number, themes, signals, sentence of every case
    awk -F'\t' -v OFS='\t' '/^[[:space:]]*#/ || /^[[:space:]]*$/ { next } { print FNR, $0 }' "$f" \
        >"$TMP/cx-tcases.$$"
    if ! cut -f 4- "$TMP/cx-tcases.$$" |
        "$BIN/cxflow-tagtext" --lexicons "$ROOT/lexicons" --lang "$lang" --evidence >"$TMP/cx-tcases-out.$$"; then
        echo "theme_cases lang=$lang: cxflow-tagtext failed (its error is above)"
        status=1
        rm -f "$TMP/cx-tcases.$$" "$TMP/cx-tcases-out.$$"
        continue
    fi
    out=$(paste "$TMP/cx-tcases.$$" "$TMP/cx-tcases-out.$$" | awk -F'\t' -v lang="$lang" -v file="$f" '
        # has(list, x): x is one of the comma-separated items of list
        function has(list, x,    n, a, i) {
            n = split(list, a, ",")
            for (i = 1; i <= n; i++) if (a[i] == x) return 1
            return 0
        }
        {
            line = $1; want_t = $2; want_s = $3; text = $4
            got_t = $8; got_s = $9; expl = $10; ev = $11
            n++
            why = ""
            if (NF != 11) why = "malformed case (expected themes<TAB>signals<TAB>sentence)"
            # the tagged ids, without ":mentions:sentiment"
            ids = ""
            k = split(got_t, tt, ",")
            for (i = 1; i <= k; i++) { sub(/:.*/, "", tt[i]); ids = ids (ids == "" ? "" : ",") tt[i] }
            if (why == "" && want_t == "*") {
            } else if (why == "" && want_t == "-") {
                if (ids != "") why = "expected no theme"
            } else if (why == "") {
                m = split(want_t, wt, ",")
                for (i = 1; i <= m; i++) {
                    ok = 0
                    for (j = 1; j <= k; j++)
                        if (tt[j] == wt[i] || index(tt[j], wt[i] ".") == 1) ok = 1
                    if (!ok) why = why (why == "" ? "" : "; ") "theme " wt[i] " missing"
                }
            }
            if (why == "" || index(why, "malformed") == 0) {
                if (want_s == "-") {
                    if (got_s != "") why = why (why == "" ? "" : "; ") "expected no signal"
                } else if (want_s != "*") {
                    m = split(want_s, ws, ",")
                    for (i = 1; i <= m; i++)
                        if (!has(got_s, ws[i])) why = why (why == "" ? "" : "; ") "signal " ws[i] " missing"
                }
            }
            if (why != "") {
                failed++
                printf "%s:%s: %s\n    %s\n    themes: %s\n    signals: %s (%s)\n    %s\n", file, line, why, text,
                       ids == "" ? "-" : ids, got_s == "" ? "-" : got_s, ev, expl
            }
        }
        END { printf "theme_cases lang=%s n=%d failed=%d\n", lang, n, failed + 0; exit failed > 0 }') || status=1
    echo "$out"
    rm -f "$TMP/cx-tcases.$$" "$TMP/cx-tcases-out.$$"
done
exit $status
