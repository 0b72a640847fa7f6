#!/usr/bin/env bash
# make drill: break one day on purpose, then recover it with the runbook's
# commands, one line of commentary per step. It works in a home of its own
# (DRILL_HOME, default data/drill), so the demo's data is never touched, and
# it stops at the first command that does not exit as announced.
set -uo pipefail

FACTORY=${FACTORY:-factory}
export FACTORY_HOME=${DRILL_HOME:-data/drill}
START=2026-11-01
END=2026-11-04
DAY=2026-11-03
# the error-severity check the injected fault trips (models/marts/_marts__models.yml)
CHECK=accepted_values_ticket_fact_channel__email__chat__phone__web
step_number=0

step() {  # step "commentary" EXPECTED_EXIT command...
    local say=$1 expected=$2
    shift 2
    step_number=$((step_number + 1))
    printf '\n\033[1m[%d] %s\033[0m\n$ %s\n' "$step_number" "$say" "$*"
    "$@"
    local got=$?
    if [ "$got" -ne "$expected" ]; then
        echo "drill stopped at step $step_number: \`$*\` exited $got, expected $expected" >&2
        exit 1
    fi
    [ "$expected" -eq 0 ] || echo "(exit $got, as expected)"
}

rm -rf "$FACTORY_HOME"
mkdir -p "$FACTORY_HOME"
echo "drill home: $FACTORY_HOME  (runbook: runbooks/failed-check.md)"

step "Four days of exports; on $DAY the source system sends 0.5% of events with channel 'fax'." \
    0 "$FACTORY" generate --start $START --days 4 --tickets-per-day 100 --faults "bad_enum@$DAY"
step "Run them. The error-severity channel check fails on $DAY, so the run exits 1." \
    1 "$FACTORY" run --start $START --end $END
step "The broken grid: ticket_fact $DAY shows '!', what reads it is blocked (B)." \
    0 "$FACTORY" status --since $START
step "The consumer is blocked for $DAY, and the gate names the failing check." \
    1 "$FACTORY" gate retrieval_index --partition $DAY
step "The plan says investigate: the input was valid, a person must look at the rows." \
    1 "$FACTORY" plan
step "The offending rows: one row per bad value, with how many events carry it." \
    0 "$FACTORY" failures $CHECK --partition $DAY
step "Decision: the export is wrong. The source team sends a corrected one (version 2)." \
    0 "$FACTORY" generate --start $DAY --days 1 --tickets-per-day 100 --export-version 2
step "With a new manifest landed, the plan now says replay (runbooks/bad-or-corrected-export.md)." \
    1 "$FACTORY" plan
step "Replay the day: re-ingest, rebuild it, then rebuild the later days that read it." \
    0 "$FACTORY" replay --partition $DAY
step "Every cell is consumable again." \
    0 "$FACTORY" status --since $START
step "The consumer is released for $DAY." \
    0 "$FACTORY" gate retrieval_index --partition $DAY
step "Nothing left to do." \
    0 "$FACTORY" plan
echo
echo "drill done: $DAY broke, was diagnosed and recovered; evidence in $FACTORY_HOME/evidence/"
