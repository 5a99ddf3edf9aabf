#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# provision.sh - the VM's network is provisioned at the destination before
# it moves (seed 002, docs/provisioning.md): its ACL, its rate limits and
# its tenant channel, read from host A by A's mig-agent, applied and
# probed at host B by B's, then the migration, then A's copy removed.
#
# Lab: scripts/lab with LAB_TENANT=1: the guest's segment is the tenant's
# VXLAN segment (VNI 100) whose router and client (10.99.0.2) sit in the
# client namespace; a host reaches it only through a tenant channel
# (mvx100 on its br0). Host A has the guest's policy, written as an
# operator's tooling would (docs/provisioning.md §2): chain vm_guest0 of
# table bridge mig_policy (UDP 7777 accepted and counted, UDP 7779
# dropped and counted), HTB classes of 2 Mbit/s towards the guest (on
# tap-src) and from it (on mvx100), and the channel mvx100.
#
#   provision.sh           every case below, each in a fresh lab
#   provision.sh CASE      one case:
#     full    migctl prepare guest0 --to host-b, then the migration with
#             the handoff; asserts: B has the policy and the channel
#             before the migration starts; 0 datagrams of the allowed
#             flow lost across it; the blocked port stays blocked at B (0
#             answers, B's drop rule counts them); the rate at B is
#             within 10% of the limit; the tenant reaches the guest over
#             B's channel; A has none of the VM's rules, classes or
#             channel left
#     none    the same migration without provisioning: the guest is
#             unreachable at B (the test shows the difference)
#     refuse  forged policy-apply messages (a wrong key, host A's key, an
#             unknown ticket) are refused; the destination refuses (a
#             conflicting chain at B; the
#             channel's probe fails; B's agent is down; the migration
#             channel is too small): each time migctl prepare exits with
#             its status (4 refused, 5 unreachable) and says why, B has
#             nothing of the VM, the guest still runs on A with its
#             policy; then a migration cancelled after provisioning:
#             migctl abort cleans B, A keeps everything
#
# PROVISION_RULES=N adds N rules to the VM's chain at A, PROVISION_RESULT=
# FILE writes the prepare time and the downtime there (scripts/bench-
# provision).

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-provision}
GUEST_MEM=${GUEST_MEM:-128}
. "$TOP/tests/e2e/lib.sh"

e2e_cases "${PROVISION_CASES:-full none refuse}" \
	"provisioning put the policy and the channel in place first; without it the guest was unreachable; refusals left nothing behind" "$0" "$@"
CASE=${1:?case}
case "$CASE" in full|none|refuse) ;; *) fail "unknown case '$CASE'" ;; esac
export LAB_TENANT=1
TEST_NAME=provision-$CASE
e2e_start "pv$CASE" "$0" "$@"
need_files "$BUILD/bin/mig-agent"
for c in nft tc bridge jq; do
	command -v "$c" >/dev/null || fail "'$c' not found (scripts/debian-packages)"
done
trap 'capture_stop; stop_guest src; stop_guest dst; stop_manager; stop_bg' EXIT

VM=guest0
RATE=2Mbit
RATE_BPS=2000000
# the VM's HTB class: 1:(0x100 + FNV-1a-32(name) % 0xfe00) (docs/provisioning.md §2)
fnv1a() {
	local s=$1 h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	echo "$h"
}
MINOR=$(printf '%x' $((0x100 + $(fnv1a "$VM") % 0xfe00)))

# --- the manager and the agents ---------------------------------------------------
start_host_agents agent-a agent-b

# --- the guest's policy at host A, as the operator wrote it ---------------------------
ip netns exec "$LAB_HV" nft -f - <<EOF || fail "cannot write A's ACL"
table bridge mig_policy {
	chain vm_$VM {
		ether daddr $GUEST_MAC udp dport 7777 counter accept
		ether daddr $GUEST_MAC udp dport 7779 counter drop
	}
	chain forward {
		type filter hook forward priority 0; policy accept;
		jump vm_$VM comment "mig-vm $VM"
	}
}
EOF
# PROVISION_RULES more rules in the VM's chain (the benchmark)
if [ "${PROVISION_RULES:-0}" -gt 0 ]; then
	for i in $(seq "$PROVISION_RULES"); do
		echo "add rule bridge mig_policy vm_$VM ether daddr $GUEST_MAC tcp dport $((20000 + i)) counter accept"
	done | ip netns exec "$LAB_HV" nft -f - || fail "cannot add $PROVISION_RULES rules at A"
