#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# netstate.sh - the VM's dynamic network state moves with it (seed 004,
# docs/netstate.md): conntrack entries, its DHCP-snooping binding and its
# counters, from host A's firewall to host B's, through the mig-agents.
#
# Lab: scripts/lab with LAB_FIREWALL=1 (two routed hosts, each behind
# table inet mig: IP source guard on @bindings, per-VM counters,
# conntrack with nf_conntrack_tcp_loose=0). dnsmasq on host A gives the
# guest its address; each host's mig-agent snoops DHCP on br0. The guest
# (mig.ip=dhcp, mig.talk) opens a TCP stream and a UDP flow to the client
# namespace, which answers every datagram (talk-peer.py). The client
# reaches the guest's segment via A until the destination's agent
# announces the VM (its announce-command moves the client's route to B).
#
#   netstate.sh               every case below, each in a fresh lab
#   netstate.sh CASE          one case: none (no state migration: the
#                             manager has no topology, the test moves the
#                             route itself), fetch, pull or push (the
#                             seed's modes (a), (b), (c)), faults (forged
#                             and replayed agent sessions are refused; the
#                             destination's agent is down: the migration
#                             completes and the manager says what did not
#                             move), full (the destination takes only 20
#                             entries of the VM's 300: the migration
#                             completes, the manager says how many were
#                             refused)
#
# Asserts, with state migration: the migration completes; the TCP
# connection stays open and no gap exceeds the stop window + 1 s; the
# destination firewall dropped nothing (guard_drop, invalid_drop,
# new_in_drop all 0); UDP replies reach the guest after the move (its own
# count goes on); the guest did not renew its lease; B's counters start
# from A's values; the manager reports the phases moved and A no longer
# holds the VM's state. Without it: the destination firewall's counters
# show the drops and the guest's flows stop, so the test shows the
# difference.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-netstate}
. "$TOP/tests/e2e/lib.sh"

e2e_cases "${NETSTATE_CASES:-none fetch pull push faults full}" \
	"network state moved in every mode; without it the destination dropped the VM's flows" "$0" "$@"
CASE=${1:?case}
case "$CASE" in none|fetch|pull|push|faults|full) ;; *) fail "unknown case '$CASE'" ;; esac
export LAB_FIREWALL=1
TEST_NAME=netstate-$CASE
e2e_start "ns$CASE" "$0" "$@"
need_files "$BUILD/bin/mig-agent"
for c in nft dnsmasq python3; do
	command -v "$c" >/dev/null || fail "'$c' not found (scripts/debian-packages)"
