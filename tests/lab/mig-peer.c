// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-peer - plays the QEMUs of a handoff (protocol version 2) for
 * tests/e2e/manager.sh, with real sockets: a control socket at
 * HOST:PORT and one data socket per NIC at HOST:PORT+1+i, so every
 * endpoint it names is the one it sends from.  The protocol side is
 * tests/lab/simqemu.c.  KEY is the VM key (32 raw bytes, `migctl key VM
 * --out KEY`), never the manager's master key.
 *
 *   mig-peer src -k KEY -m CTRL -D DATA -u UUID -n N [--nics K] [--end]
 *                [--abort] [-s SIZE]
 *       the source: SUSPENDING, N numbered frames per NIC to DATA, then
 *       END with the counts (--end) or ABORTED (--abort: receive the
 *       returned frames and the DRAINED).  Prints migration_id=HEX.
 *   mig-peer dst -k KEY -m CTRL -u UUID --migration-id HEX -n N
 *                [--nics K] [-t MS] [--no-ack]
 *       the destination: ACTIVATED, then receive frames (checked: sealed
 *       under the release key, on the right NIC, in order, intact) and
 *       DRAINED (ACKed unless --no-ack) until N per NIC and DRAINED came
 *       or MS passed (-n 0: until the answer to ACTIVATED).
 *   mig-peer msg -k KEY -m CTRL -u UUID -T TYPE [--save FILE] [--raw FILE]
 *                [--send-port P]
 *       one control message (suspending|activated|aborted|end), or the
 *       saved datagram FILE again (a replay; give the same --port);
 *       --send-port sends it from another port than the one it names.
 *       Prints the migration id and the ACK status or "none".
 *   mig-peer frames -D DATA (-u UUID | --vni V) -n N [--peer-key FILE]
 *       N frames that no QEMU sent: sealed under a random key, or under a
 *       redirect peer's key (--peer-key, `migctl key --peer NAME`).
 *
 * Common: --host A.B.C.D (default 127.0.0.1), --port P (the control
 * port; 0 = any), --first I (number of the first frame).  Prints one
 * line of key=value pairs; exits 0 unless a socket or a file failed (the
 * test script judges the values).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "simqemu.h"
#include "lab-util.h"
#include "wire.h"

static char *opt_key, *opt_ctrl, *opt_data, *opt_uuid, *opt_type, *opt_mid;
static char *opt_save, *opt_raw, *opt_peer_key, *opt_host = "127.0.0.1";
static int opt_n, opt_size = 100, opt_timeout = 3000, opt_vni, opt_first;
static int opt_nics = 1, opt_port, opt_send_port;
static gboolean opt_abort, opt_no_ack, opt_end;

static struct simq q;
static int cfd, dfd[HANDOFF_MAX_NICS];
static struct sockaddr_in ctrl_addr, data_addr;

/* A UDP socket at HOST:@port (0 = any); its port. */
static int udp_socket(int port, uint16_t *bound)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), v = 4 << 20;

	if (inet_pton(AF_INET, opt_host, &a.sin_addr) != 1)
		lab_die("--host '%s' is not an IPv4 address", opt_host);
	a.sin_port = htons((uint16_t)port);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		lab_die("socket %s:%d: %s", opt_host, port, g_strerror(errno));
	if (bound)
		*bound = ntohs(a.sin_port);
	return fd;
}

static bool parse_hex(const char *s, uint8_t *out, size_t n)
{
	if (!s || strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!g_ascii_isxdigit(s[2 * i]) || !g_ascii_isxdigit(s[2 * i + 1]))
			return false;
		out[i] = (uint8_t)(g_ascii_xdigit_value(s[2 * i]) << 4 |
				   g_ascii_xdigit_value(s[2 * i + 1]));
	}
	return true;
}

static bool parse_uuid(const char *s, uint8_t *uuid)
{
	g_autofree char *hex = NULL;
	g_auto(GStrv) parts = s ? g_strsplit(s, "-", -1) : NULL;

	if (!parts)
		return false;
	hex = g_strjoinv("", parts);
	return parse_hex(hex, uuid, HANDOFF_UUID_LEN);
}

