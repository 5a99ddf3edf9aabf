/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lab-util.h - what the lab's network tools (mig-peer, mig-forge) share:
 * the one way they fail, and IPv4 "A.B.C.D:PORT" arguments.
 */
#ifndef MIG_LAB_UTIL_H
#define MIG_LAB_UTIL_H

#include <netinet/in.h>

#include <glib.h>

/**
 * lab_die() - print "PROGRAM: MESSAGE" to stderr and exit 2.
 * @fmt: printf format of the message.
 */
void lab_die(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;

/**
 * lab_ipv4() - parse a numeric "A.B.C.D:PORT" (port 1..65535), or die.
 * @s: the text (NULL dies too).
 * @a: filled in.
 */
void lab_ipv4(const char *s, struct sockaddr_in *a);

#endif /* MIG_LAB_UTIL_H */