done
trap 'capture_stop; stop_guest src; stop_guest dst; stop_manager; stop_bg' EXIT
CTR=vm_${LAB_GUEST_IP//./_}

# nft_counter NS NAME - packets of a named counter of table inet mig (or -1)
nft_counter() {
	ip netns exec "$1" nft -j list counter inet mig "$2" 2>/dev/null |
		jq -r '[.nftables[] | select(.counter) | .counter.packets][0] // -1' 2>/dev/null || echo -1
}
has_binding() {
	ip netns exec "$1" nft list set inet mig bindings 2>/dev/null | grep -i "$GUEST_MAC . $LAB_GUEST_IP" > /dev/null
}

# --- the network: DHCP, the manager, the agents -------------------------------------
ip netns exec "$LAB_HV" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
	--interface=br0 --bind-interfaces --dhcp-range="$LAB_GUEST_IP,$LAB_GUEST_IP,255.255.255.0,1h" \
	--dhcp-host="$GUEST_MAC,$LAB_GUEST_IP" --dhcp-option=option:router,"$LAB_HV_IP" \
	--dhcp-leasefile="$RUN/dnsmasq.leases" --log-dhcp --log-facility="$RUN/dnsmasq.log" \
	--pid-file= > "$RUN/dnsmasq.out" 2>&1 &
echo $! > "$RUN/dnsmasq.bgpid"
ip netns exec "$LAB_CLI" python3 "$TOP/tests/e2e/talk-peer.py" "$LAB_CLI_IP" "$RUN/talk.json" \
	2> "$RUN/talk.err" &
echo $! > "$RUN/talk.bgpid"

two_host_topology "$RUN/topology.conf" fw-a fw-b \
	"$(case $CASE in none|faults|full) echo fetch ;; *) echo "$CASE" ;; esac)"
conf=
[ "$CASE" = none ] || conf="topology-file=$RUN/topology.conf"
MANAGER_ADDR=$LAB_MIG_SRC_IP MANAGER_CONF=$conf start_manager

# start_agent_fw NS DEVICE ADDR UPLINK-IP - a host's agent: it snoops DHCP
# on br0 and moves the client's route to itself when it announces the VM
start_agent_fw() {
	start_agent "$1" "$2" "$3" snoop=br0 \
		"announce-command=ip -n $LAB_CLI route replace \$MIG_IPS/32 via $4" \
		"$([ "$CASE" = full ] && [ "$2" = fw-b ] && echo max-entries=20)"
}
start_agent_fw "$LAB_HV" fw-a "$LAB_MIG_SRC_IP" "$LAB_UP_SRC_IP"
start_agent_fw "$LAB_DST" fw-b "$LAB_MIG_DST_IP" "$LAB_UP_DST_IP"

if [ "$CASE" = faults ]; then
	command -v gnutls-cli > /dev/null || fail "gnutls-cli not found (package gnutls-bin, scripts/debian-packages)"
	right=$(od -An -tx1 -v "$RUN/fw-b.key" | tr -d ' \n')
	wrong=$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" manager "$right" ||
		fail "the agent refused the manager's own key (the probe itself is broken): $(tail -3 "$RUN/psk.out")"
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" manager "$wrong" && fail "fw-b's agent accepted a session with a wrong key"
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" ticket:forged "$right" && fail "fw-b's agent accepted an unknown ticket"
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" manager "$(od -An -tx1 -v "$RUN/fw-a.key" | tr -d ' \n')" &&
		fail "fw-b's agent accepted fw-a's key"
	log "fw-b's agent: a wrong key, fw-a's key and an unknown ticket are refused"
fi

# --- the guest on host A ----------------------------------------------------------
GUEST_IP_ARG=dhcp GUEST_APPEND="mig.talk=$LAB_CLI_IP" start_guest src "$LAB_TAP_SRC"
wait_ready src
grep -q "MIG-GUEST-READY ip=$LAB_GUEST_IP" "$RUN/src.serial" || fail "the guest did not get $LAB_GUEST_IP by DHCP"
for _ in $(seq 150); do has_binding "$LAB_HV" && break; sleep 0.1; done
has_binding "$LAB_HV" || fail "host A's agent did not snoop the guest's binding into @bindings"
# NETSTATE_ENTRIES more connections of the guest (the benchmark), and
# those of another VM on host A (10.99.0.50), which must stay there;
# before the registration, whose precopy phase moves the bulk
OTHER_IP=${LAB_GUEST_IP%.*}.50
OTHERS=${NETSTATE_OTHERS:-100}
[ "$CASE" != full ] || NETSTATE_ENTRIES=300
if [ "${NETSTATE_ENTRIES:-0}" -gt 0 ]; then
	ip netns exec "$LAB_HV" "$BUILD/bin/mig-ctfill" "$LAB_GUEST_IP" "$LAB_CLI_IP" \
		"$NETSTATE_ENTRIES" > /dev/null || fail "mig-ctfill of $NETSTATE_ENTRIES entries failed"
fi
ip netns exec "$LAB_HV" "$BUILD/bin/mig-ctfill" "$OTHER_IP" "$LAB_CLI_IP" "$OTHERS" 20000 > /dev/null ||
	fail "mig-ctfill of the other VM's entries failed"
migctl register guest0 --uuid "$GUEST_UUID" --mac "$GUEST_MAC" \
	--src-host host-a --dest-host host-b > /dev/null || fail "migctl register failed"
# the guest's flows run (its first SYN may go before the snooped binding)
for _ in $(seq 100); do
	before=$(cat "$RUN/talk.json")
	[ "$(jq .tcp.lines <<< "$before")" -gt 100 ] && [ "$(jq .udp.last_got <<< "$before")" -gt 100 ] && break
	sleep 0.1
done
[ "$(jq .tcp.lines <<< "$before")" -gt 100 ] && [ "$(jq .udp.last_got <<< "$before")" -gt 100 ] ||
	fail "the guest's flows do not run after 10 s: $before; host A drops: guard $(nft_counter "$LAB_HV" guard_drop), invalid $(nft_counter "$LAB_HV" invalid_drop), new $(nft_counter "$LAB_HV" new_in_drop); mig-talk: $(tail -c 300 "$RUN/src.serial" | tr -d '\r' | tr '\n' ' ')"
ct_a=$(ip netns exec "$LAB_HV" conntrack -L -d "$LAB_CLI_IP" 2>/dev/null | grep -c "$LAB_GUEST_IP" || true)
tx_a=$(nft_counter "$LAB_HV" "${CTR}_tx")
[ "$tx_a" -gt 0 ] || fail "host A has no counter ${CTR}_tx (snooping made none?)"
log "before: $ct_a conntrack entries, ${CTR}_tx=$tx_a at A; tcp lines $(jq .tcp.lines <<< "$before"), udp replies got $(jq .udp.last_got <<< "$before")"

ct_of() {
	ip netns exec "$1" conntrack -L -s "$2" 2>/dev/null | grep -c . || true
}

# --- the migration A -> B ----------------------------------------------------------
if [ "$CASE" = faults ]; then
	kill -TERM "$(cat "$RUN/fw-b.bgpid")"
	log "fw-b's agent stopped before the migration"
fi
uri=tcp:$LAB_MIG_DST_IP:4444
start_guest dst "$LAB_TAP_DST" -incoming "$uri"
qmp src migrate-set-parameters \
	"{\"handoff-manager\": \"$LAB_MIG_SRC_IP:7790\", \"handoff-key\": \"handoff-key\"}" > /dev/null ||
	fail "migrate-set-parameters handoff-manager refused"
qmp src migrate "{\"uri\": \"$uri\"}" > /dev/null || fail "migrate refused"
status=$(wait_migration src 300)
[ "$status" = completed ] || fail "migration ended '$status'"
downtime=$(jq -r '.downtime // 0' "$RUN/src.migrate.json")
if [ "$CASE" = none ] || [ "$CASE" = faults ]; then
	# without state migration the route still moves (as a gratuitous ARP
	# or a routing announcement would move it)
	ip -n "$LAB_CLI" route replace "$LAB_GUEST_IP/32" via "$LAB_UP_DST_IP"
fi
for _ in $(seq 50); do
	ip -n "$LAB_CLI" route get "$LAB_GUEST_IP" | grep "via $LAB_UP_DST_IP" > /dev/null && break
	sleep 0.1
done
ip -n "$LAB_CLI" route get "$LAB_GUEST_IP" | grep "via $LAB_UP_DST_IP" > /dev/null ||
	fail "the client's route did not move to B (the destination agent did not announce the VM)"
mid=$(cat "$RUN/talk.json")
sleep 4
stop_guest src
after=$(cat "$RUN/talk.json")
g_drop=$(nft_counter "$LAB_DST" guard_drop)
i_drop=$(nft_counter "$LAB_DST" invalid_drop)
n_drop=$(nft_counter "$LAB_DST" new_in_drop)
tx_b=$(nft_counter "$LAB_DST" "${CTR}_tx")
tcp_new=$(( $(jq .tcp.last_seq <<< "$after") - $(jq .tcp.last_seq <<< "$mid") ))
got_new=$(( $(jq .udp.last_got <<< "$after") - $(jq .udp.last_got <<< "$mid") ))
gap=$(jq .tcp.max_gap_ms <<< "$after")
log "migration: downtime $downtime ms; after: tcp +$tcp_new lines (closed $(jq .tcp.closed <<< "$after"), longest gap $gap ms), guest got +$got_new udp replies"
log "host B firewall: guard_drop $g_drop, invalid_drop $i_drop, new_in_drop $n_drop; ${CTR}_tx A $tx_a -> B $tx_b"
migctl --json show guest0 > "$RUN/show.json" || fail "migctl show failed"
jq -c '.netstate[]? | {phase, result, mode, entries, created, updated, bindings, counters, bytes, ms, error}' \
	"$RUN/show.json" | while read -r l; do log "  $l"; done

others_a=$(ct_of "$LAB_HV" "$OTHER_IP")
others_b=$(ct_of "$LAB_DST" "$OTHER_IP")
log "the other VM's $OTHERS entries: $others_a at A, $others_b at B"
us_of() { [ -n "$1" ] && [ "$1" != null ] && date -d "$1" +%s%6N || echo 0; }
s2r=$(( ($(us_of "$(jq -r .times.activated "$RUN/show.json")") - \
	$(us_of "$(jq -r .times.suspended "$RUN/show.json")")) / 1000 ))
if [ -n "${NETSTATE_RESULT:-}" ]; then
	jq -n --arg case "$CASE" --argjson entries "${NETSTATE_ENTRIES:-0}" \
		--argjson downtime "$downtime" --argjson s2r "$s2r" --argjson gap "$gap" \
		--argjson total "$(jq -r '.["total-time"] // 0' "$RUN/src.migrate.json")" \
		--slurpfile show "$RUN/show.json" \
		'{case: $case, entries: $entries, downtime_ms: $downtime, total_ms: $total,
		  stop_to_resume_ms: $s2r, tcp_gap_ms: $gap, phases: ($show[0].netstate // [])}' \
		> "$NETSTATE_RESULT"
fi
[ "$others_a" -ge "$OTHERS" ] || fail "the other VM's entries left A ($others_a of $OTHERS there)"
[ "$others_b" = 0 ] || fail "$others_b entries of the other VM were moved to B"
if [ "$CASE" = full ]; then
	jq -e '[.netstate[] | select(.phase == "precopy" and .result == "failed" and .failed >= 280
		and (.error | test("refused")))] | length == 1' "$RUN/show.json" > /dev/null ||
		fail "the manager does not say that the destination refused entries: $(jq -c .netstate "$RUN/show.json")"
	grep -q 'over max-entries 20 refused' "$RUN/fw-b.log" || fail "fw-b's agent did not log the refused entries"
	log "PASS: full: the migration completed; the manager reports: $(jq -r '[.netstate[] | "\(.phase) \(.result): \(.error)"] | join("; ")' "$RUN/show.json")"
	exit 0