static void read_key(const char *path, uint8_t *key)
{
	g_autofree char *k = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &k, &len, NULL) || len != HANDOFF_KEY_LEN)
		lab_die("key file %s: expected %d raw bytes", path, HANDOFF_KEY_LEN);
	memcpy(key, k, HANDOFF_KEY_LEN);
}

/* The QEMU of -u with its sockets bound: control at --port, NICs after. */
static void setup_qemu(void)
{
	uint8_t uuid[HANDOFF_UUID_LEN], key[HANDOFF_KEY_LEN];
	uint16_t port;
	char name[32];

	if (!parse_uuid(opt_uuid, uuid))
		lab_die("-u UUID is required (got '%s')", opt_uuid ? opt_uuid : "");
	if (opt_nics < 1 || opt_nics > HANDOFF_MAX_NICS)
		lab_die("--nics must be 1..%d", HANDOFF_MAX_NICS);
	if (!opt_key)
		lab_die("-k KEY is required");
	read_key(opt_key, key);
	g_snprintf(name, sizeof(name), "e2e-%02x%02x", uuid[14], uuid[15]);
	cfd = udp_socket(opt_port, &port);
	simq_init_vm_key(&q, key, uuid, name, (unsigned int)opt_nics, opt_host, port);
	for (int i = 0; i < opt_nics; i++) {
		uint16_t p;

		dfd[i] = udp_socket(opt_port ? opt_port + 1 + i : 0, &p);
		q.nics[i].ep.port = p;
	}
	if (opt_mid && !parse_hex(opt_mid, q.migration_id, HANDOFF_ID_LEN))
		lab_die("--migration-id must be %d hex digits", 2 * HANDOFF_ID_LEN);
	if (opt_ctrl)
		lab_ipv4(opt_ctrl, &ctrl_addr);
	if (opt_data)
		lab_ipv4(opt_data, &data_addr);
}

static void ack(uint64_t seq, const struct sockaddr_in *to)
{
	uint8_t buf[HANDOFF_MAX_LEN];
	int n = simq_ack(&q, seq, buf);

	sendto(cfd, buf, (size_t)n, 0, (const struct sockaddr *)to, sizeof(*to));
}

/*
 * Wait up to @ms for an ACK of @seq; a DRAINED on the way is ACKed and
 * counted in *@drained (if not NULL).
 */
static const char *wait_ack(uint64_t seq, int ms, int *drained)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	for (;;) {
		int left = (int)((end - g_get_monotonic_time()) / 1000);
		struct pollfd p = { .fd = cfd, .events = POLLIN };
		uint8_t buf[2048];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		HandoffMsg a;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			return "none";
		n = recvfrom(cfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0 || handoff_msg_decode(buf, (size_t)n, q.key, HANDOFF_KEY_LEN,
						 &a) != HANDOFF_OK)
			continue;
		if (a.type == HANDOFF_MSG_ACK && a.acked_sequence == seq)
			return handoff_status_name(a.status);
		if (a.type == HANDOFF_MSG_DRAINED && drained) {
			(*drained)++;
			ack(a.sequence, &from);
		}
	}
}

/* Send @buf (retransmitted as QEMU does, docs/protocol.md) for its ACK. */
static const char *request(const uint8_t *buf, int len, int *drained)
{
	static const int delays[] = { 50, 100, 200, 400, 800 };
	HandoffMsg m;

	if (handoff_msg_decode(buf, (size_t)len, q.key, HANDOFF_KEY_LEN, &m))
		lab_die("cannot decode my own message");
	if (opt_save && !g_file_set_contents(opt_save, (const char *)buf, len, NULL))
		lab_die("cannot write %s", opt_save);
	for (unsigned int i = 0; i < G_N_ELEMENTS(delays); i++) {
		const char *st;

		sendto(cfd, buf, (size_t)len, 0, (struct sockaddr *)&ctrl_addr,
		       sizeof(ctrl_addr));
		st = wait_ack(m.sequence, delays[i], drained);
		if (strcmp(st, "none"))
			return st;
	}
	return "none";
}

