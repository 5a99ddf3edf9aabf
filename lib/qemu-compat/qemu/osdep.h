/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qemu/osdep.h for the files the tools compile from the patched QEMU tree
 * (migration/handoff-wire.c): QEMU's first include, reduced to what those
 * files use (C library, sockets and GLib).
 */
#ifndef MIG_QEMU_COMPAT_OSDEP_H
#define MIG_QEMU_COMPAT_OSDEP_H

#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#endif
