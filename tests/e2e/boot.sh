#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# boot.sh - the test guest boots in the lab and answers on its network
#
# Asserts: the guest prints its ready marker, and a 200-datagram sequenced
# stream from the client namespace reaches the guest's sink without loss
# (nothing migrates here, so any loss is a lab or guest bug).

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=boot
. "$TOP/tests/e2e/lib.sh"

e2e_start boot "$0" "$@"

start_guest src "$LAB_TAP_SRC"
wait_ready src
ip netns exec "$LAB_CLI" "$MIG_STREAM" -d "$LAB_GUEST_IP" -r 200 -t 1 --json > "$RUN/stream.json" ||
	fail "no answer from the guest's sink: $(cat "$RUN/stream.json")"
sent=$(json_get "$RUN/stream.json" .sent)
got=$(json_get "$RUN/stream.json" .guest_received)
lost=$(json_get "$RUN/stream.json" .guest_lost)
log "stream: sent=$sent received=$got lost=$lost"
[ "$sent" -eq 200 ] || fail "expected 200 datagrams sent, got $sent"
[ "$got" -eq "$sent" ] && [ "$lost" -eq 0 ] || fail "datagrams lost without migration: sent=$sent received=$got lost=$lost"
log "PASS: guest booted ($ACCEL) and received $got/$sent datagrams"
