// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * addr.c - parse, print and compare the manager's UDP socket addresses.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

static bool set_host(const char *host, uint16_t port, struct mig_addr *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
		return true;
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->len = sizeof(*sin6);
		return true;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

bool addr_parse_host(const char *text, struct mig_addr *out)
{
	g_autofree char *host = g_strdup(text);
	size_t n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		return set_host(host + 1, 0, out);
	}
	return set_host(host, 0, out);
}

bool addr_parse(const char *text, struct mig_addr *out)
{
	g_autofree char *host = NULL;
	const char *colon, *port_s;
	char *end;
	unsigned long port;

	if (!text)
		return false;
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');

		if (!rb || rb[1] != ':')
			return false;
		host = g_strndup(text + 1, rb - text - 1);
		port_s = rb + 2;
		if (!strchr(host, ':'))
			return false;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return false;
		host = g_strndup(text, colon - text);
		port_s = colon + 1;
	}
	if (!*port_s || *port_s == '-' || *port_s == '+')
		return false;
	port = strtoul(port_s, &end, 10);
	if (*end || port > 65535)
		return false;
	return set_host(host, (uint16_t)port, out);
}

bool addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
			struct mig_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(&out->ss, sa, sizeof(struct sockaddr_in));
		out->len = sizeof(struct sockaddr_in);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		memcpy(&out->ss, sa, sizeof(struct sockaddr_in6));
		out->len = sizeof(struct sockaddr_in6);
		return true;
	}
	return false;
}

char *addr_format_host(const struct mig_addr *a, char *buf, size_t len)
{
	const struct sockaddr_in *sin = (const void *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const void *)&a->ss;

	if (!a->len || (a->ss.ss_family == AF_INET &&
			!inet_ntop(AF_INET, &sin->sin_addr, buf, len)) ||
	    (a->ss.ss_family == AF_INET6 &&
	     !inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len)))
		g_strlcpy(buf, "-", len);
	return buf;
}

char *addr_format(const struct mig_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (!a->len) {
		g_strlcpy(buf, "-", len);
		return buf;
	}
	addr_format_host(a, host, sizeof(host));
	if (a->ss.ss_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, addr_port(a));
	else
		snprintf(buf, len, "%s:%u", host, addr_port(a));
	return buf;
}

uint16_t addr_port(const struct mig_addr *a)
{
	if (!a->len)
		return 0;
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

bool addr_same_host(const struct mig_addr *a, const struct mig_addr *b)
{
	if (!a->len || !b->len || a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		       &((const struct sockaddr_in6 *)&b->ss)->sin6_addr, 16);
}

bool addr_equal(const struct mig_addr *a, const struct mig_addr *b)
{
	return addr_same_host(a, b) && addr_port(a) == addr_port(b);
}

bool addr_is_any(const struct mig_addr *a)
{
	static const uint8_t zero[16];

	if (!a->len)
		return false;
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == 0;
	return !memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr, zero,
		       16);
}

bool addr_from_endpoint(const HandoffEndpoint *ep, struct mig_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ep->family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		memcpy(&sin->sin_addr, ep->addr, 4);
		out->len = sizeof(*sin);
	} else if (ep->family == 6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		memcpy(&sin6->sin6_addr, ep->addr, 16);
		out->len = sizeof(*sin6);
	} else {
		return false;
	}
	return true;
}

bool addr_to_endpoint(const struct mig_addr *a, HandoffEndpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->port = addr_port(a);
	if (a->len && a->ss.ss_family == AF_INET) {
		ep->family = 4;
		memcpy(ep->addr, &((const struct sockaddr_in *)&a->ss)->sin_addr, 4);
		return true;
	}
	if (a->len && a->ss.ss_family == AF_INET6) {
		ep->family = 6;
		memcpy(ep->addr, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		       16);
		return true;
	}
	return false;
}
