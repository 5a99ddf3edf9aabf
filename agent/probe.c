// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * probe.c - the ARP probe of a tenant segment (see probe.h).
 */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#define ARP_LEN 28   /* Ethernet/IPv4 ARP */
#define FRAME_MIN 60 /* without the FCS */
#define ARPOP_REQ 1
#define ARPOP_REP 2

/* tcpdump -dd arp */
static struct sock_filter arp_code[] = {
	{ 0x28, 0, 0, 0x0000000c }, { 0x15, 0, 1, 0x00000806 },
	{ 0x6, 0, 0, 0x00040000 }, { 0x6, 0, 0, 0x00000000 },
};

/* A broadcast ARP probe from @mac for @tip: sender address 0.0.0.0. */
static size_t build_probe(uint8_t *f, const uint8_t mac[ETH_ALEN], const struct in_addr *tip)
{
	uint8_t *a = f + ETH_HLEN;

	memset(f, 0, FRAME_MIN);
	memset(f, 0xff, ETH_ALEN);
	memcpy(f + ETH_ALEN, mac, ETH_ALEN);
	f[12] = ETH_P_ARP >> 8;
	f[13] = ETH_P_ARP & 0xff;
	a[1] = 1;                /* hardware: Ethernet */
	a[2] = ETH_P_IP >> 8;    /* protocol: IPv4 */
	a[4] = ETH_ALEN;
	a[5] = 4;
	a[7] = ARPOP_REQ;
	memcpy(a + 8, mac, ETH_ALEN); /* sender MAC; sender IP (a + 14) 0.0.0.0 */
	memcpy(a + 24, tip, 4);       /* target IP; target MAC (a + 18) zero */
	return FRAME_MIN;
}

/* An ARP reply from @ip (and from @from, if not NULL) to @mac. */
static bool is_reply(const uint8_t *f, size_t len, const uint8_t mac[ETH_ALEN],
		     const struct in_addr *ip, const uint8_t *from)
{
	const uint8_t *a = f + ETH_HLEN;

	if (len < ETH_HLEN + ARP_LEN || f[12] != ETH_P_ARP >> 8 || f[13] != (ETH_P_ARP & 0xff))
		return false;
	if (a[0] || a[1] != 1 || a[2] != ETH_P_IP >> 8 || a[3] || a[4] != ETH_ALEN ||
	    a[5] != 4 || a[6] || a[7] != ARPOP_REP)
		return false;
	return !memcmp(a + 14, ip, 4) && !memcmp(a + 18, mac, ETH_ALEN) &&
	       (!from || !memcmp(a + 8, from, ETH_ALEN));
}

/* Probe @ip over @dev; the reply must come from @want_mac if not NULL; @ctx
 * is added to the timeout's message after the device. */
static bool probe(const char *dev, const char *ip, const uint8_t *want_mac, const char *ctx,
		  double *rtt_ms, GError **error)
{
	struct sock_fprog prog = { G_N_ELEMENTS(arp_code), arp_code };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct ifreq ifr = { 0 };
	uint8_t mac[ETH_ALEN], frame[FRAME_MIN], buf[256];
	struct in_addr tip;
	size_t flen;
	int fd;

	if (inet_pton(AF_INET, ip, &tip) != 1) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "probe address '%s' is not an IPv4 address", ip);
		return false;
	}
	ll.sll_ifindex = (int)if_nametoindex(dev);
	if (!ll.sll_ifindex) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "probe over %s: no such device", dev);
		return false;
	}
	/* protocol 0 until bound: no frames of other devices queue up */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	g_strlcpy(ifr.ifr_name, dev, sizeof(ifr.ifr_name));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    bind(fd, (struct sockaddr *)&ll, sizeof(ll)) || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		int e = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "probe over %s: packet socket: %s", dev, g_strerror(e));
		if (fd >= 0)
			close(fd);
		return false;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	flen = build_probe(frame, mac, &tip);
	ll.sll_halen = ETH_ALEN;
	memset(ll.sll_addr, 0xff, ETH_ALEN);
	for (int try = 1; try <= PROBE_TRIES; try++) {
		gint64 t0 = g_get_monotonic_time();
		gint64 deadline = t0 + PROBE_WAIT_MS * 1000;

		if (sendto(fd, frame, flen, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
			int e = errno;

			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
				    "probe over %s: send: %s", dev, g_strerror(e));
			close(fd);
			return false;
		}
		g_debug("probe %d/%d: who-has %s over %s", try, PROBE_TRIES, ip, dev);
		for (gint64 now = t0; now < deadline; now = g_get_monotonic_time()) {
			struct pollfd p = { fd, POLLIN, 0 };
			struct sockaddr_ll from;
			socklen_t fromlen = sizeof(from);
			ssize_t n;

			if (poll(&p, 1, (int)((deadline - now + 999) / 1000)) <= 0)
				continue;
			n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fromlen);
			if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING ||
			    !is_reply(buf, (size_t)n, mac, &tip, want_mac))
				continue;
			*rtt_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
			close(fd);
			return true;
		}
	}
	close(fd);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
		    "no ARP reply from %s over %s%s in %d ms", ip, dev, ctx,
		    PROBE_TRIES * PROBE_WAIT_MS);
	return false;
}

