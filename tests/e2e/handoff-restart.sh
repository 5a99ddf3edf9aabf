#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-restart.sh - mig-manager restarted inside the stop window
# (issue 15), with the real QEMUs.
#
# The VM is registered (migctl register, with its IP and policy); the
# source pauses before the switchover (pause-before-switchover: the VM is
# stopped, SUSPENDING sent, frames tunnelled), the manager is restarted
# (SIGTERM, start), then the migration continues.
#
# Asserts: the restarted manager still has the registration (state file:
# name, policy, IP); the destination's ACTIVATED is answered at once
# (bad-state: the restarted manager has no window), so the destination
# filter stops holding direct frames within 200 ms of the VM running
# there instead of after its 2 s drain timeout; the guest runs on the
# destination and answers; the frames of the window held by the old
# process are lost, counted (shutdown), as in stock QEMU.
#
# Without the state file and the fast answer (the manager simply dead),
# handoff-dead-manager.sh shows the other side: a hold released only by
# the QEMU's own timeout.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=handoff-restart
. "$TOP/tests/e2e/lib.sh"

e2e_start hrst "$0" "$@"

URI=tcp:127.0.0.1:4444
PPS=${PPS:-1000}

now_ms() { date +%s%3N; }

start_manager
migctl register web-restart --uuid "$GUEST_UUID" --mac "$GUEST_MAC" --ip "$LAB_GUEST_IP" \
	--policy activated > /dev/null || fail "migctl register failed"
start_guest src "$LAB_TAP_SRC"
wait_ready src
start_guest dst "$LAB_TAP_DST" -incoming "$URI"
stream_start
sleep 1
qmp src migrate-set-capabilities \
	'{"capabilities": [{"capability": "pause-before-switchover", "state": true}]}' >/dev/null ||
	fail "cannot set pause-before-switchover"
qmp src migrate-set-parameters \
	'{"handoff-manager": "127.0.0.1:7790", "handoff-key": "handoff-key"}' >/dev/null ||
	fail "migrate-set-parameters handoff-manager refused"
qmp src migrate "{\"uri\": \"$URI\"}" >/dev/null || fail "migrate refused"
wait_status src pre-switchover 120
sleep 0.5
held=$(migctl --json show "$GUEST_UUID" | jq -r .queue.frames)
[ "$held" -gt 0 ] || fail "the manager holds no frames while the source is paused"
log "source paused, the manager holds $held frames: restarting it"
stop_manager
start_manager
migctl --json show web-restart > "$RUN/vm-after.json" ||
	fail "the restarted manager lost the registration"
[ "$(json_get "$RUN/vm-after.json" '.registered') $(json_get "$RUN/vm-after.json" .policy) $(json_get "$RUN/vm-after.json" .ip)" = \
	"true activated $LAB_GUEST_IP" ] ||
	fail "registration changed across the restart: $(jq -c '{registered, policy, ip}' "$RUN/vm-after.json")"
grep -q "shutdown: vm web-restart .* still buffered $held frames" "$RUN/mig-manager.log" ||
	log "note: the old process reported: $(grep 'still buffered' "$RUN/mig-manager.log" | tail -1)"

qmp src migrate-continue '{"state": "pre-switchover"}' >/dev/null || fail "migrate-continue refused"
# When the VM runs on the destination, and when its filter stops holding.
t_run= t_free=
for _ in $(seq 400); do
	if [ -z "$t_run" ] && [ "$(qmp dst query-status | jq -r .status)" = running ]; then
		t_run=$(now_ms)
	fi
	if [ -n "$t_run" ]; then
		st=$(qmp dst qom-get '{"path": "handoff0", "property": "state"}' | tr -d '"')
		case "$st" in holding) ;; *) t_free=$(now_ms); break ;; esac
	fi
	sleep 0.01
done
[ -n "$t_run" ] || fail "the VM did not run on the destination"
[ -n "$t_free" ] || fail "the destination filter was still holding 4 s after the VM ran"
wait_status src completed 60
free_ms=$((t_free - t_run))
timeouts=$(qmp dst qom-get '{"path": "handoff0", "property": "drain-timeouts"}')
[ "$timeouts" -eq 0 ] || fail "the destination filter released its hold by its drain timeout"
[ "$free_ms" -le 200 ] || fail "the destination filter held direct frames for $free_ms ms after the VM ran (> 200)"
acks=$(migctl --json status | jq -r '.counters["acks-bad-state"] + .counters["acks-unknown-vm"]')
[ "$acks" -ge 1 ] || fail "the restarted manager did not answer the ACTIVATED"
sleep 2
stream_stop
S=$RUN/stream.json
lost=$(json_get "$S" .guest_lost)
log "PASS: manager restarted in the window ($ACCEL): registration kept, ACTIVATED answered non-OK, the destination released its hold $free_ms ms after the VM ran (no timeout); $lost of $(json_get "$S" .sent) datagrams lost with the old process's queue (counted)"
