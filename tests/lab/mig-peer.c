// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-peer - plays the QEMUs of a handoff for tests/e2e/manager.sh:
 *
 *   mig-peer src -k KEY -m CTRL -D DATA -u UUID -n N [-s SIZE] [--abort]
 *                [-t MS]
 *       the source: SUSPENDING (DATA_ENDPOINT = its data socket), then N
 *       numbered frames as VXLAN to DATA; with --abort then ABORTED and
 *       receive the frames the manager returns.
 *   mig-peer dst -k KEY -m CTRL -u UUID -n N [-t MS] [--no-ack]
 *       the destination: ACTIVATED (INJECT_ENDPOINT = its inject socket),
 *       then receive frames and DRAINED (ACKed unless --no-ack) until N
 *       frames and DRAINED arrived or MS passed.
 *   mig-peer msg -k KEY -m CTRL -u UUID -T TYPE [--seq S] [--save FILE]
 *                [--raw FILE]
 *       one control message (suspending|activated|aborted), or the raw
 *       datagram in FILE (a replay); prints the ACK status or "none".
 *   mig-peer frames -D DATA (-u UUID | --vni V) -n N [--first I] [-s SIZE]
 *       N numbered frames, nothing else.
 *
 * Prints one line of key=value pairs; exits 0 unless a socket or a file
 * failed (the test script judges the values).
 */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "wire.h"
#include "wire.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x99, 0x00, 0x10 };

static char *opt_key, *opt_ctrl, *opt_data, *opt_uuid, *opt_type;
static char *opt_save, *opt_raw;
static int opt_n, opt_size = 100, opt_timeout = 3000, opt_vni, opt_first;
static gint64 opt_seq;
static gboolean opt_abort, opt_no_ack;
static uint8_t key[1024];
static size_t key_len;
static uint8_t uuid[16];

static void die(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "mig-peer: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void parse_addr(const char *s, struct sockaddr_in *a)
{
	const char *c = s ? strrchr(s, ':') : NULL;
	g_autofree char *host = c ? g_strndup(s, c - s) : NULL;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	if (!c || inet_pton(AF_INET, host, &a->sin_addr) != 1)
		die("'%s' is not IPV4:PORT", s ? s : "(none)");
	a->sin_port = htons((uint16_t)atoi(c + 1));
}

static int udp_socket(struct sockaddr_in *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), v = 4 << 20;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		die("socket: %s", g_strerror(errno));
	if (bound)
		*bound = a;
	return fd;
}

static uint64_t now_us(void)
{
	return (uint64_t)g_get_real_time();
}

static void base_msg(HandoffMsg *m, uint8_t type)
{
	static uint64_t last;
	uint64_t t = now_us();

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->sequence = opt_seq ? (uint64_t)opt_seq : (t > last ? t : last + 1);
	last = m->sequence;
	m->timestamp_us = t;
	memcpy(m->uuid, uuid, 16);
	g_snprintf(m->name, sizeof(m->name), "e2e-%02x%02x", uuid[14], uuid[15]);
	memcpy(m->macs[0], guest_mac, 6);
	m->n_macs = 1;
	m->vni = handoff_vni(uuid);
	strcpy(m->reason, "e2e abort");
}

/* Wait up to @ms for an ACK of @seq on @fd; handles nothing else. */
static const char *wait_ack(int fd, uint64_t seq, int ms)
{
	uint8_t buf[2048];
	HandoffMsg a;
	gint64 end = g_get_monotonic_time() + ms * 1000;

	for (;;) {
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return "none";
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0 && handoff_msg_decode(buf, (size_t)n, key, key_len, &a) == HANDOFF_OK &&
		    a.type == HANDOFF_MSG_ACK && a.acked_sequence == seq)
			return handoff_status_name(a.status);
	}
}

/* Send @m (retransmitted per docs/protocol.md §2) and wait for its ACK. */
static const char *request(int fd, const struct sockaddr_in *to,
			   HandoffMsg *m)
{
	static const int delays[] = { 50, 100, 200, 400, 800 };
	uint8_t buf[HANDOFF_MAX_LEN];

	for (unsigned int i = 0; i < G_N_ELEMENTS(delays); i++) {
		const char *st;
		int n;

		m->timestamp_us = now_us();
		n = handoff_msg_encode(m, key, key_len, buf, sizeof(buf));
		if (n <= 0)
			die("encode: %s", handoff_strerror(n));
		if (opt_save && i == 0 &&
		    !g_file_set_contents(opt_save, (char *)buf, n, NULL))
			die("cannot write %s", opt_save);
		sendto(fd, buf, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to));
		st = wait_ack(fd, m->sequence, delays[i]);
		if (strcmp(st, "none"))
			return st;
	}
	return "none";
}

