# SPDX-License-Identifier: GPL-2.0-or-later
#
# lib.sh - shared helpers of the end-to-end tests and the demo (sourced)
#
# Expects: TOP (repository root). Uses: BUILD (default $TOP/build), ACCEL
# (kvm|tcg, decided by detect_accel when unset), LAB_* variables from
# scripts/lab when a lab is up.

BUILD=${BUILD:-$TOP/build}
QEMU=$BUILD/bin/qemu-system-x86_64
MIG_QMP=$BUILD/bin/mig-qmp
MIG_STREAM=$BUILD/bin/mig-stream
GUEST_KERNEL=$BUILD/guest/vmlinuz
GUEST_INITRD=$BUILD/guest/initramfs.img
GUEST_MAC=52:54:00:99:00:10
GUEST_MAC1=52:54:00:99:01:10 # the second NIC (LAB_NICS=2)
GUEST_UUID=6d1f3c52-9a1e-4b7a-8c55-2f0e4a9b7d10
MIG_MANAGER=$BUILD/bin/mig-manager
MIGCTL=$BUILD/bin/migctl
GUEST_MEM=${GUEST_MEM:-256}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}

# log MSG... - progress line on stderr, tagged with the test's name
log() {
	echo "[${TEST_NAME:-e2e}] $*" >&2
}

# fail MSG... - print the reason and exit non-zero
fail() {
	echo "[${TEST_NAME:-e2e}] FAIL: $*" >&2
	exit 1
}

# in_own_netns VAR PREFIX ARGS... - re-run the calling script in a new
# network namespace (loopback up, nothing else) with VAR set to its name,
# and exit with its status; inside it (VAR set) return at once
in_own_netns() {
	local var=$1 prefix=$2 ns
	shift 2
	[ -z "${!var:-}" ] || return 0
	[ "$(id -u)" = 0 ] || fail "needs root (network namespace)"
	ns=$prefix-$$
	ip netns add "$ns" || fail "cannot create network namespace $ns"
	trap "ip netns delete '$ns' 2>/dev/null" EXIT
	ip -n "$ns" link set lo up
	env "$var=$ns" ip netns exec "$ns" "$0" "$@"
	exit $?
}

# check DESCRIPTION COMMAND... - one PASS/FAIL line; failures counted in FAILS
FAILS=0
check() {
	local what=$1
	shift
	if "$@"; then
		echo "[$TEST_NAME] PASS: $what"
	else
		echo "[$TEST_NAME] FAIL: $what"
		FAILS=$((FAILS + 1))
	fi
}

# eq GOT WANT - true if equal, else say both
eq() { [ "$1" = "$2" ] || { echo "[$TEST_NAME]   got '$1', expected '$2'" >&2; return 1; }; }

# kv KEY LINE - the value of KEY=... in a line of key=value pairs (mig-peer)
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# run_dir - per-test scratch directory under build/run
run_dir() {
	local d=$BUILD/run/${TEST_NAME:-e2e}
	rm -rf "$d" && mkdir -p "$d" && echo "$d"
}

need_files() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || fail "$f is missing: run 'make' first"
	done
}

