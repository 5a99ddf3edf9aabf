// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lab-util.c - shared helpers of the lab's network tools (see
 * lab-util.h).
 */
#include "lab-util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

void lab_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", g_get_prgname() ? g_get_prgname() : "lab");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

void lab_ipv4(const char *s, struct sockaddr_in *a)
{
	struct mig_addr m;

	if (!s || !addr_parse(s, &m) || m.ss.ss_family != AF_INET || !addr_port(&m))
		lab_die("'%s' is not IPV4:PORT", s ? s : "(none)");
	memcpy(a, &m.ss, sizeof(*a));
}
