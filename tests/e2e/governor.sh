#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# governor.sh - the dirty-factor bandwidth governor on a dirtying guest
#
# Two live migrations with bandwidth-policy=dirty-factor (its defaults:
# round 1 out of the average, N = 20, h from max-bandwidth x
# downtime-limit), max-bandwidth GOV_MAX (4 MiB/s, under what a TCG
# source pushes, so that the limit and not the CPU sets the pace) and
# bandwidth-min GOV_MIN, while the client streams 200 UDP datagrams/s to
# the guest (its receive buffers dirty guest memory too: at 1000/s they
# alone would dirty about as much as 4 MiB/s can carry):
#
#   converging  mig-dirty rewrites 16 MiB at 1.5 MiB/s, well under the
#               maximum: pre-copy must end at the threshold h;
#   nonconv     mig-dirty rewrites 16 MiB at 6 MiB/s, above the
#               maximum: pre-copy must end for lack of progress within
#               four rounds, instead of running to N.
#
# Asserts, from the MIGRATION_GOVERNOR_ROUND events and query-migrate:
#   - every round reports its statistics and decision;
#   - round 1 is left out of the average;
#   - one h: every round reports the threshold of query-migrate, and
#     the target factor is (h / RAM) ^ (1 / N);
#   - every limit is within [bandwidth-min, link cap <= max-bandwidth]
#     and follows the decision the round reports (raise only above
#     target and never down, lower only at or below it and never up,
#     floor = the floor, final-approach and link-cap = the cap);
#   - a round that leaves between h and h / target factor plans the
#     next one at the link cap (final approach), when the cap keeps the
#     dirty rate estimate at the target factor;
#   - no limit is below the floor (dirty rate estimate / target factor)
#     unless capped, and after a round without progress the limit is at
#     least twice what that round achieved (or the cap);
#   - under TCG the rounds of 1.5 s or more report a sampled dirty rate,
#     and the estimate is never below the dirty rate of a round of 0.5 s
#     or more;
#   - converging: precopy-end remaining-below-threshold, the remaining
#     bytes at the end at most h, at most N rounds; at most 4 final
#     holds, no more than the rounds at or under h before the last, and
#     when there were any the last round left less than the first one
#     under h;
#   - nonconv: precopy-end no-progress after at most 4 rounds, the last
#     two rounds without progress at the link cap, then an end wait of
#     1 ms to 4 s before the switchover, and no final hold;
#   - both migrations complete and the guest runs on the destination.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=governor
. "$TOP/tests/e2e/lib.sh"

e2e_start gov "$0" "$@"

GOV_MAX=${GOV_MAX:-4194304}	# 4 MiB/s
GOV_MIN=${GOV_MIN:-524288}	# 0.5 MiB/s
N=20

