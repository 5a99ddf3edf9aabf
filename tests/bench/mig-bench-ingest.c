// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-bench-ingest - micro-benchmark of mig-manager's data path on
 * loopback, protocol version 2 (sealed Geneve frames), in one run:
 *
 *   1. plain sink: a sender thread blasts N sealed frames at full speed
 *      (sendmmsg) to a socket read by a plain recvmmsg loop that looks at
 *      nothing;
 *   2. manager ingest: the same frames, the socket read by the manager's
 *      own receive path (udp_rx_batch() -> mgr_data_input(): parse,
 *      flow lookup, HMAC-SHA256 check, anti-replay window, queue) for a
 *      suspended VM whose source QEMU is simulated (tests/lab/simqemu.c);
 *   (1 and 2 alternate ROUNDS times; rates are frames received per second
 *   between the first and the last frame, the ratio is the median's)
 *   3. release: after an ACTIVATED the frames the manager holds are
 *      sealed again and released unpaced (mgr_poll() + sendmmsg) to a
 *      sink socket;
 *   4. memory: the queue's accounted memory and the process RSS growth
 *      against the payload bytes held.
 *
 *   mig-bench-ingest [-n FRAMES] [-s FRAME_BYTES] [-r ROUNDS]
 *
 * The table-scale benchmark (100 000 VMs) is mig-bench-table.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "bench-util.h"
#include "internal.h"
#include "simqemu.h"
#include "udp.h"
#include "wire.h"

static int n_frames = 200000, frame_size = 1000, rounds = 3;
static const uint8_t uuid[16] = { 0xbe, 0x4c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
static const uint8_t master[32] = "bench-master-key-bench-master-k";

static double now_s(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static int udp(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), v = 8 << 20;
	socklen_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (bind(fd, (struct sockaddr *)a, sizeof(*a)) ||
	    getsockname(fd, (struct sockaddr *)a, &len)) {
		perror("socket");
		exit(1);
	}
	return fd;
}

/* The pre-sealed frames of one round, and who sends them. */
struct sender {
	int fd;
	struct sockaddr_in to;
	uint8_t *pkts;
	size_t pkt_len;
	int sent;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	struct mmsghdr msgs[64];
	struct iovec iov[64];

	for (s->sent = 0; s->sent < n_frames;) {
		int k = MIN(64, n_frames - s->sent), r;

		for (int i = 0; i < k; i++) {
			iov[i].iov_base = s->pkts + (size_t)(s->sent + i) * s->pkt_len;
			iov[i].iov_len = s->pkt_len;
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &s->to;
			msgs[i].msg_hdr.msg_namelen = sizeof(s->to);
		}
		r = sendmmsg(s->fd, msgs, (unsigned int)k, 0);
		if (r > 0)
			s->sent += r;
	}
	return NULL;
}

struct rx_result {
	long frames;
	double first, last;
};

/* Receive until 300 ms of silence; @m NULL = plain sink. */
static struct rx_result receive(int fd, struct mgr *m, struct udp_rx *rx)
{
	struct rx_result r = { 0 };
	static uint8_t bufs[64][HANDOFF_FRAME_HDR_LEN + 9000];
	struct mmsghdr msgs[64];
	struct iovec iov[64];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		if (poll(&p, 1, r.frames ? 300 : 5000) <= 0)
			break;
		if (m) {
			n = udp_rx_batch(m, rx, fd, false);
		} else {
			for (int i = 0; i < 64; i++) {
				iov[i].iov_base = bufs[i];
				iov[i].iov_len = sizeof(bufs[i]);
				memset(&msgs[i], 0, sizeof(msgs[i]));
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
			n = recvmmsg(fd, msgs, 64, MSG_DONTWAIT, NULL);
		}
		if (n <= 0)
			continue;
		if (!r.frames)
			r.first = now_s();
		r.frames += n;
		r.last = now_s();
	}
	return r;
}

static double rate(const struct rx_result *r)
{
	return r->last > r->first ? (double)r->frames / (r->last - r->first) : 0;
}

struct sink_arg {
	int fd;
	struct rx_result res;
};

static void *sink_thread(void *arg)
{
	struct sink_arg *a = arg;

	a->res = receive(a->fd, NULL, NULL);
	return NULL;
}

static void control(struct mgr *m, struct simq *q, int (*build)(struct simq *, uint8_t *))
{
	uint8_t buf[HANDOFF_MAX_LEN];
	struct mig_addr from;
	int n = build(q, buf);

	addr_from_endpoint(&q->control, &from);
	mgr_control_input(m, buf, (size_t)n, &from);
	mgr_outbox_done(m, m->n_out);
}

/*
 * A core with the VM suspended; its source QEMU's NIC sends from @src
 * (the sender socket's address).  Seals this round's frames into s->pkts.
 */
static struct mgr *new_core(struct mgr_config *cfg, struct simq *q,
			    const struct sockaddr_in *src, struct sender *s)
{
	g_autoptr(GError) err = NULL;
	struct mgr *m = mgr_new(cfg, &err);

	if (!m) {
		fprintf(stderr, "mig-bench-ingest: %s\n", err->message);
		exit(1);
	}
	simq_init(q, master, sizeof(master), uuid, "bench", 1, "127.0.0.1", 1);
	q->nics[0].ep.port = ntohs(src->sin_port);
	control(m, q, simq_suspending);
	for (int i = 0; i < n_frames; i++)
		simq_frame(q, 0, (uint32_t)i, (size_t)frame_size,
			   s->pkts + (size_t)i * s->pkt_len);
	return m;
}

static void release(struct mgr *m, struct mig_vm *vm)
{
	struct sockaddr_in a;
	int sink = udp(&a), out = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned int held = vm_queued(vm);
	struct sink_arg sa = { .fd = sink };
	struct simq dst;
	double t0, t1;
	pthread_t t;

	/* The destination QEMU: its NIC's inject endpoint is the sink. */
	simq_init(&dst, master, sizeof(master), uuid, "bench", 1, "127.0.0.1", 2);
	memcpy(dst.migration_id, vm->migration_id, HANDOFF_ID_LEN);
	dst.nics[0].ep.port = ntohs(a.sin_port);
	pthread_create(&t, NULL, sink_thread, &sa);
	t0 = now_s();
	control(m, &dst, simq_activated);
	while (vm_queued(vm)) {
		mgr_poll(m);
		while (!udp_send_outbox(m, out, out))
			;
	}
	t1 = now_s();
	pthread_join(t, NULL);
	printf("release: %u frames in %.3f s = %.0f frames/s unpaced, each sealed under the destination's key (sink caught %ld; with pace-pps the rate is the configured one)\n",
	       held, t1 - t0, held / (t1 - t0), sa.res.frames);
	close(sink);
	close(out);
}

static void memory(struct mgr *m, struct mig_vm *vm, long rss0, long rss1)
{
	uint64_t payload = vm_queued_bytes(vm), mem = vm_queue_mem(vm);
	double acc = (double)mem / (double)payload - 1.0;
	double rss = (double)(rss1 - rss0) * 1024 / (double)payload - 1.0;

	(void)m;
	printf("memory: %u frames, %" G_GUINT64_FORMAT " payload bytes held; queue memory %" G_GUINT64_FORMAT " (+%.1f%%); process RSS growth %ld KiB (%+.1f%% over payload, includes the 8 MiB receive buffers); target <= 10%%\n",
	       vm_queued(vm), payload, mem, 100 * acc, rss1 - rss0, 100 * rss);
}

static void parse_args(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "n:s:r:")) != -1) {
		if (opt == 'n')
			n_frames = atoi(optarg);
		else if (opt == 's')
			frame_size = atoi(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else {
			fprintf(stderr, "usage: mig-bench-ingest [-n FRAMES] [-s FRAME_BYTES] [-r ROUNDS]\n");
			exit(2);
		}
	}
	if (n_frames < 1000 || frame_size < 18 || frame_size > 8900 ||
	    rounds < 1 || rounds > 16) {
		fprintf(stderr, "mig-bench-ingest: -n >= 1000, -s 18..8900, -r 1..16\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct mgr_config cfg;
	double ratios[16], sink_r[16], mgr_r[16];
	struct rx_result last_sink = { 0 }, last_mgr = { 0 };
	struct mgr *m = NULL;
	struct udp_rx *rx = udp_rx_new(65536);
	struct sender s = { 0 };
	struct simq q;
	long rss0 = 0, rss1 = 0;

	parse_args(argc, argv);
	config_defaults(&cfg);
	memcpy(cfg.key, master, sizeof(master));
	cfg.key_len = sizeof(master);
	g_clear_pointer(&cfg.state_file, g_free);
	cfg.max_packets = 1u << 30;
	cfg.max_bytes = UINT64_C(1) << 40;
	cfg.memory_cap = UINT64_C(1) << 40;
	cfg.max_age_ms = 0;
	cfg.pace_pps = 0;
	g_log_set_writer_func((GLogWriterFunc)g_log_writer_default, NULL, NULL);
	g_log_set_debug_enabled(FALSE);
	s.pkt_len = HANDOFF_FRAME_HDR_LEN + (size_t)frame_size;
	s.pkts = g_malloc((size_t)n_frames * s.pkt_len);

	printf("mig-bench-ingest: %d sealed frames of %d bytes per run, %d rounds, loopback\n",
	       n_frames, frame_size, rounds);
	for (int r = 0; r < rounds; r++) {
		for (int phase = 0; phase < 2; phase++) {
			struct sockaddr_in a, from;
			int fd = udp(&a);
			pthread_t t;
			struct rx_result res;

			s.fd = udp(&from);
			s.to = a;
			if (phase == 1) {
				mgr_free(m);
				rss0 = bench_rss_kb();
			}
			/* Both phases send frames sealed for this round's window. */
			if (phase == 0 || !m) {
				mgr_free(m);
				m = new_core(&cfg, &q, &from, &s);
			}
			pthread_create(&t, NULL, send_thread, &s);
			res = receive(fd, phase ? m : NULL, rx);
			pthread_join(t, NULL);
			close(s.fd);
			close(fd);
			if (phase == 0) {
				sink_r[r] = rate(&res);
				last_sink = res;
				mgr_free(m);
				m = NULL;
			} else {
				mgr_r[r] = rate(&res);
				last_mgr = res;
				rss1 = bench_rss_kb();
			}
		}
		ratios[r] = mgr_r[r] / sink_r[r];
		printf("  round %d: plain sink %.0f frames/s (%ld of %d received), manager ingest %.0f frames/s (%ld received, %" G_GUINT64_FORMAT " verified and buffered): %.1f%%\n",
		       r + 1, sink_r[r], last_sink.frames, n_frames, mgr_r[r],
		       last_mgr.frames, m->st.c[CTR_FRAMES_BUFFERED], 100 * ratios[r]);
	}
	qsort(ratios, (size_t)rounds, sizeof(double), bench_cmp_double);
	printf("ingest: manager / plain sink = %.1f%% (median of %d rounds; target >= 90%%)\n",
	       100 * ratios[rounds / 2], rounds);
	{
		struct mig_vm *vm = vmtable_by_uuid(m->vms, uuid);

		memory(m, vm, rss0, rss1);
		release(m, vm);
	}
	mgr_free(m);
	config_clear(&cfg);
	udp_rx_free(rx);
	g_free(s.pkts);
	return 0;
}
