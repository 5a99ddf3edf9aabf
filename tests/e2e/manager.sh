#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# manager.sh - mig-manager and migctl end to end, without QEMU: mig-peer
# plays the source and destination QEMUs over the real protocol (version
# 2: per-VM keys, exact endpoints, sealed Geneve frames), inside a network
# namespace of its own (loopback only; 127.0.0.1 and 127.0.0.2 are the two
# "hosts").
#
# Asserts: frames buffered during the window arrive at the destination
# after ACTIVATED, all of them, in order, intact and sealed under the
# destination's key, none before; END makes DRAINED follow the last frame
# at once (without END, the fallback is counted); the same VM migrated
# A -> B -> A -> B under each release policy goes to each migration's own
# destination; two NICs each get only their own frames; ABORTED returns
# the frames and a DRAINED to the source; an early ACTIVATED is honoured;
# forged, misdirected, cross-VM and replayed messages and forged frames
# change nothing and are counted; buffer-full drops are counted exactly; a
# window without ACTIVATED expires; redirect peers need their key and a
# registration; migctl status/vms/show/register/flush/release/forget/key
# and --json work, with clear errors and exit codes; /metrics serves the
# counters; the connection limit holds; SIGTERM reports what was still
# buffered; after a restart the registrations are kept, an ACTIVATED gets
# a non-OK answer at once and replays from before the restart are stale;
# a receive buffer the kernel refuses is warned about.  One PASS/FAIL line
# per assertion.

set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-manager}
. "$TOP/tests/e2e/lib.sh"
MIG_PEER=$BUILD/bin/mig-peer

# --- run inside a fresh network namespace ----------------------------------------
if [ -z "${MANAGER_E2E_NS:-}" ]; then
	need_files "$MIG_MANAGER" "$MIGCTL" "$MIG_PEER"
fi
in_own_netns MANAGER_E2E_NS mgr-e2e "$@"

RUN=$(run_dir)
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= 0 && a < b) }' ||
	{ echo "[$TEST_NAME]   got '$1', expected 0 <= x < $2" >&2; return 1; }; }
mctl() { "$MIGCTL" -s "$RUN/mgr.sock" "$@"; }
vmj() { mctl --json show "$1" | jq -r "$2"; }
stj() { mctl --json status | jq -r "$1"; }
vmkey() { mctl key "$1" --out "$RUN/$1.key" && echo "$RUN/$1.key"; }

uuid() { printf '11111111-0000-4000-8000-0000000000%02d' "$1"; }
UA=$(uuid 10) # normal migration, with END
UA2=$(uuid 11) # no END: the fallback
UB=$(uuid 12) # aborted
UC=$(uuid 13) # forged messages and frames
UD=$(uuid 14) # replayed SUSPENDING
UE=$(uuid 15) # buffer full, then expiry
UF=$(uuid 16) # registered: flush, release, state file
UG=$(uuid 17) # buffered at SIGTERM
UH=$(uuid 18) # two NICs
UI=$(uuid 19) # early ACTIVATED
UP=$(uuid 20) # redirect peer, registered
UQ=$(uuid 21) # redirect peer, not registered
CTRL=127.0.0.1:7790
DATA=127.0.0.1:6081
head -c 32 /dev/urandom > "$RUN/master.key"
write_conf() { # write_conf FILE TOLERANCE-S [EXTRA LINE...]
	local f=$1 tol=$2
	shift 2
	{
		printf '[manager]\ncontrol=%s\ndata=%s\nkey-file=%s\n' "$CTRL" "$DATA" "$RUN/master.key"
		printf 'socket=%s\nstats=127.0.0.1:9790\nstate-file=%s\n' "$RUN/mgr.sock" "$RUN/state.json"
		printf 'pace-pps=20000\nlinger-ms=1000\nexpire-ms=3000\nmax-packets=500\n'
		printf 'hold-ms=300\nmax-connections=4\ntolerance-s=%s\nwindow-s=%s\n' "$tol" $((2 * tol))
		for l in "$@"; do echo "$l"; done
		printf '[peers]\nrouter1=127.0.0.1:46000\n'
	} > "$f"
}
write_conf "$RUN/mgr.conf" 1
write_conf "$RUN/mgr2.conf" 30 # after the restart: replays must be stale by the start time
# peer ROLE ... - mig-peer with the VM key of -u's VM
peer() { "$MIG_PEER" -m "$CTRL" -D "$DATA" "$@"; }

