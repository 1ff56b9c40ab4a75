#!/bin/sh
# sink/rotate.sh - rotation of the JSON-lines file (docs/SINKS.md "JSON lines").
#
# A rotation size of one byte rotates at every batch commit with records, and
# batches of at most 4 records make at least 9 of them for the 36 records of
# the mixed fixture.  With sink.jsonl_keep = 1000: records.jsonl.1 .. .N with
# no gap, every file made of whole lines, and the files together hold every
# stored record exactly once.  Then the sink restarts with sink.jsonl_keep = 3
# and takes 8 more records: only records.jsonl.1 .. .3 are left (the older
# ones deleted), whole lines, and .1 holds the newest records.
BIN=$1 ROOT=$2
. "$ROOT/tests/lib.sh"
OUT=$T/out/records.jsonl
conf() { write_conf "kafka.partitions = 1" "sink.batch = 4" "sink.jsonl_rotate_mb = 0.000001" "$@"; }
# whole_lines FILE - ends with a newline (or is empty), every line a JSON object
whole_lines() {
    [ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || fail "$1 ends inside a line"
    [ "$(grep -vc '^{"topic":.*}$' "$1")" = 0 ] || fail "$1 has a broken line: $(grep -v '^{"topic":.*}$' "$1" | head -n 1)"
}
conf "sink.jsonl_keep = 1000"
start_pipeline
FIX=$ROOT/tests/data/pipeline/mixed.jsonl
produce "$FIX"
wait_records 36 60
n=0
while [ -e "$OUT.$((n + 1))" ]; do n=$((n + 1)); done
[ "$n" -ge 9 ] || fail "only $n rotated files for at least 9 batches: $(ls "$T/out")"
[ "$(ls "$T/out" | grep -c '^records\.jsonl\.')" = "$n" ] || fail "rotated files with a gap: $(ls "$T/out")"
for f in "$OUT" "$OUT".*; do whole_lines "$f"; done
lines=$(cat "$OUT" "$OUT".* | grep -c .)
[ "$lines" = 36 ] || fail "the files hold $lines lines for 36 records"
ids=$(cat "$OUT" "$OUT".* | sed 's/.*"offset":\([0-9]*\),.*/\1/' | sort -u | grep -c .)
[ "$ids" = 36 ] || fail "the files hold $ids distinct offsets for 36 records"
note "keep 1000: $n rotated files, 36 whole lines"

# keep 3: the next rotation deletes everything beyond records.jsonl.3
conf "sink.jsonl_keep = 3"
victim=$(pid_of sink)
kill -9 "$victim"
wait_restarted sink "$victim"
head -n 8 "$FIX" >"$T/more.jsonl"
produce "$T/more.jsonl"
wait_records 44 60
ls "$T/out" | grep -q '^records\.jsonl\.3$' || fail "records.jsonl.3 missing: $(ls "$T/out")"
[ "$(ls "$T/out" | grep -c '^records\.jsonl\.')" = 3 ] || fail "more than 3 rotated files kept: $(ls "$T/out")"
for f in "$OUT" "$OUT".*; do whole_lines "$f"; done
newest=$(sed 's/.*"offset":\([0-9]*\),.*/\1/' "$OUT.1" | sort -n | tail -n 1)
[ "$newest" = 43 ] || fail "records.jsonl.1 does not hold the newest record (offset 43): its last is $newest"
stop_pipeline
note "rotation test passed"
