// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-bench-ingest - micro-benchmark of mig-manager's data path on
 * loopback (issue 5 item 7), in one run:
 *
 *   1. plain sink: a sender thread blasts N VXLAN frames at full speed
 *      (sendmmsg) to a socket read by a plain recvmmsg loop;
 *   2. manager ingest: the same sender, the socket read by the manager's
 *      own receive path (udp_rx_batch() -> mgr_data_input() -> queue) for
 *      a suspended VM;
 *   (1 and 2 alternate ROUNDS times; rates are frames received per second
 *   between the first and the last frame, the ratio is the median's)
 *   3. release: the frames the manager holds are released unpaced
 *      (mgr_poll() + sendmmsg) to a sink socket;
 *   4. memory: the queue's accounted memory and the process RSS growth
 *      against the payload bytes held.
 *
 *   mig-bench-ingest [-n FRAMES] [-s FRAME_BYTES] [-r ROUNDS]
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

#include "internal.h"
#include "udp.h"
#include "wire.h"

static int n_frames = 200000, frame_size = 1000, rounds = 3;
static const uint8_t uuid[16] = { 0xbe, 0x4c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
static const uint8_t key[32] = "benchbenchbenchbenchbenchbenchb";

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

struct sender {
	int fd;
	struct sockaddr_in to;
	int sent;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	uint8_t f[9000], pkt[64][9100];
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	int len;

	memset(f, 0xab, sizeof(f));
	memset(f, 0x52, 6);
	len = handoff_vxlan_encap(handoff_vni(uuid), f, (size_t)frame_size,
			  pkt[0], sizeof(pkt[0]));
	for (int i = 0; i < 64; i++) {
		memcpy(pkt[i], pkt[0], (size_t)len);
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = (size_t)len;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &s->to;
		msgs[i].msg_hdr.msg_namelen = sizeof(s->to);
	}
	for (s->sent = 0; s->sent < n_frames;) {
		int k = MIN(64, n_frames - s->sent), r;

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

/* Receive until 300 ms of silence; @mgr NULL = plain sink. */
static struct rx_result receive(int fd, struct mgr *m, struct udp_rx *rx)
{
	struct rx_result r = { 0 };
	static uint8_t bufs[64][2048];
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

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct mgr *new_core(struct mgr_config *cfg)
{
	struct mgr *m = mgr_new(cfg);
	HandoffMsg msg;
	struct mig_addr from;
	uint8_t buf[HANDOFF_MAX_LEN];
	int n;

	memset(&msg, 0, sizeof(msg));
	msg.type = HANDOFF_MSG_SUSPENDING;
	msg.sequence = (uint64_t)g_get_real_time();
	msg.timestamp_us = msg.sequence;
	memcpy(msg.uuid, uuid, 16);
	strcpy(msg.name, "bench");
	msg.n_macs = 1;
	msg.vni = handoff_vni(uuid);
	msg.endpoint.family = 4;
	addr_parse("127.0.0.1:1", &from);
	n = handoff_msg_encode(&msg, key, sizeof(key), buf, sizeof(buf));
	mgr_control_input(m, buf, (size_t)n, &from);
	mgr_outbox_done(m, m->n_out);
	return m;
}

int main(int argc, char **argv)
{
	struct mgr_config cfg;
	double ratios[16], sink_r[16], mgr_r[16];
	struct rx_result last_sink = { 0 }, last_mgr = { 0 };
	struct mgr *m = NULL;
	struct udp_rx *rx = udp_rx_new(65536);
	long rss0 = 0, rss1 = 0;
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
			return 2;
		}
	}
	if (n_frames < 1000 || frame_size < 14 || frame_size > 8900 ||
	    rounds < 1 || rounds > 16) {
		fprintf(stderr, "mig-bench-ingest: -n >= 1000, -s 14..8900, -r 1..16\n");
		return 2;
	}
	config_defaults(&cfg);
	memcpy(cfg.key, key, sizeof(key));
	cfg.key_len = sizeof(key);
	cfg.max_packets = 1u << 30;
	cfg.max_bytes = UINT64_C(1) << 40;
	cfg.memory_cap = UINT64_C(1) << 40;
	cfg.max_age_ms = 0;
	cfg.pace_pps = 0;
	g_log_set_writer_func((GLogWriterFunc)g_log_writer_default, NULL, NULL);
	g_log_set_debug_enabled(FALSE);

	printf("mig-bench-ingest: %d frames of %d bytes per run, %d rounds, loopback\n",
	       n_frames, frame_size, rounds);
	for (int r = 0; r < rounds; r++) {
		for (int phase = 0; phase < 2; phase++) {
			struct sender s;
			struct sockaddr_in a;
			int fd = udp(&a);
			pthread_t t;
			struct rx_result res;

			s.fd = socket(AF_INET, SOCK_DGRAM, 0);
			s.to = a;
			if (phase == 1) {
				mgr_free(m);
				m = NULL;
				rss0 = rss_kb();
				m = new_core(&cfg);
			}
			pthread_create(&t, NULL, send_thread, &s);
			res = receive(fd, phase ? m : NULL, rx);
			pthread_join(t, NULL);
			close(s.fd);
			close(fd);
			if (phase == 0) {
				sink_r[r] = rate(&res);
				last_sink = res;
			} else {
				mgr_r[r] = rate(&res);
				last_mgr = res;
				rss1 = rss_kb();
			}
		}
		ratios[r] = mgr_r[r] / sink_r[r];
		printf("  round %d: plain sink %.0f frames/s (%ld of %d received), manager ingest %.0f frames/s (%ld received, %" G_GUINT64_FORMAT " buffered): %.1f%%\n",
		       r + 1, sink_r[r], last_sink.frames, n_frames, mgr_r[r],
		       last_mgr.frames, m->st.c[CTR_FRAMES_BUFFERED], 100 * ratios[r]);
	}
	qsort(ratios, (size_t)rounds, sizeof(double), cmp_d);
	printf("ingest: manager / plain sink = %.1f%% (median of %d rounds; target >= 90%%)\n",
	       100 * ratios[rounds / 2], rounds);

	/* Memory held by the last manager run's queue. */
	{
		struct mig_vm *vm = vmtable_by_uuid(m->vms, uuid);
		uint64_t payload = queue_bytes(vm->queue);
		double acc = (double)m->mem / (double)payload - 1.0;
		double rss = (double)(rss1 - rss0) * 1024 / (double)payload - 1.0;

		printf("memory: %u frames, %" G_GUINT64_FORMAT " payload bytes held; queue memory %" G_GUINT64_FORMAT " (+%.1f%%); process RSS growth %ld KiB (%+.1f%% over payload, includes the 4 MiB receive buffers); target <= 10%%\n",
		       queue_len(vm->queue), payload, m->mem, 100 * acc,
		       rss1 - rss0, 100 * rss);

		/* Release, unpaced, to a sink thread's socket. */
		{
			struct sockaddr_in a;
			int sink = udp(&a), out = socket(AF_INET, SOCK_DGRAM, 0);
			unsigned int held = queue_len(vm->queue);
			struct mig_addr to;
			char s[64];
			double t0, t1;
			struct rx_result res;
			pthread_t t;

			snprintf(s, sizeof(s), "127.0.0.1:%u", ntohs(a.sin_port));
			addr_parse(s, &to);
			vm->inject = to;
			mgr_activate(m, vm);
			struct sink_arg sa = { .fd = sink };

			pthread_create(&t, NULL, sink_thread, &sa);
			t0 = now_s();
			while (queue_len(vm->queue)) {
				mgr_poll(m);
				while (!udp_send_outbox(m, out, out))
					;
			}
			t1 = now_s();
			pthread_join(t, NULL);
			res = sa.res;
			printf("release: %u frames in %.3f s = %.0f frames/s unpaced (sink caught %ld; with pace-pps the rate is the configured one)\n",
			       held, t1 - t0, held / (t1 - t0), res.frames);
			close(sink);
			close(out);
		}
	}
	mgr_free(m);
	udp_rx_free(rx);
	return 0;
}