static char *hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return out;
}

/* N frames per NIC, round robin, each from its NIC's socket. */
static void send_frames(void)
{
	uint8_t pkt[HANDOFF_FRAME_HDR_LEN + 9000];

	if (opt_size < 22 || opt_size > 9000)
		lab_die("-s must be 22..9000");
	for (int i = 0; i < opt_n; i++) {
		for (int k = 0; k < opt_nics; k++) {
			int len = simq_frame(&q, (unsigned int)k, (uint32_t)(opt_first + i),
					     (size_t)opt_size, pkt);

			if (sendto(dfd[k], pkt, (size_t)len, 0,
				   (struct sockaddr *)&data_addr, sizeof(data_addr)) < 0)
				lab_die("send: %s", g_strerror(errno));
		}
		if (i % 64 == 63)
			g_usleep(200); /* loopback: do not overrun the receiver */
	}
}

/* What a QEMU received: frames checked per NIC. */
struct rx_report {
	int frames;
	int per_nic[HANDOFF_MAX_NICS];
	int64_t next[HANDOFF_MAX_NICS];
	int out_of_order;
	int bad;       /* not authentic, replayed, not for this VM */
	int corrupt;   /* authentic but altered inside */
	int wrong_nic; /* a frame of NIC j on NIC i's socket */
	gint64 last_us;
};

static void rx_init(struct rx_report *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < HANDOFF_MAX_NICS; i++)
		r->next[i] = opt_first;
}

static void rx_frame(struct rx_report *r, int sock, const uint8_t *pkt, size_t n)
{
	unsigned int nic;
	uint32_t num;
	int err = simq_open(&q, pkt, n, &nic, &num);

	if (err == HANDOFF_ERR_MALFORMED) {
		r->corrupt++;
		return;
	}
	if (err) {
		r->bad++;
		return;
	}
	if ((int)nic != sock)
		r->wrong_nic++;
	if (num != r->next[nic])
		r->out_of_order++;
	r->next[nic] = (int64_t)num + 1;
	r->per_nic[nic]++;
	r->frames++;
	r->last_us = g_get_monotonic_time();
}

static void rx_drain(struct rx_report *r, int flags)
{
	uint8_t pkt[65536];
	ssize_t n;

	for (int k = 0; k < opt_nics; k++)
		while ((n = recv(dfd[k], pkt, sizeof(pkt), flags)) > 0)
			rx_frame(r, k, pkt, (size_t)n);
}

static void print_rx(const struct rx_report *r, const char *what)
{
	printf(" %s=%d out_of_order=%d bad=%d corrupt=%d wrong_nic=%d", what,
	       r->frames, r->out_of_order, r->bad, r->corrupt, r->wrong_nic);
	for (int k = 0; k < opt_nics; k++)
		printf(" nic%d=%d", k, r->per_nic[k]);
}

static int cmd_src(void)
{
	uint8_t buf[HANDOFF_MAX_LEN];
	char id[2 * HANDOFF_ID_LEN + 1];

	setup_qemu();
	printf("migration_id=%s", hex(q.migration_id, HANDOFF_ID_LEN, id));
	printf(" suspending=%s", request(buf, simq_suspending(&q, buf), NULL));
	send_frames();
	printf(" sent=%d", opt_n * opt_nics);
	if (opt_end)
		printf(" end=%s", request(buf, simq_end(&q, buf), NULL));
	if (opt_abort) {
		struct rx_report r;
		int drained = 0;
		gint64 end;

		rx_init(&r);
		printf(" aborted=%s", request(buf, simq_aborted(&q, buf), &drained));
		end = g_get_monotonic_time() + opt_timeout * 1000;
		while (r.frames < opt_n * opt_nics || !drained) {
			int left = (int)((end - g_get_monotonic_time()) / 1000);
			struct pollfd p[HANDOFF_MAX_NICS + 1];

			p[0] = (struct pollfd){ .fd = cfd, .events = POLLIN };
			for (int k = 0; k < opt_nics; k++)
				p[k + 1] = (struct pollfd){ .fd = dfd[k], .events = POLLIN };
			if (left <= 0 || poll(p, (nfds_t)opt_nics + 1, left) <= 0)
				break;
			rx_drain(&r, MSG_DONTWAIT);
			if (p[0].revents & POLLIN)
				wait_ack(0, 1, &drained);
		}
		print_rx(&r, "returned");
		printf(" drained=%s", drained ? "yes" : "no");
	}
	printf("\n");
	return 0;
}