# wait_serial FILE MARKER SECONDS [PID] - wait for MARKER in a serial log
# (gives up early when process PID is gone)
wait_serial() {
	local file=$1 marker=$2 t=$(($3 * 10)) pid=${4:-}
	while [ $t -gt 0 ]; do
		grep -q "$marker" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -q "$marker" "$file" 2>/dev/null && return 0
			return 1
		fi
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# guest_args ACCEL NAME DIR [EXTRA...] - print the common QEMU arguments of
# the test guest, one per line (read them with mapfile): serial log
# DIR/NAME.serial, QMP sockets DIR/NAME.qmp (commands) and
# DIR/NAME.events.qmp (event listener), pid file DIR/NAME.pid.
# GUEST_APPEND adds to the kernel command line (e.g. mig.dirty=48:30);
# GUEST_IP_ARG replaces the address of mig.ip= (e.g. dhcp).
guest_args() {
	local accel=$1 name=$2 dir=$3
	shift 3
	printf '%s\n' -name "guest0,debug-threads=on" -machine pc -accel "$accel" \
		-m "$GUEST_MEM" -smp 1 -display none -vga none -no-user-config -nodefaults \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-append "console=ttyS0 panic=-1 quiet mig.ip=${GUEST_IP_ARG:-${LAB_GUEST_IP:-10.99.0.10}/${LAB_PREFIX:-24}}${LAB_GUEST_IP1:+ mig.ip1=$LAB_GUEST_IP1/24} ${GUEST_APPEND:-}" \
		-chardev "file,id=ser0,path=$dir/$name.serial" -serial chardev:ser0 \
		-qmp "unix:$dir/$name.qmp,server=on,wait=off" \
		-qmp "unix:$dir/$name.events.qmp,server=on,wait=off" \
		-pidfile "$dir/$name.pid" "$@"
}

# detect_accel - decide whether KVM really boots the test guest, else TCG.
# Prints "kvm" or "tcg"; the reason goes to stderr.
detect_accel() {
	if [ -n "${ACCEL:-}" ]; then
		log "accelerator: $ACCEL (from ACCEL)"
		echo "$ACCEL"
		return
	fi
	if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		log "accelerator: tcg (/dev/kvm not usable)"
		echo tcg
		return
	fi
	local d pid ok=no
	mkdir -p "$BUILD/run"
	d=$(mktemp -d "$BUILD/run/accel.XXXXXX")
	local args
	mapfile -t args < <(guest_args kvm probe "$d" -nic none)
	"$QEMU" "${args[@]}" > "$d/out" 2>&1 &
	pid=$!
	if wait_serial "$d/probe.serial" MIG-GUEST-READY "${KVM_PROBE_TIMEOUT:-10}" "$pid"; then
		ok=yes
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ $ok = yes ]; then
		log "accelerator: kvm (the guest booted to its ready marker under KVM)"
		echo kvm
	else
		log "accelerator: tcg (KVM did not boot the guest within ${KVM_PROBE_TIMEOUT:-10} s; last serial output: '$(tail -c 80 "$d/probe.serial" 2>/dev/null | tr -d '\r' | tr '\n' ' ')')"
		echo tcg
	fi
	rm -rf "$d"
}

# qmp NAME COMMAND [ARGS-JSON] - run a QMP command on DIR/NAME.qmp
qmp() {
	local name=$1
	shift
	"$MIG_QMP" -t 20 "$RUN/$name.qmp" "$@"
}

# start_guest NAME TAP [EXTRA...] - start a QEMU in the lab's hypervisor
# namespace (guest "dst": in the destination host's namespace of a
# two-host lab) with its virtio-net NIC on TAP
start_guest() {
	local name=$1 tap=$2 ns=$LAB_HV
	shift 2
	[ "$name" != dst ] || ns=${LAB_DST:-$LAB_HV}
	local args handoff=()
	mapfile -t args < <(guest_args "$ACCEL" "$name" "$RUN")
	# Both ends get the same handoff objects, as libvirt would give them
	# (the domain XML travels with the migration); only the source gets
	# the handoff-* parameters (migrate_with_stream).
	local nics=(-netdev "tap,id=net0,ifname=$tap,script=no,downscript=no,vhost=off"
		-device "virtio-net-pci,netdev=net0,mac=$GUEST_MAC")
	# LAB_NICS=2: a second NIC on the lab's second segment (tap "${tap}1")
	if [ "${LAB_NICS:-1}" = 2 ]; then
		nics+=(-netdev "tap,id=net1,ifname=${tap}1,script=no,downscript=no,vhost=off"
			-device "virtio-net-pci,netdev=net1,mac=$GUEST_MAC1")
	fi
	if [ "${HANDOFF:-0}" = 1 ]; then
		# HANDOFF_FIXED_PORTS=1: the filters' data sockets at known
		# ports (source 45001.., destination 46001..), for the attacks
		local i addr=() base=45001
		[ "$name" != dst ] || base=46001
		handoff=(-uuid "$GUEST_UUID"
			-object "secret,id=handoff-key,file=$RUN/handoff.key,format=raw")
		for i in $(seq 0 $((${LAB_NICS:-1} - 1))); do
			[ "${HANDOFF_FIXED_PORTS:-0}" != 1 ] || addr=(",addr=127.0.0.1:$((base + i))")
			handoff+=(-object "filter-migration-handoff,id=handoff$i,netdev=net$i,queue=tx,reorder=${HANDOFF_REORDER:-on}${addr[*]}")
		done
	fi
	ip netns exec "$ns" "$QEMU" "${args[@]}" "${nics[@]}" \
		"${handoff[@]}" "$@" > "$RUN/$name.log" 2>&1 &
	echo $! > "$RUN/$name.launcher"
	local t=100
	while [ $t -gt 0 ] && ! [ -S "$RUN/$name.qmp" ]; do
		kill -0 "$(cat "$RUN/$name.launcher")" 2>/dev/null ||
			fail "QEMU $name exited at start: $(tail -3 "$RUN/$name.log")"
		sleep 0.1
		t=$((t - 1))
	done
	[ -S "$RUN/$name.qmp" ] || fail "QEMU $name: no QMP socket after 10 s"
}

