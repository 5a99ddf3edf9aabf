#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-2nic.sh - a guest with two NICs on two bridges (LAB_NICS=2: br0
# 10.99.0.0/24 and br1 10.97.0.0/24), one handoff filter on each, a
# datagram stream to each NIC across the migration.
#
# Asserts: both streams lose nothing, no duplicates, no reordering; the
# manager keeps two NICs with two VNIs, buffers and releases each NIC's
# frames; the frames released to each destination filter (at known
# ports) all carry that NIC's MAC, so no frame of one NIC reaches the
# other; each destination filter injected what the manager released to
# it and rejected nothing.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-handoff-2nic}
export LAB_NICS=2 HANDOFF_FIXED_PORTS=1
. "$TOP/tests/e2e/lib.sh"

e2e_start h2nic "$0" "$@"

start_manager
start_guest src "$LAB_TAP_SRC"
wait_ready src
capture_start geneve "$LAB_HV" lo "udp port 6081"
migrate_with_stream "${PPS:-2000}" "${STREAM_SECONDS:-60}"
capture_stop
print_result "$RUN/result.json" | sed "s/^/[$TEST_NAME] /" >&2

R=$RUN/result.json
[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
for s in stream stream1; do
	sent=$(json_get "$R" ".$s.sent")
	uniq=$(json_get "$R" ".$s.guest_unique")
	[ "$sent" -gt 0 ] || fail "$s: the client sent nothing"
	[ "$uniq" -eq "$sent" ] || fail "$s: $((sent - uniq)) of $sent datagrams lost"
	[ "$(json_get "$R" ".$s.guest_dup")" -eq 0 ] || fail "$s: duplicates"
	[ "$(json_get "$R" ".$s.guest_reordered")" -eq 0 ] || fail "$s: reordered"
done
log "both NICs: 0 lost of $(json_get "$R" .stream.sent) and $(json_get "$R" .stream1.sent)"

migctl --json show "$GUEST_UUID" > "$RUN/manager-vm.json" || fail "migctl show failed"
log "manager: $(jq -c '{state, nics: [.nics[] | {mac, vni, received, sent}], drops}' "$RUN/manager-vm.json")"
[ "$(json_get "$RUN/manager-vm.json" '.nics | length')" -eq 2 ] || fail "the manager does not see two NICs"
[ "$(json_get "$RUN/manager-vm.json" '[.nics[].vni] | unique | length')" -eq 2 ] ||
	fail "the two NICs share a VNI"
for i in 0 1; do
	mac=$(json_get "$RUN/manager-vm.json" ".nics[$i].mac")
	recv=$(json_get "$RUN/manager-vm.json" ".nics[$i].received")
	sentm=$(json_get "$RUN/manager-vm.json" ".nics[$i].sent")
	[ "$recv" -gt 0 ] || fail "NIC $mac: the manager buffered nothing of it"
	[ "$sentm" -eq "$recv" ] || fail "NIC $mac: released $sentm of $recv"
	# which filter is this NIC's: the one with its MAC
	f=handoff0
	[ "$mac" = "$GUEST_MAC" ] || f=handoff1
	inj=$(qmp dst qom-get "{\"path\": \"$f\", \"property\": \"injected\"}")
	rej=0
	for c in rejected-auth rejected-replay rejected-window rejected-vni rejected-malformed; do
		rej=$((rej + $(qmp dst qom-get "{\"path\": \"$f\", \"property\": \"$c\"}")))
	done
	[ "$inj" -ge "$sentm" ] || fail "$f injected $inj < $sentm released for $mac"
	[ "$rej" -eq 0 ] || fail "$f rejected $rej frames"
done

# On the wire: every frame released to destination filter i (port 46001+i)
# is for NIC i's MAC.
if command -v tshark >/dev/null; then
	tshark -r "$RUN/geneve.pcap" -Y "geneve && udp.srcport == 6081" -T fields \
		-e udp.dstport -e eth.dst > "$RUN/released.tsv" 2> "$RUN/tshark.err" ||
		fail "tshark cannot read the capture: $(head -3 "$RUN/tshark.err")"
	# eth.dst lists the outer (loopback, zeros) and the inner destination
	# udp.dstport lists the outer port and the inner one
	n0=$(awk -F'\t' -v m="$GUEST_MAC" '$1 ~ /^46001,/ && $2 ~ m' "$RUN/released.tsv" | wc -l)
	n1=$(awk -F'\t' -v m="$GUEST_MAC1" '$1 ~ /^46002,/ && $2 ~ m' "$RUN/released.tsv" | wc -l)
	x=$(awk -F'\t' -v a="$GUEST_MAC" -v b="$GUEST_MAC1" \
		'($1 ~ /^46001,/ && $2 !~ a) || ($1 ~ /^46002,/ && $2 !~ b)' "$RUN/released.tsv" | wc -l)
	[ "$n0" -gt 0 ] && [ "$n1" -gt 0 ] || fail "tshark: released frames per NIC $n0 / $n1"
	[ "$x" -eq 0 ] || fail "tshark: $x released frames went to the other NIC's filter"
	log "tshark: $n0 frames released to NIC 0's filter, $n1 to NIC 1's, none crossed"
else
	log "SKIP tshark check: tshark is not installed (scripts/debian-packages lists it)"
fi
log "PASS: two NICs migrated ($ACCEL), each stream 0 lost, each NIC's frames only to its own filter"
