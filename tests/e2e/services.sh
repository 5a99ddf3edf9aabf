#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# services.sh - the services' inventory and their DNS names follow the VM
# (docs/services.md), with the real daemons and without QEMU: mig-manager
# with inventory= and dns-server= pointing at a Knot DNS server the test
# starts (zone lab.test., TSIG key), migctl, and mig-peer playing the
# source and destination QEMUs (as in manager.sh), in a network namespace
# of its own (loopback only).
#
# Asserts:
#   - without an inventory the manager refuses the service commands with a
#     clear error, and a migration changes no name;
#   - service-add points each name at the VM's address (kdig);
#   - batch: after the migration (ACTIVATED, all frames delivered) the
#     three names of the VM answer its new address only, the inventory
#     rows (sqlite3) have it, migctl services says DNS current;
#   - single: with service-scope (what migctl migrate-service sets) only
#     that service's name and row change;
#   - a VM registered without --new-ip: nothing changes;
#   - the DNS server down during the migration: the migration completes,
#     migctl services says retrying with the number of tries, and when the
#     server is back the update lands (current, dns-updated, no more
#     retries);
#   - a wrong TSIG key: dns-auth-failed, the row failed with the TSIG
#     error, no retry, the name unchanged;
#   - IPv6: the AAAA record of a VM registered with IPv6 addresses.
# One PASS/FAIL line per assertion.

set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=${TEST_NAME:-services}
. "$TOP/tests/e2e/lib.sh"
MIG_PEER=$BUILD/bin/mig-peer
KNOTD=${KNOTD:-/usr/sbin/knotd}

# --- run inside a fresh network namespace ----------------------------------------
if [ -z "${SERVICES_E2E_NS:-}" ]; then
	need_files "$MIG_MANAGER" "$MIGCTL" "$MIG_PEER"
	for t in "$KNOTD" kdig keymgr sqlite3; do
		command -v "$t" > /dev/null ||
			fail "$t not found: install knot, knot-dnsutils and sqlite3 (make check installs scripts/debian-packages)"
	done
fi
in_own_netns SERVICES_E2E_NS svc-e2e "$@"

RUN=$(run_dir)
mctl() { "$MIGCTL" -s "$RUN/mgr.sock" "$@"; }
stj() { mctl --json status | jq -r "$1"; }
svcj() { mctl --json services "$1" | jq -r "$2"; }