# check_rounds RESULT - the assertions common to both migrations
check_rounds() {
	local R=$1 n bad
	[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
	n=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND")] | length')
	[ "$n" -ge 1 ] || fail "no MIGRATION_GOVERNOR_ROUND event"
	json_get "$R" '.migration["bandwidth-governor"]' > "$RUN/gov.json"
	[ "$(jq -r .policy "$RUN/gov.json")" = dirty-factor ] || fail "query-migrate: policy $(jq -r .policy "$RUN/gov.json")"
	[ "$(jq -r '.["max-rounds"]' "$RUN/gov.json")" = $N ] || fail "query-migrate: max-rounds is not the default $N"

	# Every round carries its statistics and decision
	bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
		select(has("round") and has("dirty-rate") and has("sampled-dirty-rate") and
		       has("dirty-rate-estimate") and has("round-bandwidth") and has("factor") and
		       has("average-factor") and has("target-factor") and has("threshold") and
		       has("progress") and has("no-progress-rounds") and has("link-cap") and
		       has("previous-limit") and has("limit") and has("floor-bandwidth") and
		       has("decision") | not)] | length')
	[ "$bad" -eq 0 ] || fail "$bad round events lack statistics"

	# Round 1 out of the average
	bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
		select(.round == 1 and .["average-factor"] != 0)] | length')
	[ "$bad" -eq 0 ] || fail "round 1 was averaged"

	# One h, and the target factor from it
	bad=$(jq -r --slurpfile g "$RUN/gov.json" --argjson n $N '
		($g[0].threshold) as $h | (.migration.ram.total) as $m |
		[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
		 select(.threshold != $h or
		        ((.["target-factor"] - (pow($h / $m; 1 / $n))) | if . < 0 then -. else . end) > 0.000001)] | length' "$R")
	[ "$bad" -eq 0 ] || fail "$bad rounds with another threshold than query-migrate's ($(jq .threshold "$RUN/gov.json")) or a target factor not from it"

	# Limits within bounds and the reported decision
	bad=$(json_get "$R" "[.events[] | select(.event == \"MIGRATION_GOVERNOR_ROUND\") | .data |
		select(.limit < $GOV_MIN or .limit > .[\"link-cap\"] or .[\"link-cap\"] > $GOV_MAX or
		       (.decision == \"raise\" and (.[\"average-factor\"] <= .[\"target-factor\"] or .limit < .[\"previous-limit\"])) or
		       (.decision == \"lower\" and (.[\"average-factor\"] > .[\"target-factor\"] or .limit > .[\"previous-limit\"])) or
		       (.decision == \"floor\" and .limit != .[\"floor-bandwidth\"]) or
		       (.decision == \"double\" and .progress) or
		       (.decision == \"final-approach\" and (.limit != .[\"link-cap\"] or .remaining * .[\"target-factor\"] > .threshold)) or
		       (.decision == \"link-cap\" and .limit != .[\"link-cap\"]) or
		       (.decision == \"min\" and .limit != $GOV_MIN) or
		       (.decision as \$d | [\"raise\", \"lower\", \"floor\", \"double\", \"final-approach\", \"link-cap\", \"min\"] | index(\$d) | not))] | length")
	[ "$bad" -eq 0 ] || fail "$bad rounds set a limit that does not match their decision or bounds"

	# The floor, and at least double after a round without progress
	bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
		select((.decision != "min" and .limit < ([.["floor-bandwidth"], .["link-cap"]] | min)) or
		       (.progress == false and .limit + 1 < ([2 * .["round-bandwidth"], .["link-cap"]] | min)))] | length')
	[ "$bad" -eq 0 ] || fail "$bad rounds planned below the floor or did not double after no progress"

	# The final approach: a round that leaves more than h but at most
	# h / target, with an estimate the cap keeps at the target, plans
	# the next (last) round at the link cap
	bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
		select(.remaining > .threshold and .remaining * .["target-factor"] <= .threshold and
		       .["dirty-rate-estimate"] <= .["target-factor"] * .["link-cap"] and
		       .limit != .["link-cap"])] | length')
	[ "$bad" -eq 0 ] || fail "$bad rounds within one round of h did not plan the last round at the link cap"

	# The dirty rate estimate is never below the rate of a round of half
	# a second or more (shorter ones count too few pages to raise it)
	bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
		select(.duration >= 500 and .["dirty-rate-estimate"] + 1 < .["dirty-rate"])] | length')
	[ "$bad" -eq 0 ] || fail "$bad rounds of 0.5 s or more planned with an estimate below their own dirty rate"
	if [ "$ACCEL" = tcg ]; then
		bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data |
			select(.duration >= 1500 and .["sampled-dirty-rate"] == 0)] | length')
		[ "$bad" -eq 0 ] || fail "$bad rounds of 1.5 s or more without a sampled dirty rate under TCG"
	fi
}

# --- converging -----------------------------------------------------------
GUEST_APPEND="mig.dirty=${GOV_DIRTY_CONV:-16:1.5}"
start_guest src "$LAB_TAP_SRC"
wait_ready src
qmp src query-migrate-parameters > "$RUN/params.json"
jq -e 'has("bandwidth-policy")' "$RUN/params.json" >/dev/null ||
	fail "this QEMU has no bandwidth-policy parameter: the governor patches are not applied"
sleep 2	# let the dirtying workload reach its rate
migrate_with_stream "${PPS:-200}" "${STREAM_SECONDS:-200}" \
	"{\"bandwidth-policy\": \"dirty-factor\", \"max-bandwidth\": $GOV_MAX, \"bandwidth-min\": $GOV_MIN}"
cp "$RUN/result.json" "$RUN/converging.json"
R=$RUN/converging.json
print_result "$R" | sed "s/^/[$TEST_NAME] converging: /" >&2
print_rounds "$R" | sed "s/^/[$TEST_NAME]   /" >&2
check_rounds "$R"
end=$(jq -r '.["precopy-end"]' "$RUN/gov.json")
round=$(jq -r .round "$RUN/gov.json")
[ "$end" = remaining-below-threshold ] ||
	fail "converging: pre-copy ended by '$end' (expected remaining-below-threshold)"
[ "$round" -le $N ] || fail "converging: $round rounds, more than N=$N"
[ "$(jq -r '.remaining <= .threshold' "$RUN/gov.json")" = true ] ||
	fail "converging: $(jq .remaining "$RUN/gov.json") bytes left above h=$(jq .threshold "$RUN/gov.json")"
# The final hold: every round that ended at or under h but did not end
# pre-copy was held, at most 4 of them, and the held rounds left less
# (count, first and last remaining of the rounds at or under h)
read -r under first last <<< "$(json_get "$R" '[.events[] |
	select(.event == "MIGRATION_GOVERNOR_ROUND") | .data | select(.remaining <= .threshold) |
	.remaining] | "\(length) \(.[0] // 0) \(.[-1] // 0)"')"
holds=$(jq -r '.["final-holds"]' "$RUN/gov.json")
[ "$holds" -le 4 ] || fail "converging: $holds final holds (at most 4)"
[ "$holds" -le $((under - 1)) ] || [ "$holds" -eq 0 ] ||
	fail "converging: $holds final holds but only $under rounds at or under h"
[ "$holds" -eq 0 ] || [ "$last" -lt "$first" ] ||
	fail "converging: the held rounds did not leave less ($last bytes) than the first round under h ($first)"
log "converging: $round rounds, ended by $end, h=$(jq .threshold "$RUN/gov.json") bytes, $holds final holds over $under rounds at or under h"
stop_guest dst

# --- nonconv --------------------------------------------------------------
GUEST_APPEND="mig.dirty=${GOV_DIRTY_NONCONV:-16:6}"
start_guest src "$LAB_TAP_SRC"
wait_ready src
sleep 2
migrate_with_stream "${PPS:-200}" "${STREAM_SECONDS:-200}" \
	"{\"bandwidth-policy\": \"dirty-factor\", \"max-bandwidth\": $GOV_MAX, \"bandwidth-min\": $GOV_MIN}"
cp "$RUN/result.json" "$RUN/nonconv.json"
R=$RUN/nonconv.json
print_result "$R" | sed "s/^/[$TEST_NAME] nonconv: /" >&2
print_rounds "$R" | sed "s/^/[$TEST_NAME]   /" >&2
check_rounds "$R"
end=$(jq -r '.["precopy-end"]' "$RUN/gov.json")
round=$(jq -r .round "$RUN/gov.json")
[ "$end" = no-progress ] || fail "nonconv: pre-copy ended by '$end' (expected no-progress)"
[ "$round" -le 4 ] || fail "nonconv: $round rounds before the no-progress end (expected at most 4)"
wait_ms=$(jq -r '.["end-wait"]' "$RUN/gov.json")
[ "$wait_ms" -gt 0 ] && [ "$wait_ms" -le 4000 ] ||
	fail "nonconv: end-wait $wait_ms ms after the no-progress end (expected 1..4000)"
[ "$(jq -r '.["final-holds"]' "$RUN/gov.json")" -eq 0 ] ||
	fail "nonconv: $(jq -r '.["final-holds"]' "$RUN/gov.json") final holds without ever reaching h"
[ "$(jq -r '.["no-progress-rounds"]' "$RUN/gov.json")" -ge 2 ] ||
	fail "nonconv: query-migrate reports $(jq -r '.["no-progress-rounds"]' "$RUN/gov.json") rounds without progress"
bad=$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data] | .[-2:] |
	[.[] | select(.progress)] + [.[-1] | select(.["no-progress-rounds"] < 2)] | length')
[ "$bad" -eq 0 ] || fail "nonconv: the last two rounds were not both without progress at the highest rate"
log "PASS: converging ended at h, nonconv ended by no-progress after $round rounds; every limit within bounds and as its decision says"