fi
ip -n "$LAB_HV" link add mvx100 type vxlan id 100 remote "$LAB_VTEP_IP" dstport 4789 ||
	fail "cannot create A's tenant channel"
ip -n "$LAB_HV" link set mvx100 alias "mig vms=$VM probe=$LAB_CLI_IP"
ip -n "$LAB_HV" link set mvx100 master br0 up
# shape_vm NS DEV DIR-MATCH - the VM's HTB class on DEV
shape_vm() {
	local ns=$1 dev=$2 match=$3
	tc -n "$ns" qdisc replace dev "$dev" root handle 1: htb
	tc -n "$ns" class add dev "$dev" parent 1: classid "1:$MINOR" htb rate "$RATE" ceil "$RATE"
	tc -n "$ns" filter add dev "$dev" parent 1: protocol all pref "$((0x$MINOR))" u32 \
		match ether "$match" "$GUEST_MAC" flowid "1:$MINOR"
}
shape_vm "$LAB_HV" "$LAB_TAP_SRC" dst || fail "cannot shape $LAB_TAP_SRC"
shape_vm "$LAB_HV" mvx100 src || fail "cannot shape mvx100"

# rule_packets NS PORT - packets counted by the VM's rule for UDP PORT (or -1)
rule_packets() {
	ip netns exec "$1" nft -j list chain bridge mig_policy "vm_$VM" 2>/dev/null |
		jq -r --argjson p "$2" '[.nftables[] | select(.rule) | .rule |
			select([.expr[] | select(.match.right == $p)] | length > 0) |
			.expr[] | select(.counter) | .counter.packets][0] // -1' 2>/dev/null || echo -1
}
# has_vm NS - anything of the VM on host NS (prints what)
has_vm() {
	local ns=$1 what=
	ip netns exec "$ns" nft list chain bridge mig_policy "vm_$VM" > /dev/null 2>&1 && what+="chain "
	ip netns exec "$ns" nft list ruleset 2>/dev/null | grep "mig-vm $VM" > /dev/null && what+="jump "
	ip -n "$ns" link show mvx100 > /dev/null 2>&1 && what+="mvx100 "
	tc -n "$ns" class show dev "$2" 2>/dev/null | grep "1:$MINOR " > /dev/null && what+="class "
	echo "$what"
	[ -n "$what" ]
}
# probe_port PORT N - N datagrams to the guest's UDP PORT; prints answers
probe_port() {
	local rc=0
	ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP:$1" -r 100 -t "$(($2 / 100))" \
		--json > "$RUN/probe$1.json" 2> "$RUN/probe$1.err" || rc=$?
	if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then
		jq -r .echo_received "$RUN/probe$1.json" 2>/dev/null || echo 0
	else
		fail "mig-stream to port $1 exited $rc: $(cat "$RUN/probe$1.err")"
	fi
}

# --- the guest on host A -------------------------------------------------------------
GUEST_APPEND="mig.bsink=1" start_guest src "$LAB_TAP_SRC"
wait_ready src
ok_a=$(probe_port 7777 200)
blk_a=$(probe_port 7779 200)
[ "$ok_a" -ge 190 ] || fail "the tenant does not reach the guest at A (answers $ok_a of 200 on 7777)"
[ "$blk_a" = 0 ] || fail "A's ACL lets port 7779 through ($blk_a answers)"
log "at A: port 7777 answered $ok_a of 200, port 7779 $blk_a (A's drop rule counted $(rule_packets "$LAB_HV" 7779))"
migctl register "$VM" --uuid "$GUEST_UUID" --mac "$GUEST_MAC" --src-host host-a > /dev/null ||
	fail "migctl register failed"