/* A DRAINED for the destination: counts, ACKs it, notes when it came. */
struct drained_report {
	int count, repeats, before;
	uint64_t seq, frames;
	gint64 at_us;
};

static void dst_control(struct rx_report *r, struct drained_report *d,
			uint64_t act_seq, const char **status)
{
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	HandoffMsg m;
	ssize_t n = recvfrom(cfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

	if (n <= 0 || handoff_msg_decode(buf, (size_t)n, q.key, HANDOFF_KEY_LEN, &m))
		return;
	if (m.type == HANDOFF_MSG_ACK && m.acked_sequence == act_seq) {
		*status = handoff_status_name(m.status);
		return;
	}
	if (m.type != HANDOFF_MSG_DRAINED ||
	    memcmp(m.migration_id, q.migration_id, HANDOFF_ID_LEN))
		return;
	if (d->count && m.sequence == d->seq)
		d->repeats++;
	if (!d->count) {
		/* Frames sent before the DRAINED are in the NIC sockets. */
		rx_drain(r, MSG_DONTWAIT);
		d->seq = m.sequence;
		for (unsigned int i = 0; i < m.n_frames; i++)
			d->frames += m.frames[i].frames;
		d->before = r->frames;
		d->at_us = g_get_monotonic_time();
	}
	d->count++;
	if (!opt_no_ack)
		ack(m.sequence, &from);
}

static int cmd_dst(void)
{
	static const int delays[] = { 50, 100, 200, 400, 800 };
	uint8_t act[HANDOFF_MAX_LEN];
	struct rx_report r;
	struct drained_report d = { 0 };
	const char *status = "none";
	gint64 start, end, next_tx, ack_us = 0;
	unsigned int tx = 0;
	HandoffMsg m;
	int len;

	setup_qemu();
	rx_init(&r);
	len = simq_activated(&q, act);
	handoff_msg_decode(act, (size_t)len, q.key, HANDOFF_KEY_LEN, &m);
	start = g_get_monotonic_time();
	end = start + opt_timeout * 1000;
	next_tx = start;
	while (r.frames < opt_n * opt_nics || !d.count || !strcmp(status, "none")) {
		gint64 now = g_get_monotonic_time();

		if (!opt_n && strcmp(status, "none"))
			break; /* -n 0: only the answer to ACTIVATED */
		int left = (int)((MIN(end, next_tx) - now) / 1000);
		struct pollfd p[HANDOFF_MAX_NICS + 1];

		if (now >= end)
			break;
		if (!strcmp(status, "none") && now >= next_tx && tx < G_N_ELEMENTS(delays)) {
			sendto(cfd, act, (size_t)len, 0, (struct sockaddr *)&ctrl_addr,
			       sizeof(ctrl_addr));
			next_tx = now + delays[tx++] * 1000;
			continue;
		}
		if (strcmp(status, "none") || tx == G_N_ELEMENTS(delays))
			left = (int)((end - now) / 1000);
		p[0] = (struct pollfd){ .fd = cfd, .events = POLLIN };
		for (int k = 0; k < opt_nics; k++)
			p[k + 1] = (struct pollfd){ .fd = dfd[k], .events = POLLIN };
		if (poll(p, (nfds_t)opt_nics + 1, MAX(left, 1)) <= 0)
			continue;
		rx_drain(&r, MSG_DONTWAIT);
		if (p[0].revents & POLLIN) {
			dst_control(&r, &d, m.sequence, &status);
			if (!ack_us && strcmp(status, "none"))
				ack_us = g_get_monotonic_time();
		}
	}
	printf("activated=%s ack_ms=%.1f", status,
	       ack_us ? (double)(ack_us - start) / 1000.0 : -1.0);
	print_rx(&r, "frames");
	printf(" drained=%s drained_frames=%" G_GUINT64_FORMAT
	       " before_drained=%d drained_repeats=%d drained_after_last_ms=%.1f\n",
	       d.count ? "yes" : "no", d.frames, d.before, d.repeats,
	       d.count && r.last_us ? (double)(d.at_us - r.last_us) / 1000.0 : -1.0);
	return 0;
}

static int cmd_msg(void)
{
	uint8_t buf[HANDOFF_MAX_LEN];
	char id[2 * HANDOFF_ID_LEN + 1];
	int len;

	setup_qemu();
	printf("migration_id=%s ", hex(q.migration_id, HANDOFF_ID_LEN, id));
	if (opt_raw) {
		g_autofree char *raw = NULL;
		gsize n;
		HandoffMsg m;

		if (!g_file_get_contents(opt_raw, &raw, &n, NULL) || n > sizeof(buf) ||
		    handoff_msg_decode((uint8_t *)raw, n, q.key, HANDOFF_KEY_LEN, &m))
			lab_die("cannot read a valid message from %s", opt_raw);
		sendto(cfd, raw, n, 0, (struct sockaddr *)&ctrl_addr, sizeof(ctrl_addr));
		printf("ack=%s\n", wait_ack(m.sequence, 300, NULL));
		return 0;
	}
	if (!g_strcmp0(opt_type, "suspending"))
		len = simq_suspending(&q, buf);
	else if (!g_strcmp0(opt_type, "activated"))
		len = simq_activated(&q, buf);
	else if (!g_strcmp0(opt_type, "aborted"))
		len = simq_aborted(&q, buf);
	else if (!g_strcmp0(opt_type, "end"))
		len = simq_end(&q, buf);
	else
		lab_die("-T suspending|activated|aborted|end");
	if (opt_send_port) {
		/* The same message from another port than the one it names. */
		HandoffMsg m;
		int other;

		handoff_msg_decode(buf, (size_t)len, q.key, HANDOFF_KEY_LEN, &m);
		other = udp_socket(opt_send_port, NULL);
		sendto(other, buf, (size_t)len, 0, (struct sockaddr *)&ctrl_addr,
		       sizeof(ctrl_addr));
		printf("ack=%s\n", wait_ack(m.sequence, 300, NULL));
		return 0;
	}
	printf("ack=%s\n", request(buf, len, NULL));
	return 0;
}

/* Frames no QEMU sent: a random key, or a redirect peer's. */
static int cmd_frames(void)
{
	uint8_t key[HANDOFF_KEY_LEN], uuid[HANDOFF_UUID_LEN] = { 0 };
	uint8_t pkt[HANDOFF_FRAME_HDR_LEN + 9000], f[9000];
	uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 0 };
	int fd = udp_socket(opt_port, NULL);
	uint32_t vni;

	if (!opt_data)
		lab_die("-D DATA is required");
	lab_ipv4(opt_data, &data_addr);
	if (!opt_vni && !parse_uuid(opt_uuid, uuid))
		lab_die("-u UUID or --vni V is required");
	mac[4] = uuid[15];
	vni = opt_vni ? (uint32_t)opt_vni : handoff_vni(uuid, mac);
	if (opt_peer_key) {
		uint8_t pk[HANDOFF_KEY_LEN];

		read_key(opt_peer_key, pk);
		handoff_flow_key(pk, HANDOFF_FLOW_REDIRECT, NULL, NULL, vni, key);
	} else {
		for (unsigned int i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)g_random_int();
	}
	if (opt_size < 22 || opt_size > 9000)
		lab_die("-s must be 22..9000");
	for (int i = 0; i < opt_n; i++) {
		uint32_t num = (uint32_t)(opt_first + i);
		/* Redirect peers number their frames with their clock. */
		uint64_t seq = (uint64_t)g_get_real_time() + (uint64_t)i;
		int len;

		memset(f, 0, sizeof(f));
		memcpy(f, mac, 6);
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
		f[14] = (uint8_t)(num >> 24);
		f[15] = (uint8_t)(num >> 16);
		f[16] = (uint8_t)(num >> 8);
		f[17] = (uint8_t)num;
		for (int j = 18; j < opt_size; j++)
			f[j] = (uint8_t)(num * 7 + (uint32_t)j);
		len = handoff_frame_seal(key, vni, seq, f, (size_t)opt_size, pkt, sizeof(pkt));
		if (len < 0)
			lab_die("seal: %s", handoff_strerror(len));
		if (sendto(fd, pkt, (size_t)len, 0, (struct sockaddr *)&data_addr,
			   sizeof(data_addr)) < 0)
			lab_die("send: %s", g_strerror(errno));
	}
	printf("sent=%d\n", opt_n);
	return 0;
}

