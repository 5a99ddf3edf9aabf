#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-abab.sh - the same VM migrated again and again (issue 15): under
# each release policy (activated, hold, immediate) three migrations
# between the two QEMU ports of the lab (A -> B -> A -> B, then on from
# where it is), nine in all, while one datagram stream runs through all of
# them. The filters' data sockets are at known ports (source-side QEMU
# 127.0.0.1:45001, destination-side 127.0.0.1:46001), so each window's
# destination is known.
#
# Asserts, per migration: the manager opened a new window (one more
# migration), released exactly what it buffered in it, dropped nothing,
# and released it to that migration's destination (its inject endpoint
# is the QEMU just started, never the one before); overall: the stream
# lost nothing, no duplicate, nothing out of order.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=handoff-abab
export HANDOFF_FIXED_PORTS=1
. "$TOP/tests/e2e/lib.sh"

e2e_start habab "$0" "$@"

URI=tcp:127.0.0.1:4444
PPS=${PPS:-1000}
MANAGER_CONF="hold-ms=300
linger-ms=500" start_manager

vmj() { migctl --json show "$GUEST_UUID" | jq -r "$1"; }

# migrate_one FROM TO - live-migrate the running QEMU FROM to a new QEMU
# TO (on TO's tap), then stop FROM
migrate_one() {
	local from=$1 to=$2 tap=$LAB_TAP_DST
	[ "$to" = dst ] || tap=$LAB_TAP_SRC
	rm -f "$RUN/$to.qmp" "$RUN/$to.serial"
	start_guest "$to" "$tap" -incoming "$URI"
	for _ in $(seq 50); do
		ip netns exec "$LAB_HV" ss -Hltn 'sport = :4444' | grep -q . && break
		sleep 0.1
	done
	qmp "$from" migrate-set-parameters \
		'{"handoff-manager": "127.0.0.1:7790", "handoff-key": "handoff-key"}' >/dev/null ||
		fail "migrate-set-parameters handoff-manager refused"
	qmp "$from" migrate "{\"uri\": \"$URI\"}" >/dev/null || fail "migrate refused"
	wait_status "$from" completed 60
	[ "$(qmp "$to" query-status | jq -r .status)" = running ] || fail "$to does not run"
	sleep 1 # the release, END, DRAINED
	stop_guest "$from"
}

start_guest src "$LAB_TAP_SRC"
wait_ready src
stream_start 600
sleep 1
at=src n=0 summary=
for policy in activated hold immediate; do
	migctl register guest0 --uuid "$GUEST_UUID" --mac "$GUEST_MAC" --policy $policy > /dev/null ||
		fail "migctl register --policy $policy failed"
	for i in 1 2 3; do
		to=dst want=127.0.0.1:46001
		[ "$at" = dst ] && to=src want=127.0.0.1:45001
		mig0=$(vmj '.counters.migrations // 0')
		buf0=$(vmj '.counters["frames-buffered"] // 0')
		rel0=$(vmj '.counters["frames-released"] // 0')
		migrate_one "$at" "$to"
		n=$((n + 1))
		mig=$(vmj .counters.migrations)
		buf=$(($(vmj '.counters["frames-buffered"]') - buf0))
		rel=$(($(vmj '.counters["frames-released"]') - rel0))
		ep=$(vmj '.nics[0]["inject-endpoint"]')
		[ "$mig" -eq $((mig0 + 1)) ] || fail "$policy #$i ($at -> $to): no new window ($mig0 -> $mig)"
		[ "$buf" -gt 0 ] || fail "$policy #$i ($at -> $to): nothing buffered in the window"
		[ "$rel" -eq "$buf" ] || fail "$policy #$i ($at -> $to): released $rel of $buf"
		[ "$ep" = "$want" ] || fail "$policy #$i ($at -> $to): released to $ep, not to the destination $want"
		[ "$(vmj '.counters["frames-dropped"]')" -eq 0 ] ||
			fail "$policy #$i: the manager dropped frames: $(vmj .drops)"
		log "$policy #$i: $at -> $to, $buf frames of the window released to $ep"
		summary="$summary $policy:$at->$to:$buf"
		at=$to
	done
done
sleep 2
stream_stop
S=$RUN/stream.json
sent=$(json_get "$S" .sent)
uniq=$(json_get "$S" .guest_unique)
[ "$uniq" -eq "$sent" ] || fail "$((sent - uniq)) of $sent datagrams lost over $n migrations"
[ "$(json_get "$S" .guest_reordered)" -eq 0 ] || fail "reordering over $n migrations"
log "PASS: $n migrations ($ACCEL) under activated, hold and immediate, each window released to its own destination; 0 of $sent datagrams lost, longest gap $(json_get "$S" .guest_max_gap_ms) ms"
