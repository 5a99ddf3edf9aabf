#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libvirt.sh - migctl migrate between two libvirt hosts, there and back,
# with the governor and the handoff, under a sequenced UDP stream
#
# Two-host lab (LAB_LINK_RATE, default 1gbit): host A is the lab's
# hypervisor namespace (mig0 10.98.0.1), host B its destination namespace
# (mig0 10.98.0.2); each runs a libvirtd of its own (scripts/libvirt-hosts)
# and has a tap vmtap0 on its bridge br0 (same name on both: the domain XML
# travels with the migration). The test guest runs as the transient domain
# guest0 on A with the patched QEMU as <emulator> and nothing else of the
# project in its XML, dirtying memory (GUEST_APPEND, default
# mig.dirty=32:16). mig-manager runs on host A (control 10.98.0.1:7790,
# data 10.98.0.1:6081). The client streams PPS (default 1000) datagrams/s
# to the guest while `migctl migrate ... --live --manager ...` moves it
# A -> B (migrate_guest: it adds the handoff objects to the source QEMU
# and passes them to B with --xml), then a new stream while the same
# command moves it back B -> A (the objects now come from its XML).
#
# Asserts, for each migration: migctl migrate (virsh) succeeds, guest0
# then runs on the destination host and is gone from the source, the
# governor's rounds were reported, the manager released every frame it
# buffered and dropped none, and the guest lost no datagram and got none
# twice. Before that: migctl migrate refuses an unknown domain, a
# domain running stock QEMU and an unreachable manager, with exit status
# and message; and a migration at --bandwidth 1 cancelled by SIGTERM to
# migctl fails with virsh's status, the guest still running and
# answering on host A.
#
# Provisioning (docs/provisioning.md): each host runs a mig-agent, the
# manager has a topology of the two hosts, and host A holds guest0's ACL
# (chain vm_guest0 of table bridge mig_policy: UDP 7779 dropped). Each
# migration runs with --provision DEST --provision-from SRC: after it the
# chain is at the destination only. The cancelled migration is provisioned
# too: after it the chain is at A only (migctl aborted at B).
#
# LV_DOMAIN_EXTRA: extra XML inside <domain> (the qemu: namespace is
# declared, e.g. <qemu:commandline>...</qemu:commandline>). The logs of
# both libvirtds and QEMUs end up in $RUN/libvirt-{a,b}-logs.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-libvirt}
. "$TOP/tests/e2e/lib.sh"

export LAB_LINK_RATE=${LAB_LINK_RATE:-1gbit}
e2e_start lvirt "$0" "$@"
[ -n "${LAB_DST:-}" ] || fail "needs a two-host lab (lab made with LAB_LINK_RATE set)"
for c in virsh libvirtd jq python3; do
	command -v "$c" >/dev/null || fail "$c is not installed (scripts/debian-packages lists it)"
done

LIBVIRT_HOSTS=$TOP/scripts/libvirt-hosts
LV_DIR=$RUN/lv
DOMAIN=guest0
TAP=vmtap0
PPS=${PPS:-1000}
STREAM_SECONDS=${STREAM_SECONDS:-60}
VIRSH_TIMEOUT=${VIRSH_TIMEOUT:-60}
MIGRATE_TIMEOUT=${MIGRATE_TIMEOUT:-240}
EMULATOR=$(cd "$(dirname "$QEMU")" && pwd)/$(basename "$QEMU")
STREAM_PID=
GUEST_APPEND=${GUEST_APPEND:-mig.dirty=32:16}

