// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-ctfill - fill this network namespace's conntrack table with N
 * established TCP connections of one address, for the network-state
 * benchmark (scripts/bench-netstate): a VM with many connections, or
 * another VM whose entries must stay where they are.
 *
 *   mig-ctfill SRC-IP DST-IP N [FIRST-PORT]
 *
 * Creates SRC-IP:P -> DST-IP:80 for P = FIRST-PORT (default 10000) ..
 * FIRST-PORT+N-1 (N <= 50000), state ESTABLISHED, timeout 600 s; prints
 * how many were created.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

int main(int argc, char **argv)
{
	struct in_addr src, dst;
	struct nfct_handle *h;
	long n, first = 10000, made = 0;

	if (argc < 4 || argc > 5 || inet_pton(AF_INET, argv[1], &src) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst) != 1 || (n = atol(argv[3])) < 0 || n > 50000 ||
	    (argc == 5 && ((first = atol(argv[4])) < 1 || first + n > 65536))) {
		fprintf(stderr, "Usage: mig-ctfill SRC-IP DST-IP N [FIRST-PORT]\n");
		return 2;
	}
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		fprintf(stderr, "mig-ctfill: nfct_open: %s\n", strerror(errno));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		struct nf_conntrack *ct = nfct_new();
		uint16_t sport = htons((uint16_t)(first + i)), dport = htons(80);

		nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src.s_addr);
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, dst.s_addr);
		nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
		nfct_set_attr_u16(ct, ATTR_PORT_SRC, sport);
		nfct_set_attr_u16(ct, ATTR_PORT_DST, dport);
		nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
		nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, dst.s_addr);
		nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, src.s_addr);
		nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_TCP);
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, dport);
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, sport);
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
		nfct_set_attr_u32(ct, ATTR_TIMEOUT, 600);
		nfct_set_attr_u32(ct, ATTR_STATUS, IPS_CONFIRMED | IPS_ASSURED | IPS_SEEN_REPLY);
		if (nfct_query(h, NFCT_Q_CREATE, ct) == 0)
			made++;
		else if (made == 0 && i == 0)
			fprintf(stderr, "mig-ctfill: create: %s\n", strerror(errno));
		nfct_destroy(ct);
	}
	nfct_close(h);
	printf("%ld\n", made);
	return made == n ? 0 : 1;
}