MPID=
start_manager() { # start_manager CONF
	"$MIG_MANAGER" -c "$1" -d >> "$RUN/mgr.log" 2>&1 &
	MPID=$!
	for _ in $(seq 50); do [ -S "$RUN/mgr.sock" ] && break; sleep 0.1; done
	[ -S "$RUN/mgr.sock" ] || fail "mig-manager did not start: $(tail -3 "$RUN/mgr.log")"
	log "mig-manager running (pid $MPID), log $RUN/mgr.log"
}
trap 'kill $MPID 2>/dev/null' EXIT
start_manager "$RUN/mgr.conf"

# --- migctl basics --------------------------------------------------------------
out=$(mctl status)
check "migctl status (human)" grep -q '^vms: 0' <<<"$out"
check "migctl --json status" eq "$(stj '.vms')" 0
mctl show no-such-vm > /dev/null 2> "$RUN/err"
check "migctl show of an unknown VM exits 1" eq $? 1
check "... with a clear error" grep -q "unknown VM 'no-such-vm'" "$RUN/err"
mctl bogus > /dev/null 2>&1
check "migctl usage error exits 2" eq $? 2
mctl key no-such-vm > /dev/null 2> "$RUN/err"
check "migctl key of a name it does not know exits 1, asking for the UUID" \
	grep -q "give its UUID" "$RUN/err"
KA=$(vmkey "$UA")
check "migctl key --out writes the 32-byte VM key, mode 0600" \
	eq "$(stat -c '%s %a' "$KA")" "32 600"
check "two VMs have different keys" \
	test "$(mctl key "$UA")" != "$(mctl key "$UB")"

# --- A: buffer, activate, release in order, END then DRAINED ---------------------------
N=300
r=$(peer src -k "$KA" -u "$UA" -n $N --end)
MID=$(kv migration_id "$r")
check "A: SUSPENDING acknowledged ok" eq "$(kv suspending "$r")" ok
check "A: END acknowledged ok" eq "$(kv end "$r")" ok
sleep 0.3
check "A: all $N frames buffered" eq "$(vmj $UA '.queue.frames')" $N
check "A: state suspended" eq "$(vmj $UA '.state')" suspended
check "A: END counted $N frames" eq "$(vmj $UA '.nics[0]["end-frames"]')" $N
check "A: nothing released before ACTIVATED" eq "$(vmj $UA '.counters["frames-released"]')" 0
r=$(peer dst -k "$KA" -u "$UA" --migration-id "$MID" --host 127.0.0.2 -n $N -t 5000)
log "A destination: $r"
check "A: ACTIVATED acknowledged ok" eq "$(kv activated "$r")" ok
check "A: all $N frames arrived, sealed under the destination's key" eq "$(kv frames "$r")/$(kv bad "$r")" $N/0
check "A: in order" eq "$(kv out_of_order "$r")" 0
check "A: payload intact" eq "$(kv corrupt "$r")" 0
check "A: DRAINED received, NIC_FRAMES=$N" eq "$(kv drained "$r") $(kv drained_frames "$r")" "yes $N"
check "A: DRAINED after the last frame" eq "$(kv before_drained "$r")" $N
check "A: DRAINED within 50 ms of the last frame" lt "$(kv drained_after_last_ms "$r")" 50
sleep 0.2
check "A: manager counted $N released" eq "$(vmj $UA '.counters["frames-released"]')" $N
check "A: DRAINED acknowledged" eq "$(vmj $UA '.drained.state')" acked
check "A: DRAINED by END" eq "$(stj '.counters["drained-by-end"]')" 1
sleep 1
check "A: done after the linger time" eq "$(vmj $UA '.state')" "done"
out=$(mctl vms)
check "migctl vms lists A as done" grep -Eq "^e2e-0010 +$UA +done" <<<"$out"

