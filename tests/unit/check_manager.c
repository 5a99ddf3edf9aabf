// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_manager - unit tests of the migration manager's core
 * (manager/core.h), protocol version 2: windows (one per migration,
 * nothing inherited), per-NIC queues and keys, END and DRAINED, the
 * release policies, caps and drop accounting, authentication and replay
 * protection (per-VM keys, exact endpoints, sealed frames, start time),
 * early ACTIVATED, ABORTED and the return, redirect peers, expiry,
 * forgetting, the table cap, the state file, the admin JSON and
 * /metrics, all driven with datagrams of simulated QEMUs
 * (tests/lab/simqemu.c) and a fixed clock: no socket is opened.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "admin.h"
#include "config.h"
#include "internal.h"
#include "keys.h"
#include "metrics.h"
#include "simqemu.h"

#define MS 1000
#define SEC (1000 * MS)
#define T0_MONO (1000 * (int64_t)SEC)
#define T0_REAL INT64_C(1700000000000000)

static const uint8_t master[32] = "master-key-of-the-unit-tests-32";
static const uint8_t uuid_a[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t uuid_b[16] = { 0xb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static struct mgr_config cfg;
static struct mgr *m;
static int64_t now_mono, now_real;
static struct simq src, dst, other;

/* --- helpers ---------------------------------------------------------------- */

static void advance(int64_t us)
{
	now_mono += us;
	now_real += us;
	mgr_set_time(m, now_mono, now_real);
	src.now_us = dst.now_us = other.now_us = (uint64_t)now_real;
}

static void new_core(void)
{
	g_autoptr(GError) err = NULL;

	mgr_free(m);
	m = mgr_new(&cfg, &err);
	ck_assert_msg(m, "%s", err ? err->message : "");
	now_mono = T0_MONO;
	now_real = T0_REAL;
	mgr_set_time(m, now_mono, now_real);
	src.now_us = dst.now_us = other.now_us = (uint64_t)now_real;
}

/* Source and destination QEMUs of VM A, @n NICs each, same migration. */
static void qemus(unsigned int n)
{
	simq_init(&src, master, sizeof(master), uuid_a, "vm-a", n, "127.0.0.1", 40000);
	simq_init(&dst, master, sizeof(master), uuid_a, "vm-a", n, "127.0.0.2", 41000);
	memcpy(dst.migration_id, src.migration_id, HANDOFF_ID_LEN);
	simq_init(&other, master, sizeof(master), uuid_b, "vm-b", 1, "127.0.0.1", 42000);
	src.now_us = dst.now_us = other.now_us = (uint64_t)now_real;
}

/* A restart: a new core at the current time (it starts now). */
static void restart_core(void)
{
	g_autoptr(GError) err = NULL;

	mgr_free(m);
	m = mgr_new(&cfg, &err);
	ck_assert_msg(m, "%s", err ? err->message : "");
	mgr_set_time(m, now_mono, now_real);
}

static void setup(void)
{
	config_defaults(&cfg);
	memcpy(cfg.key, master, sizeof(master));
	cfg.key_len = sizeof(master);
	cfg.pace_pps = 0;
	g_clear_pointer(&cfg.state_file, g_free);
	qemus(1);
	new_core();
}

static void teardown(void)
{
	mgr_free(m);
	m = NULL;
	config_clear(&cfg);
}

static void from_ep(const HandoffEndpoint *ep, struct mig_addr *a)
{
	addr_from_endpoint(ep, a);
}

/* Deliver a control datagram of @q (from its control endpoint). */
static void ctl_from(struct simq *q, const uint8_t *buf, int len)
{
	struct mig_addr a;

	from_ep(&q->control, &a);
	mgr_control_input(m, buf, (size_t)len, &a);
}

/* The outbox entry @i decoded as a control message of @q's VM. */
static void out_msg(struct simq *q, unsigned int i, HandoffMsg *msg)
{
	ck_assert_uint_lt(i, m->n_out);
	ck_assert_int_eq(m->out[i].sock, MGR_SOCK_CONTROL);
	ck_assert_int_eq(handoff_msg_decode(m->out[i].buf, m->out[i].len, q->key,
					    HANDOFF_KEY_LEN, msg), HANDOFF_OK);
}

/* Expect exactly one ACK in the outbox, to @q's control endpoint. */
static void expect_ack(struct simq *q, uint16_t status)
{
	struct mig_addr want;
	HandoffMsg ack;

	ck_assert_uint_eq(m->n_out, 1);
	out_msg(q, 0, &ack);
	ck_assert_uint_eq(ack.type, HANDOFF_MSG_ACK);
	ck_assert_uint_eq(ack.acked_sequence, q->seq);
	ck_assert_msg(ack.status == status, "ACK status %s, expected %s",
		      handoff_status_name(ack.status), handoff_status_name(status));
	from_ep(&q->control, &want);
	ck_assert(addr_equal(&m->out[0].to, &want));
	mgr_outbox_done(m, 1);
}

static void suspend(struct simq *q, uint16_t status)
{
	uint8_t buf[HANDOFF_MAX_LEN];

	ctl_from(q, buf, simq_suspending(q, buf));
	expect_ack(q, status);
}

static void activate(struct simq *q, uint16_t status)
{
	uint8_t buf[HANDOFF_MAX_LEN];

	ctl_from(q, buf, simq_activated(q, buf));
	expect_ack(q, status);
}

static void end_window(struct simq *q)
{
	uint8_t buf[HANDOFF_MAX_LEN];

	ctl_from(q, buf, simq_end(q, buf));
	expect_ack(q, HANDOFF_STATUS_OK);
}

/* @n frames of NIC @nic numbered from @first, from the NIC's endpoint. */
static void send_frames(struct simq *q, unsigned int nic, uint32_t first,
			uint32_t n)
{
	uint8_t buf[HANDOFF_FRAME_HDR_LEN + 100];
	struct mig_addr a;

	from_ep(&q->nics[nic].ep, &a);
	for (uint32_t i = 0; i < n; i++) {
		int len = simq_frame(q, nic, first + i, 60, buf);

		mgr_data_input(m, buf, (size_t)len, &a);
	}
}

/*
 * Poll once and take what the outbox holds: frames opened by @to (nums
 * appended to @got, if not NULL), DRAINEDs counted in *@drained (their
 * message in @d), which the caller acknowledges.  Returns the frames.
 */
static unsigned int collect(struct simq *to, GArray *got, unsigned int *drained,
			    HandoffMsg *d)
{
	unsigned int frames = 0;

	mgr_poll(m);
	for (unsigned int i = 0; i < m->n_out; i++) {
		unsigned int nic;
		uint32_t num;

		if (m->out[i].sock == MGR_SOCK_DATA) {
			ck_assert_int_eq(simq_open(to, m->out[i].buf, m->out[i].len,
						   &nic, &num), HANDOFF_OK);
			if (got)
				g_array_append_val(got, num);
			frames++;
			continue;
		}
		ck_assert_ptr_nonnull(drained);
		out_msg(to, i, d);
		ck_assert_uint_eq(d->type, HANDOFF_MSG_DRAINED);
		(*drained)++;
	}
	mgr_outbox_done(m, m->n_out);
	return frames;
}

static void ack_drained(struct simq *q, const HandoffMsg *d)
{
	uint8_t buf[HANDOFF_MAX_LEN];

	ctl_from(q, buf, simq_ack(q, d->sequence, buf));
	ck_assert_uint_eq(m->n_out, 0);
}

static struct mig_vm *vm_a(void)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, uuid_a);

	ck_assert_ptr_nonnull(vm);
	return vm;
}