cleanup() {
	if [ -n "$STREAM_PID" ]; then
		kill -TERM "$STREAM_PID" 2>/dev/null || true
		wait "$STREAM_PID" 2>/dev/null || true
	fi
	stop_manager
	stop_bg
	# Keep the daemons' and QEMUs' logs: down removes LV_DIR
	local x
	for x in a b; do
		[ ! -d "$LV_DIR/$x/log" ] || cp -r "$LV_DIR/$x/log" "$RUN/libvirt-$x-logs" 2>/dev/null || true
		[ ! -f "$LV_DIR/$x/libvirtd.out" ] || cp "$LV_DIR/$x/libvirtd.out" "$RUN/libvirt-$x-logs/" 2>/dev/null || true
	done
	"$LIBVIRT_HOSTS" down "$LV_DIR" || true
	local ns
	for ns in "$LAB_HV" "$LAB_DST"; do
		ip -n "$ns" link del "$TAP" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Host letter (A, B) -> libvirt URI through its unix socket, TCP URI,
# network namespace, libvirtd log
host_uri() { eval "echo \"\$LV_$1_URI\""; }
host_tcp() { eval "echo \"\$LV_$1_TCP\""; }
host_ns() { eval "echo \"\$LV_$1_NS\""; }
host_log() { eval "echo \"\$LV_$1_LOG\""; }

# host_of URI - the letter of the host whose unix-socket URI is URI
host_of() {
	case "$1" in
	"$LV_A_URI") echo A ;;
	"$LV_B_URI") echo B ;;
	*) fail "unknown libvirt URI $1" ;;
	esac
}

# lv HOST ARGS... - virsh on host A or B, bounded in time
lv() {
	local h=$1
	shift
	timeout "$VIRSH_TIMEOUT" virsh -q -c "$(host_uri "$h")" "$@"
}

# lv_fail HOST MSG... - fail with MSG and the end of HOST's libvirtd log
# (without the start-up noise of a machine without D-Bus, DMI and dnsmasq)
lv_fail() {
	local h=$1
	shift
	fail "$*
--- libvirtd log of host $h (kept in $RUN/libvirt-${h,,}-logs), last lines:
$(grep -v -e dnsmasq -e GDBus -e 'DBus not available' -e DMI -e dmidecode -e '/dev/mem' \
	-e 'security driver' "$(host_log "$h")" 2>/dev/null | grep -v '^$' | tail -n 10)"
}

# migrate_guest FROM-URI DEST-TCP-URI FROM-HOST TO-HOST - live-migrate
# guest0 from the host of FROM-URI to the libvirtd at DEST-TCP-URI with
# the governor, the handoff and provisioning (hosts A or B): the
# operator's command (docs/libvirt.md), run in the source host's
# namespace, which reaches the destination's address; migctl gets the VM
# key from the manager (no --key-file)
migrate_guest() {
	local from=$1 to=$2 fh th
	fh=host-$(tr A-Z a-z <<< "$3")
	th=host-$(tr A-Z a-z <<< "$4")
	ip netns exec "$(host_ns "$(host_of "$from")")" timeout "$MIGRATE_TIMEOUT" \
		"$MIGCTL" -s "$MIG_MANAGER_SOCK" migrate "$DOMAIN" "$to" --connect "$from" \
		--live --verbose --manager "$MIG_MANAGER_CONTROL" --max-rounds "${MAX_ROUNDS:-8}" \
		--provision "$th" --provision-from "$fh"
}

# acl_at HOST - whether host HOST (A or B) holds guest0's chain
acl_at() {
	ip netns exec "$(host_ns "$1")" nft list chain bridge mig_policy "vm_$DOMAIN" 2>/dev/null |
		grep "udp dport 7779" > /dev/null
}
# acl_only HOST WHEN - guest0's chain is on HOST and not on the other
acl_only() {
	local other=A
	[ "$1" != A ] || other=B
	acl_at "$1" || fail "guest0's ACL is not on host $1 $2"
	! acl_at "$other" || fail "guest0's ACL is still on host $other $2"
}