# --- A2: a source without END: DRAINED by the fallback ---------------------------------
K=$(vmkey "$UA2")
r=$(peer src -k "$K" -u "$UA2" -n 50)
r=$(peer dst -k "$K" -u "$UA2" --migration-id "$(kv migration_id "$r")" --host 127.0.0.2 -n 50)
check "A2: without END all 50 frames and DRAINED" eq "$(kv frames "$r") $(kv drained "$r")" "50 yes"
check "A2: DRAINED counted by-fallback" eq "$(stj '.counters["drained-by-fallback"]')" 1

# --- A -> B -> A -> B under each policy: each window to its own destination ------------
host_of() { [ $(($1 % 2)) = 1 ] && echo 127.0.0.1 || echo 127.0.0.2; }
n=30
for policy in activated hold immediate; do
	n=$((n + 1))
	U=$(uuid $n)
	mac=$(printf '52:54:00:00:%02d:00' $n)
	mctl register "ab-$policy" --uuid "$U" --mac "$mac" --policy $policy > /dev/null
	K=$(vmkey "$U")
	ok=0 endpoints=
	for i in 1 2 3 4; do
		from=$(host_of $i) to=$(host_of $((i + 1)))
		r=$(peer src -k "$K" -u "$U" --host $from --port 42000 -n 40 --end)
		r=$(peer dst -k "$K" -u "$U" --host $to --port 42000 --migration-id "$(kv migration_id "$r")" -n 40 -t 5000)
		[ "$(kv frames "$r")/$(kv bad "$r")/$(kv out_of_order "$r")/$(kv drained "$r")" = 40/0/0/yes ] &&
			ok=$((ok + 1)) || log "$policy migration $i: $r"
		endpoints="$endpoints $(vmj "$U" '.nics[0]["inject-endpoint"]')"
	done
	check "$policy: A->B->A->B, 40 of 40 frames each time at that migration's destination" eq $ok 4
	check "$policy: released to 127.0.0.2, .1, .2, .1 in turn" \
		eq "$endpoints" " 127.0.0.2:42001 127.0.0.1:42001 127.0.0.2:42001 127.0.0.1:42001"
	check "$policy: 4 migrations, 160 released, nothing dropped" \
		eq "$(vmj "$U" '.counters.migrations') $(vmj "$U" '.counters["frames-released"]') $(vmj "$U" '.counters["frames-dropped"]')" "4 160 0"
done

# --- H: two NICs, each gets only its own frames -----------------------------------------
K=$(vmkey "$UH")
r=$(peer src -k "$K" -u "$UH" --nics 2 -n 100 --end)
r=$(peer dst -k "$K" -u "$UH" --nics 2 --host 127.0.0.2 --migration-id "$(kv migration_id "$r")" -n 100)
check "H: two NICs, 100 frames each, none on the other NIC" \
	eq "$(kv nic0 "$r") $(kv nic1 "$r") $(kv wrong_nic "$r") $(kv bad "$r")" "100 100 0 0"
check "H: two VNIs in the table" eq "$(vmj $UH '[.nics[].vni] | unique | length')" 2

# --- I: ACTIVATED before its SUSPENDING ---------------------------------------------------
K=$(vmkey "$UI")
MIDI=00112233445566778899aabbccddeeff
peer dst -k "$K" -u "$UI" --host 127.0.0.2 --migration-id $MIDI -n 20 -t 4000 > "$RUN/early" &
sleep 0.3
r=$(peer src -k "$K" -u "$UI" --migration-id $MIDI -n 20 --end)
wait $!
r=$(cat "$RUN/early")
check "I: early ACTIVATED answered unknown-vm, yet honoured: 20 frames and DRAINED" \
	eq "$(kv activated "$r") $(kv frames "$r") $(kv drained "$r")" "unknown-vm 20 yes"

# --- B: ABORTED returns the frames and a DRAINED to the source ---------------------------
K=$(vmkey "$UB")
r=$(peer src -k "$K" -u "$UB" -n 80 --abort)
log "B source: $r"
check "B: ABORTED acknowledged ok" eq "$(kv aborted "$r")" ok
check "B: 80 frames returned, sealed under the return key" eq "$(kv returned "$r")/$(kv bad "$r")" 80/0
check "B: returned in order and intact" eq "$(kv out_of_order "$r")/$(kv corrupt "$r")" 0/0
check "B: DRAINED to the source" eq "$(kv drained "$r")" yes
check "B: state aborted, 80 returned" eq "$(vmj $UB '.state') $(vmj $UB '.counters["frames-returned"]')" "aborted 80"

