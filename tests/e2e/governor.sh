#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# governor.sh - dirty-factor bandwidth governor on a dirtying guest
#
# The guest dirties a 48 MiB working set at 24 MiB/s (mig-dirty); the
# source runs pre-copy with bandwidth-policy=dirty-factor, at most
# GOV_ROUNDS rounds, max-bandwidth GOV_MAX, while the client streams UDP.
# Asserts, from the MIGRATION_GOVERNOR_ROUND events and query-migrate:
#   - every round reports its statistics (rates, factors, limits);
#   - every limit stays within [bandwidth-min, max-bandwidth];
#   - the limit never falls after a round whose average factor was above
#     the target, and never rises after one at or below it;
#   - pre-copy ended by round N (max-rounds) or at remaining <= threshold;
#   - the migration completes and the guest runs on the destination.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=governor
. "$TOP/tests/e2e/lib.sh"

e2e_start gov "$0" "$@"

GOV_ROUNDS=${GOV_ROUNDS:-8}
GOV_MAX=${GOV_MAX:-33554432}	# 32 MiB/s
GOV_MIN=${GOV_MIN:-4194304}	# 4 MiB/s
GUEST_APPEND="mig.dirty=${GOV_DIRTY:-48:24}"

start_guest src "$LAB_TAP_SRC"
wait_ready src
qmp src query-migrate-parameters > "$RUN/params.json"
jq -e 'has("bandwidth-policy")' "$RUN/params.json" >/dev/null ||
	fail "this QEMU has no bandwidth-policy parameter: the governor patches are not applied"
sleep 2	# let the dirtying workload reach its rate

migrate_with_stream "${PPS:-1000}" "${STREAM_SECONDS:-60}" \
	"{\"bandwidth-policy\": \"dirty-factor\", \"bandwidth-max-rounds\": $GOV_ROUNDS,
	  \"max-bandwidth\": $GOV_MAX, \"bandwidth-min\": $GOV_MIN}"
R=$RUN/result.json
print_result "$R" | sed "s/^/[$TEST_NAME] /" >&2
print_rounds "$R" | sed "s/^/[$TEST_NAME]   /" >&2

[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
n=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND")] | length')
[ "$n" -ge 1 ] || fail "no MIGRATION_GOVERNOR_ROUND event"
log "$n governor rounds reported"

# Every round carries its statistics.
missing=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
	select(has("round") and has("dirty-rate") and has("round-bandwidth") and has("factor") and
	       has("average-factor") and has("target-factor") and has("previous-limit") and has("limit") | not)] | length')
[ "$missing" -eq 0 ] || fail "$missing round events lack statistics"

# Limits within [min, max].
out=$(json_get "$R" "[.events[] | select(.event == \"MIGRATION_GOVERNOR_ROUND\") | .data |
	select(.limit > $GOV_MAX or .limit < $GOV_MIN)] | length")
[ "$out" -eq 0 ] || fail "$out rounds set a limit outside [$GOV_MIN, $GOV_MAX]"

# Direction of each decision.
up_bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
	select(.["average-factor"] > .["target-factor"] and .limit < .["previous-limit"])] | length')
down_bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
	select(.["average-factor"] <= .["target-factor"] and .limit > .["previous-limit"])] | length')
[ "$up_bad" -eq 0 ] || fail "$up_bad rounds lowered the limit although the average factor was above target"
[ "$down_bad" -eq 0 ] || fail "$down_bad rounds raised the limit although the average factor was at or below target"

# How pre-copy ended.
round=$(json_get "$R" '.migration["bandwidth-governor"].round')
end=$(json_get "$R" '.migration["bandwidth-governor"]["precopy-end"]')
[ "$round" -le "$GOV_ROUNDS" ] || fail "pre-copy ran $round rounds, more than N=$GOV_ROUNDS"
case "$end" in
max-rounds|remaining-below-threshold) ;;
*) fail "pre-copy end reason '$end' (expected max-rounds or remaining-below-threshold)" ;;
esac
log "PASS: $n rounds, ended by $end at round $round/$GOV_ROUNDS, limits within bounds and in the right direction"