fi
if [ "$CASE" = faults ]; then
	jq -e '[.netstate[] | select(.phase == "suspend" and .result == "failed" and (.error | test("fw-b")))] | length == 1' \
		"$RUN/show.json" > /dev/null || fail "the manager does not say that the state did not reach fw-b: $(jq -c .netstate "$RUN/show.json")"
	curl_m=$(migctl status)
	grep -Eq 'failures [1-9]' <<< "$curl_m" || fail "migctl status counts no failed transfer: $curl_m"
	has_binding "$LAB_HV" || fail "A's state was deleted although it never reached B"
	log "PASS: faults: forged sessions refused; with fw-b's agent down the migration completed and the manager reports: $(jq -r '[.netstate[] | "\(.phase) \(.result): \(.error)"] | join("; ")' "$RUN/show.json")"
	exit 0
fi
if [ "$CASE" = none ]; then
	[ $((g_drop + i_drop + n_drop)) -gt 0 ] ||
		fail "without state migration host B dropped nothing: the test would not show a difference"
	[ "$got_new" -le 5 ] || fail "without state migration the guest still got $got_new replies"
	log "PASS: without state migration B's firewall dropped the VM's flows (guard $g_drop, invalid $i_drop, new $n_drop)"
	exit 0
fi
[ "$(jq .tcp.closed <<< "$after")" = false ] || fail "the guest's TCP connection was closed: $(jq -c .tcp <<< "$after")"
[ "$tcp_new" -gt 120 ] || fail "the guest's TCP stream stalled after the move (+$tcp_new lines in 4 s)"
[ "$gap" -le $((downtime + 1500)) ] ||
	fail "a TCP gap of $gap ms (downtime $downtime ms + 1.5 s allowed)"
