// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-forge - the attacker of tests/e2e/handoff-attacks.sh: sends UDP
 * datagrams with a forged source address and port (a raw IPv4 socket,
 * IP_HDRINCL), so that they look as if they came from the migration
 * manager or from a QEMU filter's data socket.
 *
 *   mig-forge --from IP:PORT --to IP:PORT [-n N] --payload FILE
 *       N copies of the datagram in FILE (a replay of a captured one)
 *   mig-forge --from IP:PORT --to IP:PORT [-n N] (--geneve VNI |
 *             --uuid UUID) [--mac MAC] [--interval-us US]
 *       N Geneve frames of the handoff protocol for VNI (or the VNI of
 *       the NIC MAC of VM UUID), sequences 1..N, sealed under a random
 *       key (a forgery: the receiver cannot tell them from authentic ones
 *       without the flow key), inner frames to MAC (default
 *       ff:ff:ff:ff:ff:ff), US microseconds apart (default 0)
 *
 * Prints "sent=N".  Needs CAP_NET_RAW (root in the test's namespace).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "ids.h"
#include "lab-util.h"
#include "wire.h"

static char *opt_from, *opt_to, *opt_payload, *opt_mac, *opt_uuid;
static int opt_n = 1, opt_vni, opt_interval;

static uint16_t ip_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* One IPv4/UDP datagram from @from to @to carrying @data. */
static void send_spoofed(int fd, const struct sockaddr_in *from,
			 const struct sockaddr_in *to, const uint8_t *data,
			 size_t len)
{
	static uint8_t pkt[65535];
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
	size_t total = sizeof(*ip) + sizeof(*udp) + len;

	if (total > sizeof(pkt))
		lab_die("datagram too large");
	memset(pkt, 0, sizeof(*ip) + sizeof(*udp));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)total);
	ip->id = htons((uint16_t)g_random_int());
	ip->saddr = from->sin_addr.s_addr;
	ip->daddr = to->sin_addr.s_addr;
	ip->check = htons(ip_sum(pkt, sizeof(*ip)));
	udp->source = from->sin_port;
	udp->dest = to->sin_port;
	udp->len = htons((uint16_t)(sizeof(*udp) + len));
	udp->check = 0; /* none: allowed for IPv4 */
	memcpy(pkt + sizeof(*ip) + sizeof(*udp), data, len);
	if (sendto(fd, pkt, total, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		lab_die("sendto: %s", g_strerror(errno));
}

int main(int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "from", 0, 0, G_OPTION_ARG_STRING, &opt_from, "forged source", "IP:PORT" },
		{ "to", 0, 0, G_OPTION_ARG_STRING, &opt_to, "destination", "IP:PORT" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "datagrams (default 1)", "N" },
		{ "payload", 0, 0, G_OPTION_ARG_FILENAME, &opt_payload, "the datagram to send", "FILE" },
		{ "geneve", 0, 0, G_OPTION_ARG_INT, &opt_vni, "forged Geneve frames for VNI", "VNI" },
		{ "uuid", 0, 0, G_OPTION_ARG_STRING, &opt_uuid, "VNI of this VM's NIC --mac", "UUID" },
		{ "mac", 0, 0, G_OPTION_ARG_STRING, &opt_mac, "their inner destination MAC", "MAC" },
		{ "interval-us", 0, 0, G_OPTION_ARG_INT, &opt_interval, "between datagrams", "US" },
		{ NULL },
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("");
	g_autoptr(GError) err = NULL;
	struct sockaddr_in from, to;
	g_autofree char *payload = NULL;
	gsize plen = 0;
	uint8_t key[HANDOFF_KEY_LEN], mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	int fd, one = 1;

	g_set_prgname("mig-forge");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &err) || argc != 1)
		lab_die("%s (try --help)", err ? err->message : "no arguments expected");
	lab_ipv4(opt_from, &from);
	lab_ipv4(opt_to, &to);
	if ((opt_payload != NULL) + (opt_vni != 0) + (opt_uuid != NULL) != 1)
		lab_die("give --payload FILE, --geneve VNI or --uuid UUID");
	if (opt_payload && !g_file_get_contents(opt_payload, &payload, &plen, &err))
		lab_die("%s", err->message);
	if (opt_mac && !mac_parse(opt_mac, mac))
		lab_die("bad --mac '%s'", opt_mac);
	if (opt_uuid) {
		uint8_t uuid[16];

		if (!uuid_parse(opt_uuid, uuid) || !opt_mac)
			lab_die("--uuid needs a UUID and --mac");
		opt_vni = (int)handoff_vni(uuid, mac);
	}
	for (unsigned int i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)g_random_int();
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)))
		lab_die("raw socket: %s (needs CAP_NET_RAW)", g_strerror(errno));
	for (int i = 0; i < opt_n; i++) {
		uint8_t f[64] = { 0 }, pkt[HANDOFF_FRAME_HDR_LEN + sizeof(f)];

		if (opt_payload) {
			send_spoofed(fd, &from, &to, (const uint8_t *)payload, plen);
			if (opt_interval)
				g_usleep((gulong)opt_interval);
			continue;
		}
		memcpy(f, mac, 6);
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x66\x08\x00", 8);
		if (handoff_frame_seal(key, (uint32_t)opt_vni, (uint64_t)i + 1, f, sizeof(f),
				       pkt, sizeof(pkt)) < 0)
			lab_die("cannot seal a frame for VNI %d", opt_vni);
		send_spoofed(fd, &from, &to, pkt, sizeof(pkt));
		if (opt_interval)
			g_usleep((gulong)opt_interval);
	}
	printf("sent=%d\n", opt_n);
	close(fd);
	return 0;
}