# prepare_expect STATUS WHAT - migctl prepare must exit STATUS naming WHAT
prepare_expect() {
	local want=$1 what=$2 rc=0 left
	shift 2
	migctl prepare "$VM" --to host-b --port "$LAB_TAP_DST" --src-port "$LAB_TAP_SRC" "$@" \
		> "$RUN/prepare.out" 2>&1 || rc=$?
	[ "$rc" = "$want" ] || fail "migctl prepare exited $rc, expected $want: $(cat "$RUN/prepare.out")"
	grep -qi "$what" "$RUN/prepare.out" || fail "migctl prepare does not say '$what': $(cat "$RUN/prepare.out")"
	log "refused as expected (status $rc): $(tr '\n' ' ' < "$RUN/prepare.out")"
}
a_intact() {
	has_vm "$LAB_HV" "$LAB_TAP_SRC" > "$RUN/a.has" || true
	[ "$(cat "$RUN/a.has")" = "chain jump mvx100 class " ] ||
		fail "A's policy changed: it has '$(cat "$RUN/a.has")'"
}
b_clean() {
	local left
	if left=$(has_vm "$LAB_DST" "$LAB_TAP_DST"); then
		fail "B keeps the VM's $left after $1"
	fi
}

if [ "$CASE" = refuse ]; then
	# 0. forged VM migration messages: a wrong key, host A's key, an unknown
	# ticket (the right key's hello is the probe's own check)
	command -v gnutls-cli > /dev/null || fail "gnutls-cli not found (package gnutls-bin, scripts/debian-packages)"
	hexkey() { od -An -tx1 -v "$1" | tr -d ' \n'; }
	forged='{"op":"policy-apply","vm":"'$VM'","macs":["'$GUEST_MAC'"],"policy":{"vm":"'$VM'","acl":[{"expr":[{"accept":null}]}],"rate":{"in":null,"out":null},"segment":null}}'
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" manager "$(hexkey "$RUN/agent-b.key")" ||
		fail "agent-b refused the manager's own key (the probe itself is broken): $(tail -3 "$RUN/psk.out")"
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" manager "$(head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" \
		"$forged" && fail "agent-b took a policy-apply under a wrong key"
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" manager "$(hexkey "$RUN/agent-a.key")" "$forged" &&
		fail "agent-b took a policy-apply under host A's key"
	psk_try "$LAB_HV" "$LAB_MIG_DST_IP" ticket:forged "$(hexkey "$RUN/agent-b.key")" "$forged" &&
		fail "agent-b took a policy-apply under an unknown ticket"
	b_clean "forged policy-apply messages"
	log "forged policy-apply (wrong key, host A's key, unknown ticket) refused; B has nothing of the VM"
	# 1. a conflicting chain at B
	ip netns exec "$LAB_DST" nft -f - <<-EOF
	table bridge mig_policy {
		chain vm_$VM {
			udp dport 9 drop
		}
	}
	EOF
	prepare_expect 4 conflict
	ip netns exec "$LAB_DST" nft list chain bridge mig_policy "vm_$VM" | grep "dport 9 drop" > /dev/null ||
		fail "B's own conflicting chain was changed"
	ip -n "$LAB_DST" link show mvx100 > /dev/null 2>&1 && fail "B created mvx100 although it refused"
	ip netns exec "$LAB_DST" nft delete table bridge mig_policy
	# 2. the channel's probe fails (the tenant's router does not reach B)
	ip -n "$LAB_CLI" link set ulb down
	prepare_expect 4 probe
	b_clean "a failed probe"
	ip -n "$LAB_CLI" link set ulb up
	# 3. B's agent is down
	kill -TERM "$(cat "$RUN/agent-b.bgpid")"
	sleep 0.3
	prepare_expect 5 "agent-b"
	b_clean "its agent was down"
	start_agent "$LAB_DST" agent-b "$LAB_MIG_DST_IP"
	# 4. the migration channel is smaller than asked
	tc -n "$LAB_DST" qdisc add dev mig0 root tbf rate 100mbit burst 64kb latency 50ms
	prepare_expect 4 "mig0" --min-bandwidth 50M
	b_clean "a too small channel"
	tc -n "$LAB_DST" qdisc del dev mig0 root
	a_intact
	[ "$(probe_port 7777 100)" -ge 95 ] || fail "the guest does not answer at A after the refusals"
	# 5. provisioned, then the migration is cancelled
	migctl prepare "$VM" --to host-b --port "$LAB_TAP_DST" --src-port "$LAB_TAP_SRC" > "$RUN/prepare.out" 2>&1 ||
		fail "migctl prepare failed: $(cat "$RUN/prepare.out")"
	has_vm "$LAB_DST" "$LAB_TAP_DST" > "$RUN/b.has" || fail "prepare left nothing at B"
	log "prepared: $(cat "$RUN/prepare.out"); B has: $(cat "$RUN/b.has")"
	uri=tcp:$LAB_MIG_DST_IP:4444
	start_guest dst "$LAB_TAP_DST" -incoming "$uri"
	qmp src migrate-set-parameters '{"max-bandwidth": 1048576}' > /dev/null
	qmp src migrate "{\"uri\": \"$uri\"}" > /dev/null || fail "migrate refused"
	sleep 2
	qmp src migrate_cancel > /dev/null
	status=$(wait_migration src 30)
	[ "$status" = cancelled ] || fail "the migration ended '$status', not cancelled"
	stop_guest dst
	rc=0
	migctl abort "$VM" > "$RUN/abort.out" 2>&1 || rc=$?
	[ $rc = 0 ] || fail "migctl abort exited $rc: $(cat "$RUN/abort.out")"
	b_clean "migctl abort"
	a_intact
	[ "$(probe_port 7777 100)" -ge 95 ] || fail "the guest does not answer at A after the cancelled migration"
	[ "$(probe_port 7779 100)" = 0 ] || fail "A's ACL no longer blocks 7779"
	migctl --json show "$VM" | jq -e '.provision.state == "aborted"' > /dev/null ||
		fail "migctl show does not say aborted: $(migctl --json show "$VM" | jq -c .provision)"
	log "PASS: refuse: forged messages refused; conflict, failed probe, agent down, small channel refused with their status; a cancelled migration was cleaned at B; A kept everything"
	exit 0
fi

# --- full: provision first ----------------------------------------------------------------
if [ "$CASE" = full ]; then
	t0=$(date +%s%N)
	migctl prepare "$VM" --to host-b --port "$LAB_TAP_DST" --src-port "$LAB_TAP_SRC" > "$RUN/prepare.out" 2>&1 ||
		fail "migctl prepare failed: $(cat "$RUN/prepare.out")"
	prepare_ms=$((($(date +%s%N) - t0) / 1000000))
	log "$(cat "$RUN/prepare.out") (in $prepare_ms ms)"
	has_vm "$LAB_DST" "$LAB_TAP_DST" > "$RUN/b.has" || true
	[ "$(cat "$RUN/b.has")" = "chain jump mvx100 class " ] ||
		fail "before the migration B has only '$(cat "$RUN/b.has")' of the VM's policy"
fi

# --- the migration A -> B, with the handoff and a stream to the allowed port ----------------
uri=tcp:$LAB_MIG_DST_IP:4444
GUEST_APPEND="mig.bsink=1" start_guest dst "$LAB_TAP_DST" -incoming "$uri"
qmp src migrate-set-parameters \
	"{\"handoff-manager\": \"$LAB_MIG_SRC_IP:7790\", \"handoff-key\": \"handoff-key\"}" > /dev/null ||
	fail "migrate-set-parameters handoff-manager refused"
ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -r 500 -t 60 --json \
	> "$RUN/stream.json" 2> "$RUN/stream.err" &
SPID=$!
sleep 1
qmp src migrate "{\"uri\": \"$uri\"}" > /dev/null || fail "migrate refused"
status=$(wait_migration src 300)
[ "$status" = completed ] || fail "migration ended '$status'"
downtime=$(jq -r '.downtime // 0' "$RUN/src.migrate.json")
sleep "${PROVISION_LINGER:-3}"
stop_guest src
kill -TERM "$SPID" 2>/dev/null || true
rc=0
wait "$SPID" || rc=$?
log "migration completed (downtime $downtime ms); stream: $(jq -c '{sent, guest_received, guest_lost, echo_received, stats_ok}' "$RUN/stream.json" 2>/dev/null)"
if [ -n "${PROVISION_RESULT:-}" ]; then
	jq -n --arg case "$CASE" --argjson rules "$((2 + ${PROVISION_RULES:-0}))" \
		--argjson prepare "${prepare_ms:-0}" --argjson downtime "$downtime" \
		--argjson total "$(jq -r '.["total-time"] // 0' "$RUN/src.migrate.json")" \
		'{case: $case, rules: $rules, prepare_ms: $prepare, downtime_ms: $downtime,
		  total_ms: $total}' > "$PROVISION_RESULT"