static size_t make_frame(uint32_t num, uint8_t *f)
{
	size_t len = (size_t)opt_size;

	memcpy(f, guest_mac, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x88;
	f[13] = 0xb5; /* local experimental ethertype */
	memcpy(f + 14, "MGPR", 4);
	f[18] = (uint8_t)(num >> 24);
	f[19] = (uint8_t)(num >> 16);
	f[20] = (uint8_t)(num >> 8);
	f[21] = (uint8_t)num;
	for (size_t i = 22; i < len; i++)
		f[i] = (uint8_t)(num * 7 + i);
	return len;
}

/* Check a received frame; return its number or -1 if corrupt. */
static int64_t frame_num(const uint8_t *f, size_t len)
{
	uint32_t num;

	if (len != (size_t)opt_size || memcmp(f, guest_mac, 6) ||
	    memcmp(f + 14, "MGPR", 4))
		return -1;
	num = (uint32_t)f[18] << 24 | (uint32_t)f[19] << 16 |
	      (uint32_t)f[20] << 8 | f[21];
	for (size_t i = 22; i < len; i++)
		if (f[i] != (uint8_t)(num * 7 + i))
			return -1;
	return num;
}

static void send_frames(int fd, const struct sockaddr_in *to, uint32_t vni)
{
	uint8_t f[9000], pkt[9100];

	if (opt_size < 22 || opt_size > 9000)
		die("-s must be 22..9000");
	for (int i = 0; i < opt_n; i++) {
		size_t len = make_frame((uint32_t)(opt_first + i), f);
		int n = handoff_vxlan_encap(vni, f, len, pkt, sizeof(pkt));

		if (sendto(fd, pkt, (size_t)n, 0, (const struct sockaddr *)to,
			   sizeof(*to)) < 0)
			die("send: %s", g_strerror(errno));
		if (i % 64 == 63)
			g_usleep(200); /* loopback: do not overrun the receiver */
	}
}

struct rx_report {
	int frames;
	int corrupt;
	int out_of_order;
	int64_t next;
	int wrong_vni;
};

static void rx_frame(struct rx_report *r, const uint8_t *pkt, size_t n,
		     uint32_t vni)
{
	uint32_t v;
	const uint8_t *f;
	size_t flen;
	int64_t num;

	if (handoff_vxlan_decap(pkt, n, &v, &f, &flen) || v != vni) {
		r->wrong_vni++;
		return;
	}
	num = frame_num(f, flen);
	if (num < 0) {
		r->corrupt++;
		return;
	}
	if (num != r->next)
		r->out_of_order++;
	r->next = num + 1;
	r->frames++;
}

static int cmd_src(void)
{
	struct sockaddr_in ctrl, data, dbound;
	int cfd = udp_socket(NULL), dfd = udp_socket(&dbound);
	HandoffMsg m;
	const char *st;
	uint32_t vni = handoff_vni(uuid);

	parse_addr(opt_ctrl, &ctrl);
	parse_addr(opt_data, &data);
	base_msg(&m, HANDOFF_MSG_SUSPENDING);
	m.endpoint.family = 4;
	m.endpoint.port = ntohs(dbound.sin_port); /* 0.0.0.0: source host */
	st = request(cfd, &ctrl, &m);
	printf("suspending=%s", st);
	send_frames(dfd, &data, vni);
	printf(" sent=%d", opt_n);
	if (opt_abort) {
		struct rx_report r = { .next = opt_first };
		gint64 end;

		base_msg(&m, HANDOFF_MSG_ABORTED);
		printf(" aborted=%s", request(cfd, &ctrl, &m));
		end = g_get_monotonic_time() + opt_timeout * 1000;
		while (r.frames < opt_n) {
			int left = (int)((end - g_get_monotonic_time()) / 1000);
			struct pollfd p = { .fd = dfd, .events = POLLIN };
			uint8_t pkt[65536];
			ssize_t n;

			if (left <= 0 || poll(&p, 1, left) <= 0)
				break;
			n = recv(dfd, pkt, sizeof(pkt), 0);
			if (n > 0)
				rx_frame(&r, pkt, (size_t)n, vni);
		}
		printf(" returned=%d out_of_order=%d corrupt=%d", r.frames,
		       r.out_of_order, r.corrupt + r.wrong_vni);
	}
	printf("\n");
	return 0;
}

static int cmd_dst(void)
{
	struct sockaddr_in ctrl, ibound;
	int cfd = udp_socket(NULL), ifd = udp_socket(&ibound);
	struct rx_report r = { .next = opt_first };
	HandoffMsg m;
	gint64 end;
	int drained = 0, before_drained = -1, dup_drained = 0;
	uint64_t drained_frames = 0, drained_seq = 0;
	uint32_t vni = handoff_vni(uuid);

	parse_addr(opt_ctrl, &ctrl);
	base_msg(&m, HANDOFF_MSG_ACTIVATED);
	m.endpoint.family = 4;
	m.endpoint.port = ntohs(ibound.sin_port);
	/* ACTIVATED once; the DRAINED may arrive before we see our ACK. */
	{
		uint8_t buf[HANDOFF_MAX_LEN];
		int n = handoff_msg_encode(&m, key, key_len, buf, sizeof(buf));

		sendto(cfd, buf, (size_t)n, 0, (struct sockaddr *)&ctrl, sizeof(ctrl));
	}
	end = g_get_monotonic_time() + opt_timeout * 1000;
	const char *ack = "none";

	while (r.frames < opt_n || !drained || !strcmp(ack, "none")) {
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		struct pollfd p[2] = { { .fd = cfd, .events = POLLIN },
				       { .fd = ifd, .events = POLLIN } };
		uint8_t pkt[65536];
		ssize_t n;

		if (left <= 0 || poll(p, 2, left) <= 0)
			break;
		if (p[1].revents & POLLIN) {
			n = recv(ifd, pkt, sizeof(pkt), 0);
			if (n > 0)
				rx_frame(&r, pkt, (size_t)n, vni);
		}
		if (p[0].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			HandoffMsg d;

			n = recvfrom(cfd, pkt, sizeof(pkt), 0,
				     (struct sockaddr *)&from, &fl);
			if (n <= 0 || handoff_msg_decode(pkt, (size_t)n, key, key_len, &d))
				continue;
			if (d.type == HANDOFF_MSG_ACK && d.acked_sequence == m.sequence) {
				ack = handoff_status_name(d.status);
			} else if (d.type == HANDOFF_MSG_DRAINED) {
				HandoffMsg a;
				uint8_t buf[HANDOFF_MAX_LEN];
				int len;

				if (drained && d.sequence == drained_seq)
					dup_drained++;
				if (!drained) {
					/* Frames sent before the DRAINED are
					 * in the other socket already. */
					while ((n = recv(ifd, pkt, sizeof(pkt),
							 MSG_DONTWAIT)) > 0)
						rx_frame(&r, pkt, (size_t)n, vni);
					drained = 1;
					drained_seq = d.sequence;
					drained_frames = d.frames;
					before_drained = r.frames;
				}
				if (opt_no_ack)
					continue;
				base_msg(&a, HANDOFF_MSG_ACK);
				a.acked_sequence = d.sequence;
				a.status = HANDOFF_STATUS_OK;
				len = handoff_msg_encode(&a, key, key_len, buf, sizeof(buf));
				sendto(cfd, buf, (size_t)len, 0,
				       (struct sockaddr *)&from, fl);
			}
		}
	}
	printf("activated=%s frames=%d out_of_order=%d corrupt=%d drained=%s drained_frames=%" G_GUINT64_FORMAT " before_drained=%d drained_repeats=%d\n",
	       ack, r.frames, r.out_of_order, r.corrupt + r.wrong_vni,
	       drained ? "yes" : "no", drained_frames, before_drained,
	       dup_drained);
	return 0;
}

static int cmd_msg(void)
{
	struct sockaddr_in ctrl;
	int fd = udp_socket(NULL);
	HandoffMsg m;
	uint8_t type;

	parse_addr(opt_ctrl, &ctrl);
	if (opt_raw) {
		g_autofree char *buf = NULL;
		gsize len;

		if (!g_file_get_contents(opt_raw, &buf, &len, NULL) ||
		    handoff_msg_decode((uint8_t *)buf, len, key, key_len, &m))
			die("cannot read a valid message from %s", opt_raw);
		sendto(fd, buf, len, 0, (struct sockaddr *)&ctrl, sizeof(ctrl));
		printf("ack=%s\n", wait_ack(fd, m.sequence, 300));
		return 0;
	}
	if (!g_strcmp0(opt_type, "suspending"))
		type = HANDOFF_MSG_SUSPENDING;
	else if (!g_strcmp0(opt_type, "activated"))
		type = HANDOFF_MSG_ACTIVATED;
	else if (!g_strcmp0(opt_type, "aborted"))
		type = HANDOFF_MSG_ABORTED;
	else
		die("-T suspending|activated|aborted");
	base_msg(&m, type);
	m.endpoint.family = 4;
	m.endpoint.port = 9;
	printf("ack=%s\n", request(fd, &ctrl, &m));
	return 0;
}

static int cmd_frames(void)
{
	struct sockaddr_in data;
	int fd = udp_socket(NULL);

	parse_addr(opt_data, &data);
	send_frames(fd, &data, opt_vni ? (uint32_t)opt_vni : handoff_vni(uuid));
	printf("sent=%d\n", opt_n);
	return 0;
}

static bool parse_uuid(const char *s)
{
	unsigned int n = 0;

	for (; s && *s && n < 16; s++) {
		if (*s == '-')
			continue;
		if (!g_ascii_isxdigit(s[0]) || !g_ascii_isxdigit(s[1]))
			return false;
		uuid[n++] = (uint8_t)(g_ascii_xdigit_value(s[0]) << 4 |
				      g_ascii_xdigit_value(s[1]));
		s++;
	}
	return n == 16;
}

int main(int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "key", 'k', 0, G_OPTION_ARG_FILENAME, &opt_key, "key file", "FILE" },
		{ "control", 'm', 0, G_OPTION_ARG_STRING, &opt_ctrl, "manager control address", "IP:PORT" },
		{ "data", 'D', 0, G_OPTION_ARG_STRING, &opt_data, "manager data address", "IP:PORT" },
		{ "uuid", 'u', 0, G_OPTION_ARG_STRING, &opt_uuid, "VM UUID", "UUID" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "frames", "N" },
		{ "first", 0, 0, G_OPTION_ARG_INT, &opt_first, "number of the first frame", "I" },
		{ "size", 's', 0, G_OPTION_ARG_INT, &opt_size, "frame size (default 100)", "BYTES" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout, "receive timeout (default 3000)", "MS" },
		{ "type", 'T', 0, G_OPTION_ARG_STRING, &opt_type, "message type", "TYPE" },
		{ "seq", 0, 0, G_OPTION_ARG_INT64, &opt_seq, "sequence", "S" },
		{ "vni", 0, 0, G_OPTION_ARG_INT, &opt_vni, "VNI instead of the UUID's", "V" },
		{ "save", 0, 0, G_OPTION_ARG_FILENAME, &opt_save, "save the datagram", "FILE" },
		{ "raw", 0, 0, G_OPTION_ARG_FILENAME, &opt_raw, "send this saved datagram", "FILE" },
		{ "abort", 0, 0, G_OPTION_ARG_NONE, &opt_abort, "src: send ABORTED after the frames", NULL },
		{ "no-ack", 0, 0, G_OPTION_ARG_NONE, &opt_no_ack, "dst: do not ACK DRAINED", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("src|dst|msg|frames");
	g_autoptr(GError) err = NULL;
	g_autofree char *k = NULL;
	gsize klen = 0;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &err) || argc != 2)
		die("%s (try --help)", err ? err->message : "one command expected");
	if (opt_uuid && !parse_uuid(opt_uuid))
		die("bad UUID '%s'", opt_uuid);
	if (opt_key) {
		if (!g_file_get_contents(opt_key, &k, &klen, &err) || !klen ||
		    klen > sizeof(key))
			die("key file %s unusable", opt_key);
		memcpy(key, k, klen);
		key_len = klen;
	} else if (strcmp(argv[1], "frames")) {
		die("-k KEY is required");
	}
	if (!strcmp(argv[1], "src"))
		return cmd_src();
	if (!strcmp(argv[1], "dst"))
		return cmd_dst();
	if (!strcmp(argv[1], "msg"))
		return cmd_msg();
	if (!strcmp(argv[1], "frames"))
		return cmd_frames();
	die("unknown command '%s'", argv[1]);
}
