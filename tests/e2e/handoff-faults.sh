#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-faults.sh - the handoff under faults, with the real QEMUs.
#
# The source pauses before the switchover (capability
# pause-before-switchover): the VM is stopped, SUSPENDING sent, frames are
# being tunnelled to mig-manager, and the test decides what happens next.
#
# 1. Cancel: migrate_cancel in that state. Asserts: the VM runs again on
#    the source; the manager returned every frame it had buffered to the
#    source (frames-returned = frames-buffered > 0) and the source filter
#    injected them into the guest.
# 2. Manager killed in the window: SIGKILL to mig-manager, then
#    migrate-continue. Asserts: the migration completes; the guest runs
#    and answers on the destination; the frames of the window are lost
#    and counted (mig-stream's count equals sent - received).

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=handoff-faults
. "$TOP/tests/e2e/lib.sh"

e2e_start hfault "$0" "$@"

URI=tcp:127.0.0.1:4444
PPS=${PPS:-1000}

# start_dst - a destination QEMU waiting for the migration
start_dst() {
	rm -f "$RUN/dst.qmp"
	start_guest dst "$LAB_TAP_DST" -incoming "$URI"
}

# migrate_to_pause - start the migration and wait until the source stopped
# the VM and paused before the switchover
migrate_to_pause() {
	qmp src migrate-set-capabilities \
		'{"capabilities": [{"capability": "pause-before-switchover", "state": true}]}' >/dev/null ||
		fail "cannot set pause-before-switchover"
	qmp src migrate-set-parameters \
		'{"handoff-manager": "127.0.0.1:7790", "handoff-key": "handoff-key"}' >/dev/null ||
		fail "migrate-set-parameters handoff-manager refused"
	qmp src migrate "{\"uri\": \"$URI\"}" >/dev/null || fail "migrate refused"
	wait_status src pre-switchover 120
}

vm_json() {
	migctl --json show "$GUEST_UUID" > "$RUN/manager-vm.json" ||
		fail "migctl show failed: $(cat "$RUN/manager-vm.json")"
}

qom() {
	qmp "$1" qom-get "{\"path\": \"handoff0\", \"property\": \"$2\"}"
}

start_manager
start_guest src "$LAB_TAP_SRC"
wait_ready src
start_dst
stream_start
sleep 1

# --- 1. cancelled after SUSPENDING ----------------------------------------
log "1: migrating with pause-before-switchover, then migrate_cancel"
migrate_to_pause
sleep 1
vm_json
state=$(json_get "$RUN/manager-vm.json" .state)
held=$(json_get "$RUN/manager-vm.json" '.queue.frames')
[ "$state" = suspended ] || fail "manager state '$state' while the source is paused, expected suspended"
[ "$held" -gt 0 ] || fail "the manager holds no frames while the source VM is stopped"
log "1: source paused; the manager holds $held frames; migctl vms:"
migctl vms | sed "s/^/[$TEST_NAME]   /" >&2
migctl vms | grep -q suspended || fail "migctl vms does not show the VM suspended"
qmp src migrate_cancel >/dev/null || fail "migrate_cancel refused"
wait_status src cancelled 30
[ "$(qmp src query-status | jq -r .status)" = running ] || fail "the source VM does not run after the cancel"
sleep 1
vm_json
log "1: manager: $(jq -c '{state, counters, drops}' "$RUN/manager-vm.json")"
state=$(json_get "$RUN/manager-vm.json" .state)
buffered=$(json_get "$RUN/manager-vm.json" '.counters["frames-buffered"]')
returned=$(json_get "$RUN/manager-vm.json" '.counters["frames-returned"]')
injected=$(qom src injected) || fail "qom-get injected on the source failed"
case "$state" in aborted|done) ;; *) fail "manager state '$state' after the cancel, expected aborted" ;; esac
[ "$returned" -eq "$buffered" ] || fail "the manager returned $returned of $buffered buffered frames"
[ "$injected" -ge "$returned" ] || fail "the source filter injected $injected < $returned returned frames"
log "1: the manager returned all $returned frames to the source, which injected $injected; migctl vms:"
migctl vms | sed "s/^/[$TEST_NAME]   /" >&2
migctl vms | grep -q aborted || fail "migctl vms does not show the VM aborted"

# The destination gave up on the cancelled stream: a new one for part 2
stop_guest dst
start_dst
sleep 2

# --- 2. manager killed in the window ---------------------------------------
log "2: migrating again, SIGKILL to mig-manager while the source is paused"
migrate_to_pause
sleep 0.5
kill -9 "$(cat "$RUN/mig-manager.pid")"
wait "$(cat "$RUN/mig-manager.pid")" 2>/dev/null || true
rm -f "$RUN/mig-manager.pid"
qmp src migrate-continue '{"state": "pre-switchover"}' >/dev/null || fail "migrate-continue refused"
wait_status src completed 120
[ "$(qmp dst query-status | jq -r .status)" = running ] || fail "the guest does not run on the destination"
captured=$(qom src captured) || fail "qom-get captured on the source failed"
errors=$(qom src capture-errors) || true
sleep 3
stream_stop
S=$RUN/stream.json
sent=$(json_get "$S" .sent)
uniq=$(json_get "$S" .guest_unique)
lost=$(json_get "$S" .guest_lost)
[ "$lost" -eq $((sent - uniq)) ] || fail "loss not counted consistently: lost $lost, sent $sent, received $uniq"
log "2: completed with the manager dead; the source tunnelled $captured frames into the void ($errors send errors); the stream lost $lost of $sent"
log "PASS: cancel after SUSPENDING returned $returned frames to the source; a manager killed in the window cost $lost datagrams, not the migration ($ACCEL)"
