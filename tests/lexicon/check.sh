#!/bin/sh
# lexicon/check.sh - cxflow-lexcheck on fixtures (tests/data/lexcheck/).
#
#   bad/   one file per kind of problem; bad.expected lists every problem the
#          check must report ("location<TAB>[warning:]<TAB>words of the reason"):
#          each expected line must match exactly one output line that starts
#          with the location (and "warning:" when given) and contains the words,
#          and no other problem may be printed; exit status 1.
#   good/  a small clean directory: no problem, exit status 0.
# Then bad usage (a missing directory, an unknown option) exits with 2.
set -eu
BIN=$1 ROOT=$2
OUT=$(mktemp /tmp/cxflow-lexcheck-test.XXXXXX)
trap 'rm -f "$OUT"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$ROOT/tests/data/lexcheck"

rc=0
"$BIN/cxflow-lexcheck" bad >"$OUT" 2>&1 || rc=$?
cat "$OUT"
[ "$rc" = 1 ] || fail "exit status $rc on bad/, expected 1"
awk -F'\t' '
    NR == FNR {
        if ($0 ~ /^#/ || $0 == "") next
        n++; loc[n] = $1; warn[n] = $2; words[n] = $3
        next
    }
    /^lexicon_check / { next }
    {
        for (i = 1; i <= n; i++) {
            if (used[i] || index($0, loc[i] " ") != 1) continue
            rest = substr($0, length(loc[i]) + 2)
            if ((warn[i] != "") != (index(rest, "warning: ") == 1)) continue
            if (!index(rest, words[i])) continue
            used[i] = 1
            next
        }
        print "unexpected: " $0; bad = 1
    }
    END {
        for (i = 1; i <= n; i++)
            if (!used[i]) { print "missing: " loc[i] " " warn[i] " ..." words[i] "..."; bad = 1 }
        exit bad
    }' bad.expected "$OUT" >&2 || fail "bad/: the problems reported differ from bad.expected"
warnings=$(grep -c '^bad/[^ ]*: warning: ' "$OUT" || true)
errors=$(($(grep -c '^bad/' "$OUT" || true) - warnings))
grep -qx "lexicon_check files=21 entries=79 errors=$errors warnings=$warnings" "$OUT" ||
    fail "bad/: summary line '$(tail -n 1 "$OUT")' (expected files=21 entries=79 errors=$errors warnings=$warnings)"

rc=0
"$BIN/cxflow-lexcheck" good >"$OUT" 2>&1 || rc=$?
cat "$OUT"
[ "$rc" = 0 ] || fail "exit status $rc on good/, expected 0"
grep -qx "lexicon_check files=7 entries=18 errors=0 warnings=0" "$OUT" || fail "good/: $(cat "$OUT")"

rc=0
"$BIN/cxflow-lexcheck" no-such-dir >"$OUT" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc for a missing directory, expected 2"
rc=0
"$BIN/cxflow-lexcheck" --bogus good >"$OUT" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc for an unknown option, expected 2"
echo "lexicon check: bad/ reports $errors errors and $warnings warnings as expected; good/ is clean"
