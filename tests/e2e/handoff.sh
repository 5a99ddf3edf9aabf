#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff.sh - zero packet loss across stop-and-copy: the source QEMU's
# handoff filter tunnels the stop window's guest-bound frames to mig-manager,
# which releases them to the destination QEMU's filter on "activated".
#
# Lab as in migrate.sh, plus mig-manager in the hypervisor namespace; both
# QEMUs carry -uuid, the VM key (migctl key) as a secret object and the
# handoff filter; only the source is told the manager (the destination
# learns it, and the key, from the stream). The client streams PPS (default 3000) datagrams/s and, with
# TCP_PROBE=1, a TCP stream. Asserts: the
# migration completes; the guest received every datagram exactly once and
# in order; the manager saw the VM suspend and activate, buffered frames of
# the stop window and released all of them; the destination filter injected
# what the manager released; nothing was dropped anywhere.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-handoff}
. "$TOP/tests/e2e/lib.sh"

e2e_start hand "$0" "$@"

start_manager
start_guest src "$LAB_TAP_SRC"
wait_ready src
# The Geneve frames the source filter tunnels to the manager and those the
# manager releases to the destination filter (CAPTURE_TAPS=1: also the
# guest's two taps, for diagnosis)
capture_start geneve "$LAB_HV" lo "udp port 6081"
if [ "${CAPTURE_TAPS:-0}" = 1 ]; then
	capture_start tap-src "$LAB_HV" "$LAB_TAP_SRC" udp
	capture_start tap-dst "$LAB_HV" "$LAB_TAP_DST" udp
fi
TCP_PROBE=${TCP_PROBE:-0}
migrate_with_stream "${PPS:-3000}" "${STREAM_SECONDS:-60}"
capture_stop
print_result "$RUN/result.json" | sed "s/^/[$TEST_NAME] /" >&2

R=$RUN/result.json
[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
sent=$(json_get "$R" .stream.sent)
uniq=$(json_get "$R" .stream.guest_unique)
[ "$sent" -gt 0 ] || fail "the client sent nothing"
[ "$uniq" -le "$sent" ] || fail "the guest counted more unique datagrams ($uniq) than were sent ($sent)"

# What the manager and the destination filter say.
migctl --json show "$GUEST_UUID" > "$RUN/manager-vm.json" ||
	fail "migctl show $GUEST_UUID failed: $(cat "$RUN/manager-vm.json")"
migctl --json status > "$RUN/manager-status.json" || fail "migctl status failed"
for c in injected inject-dropped held-direct drain-timeouts rejected-auth rejected-replay \
	rejected-window rejected-vni rejected-malformed hold-dropped; do
	v=$(qmp dst qom-get "{\"path\": \"handoff0\", \"property\": \"$c\"}") ||
		fail "qom-get handoff0 $c on the destination failed"
	echo "\"$c\": $v"
done | paste -sd, | sed 's/^/{/; s/$/}/' > "$RUN/dst-filter.json"
log "manager: $(jq -c . "$RUN/manager-vm.json")"
log "destination filter: $(jq -c . "$RUN/dst-filter.json")"

state=$(json_get "$RUN/manager-vm.json" .state)
buffered=$(json_get "$RUN/manager-vm.json" '.counters["frames-buffered"]')
released=$(json_get "$RUN/manager-vm.json" '.counters["frames-released"]')
mdrops=$(json_get "$RUN/manager-status.json" '[.drops // {} | to_entries[] | .value] | add // 0')
injected=$(json_get "$RUN/dst-filter.json" .injected)
dropped=$(json_get "$RUN/dst-filter.json" '.["inject-dropped"]')

case "$state" in activated|done) ;; *) fail "manager state of the VM is '$state', expected activated or done" ;; esac
[ "$buffered" -gt 0 ] || fail "the manager buffered nothing: the stop window's frames did not reach it"
[ "$released" -eq "$buffered" ] || fail "manager released $released of $buffered buffered frames"
[ "$mdrops" -eq 0 ] || fail "the manager dropped $mdrops frames: $(jq -c .drops "$RUN/manager-status.json")"
[ "$dropped" -eq 0 ] || fail "the destination filter dropped $dropped frames"
rejected=$(json_get "$RUN/dst-filter.json" '[to_entries[] | select(.key | startswith("rejected-")) | .value] | add')
[ "$rejected" -eq 0 ] || fail "the destination filter rejected $rejected frames: $(jq -c . "$RUN/dst-filter.json")"
[ "$(json_get "$RUN/dst-filter.json" '.["drain-timeouts"]')" -eq 0 ] ||
	fail "the destination filter released its hold by timeout, not by DRAINED"