# domain_xml - guest0 as a libvirt domain: the test guest of guest_args
# (same kernel, initrd and command line) with its NIC on tap vmtap0
domain_xml() {
	local type=qemu
	[ "$ACCEL" != kvm ] || type=kvm
	cat <<-EOF
	<domain type='$type' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
	  <name>$DOMAIN</name>
	  <uuid>$GUEST_UUID</uuid>
	  <memory unit='MiB'>$GUEST_MEM</memory>
	  <vcpu>1</vcpu>
	  <os>
	    <type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>$GUEST_KERNEL</kernel>
	    <initrd>$GUEST_INITRD</initrd>
	    <cmdline>console=ttyS0 panic=-1 quiet mig.ip=$LAB_GUEST_IP/$LAB_PREFIX ${GUEST_APPEND:-}</cmdline>
	  </os>
	  <features>
	    <acpi/>
	  </features>
	  <clock offset='utc'/>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <emulator>$EMULATOR</emulator>
	    <controller type='usb' model='none'/>
	    <interface type='ethernet'>
	      <mac address='$GUEST_MAC'/>
	      <target dev='$TAP' managed='no'/>
	      <model type='virtio'/>
	    </interface>
	    <serial type='file'>
	      <source path='$RUN/$DOMAIN.serial' append='on'/>
	      <target port='0'/>
	    </serial>
	    <video>
	      <model type='none'/>
	    </video>
	    <memballoon model='none'/>
	  </devices>
	  ${LV_DOMAIN_EXTRA:-}
	</domain>
	EOF
}

# sink_received SID - datagrams of stream SID the guest has counted so far
# (asks its sink; retried, the guest may stall right after a migration)
sink_received() {
	local sid=$1
	for _ in 1 2 3 4; do
		if ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -s "$sid" --stats-only --json \
			> "$RUN/sink-$sid.json" 2>> "$RUN/sink-$sid.err"; then
			jq -r '.guest_received // empty' "$RUN/sink-$sid.json"
			return 0
		fi
	done
	return 1
}

