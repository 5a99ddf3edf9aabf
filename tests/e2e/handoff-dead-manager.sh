#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-dead-manager.sh - a dead manager costs a warning, not a VM.
#
# As handoff.sh, but mig-manager is stopped before the migration: the
# source QEMU is told a manager that does not answer. Asserts: the
# migration completes and the guest runs and answers on the destination;
# the source QEMU logs a warning naming the manager; the migration's
# downtime stays in the range of a normal migration (the notification did
# not block it: below 5 s under TCG).

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=handoff-dead-manager
. "$TOP/tests/e2e/lib.sh"

e2e_start hdead "$0" "$@"

start_manager
stop_manager
log "mig-manager stopped: the source will notify a dead manager"
start_guest src "$LAB_TAP_SRC"
wait_ready src
SRC_LINGER=3 migrate_with_stream "${PPS:-1000}" "${STREAM_SECONDS:-60}"
print_result "$RUN/result.json" | sed "s/^/[$TEST_NAME] /" >&2

R=$RUN/result.json
[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
[ "$(json_get "$R" .stream.guest_unique)" -gt 0 ] || fail "the guest received nothing"
downtime=$(json_get "$R" .migration.downtime)
[ "$downtime" -lt 5000 ] || fail "downtime $downtime ms: the dead manager blocked the migration"
# The destination holds direct frames only while the manager answers:
# not for the whole drain-timeout (2 s)
gap=$(json_get "$R" .stream.guest_max_gap_ms)
awk -v g="$gap" 'BEGIN { exit !(g < 1500) }' ||
	fail "longest gap $gap ms: the destination held the guest's traffic for a dead manager"
# The source's warning appears once the retransmissions give up (1.55 s).
for _ in $(seq 30); do
	grep -qi 'warning.*manager\|manager.*warning' "$RUN/src.log" && break
	sleep 0.1
done
grep -i 'warning' "$RUN/src.log" | grep -qi 'manager\|handoff' ||
	fail "the source QEMU logged no warning about the unreachable manager: $(tail -5 "$RUN/src.log")"
log "source warning: $(grep -i 'warning' "$RUN/src.log" | grep -i 'manager\|handoff' | head -n1)"
log "PASS: migration completed ($ACCEL) with the manager dead, downtime $downtime ms, longest gap $gap ms, $(($(json_get "$R" .stream.sent) - $(json_get "$R" .stream.guest_unique))) datagrams lost (no manager: stock behaviour)"
