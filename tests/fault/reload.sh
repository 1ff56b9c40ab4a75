#!/bin/sh
# fault/reload.sh - lexicons reloaded on SIGHUP in the middle of a 20,000-record run.
#
# The pipeline reads a copy of the lexicons.  A tenth of the way through,
# "disappointed" becomes strongly positive in the copy and `cxflow reload`
# (cxflow-ctl reload) sends SIGHUP to tokenize and tag: both rebuild their
# lexicons while records keep flowing, and the records tagged from then on
# carry the new sentiment (t-01 "... Very disappointed." turns from negative
# to positive).  Then the copy gets a malformed rules line: the tag stage
# refuses the new files with the file:line reason in its log and keeps
# scoring with the lexicons it had, tokenize skips the line (logged with its
# number); nothing restarts.  Then the line is removed and SIGHUP goes to the
# supervisor, which passes it on: both stages reload again.  Last, the user
# theme directory (themes.user_dir, a copy of tests/data/themes_user/good)
# gets a bad signal line: the tag stage refuses the reload with that
# file:line, and takes the next one once the line is gone.  Passes when every
# one of the 20,000 offsets is in the SQLite sink exactly once and committed.
#
# "Tagged after the reload" is decided by the sink's insertion order (rowid):
# ingest keeps fewer than ingest.max_inflight + 1000 records in the pipeline
# (stages/ingest/main.c), so when a reload is seen at most that many records
# tagged with the old lexicons are still to be stored: every record stored
# more than MARGIN rows later was tagged with the new ones.
BIN=$1 ROOT=$2
N=${CXFLOW_RELOAD_RECORDS:-20000}
MARGIN=3000   # > ingest.max_inflight (1000) + 1000
. "$ROOT/tests/lib.sh"
LEX=$T/lexicons
cp -R "$ROOT/lexicons" "$LEX"
UDIR=$T/user-themes
cp -R "$ROOT/tests/data/themes_user/good" "$UDIR"
write_conf "lexicons.dir = $LEX" "themes.user_dir = $UDIR" "ingest.ack_timeout_ms = 2000" "ingest.max_inflight = 1000" "sink.jsonl = \"\""
start_pipeline
tag_pid=$(pid_of tag)
tok_pid=$(pid_of tokenize)
rows() { sql 'SELECT coalesce(max(rowid), 0) FROM records'; }
# labels of record t-01 stored in rowid range ($1, $2]
labels() { sql "SELECT group_concat(label) FROM (SELECT DISTINCT label FROM records WHERE id = 't-01' AND rowid > $1 AND rowid <= $2)"; }
count01() { sql "SELECT count(*) FROM records WHERE id = 't-01' AND rowid > $1 AND rowid <= $2"; }
# wait_metric STAGE NAME VALUE - until run/metrics/STAGE.prom shows it (at most 120 s)
wait_metric() {
    i=0
    while [ "$(metric "$1" "$2")" != "$3" ]; do
        i=$((i + 1)); sleep 0.2; [ $i -lt 600 ] || fail "$1: $2 is '$(metric "$1" "$2")', expected $3"
    done
}

note "producing $N records; lexicons reloaded from $LEX"
produce --count "$N" --max-ahead 8000 "$ROOT/tests/data/pipeline/mixed.jsonl" &
PROD=$!
EXTRA_PIDS=$PROD
wait_records $((N / 10)) 240
R0=$(rows)
[ "$(labels 0 "$R0")" = negative ] || fail "t-01 before the reload: '$(labels 0 "$R0")', expected negative"

# 1. a valid change: "disappointed" from -2.5 to +4
awk -F'\t' -v OFS='\t' '$1 == "disappointed" { $2 = "4.0" } { print }' "$LEX/sentiment/en.tsv" >"$T/en.tsv"
mv "$T/en.tsv" "$LEX/sentiment/en.tsv"
grep -q "^disappointed	4.0\$" "$LEX/sentiment/en.tsv" || fail "could not change the copy of sentiment/en.tsv"
"$BIN/cxflow-ctl" reload -c "$CONF" >"$T/reload1.out" 2>&1 || fail "cxflow reload: $(cat "$T/reload1.out")"
grep -q '^tag: reloaded' "$T/reload1.out" && grep -q '^tokenize: reloaded' "$T/reload1.out" ||
    fail "cxflow reload: $(cat "$T/reload1.out")"
[ "$(metric tag tag_reloads_total)" = 1 ] || fail "tag_reloads_total is '$(metric tag tag_reloads_total)' after the reload"
R1=$(rows)
note "reloaded with $R1 records stored: $(tr '\n' ';' <"$T/reload1.out")"
[ $((R1 + MARGIN + 6000)) -le "$N" ] || fail "the reload took until $R1 records were stored: too late to test"
wait_records $((R1 + MARGIN + 1000)) 240
[ "$(labels $((R1 + MARGIN)) "$(rows)")" = positive ] ||
    fail "t-01 tagged after the reload: '$(labels $((R1 + MARGIN)) "$(rows)")', expected positive"

