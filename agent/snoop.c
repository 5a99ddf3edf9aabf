// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snoop.c - DHCP snooping into the bindings set (see snoop.h).
 */
#include "snoop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nftstate.h"

#define BOOTP_MIN 240        /* fixed part and the magic cookie */
#define DHCP_MAGIC 0x63825363
#define OPT_MSG_TYPE 53
#define OPT_LEASE 51
#define DHCPACK 5

struct snoop {
	const struct agent_config *c;
	int fd;
	int stop_pipe[2];
	GThread *thread;
	volatile unsigned int acks;
	volatile unsigned int untrusted; /* replies not sent by this host */
};

/* tcpdump -dd 'ip and udp src port 67 and udp dst port 68' */
static struct sock_filter filter_code[] = {
	{ 0x28, 0, 0, 0x0000000c }, { 0x15, 0, 10, 0x00000800 },
	{ 0x30, 0, 0, 0x00000017 }, { 0x15, 0, 8, 0x00000011 },
	{ 0x28, 0, 0, 0x00000014 }, { 0x45, 6, 0, 0x00001fff },
	{ 0xb1, 0, 0, 0x0000000e }, { 0x48, 0, 0, 0x0000000e },
	{ 0x15, 0, 3, 0x00000043 }, { 0x48, 0, 0, 0x00000010 },
	{ 0x15, 0, 1, 0x00000044 }, { 0x6, 0, 0, 0x00040000 },
	{ 0x6, 0, 0, 0x00000000 },
};

bool snoop_parse(const uint8_t *f, size_t len, struct snoop_ack *ack)
{
	size_t ihl, off;
	const uint8_t *d;
	size_t dlen;
	bool is_ack = false;

	memset(ack, 0, sizeof(*ack));
	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return false;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if ((f[14] >> 4) != 4 || ihl < 20 || f[14 + 9] != IPPROTO_UDP ||
	    len < 14 + ihl + 8)
		return false;
	off = 14 + ihl;
	if ((f[off] << 8 | f[off + 1]) != 67 || (f[off + 2] << 8 | f[off + 3]) != 68)
		return false;
	d = f + off + 8;
	dlen = len - off - 8;
	if (dlen < BOOTP_MIN || d[0] != 2 /* BOOTREPLY */ || d[1] != 1 || d[2] != 6 ||
	    ((uint32_t)d[236] << 24 | d[237] << 16 | d[238] << 8 | d[239]) != DHCP_MAGIC)
		return false;
	for (size_t i = BOOTP_MIN; i < dlen;) {
		uint8_t code = d[i];

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255 || i + 1 >= dlen || i + 2 + d[i + 1] > dlen)
			break;
		if (code == OPT_MSG_TYPE && d[i + 1] == 1)
			is_ack = d[i + 2] == DHCPACK;
		else if (code == OPT_LEASE && d[i + 1] == 4)
			ack->lease_s = (unsigned int)d[i + 2] << 24 | d[i + 3] << 16 |
				       d[i + 4] << 8 | d[i + 5];
		i += 2 + d[i + 1];
	}
	if (!is_ack || !memcmp(d + 16, "\0\0\0\0", 4))
		return false;
	g_snprintf(ack->mac, sizeof(ack->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		   d[28], d[29], d[30], d[31], d[32], d[33]);
	inet_ntop(AF_INET, d + 16, ack->ip, sizeof(ack->ip));
	return true;
}

static gpointer run(gpointer data)
{
	struct snoop *s = data;
	uint8_t buf[2048];

	for (;;) {
		struct pollfd p[2] = { { s->fd, POLLIN, 0 }, { s->stop_pipe[0], POLLIN, 0 } };
		struct snoop_ack ack;
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n > 0 && snoop_parse(buf, (size_t)n, &ack)) {
			g_autoptr(GError) err = NULL;
			unsigned int lease = ack.lease_s ? ack.lease_s : 3600;

			if (from.sll_pkttype != PACKET_OUTGOING && strcmp(s->c->snoop_trust, "any")) {
				s->untrusted++;
				g_warning("snoop: DHCPACK %s -> %s not sent by this host: ignored "
					  "(snoop-trust=host; %u so far)", ack.mac, ack.ip, s->untrusted);
				continue;
			}

			if (nfts_bind(s->c, ack.mac, ack.ip, lease, &err)) {
				s->acks++;
				g_info("snoop: DHCPACK %s -> %s, lease %u s: bound", ack.mac,
				       ack.ip, lease);
			} else {
				g_warning("snoop: DHCPACK %s -> %s not bound: %s", ack.mac,
					  ack.ip, err->message);
			}
		}
	}
	return NULL;
}

struct snoop *snoop_start(const struct agent_config *c, GError **error)
{
	struct sock_fprog prog = { G_N_ELEMENTS(filter_code), filter_code };
	/* ETH_P_ALL: only its taps see the frames the host sends (a DHCP
	 * server on the host itself) as well as those it receives */
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct snoop *s = g_new0(struct snoop, 1);

	s->c = c;
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	a.sll_ifindex = (int)if_nametoindex(c->snoop);
	if (s->fd < 0 || !a.sll_ifindex ||
	    setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    bind(s->fd, (struct sockaddr *)&a, sizeof(a)) || pipe(s->stop_pipe)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "snoop on %s: %s", c->snoop,
			    a.sll_ifindex ? g_strerror(errno) : "no such interface");
		if (s->fd >= 0)
			close(s->fd);
		g_free(s);
		return NULL;
	}
	s->thread = g_thread_new("snoop", run, s);
	return s;
}

void snoop_stop(struct snoop *s)
{
	if (!s)
		return;
	if (write(s->stop_pipe[1], "x", 1) < 0)
		g_warning("snoop: cannot stop: %s", g_strerror(errno));
	g_thread_join(s->thread);
	close(s->fd);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	g_free(s);
}

unsigned int snoop_acks(const struct snoop *s)
{
	return s ? s->acks : 0;
}