# migrate_leg N FROM TO - migration N of guest0 from host FROM to host TO
# (letters) while the client streams; checks where the domain runs and that
# the guest got datagrams after the migration; prints the stream's counters
migrate_leg() {
	local n=$1 from=$2 to=$3 sid=$((100 + $1)) rc t0 state snap got sent uniq S
	S=$RUN/stream$n.json
	# Resolve the guest's address and let the bridges learn where it is
	# before the stream starts (as in migrate_with_stream)
	ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -s 1 --stats-only >/dev/null 2>&1 || true
	ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -s "$sid" -r "$PPS" -t "$STREAM_SECONDS" \
		--json > "$S" 2> "$RUN/stream$n.err" &
	STREAM_PID=$!
	sleep 2
	log "migration $n: host $from -> host $to ($(host_tcp "$to")) while the client sends $PPS datagrams/s"
	t0=$SECONDS
	rc=0
	migrate_guest "$(host_uri "$from")" "$(host_tcp "$to")" "$from" "$to" > "$RUN/migrate$n.log" 2>&1 ||
		rc=$?
	if [ $rc -ne 0 ]; then
		[ $rc -ne 124 ] || rc="124, timeout after $MIGRATE_TIMEOUT s"
		lv_fail "$from" "migration $n (host $from -> host $to) failed (exit $rc):" \
			"$(tr '\r' '\n' < "$RUN/migrate$n.log" | grep -v '^$' | tail -n 3)"
	fi
	log "migration $n: virsh migrate done in $((SECONDS - t0)) s; $(grep -m1 '^migctl: provisioned' "$RUN/migrate$n.log" || echo 'not provisioned?')"
	acl_only "$to" "after migration $n (provisioned with --provision)"
	# Where the guest runs now: on TO, and no longer on FROM
	state=$(lv "$to" domstate "$DOMAIN" 2>&1) ||
		lv_fail "$to" "virsh domstate $DOMAIN on host $to failed after migration $n: $state"
	[ "$state" = running ] || lv_fail "$to" "$DOMAIN is '$state' on host $to after migration $n, expected running"
	state=$(lv "$from" list --all --name 2>&1) ||
		lv_fail "$from" "virsh list on host $from failed after migration $n: $state"
	! grep -qx "$DOMAIN" <<< "$state" || lv_fail "$from" "$DOMAIN is still defined on host $from after migration $n"
	lv "$to" domjobinfo "$DOMAIN" --completed > "$RUN/jobinfo$n.txt" 2>&1 || true
	log "migration $n: $DOMAIN running on host $to only; libvirt job: $(awk -F': *' '
		{ gsub(/ +/, " ", $2); sub(/ $/, "", $2) }
		$1 == "Time elapsed" { t = $2 } $1 == "Total downtime" { d = $2 } $1 == "Data processed" { p = $2 }
		END { printf "time %s, downtime %s, transferred %s", t, d, p }' "$RUN/jobinfo$n.txt")"
	# The sink's count now (from the guest on TO) and at the end of the
	# stream, STREAM_AFTER seconds later: the difference arrived after the
	# migration
	snap=$(sink_received "$sid") || snap=
	[ -n "$snap" ] ||
		fail "migration $n: the guest's sink does not answer on host $to: $(tail -n 2 "$RUN/sink-$sid.err" 2>/dev/null)"
	sleep "${STREAM_AFTER:-3}"
	kill -TERM "$STREAM_PID" 2>/dev/null || true
	rc=0
	wait "$STREAM_PID" || rc=$?
	STREAM_PID=
	[ $rc -eq 0 ] || fail "mig-stream exited $rc after migration $n (guest unreachable on host $to?): $(cat "$RUN/stream$n.err")"
	jq -r --arg n "$n" --arg snap "$snap" '"migration \($n) udp stream sent=\(.sent) received=\(.guest_received) (after the migration: \(.guest_received - ($snap | tonumber))) lost=\(.guest_lost) duplicated=\(.guest_dup) reordered=\(.guest_reordered) longest-gap=\(.guest_max_gap_ms) ms"' "$S" |
		sed "s/^/[$TEST_NAME] /" >&2 || fail "cannot read the stream result $S"
	sent=$(json_get "$S" .sent)
	got=$(json_get "$S" .guest_received)
	uniq=$(json_get "$S" .guest_unique)
	[ "$sent" -gt 0 ] || fail "migration $n: the client sent nothing"
	[ "$uniq" -le "$sent" ] || fail "migration $n: the guest counted $uniq unique datagrams, more than the $sent sent"
	[ "$got" -gt "$snap" ] ||
		fail "migration $n: the guest received no datagram after the migration to host $to ($got in all, $snap when it was done)"
	# What migctl reported: the governor's rounds and the manager's frames
	local M=$RUN/migrate$n.log rounds mgr buffered released
	rounds=$(sed -n "s/^migctl: $DOMAIN: \([0-9]*\) governor rounds\{0,1\} reported.*/\1/p" "$M")
	[ -n "$rounds" ] && [ "$rounds" -ge 1 ] ||
		fail "migration $n: migctl reported no governor round: $(tr '\r' '\n' < "$M" | tail -n 5)"
	grep -E '^  [0-9]+ ' "$M" | sed "s/^/[$TEST_NAME]   /" >&2 || true
	mgr=$(grep "^manager: $DOMAIN state" "$M") ||
		fail "migration $n: migctl printed no manager counters: $(tr '\r' '\n' < "$M" | tail -n 5)"
	log "migration $n: $rounds governor rounds; $mgr"
	buffered=$(sed -n 's/.*buffered \([0-9]*\),.*/\1/p' <<< "$mgr")
	released=$(sed -n 's/.*released \([0-9]*\),.*/\1/p' <<< "$mgr")
	grep -q 'returned 0, dropped 0, still queued 0$' <<< "$mgr" ||
		fail "migration $n: the manager returned, dropped or still holds frames: $mgr ($(grep '^manager: .* dropped .* frames' "$M" | tr '\n' ' '))"
	[ "$buffered" = "$released" ] || fail "migration $n: the manager buffered $buffered frames but released $released"
	[ "$(json_get "$S" .guest_lost)" = 0 ] ||
		fail "migration $n: the guest lost $(json_get "$S" .guest_lost) of $sent datagrams (manager: $mgr)"
	[ "$(json_get "$S" .guest_dup)" = 0 ] ||
		fail "migration $n: the guest got $(json_get "$S" .guest_dup) datagrams twice"
	LEG_SUMMARY+=" $from->$to: $rounds rounds, lost $(json_get "$S" .guest_lost) of $sent, manager released $released, gap $(json_get "$S" .guest_max_gap_ms) ms;"
}