static uint64_t drops(enum drop_reason r)
{
	return m->st.drops[r];
}

/* Every data datagram was buffered or dropped with one reason. */
static void check_accounting(void)
{
	uint64_t d = 0;

	for (int r = 0; r < DROP_N_REASONS; r++)
		if (r != DROP_FLUSHED && r != DROP_SHUTDOWN && r != DROP_EXPIRED &&
		    r != DROP_NO_DESTINATION && r != DROP_SEND_ERROR &&
		    r != DROP_WINDOW_CLOSED && r < DROP_OUTBOX_FULL)
			d += m->st.drops[r];
	ck_assert_uint_le(m->st.c[CTR_FRAMES_BUFFERED] + d,
			  m->st.c[CTR_DATA_DATAGRAMS] + m->st.drops[DROP_WINDOW_CLOSED]);
}

/* --- one migration ------------------------------------------------------------ */

START_TEST(test_window_release_end_drained)
{
	g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	unsigned int drained = 0;
	HandoffMsg d;

	suspend(&src, HANDOFF_STATUS_OK);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	send_frames(&src, 0, 1, 10);
	ck_assert_uint_eq(vm_queued(vm_a()), 10);
	ck_assert_uint_eq(collect(&dst, got, &drained, &d), 0); /* held */
	activate(&dst, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(collect(&dst, got, &drained, &d), 10);
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_uint_eq(g_array_index(got, uint32_t, i), i + 1);
	/* No END yet: no DRAINED before the END wait */
	ck_assert_uint_eq(drained, 0);
	send_frames(&src, 0, 11, 2); /* late frames, forwarded at once */
	ck_assert_uint_eq(collect(&dst, got, &drained, &d), 2);
	end_window(&src);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 0);
	ck_assert_uint_eq(drained, 1);
	ck_assert_uint_eq(d.n_frames, 1);
	ck_assert_uint_eq(d.frames[0].vni, src.nics[0].vni);
	ck_assert_uint_eq(d.frames[0].frames, 12);
	ck_assert_mem_eq(d.migration_id, src.migration_id, HANDOFF_ID_LEN);
	ck_assert_uint_eq(m->st.c[CTR_DRAINED_BY_END], 1);
	ack_drained(&dst, &d);
	advance((int64_t)cfg.linger_ms * MS);
	collect(&dst, NULL, &drained, &d);
	ck_assert_int_eq(vm_a()->state, VM_DONE);
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_RELEASED], 12);
	check_accounting();
}
END_TEST

/* DRAINED waits for the frames END counts, and then goes at once. */
START_TEST(test_end_before_its_frames)
{
	unsigned int drained = 0;
	HandoffMsg d;
	uint8_t buf[HANDOFF_MAX_LEN];
	uint8_t fr[8][HANDOFF_FRAME_HDR_LEN + 100];
	int len[8];
	struct mig_addr a;

	suspend(&src, HANDOFF_STATUS_OK);
	for (int i = 0; i < 8; i++)
		len[i] = simq_frame(&src, 0, (uint32_t)i + 1, 60, fr[i]);
	from_ep(&src.nics[0].ep, &a);
	for (int i = 0; i < 5; i++)
		mgr_data_input(m, fr[i], (size_t)len[i], &a);
	activate(&dst, HANDOFF_STATUS_OK);
	ctl_from(&src, buf, simq_end(&src, buf)); /* says 8 */
	expect_ack(&src, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 5);
	ck_assert_uint_eq(drained, 0);
	for (int i = 5; i < 8; i++)
		mgr_data_input(m, fr[i], (size_t)len[i], &a);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 3);
	ck_assert_uint_eq(drained, 1);
	ck_assert_uint_eq(d.frames[0].frames, 8);
}
END_TEST

/* END counts frames that never come: DRAINED after end-wait-ms, counted. */
START_TEST(test_end_frames_lost)
{
	unsigned int drained = 0;
	HandoffMsg d;

	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 3);
	src.nics[0].tx_seq += 2; /* two sent, never arrive */
	activate(&dst, HANDOFF_STATUS_OK);
	end_window(&src);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 3);
	ck_assert_uint_eq(drained, 0);
	advance((int64_t)cfg.end_wait_ms * MS - 1);
	collect(&dst, NULL, &drained, &d);
	ck_assert_uint_eq(drained, 0);
	advance(1);
	collect(&dst, NULL, &drained, &d);
	ck_assert_uint_eq(drained, 1);
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_LOST_IN_TRANSIT], 2);
}
END_TEST

/* Without END (an old source): the quiet rule after end-wait-ms. */
START_TEST(test_no_end_fallback_and_retransmit)
{
	unsigned int drained = 0;
	HandoffMsg d, first;

	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 4);
	activate(&dst, HANDOFF_STATUS_OK);
	collect(&dst, NULL, &drained, &d);
	advance((int64_t)cfg.end_wait_ms * MS);
	collect(&dst, NULL, &drained, &d);
	ck_assert_uint_eq(drained, 1);
	ck_assert_uint_eq(m->st.c[CTR_DRAINED_BY_FALLBACK], 1);
	first = d;
	/* Retransmitted with the same sequence until acknowledged */
	advance(50 * MS);
	collect(&dst, NULL, &drained, &d);
	ck_assert_uint_eq(drained, 2);
	ck_assert_uint_eq(d.sequence, first.sequence);
	ck_assert_uint_eq(m->st.c[CTR_DRAINED_RETRANSMITS], 1);
	ack_drained(&dst, &d);
	advance(SEC);
	collect(&dst, NULL, &drained, &d);
	ck_assert_uint_eq(drained, 2);
	ck_assert_uint_eq(m->st.c[CTR_DRAINED_ACKED], 1);
}
END_TEST