# reap PID - wait up to 5 s for PID to exit, then SIGKILL it
reap() {
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
}

# stop_guest NAME - quit a QEMU (QMP quit, then SIGKILL)
stop_guest() {
	local name=$1 pid
	pid=$(cat "$RUN/$name.launcher" 2>/dev/null) || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	qmp "$name" quit >/dev/null 2>&1 || true
	reap "$pid"
}

# start_manager - start mig-manager in the hypervisor namespace on
# 127.0.0.1 (control 7790, data 6081, metrics 9790; MANAGER_ADDR moves
# control and data to another local address) with a fresh random master
# key in $RUN/master.key, its state file $RUN/mig-manager.state.json and
# its control socket at $RUN/mig-manager.sock; writes the guest's VM key
# (migctl key) to $RUN/handoff.key, the file both QEMUs read; sets
# HANDOFF=1 so that start_guest adds the handoff objects. Extra config
# lines for [manager] come from MANAGER_CONF. A second call (a restart)
# keeps the master key and the state file.
start_manager() {
	need_files "$MIG_MANAGER" "$MIGCTL"
	[ -f "$RUN/master.key" ] || (umask 077; head -c 32 /dev/urandom > "$RUN/master.key")
	cat > "$RUN/mig-manager.conf" <<-CONF
	[manager]
	control=${MANAGER_ADDR:-127.0.0.1}:7790
	data=${MANAGER_ADDR:-127.0.0.1}:6081
	key-file=$RUN/master.key
	state-file=$RUN/mig-manager.state.json
	socket=$RUN/mig-manager.sock
	stats=127.0.0.1:9790
	${MANAGER_CONF:-}
	CONF
	ip netns exec "$LAB_HV" "$MIG_MANAGER" -c "$RUN/mig-manager.conf" -d \
		>> "$RUN/mig-manager.log" 2>&1 &
	echo $! > "$RUN/mig-manager.pid"
	local t=50
	while [ $t -gt 0 ] && ! [ -S "$RUN/mig-manager.sock" ]; do
		kill -0 "$(cat "$RUN/mig-manager.pid")" 2>/dev/null ||
			fail "mig-manager exited at start: $(tail -3 "$RUN/mig-manager.log")"
		sleep 0.1
		t=$((t - 1))
	done
	[ -S "$RUN/mig-manager.sock" ] || fail "mig-manager: no control socket after 5 s"
	migctl key "$GUEST_UUID" --out "$RUN/handoff.key" ||
		fail "migctl key $GUEST_UUID failed"
	HANDOFF=1
	log "mig-manager running (pid $(cat "$RUN/mig-manager.pid"), log $RUN/mig-manager.log)"
}

