#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# manager.sh - mig-manager and migctl end to end, without QEMU: mig-peer
# plays the source and destination QEMUs over the real protocol, inside a
# network namespace of its own (loopback only).
#
# Asserts: frames buffered during the window arrive at the destination
# after ACTIVATED, all of them, in order and intact, none before; DRAINED
# carries FRAMES=N and comes after the last frame; ABORTED returns the
# frames to the source's data endpoint; forged, replayed and stale control
# messages change nothing and are counted; buffer-full drops are counted
# exactly; a window without ACTIVATED expires; a frame for an unknown VNI is
# counted; migctl status/vms/show/register/flush/release and --json work,
# with clear errors and exit codes; /metrics serves the counters; SIGTERM
# reports what was still buffered.  One PASS/FAIL line per assertion.

set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-manager}
. "$TOP/tests/e2e/lib.sh"
MIG_PEER=$BUILD/bin/mig-peer

# --- run inside a fresh network namespace ----------------------------------------
if [ -z "${MANAGER_E2E_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || fail "needs root (network namespace)"
	need_files "$MIG_MANAGER" "$MIGCTL" "$MIG_PEER"
	ns=mgr-e2e-$$
	ip netns add "$ns" || fail "cannot create network namespace $ns"
	trap 'ip netns delete "$ns" 2>/dev/null' EXIT
	ip -n "$ns" link set lo up
	MANAGER_E2E_NS=$ns ip netns exec "$ns" "$0" "$@"
	exit $?
fi

RUN=$(run_dir)
FAILS=0
check() { # check DESCRIPTION COMMAND... - one PASS/FAIL line
	local what=$1
	shift
	if "$@"; then
		echo "[$TEST_NAME] PASS: $what"
	else
		echo "[$TEST_NAME] FAIL: $what"
		FAILS=$((FAILS + 1))
	fi
}
eq() { [ "$1" = "$2" ] || { echo "[$TEST_NAME]   got '$1', expected '$2'" >&2; return 1; }; }
kv() { # kv KEY LINE - value of KEY=... in a mig-peer report
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
mctl() { "$MIGCTL" -s "$RUN/mgr.sock" "$@"; }
vmj() { mctl --json show "$1" | jq -r "$2"; }
stj() { mctl --json status | jq -r "$1"; }

UA=11111111-0000-4000-8000-00000000000a # normal migration
UB=11111111-0000-4000-8000-00000000000b # aborted
UC=11111111-0000-4000-8000-00000000000c # forged ABORTED
UD=11111111-0000-4000-8000-00000000000d # replayed SUSPENDING
UE=11111111-0000-4000-8000-00000000000e # buffer full, then expiry
UF=11111111-0000-4000-8000-00000000000f # flushed, then buffered at SIGTERM
UG=11111111-0000-4000-8000-000000000010 # buffered at SIGTERM
CTRL=127.0.0.1:7790
DATA=127.0.0.1:4789
head -c 32 /dev/urandom > "$RUN/key"
head -c 32 /dev/urandom > "$RUN/wrong.key"
cat > "$RUN/mgr.conf" <<CONF
[manager]
control=$CTRL
data=$DATA
key-file=$RUN/key
socket=$RUN/mgr.sock
stats=127.0.0.1:9790
pace-pps=20000
linger-ms=1000
expire-ms=3000
max-packets=500
tolerance-s=1
window-s=2
CONF
peer() { "$MIG_PEER" -k "$RUN/key" -m "$CTRL" -D "$DATA" "$@"; }

"$MIG_MANAGER" -c "$RUN/mgr.conf" -d > "$RUN/mgr.log" 2>&1 &
MPID=$!
trap 'kill $MPID 2>/dev/null' EXIT
for _ in $(seq 50); do [ -S "$RUN/mgr.sock" ] && break; sleep 0.1; done
[ -S "$RUN/mgr.sock" ] || fail "mig-manager did not start: $(tail -3 "$RUN/mgr.log")"
log "mig-manager running (pid $MPID), log $RUN/mgr.log"

# --- migctl basics --------------------------------------------------------------
out=$(mctl status)
check "migctl status (human)" grep -q '^vms: 0' <<<"$out"
check "migctl --json status" eq "$(stj '.vms')" 0
mctl show no-such-vm > /dev/null 2> "$RUN/err"
check "migctl show of an unknown VM exits 1" eq $? 1
check "... with a clear error" grep -q "unknown VM 'no-such-vm'" "$RUN/err"
mctl bogus > /dev/null 2>&1
check "migctl usage error exits 2" eq $? 2

# --- A: buffer, activate, release in order, DRAINED -------------------------------
N=300
r=$(peer src -u "$UA" -n $N)
check "A: SUSPENDING acknowledged ok" eq "$(kv suspending "$r")" ok
sleep 0.3
check "A: all $N frames buffered" eq "$(vmj $UA '.queue.frames')" $N
check "A: state suspended" eq "$(vmj $UA '.state')" suspended
check "A: nothing released before ACTIVATED" eq "$(vmj $UA '.counters["frames-released"]')" 0
r=$(peer dst -u "$UA" -n $N -t 5000)
log "A destination: $r"
check "A: ACTIVATED acknowledged ok" eq "$(kv activated "$r")" ok
check "A: all $N frames arrived at INJECT_ENDPOINT" eq "$(kv frames "$r")" $N
check "A: in order" eq "$(kv out_of_order "$r")" 0
check "A: payload intact" eq "$(kv corrupt "$r")" 0
check "A: DRAINED received" eq "$(kv drained "$r")" yes
check "A: DRAINED FRAMES=$N" eq "$(kv drained_frames "$r")" $N
check "A: DRAINED after the last frame" eq "$(kv before_drained "$r")" $N
sleep 0.2
check "A: manager counted $N released" eq "$(vmj $UA '.counters["frames-released"]')" $N
check "A: DRAINED acknowledged" eq "$(vmj $UA '.drained.state')" acked
sleep 1
check "A: done after the linger time" eq "$(vmj $UA '.state')" "done"
out=$(mctl vms)
check "migctl vms lists A as done" grep -Eq "^e2e-000a +$UA +done" <<<"$out"

# --- B: ABORTED returns the frames to the source ------------------------------------
r=$(peer src -u "$UB" -n 80 --abort)
log "B source: $r"
check "B: ABORTED acknowledged ok" eq "$(kv aborted "$r")" ok
check "B: 80 frames returned to DATA_ENDPOINT" eq "$(kv returned "$r")" 80
check "B: returned in order and intact" eq "$(kv out_of_order "$r")/$(kv corrupt "$r")" 0/0
check "B: state aborted, 80 returned" eq "$(vmj $UB '.state') $(vmj $UB '.counters["frames-returned"]')" "aborted 80"

# --- C: forged ABORTED (wrong key) -------------------------------------------------
r=$(peer src -u "$UC" -n 10)
auth0=$(stj '.drops["auth-failure"] // 0')
r=$("$MIG_PEER" -k "$RUN/wrong.key" -m "$CTRL" -u "$UC" -T aborted msg)
check "C: forged ABORTED gets no ACK" eq "$(kv ack "$r")" none
check "C: state unchanged (suspended, 10 queued)" eq "$(vmj $UC '.state') $(vmj $UC '.queue.frames')" "suspended 10"
check "C: forged datagrams counted auth-failure" eq "$(stj '.drops["auth-failure"]')" $((auth0 + 5))

# --- D: replayed SUSPENDING ------------------------------------------------------------
r=$(peer msg -u "$UD" -T suspending --save "$RUN/susp.bin")
check "D: SUSPENDING ok" eq "$(kv ack "$r")" ok
r=$(peer msg -u "$UD" -T aborted)
check "D: ABORTED ok" eq "$(kv ack "$r")" ok
dup0=$(stj '.counters.duplicates')
r=$(peer msg --raw "$RUN/susp.bin")
check "D: replay within the tolerance is re-ACKed as a duplicate" eq "$(kv ack "$r")" ok
check "D: ... and changes nothing (still aborted, 1 migration)" eq "$(vmj $UD '.state') $(vmj $UD '.counters.migrations')" "aborted 1"
check "D: duplicate counted" eq "$(stj '.counters.duplicates')" $((dup0 + 1))
sleep 1.2
r=$(peer msg --raw "$RUN/susp.bin")
check "D: stale replay gets no ACK" eq "$(kv ack "$r")" none
check "D: stale replay counted" eq "$(stj '.drops.stale')" 1
check "D: still aborted" eq "$(vmj $UD '.state')" aborted

# --- E: buffer full, then expiry ---------------------------------------------------------
r=$(peer src -u "$UE" -n 620)
sleep 0.3
check "E: queue capped at max-packets=500" eq "$(vmj $UE '.queue.frames')" 500
check "E: exactly 120 counted buffer-full" eq "$(vmj $UE '.drops["buffer-full"]')" 120

# --- unknown VNI -----------------------------------------------------------------------------
"$MIG_PEER" -D "$DATA" --vni 4242 -n 3 frames > /dev/null
sleep 0.2
check "3 frames of an unknown VNI counted" eq "$(stj '.drops["unknown-vni"]')" 3

# --- F: register, flush, release errors -------------------------------------------------------
out=$(mctl register web-f --uuid $UF --mac 52:54:00:99:00:10 --ip 10.0.0.5 --policy activated)
check "migctl register" grep -q '^state: *registered' <<<"$out"
r=$(peer src -u "$UF" -n 30)
sleep 0.2
check "F: the registered name wins over SUSPENDING's" eq "$(vmj $UF '.name')" web-f
out=$(mctl flush $UF)
check "migctl flush drops the queue" eq "$out" "flushed 30 frames"
check "F: counted flushed" eq "$(vmj $UF '.drops.flushed')" 30
mctl release $UF > /dev/null 2> "$RUN/err"
check "migctl release of an empty queue is a no-op (exit 0)" eq $? 0
"$MIG_PEER" -D "$DATA" -u "$UF" -n 20 frames > /dev/null
sleep 0.2
mctl release $UF > /dev/null 2> "$RUN/err"
check "migctl release without a destination exits 1" eq $? 1
check "... saying why" grep -q "no destination known" "$RUN/err"

# --- metrics ----------------------------------------------------------------------------------
# HTTP GET with bash's /dev/tcp (no curl needed)
if exec 3<>/dev/tcp/127.0.0.1/9790; then
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	tr -d '\r' <&3 > "$RUN/metrics"
	exec 3<&-
fi
check "/metrics: HTTP 200" grep -q '^HTTP/1.0 200 OK' "$RUN/metrics"
check "/metrics: buffer-full counter" grep -qx 'mig_manager_drops_total{reason="buffer-full"} 120' "$RUN/metrics"
check "/metrics: frames released" grep -qx "mig_manager_frames_released_total $N" "$RUN/metrics"
check "/metrics: per-VM counter" grep -q "^mig_manager_vm_frames_returned_total{vm=\"e2e-000b\",uuid=\"$UB\"} 80$" "$RUN/metrics"

# --- E expires -----------------------------------------------------------------------------------
for _ in $(seq 40); do [ "$(vmj $UE '.state')" = expired ] && break; sleep 0.1; done
check "E: window expired without ACTIVATED" eq "$(vmj $UE '.state')" expired
check "E: its 500 frames counted expired" eq "$(vmj $UE '.drops.expired')" 500

# --- SIGTERM ---------------------------------------------------------------------------------
r=$(peer src -u "$UG" -n 10)
sleep 0.2
check "G: 10 frames buffered" eq "$(vmj $UG '.queue.frames')" 10
kill -TERM $MPID
for _ in $(seq 50); do kill -0 $MPID 2>/dev/null || break; sleep 0.1; done
! kill -0 $MPID 2>/dev/null
check "SIGTERM: daemon exited" eq $? 0
wait $MPID
check "SIGTERM: exit status 0" eq $? 0
check "SIGTERM: reports G's 10 buffered frames" grep -q "vm e2e-0010 ($UG, suspended) still buffered 10 frames, 1000 bytes" "$RUN/mgr.log"
check "SIGTERM: reports F's 20 buffered frames" grep -q "vm web-f ($UF, suspended) still buffered 20 frames" "$RUN/mgr.log"
check "SIGTERM: socket removed" test ! -e "$RUN/mgr.sock"
mctl status > /dev/null 2>&1
check "migctl without a daemon exits 3" eq $? 3

if [ $FAILS -gt 0 ]; then
	echo "[$TEST_NAME] FAIL: $FAILS assertion(s) failed (log: $RUN/mgr.log)"
	exit 1
fi
echo "[$TEST_NAME] PASS: all assertions"