for ns in "$LAB_HV" "$LAB_DST"; do
	ip -n "$ns" tuntap add dev "$TAP" mode tap vnet_hdr || fail "cannot create tap $TAP in $ns"
	# Like the lab's taps: a long queue bridges a TCG guest's stall
	ip -n "$ns" link set "$TAP" txqueuelen 10000 master br0 up || fail "cannot put $TAP on br0 in $ns"
done

t0=$SECONDS
vars=$("$LIBVIRT_HOSTS" up "$LV_DIR" "$LAB_HV" "$LAB_MIG_SRC_IP" "$LAB_DST" "$LAB_MIG_DST_IP") ||
	fail "libvirt-hosts up failed (messages above)"
eval "$vars"
log "libvirtd A ($LV_A_NS, pid $LV_A_PID, $LV_A_TCP) and B ($LV_B_NS, pid $LV_B_PID, $LV_B_TCP) up in $((SECONDS - t0)) s"

# mig-manager on host A, reachable from host B over the migration link,
# with the two hosts' agents (provisioning)
start_host_agents agent-a agent-b
ip netns exec "$LAB_HV" nft -f - <<EOF || fail "cannot write guest0's ACL on host A"
table bridge mig_policy {
	chain vm_$DOMAIN {
		ether daddr $GUEST_MAC udp dport 7779 counter drop
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		jump vm_$DOMAIN comment "mig-vm $DOMAIN"
	}
}
EOF
MIG_MANAGER_KEY=$RUN/handoff.key
MIG_MANAGER_SOCK=$RUN/mig-manager.sock
MIG_MANAGER_CONTROL=$LAB_MIG_SRC_IP:7790
export MIG_MANAGER_KEY MIG_MANAGER_SOCK MIG_MANAGER_CONTROL
for port in 7790 6081; do
	ip netns exec "$LAB_HV" ss -Hlun "src $LAB_MIG_SRC_IP:$port" | grep -q . ||
		fail "mig-manager does not listen on $LAB_MIG_SRC_IP:$port: $(tail -n 3 "$RUN/mig-manager.log")"
done

domain_xml > "$RUN/$DOMAIN.xml"
t0=$SECONDS
out=$(lv A create "$RUN/$DOMAIN.xml" 2>&1) || lv_fail A "virsh create $RUN/$DOMAIN.xml on host A failed: $out"
qpid=$(cat "$LV_DIR/a/run/qemu/$DOMAIN.pid" 2>/dev/null) || lv_fail A "no QEMU pid file for $DOMAIN on host A"
wait_serial "$RUN/$DOMAIN.serial" MIG-GUEST-READY "$BOOT_TIMEOUT" "$qpid" ||
	fail "guest $DOMAIN not ready after $((SECONDS - t0)) s ($ACCEL); QEMU log: $(tail -n 3 "$LV_A_QEMU_LOGS/$DOMAIN.log" 2>/dev/null | tr '\n' '|') serial: $(tail -n 5 "$RUN/$DOMAIN.serial" 2>/dev/null | tr '\n' '|')"
log "guest $DOMAIN ready on host A after $((SECONDS - t0)) s ($ACCEL): $(grep -m1 MIG-GUEST-READY "$RUN/$DOMAIN.serial" | tr -d '\r')"

