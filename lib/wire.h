/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire.h - the handoff wire format, as the tools see it.
 *
 * The implementation is QEMU's: include/migration/handoff-wire.h and
 * migration/handoff-wire.c of the patched QEMU tree (patch "migration:
 * Add the handoff protocol encoding and unit test"), compiled into
 * libmig as they are; docs/protocol.md describes it.  lib/handoff-crypto.c
 * provides the two hash functions it asks of its host program.
 */
#ifndef MIG_WIRE_H
#define MIG_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "migration/handoff-wire.h"

#endif /* MIG_WIRE_H */