/* Two NICs: two queues, two VNIs, frames released to their own NIC. */
START_TEST(test_two_nics)
{
	unsigned int drained = 0;
	HandoffMsg d;

	qemus(2);
	ck_assert_uint_ne(src.nics[0].vni, src.nics[1].vni);
	suspend(&src, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(vm_a()->n_nics, 2);
	send_frames(&src, 0, 100, 5);
	send_frames(&src, 1, 200, 7);
	ck_assert_uint_eq(queue_len(vm_a()->nics[0].queue), 5);
	ck_assert_uint_eq(queue_len(vm_a()->nics[1].queue), 7);
	activate(&dst, HANDOFF_STATUS_OK);
	end_window(&src);
	mgr_poll(m);
	for (unsigned int i = 0; i < m->n_out; i++) {
		unsigned int nic;
		uint32_t num;

		if (m->out[i].sock != MGR_SOCK_DATA)
			continue;
		ck_assert_int_eq(simq_open(&dst, m->out[i].buf, m->out[i].len,
					   &nic, &num), HANDOFF_OK);
		ck_assert_uint_eq(num / 100, nic + 1); /* its own NIC's frames */
		{
			struct mig_addr want;

			from_ep(&dst.nics[nic].ep, &want);
			ck_assert(addr_equal(&m->out[i].to, &want));
		}
	}
	mgr_outbox_done(m, m->n_out);
	collect(&dst, NULL, &drained, &d);
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_RELEASED], 12);
}
END_TEST

/* --- one migration after another ---------------------------------------------- */

/* A second window starts clean: it is released to its own destination
 * (here the first source), never to the previous one. */
START_TEST(test_second_migration_goes_to_its_destination)
{
	unsigned int drained = 0;
	HandoffMsg d;
	struct simq back;

	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 3);
	activate(&dst, HANDOFF_STATUS_OK);
	end_window(&src);
	collect(&dst, NULL, &drained, &d);
	ack_drained(&dst, &d);
	advance((int64_t)cfg.linger_ms * MS);
	collect(&dst, NULL, &drained, &d);
	ck_assert_int_eq(vm_a()->state, VM_DONE);

	/* Back: the old destination is the source, the old source gets it. */
	simq_new_migration(&dst);
	back = src;
	memcpy(back.migration_id, dst.migration_id, HANDOFF_ID_LEN);
	suspend(&dst, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(vm_a()->nics[0].inject_ep.len, 0); /* nothing kept */
	ck_assert_uint_eq(vm_a()->control_dst.len, 0);
	send_frames(&dst, 0, 50, 4);
	ck_assert_uint_eq(collect(&back, NULL, &drained, &d), 0);
	activate(&back, HANDOFF_STATUS_OK);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 4);
	for (unsigned int i = 0; i < m->n_out; i++) {
		struct mig_addr want;

		from_ep(&back.nics[0].ep, &want);
		ck_assert(addr_equal(&m->out[i].to, &want));
	}
	mgr_outbox_done(m, m->n_out);
	ck_assert_uint_eq(vm_a()->c.c[CTR_MIGRATIONS], 2);
}
END_TEST

/* An ACTIVATED that comes first is kept for its own migration only, a
 * few seconds, and answered non-OK (the destination stops holding). */
START_TEST(test_early_activated)
{
	unsigned int drained = 0;
	HandoffMsg d;

	activate(&dst, HANDOFF_STATUS_UNKNOWN_VM);
	suspend(&src, HANDOFF_STATUS_OK);
	ck_assert_int_eq(vm_a()->state, VM_ACTIVATED);
	send_frames(&src, 0, 1, 2);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 2);

	/* Another migration: an early ACTIVATED of a different one is not used */
	end_window(&src);
	collect(&dst, NULL, &drained, &d);
	ack_drained(&dst, &d);
	advance((int64_t)cfg.linger_ms * MS);
	collect(&dst, NULL, &drained, &d);
	simq_new_migration(&dst); /* not the migration src will start */
	activate(&dst, HANDOFF_STATUS_BAD_STATE);
	simq_new_migration(&src);
	suspend(&src, HANDOFF_STATUS_OK);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	/* ... and a matching one expires after early-activated-ms */
	end_window(&src);
	simq_new_migration(&src);
	memcpy(dst.migration_id, src.migration_id, HANDOFF_ID_LEN);
	advance((int64_t)cfg.expire_ms * MS);
	collect(&dst, NULL, &drained, &d);
	activate(&dst, HANDOFF_STATUS_BAD_STATE);
	advance((int64_t)cfg.early_activated_ms * MS + 1);
	collect(&dst, NULL, &drained, &d);
	suspend(&src, HANDOFF_STATUS_OK);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
}
END_TEST

START_TEST(test_aborted_return)
{
	g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	uint8_t buf[HANDOFF_MAX_LEN];
	unsigned int drained = 0;
	HandoffMsg d;

	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 5);
	ctl_from(&src, buf, simq_aborted(&src, buf));
	expect_ack(&src, HANDOFF_STATUS_OK);
	ck_assert_int_eq(vm_a()->state, VM_ABORTED);
	/* back to the source's data endpoint, under the return key */
	ck_assert_uint_eq(collect(&src, got, &drained, &d), 5);
	ck_assert_uint_eq(g_array_index(got, uint32_t, 4), 5);
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_RETURNED], 5);
	/* the destination's key cannot open them: checked in simq_open */
	advance((int64_t)cfg.drain_quiet_ms * MS);
	collect(&src, NULL, &drained, &d);
	ck_assert_uint_eq(drained, 1);
	ck_assert_uint_eq(d.frames[0].frames, 5);
	/* ABORTED again (a retransmission with a new sequence) is fine,
	 * ACTIVATED now is not */
	ctl_from(&src, buf, simq_aborted(&src, buf));
	expect_ack(&src, HANDOFF_STATUS_OK);
	activate(&dst, HANDOFF_STATUS_BAD_STATE);
}
END_TEST

START_TEST(test_expiry)
{
	unsigned int drained = 0;
	HandoffMsg d;

	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 5);
	advance((int64_t)cfg.expire_ms * MS - 1);
	collect(&dst, NULL, &drained, &d);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	advance(1);
	collect(&dst, NULL, &drained, &d);
	ck_assert_int_eq(vm_a()->state, VM_EXPIRED);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_EXPIRED], 5);
	ck_assert_uint_eq(m->st.c[CTR_EXPIRED_WINDOWS], 1);
}
END_TEST