fi
if [ "$CASE" = none ]; then
	got=$(probe_port 7777 200)
	[ "$got" = 0 ] || fail "without provisioning the guest still answered $got datagrams at B: the test shows no difference"
	if left=$(has_vm "$LAB_DST" "$LAB_TAP_DST"); then fail "B has '$left' without provisioning"; fi
	log "PASS: none: without provisioning B has no channel for the tenant: 0 of 200 datagrams answered after the move (the stream: $(jq -r .echo_received "$RUN/stream.json" 2>/dev/null) of $(jq -r .sent "$RUN/stream.json" 2>/dev/null) answered, none after it)"
	exit 0
fi
[ $rc = 0 ] || fail "mig-stream exited $rc (guest unreachable after the move?): $(cat "$RUN/stream.err")"
[ "$(jq -r .stats_ok "$RUN/stream.json")" = true ] || fail "the guest did not answer the counters query at B"
lost=$(jq -r .guest_lost "$RUN/stream.json")
[ "$lost" = 0 ] || fail "$lost datagrams of the allowed flow lost across the migration"

# the manager committed on ACTIVATED: A's copy goes
for _ in $(seq 50); do
	migctl --json show "$VM" | jq -e '.provision.state == "committed"' > /dev/null && break
	sleep 0.1
done
migctl --json show "$VM" > "$RUN/show.json"
jq -e '.provision.state == "committed"' "$RUN/show.json" > /dev/null ||
	fail "provisioning not committed after the migration: $(jq -c .provision "$RUN/show.json")"