# expect_refusal RC PATTERN MIGCTL-ARGS... - migctl exits RC, says PATTERN,
# and guest0 still runs on host A
expect_refusal() {
	local want=$1 pattern=$2 rc=0 out
	shift 2
	out=$(ip netns exec "$LAB_HV" timeout "$VIRSH_TIMEOUT" "$MIGCTL" "$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "migctl $* exited $rc, expected $want: $out"
	grep -q -- "$pattern" <<< "$out" || fail "migctl $* did not say '$pattern': $out"
	log "refused as expected (exit $rc): $(grep -m1 -- "$pattern" <<< "$out")"
}

# A domain of stock QEMU (nothing to boot: only its QMP schema matters)
cat > "$RUN/stock0.xml" <<EOF
<domain type='qemu'>
  <name>stock0</name>
  <memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>$(cd "$BUILD/bin" && pwd)/qemu-stock</emulator>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
out=$(lv A create "$RUN/stock0.xml" 2>&1) || lv_fail A "virsh create stock0 (stock QEMU) on host A failed: $out"
expect_refusal 1 "domain 'nosuch' not found" -s "$MIG_MANAGER_SOCK" migrate nosuch "$LV_B_TCP" \
	--connect "$LV_A_URI" --live
expect_refusal 1 "is not patched" -s "$MIG_MANAGER_SOCK" migrate stock0 "$LV_B_TCP" \
	--connect "$LV_A_URI" --live
expect_refusal 3 "cannot reach mig-manager" -s "$RUN/no-such.sock" migrate "$DOMAIN" "$LV_B_TCP" \
	--connect "$LV_A_URI" --live --manager "$MIG_MANAGER_CONTROL" --key-file "$MIG_MANAGER_KEY"
out=$(lv A destroy stock0 2>&1) || lv_fail A "virsh destroy stock0 failed: $out"
state=$(lv A domstate "$DOMAIN" 2>&1) && [ "$state" = running ] ||
	lv_fail A "$DOMAIN is '$state' on host A after the refused migrations"

# A migration cancelled half way: on SIGTERM migctl cancels libvirt's
# job, virsh fails, migctl exits with virsh's status; the guest stays on
# host A and answers there. --bandwidth 1
# (MiB/s) keeps the first round going; migctl lowers bandwidth-min to it.
log "cancelled migration: migctl migrate --bandwidth 1, SIGTERM after 4 s"
ip netns exec "$LAB_HV" "$MIGCTL" -s "$MIG_MANAGER_SOCK" migrate "$DOMAIN" "$LV_B_TCP" \
	--connect "$LV_A_URI" --live --bandwidth 1 --manager "$MIG_MANAGER_CONTROL" \
	--key-file "$MIG_MANAGER_KEY" --provision host-b --provision-from host-a \
	> "$RUN/migrate-cancel.log" 2>&1 &
mpid=$!
sleep 4
kill -TERM "$mpid" 2>/dev/null || fail "the cancelled migration: migctl ended before SIGTERM: $(tail -n 3 "$RUN/migrate-cancel.log")"
rc=0
timeout 60 tail --pid="$mpid" -f /dev/null || fail "the cancelled migration: migctl still runs 60 s after SIGTERM"
wait "$mpid" || rc=$?
case $rc in
0|143) fail "the cancelled migration: migctl exited $rc, expected virsh's failure: $(tr '\r' '\n' < "$RUN/migrate-cancel.log" | tail -n 4)" ;;
esac
grep -q 'min 1048576 bytes/s' "$RUN/migrate-cancel.log" ||
	fail "the cancelled migration: bandwidth-min not lowered to --bandwidth 1 MiB/s: $(head -n 5 "$RUN/migrate-cancel.log")"
grep -q '^migctl: virsh migrate exited with status '"$rc" "$RUN/migrate-cancel.log" ||
	fail "the cancelled migration: migctl did not report virsh's status $rc: $(tail -n 3 "$RUN/migrate-cancel.log")"
state=$(lv A domstate "$DOMAIN" 2>&1) && [ "$state" = running ] ||
	lv_fail A "$DOMAIN is '$state' on host A after the cancelled migration, expected running"
! lv B domstate "$DOMAIN" > /dev/null 2>&1 || lv_fail B "$DOMAIN exists on host B after the cancelled migration"
sink_received 99 > /dev/null || fail "the guest does not answer on host A after the cancelled migration"
grep -q '^migctl: provisioned' "$RUN/migrate-cancel.log" ||
	fail "the cancelled migration was not provisioned: $(head -n 5 "$RUN/migrate-cancel.log")"
acl_only A "after the cancelled migration (migctl aborts the provisioning at B)"
log "cancelled migration: migctl exited $rc ($(grep -m1 -i 'error' "$RUN/migrate-cancel.log" | tr -d '\r' | cut -c1-100)); $DOMAIN still runs on host A and answers"

LEG_SUMMARY=
migrate_leg 1 A B
migrate_leg 2 B A
log "PASS: $DOMAIN live-migrated with migctl migrate ($ACCEL) host A -> B -> A, governor rounds reported, nothing lost;${LEG_SUMMARY%;}"