bool probe_channel(const char *dev, unsigned int vni, const char *remote, const char *ip,
		   double *rtt_ms, GError **error)
{
	g_autofree char *ctx = g_strdup_printf(" (VNI %u, remote %s)", vni, remote);

	return probe(dev, ip, NULL, ctx, rtt_ms, error);
}

bool probe_vm(const char *dev, const char *ip, const uint8_t mac[6], double *rtt_ms,
	      GError **error)
{
	return probe(dev, ip, mac, "", rtt_ms, error);
}

/* --- IPv6: neighbour solicitation (RFC 4861) -------------------------------------- */

/* A neighbour solicitation for @target with our link-layer address @mac. */
static size_t build_ns(uint8_t *b, const struct in6_addr *target, const uint8_t mac[ETH_ALEN])
{
	struct nd_neighbor_solicit *ns = (struct nd_neighbor_solicit *)b;
	uint8_t *opt = b + sizeof(*ns);

	memset(b, 0, sizeof(*ns) + 8);
	ns->nd_ns_type = ND_NEIGHBOR_SOLICIT;
	ns->nd_ns_target = *target;
	opt[0] = ND_OPT_SOURCE_LINKADDR;
	opt[1] = 1; /* 8 bytes */
	memcpy(opt + 2, mac, ETH_ALEN);
	return sizeof(*ns) + 8;
}

/* A neighbour advertisement for @target whose target link-layer address is @mac. */
static bool is_na(const uint8_t *b, size_t len, const struct in6_addr *target,
		  const uint8_t mac[ETH_ALEN])
{
	const struct nd_neighbor_advert *na = (const struct nd_neighbor_advert *)b;

	if (len < sizeof(*na) || na->nd_na_type != ND_NEIGHBOR_ADVERT || na->nd_na_code ||
	    memcmp(&na->nd_na_target, target, sizeof(*target)))
		return false;
	for (size_t off = sizeof(*na); off + 8 <= len && b[off + 1];) {
		size_t olen = (size_t)b[off + 1] * 8;

		if (off + olen > len)
			break;
		if (b[off] == ND_OPT_TARGET_LINKADDR && olen >= 8)
			return !memcmp(b + off + 2, mac, ETH_ALEN);
		off += olen;
	}
	return false;
}

bool probe_vm6(const char *dev, const char *ip, const uint8_t mac[6], double *rtt_ms,
	       GError **error)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	struct icmp6_filter filter;
	struct ifreq ifr = { 0 };
	struct in6_addr target;
	uint8_t own[ETH_ALEN], pkt[64], buf[512];
	unsigned int ifindex = if_nametoindex(dev);
	int hops = 255, fd, e;
	size_t plen;

	if (inet_pton(AF_INET6, ip, &target) != 1) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "probe address '%s' is not an IPv6 address", ip);
		return false;
	}
	if (!ifindex) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "probe over %s: no such device",
			    dev);
		return false;
	}
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &filter);
	g_strlcpy(ifr.ifr_name, dev, sizeof(ifr.ifr_name));
	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) ||
	    setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) ||
	    ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		e = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
			    "probe over %s: ICMPv6 socket: %s", dev, g_strerror(e));
		if (fd >= 0)
			close(fd);
		return false;
	}
	memcpy(own, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	plen = build_ns(pkt, &target, own);
	/* the solicited-node multicast address of the target */
	inet_pton(AF_INET6, "ff02::1:ff00:0", &to.sin6_addr);
	memcpy(&to.sin6_addr.s6_addr[13], &target.s6_addr[13], 3);
	to.sin6_scope_id = ifindex;
	for (int try = 1; try <= PROBE_TRIES; try++) {
		gint64 t0 = g_get_monotonic_time();
		gint64 deadline = t0 + PROBE_WAIT_MS * 1000;

		if (sendto(fd, pkt, plen, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			e = errno;
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
				    "probe over %s: send: %s", dev, g_strerror(e));
			close(fd);
			return false;
		}
		for (gint64 now = t0; now < deadline; now = g_get_monotonic_time()) {
			struct pollfd p = { fd, POLLIN, 0 };
			ssize_t n;

			if (poll(&p, 1, (int)((deadline - now + 999) / 1000)) <= 0)
				continue;
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n <= 0 || !is_na(buf, (size_t)n, &target, mac))
				continue;
			*rtt_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
			close(fd);
			return true;
		}
	}
	close(fd);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
		    "no neighbour advertisement for %s over %s in %d ms", ip, dev,
		    PROBE_TRIES * PROBE_WAIT_MS);
	return false;
}
