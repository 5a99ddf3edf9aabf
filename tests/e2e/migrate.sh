#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# migrate.sh - live migration in the lab under a sequenced UDP stream
#
# Source and destination QEMU on one bridge, client streaming 1000
# datagrams/s to the guest. Asserts: the migration completes, the guest
# runs on the destination and its sink answers there (the stream's final
# statistics come from the migrated guest), the guest never counts more than was sent. Loss is
# reported, not asserted: this is stock QEMU behaviour.

set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=migrate
. "$TOP/tests/e2e/lib.sh"

e2e_start migr "$0" "$@"

start_guest src "$LAB_TAP_SRC"
wait_ready src
migrate_with_stream "${PPS:-1000}" "${STREAM_SECONDS:-60}"
print_result "$RUN/result.json" | sed "s/^/[$TEST_NAME] /" >&2

R=$RUN/result.json
[ "$(json_get "$R" .destination.status)" = running ] || fail "guest not running on the destination"
sent=$(json_get "$R" .stream.sent)
got=$(json_get "$R" .stream.guest_received)
lost=$(json_get "$R" .stream.guest_lost)
[ "$sent" -gt 0 ] || fail "the client sent nothing"
[ "$got" -gt 0 ] || fail "the guest received nothing"
[ "$got" -le "$sent" ] || fail "received more unique datagrams ($got) than sent ($sent)"
[ "$(json_get "$R" .stream.guest_unique)" -le "$sent" ] ||
	fail "the guest counted more unique datagrams than were sent"
lost=$((sent - $(json_get "$R" .stream.guest_unique)))
[ "$(json_get "$R" '.migration | has("bandwidth-governor")')" = false ] ||
	fail "policy none must report no bandwidth-governor block (stock behaviour)"
[ "$(json_get "$R" '[.events[] | select(.event == "MIGRATION_GOVERNOR_ROUND")] | length')" -eq 0 ] ||
	fail "policy none must send no MIGRATION_GOVERNOR_ROUND event"
downtime=$(json_get "$R" .migration.downtime)
[ "$downtime" -ge 0 ] || fail "no downtime reported"
log "PASS: migrated ($ACCEL), downtime $downtime ms, UDP lost $lost of $sent (stock QEMU: loss expected)"
