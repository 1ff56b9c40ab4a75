#!/bin/sh
# fault/kill9.sh STAGE - kill -9 one stage in the middle of a 20,000-record run.
#
# The supervisor restarts the stage (with backoff); ingest sends unacknowledged
# records again after its ack timeout, or - when ingest itself was killed -
# its successor re-reads everything after the last committed offset.  Passes
# when every one of the 20,000 source offsets is in the SQLite sink exactly
# once and all offsets were committed.
BIN=$1 ROOT=$2 STAGE=$3
N=${CXFLOW_KILL9_RECORDS:-20000}
. "$ROOT/tests/lib.sh"
write_conf "ingest.ack_timeout_ms = 2000" "sink.jsonl = \"\""
start_pipeline
note "producing $N records; will kill -9 $STAGE once a third is stored"
produce --count "$N" --max-ahead 8000 "$ROOT/tests/data/pipeline/mixed.jsonl" &
PROD=$!
wait_stored $((N / 3))
victim=$(pid_of "$STAGE")
stored=$(sql 'SELECT count(*) FROM records')
kill -9 "$victim"
note "killed $STAGE (pid $victim) with $stored records stored"
wait $PROD || fail "producing failed"
wait_restarted "$STAGE" "$victim"   # the supervisor must have restarted it
wait_records "$N" 240
check_exactly_once "$N"
wait_committed "$N" 20
grep -q "$STAGE killed by signal 9" "$T/supervisor.log" || fail "the supervisor did not report the crash"
stop_pipeline
note "kill -9 $STAGE: $N records exactly once (resent by ingest: $(metric ingest records_resent_total), duplicates ignored by the sink: $(metric sink records_duplicate_total))"
