#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-attacks.sh - the handoff against an attacker on the hypervisor
# (issue 14), with the real QEMUs. The filters' data sockets are at known
# ports (HANDOFF_FIXED_PORTS=1) so that the attacker (tests/lab/mig-forge:
# raw sockets, any source address and port) can aim at them; it runs
# through the whole migration while a stream goes to the guest.
#
# Attacks:
#  1. forged frames into the destination filter, from the manager's own
#     address and port (spoofed), and from the manager host's address on
#     another port;
#  2. forged frames into the manager, from the source filter's own
#     address and port (spoofed), and from another port;
#  3. the authentic SUSPENDING, captured, raced again from another
#     address, and replayed from its own address;
#  4. an authentic released frame, captured, replayed to the destination
#     filter from the manager's address;
#  5. a message for this VM under another VM's key;
#  6. after a manager restart: the captured SUSPENDING replayed once more.
# Asserts: the stream loses nothing and the guest sees no duplicate; the
# manager released exactly what it buffered; each attack is counted where
# it lands (filter rejected-auth / rejected-replay / rejected-window,
# manager frame-auth-failure, unknown-peer, endpoint-mismatch,
# auth-failure, stale) and changes no state; the destination filter
# injected exactly what the manager released.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-handoff-attacks}
export HANDOFF_FIXED_PORTS=1
. "$TOP/tests/e2e/lib.sh"
MIG_FORGE=$BUILD/bin/mig-forge
MIG_PEER=$BUILD/bin/mig-peer

e2e_start hatk "$0" "$@"
trap 'pkill -f "^$MIG_FORGE " 2>/dev/null || true; capture_stop; stop_guest src; stop_guest dst; stop_manager' EXIT
need_files "$MIG_FORGE" "$MIG_PEER"
command -v tshark >/dev/null || fail "tshark is not installed (scripts/debian-packages lists it)"

MGR=127.0.0.1:6081 SRCF=127.0.0.1:45001 DSTF=127.0.0.1:46001
forge() { ip netns exec "$LAB_HV" "$MIG_FORGE" "$@" > /dev/null; }
stj() { migctl --json status | jq -r "$1"; }
dstq() { qmp dst qom-get "{\"path\": \"handoff0\", \"property\": \"$1\"}"; }

start_manager
start_guest src "$LAB_TAP_SRC"
wait_ready src
capture_start wire "$LAB_HV" lo "udp port 6081 or udp port 7790"

# The attacker, for the whole migration: forged frames every 5 ms to the
# destination filter from the manager's address, to the manager from the
# source filter's address, and both from other ports.
N=6000
forge --from "$MGR" --to "$DSTF" --uuid "$GUEST_UUID" --mac "$GUEST_MAC" -n $N --interval-us 5000 &
A1=$!
forge --from 127.0.0.1:39001 --to "$DSTF" --uuid "$GUEST_UUID" --mac "$GUEST_MAC" -n $N --interval-us 5000 &
A2=$!
forge --from "$SRCF" --to "$MGR" --uuid "$GUEST_UUID" --mac "$GUEST_MAC" -n $N --interval-us 5000 &
A3=$!
forge --from 127.0.0.1:39002 --to "$MGR" --uuid "$GUEST_UUID" --mac "$GUEST_MAC" -n $N --interval-us 5000 &
A4=$!
SRC_LINGER=3 migrate_with_stream "${PPS:-2000}" "${STREAM_SECONDS:-60}"
# (the background jobs are subshells: stop the attacker processes themselves)
pkill -f "^$MIG_FORGE " 2>/dev/null || true
wait $A1 $A2 $A3 $A4 2>/dev/null || true
print_result "$RUN/result.json" | sed "s/^/[$TEST_NAME] /" >&2
capture_stop

