#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# stock-stream.sh - with the new features off, the patched QEMU writes the
# same migration stream as stock QEMU, byte for byte
#
# Both binaries (build/bin/qemu-system-x86_64 and the unpatched
# build/bin/qemu-stock, built from the same source) save a paused guest
# (-S, RTC on the stopped VM clock, so that nothing varies between runs)
# with "migrate file:". Asserts: the two streams are identical, and a
# second run of the patched binary is identical too (the comparison can
# fail only on a real difference).

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=stock-stream
. "$TOP/tests/e2e/lib.sh"

STOCK=$BUILD/bin/qemu-stock
need_files "$QEMU" "$STOCK" "$MIG_QMP" "$GUEST_KERNEL" "$GUEST_INITRD"
RUN=$(run_dir)

# save BINARY OUT [EXTRA...] - migrate a paused guest to a file
save() {
	local bin=$1 out=$2 sock=$RUN/save.qmp pid status
	shift 2
	rm -f "$sock"
	"$bin" -S -machine pc -accel tcg -m 128 -display none -nodefaults -no-user-config \
		-rtc base=2020-01-01T00:00:00,clock=vm \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=$GUEST_MAC \
		-qmp "unix:$sock,server=on,wait=off" "$@" > "$out.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	"$MIG_QMP" "$sock" migrate "{\"uri\": \"file:$out\"}" >/dev/null || fail "migrate to file refused by $bin"
	for _ in $(seq 100); do
		status=$("$MIG_QMP" "$sock" query-migrate | jq -r .status)
		[ "$status" = completed ] || [ "$status" = failed ] && break
		sleep 0.1
	done
	"$MIG_QMP" "$sock" quit >/dev/null 2>&1 || true
	wait "$pid" || true
	[ "$status" = completed ] || fail "saving with $bin ended '$status'"
}

save "$STOCK" "$RUN/stock.bin"
save "$QEMU" "$RUN/patched.bin"
save "$QEMU" "$RUN/patched-none.bin" -global migration.bandwidth-policy=none
cmp "$RUN/patched.bin" "$RUN/patched-none.bin" ||
	fail "explicit bandwidth-policy=none changed the stream"
if ! cmp "$RUN/stock.bin" "$RUN/patched.bin"; then
	fail "the patched QEMU's stream differs from stock QEMU's ($(cmp -l "$RUN/stock.bin" "$RUN/patched.bin" | wc -l) bytes)"
fi
log "PASS: patched (features off) and stock QEMU wrote identical streams ($(stat -c %s "$RUN/stock.bin") bytes)"