blk0=$(rule_packets "$LAB_DST" 7779)
blk_b=$(probe_port 7779 200)
blk1=$(rule_packets "$LAB_DST" 7779)
[ "$blk_b" = 0 ] || fail "port 7779 answered $blk_b datagrams at B: the ACL did not move"
[ $((blk1 - blk0)) -ge 200 ] || fail "B's drop rule counted $((blk1 - blk0)) of the 200 datagrams to 7779"
# the rate: 1000-byte datagrams (1042-byte frames) at 4 Mbit/s for 8 s;
# the echoes that arrive between 2 s and 7 s (HTB releases the queue at
# its rate)
ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -r 480 -t 8 -l 1000 --json \
	--timeline "$RUN/rate.timeline" > "$RUN/rate.json" 2> "$RUN/rate.err" || true
echoes=$(awk '!/^#/ && $2 + $3 >= 2000 && $2 + $3 < 7000 { n++ } END { print n + 0 }' "$RUN/rate.timeline")
bps=$((echoes * 1042 * 8 / 5))
log "at B: 7779 blocked (0 of 200, counted $((blk1 - blk0))); rate $bps bit/s for a limit of $RATE_BPS ($echoes echoes in 5 s; sent $(jq -r .sent "$RUN/rate.json"))"
[ "$bps" -ge $((RATE_BPS * 90 / 100)) ] && [ "$bps" -le $((RATE_BPS * 110 / 100)) ] ||
	fail "the rate at B is $bps bit/s, not within 10% of $RATE_BPS"
# the tenant reaches the guest over B's channel
bridge -n "$LAB_CLI" fdb show dev vx100 | grep -i "$GUEST_MAC" | grep "dst $LAB_UL_DST_IP" > /dev/null ||
	fail "the tenant's VXLAN does not reach the guest via B: $(bridge -n "$LAB_CLI" fdb show dev vx100 | grep -i "$GUEST_MAC")"
if left=$(has_vm "$LAB_HV" "$LAB_TAP_SRC"); then
	fail "A keeps the VM's $left after the migration"
fi
log "PASS: full: policy and channel at B before the move; 0 of $(jq -r .sent "$RUN/stream.json") lost; 7779 blocked at B; rate $bps bit/s (limit $RATE_BPS); tenant via B; A clean"