int main(int argc, char **argv)
{
	GOptionEntry entries[] = {
		{ "key", 'k', 0, G_OPTION_ARG_FILENAME, &opt_key, "VM key file (32 bytes)", "FILE" },
		{ "control", 'm', 0, G_OPTION_ARG_STRING, &opt_ctrl, "manager control address", "IP:PORT" },
		{ "data", 'D', 0, G_OPTION_ARG_STRING, &opt_data, "manager data address", "IP:PORT" },
		{ "uuid", 'u', 0, G_OPTION_ARG_STRING, &opt_uuid, "VM UUID", "UUID" },
		{ "nics", 0, 0, G_OPTION_ARG_INT, &opt_nics, "NICs (default 1)", "K" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &opt_host, "address of its sockets", "A.B.C.D" },
		{ "port", 0, 0, G_OPTION_ARG_INT, &opt_port, "control port (NICs after it)", "P" },
		{ "migration-id", 0, 0, G_OPTION_ARG_STRING, &opt_mid, "the source's migration id", "HEX" },
		{ "count", 'n', 0, G_OPTION_ARG_INT, &opt_n, "frames per NIC", "N" },
		{ "first", 0, 0, G_OPTION_ARG_INT, &opt_first, "number of the first frame", "I" },
		{ "size", 's', 0, G_OPTION_ARG_INT, &opt_size, "frame size (default 100)", "BYTES" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout, "receive timeout (default 3000)", "MS" },
		{ "type", 'T', 0, G_OPTION_ARG_STRING, &opt_type, "message type", "TYPE" },
		{ "vni", 0, 0, G_OPTION_ARG_INT, &opt_vni, "frames: this VNI", "V" },
		{ "peer-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_peer_key, "frames: a redirect peer's key", "FILE" },
		{ "save", 0, 0, G_OPTION_ARG_FILENAME, &opt_save, "save the datagram", "FILE" },
		{ "raw", 0, 0, G_OPTION_ARG_FILENAME, &opt_raw, "send this saved datagram", "FILE" },
		{ "send-port", 0, 0, G_OPTION_ARG_INT, &opt_send_port, "msg: send from this port", "P" },
		{ "end", 0, 0, G_OPTION_ARG_NONE, &opt_end, "src: END after the frames", NULL },
		{ "abort", 0, 0, G_OPTION_ARG_NONE, &opt_abort, "src: ABORTED after the frames", NULL },
		{ "no-ack", 0, 0, G_OPTION_ARG_NONE, &opt_no_ack, "dst: do not ACK DRAINED", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("src|dst|msg|frames");
	g_autoptr(GError) err = NULL;

	g_set_prgname("mig-peer");
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &err) || argc != 2)
		lab_die("%s (try --help)", err ? err->message : "one command expected");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "src"))
		return cmd_src();
	if (!strcmp(argv[1], "dst"))
		return cmd_dst();
	if (!strcmp(argv[1], "msg"))
		return cmd_msg();
	if (!strcmp(argv[1], "frames"))
		return cmd_frames();
	lab_die("unknown command '%s'", argv[1]);
}