# stop_manager - SIGTERM mig-manager and wait for it (it logs what it still
# held)
stop_manager() {
	local pid
	pid=$(cat "$RUN/mig-manager.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	reap "$pid"
}

# capture_start NAME NS IFACE FILTER - tcpdump IFACE in namespace NS into
# $RUN/NAME.pcap (BPF FILTER); stopped by capture_stop or on exit
capture_start() {
	local name=$1 ns=$2 iface=$3 filter=$4 t=30
	command -v tcpdump >/dev/null || fail "tcpdump is not installed (scripts/debian-packages lists it)"
	ip netns exec "$ns" tcpdump -U -n -s 256 -i "$iface" -w "$RUN/$name.pcap" "$filter" \
		> "$RUN/$name.tcpdump.log" 2>&1 &
	echo $! > "$RUN/$name.tcpdump.pid"
	CAPTURES="${CAPTURES:-} $name"
	# tcpdump says "listening on" once the capture is armed
	while [ $t -gt 0 ] && ! grep -q 'listening on' "$RUN/$name.tcpdump.log"; do
		sleep 0.1
		t=$((t - 1))
	done
	grep -q 'listening on' "$RUN/$name.tcpdump.log" ||
		fail "tcpdump on $iface ($ns) did not start: $(cat "$RUN/$name.tcpdump.log")"
}

# capture_stop - stop every capture_start'ed tcpdump (flushes the files)
capture_stop() {
	local name pid
	for name in ${CAPTURES:-}; do
		pid=$(cat "$RUN/$name.tcpdump.pid" 2>/dev/null) || continue
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	CAPTURES=
}

# migctl ARGS... - the manager's CLI on this run's control socket
migctl() {
	"$MIGCTL" -s "$RUN/mig-manager.sock" "$@"
}

# wait_ready NAME - wait until the guest of NAME printed its ready marker
wait_ready() {
	local name=$1 t0=$SECONDS
	wait_serial "$RUN/$name.serial" MIG-GUEST-READY "$BOOT_TIMEOUT" "$(cat "$RUN/$name.launcher")" ||
		fail "guest $name not ready after $((SECONDS - t0)) s ($ACCEL); QEMU: $(tail -3 "$RUN/$name.log" | tr '\n' '|') serial: $(tail -5 "$RUN/$name.serial" 2>/dev/null | tr '\n' '|')"
	log "guest $name ready after $((SECONDS - t0)) s ($ACCEL): $(grep -m1 MIG-GUEST-READY "$RUN/$name.serial" | tr -d '\r')"
}

# e2e_start PREFIX "$0" "$@" - run the calling script inside a new lab
# (scripts/lab run PREFIX<pid>) unless a lab is up; then check the build
# products, make the scratch directory $RUN, decide $ACCEL and stop both
# guests on exit.
e2e_start() {
	local prefix=$1
	shift
	if [ -z "${LAB_NAME:-}" ]; then
		exec "$TOP/scripts/lab" run "$prefix$$" "$@"
	fi
	need_files "$QEMU" "$MIG_QMP" "$MIG_STREAM" "$GUEST_KERNEL" "$GUEST_INITRD"
	RUN=$(run_dir)
	ACCEL=$(detect_accel)
	trap 'capture_stop; stop_guest src; stop_guest dst; stop_manager' EXIT
}

# e2e_cases "CASES" PASS-MESSAGE "$0" "$@" - a test of several cases run
# without arguments outside a lab: run it once per case (each in a fresh
# lab), say PASS-MESSAGE and exit; with a case, or inside a lab, return
e2e_cases() {
	local cases=$1 msg=$2 self=$3 c
	shift 3
	if [ $# -eq 0 ] && [ -z "${LAB_NAME:-}" ]; then
		for c in $cases; do
			"$self" "$c" || exit 1
		done
		log "PASS: $msg"
		exit 0
	fi
}

# two_host_topology FILE DEVICE-A DEVICE-B [MODE] - the manager's topology
# file of a two-host lab: host-a ($LAB_MIG_SRC_IP) and host-b
# ($LAB_MIG_DST_IP), their devices' agents on port 7795 of the same
# addresses, and the transfer mode from A to B (default fetch)
two_host_topology() {
	cat > "$1" <<-EOF
	[host host-a]
	addresses = $LAB_MIG_SRC_IP
	device = $2
	[host host-b]
	addresses = $LAB_MIG_DST_IP
	device = $3
	[device $2]
	type = nftables
	agent = $LAB_MIG_SRC_IP:7795
	[device $3]
	type = nftables
	agent = $LAB_MIG_DST_IP:7795
	[transfer host-a host-b]
	mode = ${4:-fetch}
	EOF
}

# start_agent NS DEVICE ADDR [CONFIG-LINE...] - a mig-agent in namespace NS
# for topology device DEVICE, listening on ADDR:7795, with its key from the
# manager ($RUN/DEVICE.key), the CONFIG-LINEs added to its [agent] group;
# log $RUN/DEVICE.log, pid $RUN/DEVICE.bgpid (stop_bg stops it)
start_agent() {
	local ns=$1 dev=$2 addr=$3 line
	shift 3
	[ -f "$RUN/$dev.key" ] || migctl key --device "$dev" --out "$RUN/$dev.key" ||
		fail "migctl key --device $dev failed"
	{
		printf '[agent]\nname=%s\nlisten=%s:7795\nkey-file=%s\n' "$dev" "$addr" "$RUN/$dev.key"
		for line in "$@"; do
			[ -z "$line" ] || echo "$line"
		done
	} > "$RUN/$dev.conf"
	ip netns exec "$ns" "$BUILD/bin/mig-agent" -c "$RUN/$dev.conf" -d >> "$RUN/$dev.log" 2>&1 &
	echo $! > "$RUN/$dev.bgpid"
	for _ in $(seq 50); do
		ip netns exec "$ns" ss -ltn | grep "$addr:7795" > /dev/null && return 0
		kill -0 "$(cat "$RUN/$dev.bgpid")" 2>/dev/null ||
			fail "mig-agent $dev exited: $(tail -3 "$RUN/$dev.log")"
		sleep 0.1
	done
	fail "mig-agent $dev does not listen after 5 s"
}

# start_host_agents DEVICE-A DEVICE-B - the manager on host A with the
# two-host topology ($RUN/topology.conf, two_host_topology) and an agent
# on each host (start_agent, no extra configuration)
start_host_agents() {
	two_host_topology "$RUN/topology.conf" "$1" "$2"
	MANAGER_ADDR=$LAB_MIG_SRC_IP MANAGER_CONF="topology-file=$RUN/topology.conf" start_manager
	start_agent "$LAB_HV" "$1" "$LAB_MIG_SRC_IP"
	start_agent "$LAB_DST" "$2" "$LAB_MIG_DST_IP"
}

# psk_try NS ADDR IDENTITY KEY-HEX [REQUEST] - a TLS-PSK session to the
# agent at ADDR:7795 from namespace NS (gnutls-cli) that sends REQUEST
# (default a hello); 0 if the handshake succeeded and the agent answered
# ok (its answer in $RUN/psk.out)
psk_try() {
	echo "${5:-{\"op\": \"hello\"\}}" | timeout 5 ip netns exec "$1" gnutls-cli --logfile=/dev/null \
		--priority 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+DHE-PSK' \
		--pskusername "$3" --pskkey "$4" --port 7795 "${2}" > "$RUN/psk.out" 2>&1 &&
		grep '"ok": true' "$RUN/psk.out" > /dev/null
}

# stop_bg - SIGTERM every background helper whose pid is in $RUN/*.bgpid
stop_bg() {
	local f
	for f in "$RUN"/*.bgpid; do
		[ -e "$f" ] || continue
		kill -TERM "$(cat "$f")" 2>/dev/null || true
	done
}

# json_get FILE FILTER - jq helper with a clear failure
json_get() {
	jq -r "$2" "$1" 2>/dev/null || fail "cannot read '$2' from $1"
}

# wait_migration NAME SECONDS - poll query-migrate until the migration
# leaves the active states; writes $RUN/NAME.migrate.json, prints the status
wait_migration() {
	local name=$1 t=$(($2 * 5)) status
	while [ $t -gt 0 ]; do
		qmp "$name" query-migrate > "$RUN/$name.migrate.json" || fail "query-migrate failed"
		status=$(jq -r '.status // "none"' "$RUN/$name.migrate.json")
		case "$status" in
		completed|failed|cancelled) echo "$status"; return 0 ;;
		esac
		sleep 0.2
		t=$((t - 1))
	done
	echo timeout
}

# migrate_with_stream PPS SECONDS [PARAMETERS-JSON]
# (STREAM_TIMELINE=FILE: mig-stream --timeline FILE, one line per echo;
# HANDOFF_MANAGER: the source's handoff-manager, default 127.0.0.1:7790)
# The scenario of the migration tests and the demo: guest "src" on tap-src
# is ready; start "dst" on tap-dst with -incoming, stream sequenced UDP
# from the client namespace at PPS for at most SECONDS (it stops
# STREAM_AFTER=3 seconds after the migration), apply PARAMETERS-JSON with
# migrate-set-parameters on the source, live-migrate src -> dst two
# seconds in, and collect everything in $RUN/result.json:
#   {migration: <query-migrate of the source>, stream: <mig-stream --json>,
#    stream1: <the same for the second NIC (LAB_NICS=2), else null>,
#    destination: <query-status of dst>, events: [<QMP events of src>]}
migrate_with_stream() {
	local pps=$1 secs=$2 params=${3:-} uri status spid epid tpid
	uri=tcp:${LAB_MIG_DST_IP:-127.0.0.1}:4444
	start_guest dst "$LAB_TAP_DST" -incoming "$uri"
	qmp src migrate-set-capabilities '{"capabilities": [{"capability": "events", "state": true}]}' >/dev/null ||
		fail "cannot enable migration events"
	if [ -n "$params" ]; then
		qmp src migrate-set-parameters "$params" >/dev/null ||
			fail "migrate-set-parameters $params refused"
	fi
	if [ "${HANDOFF:-0}" = 1 ]; then
		qmp src migrate-set-parameters \
			"{\"handoff-manager\": \"${HANDOFF_MANAGER:-127.0.0.1:7790}\", \"handoff-key\": \"handoff-key\"}" >/dev/null ||
			fail "migrate-set-parameters handoff-manager refused (QEMU without the handoff patches?)"
	fi
	"$MIG_QMP" -t 600 "$RUN/src.events.qmp" --events > "$RUN/src.events.jsonl" 2>/dev/null &
	epid=$!
	# Resolve the guest's address and let the bridge learn where the guest
	# is before the stream starts: its first datagrams would otherwise wait
	# for ARP (and leave the client's queue out of order) or be flooded to
	# the waiting destination's tap too (and arrive twice)
	ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -s 1 --stats-only >/dev/null 2>&1 || true
	ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -r "$pps" -t "$secs" --json \
		${STREAM_TIMELINE:+--timeline "$STREAM_TIMELINE"} > "$RUN/stream.json" 2> "$RUN/stream.err" &
	spid=$!
	# LAB_NICS=2: the same stream to the second NIC (its own sink, 7778)
	local s1pid=
	if [ "${LAB_NICS:-1}" = 2 ]; then
		ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP1:7778" -s 1 --stats-only >/dev/null 2>&1 || true
		ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP1:7778" -r "$pps" -t "$secs" --json \
			> "$RUN/stream1.json" 2> "$RUN/stream1.err" &
		s1pid=$!
	else
		echo null > "$RUN/stream1.json"
	fi
	tpid=
	if [ "${TCP_PROBE:-0}" = 1 ]; then
		ip netns exec "$LAB_CLI" "$BUILD/bin/mig-tcpstall" -d "$LAB_GUEST_IP" -r "${TCP_RATE:-1000}" \
			-t "$secs" --json > "$RUN/tcp.json" 2> "$RUN/tcp.err" &
		tpid=$!
	fi
	sleep 2
	log "migrating src -> dst while the client sends $pps datagrams/s (until 3 s after the migration)"
	qmp src migrate "{\"uri\": \"$uri\"}" >/dev/null || fail "migrate command refused"
	status=$(wait_migration src 300)
	[ "$status" = completed ] || fail "migration ended in state '$status': $(cat "$RUN/src.migrate.json")"
	qmp dst query-status > "$RUN/dst.status.json" || fail "query-status on dst failed"
	kill "$epid" 2>/dev/null || true
	wait "$epid" 2>/dev/null || true
	# SRC_LINGER: seconds the source QEMU stays up after the migration
	sleep "${SRC_LINGER:-0}"
	# the source filter's counters, before the source goes
	if [ "${HANDOFF:-0}" = 1 ]; then
		filter_counters src > "$RUN/src-filter.json"
	else
		echo null > "$RUN/src-filter.json"
	fi
	stop_guest src
	# The stream ends STREAM_AFTER seconds after the migration (SIGTERM
	# makes mig-stream stop sending and collect the sink's counters), or
	# after SECONDS if that comes first.
	sleep "${STREAM_AFTER:-3}"
	kill -TERM "$spid" 2>/dev/null || true
	[ -z "$tpid" ] || kill -TERM "$tpid" 2>/dev/null || true
	[ -z "$s1pid" ] || kill -TERM "$s1pid" 2>/dev/null || true
	local rc=0
	wait "$spid" || rc=$?
	[ $rc -eq 0 ] || fail "mig-stream exited $rc (guest unreachable after migration?): $(cat "$RUN/stream.err")"
	if [ -n "$s1pid" ]; then
		wait "$s1pid" || rc=$?
		[ $rc -eq 0 ] || fail "mig-stream to the second NIC exited $rc: $(cat "$RUN/stream1.err")"
	fi
	if [ -n "$tpid" ]; then
		rc=0
		wait "$tpid" || rc=$?
		[ $rc -eq 0 ] || fail "mig-tcpstall exited $rc: $(cat "$RUN/tcp.err")"
	else
		echo null > "$RUN/tcp.json"
	fi
	jq -n --slurpfile m "$RUN/src.migrate.json" --slurpfile s "$RUN/stream.json" \
		--slurpfile d "$RUN/dst.status.json" --slurpfile e "$RUN/src.events.jsonl" \
		--slurpfile t "$RUN/tcp.json" --slurpfile s1 "$RUN/stream1.json" \
		'{migration: $m[0], stream: $s[0], stream1: $s1[0], tcp: $t[0], destination: $d[0], events: $e}' > "$RUN/result.json" ||
		fail "cannot assemble result.json"
}

# wait_status NAME STATUS SECONDS - poll query-migrate of QEMU NAME until
# it reports STATUS; fail if the migration ends otherwise or times out
wait_status() {
	local name=$1 want=$2 t=$(($3 * 10)) status=
	while [ $t -gt 0 ]; do
		status=$(qmp "$name" query-migrate | jq -r '.status // "none"')
		[ "$status" = "$want" ] && return 0
		case "$status" in completed|failed|cancelled)
			[ "$want" = "$status" ] || fail "migration of $name ended '$status', expected '$want'" ;;
		esac
		sleep 0.1
		t=$((t - 1))
	done
	fail "migration of $name: status '$status' after $3 s, expected '$want'"
}

# stream_start [SECONDS] - a sequenced stream at $PPS datagrams/s from the
# client namespace to the guest in the background (PID in $SPID, result
# in $RUN/stream.json); stream_stop ends it and checks that the guest
# answered and got no duplicate
stream_start() {
	ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -s 1 --stats-only >/dev/null 2>&1 || true
	ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -r "${PPS:-1000}" -t "${1:-300}" --json \
		> "$RUN/stream.json" 2> "$RUN/stream.err" &
	SPID=$!
}
stream_stop() {
	local rc=0
	kill -TERM "$SPID" 2>/dev/null || true
	wait "$SPID" || rc=$?
	[ $rc -eq 0 ] || fail "mig-stream exited $rc (guest unreachable?): $(cat "$RUN/stream.err")"
	[ "$(json_get "$RUN/stream.json" .stats_ok)" = true ] || fail "the guest did not answer the counters query"
	[ "$(json_get "$RUN/stream.json" .guest_dup)" -eq 0 ] || fail "the guest received duplicates"
}

# filter_counters NAME [ID] - the counters of handoff filter ID (default
# handoff0) of QEMU NAME as one JSON object
HANDOFF_COUNTERS="captured skipped capture-errors oversize injected reordered rejected-malformed
	rejected-vni rejected-window rejected-auth rejected-replay inject-dropped passed-to-next
	nic-busy held-direct hold-limit hold-dropped drain-timeouts drained-mismatch"
filter_counters() {
	local name=$1 id=${2:-handoff0} c v
	for c in $HANDOFF_COUNTERS; do
		v=$(qmp "$name" qom-get "{\"path\": \"$id\", \"property\": \"$c\"}" 2>/dev/null) || v=null
		echo "\"$c\": $v"
	done | paste -sd, | sed 's/^/{/; s/$/}/'
}

# print_result FILE - human summary of a result.json
print_result() {
	jq -r '
	  "migration  status=\(.migration.status) total=\(.migration["total-time"]) ms downtime=\(.migration.downtime) ms setup=\(.migration["setup-time"]) ms",
	  "           transferred=\(.migration.ram.transferred / 1048576 | floor) MiB rounds(dirty-sync-count)=\(.migration.ram["dirty-sync-count"]) mbps=\(.migration.ram.mbps | floor)",
	  "destination status=\(.destination.status)",
	  (if .migration["bandwidth-governor"] then
	     (.migration["bandwidth-governor"] as $g |
	      "governor   policy=\($g.policy) rounds=\($g.round)/\($g["max-rounds"]) end=\($g["precopy-end"]) target-factor=\($g["target-factor"] * 1000 | round / 1000) average-factor=\($g["average-factor"] * 1000 | round / 1000)")
	   else "governor   off (policy none: stock QEMU pre-copy)" end),
	  "udp stream sent=\(.stream.sent) received=\(.stream.guest_received) lost=\(.stream.guest_lost) duplicated=\(.stream.guest_dup) reordered=\(.stream.guest_reordered) longest-gap=\(.stream.guest_max_gap_ms) ms"
	' "$1"
}

# print_rounds FILE - the governor's rounds of a result.json as a table
print_rounds() {
	jq -r '
	  def mib: . / 1048576 * 10 | round / 10;
	  def f3: . * 1000 | round / 1000;
	  [.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND") | .data] |
	  if length == 0 then "  (no governor rounds)" else
	  (["round", "ms", "dirty MiB/s", "sent MiB/s", "factor", "average", "target", "limit MiB/s"] | @tsv),
	  (.[] | [.round, .duration, (.["dirty-rate"] | mib), (.["round-bandwidth"] | mib),
	          (.factor | f3), (.["average-factor"] | f3), (.["target-factor"] | f3),
	          "\(.["previous-limit"] | mib) -> \(.limit | mib)"] | @tsv)
	  end' "$1" | column -t -s "$(printf '\t')"
}

# knot_setup DIR ADDR PORT ZONE KEY-FILE - a Knot DNS server's files in DIR
# (knot.conf, the zone file with its SOA and NS, run/, db/): ZONE on
# ADDR@PORT, updates allowed with the TSIG key of KEY-FILE (keymgr -t)
knot_setup() {
	local dir=$1 addr=$2 port=$3 zone=$4 key=$5
	mkdir -p "$dir/run" "$dir/db"
	cat > "$dir/zone" <<-EOF
	\$TTL 300
	@ IN SOA ns.$zone hostmaster.$zone 1 3600 600 86400 300
	@ IN NS ns.$zone
	ns IN A $addr
	EOF
	{
		printf 'server:\n    rundir: "%s"\n    listen: %s@%s\n' "$dir/run" "$addr" "$port"
		printf '    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n'
		printf 'database:\n    storage: "%s"\n' "$dir/db"
		cat "$key"
		printf 'acl:\n  - id: update\n    key: %s\n    action: update\n' \
			"$(sed -n 's/^ *- id: //p' "$key" | head -1)"
		printf 'zone:\n  - domain: %s\n    storage: "%s"\n    file: zone\n' "$zone" "$dir"
		printf '    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: changes\n    acl: update\n'
		printf 'log:\n  - target: stderr\n    any: info\n'
	} > "$dir/knot.conf"
}

# knot_start DIR ADDR PORT ZONE [NS] - start the knotd of knot_setup DIR
# (in namespace NS if given) and wait until it answers ZONE's SOA; its
# pid in KNOT_PID, its log DIR.log
KNOT_PID=
knot_start() {
	local dir=$1 addr=$2 port=$3 zone=$4 ns=${5:-} pre=()
	[ -z "$ns" ] || pre=(ip netns exec "$ns")
	rm -f "$dir/run/knot.pid"
	"${pre[@]}" "${KNOTD:-/usr/sbin/knotd}" -c "$dir/knot.conf" >> "$dir.log" 2>&1 &
	KNOT_PID=$!
	for _ in $(seq 50); do
		"${pre[@]}" kdig @"$addr" -p "$port" +short +time=1 +retry=0 "$zone" SOA 2>/dev/null |
			grep -q hostmaster && return 0
		sleep 0.1
	done
	fail "knotd did not answer: $(tail -3 "$dir.log")"
}

# knot_stop - stop the knotd of knot_start
knot_stop() {
	[ -n "$KNOT_PID" ] && kill "$KNOT_PID" 2>/dev/null && wait "$KNOT_PID" 2>/dev/null
	KNOT_PID=
}
