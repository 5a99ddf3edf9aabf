#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-slowdns.sh - a manager given by name costs no downtime, even
# behind a slow name service (issue 19, docs/protocol.md §2).
#
# As handoff.sh, with the source's handoff-manager given as
# mgr.lab.test:7790 and the hypervisor namespace's resolver pointed at a
# DNS server that answers that name late (tests/e2e/slow-dns.py; both
# QEMUs run in that namespace and would ask it):
#
#   handoff-slowdns.sh            the three cases below, each in a fresh lab
#   handoff-slowdns.sh numeric    handoff-manager 127.0.0.1:7790 (the
#                                 baseline)
#   handoff-slowdns.sh slow       the name, answered after 1 s: the source
#                                 resolves it at migration setup, in a
#                                 thread, long before the VM stops, and
#                                 sends the address it found to the
#                                 destination in the stream
#   handoff-slowdns.sh too-slow   the name, answered after 25 s: not known
#                                 when the VM stops, so no handoff
#
# The guest dirties 64 MiB at 8 MiB/s and the migration runs at 32 MiB/s,
# so that pre-copy lasts a few seconds, as it does for a real guest.
#
# Asserts: numeric and slow lose no datagram and the manager released
# what it buffered; slow's downtime is no more than the baseline's plus
# max(200 ms, the baseline) (a resolution in the stop would add 1 s);
# the DNS server was asked once (A and AAAA), by the source: the
# destination did not resolve the name again at the end of the stream.
# too-slow: the migration completes, the source warns that the name was
# not resolved by the stop of the VM, and datagrams are lost as without a
# manager: that is what the early resolution buys.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-handoff-slowdns}
. "$TOP/tests/e2e/lib.sh"

BASE=$BUILD/run/handoff-slowdns.base
if [ $# -eq 0 ] && [ -z "${LAB_NAME:-}" ]; then
	rm -f "$BASE"
fi
e2e_cases "numeric slow too-slow" \
	"a manager given by name costs no downtime; one not resolved by the stop costs only the handoff" "$0" "$@"
CASE=${1:?case}
case "$CASE" in numeric|slow|too-slow) ;; *) fail "unknown case '$CASE'" ;; esac
TEST_NAME=handoff-slowdns-$CASE
e2e_start "hs$CASE" "$0" "$@"
command -v python3 > /dev/null || fail "python3 not found"
trap 'capture_stop; stop_guest src; stop_guest dst; stop_manager; stop_bg; rm -rf "/etc/netns/$LAB_HV"' EXIT

# the hypervisor namespace's resolver: the slow server on 127.0.0.53
delay=$(case $CASE in slow) echo 1000 ;; too-slow) echo 25000 ;; *) echo 0 ;; esac)
mkdir -p "/etc/netns/$LAB_HV"
printf 'nameserver 127.0.0.53\noptions timeout:30 attempts:1\n' > "/etc/netns/$LAB_HV/resolv.conf"
ip netns exec "$LAB_HV" python3 "$TOP/tests/e2e/slow-dns.py" 127.0.0.53 mgr.lab.test 127.0.0.1 \
	"$delay" "$RUN/dns.log" 2> "$RUN/dns.err" &
echo $! > "$RUN/dns.bgpid"
: > "$RUN/dns.log"

manager=127.0.0.1:7790
[ "$CASE" = numeric ] || manager=mgr.lab.test:7790
start_manager
GUEST_APPEND="mig.dirty=64:8" start_guest src "$LAB_TAP_SRC"
wait_ready src
migctl register guest0 --uuid "$GUEST_UUID" --mac "$GUEST_MAC" --ip "$LAB_GUEST_IP" > /dev/null ||
	fail "migctl register failed"
HANDOFF_MANAGER=$manager migrate_with_stream "${PPS:-1000}" "${STREAM_SECONDS:-60}" \
	'{"max-bandwidth": 33554432}'
print_result "$RUN/result.json" | sed "s/^/[$TEST_NAME] /" >&2

R=$RUN/result.json
[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
downtime=$(json_get "$R" .migration.downtime)
lost=$(json_get "$R" .stream.guest_lost)
migctl --json show guest0 > "$RUN/show.json" || fail "migctl show failed"
buffered=$(jq -r '.counters["frames-buffered"] // 0' "$RUN/show.json")
released=$(jq -r '.counters["frames-released"] // 0' "$RUN/show.json")
queries=$(grep -c ' mgr.lab.test ' "$RUN/dns.log" || true)
setup=$(json_get "$R" '.migration["total-time"]')
log "manager $manager: pre-copy and stop $setup ms, downtime $downtime ms, $lost lost, the manager buffered $buffered and released $released; DNS queries for the name: $queries"

case $CASE in
numeric)
	[ "$lost" = 0 ] && [ "$released" = "$buffered" ] ||
		fail "numeric: $lost lost, $released of $buffered released"
	echo "$downtime" > "$BASE"
	log "PASS: numeric: baseline downtime $downtime ms, 0 lost"
	;;
slow)
	[ "$lost" = 0 ] && [ "$buffered" -gt 0 ] && [ "$released" = "$buffered" ] ||
		fail "slow: $lost lost, $released of $buffered released: the name cost the handoff"
	[ "$queries" -le 2 ] ||
		fail "slow: the name was resolved more than once ($queries queries: A and AAAA are one resolution): the destination asked again"
	grep -q 'resolved' "$RUN/src.log" && fail "slow: the source warned: $(grep resolved "$RUN/src.log")"
	base=$(cat "$BASE" 2>/dev/null || echo "")
	if [ -n "$base" ]; then
		allowed=$((base + (base > 200 ? base : 200)))
		[ "$downtime" -le "$allowed" ] ||
			fail "slow: downtime $downtime ms against the baseline's $base ms (allowed $allowed): the resolution was in the stop"
		log "PASS: slow: resolved at setup, the destination used the address the source sent ($queries queries); downtime $downtime ms (baseline $base), 0 lost"
	else
		log "PASS: slow: resolved at setup ($queries queries), downtime $downtime ms, 0 lost (run the numeric case first for the downtime comparison)"
	fi
	;;
too-slow)
	grep -q 'not resolved by the stop of the VM' "$RUN/src.log" ||
		fail "too-slow: the source did not warn that the name was not resolved: $(tail -3 "$RUN/src.log")"
	[ "$buffered" = 0 ] || fail "too-slow: the manager buffered $buffered frames without a handoff"
	[ "$lost" -gt 0 ] || fail "too-slow: nothing was lost: the test would show no difference"
	log "PASS: too-slow: the migration completed without the handoff (a warning), $lost datagrams lost as with stock QEMU; downtime $downtime ms"
	;;
esac
