#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# handoff-1k.sh - handoff.sh at 1000 datagrams/s with the destination
# filter's no-reordering mode off (reorder=off): still nothing lost or
# duplicated, and the reordering is reported.
TEST_NAME=handoff-1k PPS=1000 TCP_PROBE=0 HANDOFF_REORDER=off \
	exec "$(dirname "$0")/handoff.sh" "$@"
