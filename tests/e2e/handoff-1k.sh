#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-1k.sh - handoff.sh at 1000 datagrams/s with the destination
# filter's no-reordering mode off (reorder=off) and a TCP stream: still
# nothing lost or duplicated, the reordering and the TCP stall reported.
TEST_NAME=handoff-1k PPS=1000 TCP_PROBE=1 HANDOFF_REORDER=off \
	exec "$(dirname "$0")/handoff.sh" "$@"