/* --- authentication and replay -------------------------------------------------- */

START_TEST(test_forged_and_misdirected_control)
{
	uint8_t buf[HANDOFF_MAX_LEN];
	struct simq forger = src;
	struct mig_addr a;
	int len;

	/* VM B's QEMU with its own key cannot open VM A's window */
	memcpy(forger.key, other.key, HANDOFF_KEY_LEN);
	len = simq_suspending(&forger, buf);
	ctl_from(&forger, buf, len);
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(drops(DROP_AUTH_FAILURE), 1);
	ck_assert_ptr_null(vmtable_by_uuid(m->vms, uuid_a));

	/* An authentic SUSPENDING raced from another address changes nothing
	 * and gets no answer; the original then works. */
	len = simq_suspending(&src, buf);
	addr_parse("127.0.0.66:40000", &a);
	mgr_control_input(m, buf, (size_t)len, &a);
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(drops(DROP_ENDPOINT_MISMATCH), 1);
	addr_parse("127.0.0.1:40009", &a); /* same host, another port */
	mgr_control_input(m, buf, (size_t)len, &a);
	ck_assert_uint_eq(drops(DROP_ENDPOINT_MISMATCH), 2);
	ctl_from(&src, buf, len);
	expect_ack(&src, HANDOFF_STATUS_OK);
	/* replayed: a duplicate, re-acknowledged, nothing changes */
	ctl_from(&src, buf, len);
	expect_ack(&src, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(m->st.c[CTR_DUPLICATES], 1);
	ck_assert_uint_eq(vm_a()->c.c[CTR_MIGRATIONS], 1);
	/* a raced ACTIVATED from elsewhere cannot become the destination */
	len = simq_activated(&dst, buf);
	addr_parse("127.0.0.66:41000", &a);
	mgr_control_input(m, buf, (size_t)len, &a);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	ck_assert_uint_eq(drops(DROP_ENDPOINT_MISMATCH), 3);
	/* stale */
	advance((int64_t)(cfg.tolerance_s + 1) * SEC);
	ctl_from(&dst, buf, len);
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(drops(DROP_STALE), 1);
}
END_TEST

/* A message captured before a restart is stale after it, even within the
 * tolerance; its sender's retransmission (fresh timestamp) is not. */
START_TEST(test_replay_after_restart)
{
	uint8_t buf[HANDOFF_MAX_LEN];
	int len;

	suspend(&src, HANDOFF_STATUS_OK);
	len = simq_aborted(&src, buf);
	advance(SEC);
	restart_core();
	advance(2 * SEC);
	ctl_from(&src, buf, len); /* captured: timestamp before the start */
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(drops(DROP_STALE), 1);
	ck_assert_ptr_null(vmtable_by_uuid(m->vms, uuid_a));
}
END_TEST

START_TEST(test_forged_frames)
{
	uint8_t buf[HANDOFF_FRAME_HDR_LEN + 100];
	struct simq forger = src;
	struct mig_addr a, port2;
	int len;

	suspend(&src, HANDOFF_STATUS_OK);
	from_ep(&src.nics[0].ep, &a);
	addr_parse("127.0.0.1:40099", &port2);
	/* another port of the source host */
	len = simq_frame(&src, 0, 1, 60, buf);
	mgr_data_input(m, buf, (size_t)len, &port2);
	ck_assert_uint_eq(drops(DROP_UNKNOWN_PEER), 1);
	/* the right endpoint, the wrong key */
	memset(forger.nics[0].tx_key, 0x5a, HANDOFF_KEY_LEN);
	len = simq_frame(&forger, 0, 2, 60, buf);
	mgr_data_input(m, buf, (size_t)len, &a);
	ck_assert_uint_eq(drops(DROP_FRAME_AUTH), 1);
	/* altered in flight */
	len = simq_frame(&src, 0, 3, 60, buf);
	buf[HANDOFF_FRAME_HDR_LEN + 20] ^= 1;
	mgr_data_input(m, buf, (size_t)len, &a);
	ck_assert_uint_eq(drops(DROP_FRAME_AUTH), 2);
	/* a replay */
	len = simq_frame(&src, 0, 4, 60, buf);
	mgr_data_input(m, buf, (size_t)len, &a);
	mgr_data_input(m, buf, (size_t)len, &a);
	ck_assert_uint_eq(drops(DROP_REPLAYED), 1);
	/* not ours at all */
	buf[0] = 0;
	mgr_data_input(m, buf, (size_t)len, &a);
	ck_assert_uint_eq(drops(DROP_NOT_GENEVE), 1);
	mgr_data_input(m, buf, 20, &a);
	ck_assert_uint_eq(drops(DROP_SHORT), 1);
	/* unknown VNI, and a closed window (VM B has none) */
	len = simq_frame(&other, 0, 5, 60, buf);
	mgr_data_input(m, buf, (size_t)len, &a);
	ck_assert_uint_eq(drops(DROP_UNKNOWN_VNI), 1);
	ck_assert_uint_eq(vm_queued(vm_a()), 1);
	check_accounting();
}
END_TEST

/* A frame may overtake its SUSPENDING: the socket layer then reads the
 * control socket first. */
START_TEST(test_data_wants_control)
{
	uint8_t buf[HANDOFF_MAX_LEN], fr[HANDOFF_FRAME_HDR_LEN + 100];
	struct mig_addr a, port2;
	int len;

	from_ep(&src.nics[0].ep, &a);
	addr_parse("127.0.0.1:40099", &port2);
	len = simq_suspending(&src, buf);
	(void)len;
	len = simq_frame(&src, 0, 1, 60, fr);
	ck_assert(mgr_data_wants_control(m, fr, (size_t)len, &a)); /* no NIC */
	ctl_from(&src, buf, simq_suspending(&src, buf));
	mgr_outbox_done(m, m->n_out);
	len = simq_frame(&src, 0, 1, 60, fr);
	ck_assert(!mgr_data_wants_control(m, fr, (size_t)len, &a));
	ck_assert(mgr_data_wants_control(m, fr, (size_t)len, &port2));
	ck_assert(!mgr_data_wants_control(m, fr, 10, &a)); /* not a frame */
}
END_TEST

START_TEST(test_vni_conflict)
{
	struct simq clash = other;

	suspend(&src, HANDOFF_STATUS_OK);
	clash.nics[0].vni = src.nics[0].vni; /* VM B claims VM A's VNI */
	suspend(&clash, HANDOFF_STATUS_CONFLICT);
	ck_assert_int_eq(vmtable_by_uuid(m->vms, uuid_b)->state, VM_REGISTERED);
	ck_assert_uint_eq(m->st.c[CTR_ACKS_CONFLICT], 1);
}
END_TEST

/* --- caps, pacing, outbox -------------------------------------------------------- */

START_TEST(test_caps)
{
	suspend(&src, HANDOFF_STATUS_OK);
	cfg.max_packets = 10;
	send_frames(&src, 0, 1, 12);
	ck_assert_uint_eq(vm_queued(vm_a()), 10);
	ck_assert_uint_eq(drops(DROP_BUFFER_FULL), 2);
	cfg.max_packets = 1000;
	cfg.max_bytes = 60 * 12;
	send_frames(&src, 0, 13, 3);
	ck_assert_uint_eq(vm_queued(vm_a()), 12);
	ck_assert_uint_eq(drops(DROP_BUFFER_FULL), 3);
	cfg.max_bytes = 1 << 20;
	mgr_drop_queues(m, vm_a(), DROP_FLUSHED);
	cfg.memory_cap = mgr_mem_total(m); /* not one more chunk */
	send_frames(&src, 0, 16, 1);
	ck_assert_uint_eq(drops(DROP_MEMORY_CAP), 1);
	cfg.memory_cap = 1 << 30;
	cfg.max_age_ms = 100;
	send_frames(&src, 0, 17, 2);
	advance(100 * MS);
	mgr_poll(m);
	ck_assert_uint_eq(vm_queued(vm_a()), 0);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_EXPIRED], 2);
	check_accounting();
}
END_TEST

