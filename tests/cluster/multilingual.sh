#!/bin/sh
# tests/cluster/multilingual.sh - complaints about one problem in different
# languages meet in one cluster, through the theme ids.
#
# usage: multilingual.sh BIN_DIR SOURCE_DIR
#
# Runs `cxflow-eval cluster` (the cluster stage's clustering, shipped
# lexicons and defaults) on tests/data/cluster/multilingual.jsonl: 40
# records in 9 languages, 27 of them negative complaints about 6 problems
# (missing refunds in 9 languages, logouts after an update, late cold food,
# double charges, ...), gold = the problem.  Checks, on the negative ones:
#   - purity >= 0.9: a cluster holds one problem;
#   - cross-language recall >= 40%: of the pairs of same-problem records in
#     different languages, at least 40% share a cluster (52.0% when written);
#   - without theme features (cluster.theme_weight = 0) the recall is lower:
#     the theme ids are what bridges the languages.
set -eu
BIN=$1 ROOT=$2
FIX=$ROOT/tests/data/cluster/multilingual.jsonl
run() {
    "$BIN/cxflow-eval" cluster "$FIX" --negative-only --lexicon "$ROOT/lexicons" "$@"
}
out=$(run) || { echo "cxflow-eval failed"; exit 1; }
echo "$out" | tail -n 3
recall=$(echo "$out" | sed -n 's/^cross-language: .*(\([0-9.]*\)%)$/\1/p')
purity=$(echo "$out" | sed -n 's/^cluster .* purity=\([0-9.]*\) .*/\1/p')
bare=$(run -o cluster.theme_weight=0 | sed -n 's/^cross-language: .*(\([0-9.]*\)%)$/\1/p')
echo "cross-language recall ${recall}% (without theme features ${bare}%), purity $purity"
[ -n "$recall" ] && [ -n "$purity" ] && [ -n "$bare" ] || { echo "FAIL: no figures in the output"; exit 1; }
fail=0
awk "BEGIN { exit !($purity >= 0.9) }" || { echo "FAIL: purity $purity < 0.9"; fail=1; }
awk "BEGIN { exit !($recall >= 40) }" || { echo "FAIL: cross-language recall $recall% < 40%"; fail=1; }
awk "BEGIN { exit !($bare < $recall) }" || { echo "FAIL: theme ids do not help ($bare% vs $recall%)"; fail=1; }
exit $fail