# --- Knot DNS: zone lab.test., updates allowed with the TSIG key -------------------
DNS_PORT=5353
ZONE=lab.test.
keymgr -t mig-test hmac-sha256 > "$RUN/tsig.key" || fail "keymgr -t failed"
keymgr -t mig-test hmac-sha256 > "$RUN/wrong.key" # same name, another secret
knot_setup "$RUN/knot" 127.0.0.1 $DNS_PORT $ZONE "$RUN/tsig.key"
start_knot() { knot_start "$RUN/knot" 127.0.0.1 $DNS_PORT $ZONE; }
stop_knot() { knot_stop; }
# dig NAME [TYPE] - what the server answers, sorted, one line
dig() { kdig @127.0.0.1 -p $DNS_PORT +short +time=1 +retry=0 "$1" "${2:-A}" 2>/dev/null | sort | xargs; }
# wait_dig NAME TYPE WANT - until the server answers WANT (10 s)
wait_dig() {
	for _ in $(seq 100); do [ "$(dig "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
	eq "$(dig "$1" "$2")" "$3"
}
row() { sqlite3 "$RUN/inventory.db" "SELECT $2 FROM services WHERE id = '$1'"; }

# --- mig-manager -----------------------------------------------------------------
CTRL=127.0.0.1:7790
DATA=127.0.0.1:6081
head -c 32 /dev/urandom > "$RUN/master.key"
write_conf() { # write_conf FILE [EXTRA LINE...]
	local f=$1
	shift
	{
		printf '[manager]\ncontrol=%s\ndata=%s\nkey-file=%s\n' "$CTRL" "$DATA" "$RUN/master.key"
		printf 'socket=%s\nstats=\nstate-file=%s\nlinger-ms=200\n' "$RUN/mgr.sock" "$RUN/state.json"
		for l in "$@"; do echo "$l"; done
	} > "$f"
}
DNS_CONF=("inventory=$RUN/inventory.db" "dns-server=127.0.0.1:$DNS_PORT" "dns-zone=$ZONE"
	  "dns-ttl=30" "dns-timeout-ms=2000" "dns-retry-max-ms=1000")
write_conf "$RUN/plain.conf"
write_conf "$RUN/mgr.conf" "${DNS_CONF[@]}" "dns-key-file=$RUN/tsig.key"
MPID=
start_manager() { # start_manager CONF
	rm -f "$RUN/mgr.sock"
	"$MIG_MANAGER" -c "$1" -d >> "$RUN/mgr.log" 2>&1 &
	MPID=$!
	for _ in $(seq 50); do [ -S "$RUN/mgr.sock" ] && break; sleep 0.1; done
	[ -S "$RUN/mgr.sock" ] || fail "mig-manager did not start: $(tail -3 "$RUN/mgr.log")"
}
stop_manager() { kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null; MPID=; }
trap 'kill $MPID $KNOT_PID 2>/dev/null' EXIT
peer() { "$MIG_PEER" -m "$CTRL" -D "$DATA" "$@"; }
# migrate UUID KEY - one window: SUSPENDING and 50 frames from the source,
# ACTIVATED at the destination, which must get all 50 and DRAINED
migrate() {
	local r mid
	r=$(peer src -k "$2" -u "$1" -n 50 --end)
	mid=$(kv migration_id "$r")
	r=$(peer dst -k "$2" -u "$1" --migration-id "$mid" --host 127.0.0.2 -n 50 -t 5000)
	[ "$(kv frames "$r")/$(kv bad "$r")/$(kv drained "$r")" = 50/0/yes ] ||
		{ echo "[$TEST_NAME]   destination: $r" >&2; return 1; }
}
UA=11111111-0000-4000-8000-000000000a01
UB=11111111-0000-4000-8000-000000000a02
U6=11111111-0000-4000-8000-000000000a06
start_knot

# --- without the feature: no inventory, no name changes --------------------------
start_manager "$RUN/plain.conf"
mctl register vm-a --uuid $UA --mac 52:54:00:00:0a:01 --ip 10.96.1.20 --new-ip 10.96.2.20 > /dev/null
mctl services vm-a > /dev/null 2> "$RUN/err"
check "without inventory=: migctl services exits 1" eq $? 1
check "... saying the manager keeps no inventory" grep -q "keeps no inventory" "$RUN/err"
KA=$RUN/a.key
mctl key $UA --out "$KA"
check "without inventory=: the migration completes" migrate $UA "$KA"
check "... and no name was written" eq "$(dig web.lab.test.)" ""
stop_manager

# --- batch: the VM's three services follow it -------------------------------------
start_manager "$RUN/mgr.conf"
mctl register vm-a --uuid $UA --mac 52:54:00:00:0a:01 --ip 10.96.1.20 --new-ip 10.96.2.20 > /dev/null
mctl key $UA --out "$KA"
mctl service-add web --name web.lab.test. --vm vm-a > /dev/null
mctl service-add api --name api --vm vm-a > /dev/null
mctl service-add db --name db.lab.test. --vm vm-a > /dev/null
for n in web api db; do
	check "service-add $n: its name answers the VM's address" wait_dig $n.lab.test. A 10.96.1.20
done
check "migctl services: three rows, DNS current" \
	eq "$(svcj vm-a '[.[] | .dns] | join(" ")')" "current current current"
check "batch: the migration completes (50 of 50 frames, DRAINED)" migrate $UA "$KA"
for n in web api db; do
	check "batch: $n.lab.test. answers the new address only" wait_dig $n.lab.test. A 10.96.2.20
	check "batch: inventory row of $n has the new address" eq "$(row $n address)" 10.96.2.20
done
check "batch: migctl services says current for all" \
	eq "$(svcj vm-a '[.[] | .dns] | join(" ")')" "current current current"
check "batch: 3 services moved, 6 updates (3 adds, 3 moves)" \
	eq "$(stj '.counters["service-moved"]')/$(stj '.counters["dns-updated"]')" 3/6
mctl show vm-a > "$RUN/show.txt"
check "migctl show lists the VM's services" \
	eq "$(grep -c -e '^services: *api api -> 10.96.2.20 (live), DNS current' \
		-e '^ *web web.lab.test. -> 10.96.2.20 (live), DNS current' "$RUN/show.txt")" 2

# --- single: only the scoped service follows ----------------------------------------
mctl register vm-a --uuid $UA --mac 52:54:00:00:0a:01 --ip 10.96.2.20 --new-ip 10.96.1.20 > /dev/null
mctl service-scope vm-a --service api > /dev/null
check "single: the migration back completes" migrate $UA "$KA"
check "single: api.lab.test. answers the new address" wait_dig api.lab.test. A 10.96.1.20
sleep 1
check "single: web.lab.test. and db.lab.test. unchanged" \
	eq "$(dig web.lab.test.) $(dig db.lab.test.)" "10.96.2.20 10.96.2.20"
check "single: only api's row changed" \
	eq "$(row api address) $(row web address) $(row db address)" "10.96.1.20 10.96.2.20 10.96.2.20"

# --- a VM without --new-ip: the names stay ----------------------------------------
mctl register vm-b --uuid $UB --mac 52:54:00:00:0a:02 --ip 10.96.1.30 > /dev/null
KB=$RUN/b.key
mctl key $UB --out "$KB"
mctl service-add mail --name mail.lab.test. --vm vm-b > /dev/null
wait_dig mail.lab.test. A 10.96.1.30 > /dev/null
moved=$(stj '.counters["service-moved"]')
check "same address: the migration completes" migrate $UB "$KB"
sleep 1
check "same address: no service moved, the name unchanged" \
	eq "$(stj '.counters["service-moved"]') $(dig mail.lab.test.)" "$moved 10.96.1.30"

# --- the DNS server down during the migration ---------------------------------------
mctl register vm-a --uuid $UA --mac 52:54:00:00:0a:01 --ip 10.96.1.20 --new-ip 10.96.3.20 > /dev/null
retried=$(stj '.counters["dns-retried"]')
stop_knot
check "DNS down: the migration completes anyway" migrate $UA "$KA"
sleep 2
check "DNS down: the rows have the new address" eq "$(row web address)" 10.96.3.20
check "DNS down: migctl services says retrying, with tries" \
	eq "$(svcj vm-a '[.[] | select(.id == "web") | .dns, (.["dns-tries"] > 1)] | join(" ")')" \
	"retrying true"
check "DNS down: retries are counted" test "$(stj '.counters["dns-retried"]')" -gt "$retried"
start_knot
check "DNS back: web.lab.test. answers the new address" wait_dig web.lab.test. A 10.96.3.20
check "DNS back: db.lab.test. too" wait_dig db.lab.test. A 10.96.3.20
sleep 2
check "DNS back: migctl services says current" \
	eq "$(svcj vm-a '[.[] | .dns] | join(" ")')" "current current current"
retried=$(stj '.counters["dns-retried"]')
sleep 2.5
check "DNS back: no more retries" eq "$(stj '.counters["dns-retried"]')" "$retried"
stop_manager

# --- a wrong TSIG key: refused, counted, not retried ---------------------------------
write_conf "$RUN/wrong.conf" "${DNS_CONF[@]}" "dns-key-file=$RUN/wrong.key"
start_manager "$RUN/wrong.conf"
mctl register vm-a --uuid $UA --mac 52:54:00:00:0a:01 --ip 10.96.1.20 > /dev/null
mctl service-add ftp --name ftp.lab.test. --vm vm-a > /dev/null
for _ in $(seq 50); do [ "$(stj '.counters["dns-auth-failed"]')" = 1 ] && break; sleep 0.1; done
check "wrong key: dns-auth-failed counted once" eq "$(stj '.counters["dns-auth-failed"]')" 1
check "wrong key: the row says failed, with the TSIG error" \
	eq "$(row ftp dns) $(row ftp error | grep -c TSIG)" "failed 1"
sleep 2.5
check "wrong key: no retry storm (dns-retried 0, dns-auth-failed 1)" \
	eq "$(stj '.counters["dns-retried"]')/$(stj '.counters["dns-auth-failed"]')" 0/1
check "wrong key: the name was not written" eq "$(dig ftp.lab.test.)" ""
stop_manager

# --- IPv6: AAAA ----------------------------------------------------------------------
start_manager "$RUN/mgr.conf"
mctl register vm-6 --uuid $U6 --mac 52:54:00:00:0a:06 --ip fd00:96:1::20 --new-ip fd00:96:2::20 > /dev/null
K6=$RUN/6.key
mctl key $U6 --out "$K6"
mctl service-add web6 --name web6.lab.test. --vm vm-6 > /dev/null
check "IPv6: service-add writes the AAAA record" wait_dig web6.lab.test. AAAA fd00:96:1::20
check "IPv6: the migration completes" migrate $U6 "$K6"
check "IPv6: web6.lab.test. AAAA answers the new address" wait_dig web6.lab.test. AAAA fd00:96:2::20
check "IPv6: and there is no A record" eq "$(dig web6.lab.test. A)" ""
stop_manager
stop_knot

if [ $FAILS -ne 0 ]; then
	fail "$FAILS assertion(s) failed (logs in $RUN)"
fi
log "PASS: services and their DNS names follow the VM (batch, single, DNS down and back, wrong key, IPv6); without an inventory nothing changes"