START_TEST(test_pacing)
{
	unsigned int drained = 0;
	HandoffMsg d;

	cfg.pace_pps = 1000; /* burst of 32 frames */
	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 60);
	activate(&dst, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 32);
	advance(10 * MS);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 10);
	advance(100 * MS);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 18);
}
END_TEST

/* A full outbox keeps frames in order; an ACK that does not fit is
 * counted, not lost silently. */
START_TEST(test_outbox_full)
{
	g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	uint8_t buf[HANDOFF_MAX_LEN];
	unsigned int drained = 0;
	HandoffMsg d;

	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 100);
	activate(&dst, HANDOFF_STATUS_OK);
	ck_assert_int_eq(mgr_poll(m), 0);
	ck_assert_uint_eq(m->n_out, MGR_OUTBOX);
	ctl_from(&other, buf, simq_suspending(&other, buf)); /* its ACK */
	ck_assert_uint_eq(drops(DROP_OUTBOX_FULL), 1);
	while (vm_queued(vm_a()) || m->n_out) {
		for (unsigned int i = 0; i < m->n_out; i++) {
			unsigned int nic;
			uint32_t num;

			ck_assert_int_eq(simq_open(&dst, m->out[i].buf, m->out[i].len,
						   &nic, &num), HANDOFF_OK);
			g_array_append_val(got, num);
		}
		mgr_outbox_done(m, m->n_out);
		mgr_poll(m);
	}
	ck_assert_uint_eq(got->len, 100);
	for (uint32_t i = 0; i < 100; i++)
		ck_assert_uint_eq(g_array_index(got, uint32_t, i), i + 1);
	(void)drained;
	(void)d;
}
END_TEST

/* --- policies ------------------------------------------------------------------- */

static struct mig_vm *register_a(const char *policy)
{
	struct mgr_reg r = { .name = "vm-a", .n_macs = 1 };
	g_autoptr(GError) err = NULL;
	struct mig_vm *vm;

	memcpy(r.uuid, uuid_a, 16);
	memcpy(r.macs[0], src.nics[0].mac, 6);
	if (policy) {
		ck_assert(policy_parse(policy, &r.policy));
		r.has_policy = true;
	}
	vm = mgr_register(m, &r, &err);
	ck_assert_msg(vm, "%s", err ? err->message : "");
	return vm;
}

START_TEST(test_policy_hold)
{
	unsigned int drained = 0;
	HandoffMsg d;

	register_a("hold");
	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 4);
	activate(&dst, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 0);
	advance((int64_t)cfg.hold_ms * MS - 1);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 0);
	advance(1);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 4);
}
END_TEST

START_TEST(test_release_by_operator)
{
	g_autoptr(GError) err = NULL;
	unsigned int drained = 0;
	HandoffMsg d;

	register_a("hold");
	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 4);
	/* no ACTIVATED: no destination, no key */
	ck_assert_int_eq(mgr_release(m, vm_a(), &err), -1);
	ck_assert_int_eq(err->code, MGR_ERROR_NO_DESTINATION);
	activate(&dst, HANDOFF_STATUS_OK);
	ck_assert_int_eq(mgr_release(m, vm_a(), NULL), 4);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 4);
	ck_assert_uint_eq(mgr_release(m, vm_a(), NULL), 0);
}
END_TEST

/* --- redirect peers -------------------------------------------------------------- */

