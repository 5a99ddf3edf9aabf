/*
 * Minimal stand-in for QEMU's "qemu/osdep.h"
 *
 * Lets migration/bandwidth-governor.c from the QEMU tree be compiled
 * and unit tested outside QEMU.  It provides only what that file and
 * its tests use: the C standard headers that QEMU's osdep.h pulls in,
 * and glib, whose MIN/MAX/CLAMP stand in for QEMU's own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <glib.h>

#ifndef MIN
#define MIN(a, b) (((a) < (b)) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) (((a) > (b)) ? (a) : (b))
#endif

#endif
