#!/bin/sh
# lexicon/user_dir.sh - cxflow-lexcheck on user theme directories
# (themes.user_dir, tests/data/themes_user/): good/ passes with the shipped
# lexicons and is recognised as a user directory; every broken line of bad/
# is reported as file:line (exit status 1).
set -eu
BIN=$1 ROOT=$2
OUT=$(mktemp /tmp/cxflow-lexcheck-user.XXXXXX)
trap 'rm -f "$OUT"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$OUT" >&2; exit 1; }
cd "$ROOT/tests/data/themes_user"

rc=0
"$BIN/cxflow-lexcheck" --lexicons "$ROOT/lexicons" good >"$OUT" 2>&1 || rc=$?
cat "$OUT"
[ "$rc" = 0 ] || fail "exit status $rc on good/, expected 0"
grep -q "^good: note: a user theme directory" "$OUT" || fail "good/ not recognised as a user theme directory"
grep -qx "lexicon_check files=4 entries=15 errors=0 warnings=0" "$OUT" || fail "good/: unexpected summary"

rc=0
"$BIN/cxflow-lexcheck" --lexicons "$ROOT/lexicons" bad >"$OUT" 2>&1 || rc=$?
cat "$OUT"
[ "$rc" = 1 ] || fail "exit status $rc on bad/, expected 1"
for want in \
    "bad/taxonomy.tsv:3: duplicate theme id 'delivery.locker'" \
    "bad/taxonomy.tsv:4: @problem: theme 'delivery.nowhere' is not defined" \
    "bad/en.tsv:3: expected 2 tab-separated fields" \
    "bad/en.tsv:4: theme 'nonexistent.theme' is not in the taxonomy" \
    "bad/en.tsv:5: warning: nothing to remove" \
    "bad/names/de.tsv:3: theme 'no.such.theme' is not in themes/taxonomy.tsv" \
    "bad/names/de.tsv:4: duplicate theme id 'delivery.locker'" \
    "bad/signals/en.tsv:3: unknown signal 'happiness'" \
    "bad/signals/en.tsv:4: unknown signal 'request'" \
    "bad/signals/en.tsv:5: term '<num>' is only a number"; do
    grep -qF "$want" "$OUT" || fail "bad/: missing '$want'"
done
grep -qx "lexicon_check files=4 entries=14 errors=9 warnings=1" "$OUT" || fail "bad/: unexpected summary"
echo "lexicon_check_user_dir ok"
