// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rewrite.c - destination MAC/IP rewrite with incremental checksum update.
 *
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), summed over the 16-bit words
 * that change.  Addresses are 16-bit aligned within their headers, so the
 * words are taken pairwise from the old and new address bytes.
 */
#include "rewrite.h"

#include <string.h>

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58
/* IPv6 extension headers walked to find the L4 header (RFC 8200 §4). */
#define IPV6_HOPOPTS 0
#define IPV6_ROUTING 43
#define IPV6_FRAGMENT 44
#define IPV6_AUTH 51
#define IPV6_DSTOPTS 60
#define IPV6_MAX_EXT 8

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Update the checksum at @field for @n bytes (even) changing old -> new. */
static void csum_replace(uint8_t *field, const uint8_t *old,
			 const uint8_t *new, size_t n)
{
	uint32_t sum = (uint16_t)~rd16(field);

	for (size_t i = 0; i < n; i += 2) {
		sum += (uint16_t)~rd16(old + i);
		sum += rd16(new + i);
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(field, (uint16_t)~sum);
}

/* Fix the L4 checksum at @l4 (@l4_len bytes available) for @proto. */
static unsigned int fix_l4(uint8_t *l4, size_t l4_len, int proto,
			   const uint8_t *old, const uint8_t *new, size_t n,
			   bool v4)
{
	size_t off;

	if (proto == IPPROTO_TCP_)
		off = 16;
	else if (proto == IPPROTO_UDP_)
		off = 6;
	else if (proto == IPPROTO_ICMPV6_ && !v4)
		off = 2;
	else
		return 0;
	if (l4_len < off + 2)
		return 0;
	if (proto == IPPROTO_UDP_ && v4 && rd16(l4 + off) == 0)
		return 0; /* no checksum: stays none */
	csum_replace(l4 + off, old, new, n);
	if (proto == IPPROTO_UDP_ && rd16(l4 + off) == 0)
		wr16(l4 + off, 0xffff);
	return REWRITE_L4;
}

static unsigned int rewrite_v4(uint8_t *ip, size_t len,
			       const struct rewrite_rule *r)
{
	size_t ihl;
	unsigned int done = 0;
	uint8_t old[4];

	if (len < 20 || (ip[0] >> 4) != 4)
		return 0;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len || memcmp(ip + 16, r->old_ip, 4))
		return 0;
	memcpy(old, ip + 16, 4);
	memcpy(ip + 16, r->new_ip, 4);
	csum_replace(ip + 10, old, r->new_ip, 4);
	done |= REWRITE_IP;
	/* Fragment offset 0: the L4 header (and its checksum) is here. */
	if ((rd16(ip + 6) & 0x1fff) == 0)
		done |= fix_l4(ip + ihl, len - ihl, ip[9], old, r->new_ip, 4,
			       true);
	return done;
}

/*
 * Walk the IPv6 extension headers after the fixed header: *@off set to
 * the L4 header, return its protocol, or -1 when there is no L4 header
 * whose checksum covers the destination address here (a later fragment,
 * a Routing header with segments left, whose final address is the one
 * the pseudo-header uses, ESP, a truncated or too long chain).
 */
static int v6_l4(const uint8_t *ip, size_t len, size_t *off)
{
	int next = ip[6];

	*off = 40;
	for (int i = 0; i < IPV6_MAX_EXT; i++) {
		size_t hlen;

		switch (next) {
		case IPV6_HOPOPTS:
		case IPV6_DSTOPTS:
		case IPV6_ROUTING:
			if (*off + 8 > len)
				return -1;
			if (next == IPV6_ROUTING && ip[*off + 3] != 0)
				return -1; /* segments left */
			hlen = ((size_t)ip[*off + 1] + 1) * 8;
			break;
		case IPV6_FRAGMENT:
			if (*off + 8 > len || (rd16(ip + *off + 2) & 0xfff8))
				return -1; /* not the first fragment */
			hlen = 8;
			break;
		case IPV6_AUTH:
			if (*off + 8 > len)
				return -1;
			hlen = ((size_t)ip[*off + 1] + 2) * 4;
			break;
		default:
			return next;
		}
		next = ip[*off];
		*off += hlen;
		if (*off > len)
			return -1;
	}
	return -1;
}

static unsigned int rewrite_v6(uint8_t *ip, size_t len,
			       const struct rewrite_rule *r)
{
	unsigned int done = 0;
	uint8_t old[16];
	size_t off;
	int proto;

	if (len < 40 || (ip[0] >> 4) != 6 || memcmp(ip + 24, r->old_ip, 16))
		return 0;
	memcpy(old, ip + 24, 16);
	memcpy(ip + 24, r->new_ip, 16);
	done |= REWRITE_IP;
	proto = v6_l4(ip, len, &off);
	if (proto >= 0)
		done |= fix_l4(ip + off, len - off, proto, old, r->new_ip, 16, false);
	return done;
}

unsigned int rewrite_frame(uint8_t *frame, size_t len,
			   const struct rewrite_rule *r)
{
	unsigned int done = 0;
	size_t l3 = ETH_HLEN;
	uint16_t type;

	if (len < ETH_HLEN)
		return 0;
	for (unsigned int i = 0; i < r->n_macs; i++) {
		if (!memcmp(frame, r->macs[i], 6)) {
			if (memcmp(frame, r->new_mac, 6)) {
				memcpy(frame, r->new_mac, 6);
				done |= REWRITE_MAC;
			}
			break;
		}
	}
	type = rd16(frame + 12);
	if (type == ETH_P_8021Q && len >= ETH_HLEN + 4) {
		type = rd16(frame + 16);
		l3 += 4;
	}
	if (r->family == 4 && type == ETH_P_IP)
		done |= rewrite_v4(frame + l3, len - l3, r);
	else if (r->family == 6 && type == ETH_P_IPV6)
		done |= rewrite_v6(frame + l3, len - l3, r);
	return done;
}