START_TEST(test_redirect_peer)
{
	struct mgr_peer *p = &cfg.peers[0];
	uint8_t buf[HANDOFF_FRAME_HDR_LEN + 100], f[60] = { 0 };
	struct mig_addr from, elsewhere;
	uint8_t key[HANDOFF_KEY_LEN];
	uint32_t vni = src.nics[0].vni;
	int len;

	g_strlcpy(p->name, "router1", sizeof(p->name));
	addr_parse("203.0.113.1:6081", &p->addr);
	ck_assert(mig_peer_key(master, sizeof(master), "router1", p->key));
	cfg.n_peers = 1;
	from = p->addr;
	handoff_flow_key(p->key, HANDOFF_FLOW_REDIRECT, NULL, NULL, vni, key);
	memcpy(f, src.nics[0].mac, 6);
	/* not registered: window-closed */
	len = handoff_frame_seal(key, vni, (uint64_t)now_real, f, 60, buf, sizeof(buf));
	mgr_data_input(m, buf, (size_t)len, &from);
	ck_assert_uint_eq(drops(DROP_UNKNOWN_VNI), 1); /* no NIC has it */
	register_a(NULL);
	/* a forged frame (wrong key) opens nothing */
	memset(key, 1, sizeof(key));
	len = handoff_frame_seal(key, vni, (uint64_t)now_real + 1, f, 60, buf, sizeof(buf));
	mgr_data_input(m, buf, (size_t)len, &from);
	ck_assert_int_eq(vm_a()->state, VM_REGISTERED);
	ck_assert_uint_eq(drops(DROP_FRAME_AUTH), 1);
	/* the peer's frame opens the window; its sequence is its clock */
	handoff_flow_key(p->key, HANDOFF_FLOW_REDIRECT, NULL, NULL, vni, key);
	len = handoff_frame_seal(key, vni, (uint64_t)now_real + 2, f, 60, buf, sizeof(buf));
	mgr_data_input(m, buf, (size_t)len, &from);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	ck_assert_uint_eq(vm_queued(vm_a()), 1);
	/* the same frames from another address: not the peer */
	addr_parse("203.0.113.2:6081", &elsewhere);
	len = handoff_frame_seal(key, vni, (uint64_t)now_real + 3, f, 60, buf, sizeof(buf));
	mgr_data_input(m, buf, (size_t)len, &elsewhere);
	ck_assert_uint_eq(drops(DROP_UNKNOWN_PEER), 1);
	/* a sequence from before the manager's start: a replay */
	len = handoff_frame_seal(key, vni, (uint64_t)now_real - SEC, f, 60, buf, sizeof(buf));
	mgr_data_input(m, buf, (size_t)len, &from);
	ck_assert_uint_eq(drops(DROP_TOO_OLD), 1);
	/* the window expires; the peer can open the next one */
	advance((int64_t)cfg.expire_ms * MS);
	mgr_poll(m);
	ck_assert_int_eq(vm_a()->state, VM_EXPIRED);
	len = handoff_frame_seal(key, vni, (uint64_t)now_real, f, 60, buf, sizeof(buf));
	mgr_data_input(m, buf, (size_t)len, &from);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	ck_assert_uint_eq(vm_a()->c.c[CTR_MIGRATIONS], 2);
}
END_TEST

/* --- cross-segment rewrite ------------------------------------------------------ */

START_TEST(test_cross_segment_rewrite)
{
	struct mgr_reg r = { .name = "vm-a", .n_macs = 1, .has_new_mac = true };
	uint8_t buf[HANDOFF_FRAME_HDR_LEN + 100], *f = buf + HANDOFF_FRAME_HDR_LEN;
	static const uint8_t new_mac[6] = { 0x52, 0x54, 0, 0xee, 0xee, 0xee };
	struct mig_addr a;
	int len;

	memcpy(r.uuid, uuid_a, 16);
	memcpy(r.macs[0], src.nics[0].mac, 6);
	memcpy(r.new_mac, new_mac, 6);
	ck_assert(mgr_register(m, &r, NULL));
	suspend(&src, HANDOFF_STATUS_OK);
	len = simq_frame(&src, 0, 1, 60, buf);
	from_ep(&src.nics[0].ep, &a);
	mgr_data_input(m, buf, (size_t)len, &a);
	activate(&dst, HANDOFF_STATUS_OK);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 1);
	f = m->out[0].buf + HANDOFF_FRAME_HDR_LEN;
	ck_assert_mem_eq(f, new_mac, 6);
	/* the MAC covers the rewritten frame (simq_open() would refuse
	 * the new destination MAC, so verify it directly) */
	ck_assert_int_eq(handoff_frame_verify(dst.nics[0].rx_key, m->out[0].buf,
					      m->out[0].len), HANDOFF_OK);
	ck_assert_uint_eq(f[17], 1); /* frame number 1 */
	mgr_outbox_done(m, 1);
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_REWRITTEN], 1);
}
END_TEST

/* The address check's side of the core (addrcheck.c is the daemon's): a
 * hook that holds the address on ACTIVATED, as addrcheck does. */
static unsigned int ev_activated, ev_address;
static bool hold_on_activated;

static void address_hook(void *data, struct mgr *mc, struct mig_vm *vm, enum mgr_event ev)
{
	(void)data;
	if (ev == MGR_EV_ACTIVATED) {
		ev_activated++;
		if (hold_on_activated)
			mgr_address_hold(mc, vm);
	} else if (ev == MGR_EV_ADDRESS) {
		ev_address++;
	}
}

static struct mig_vm *register_learning(void)
{
	struct mgr_reg r = { .name = "vm-a", .n_macs = 1, .learn_ip = true, .learn_family = AF_INET };
	g_autoptr(GError) err = NULL;
	struct mig_vm *vm;

	memcpy(r.uuid, uuid_a, 16);
	memcpy(r.macs[0], src.nics[0].mac, 6);
	ck_assert(addr_parse_host("10.99.1.10", &r.ip));
	vm = mgr_register(m, &r, &err);
	ck_assert_msg(vm, "%s", err ? err->message : "");
	return vm;
}

/* One window of VM A to its end: 3 frames buffered, ACTIVATED, DRAINED
 * acknowledged, the linger; returns the frames that went out. */
static unsigned int learning_window(void)
{
	unsigned int drained = 0, frames;
	HandoffMsg d;

	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 3);
	end_window(&src);
	activate(&dst, HANDOFF_STATUS_OK);
	frames = collect(&dst, NULL, &drained, &d);
	ck_assert_uint_eq(drained, 1);
	ack_drained(&dst, &d);
	advance((int64_t)cfg.linger_ms * MS);
	collect(&dst, NULL, &drained, &d);
	ck_assert_int_eq(vm_a()->state, VM_DONE);
	return frames;
}