R=$RUN/result.json
sent=$(json_get "$R" .stream.sent)
uniq=$(json_get "$R" .stream.guest_unique)
[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
[ "$uniq" -eq "$sent" ] || fail "$((sent - uniq)) of $sent datagrams lost under attack"
[ "$(json_get "$R" .stream.guest_dup)" -eq 0 ] || fail "the guest received duplicates under attack"
migctl --json show "$GUEST_UUID" > "$RUN/vm.json"
buffered=$(json_get "$RUN/vm.json" '.counters["frames-buffered"]')
released=$(json_get "$RUN/vm.json" '.counters["frames-released"]')
[ "$buffered" -gt 0 ] && [ "$released" -eq "$buffered" ] ||
	fail "manager buffered $buffered, released $released"
fa=$(json_get "$RUN/vm.json" '.drops["frame-auth-failure"] // 0')
up=$(json_get "$RUN/vm.json" '.drops["unknown-peer"] // 0')
[ "$fa" -gt 0 ] || fail "1/2: no forged frame from the source filter's address was counted frame-auth-failure"
[ "$up" -gt 0 ] || fail "2: no forged frame from another port was counted unknown-peer"
inj=$(dstq injected)
rauth=$(dstq rejected-auth)
[ "$inj" -eq "$released" ] || fail "the destination filter injected $inj, the manager released $released"
[ "$rauth" -gt 0 ] || fail "1: no forged frame from the manager's address was counted rejected-auth at the destination"
log "1-2: under $((4 * N)) forged frames: 0 of $sent lost; manager frame-auth-failure $fa, unknown-peer $up; destination filter rejected-auth $rauth, injected $inj = released (frames from other ports never reach QEMU: its socket is connected)"

# --- 3. the captured SUSPENDING, raced and replayed ------------------------------
tshark -r "$RUN/wire.pcap" -Y "udp.dstport == 7790 && data.data[4:2] == 02:01" \
	-T fields -e udp.srcport -e data.data > "$RUN/susp.tsv" 2> "$RUN/tshark.err" ||
	fail "tshark: $(head -3 "$RUN/tshark.err")"
[ -s "$RUN/susp.tsv" ] || fail "3: no SUSPENDING in the capture"
sport=$(head -1 "$RUN/susp.tsv" | cut -f1)
head -1 "$RUN/susp.tsv" | cut -f2 | tr -d ':\n' | xxd -r -p > "$RUN/susp.bin"
em0=$(stj '.drops["endpoint-mismatch"] // 0')
dup0=$(stj '.counters.duplicates')
st0=$(stj '.drops.stale // 0')
mig0=$(json_get "$RUN/vm.json" .counters.migrations)
forge --from 127.0.0.1:39003 --to 127.0.0.1:7790 --payload "$RUN/susp.bin"
forge --from "127.0.0.1:$sport" --to 127.0.0.1:7790 --payload "$RUN/susp.bin"
sleep 0.3
[ "$(stj '.drops["endpoint-mismatch"] // 0')" -eq $((em0 + 1)) ] ||
	fail "3: the SUSPENDING from another address was not counted endpoint-mismatch"
[ $(($(stj '.counters.duplicates') + $(stj '.drops.stale // 0'))) -eq $((dup0 + st0 + 1)) ] ||
	fail "3: the SUSPENDING replayed from its own address was neither a duplicate nor stale"
[ "$(migctl --json show "$GUEST_UUID" | jq -r .counters.migrations)" -eq "$mig0" ] ||
	fail "3: a replayed SUSPENDING opened a window"
log "3: the captured SUSPENDING from another address: endpoint-mismatch; from its own: duplicate or stale; no window opened"

# --- 4. an authentic released frame replayed to the destination filter ------------
# (not one of the attacker's: its frames come from 02:00:00:00:00:66)
tshark -r "$RUN/wire.pcap" -Y "udp.srcport == 6081 && udp.dstport == 46001 && frame.len < 256 && !(eth.src == 02:00:00:00:00:66)" \
	-T fields -e udp.payload 2> "$RUN/tshark.err" | head -1 | cut -d, -f1 > "$RUN/rel.hex" || true
[ -s "$RUN/rel.hex" ] || fail "4: no released frame in the capture: $(grep -v 'Running as user' "$RUN/tshark.err" | head -3)"
tr -d ':\n' < "$RUN/rel.hex" | xxd -r -p > "$RUN/rel.bin"
rej0=$(($(dstq rejected-replay) + $(dstq rejected-window) + $(dstq rejected-auth)))
inj0=$(dstq injected)
forge --from "$MGR" --to "$DSTF" --payload "$RUN/rel.bin" -n 5
sleep 0.3
rej1=$(($(dstq rejected-replay) + $(dstq rejected-window) + $(dstq rejected-auth)))
[ "$(dstq injected)" -eq "$inj0" ] || fail "4: a replayed released frame was injected"
[ "$rej1" -eq $((rej0 + 5)) ] || fail "4: 5 replayed frames, $((rej1 - rej0)) rejected"
log "4: 5 replays of an authentic released frame: rejected (replay $(dstq rejected-replay), window $(dstq rejected-window)), none injected"

# --- 5. another VM's key -----------------------------------------------------------
migctl key 22222222-0000-4000-8000-000000000002 --out "$RUN/other.key"
af0=$(stj '.drops["auth-failure"] // 0')
r=$(ip netns exec "$LAB_HV" "$MIG_PEER" -m 127.0.0.1:7790 -k "$RUN/other.key" -u "$GUEST_UUID" -T aborted msg)
[ "$(echo "$r" | sed -n 's/.*ack=//p')" = none ] || fail "5: ABORTED under another VM's key was answered: $r"
[ "$(stj '.drops["auth-failure"]')" -eq $((af0 + 5)) ] || fail "5: not counted auth-failure"
log "5: a message for this VM under another VM's key: no answer, auth-failure"

# --- 6. replay after a manager restart -------------------------------------------------
stop_manager
MANAGER_CONF="tolerance-s=300
window-s=600" start_manager
forge --from "127.0.0.1:$sport" --to 127.0.0.1:7790 --payload "$RUN/susp.bin"
sleep 0.3
[ "$(stj '.drops.stale // 0')" -eq 1 ] ||
	fail "6: the SUSPENDING captured before the restart was not stale after it (tolerance 300 s)"
[ "$(migctl --json vms | jq "[.[] | select(.state == \"suspended\")] | length")" -eq 0 ] ||
	fail "6: the replay opened a window"
log "6: after a restart (tolerance 300 s) the captured SUSPENDING is stale: older than the manager's start"
log "PASS: $((4 * N)) forged frames and replays during the migration cost nothing ($ACCEL): 0 of $sent lost, each counted where it landed"