[ "$(json_get "$RUN/manager-status.json" '.counters["drained-by-end"]')" -ge 1 ] ||
	fail "the manager's DRAINED did not follow the source's END"
[ "$injected" -ge "$released" ] || fail "destination filter injected $injected < $released released"
lost=$((sent - uniq))
# Where frames can also be dropped: the taps' queues (TX towards QEMU)
for tap in "$LAB_TAP_SRC" "$LAB_TAP_DST"; do
	ns=$LAB_HV
	[ "$tap" != "$LAB_TAP_DST" ] || ns=${LAB_DST:-$LAB_HV}
	log "$tap: $(ip -n "$ns" -s link show "$tap" | awk '/TX:/ { getline; print "tx packets " $2 ", dropped " $4 }')"
done
[ "$lost" -eq 0 ] || fail "$lost of $sent datagrams lost across the migration (manager buffered $buffered)"
[ "$(json_get "$R" .stream.guest_dup)" -eq 0 ] || fail "the guest received duplicates"
reordered=$(json_get "$R" .stream.guest_reordered)
if [ "${HANDOFF_REORDER:-on}" = on ]; then
	[ "$reordered" -eq 0 ] || fail "the guest saw $reordered datagrams out of order (reorder=on)"
else
	log "reorder=off: the guest saw $reordered datagrams out of order"
fi
# TCP: nothing lost (TCP retransmits what it must), the stall reported
tcp_note=
if [ "$TCP_PROBE" = 1 ]; then
	tsent=$(json_get "$R" .tcp.sent_bytes)
	techo=$(json_get "$R" .tcp.echoed_bytes)
	[ "$tsent" -gt 0 ] && [ "$techo" -eq "$tsent" ] ||
		fail "TCP stream: $techo of $tsent bytes echoed"
	tcp_note=", TCP stall $(json_get "$R" .tcp.longest_stall_ms) ms"
fi

# The capture decodes as Geneve (RFC 8926, its IANA port) without plugins:
# the frames the source tunnelled to the manager's data port and those it
# released, with the NIC's VNI, the protocol's critical option and intact
# inner UDP checksums.
vni=$(json_get "$RUN/manager-vm.json" '.nics[0].vni')
if command -v tshark >/dev/null; then
	tshark -r "$RUN/geneve.pcap" -o udp.check_checksum:TRUE \
		-Y "geneve && udp.dstport == 7777" -T fields -e geneve.vni -e udp.dstport \
		-e udp.checksum.status -e geneve.option.class > "$RUN/geneve.tsv" 2> "$RUN/tshark.err" ||
		fail "tshark cannot read the capture: $(head -3 "$RUN/tshark.err")"
	to_mgr=$(awk -F'\t' -v v="$vni" '$1 == v && $2 ~ /^6081,/' "$RUN/geneve.tsv" | wc -l)
	from_mgr=$(awk -F'\t' -v v="$vni" '$1 == v && $2 !~ /^6081,/' "$RUN/geneve.tsv" | wc -l)
	bad=$(awk -F'\t' '$3 ~ /,0$/' "$RUN/geneve.tsv" | wc -l)
	noopt=$(awk -F'\t' '$4 != "0xff4d" && $4 != "65357"' "$RUN/geneve.tsv" | wc -l)
	[ "$to_mgr" -gt 0 ] || fail "tshark decoded no Geneve frame with VNI $vni to the manager"
	[ "$from_mgr" -eq "$to_mgr" ] ||
		fail "tshark: $to_mgr stream frames in Geneve to the manager, $from_mgr released"
	[ "$bad" -eq 0 ] || fail "tshark: $bad tunnelled frames with a bad inner UDP checksum"
	[ "$noopt" -eq 0 ] || fail "tshark: $noopt frames without the authentication option (class 0xff4d)"
	log "tshark decodes $to_mgr + $from_mgr stream frames as Geneve VNI $vni with the authentication option, inner checksums good"
else
	log "SKIP tshark check: tshark is not installed (scripts/debian-packages lists it)"
fi
log "PASS: migrated ($ACCEL) with 0 of $sent datagrams lost; manager buffered and released $buffered frames of the stop window, downtime $(json_get "$R" .migration.downtime) ms$tcp_note"