START_TEST(test_learned_address)
{
	static int tag;
	struct mgr_reg bad = { .name = "vm-b", .n_macs = 1, .learn_ip = true, .learn_family = AF_INET };
	g_autoptr(GError) err = NULL;
	struct mig_vm *vm;

	ev_activated = ev_address = 0;
	hold_on_activated = false;
	ck_assert(mgr_add_hooks(m, &(struct mgr_hooks){
		.name = "test", .event = address_hook, .data = &tag,
	}));
	/* --new-ip dhcp needs the IPv4 address it moves from */
	memcpy(bad.uuid, uuid_b, 16);
	memcpy(bad.macs[0], other.nics[0].mac, 6);
	ck_assert_ptr_null(mgr_register(m, &bad, &err));
	ck_assert_ptr_nonnull(strstr(err->message, "--new-ip dhcp needs --ip"));

	/* nobody checks the address: the frames go unchanged at once, the
	 * address event follows ACTIVATED, the address is counted failed */
	vm = register_learning();
	ck_assert_uint_eq(learning_window(), 3);
	ck_assert_uint_eq(ev_activated, 1);
	ck_assert_uint_eq(ev_address, 1);
	ck_assert_uint_eq(vm->c.c[CTR_ADDRESS_FAILED], 1);
	ck_assert_uint_eq(vm->c.c[CTR_FRAMES_REWRITTEN], 0);
	ck_assert_uint_eq(vm->new_ip.len, 0);
	ck_assert(mgr_forget(m, vm, NULL));

	/* a check holds the address, not the frames: they go at once; the
	 * event waits for mgr_address_ready() with the learned address */
	qemus(1);
	hold_on_activated = true;
	vm = register_learning();
	ck_assert_uint_eq(learning_window(), 3);
	ck_assert(vm->address_hold);
	ck_assert_uint_eq(ev_address, 1);
	ck_assert(addr_parse_host("10.99.2.10", &vm->new_ip));
	mgr_address_ready(m, vm);
	ck_assert(!vm->address_hold);
	ck_assert_uint_eq(ev_address, 2);
	mgr_address_ready(m, vm); /* once only */
	ck_assert_uint_eq(ev_address, 2);
	ck_assert_uint_eq(vm->c.c[CTR_ADDRESS_FAILED], 0);

	/* the next move starts from the learned address; a check that does
	 * not end within address-wait-ms ends there (counted), the names
	 * stay */
	qemus(1);
	ck_assert_uint_eq(learning_window(), 3);
	{
		char a[64];

		ck_assert_str_eq(addr_format_host(&vm->ip, a, sizeof(a)), "10.99.2.10");
	}
	ck_assert_uint_eq(vm->new_ip.len, 0);
	ck_assert(vm->address_hold);
	ck_assert_int_eq(vm->m_address_deadline - now_mono,
			 (int64_t)(cfg.address_wait_ms - cfg.linger_ms) * MS);
	advance(vm->m_address_deadline - now_mono - 1);
	mgr_poll(m);
	ck_assert_uint_eq(ev_address, 2);
	advance(1);
	mgr_poll(m);
	ck_assert(!vm->address_hold);
	ck_assert_uint_eq(ev_address, 3);
	ck_assert_uint_eq(vm->c.c[CTR_ADDRESS_TIMEOUTS], 1);
	mgr_remove_hooks(m, &tag);
}
END_TEST

/* --- the table: forgetting, cap, operator, state file -------------------------------- */

START_TEST(test_forget_after_ttl)
{
	suspend(&src, HANDOFF_STATUS_OK);
	advance((int64_t)cfg.expire_ms * MS);
	mgr_poll(m);
	ck_assert_int_eq(vm_a()->state, VM_EXPIRED);
	advance((int64_t)cfg.forget_after_s * SEC - 1);
	mgr_poll(m);
	ck_assert_ptr_nonnull(vmtable_by_uuid(m->vms, uuid_a));
	advance(1);
	mgr_poll(m);
	ck_assert_ptr_null(vmtable_by_uuid(m->vms, uuid_a));
	ck_assert_uint_eq(m->st.c[CTR_VMS_FORGOTTEN], 1);
	/* a registered VM stays */
	register_a(NULL);
	suspend(&src, HANDOFF_STATUS_OK);
	advance((int64_t)cfg.expire_ms * MS + (int64_t)cfg.forget_after_s * SEC);
	mgr_poll(m);
	mgr_poll(m);
	ck_assert_ptr_nonnull(vmtable_by_uuid(m->vms, uuid_a));
}
END_TEST

START_TEST(test_forget_and_cap)
{
	g_autoptr(GError) err = NULL;
	uint8_t buf[HANDOFF_MAX_LEN];
	struct simq third;
	uint8_t uuid_c[16] = { 0xc };

	register_a(NULL);
	suspend(&src, HANDOFF_STATUS_OK);
	ck_assert(!mgr_forget(m, vm_a(), &err)); /* in its window */
	ck_assert_int_eq(err->code, MGR_ERROR_STATE);
	g_clear_error(&err);
	advance((int64_t)cfg.expire_ms * MS);
	mgr_poll(m);
	ck_assert(mgr_forget(m, vm_a(), &err));
	ck_assert_ptr_null(vmtable_by_uuid(m->vms, uuid_a));
	/* the table is full: a new VM is refused, busy */
	cfg.max_vms = 1;
	suspend(&other, HANDOFF_STATUS_OK);
	simq_init(&third, master, sizeof(master), uuid_c, "vm-c", 1, "127.0.0.3", 43000);
	third.now_us = (uint64_t)now_real;
	ctl_from(&third, buf, simq_suspending(&third, buf));
	expect_ack(&third, HANDOFF_STATUS_BUSY);
	ck_assert_uint_eq(m->st.c[CTR_VMS_REFUSED], 1);
	ck_assert_ptr_null(vmtable_by_uuid(m->vms, uuid_c));
}
END_TEST

START_TEST(test_state_file)
{
	g_autofree char *dir = g_dir_make_tmp("check_manager-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "reg.json", NULL);
	g_autoptr(GError) err = NULL;
	struct mig_vm *vm;

	struct mgr_reg learn = { .name = "vm-b", .n_macs = 1, .learn_ip = true, .learn_family = AF_INET };
	char a[64];

	cfg.state_file = g_strdup(path);
	new_core();
	register_a("hold");
	memcpy(learn.uuid, uuid_b, 16);
	memcpy(learn.macs[0], other.nics[0].mac, 6);
	ck_assert(addr_parse_host("10.99.1.10", &learn.ip));
	ck_assert(mgr_register(m, &learn, NULL));
	mgr_poll(m);
	ck_assert(g_file_test(path, G_FILE_TEST_EXISTS));
	ck_assert_uint_eq(m->st.c[CTR_STATE_SAVES], 1);
	/* restart: the registration is back, with its policy */
	new_core();
	vm = vmtable_by_uuid(m->vms, uuid_a);
	ck_assert_ptr_nonnull(vm);
	ck_assert(vm->registered);
	ck_assert_int_eq(vm->policy, POLICY_HOLD);
	ck_assert_str_eq(vm->name, "vm-a");
	ck_assert_uint_eq(vm->reg_n_macs, 1);
	/* and --new-ip dhcp, from its address */
	vm = vmtable_by_uuid(m->vms, uuid_b);
	ck_assert_ptr_nonnull(vm);
	ck_assert(vm->learn_ip);
	ck_assert_str_eq(addr_format_host(&vm->ip, a, sizeof(a)), "10.99.1.10");
	ck_assert(mgr_forget(m, vm, NULL));
	vm = vmtable_by_uuid(m->vms, uuid_a);
	/* forgotten: gone after the next restart too */
	ck_assert(mgr_forget(m, vm, NULL));
	mgr_poll(m);
	new_core();
	ck_assert_ptr_null(vmtable_by_uuid(m->vms, uuid_a));
	/* a corrupt file is refused with a clear error */
	ck_assert(g_file_set_contents(path, "{not json", -1, NULL));
	mgr_free(m);
	m = mgr_new(&cfg, &err);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(err->message, "reg.json"));
	g_clear_pointer(&cfg.state_file, g_free);
	new_core();
	g_unlink(path);
	g_rmdir(dir);
}
END_TEST