# --- C: forged and misdirected messages and frames ---------------------------------------
KC=$(vmkey "$UC")
r=$(peer src -k "$KC" -u "$UC" --port 43000 -n 10)
MIDC=$(kv migration_id "$r")
auth0=$(stj '.drops["auth-failure"] // 0')
r=$(peer msg -k "$KA" -u "$UC" --port 43000 --migration-id "$MIDC" -T aborted)
check "C: ABORTED for VM C under VM A's key gets no ACK" eq "$(kv ack "$r")" none
check "C: ... counted auth-failure (5 transmissions)" eq "$(stj '.drops["auth-failure"]')" $((auth0 + 5))
r=$(peer msg -k "$KC" -u "$UC" --port 43000 --migration-id "$MIDC" --send-port 43100 -T aborted)
check "C: authentic ABORTED from another port than it names gets no ACK" eq "$(kv ack "$r")" none
check "C: ... counted endpoint-mismatch" eq "$(stj '.drops["endpoint-mismatch"]')" 1
"$MIG_PEER" -D "$DATA" -u "$UC" --port 43001 -n 7 frames > /dev/null
sleep 0.2
check "C: forged frames from the source NIC's own address: frame-auth-failure" \
	eq "$(vmj $UC '.drops["frame-auth-failure"]')" 7
"$MIG_PEER" -D "$DATA" -u "$UC" --port 43300 -n 5 frames > /dev/null
sleep 0.2
check "C: frames from another address: unknown-peer" eq "$(vmj $UC '.drops["unknown-peer"]')" 5
check "C: state unchanged (suspended, 10 queued)" eq "$(vmj $UC '.state') $(vmj $UC '.queue.frames')" "suspended 10"

# --- D: replayed SUSPENDING -----------------------------------------------------------------
KD=$(vmkey "$UD")
r=$(peer msg -k "$KD" -u "$UD" --port 44000 -T suspending --save "$RUN/susp.bin")
check "D: SUSPENDING ok" eq "$(kv ack "$r")" ok
r=$(peer msg -k "$KD" -u "$UD" --port 44000 --migration-id "$(kv migration_id "$r")" -T aborted)
check "D: ABORTED ok" eq "$(kv ack "$r")" ok
dup0=$(stj '.counters.duplicates')
r=$(peer msg -k "$KD" -u "$UD" --port 44000 --raw "$RUN/susp.bin")
check "D: replay within the tolerance is re-ACKed as a duplicate" eq "$(kv ack "$r")" ok
check "D: ... and changes nothing (still aborted, 1 migration)" eq "$(vmj $UD '.state') $(vmj $UD '.counters.migrations')" "aborted 1"
check "D: duplicate counted" eq "$(stj '.counters.duplicates')" $((dup0 + 1))
sleep 1.2
r=$(peer msg -k "$KD" -u "$UD" --port 44000 --raw "$RUN/susp.bin")
check "D: stale replay gets no ACK" eq "$(kv ack "$r")" none
check "D: stale replay counted" eq "$(stj '.drops.stale')" 1
check "D: still aborted" eq "$(vmj $UD '.state')" aborted

# --- E: buffer full, then expiry -------------------------------------------------------------
r=$(peer src -k "$(vmkey "$UE")" -u "$UE" -n 620)
sleep 0.3
check "E: queue capped at max-packets=500" eq "$(vmj $UE '.queue.frames')" 500
check "E: exactly 120 counted buffer-full" eq "$(vmj $UE '.drops["buffer-full"]')" 120

# --- unknown VNI -------------------------------------------------------------------------------
"$MIG_PEER" -D "$DATA" --vni 4242 -n 3 frames > /dev/null
sleep 0.2
check "3 frames of an unknown VNI counted" eq "$(stj '.drops["unknown-vni"]')" 3