# 2. an invalid change: the tag stage refuses it and keeps the lexicons it has
printf 'intensifier\tsuper-duper\tlots\n' >>"$LEX/rules/en.tsv"
bad=$(wc -l <"$LEX/rules/en.tsv")
rc=0
"$BIN/cxflow-ctl" reload -c "$CONF" >"$T/reload2.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "cxflow reload of a malformed lexicon exited with $rc: $(cat "$T/reload2.out")"
grep -q "^tag: reload FAILED.*$LEX/rules/en.tsv:$bad: bad weight 'lots'" "$T/reload2.out" ||
    fail "cxflow reload did not name the bad line: $(cat "$T/reload2.out")"
grep -q "reload failed, keeping the old state: $LEX/rules/en.tsv:$bad: bad weight 'lots'" "$T/run/tag.log" ||
    fail "the tag stage did not log the file:line reason"
grep -q '^tokenize: reloaded' "$T/reload2.out" || fail "tokenize: $(cat "$T/reload2.out")"
grep -q "lexicon $LEX/rules/en.tsv: 1 line(s) skipped (first: line $bad)" "$T/run/tokenize.log" ||
    fail "the tokenize stage did not log the skipped line"
[ "$(metric tag tag_reloads_total)" = 1 ] && [ "$(metric tag reload_failures_total)" = 1 ] ||
    fail "tag reloads: $(metric tag tag_reloads_total) succeeded, $(metric tag reload_failures_total) failed"
R2=$(rows)
note "malformed rules line refused with $R2 records stored: $(tr '\n' ';' <"$T/reload2.out")"
[ $((R2 + 2000)) -le "$N" ] || fail "the refused reload came when $R2 records were stored: too late to test"
wait_records $((R2 + 2000)) 240

# 3. the line removed; SIGHUP to the supervisor reaches both stages
sed '$d' "$LEX/rules/en.tsv" >"$T/rules.tsv"
mv "$T/rules.tsv" "$LEX/rules/en.tsv"
kill -HUP "$(cat "$T/run/supervisor.pid")"
wait_metric tag tag_reloads_total 2
wait_metric tokenize reloads_total 3
grep -q 'SIGHUP: passed on to tag' "$T/supervisor.log" || fail "the supervisor did not pass SIGHUP on"

# 4. a bad line in the user theme directory: refused with its file:line, then taken once fixed
printf 'happiness\tyay\n' >>"$UDIR/signals/en.tsv"
ubad=$(wc -l <"$UDIR/signals/en.tsv")
rc=0
"$BIN/cxflow-ctl" reload -c "$CONF" >"$T/reload4.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "cxflow reload of a malformed user theme file exited with $rc: $(cat "$T/reload4.out")"
grep -q "^tag: reload FAILED.*$UDIR/signals/en.tsv:$ubad: unknown signal 'happiness'" "$T/reload4.out" ||
    fail "cxflow reload did not name the bad user line: $(cat "$T/reload4.out")"
sed '$d' "$UDIR/signals/en.tsv" >"$T/usig.tsv"
mv "$T/usig.tsv" "$UDIR/signals/en.tsv"
"$BIN/cxflow-ctl" reload -c "$CONF" >"$T/reload5.out" 2>&1 || fail "cxflow reload: $(cat "$T/reload5.out")"
wait_metric tag tag_reloads_total 3

wait $PROD || fail "producing failed"
EXTRA_PIDS=
wait_records "$N" 240
check_exactly_once "$N"
wait_committed "$N" 30
[ "$(pid_of tag)" = "$tag_pid" ] && [ "$(pid_of tokenize)" = "$tok_pid" ] || fail "a stage was restarted"
! grep -q 'restarting in' "$T/supervisor.log" || fail "the supervisor restarted a stage"
[ "$(metric tag records_failed_total)" = 0 ] || fail "the tag stage failed $(metric tag records_failed_total) records"
end=$(rows)
[ "$(labels $((R1 + MARGIN)) "$end")" = positive ] ||
    fail "t-01 after the reloads: '$(labels $((R1 + MARGIN)) "$end")', expected positive"
[ "$(count01 "$R2" "$end")" -gt 0 ] || fail "no t-01 record stored after the refused reload"
stop_pipeline
note "reload: t-01 negative in $(count01 0 "$R0") records before, positive in $(count01 $((R1 + MARGIN)) "$end") after; malformed line refused with its file:line, $N records exactly once"
