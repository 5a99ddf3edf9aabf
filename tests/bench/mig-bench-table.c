// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mig-bench-table - micro-benchmark of mig-manager's core against the
 * size of its VM table (issue 15): with T VMs in the table (T - W of
 * them registered and idle, W with a window open at once), the cost of
 *
 *   - a data frame (mgr_data_input(): parse, flow lookup, HMAC check,
 *     anti-replay, queue), spread over the W open windows;
 *   - a control event (mgr_control_input() of ACTIVATED, END and the ACK
 *     of DRAINED, HMAC and state change included);
 *   - a released frame (mgr_poll() sealing and queuing it for sending);
 *   - an idle mgr_poll() (nothing due: the timer heap's first entry);
 *
 * and the memory a VM entry takes (accounted, and process RSS growth).
 * No socket is used: datagrams of simulated QEMUs (tests/lab/simqemu.c)
 * go straight into the core, with the real clock.
 *
 *   mig-bench-table [-t T1,T2,...] [-w W] [-f FRAMES-PER-WINDOW] [-r ROUNDS]
 *
 * Defaults: -t 1000,100000 -w 1000 -f 100 -r 3; the cost ratios of the
 * largest table to the smallest are printed last (target <= 1.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "bench-util.h"
#include "internal.h"
#include "simqemu.h"
#include "wire.h"

static const uint8_t master[32] = "table-bench-master-key-table-be";
static int windows = 1000, per_window = 100, rounds = 3;

/* What one round measures (struct costs .v[]). */
enum { FRAME_NS, EVENT_NS, RELEASE_NS, IDLE_POLL_NS, ENTRY_BYTES, ENTRY_RSS, N_COSTS };

struct costs {
	double v[N_COSTS];
};

static double now_ns(void)
{
	return (double)g_get_monotonic_time() * 1000.0;
}

static void uuid_of(unsigned int i, uint8_t uuid[16])
{
	memset(uuid, 0, 16);
	uuid[0] = 0x7a;
	memcpy(uuid + 8, &i, sizeof(i));
}

static void control(struct mgr *m, struct simq *q, const uint8_t *buf, int n)
{
	struct mig_addr from;

	addr_from_endpoint(&q->control, &from);
	mgr_control_input(m, buf, (size_t)n, &from);
}

/* Registered, idle VMs @first.. @first + @n - 1, one MAC each. */
static void register_idle(struct mgr *m, unsigned int first, unsigned int n)
{
	for (unsigned int i = first; i < first + n; i++) {
		struct mgr_reg r = { .n_macs = 1 };
		char name[32];
		g_autoptr(GError) err = NULL;

		g_snprintf(name, sizeof(name), "idle-%u", i);
		r.name = name;
		uuid_of(i, r.uuid);
		r.macs[0][0] = 0x52;
		memcpy(&r.macs[0][1], &i, sizeof(i));
		if (!mgr_register(m, &r, &err)) {
			fprintf(stderr, "mig-bench-table: register %u: %s\n", i, err->message);
			exit(1);
		}
	}
}

/* Seal @per_window frames for each window, round robin over the VMs. */
static uint8_t *seal_frames(struct simq *src, size_t *pkt_len)
{
	size_t n = (size_t)windows * (size_t)per_window;
	uint8_t *pkts;

	*pkt_len = HANDOFF_FRAME_HDR_LEN + 64;
	pkts = g_malloc(n * *pkt_len);
	for (size_t k = 0; k < n; k++)
		simq_frame(&src[k % (size_t)windows], 0, (uint32_t)(k / (size_t)windows),
			   64, pkts + k * *pkt_len);
	return pkts;
}

static void ack_outbox(struct mgr *m, struct simq *dst)
{
	uint8_t buf[HANDOFF_MAX_LEN];

	for (unsigned int i = 0; i < m->n_out; i++) {
		HandoffMsg d;

		if (m->out[i].sock != MGR_SOCK_CONTROL || !m->out[i].vm)
			continue;
		for (int w = 0; w < windows; w++) {
			if (memcmp(dst[w].uuid, m->out[i].vm->uuid, 16))
				continue;
			if (!handoff_msg_decode(m->out[i].buf, m->out[i].len, dst[w].key,
						HANDOFF_KEY_LEN, &d) &&
			    d.type == HANDOFF_MSG_DRAINED)
				control(m, &dst[w], buf, simq_ack(&dst[w], d.sequence, buf));
			break;
		}
	}
}

/* One round with @total VMs in the table; fills @c. */
static void run(struct mgr_config *cfg, unsigned int total, struct costs *c)
{
	g_autoptr(GError) err = NULL;
	struct mgr *m = mgr_new(cfg, &err);
	struct simq *src = g_new0(struct simq, windows), *dst = g_new0(struct simq, windows);
	uint8_t buf[HANDOFF_MAX_LEN], *pkts;
	size_t pkt_len, n_pkts = (size_t)windows * (size_t)per_window;
	uint64_t mem0, released0, events = 0;
	long rss0;
	double t0;

	if (!m) {
		fprintf(stderr, "mig-bench-table: %s\n", err->message);
		exit(1);
	}
	mem0 = mgr_mem_total(m);
	rss0 = bench_rss_kb();
	register_idle(m, (unsigned int)windows, total - (unsigned int)windows);
	/* W windows open at once: their SUSPENDINGs (not timed). */
	for (int w = 0; w < windows; w++) {
		uint8_t uuid[16];
		char name[32];

		uuid_of(1000000 + (unsigned int)w, uuid);
		g_snprintf(name, sizeof(name), "busy-%d", w);
		simq_init(&src[w], master, sizeof(master), uuid, name, 1, "127.0.0.1", 20000);
		simq_init(&dst[w], master, sizeof(master), uuid, name, 1, "127.0.0.2", 20000);
		memcpy(dst[w].migration_id, src[w].migration_id, HANDOFF_ID_LEN);
		control(m, &src[w], buf, simq_suspending(&src[w], buf));
		mgr_outbox_done(m, m->n_out);
	}
	/* Memory per entry, before any frame is queued. */
	c->v[ENTRY_BYTES] = (double)(mgr_mem_total(m) - mem0) / total;
	c->v[ENTRY_RSS] = (double)(bench_rss_kb() - rss0) * 1024 / total;
	pkts = seal_frames(src, &pkt_len);
	{
		struct mig_addr from;

		addr_from_endpoint(&src[0].nics[0].ep, &from); /* all NICs share it */
		t0 = now_ns();
		for (size_t k = 0; k < n_pkts; k++)
			mgr_data_input(m, pkts + k * pkt_len, pkt_len, &from);
		c->v[FRAME_NS] = (now_ns() - t0) / (double)n_pkts;
	}
	if (m->st.c[CTR_FRAMES_BUFFERED] != n_pkts)
		fprintf(stderr, "mig-bench-table: only %" G_GUINT64_FORMAT " of %zu frames buffered\n",
			m->st.c[CTR_FRAMES_BUFFERED], n_pkts);
	/* Idle polls: nothing due (the windows wait for ACTIVATED); the
	 * first poll runs what registration scheduled, untimed. */
	mgr_poll(m);
	t0 = now_ns();
	for (int i = 0; i < 100000; i++)
		mgr_poll(m);
	c->v[IDLE_POLL_NS] = (now_ns() - t0) / 100000;
	/* Events: ACTIVATED and END of every window (ACKs discarded). */
	t0 = now_ns();
	for (int w = 0; w < windows; w++) {
		control(m, &dst[w], buf, simq_activated(&dst[w], buf));
		control(m, &src[w], buf, simq_end(&src[w], buf));
		mgr_outbox_done(m, m->n_out);
		events += 2;
	}
	c->v[EVENT_NS] = (now_ns() - t0) / (double)events;
	/* Release everything: polls seal and queue the frames. */
	released0 = m->st.c[CTR_FRAMES_RELEASED];
	t0 = now_ns();
	while (m->st.c[CTR_FRAMES_RELEASED] - released0 < n_pkts) {
		mgr_poll(m);
		ack_outbox(m, dst);
		mgr_outbox_done(m, m->n_out);
	}
	c->v[RELEASE_NS] = (now_ns() - t0) / (double)n_pkts;
	g_free(pkts);
	g_free(src);
	g_free(dst);
	mgr_free(m);
}

/* Median of @n rounds, cost by cost. */
static void median(const struct costs *r, int n, struct costs *out)
{
	double v[16];

	for (int f = 0; f < N_COSTS; f++) {
		for (int i = 0; i < n; i++)
			v[i] = r[i].v[f];
		qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
		out->v[f] = v[n / 2];
	}
}

int main(int argc, char **argv)
{
	g_auto(GStrv) sizes = g_strsplit("1000,100000", ",", -1);
	struct mgr_config cfg;
	struct costs med[8];
	unsigned int totals[8];
	int n_sizes = 0, opt;

	while ((opt = getopt(argc, argv, "t:w:f:r:")) != -1) {
		if (opt == 't') {
			g_strfreev(sizes);
			sizes = g_strsplit(optarg, ",", -1);
		} else if (opt == 'w') {
			windows = atoi(optarg);
		} else if (opt == 'f') {
			per_window = atoi(optarg);
		} else if (opt == 'r') {
			rounds = atoi(optarg);
		} else {
			fprintf(stderr, "usage: mig-bench-table [-t T1,T2,...] [-w W] [-f FRAMES] [-r ROUNDS]\n");
			return 2;
		}
	}
	for (char **s = sizes; *s && n_sizes < 8; s++)
		totals[n_sizes++] = (unsigned int)strtoul(*s, NULL, 10);
	if (windows < 1 || per_window < 1 || rounds < 1 || rounds > 16 || !n_sizes) {
		fprintf(stderr, "mig-bench-table: bad arguments\n");
		return 2;
	}
	for (int i = 0; i < n_sizes; i++)
		if (totals[i] < (unsigned int)windows) {
			fprintf(stderr, "mig-bench-table: each table size must be at least -w %d\n", windows);
			return 2;
		}
	config_defaults(&cfg);
	memcpy(cfg.key, master, sizeof(master));
	cfg.key_len = sizeof(master);
	g_clear_pointer(&cfg.state_file, g_free);
	cfg.max_vms = 10000000;
	cfg.memory_cap = UINT64_C(1) << 40;
	cfg.pace_pps = 0;
	cfg.max_age_ms = 0;
	g_log_set_writer_func((GLogWriterFunc)g_log_writer_default, NULL, NULL);
	g_log_set_debug_enabled(FALSE);
	printf("mig-bench-table: %d windows open at once, %d frames of 64 bytes each, %d rounds (median)\n",
	       windows, per_window, rounds);
	printf("%10s %10s %10s %12s %12s %14s %12s\n", "table", "frame ns", "event ns",
	       "release ns", "idle poll ns", "entry bytes", "entry RSS");
	for (int i = 0; i < n_sizes; i++) {
		struct costs r[16];

		for (int k = 0; k < rounds; k++)
			run(&cfg, totals[i], &r[k]);
		median(r, rounds, &med[i]);
		printf("%10u %10.0f %10.0f %12.0f %12.0f %14.0f %12.0f\n", totals[i],
		       med[i].v[FRAME_NS], med[i].v[EVENT_NS], med[i].v[RELEASE_NS],
		       med[i].v[IDLE_POLL_NS], med[i].v[ENTRY_BYTES], med[i].v[ENTRY_RSS]);
	}
	if (n_sizes > 1) {
		const struct costs *a = &med[0], *b = &med[n_sizes - 1];

		printf("ratio %u / %u VMs: frame %.2fx, event %.2fx, release %.2fx, idle poll %.2fx (target <= 1.5x)\n",
		       totals[n_sizes - 1], totals[0], b->v[FRAME_NS] / a->v[FRAME_NS],
		       b->v[EVENT_NS] / a->v[EVENT_NS], b->v[RELEASE_NS] / a->v[RELEASE_NS],
		       b->v[IDLE_POLL_NS] / a->v[IDLE_POLL_NS]);
	}
	config_clear(&cfg);
	return 0;
}