[ "$g_drop" = 0 ] && [ "$i_drop" = 0 ] && [ "$n_drop" = 0 ] ||
	fail "host B's firewall dropped: guard $g_drop, invalid $i_drop, new $n_drop"
[ "$got_new" -gt 120 ] || fail "UDP replies stopped reaching the guest (+$got_new in 4 s)"
[ "$tx_b" -ge "$tx_a" ] || fail "B's ${CTR}_tx ($tx_b) did not continue from A's ($tx_a)"
[ "$(grep -c DHCPREQUEST "$RUN/dnsmasq.log" || true)" -le 1 ] || fail "the guest renewed its lease"
jq -e '[.netstate[] | select(.phase == "suspend" and .result == "ok")] | length == 1' "$RUN/show.json" > /dev/null ||
	fail "the manager reports no successful suspend phase: $(jq -c .netstate "$RUN/show.json")"
jq -e '[.netstate[] | select(.phase == "activate" and .result == "ok" and .deleted >= 1)] | length == 1' \
	"$RUN/show.json" > /dev/null || fail "the manager reports no activate phase that deleted A's state"
has_binding "$LAB_HV" && fail "host A still holds the guest's binding after the move"
[ "$(nft_counter "$LAB_HV" "${CTR}_tx")" = -1 ] || fail "host A still holds the guest's counters"
log "PASS: $CASE: state moved; 0 drops at B, TCP gap $gap ms, UDP replies go on, counters $tx_a -> $tx_b"