/* --- operator surface: JSON, metrics, flush, shutdown -------------------------------- */

START_TEST(test_admin_and_metrics)
{
	g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *mt = NULL;
	g_autofree char *r5 = NULL;

	register_a(NULL);
	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 3);
	r1 = admin_handle(m, "{\"cmd\":\"show\",\"vm\":\"vm-a\"}");
	ck_assert_ptr_nonnull(strstr(r1, "\"state\":\"suspended\""));
	ck_assert_ptr_nonnull(strstr(r1, "\"data-endpoint\":\"127.0.0.1:40001\""));
	ck_assert_ptr_nonnull(strstr(r1, "\"frames-buffered\":3"));
	r2 = admin_handle(m, "{\"cmd\":\"key\",\"vm\":\"00010203-0405-0607-0809-0a0b0c0d0e0f\"}");
	{
		g_autofree char *b64 = g_base64_encode(src.key, 32);

		ck_assert_ptr_nonnull(strstr(r2, b64));
	}
	r3 = admin_handle(m, "{\"cmd\":\"flush\",\"vm\":\"vm-a\"}");
	ck_assert_ptr_nonnull(strstr(r3, "\"flushed\":3"));
	r4 = admin_handle(m, "{\"cmd\":\"forget\",\"vm\":\"vm-a\"}");
	ck_assert_ptr_nonnull(strstr(r4, "\"ok\":false"));
	r5 = admin_handle(m, "{\"cmd\":\"nope\"}");
	ck_assert_ptr_nonnull(strstr(r5, "unknown command"));
	mt = metrics_render(m);
	ck_assert_msg(strstr(mt, "mig_manager_drops_total{reason=\"flushed\"} 3\n"), "%s", mt);
	ck_assert(strstr(mt, "mig_manager_vms{state=\"suspended\"} 1\n"));
	ck_assert(strstr(mt, "mig_manager_vm_frames_buffered_total{vm=\"vm-a\",uuid=\"00010203-0405-0607-0809-0a0b0c0d0e0f\"} 3\n"));
	ck_assert(strstr(mt, "mig_manager_socket_buffer_bytes{socket=\"data\",kind=\"wanted\"}"));
	ck_assert_uint_eq(mgr_flush(m, vm_a()), 0);
	send_frames(&src, 0, 4, 2);
	ck_assert_uint_eq(mgr_shutdown(m), 2);
	ck_assert_uint_eq(drops(DROP_SHUTDOWN), 2);
}
END_TEST

/* The poll only looks at the VMs that are due: with many idle VMs in the
 * table, a frame's release costs what it costs with one. */
START_TEST(test_many_vms)
{
	uint8_t u[16] = { 0x77 };
	unsigned int drained = 0;
	HandoffMsg d;

	for (unsigned int i = 0; i < 20000; i++) {
		struct mgr_reg r = { .name = NULL, .n_macs = 1 };
		char name[32];

		u[1] = (uint8_t)(i >> 8);
		u[2] = (uint8_t)i;
		u[3] = 0x99;
		memcpy(r.uuid, u, 16);
		g_snprintf(name, sizeof(name), "idle-%u", i);
		r.name = name;
		memcpy(r.macs[0], (uint8_t[6]){ 0x52, 0x54, 1, (uint8_t)(i >> 8), (uint8_t)i, 1 }, 6);
		ck_assert(mgr_register(m, &r, NULL));
	}
	while (mgr_heap_first(m->heap) && mgr_heap_first(m->heap)->deadline <= now_mono)
		mgr_poll(m);
	ck_assert_uint_eq(mgr_heap_size(m->heap), 0); /* idle: not in the heap */
	suspend(&src, HANDOFF_STATUS_OK);
	send_frames(&src, 0, 1, 5);
	activate(&dst, HANDOFF_STATUS_OK);
	ck_assert_uint_eq(collect(&dst, NULL, &drained, &d), 5);
	ck_assert_uint_le(mgr_heap_size(m->heap), 1);
}
END_TEST

static Suite *manager_suite(void)
{
	Suite *s = suite_create("manager");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_window_release_end_drained);
	tcase_add_test(tc, test_end_before_its_frames);
	tcase_add_test(tc, test_end_frames_lost);
	tcase_add_test(tc, test_no_end_fallback_and_retransmit);
	tcase_add_test(tc, test_two_nics);
	tcase_add_test(tc, test_second_migration_goes_to_its_destination);
	tcase_add_test(tc, test_early_activated);
	tcase_add_test(tc, test_aborted_return);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_forged_and_misdirected_control);
	tcase_add_test(tc, test_replay_after_restart);
	tcase_add_test(tc, test_forged_frames);
	tcase_add_test(tc, test_data_wants_control);
	tcase_add_test(tc, test_vni_conflict);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_pacing);
	tcase_add_test(tc, test_outbox_full);
	tcase_add_test(tc, test_policy_hold);
	tcase_add_test(tc, test_release_by_operator);
	tcase_add_test(tc, test_redirect_peer);
	tcase_add_test(tc, test_cross_segment_rewrite);
	tcase_add_test(tc, test_learned_address);
	tcase_add_test(tc, test_forget_after_ttl);
	tcase_add_test(tc, test_forget_and_cap);
	tcase_add_test(tc, test_state_file);
	tcase_add_test(tc, test_admin_and_metrics);
	tcase_add_test(tc, test_many_vms);
	suite_add_tcase(s, tc);
	return s;
}

static GLogWriterOutput quiet(GLogLevelFlags level, const GLogField *f,
			      gsize n, gpointer data)
{
	(void)level;
	(void)f;
	(void)n;
	(void)data;
	return G_LOG_WRITER_HANDLED;
}

int main(void)
{
	SRunner *sr = srunner_create(manager_suite());
	int failed;

	if (!getenv("CHECK_VERBOSE_LOG"))
		g_log_set_writer_func(quiet, NULL, NULL);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