# --- F: register, flush, release errors, forget ---------------------------------------------
out=$(mctl register web-f --uuid $UF --mac 52:54:00:00:16:00 --ip 10.0.0.5 --policy hold)
check "migctl register" grep -q '^state: *registered' <<<"$out"
KF=$(vmkey web-f)
r=$(peer src -k "$KF" -u "$UF" -n 30)
sleep 0.2
check "F: the registered name wins over SUSPENDING's" eq "$(vmj $UF '.name')" web-f
out=$(mctl flush $UF)
check "migctl flush drops the queue" eq "$out" "flushed 30 frames"
check "F: counted flushed" eq "$(vmj $UF '.drops.flushed')" 30
mctl release $UF > /dev/null 2> "$RUN/err"
check "migctl release of an empty queue is a no-op (exit 0)" eq $? 0
r=$(peer src -k "$KF" -u "$UF" -n 20)
sleep 0.2
mctl release $UF > /dev/null 2> "$RUN/err"
check "migctl release without a destination exits 1" eq $? 1
check "... saying why" grep -q "no destination known" "$RUN/err"
mctl forget $UF > /dev/null 2> "$RUN/err"
check "migctl forget of a VM in its window exits 1" eq $? 1
mctl forget "$UA" > /dev/null
check "migctl forget removes a VM whose window ended" eq "$(mctl --json vms | jq "[.[] | select(.uuid == \"$UA\")] | length")" 0

# --- redirect peers ------------------------------------------------------------------------------
mctl key --peer router1 --out "$RUN/router1.key" > /dev/null
mctl register web-p --uuid $UP --mac 52:54:00:00:20:00 > /dev/null
"$MIG_PEER" -D "$DATA" -u "$UP" --port 46000 --peer-key "$RUN/router1.key" -n 12 frames > /dev/null
sleep 0.2
check "P: a redirect peer's sealed frames open a registered VM's window" \
	eq "$(vmj $UP '.state') $(vmj $UP '.queue.frames') $(vmj $UP '.nics[0].peer')" "suspended 12 router1"
"$MIG_PEER" -D "$DATA" -u "$UP" --port 46000 -n 4 frames > /dev/null
sleep 0.2
check "P: frames from the peer's address under another key: frame-auth-failure" \
	eq "$(vmj $UP '.drops["frame-auth-failure"]')" 4
K=$(vmkey "$UQ")
r=$(peer msg -k "$K" -u "$UQ" --port 47000 -T suspending)
r=$(peer msg -k "$K" -u "$UQ" --port 47000 --migration-id "$(kv migration_id "$r")" -T aborted)
"$MIG_PEER" -D "$DATA" -u "$UQ" --port 46000 --peer-key "$RUN/router1.key" -n 3 frames > /dev/null
sleep 0.2
check "Q: a redirect peer cannot open the window of an unregistered VM" \
	eq "$(vmj $UQ '.state') $(vmj $UQ '.drops["window-closed"]')" "aborted 3"

# --- metrics and the connection limit -----------------------------------------------------------
get_metrics() {
	exec 3<>/dev/tcp/127.0.0.1/9790 || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
	tr -d '\r' <&3 > "$RUN/metrics"
	exec 3<&-
}
get_metrics
check "/metrics: HTTP 200" grep -q '^HTTP/1.0 200 OK' "$RUN/metrics"
check "/metrics: buffer-full counter" grep -qx 'mig_manager_drops_total{reason="buffer-full"} 120' "$RUN/metrics"
check "/metrics: frames returned" grep -qx "mig_manager_frames_returned_total 80" "$RUN/metrics"
check "/metrics: per-VM counter" grep -q "^mig_manager_vm_frames_returned_total{vm=\"e2e-0012\",uuid=\"$UB\"} 80$" "$RUN/metrics"
fds=()
for _ in 1 2 3 4 5 6; do exec {fd}<>/dev/tcp/127.0.0.1/9790 && fds+=("$fd"); done
sleep 0.3
check "6 idle /metrics connections with max-connections=4: 2 refused" \
	eq "$(stj '.counters["metrics-refused"]')" 2
for fd in "${fds[@]}"; do exec {fd}<&-; done
sleep 0.3
get_metrics
check "/metrics answers again once they are gone" grep -q '^HTTP/1.0 200 OK' "$RUN/metrics"

# --- E expires -----------------------------------------------------------------------------------
for _ in $(seq 40); do [ "$(vmj $UE '.state')" = expired ] && break; sleep 0.1; done
check "E: window expired without ACTIVATED" eq "$(vmj $UE '.state')" expired
check "E: its 500 frames counted expired" eq "$(vmj $UE '.drops.expired')" 500

# --- SIGTERM ---------------------------------------------------------------------------------
r=$(peer src -k "$(vmkey "$UG")" -u "$UG" -n 10)
sleep 0.2
check "G: 10 frames buffered" eq "$(vmj $UG '.queue.frames')" 10
# A message to replay after the restart (well within the tolerance).
r=$(peer msg -k "$KD" -u "$UD" --port 44000 -T suspending --save "$RUN/susp2.bin")
kill -TERM $MPID
for _ in $(seq 50); do kill -0 $MPID 2>/dev/null || break; sleep 0.1; done
! kill -0 $MPID 2>/dev/null
check "SIGTERM: daemon exited" eq $? 0
wait $MPID
check "SIGTERM: exit status 0" eq $? 0
check "SIGTERM: reports G's 10 buffered frames" grep -q "vm e2e-0017 ($UG, suspended) still buffered 10 frames, 1000 bytes" "$RUN/mgr.log"
check "SIGTERM: socket removed" test ! -e "$RUN/mgr.sock"
mctl status > /dev/null 2>&1
check "migctl without a daemon exits 3" eq $? 3

# --- restart: registrations kept, fast answers, stale replays -------------------------------
start_manager "$RUN/mgr2.conf"
check "restart: registrations kept (web-f: registered, policy hold, 1 NIC)" \
	eq "$(vmj web-f '.registered') $(vmj web-f '.policy') $(vmj web-f '.macs | length')" "true hold 1"
check "restart: the VM key is the same" cmp -s "$KF" "$(vmkey web-f)"
r=$(peer dst -k "$KF" -u "$UF" --host 127.0.0.2 -n 0 --migration-id 0123456789abcdef0123456789abcdef)
check "restart: ACTIVATED of a window the manager lost gets bad-state" eq "$(kv activated "$r")" bad-state
check "restart: ... within 200 ms" lt "$(kv ack_ms "$r")" 200
r=$(peer dst -k "$KC" -u "$UC" --host 127.0.0.2 -n 0 --migration-id 0123456789abcdef0123456789abcdef)
check "restart: ACTIVATED of an unregistered VM gets unknown-vm" eq "$(kv activated "$r")" unknown-vm
r=$(peer msg -k "$KD" -u "$UD" --port 44000 --raw "$RUN/susp2.bin")
check "restart: a replay from before the restart is stale (tolerance 30 s)" eq "$(kv ack "$r") $(stj '.drops.stale')" "none 1"
kill -TERM $MPID
wait $MPID

# --- a receive buffer the kernel refuses ---------------------------------------------------------
rmem=$(sysctl -n net.core.rmem_max)
want=$((rmem * 2))
write_conf "$RUN/mgr3.conf" 30 "rcvbuf=$want"
setpriv --bounding-set -net_admin --inh-caps -net_admin \
	"$MIG_MANAGER" -c "$RUN/mgr3.conf" -d > "$RUN/mgr3.log" 2>&1 &
MPID=$!
for _ in $(seq 50); do [ -S "$RUN/mgr.sock" ] && break; sleep 0.1; done
check "rcvbuf above rmem_max without CAP_NET_ADMIN: a warning in the log" \
	grep -q "data socket: receive buffer $rmem bytes, not the $want of rcvbuf=" "$RUN/mgr3.log"
check "... and migctl status shows the granted size" grep -q "^data socket: receive buffer $rmem bytes (rcvbuf= $want): smaller than asked" <<<"$(mctl status)"
kill -TERM $MPID
wait $MPID

if [ $FAILS -gt 0 ]; then
	echo "[$TEST_NAME] FAIL: $FAILS assertion(s) failed (log: $RUN/mgr.log)"
	exit 1
fi
echo "[$TEST_NAME] PASS: all assertions"
