// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_manager - unit tests of the migration manager's core (manager/core.h):
 * the state machine, release policies, DRAINED, caps and drop accounting,
 * replay protection, the operator requests (ctl.c's JSON) and the
 * configuration, all driven with synthetic datagrams and a fixed clock:
 * no socket is opened.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "admin.h"
#include "internal.h"
#include "metrics.h"
#include "wire.h"

#define MS 1000
#define SEC (1000 * MS)
#define T0_MONO (1000 * (int64_t)SEC)
#define T0_REAL INT64_C(1700000000000000)

static const uint8_t key[32] = "0123456789abcdef0123456789abcde";
static const uint8_t uuid_a[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t uuid_b[16] = { 0xb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t mac_a[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static struct mgr_config cfg;
static struct mgr *m;
static int64_t now_mono, now_real;
static uint64_t seq_next = 1000;
static struct mig_addr src_ctl, src_data, dst_ctl, dst_inject, stranger;

/* --- helpers ---------------------------------------------------------------- */

static void advance(int64_t us)
{
	now_mono += us;
	now_real += us;
	mgr_set_time(m, now_mono, now_real);
}

static void new_core(void)
{
	mgr_free(m);
	m = mgr_new(&cfg);
	now_mono = T0_MONO;
	now_real = T0_REAL;
	mgr_set_time(m, now_mono, now_real);
}

static void setup(void)
{
	config_defaults(&cfg);
	memcpy(cfg.key, key, sizeof(key));
	cfg.key_len = sizeof(key);
	cfg.pace_pps = 0;
	addr_parse("192.0.2.1:40000", &src_ctl);
	addr_parse("192.0.2.1:40001", &src_data);
	addr_parse("192.0.2.2:41000", &dst_ctl);
	addr_parse("192.0.2.2:41001", &dst_inject);
	addr_parse("198.51.100.9:4789", &stranger);
	m = NULL;
	new_core();
}

static void teardown(void)
{
	mgr_free(m);
	m = NULL;
	config_clear(&cfg);
}

static size_t encode(uint8_t type, const uint8_t *uuid, uint64_t seq,
		     const struct mig_addr *ep, const uint8_t *k, uint8_t *buf)
{
	HandoffMsg msg;
	int n;

	memset(&msg, 0, sizeof(msg));
	msg.type = type;
	msg.sequence = seq;
	msg.timestamp_us = (uint64_t)now_real;
	memcpy(msg.uuid, uuid, 16);
	strcpy(msg.name, uuid == uuid_a ? "vm-a" : "vm-b");
	memcpy(msg.macs[0], mac_a, 6);
	msg.n_macs = 1;
	msg.vni = handoff_vni(uuid);
	if (ep)
		addr_to_endpoint(ep, &msg.endpoint);
	strcpy(msg.reason, "test");
	n = handoff_msg_encode(&msg, k, 32, buf, HANDOFF_MAX_LEN);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* Decode the outbox entry @i as a control message. */
static void out_msg(unsigned int i, HandoffMsg *msg)
{
	ck_assert_uint_lt(i, m->n_out);
	ck_assert_int_eq(m->out[i].sock, MGR_SOCK_CONTROL);
	ck_assert_int_eq(handoff_msg_decode(m->out[i].buf, m->out[i].len, key,
				      sizeof(key), msg), HANDOFF_OK);
}

/* Send a control message, expect exactly one ACK with @status; clear. */
static void ctl_expect(uint8_t type, const uint8_t *uuid, uint64_t seq,
		       const struct mig_addr *from, const struct mig_addr *ep,
		       int status)
{
	uint8_t buf[HANDOFF_MAX_LEN];
	size_t n = encode(type, uuid, seq, ep, key, buf);
	HandoffMsg ack;

	m->n_out = 0;
	mgr_control_input(m, buf, n, from);
	if (status < 0) {
		ck_assert_uint_eq(m->n_out, 0);
		return;
	}
	ck_assert_uint_eq(m->n_out, 1);
	out_msg(0, &ack);
	ck_assert_int_eq(ack.type, HANDOFF_MSG_ACK);
	ck_assert_uint_eq(ack.acked_sequence, seq);
	ck_assert_int_eq(ack.status, status);
	ck_assert(!memcmp(ack.uuid, uuid, 16));
	ck_assert(addr_equal(&m->out[0].to, from));
	m->n_out = 0;
}

static void suspend(const uint8_t *uuid)
{
	struct mig_addr any;

	addr_parse("0.0.0.0:40001", &any);
	ctl_expect(HANDOFF_MSG_SUSPENDING, uuid, seq_next++, &src_ctl, &any,
		   HANDOFF_STATUS_OK);
}

static void activate(const uint8_t *uuid, int status)
{
	ctl_expect(HANDOFF_MSG_ACTIVATED, uuid, seq_next++, &dst_ctl, &dst_inject,
		   status);
}

/* A VXLAN datagram with a numbered 60-byte frame for @uuid's VM. */
static size_t frame(const uint8_t *uuid, uint32_t num, uint8_t *buf)
{
	uint8_t f[60];

	memset(f, 0, sizeof(f));
	memcpy(f, mac_a, 6);
	f[6] = 0x02;
	f[12] = 0x08;
	f[13] = 0x00;
	memcpy(f + 20, &num, sizeof(num));
	return (size_t)handoff_vxlan_encap(handoff_vni(uuid), f, sizeof(f), buf,
				   128);
}

static void send_frames(const uint8_t *uuid, uint32_t first, uint32_t n,
			const struct mig_addr *from)
{
	uint8_t buf[128];

	for (uint32_t i = 0; i < n; i++)
		mgr_data_input(m, buf, frame(uuid, first + i, buf), from);
}

/* Number carried by data frame @i of the outbox. */
static uint32_t out_frame_num(unsigned int i)
{
	uint32_t num;

	ck_assert_uint_lt(i, m->n_out);
	ck_assert_int_eq(m->out[i].sock, MGR_SOCK_DATA);
	ck_assert_uint_eq(m->out[i].len, HANDOFF_VXLAN_HDR_LEN + 60);
	memcpy(&num, m->out[i].buf + HANDOFF_VXLAN_HDR_LEN + 20, sizeof(num));
	return num;
}

static unsigned int count_data_out(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < m->n_out; i++)
		n += m->out[i].sock == MGR_SOCK_DATA;
	return n;
}

static struct mig_vm *vm_a(void)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, uuid_a);

	ck_assert_ptr_nonnull(vm);
	return vm;
}

/* Invariant: every data datagram is buffered or counted as dropped. */
static void check_accounting(void)
{
	uint64_t drops = 0;
	static const enum drop_reason data_reasons[] = {
		DROP_BUFFER_FULL, DROP_MEMORY_CAP, DROP_UNKNOWN_VNI,
		DROP_UNKNOWN_PEER, DROP_WINDOW_CLOSED, DROP_SHORT, DROP_NO_VNI,
	};

	for (unsigned int i = 0; i < G_N_ELEMENTS(data_reasons); i++)
		drops += m->st.drops[data_reasons[i]];
	ck_assert_uint_eq(m->st.c[CTR_DATA_DATAGRAMS], m->st.c[CTR_FRAMES_BUFFERED] + drops);
}

/* --- state machine ---------------------------------------------------------- */

/* DRAINED waits until the source has been quiet for drain-quiet-ms:
 * it may still be reading frames of the stop window that are older
 * than anything the destination holds. */
START_TEST(test_drained_waits_for_quiet_source)
{
	HandoffMsg d;
	struct mig_vm *vm;

	suspend(uuid_a);
	vm = vm_a();
	send_frames(uuid_a, 0, 5, &src_data);
	activate(uuid_a, HANDOFF_STATUS_OK);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 5);           /* frames, no DRAINED */
	mgr_outbox_done(m, m->n_out);
	advance((int64_t)cfg.drain_quiet_ms * MS - 1);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 0);
	send_frames(uuid_a, 5, 1, &src_data);     /* a late frame */
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 1);
	ck_assert_uint_eq(out_frame_num(0), 5);
	mgr_outbox_done(m, m->n_out);
	advance((int64_t)cfg.drain_quiet_ms * MS - 1);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 0);
	advance(1);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 1);
	out_msg(0, &d);
	ck_assert_int_eq(d.type, HANDOFF_MSG_DRAINED);
	ck_assert_uint_eq(d.frames, 6);
	ck_assert_uint_eq(vm->c.c[CTR_FRAMES_RELEASED], 6);
}
END_TEST

/* The socket layer reads the control socket first for a frame whose
 * migration is not announced yet: mgr_data_wants_control() tells it when
 * (a new VM; the VM migrating back from the host it went to; a window
 * that is closed). */
START_TEST(test_data_wants_control)
{
	uint8_t buf[128];
	size_t len = frame(uuid_a, 0, buf);
	struct mig_addr any;

	ck_assert(mgr_data_wants_control(m, buf, len, &src_data));
	ck_assert(!mgr_data_wants_control(m, buf, 4, &src_data)); /* not VXLAN */
	suspend(uuid_a);
	ck_assert(!mgr_data_wants_control(m, buf, len, &src_data));
	ck_assert(mgr_data_wants_control(m, buf, len, &stranger));
	activate(uuid_a, HANDOFF_STATUS_OK);
	advance(((int64_t)cfg.linger_ms + 100) * MS);
	mgr_poll(m);
	ck_assert_int_eq(vm_a()->state, VM_DONE);
	/* window closed: even the old source waits for the control socket */
	ck_assert(mgr_data_wants_control(m, buf, len, &src_data));
	/* back from the destination host: its SUSPENDING makes it the source */
	ck_assert(mgr_data_wants_control(m, buf, len, &dst_inject));
	addr_parse("0.0.0.0:41001", &any);
	ctl_expect(HANDOFF_MSG_SUSPENDING, uuid_a, seq_next++, &dst_ctl, &any,
		   HANDOFF_STATUS_OK);
	ck_assert(!mgr_data_wants_control(m, buf, len, &dst_inject));
	mgr_data_input(m, buf, len, &dst_inject);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 1);
	ck_assert_uint_eq(m->st.drops[DROP_UNKNOWN_VNI], 0);
	ck_assert_uint_eq(m->st.drops[DROP_UNKNOWN_PEER], 0);
	check_accounting();
}
END_TEST

START_TEST(test_suspend_buffer_activate_drain)
{
	HandoffMsg d, ack;
	uint8_t buf[HANDOFF_MAX_LEN];
	struct mig_vm *vm;
	uint64_t dseq;

	suspend(uuid_a);
	vm = vm_a();
	ck_assert_int_eq(vm->state, VM_SUSPENDED);
	ck_assert_str_eq(vm->name, "vm-a");
	/* 0.0.0.0 in DATA_ENDPOINT = the datagram's source host. */
	ck_assert(addr_equal(&vm->data_endpoint, &src_data));
	send_frames(uuid_a, 0, 10, &src_data);
	ck_assert_uint_eq(queue_len(vm->queue), 10);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 0); /* nothing before ACTIVATED */
	advance(200 * MS);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 0);

	activate(uuid_a, HANDOFF_STATUS_OK);
	ck_assert_int_eq(vm->state, VM_ACTIVATED);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 11);
	for (unsigned int i = 0; i < 10; i++) {
		ck_assert_uint_eq(out_frame_num(i), i);
		ck_assert(addr_equal(&m->out[i].to, &dst_inject));
	}
	out_msg(10, &d);
	ck_assert_int_eq(d.type, HANDOFF_MSG_DRAINED);
	ck_assert_uint_eq(d.frames, 10);
	ck_assert(addr_equal(&m->out[10].to, &dst_ctl));
	ck_assert_uint_eq(vm->c.c[CTR_FRAMES_RELEASED], 10);
	ck_assert_uint_eq(queue_len(vm->queue), 0);
	ck_assert_uint_eq(m->mem, 0);
	dseq = d.sequence;
	mgr_outbox_done(m, m->n_out);

	/* ACK of the DRAINED stops the retransmissions. */
	memset(&ack, 0, sizeof(ack));
	ack.type = HANDOFF_MSG_ACK;
	ack.sequence = seq_next++;
	ack.timestamp_us = (uint64_t)now_real;
	memcpy(ack.uuid, uuid_a, 16);
	ack.acked_sequence = dseq;
	mgr_control_input(m, buf, (size_t)handoff_msg_encode(&ack, key, 32, buf,
						      sizeof(buf)), &dst_ctl);
	ck_assert_uint_eq(m->n_out, 0); /* an ACK is not acknowledged */
	ck_assert(vm->drained.acked);
	ck_assert(!vm->drained.pending);
	advance(2 * SEC);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(m->st.c[CTR_DRAINED_RETRANSMITS], 0);

	/* Late frames within the linger time are forwarded at once. */
	send_frames(uuid_a, 10, 2, &src_data);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 2);
	ck_assert_uint_eq(out_frame_num(0), 10);
	mgr_outbox_done(m, m->n_out);
	/* After the linger time: done, later frames are window-closed. */
	advance(cfg.linger_ms * MS);
	mgr_poll(m);
	ck_assert_int_eq(vm->state, VM_DONE);
	send_frames(uuid_a, 12, 3, &src_data);
	ck_assert_uint_eq(vm->c.drops[DROP_WINDOW_CLOSED], 3);
	check_accounting();
}
END_TEST

START_TEST(test_drained_empty_and_retransmit)
{
	HandoffMsg d;
	int64_t t_first;
	uint64_t dseq;
	static const int64_t at_ms[] = { 50, 150, 350, 750 };

	suspend(uuid_a);
	activate(uuid_a, HANDOFF_STATUS_OK);
	/* Nothing buffered: DRAINED right after ACTIVATED, FRAMES = 0. */
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 1);
	out_msg(0, &d);
	ck_assert_int_eq(d.type, HANDOFF_MSG_DRAINED);
	ck_assert_uint_eq(d.frames, 0);
	dseq = d.sequence;
	mgr_outbox_done(m, 1);
	t_first = now_mono;
	for (unsigned int i = 0; i < G_N_ELEMENTS(at_ms); i++) {
		now_mono = t_first + at_ms[i] * MS - 1;
		mgr_set_time(m, now_mono, now_real);
		mgr_poll(m);
		ck_assert_uint_eq(m->n_out, 0);
		advance(1);
		mgr_poll(m);
		ck_assert_uint_eq(m->n_out, 1);
		out_msg(0, &d);
		ck_assert_uint_eq(d.sequence, dseq); /* same message */
		mgr_outbox_done(m, 1);
	}
	ck_assert_uint_eq(m->st.c[CTR_DRAINED_RETRANSMITS], 4);
	now_mono = t_first + 1550 * MS;
	mgr_set_time(m, now_mono, now_real);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(m->st.c[CTR_DRAINED_GAVE_UP], 1);
	ck_assert(vm_a()->drained.gave_up);
}
END_TEST

START_TEST(test_duplicate_forged_stale)
{
	uint8_t buf[HANDOFF_MAX_LEN], bad_key[32];
	struct mig_addr any;
	size_t n;
	HandoffMsg ack;

	addr_parse("0.0.0.0:40001", &any);
	n = encode(HANDOFF_MSG_SUSPENDING, uuid_a, 77, &any, key, buf);
	mgr_control_input(m, buf, n, &src_ctl);
	ck_assert_uint_eq(m->n_out, 1);
	mgr_outbox_done(m, 1);
	send_frames(uuid_a, 0, 4, &src_data);
	/* A retransmission (or replay) of the same message: ACKed again with
	 * the same status, the window is not reset. */
	mgr_control_input(m, buf, n, &src_ctl);
	ck_assert_uint_eq(m->n_out, 1);
	out_msg(0, &ack);
	ck_assert_uint_eq(ack.acked_sequence, 77);
	ck_assert_int_eq(ack.status, HANDOFF_STATUS_OK);
	mgr_outbox_done(m, 1);
	ck_assert_uint_eq(m->st.c[CTR_DUPLICATES], 1);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 4);
	ck_assert_uint_eq(vm_a()->c.c[CTR_MIGRATIONS], 1);

	/* Forged: wrong key: no reply, nothing changes. */
	memset(bad_key, 0x5a, sizeof(bad_key));
	n = encode(HANDOFF_MSG_ABORTED, uuid_a, 78, NULL, bad_key, buf);
	mgr_control_input(m, buf, n, &src_ctl);
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(m->st.drops[DROP_AUTH_FAILURE], 1);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);

	/* Stale: timestamp beyond the tolerance: no reply, no change. */
	now_real -= (int64_t)(cfg.tolerance_s + 1) * SEC;
	n = encode(HANDOFF_MSG_ABORTED, uuid_a, 79, NULL, key, buf);
	now_real += (int64_t)(cfg.tolerance_s + 1) * SEC;
	mgr_control_input(m, buf, n, &src_ctl);
	ck_assert_uint_eq(m->n_out, 0);
	ck_assert_uint_eq(m->st.drops[DROP_STALE], 1);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);

	/* Garbage of every kind is counted. */
	memcpy(buf, "XXXX", 4);
	mgr_control_input(m, buf, 100, &src_ctl);
	ck_assert_uint_eq(m->st.drops[DROP_BAD_MAGIC], 1);
	mgr_control_input(m, buf, 10, &src_ctl);
	ck_assert_uint_eq(m->st.drops[DROP_MALFORMED], 1);
	mgr_control_input(m, buf, HANDOFF_MAX_LEN + 1, &src_ctl);
	ck_assert_uint_eq(m->st.drops[DROP_TOO_LONG], 1);
	ck_assert_uint_eq(m->n_out, 0);
}
END_TEST

START_TEST(test_activated_first)
{
	activate(uuid_a, HANDOFF_STATUS_BAD_STATE);
	ck_assert_int_eq(vm_a()->state, VM_REGISTERED);
	ck_assert(vm_a()->early_activated);
	ck_assert(addr_equal(&vm_a()->inject, &dst_inject));
	suspend(uuid_a);
	ck_assert_int_eq(vm_a()->state, VM_ACTIVATED);
	send_frames(uuid_a, 0, 3, &src_data);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 3);
	ck_assert_uint_eq(out_frame_num(0), 0);
	ck_assert_uint_eq(vm_a()->c.c[CTR_BAD_STATE], 1);
}
END_TEST

START_TEST(test_aborted)
{
	suspend(uuid_a);
	send_frames(uuid_a, 0, 5, &src_data);
	ctl_expect(HANDOFF_MSG_ABORTED, uuid_a, seq_next++, &src_ctl, NULL,
		   HANDOFF_STATUS_OK);
	ck_assert_int_eq(vm_a()->state, VM_ABORTED);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 5); /* no DRAINED to a source */
	for (unsigned int i = 0; i < 5; i++) {
		ck_assert_uint_eq(out_frame_num(i), i);
		ck_assert(addr_equal(&m->out[i].to, &src_data));
	}
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_RETURNED], 5);
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_RELEASED], 0);
	mgr_outbox_done(m, 5);
	/* A frame the source sent before its ABORTED follows the queue back
	 * within the linger time; after it the window is closed. */
	send_frames(uuid_a, 5, 1, &src_data);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 1);
	ck_assert_uint_eq(out_frame_num(0), 5);
	ck_assert(addr_equal(&m->out[0].to, &src_data));
	mgr_outbox_done(m, 1);
	advance((int64_t)cfg.linger_ms * MS);
	send_frames(uuid_a, 6, 1, &src_data);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_WINDOW_CLOSED], 1);
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_RETURNED], 6);
	/* ABORTED of an unknown VM, and after activation. */
	ctl_expect(HANDOFF_MSG_ABORTED, uuid_b, seq_next++, &src_ctl, NULL,
		   HANDOFF_STATUS_UNKNOWN_VM);
	suspend(uuid_a);
	activate(uuid_a, HANDOFF_STATUS_OK);
	ctl_expect(HANDOFF_MSG_ABORTED, uuid_a, seq_next++, &src_ctl, NULL,
		   HANDOFF_STATUS_BAD_STATE);
	ck_assert_int_eq(vm_a()->state, VM_ACTIVATED);
	ck_assert_uint_eq(vm_a()->c.c[CTR_MIGRATIONS], 2);
}
END_TEST

START_TEST(test_expiry)
{
	suspend(uuid_a);
	send_frames(uuid_a, 0, 7, &src_data);
	advance((int64_t)cfg.expire_ms * MS - 1);
	mgr_poll(m);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	advance(1);
	mgr_poll(m);
	ck_assert_int_eq(vm_a()->state, VM_EXPIRED);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_EXPIRED], 7);
	ck_assert_uint_eq(m->mem, 0);
	activate(uuid_a, HANDOFF_STATUS_BAD_STATE);
	send_frames(uuid_a, 7, 2, &src_data);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_WINDOW_CLOSED], 2);
	check_accounting();
}
END_TEST

START_TEST(test_caps)
{
	cfg.max_packets = 10;
	new_core();
	suspend(uuid_a);
	send_frames(uuid_a, 0, 15, &src_data);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 10);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_BUFFER_FULL], 5);
	ck_assert_uint_eq(m->st.drops[DROP_BUFFER_FULL], 5);

	cfg.max_packets = 1000;
	cfg.max_bytes = 60 * 4;
	new_core();
	suspend(uuid_a);
	send_frames(uuid_a, 0, 6, &src_data);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 4);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_BUFFER_FULL], 2);

	cfg.max_bytes = 1 << 20;
	cfg.memory_cap = QUEUE_CHUNK_SIZE; /* not even one chunk fits */
	new_core();
	suspend(uuid_a);
	send_frames(uuid_a, 0, 3, &src_data);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 0);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_MEMORY_CAP], 3);

	cfg.memory_cap = 1 << 30;
	cfg.max_age_ms = 100;
	new_core();
	suspend(uuid_a);
	send_frames(uuid_a, 0, 3, &src_data);
	advance(60 * MS);
	send_frames(uuid_a, 3, 2, &src_data);
	advance(41 * MS);
	mgr_poll(m);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 2);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_EXPIRED], 3);
	check_accounting();
}
END_TEST

START_TEST(test_unknown_and_bad_frames)
{
	uint8_t buf[128];
	size_t n;

	send_frames(uuid_a, 0, 2, &src_data);
	ck_assert_uint_eq(m->st.drops[DROP_UNKNOWN_VNI], 2);
	suspend(uuid_a);
	send_frames(uuid_a, 0, 3, &stranger);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_UNKNOWN_PEER], 3);
	n = frame(uuid_a, 0, buf);
	buf[0] = 0;
	mgr_data_input(m, buf, n, &src_data);
	ck_assert_uint_eq(m->st.drops[DROP_NO_VNI], 1);
	mgr_data_input(m, buf, 5, &src_data);
	ck_assert_uint_eq(m->st.drops[DROP_SHORT], 1);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 0);
	check_accounting();
}
END_TEST

START_TEST(test_pacing)
{
	cfg.pace_pps = 1000; /* burst: 32 frames */
	new_core();
	suspend(uuid_a);
	send_frames(uuid_a, 0, 100, &src_data);
	activate(uuid_a, HANDOFF_STATUS_OK);
	ck_assert_int_gt(mgr_poll(m), 0);
	ck_assert_uint_eq(count_data_out(), 32);
	mgr_outbox_done(m, m->n_out);
	advance(10 * MS);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 10);
	ck_assert_uint_eq(out_frame_num(0), 32);
	mgr_outbox_done(m, m->n_out);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 58);
}
END_TEST

START_TEST(test_outbox_full_keeps_order)
{
	unsigned int got = 0;

	suspend(uuid_a);
	send_frames(uuid_a, 0, 200, &src_data);
	activate(uuid_a, HANDOFF_STATUS_OK);
	for (int round = 0; round < 10 && got < 200; round++) {
		int64_t d = mgr_poll(m);

		for (unsigned int i = 0; i < m->n_out; i++)
			if (m->out[i].sock == MGR_SOCK_DATA)
				ck_assert_uint_eq(out_frame_num(i), got++);
		if (got < 200)
			ck_assert_int_eq(d, 0);
		mgr_outbox_done(m, m->n_out);
	}
	ck_assert_uint_eq(got, 200);
}
END_TEST

/* --- policies ---------------------------------------------------------------- */

static struct mig_vm *register_a(const char *policy, const char *dest)
{
	g_autofree char *req = g_strdup_printf(
		"{\"cmd\":\"register\",\"vm\":\"web\",\"uuid\":\"00010203-0405-0607-0809-0a0b0c0d0e0f\","
		"\"macs\":[\"52:54:00:12:34:56\"]%s%s%s%s%s}",
		policy ? ",\"policy\":\"" : "", policy ? policy : "",
		policy ? "\"" : "", dest ? ",\"dest\":\"192.0.2.2:41001\"" : "",
		"");
	g_autofree char *r = admin_handle(m, req);

	(void)dest;
	ck_assert_msg(strstr(r, "\"ok\":true"), "%s", r);
	return vm_a();
}

START_TEST(test_policy_hold)
{
	struct mig_vm *vm = register_a("hold", NULL);

	ck_assert_int_eq(vm->policy, POLICY_HOLD);
	suspend(uuid_a);
	send_frames(uuid_a, 0, 4, &src_data);
	advance(100 * MS);
	activate(uuid_a, HANDOFF_STATUS_OK);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 0); /* hold-ms not over yet */
	advance((int64_t)cfg.hold_ms * MS - 100 * MS);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 4);
}
END_TEST

START_TEST(test_policy_hold_without_activated)
{
	register_a("hold", "dest");
	suspend(uuid_a);
	send_frames(uuid_a, 0, 4, &src_data);
	advance((int64_t)cfg.hold_ms * MS - 1);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 0);
	advance(1);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 4);
	ck_assert(addr_equal(&m->out[0].to, &dst_inject));
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
}
END_TEST

START_TEST(test_policy_immediate)
{
	HandoffMsg d;

	register_a("immediate", "dest");
	suspend(uuid_a);
	send_frames(uuid_a, 0, 3, &src_data);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 3);
	mgr_outbox_done(m, m->n_out);
	/* A failed send backs off, the frame is counted. */
	send_frames(uuid_a, 3, 2, &src_data);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 2);
	mgr_send_failed(m, 0, 111);
	mgr_outbox_done(m, 2);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_SEND_ERROR], 1);
	send_frames(uuid_a, 5, 1, &src_data);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 0); /* retry after 50 ms */
	advance(50 * MS);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 1);
	mgr_outbox_done(m, m->n_out);
	/* ACTIVATED: DRAINED counts what this window released. */
	activate(uuid_a, HANDOFF_STATUS_OK);
	mgr_poll(m);
	ck_assert_uint_eq(m->n_out, 1);
	out_msg(0, &d);
	ck_assert_uint_eq(d.frames, 6);
}
END_TEST

START_TEST(test_redirect_peer_and_release)
{
	struct mig_addr router;
	GError *err = NULL;

	addr_parse("203.0.113.1:0", &cfg.peers[0]);
	cfg.n_peers = 1;
	new_core();
	addr_parse("203.0.113.1:5555", &router);
	register_a(NULL, NULL);
	/* Not registered via SUSPENDING: the peer's frames open the window. */
	send_frames(uuid_a, 0, 5, &router);
	ck_assert_int_eq(vm_a()->state, VM_SUSPENDED);
	ck_assert_uint_eq(queue_len(vm_a()->queue), 5);
	send_frames(uuid_a, 5, 1, &stranger);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_UNKNOWN_PEER], 1);
	ck_assert_int_eq(mgr_release(m, vm_a(), &err), -1);
	ck_assert_ptr_nonnull(err);
	g_clear_error(&err);
	register_a(NULL, "dest");
	ck_assert_int_eq(mgr_release(m, vm_a(), &err), 5);
	ck_assert_int_eq(vm_a()->state, VM_ACTIVATED);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 5);
}
END_TEST

START_TEST(test_cross_segment_rewrite)
{
	g_autofree char *r = NULL;
	uint8_t new_mac[6] = { 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc };

	r = admin_handle(m, "{\"cmd\":\"register\",\"vm\":\"web\","
			  "\"uuid\":\"00010203-0405-0607-0809-0a0b0c0d0e0f\","
			  "\"macs\":[\"52:54:00:12:34:56\"],\"ip\":\"10.0.0.5\","
			  "\"new-ip\":\"10.1.0.5\",\"new-mac\":\"52:54:00:aa:bb:cc\"}");
	ck_assert_msg(strstr(r, "\"ok\":true"), "%s", r);
	suspend(uuid_a);
	send_frames(uuid_a, 0, 2, &src_data);
	activate(uuid_a, HANDOFF_STATUS_OK);
	mgr_poll(m);
	ck_assert_uint_eq(count_data_out(), 2);
	ck_assert(!memcmp(m->out[0].buf + HANDOFF_VXLAN_HDR_LEN, new_mac, 6));
	ck_assert_uint_eq(vm_a()->c.c[CTR_FRAMES_REWRITTEN], 2);
	/* --new-ip without --ip is refused. */
	g_free(r);
	r = admin_handle(m, "{\"cmd\":\"register\",\"vm\":\"x\","
			  "\"uuid\":\"00010203-0405-0607-0809-0a0b0c0d0eff\","
			  "\"macs\":[\"52:54:00:12:34:57\"],\"new-ip\":\"10.1.0.5\"}");
	ck_assert_msg(strstr(r, "\"ok\":false"), "%s", r);
}
END_TEST

START_TEST(test_vni_conflict)
{
	struct mig_vm *b;

	suspend(uuid_a);
	/* Make B's VNI collide with A's open window. */
	b = vmtable_add(m->vms, uuid_b, "vm-b", POLICY_ACTIVATED, now_real);
	ck_assert_ptr_nonnull(b);
	{
		uint8_t buf[HANDOFF_MAX_LEN];
		HandoffMsg msg, ack;
		struct mig_addr any;
		int n;

		addr_parse("0.0.0.0:1", &any);
		memset(&msg, 0, sizeof(msg));
		msg.type = HANDOFF_MSG_SUSPENDING;
		msg.sequence = seq_next++;
		msg.timestamp_us = (uint64_t)now_real;
		memcpy(msg.uuid, uuid_b, 16);
		msg.n_macs = 1;
		msg.vni = vm_a()->vni;
		addr_to_endpoint(&any, &msg.endpoint);
		n = handoff_msg_encode(&msg, key, 32, buf, sizeof(buf));
		mgr_control_input(m, buf, (size_t)n, &src_ctl);
		out_msg(0, &ack);
		ck_assert_int_eq(ack.status, HANDOFF_STATUS_CONFLICT);
	}
	ck_assert_int_eq(b->state, VM_REGISTERED);
}
END_TEST

START_TEST(test_flush_and_shutdown)
{
	suspend(uuid_a);
	send_frames(uuid_a, 0, 6, &src_data);
	ck_assert_uint_eq(mgr_flush(m, vm_a()), 6);
	ck_assert_uint_eq(vm_a()->c.drops[DROP_FLUSHED], 6);
	send_frames(uuid_a, 0, 4, &src_data);
	ck_assert_uint_eq(mgr_shutdown(m), 4);
	ck_assert_uint_eq(m->st.drops[DROP_SHUTDOWN], 4);
	ck_assert_uint_eq(m->mem, 0);
}
END_TEST

/* --- local control socket requests and metrics ------------------------------- */

START_TEST(test_ctl_requests)
{
	g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
	g_autofree char *r5 = NULL, *r6 = NULL, *metrics = NULL;

	suspend(uuid_a);
	send_frames(uuid_a, 0, 3, &src_data);
	send_frames(uuid_b, 0, 1, &src_data);
	r1 = admin_handle(m, "{\"cmd\":\"status\"}");
	ck_assert_msg(strstr(r1, "\"unknown-vni\":1"), "%s", r1);
	ck_assert_msg(strstr(r1, "\"queued-frames\":3"), "%s", r1);
	r2 = admin_handle(m, "{\"cmd\":\"show\",\"vm\":\"vm-a\"}");
	ck_assert_msg(strstr(r2, "\"state\":\"suspended\""), "%s", r2);
	ck_assert_msg(strstr(r2, "\"frames-buffered\":3"), "%s", r2);
	r3 = admin_handle(m, "{\"cmd\":\"show\",\"vm\":\"nope\"}");
	ck_assert_str_eq(r3, "{\"ok\":false,\"error\":\"unknown VM 'nope'\"}");
	r4 = admin_handle(m, "{\"cmd\":\"release\",\"vm\":\"00010203-0405-0607-0809-0A0B0C0D0E0F\"}");
	ck_assert_msg(strstr(r4, "no destination known"), "%s", r4);
	r5 = admin_handle(m, "{\"cmd\":\"flush\",\"vm\":\"vm-a\"}");
	ck_assert_str_eq(r5, "{\"ok\":true,\"result\":{\"flushed\":3}}");
	r6 = admin_handle(m, "not json");
	ck_assert_msg(strstr(r6, "\"ok\":false"), "%s", r6);
	metrics = metrics_render(m);
	ck_assert_msg(strstr(metrics, "mig_manager_drops_total{reason=\"flushed\"} 3\n"), "%s", metrics);
	ck_assert(strstr(metrics, "mig_manager_drops_total{reason=\"unknown-vni\"} 1\n"));
	ck_assert(strstr(metrics, "mig_manager_vms{state=\"suspended\"} 1\n"));
	ck_assert(strstr(metrics, "mig_manager_vm_frames_buffered_total{vm=\"vm-a\",uuid=\"00010203-0405-0607-0809-0a0b0c0d0e0f\"} 3\n"));
}
END_TEST

/* --- configuration ------------------------------------------------------------ */

START_TEST(test_config)
{
	struct mgr_config c;
	GError *err = NULL;
	g_autofree char *kf = g_strdup("/tmp/check_manager.key.XXXXXX");
	g_autofree char *text = NULL;
	int fd = g_mkstemp(kf);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "secret", 6), 6);
	close(fd);

	config_defaults(&c);
	ck_assert_uint_eq(addr_port(&c.control), 7790);
	ck_assert_uint_eq(addr_port(&c.data), 4789);
	ck_assert_uint_eq(c.linger_ms, 5000);
	ck_assert_uint_eq(c.expire_ms, 30000);
	ck_assert_int_eq(c.policy, POLICY_ACTIVATED);
	/* No key file: refused. */
	ck_assert(!config_load_data(&c, "[manager]\n", &err));
	ck_assert_ptr_nonnull(strstr(err->message, "key-file"));
	g_clear_error(&err);

	text = g_strdup_printf("[manager]\nkey-file=%s\ncontrol=[::1]:7000\n"
			       "max-bytes=2M\nrelease-policy=hold\n"
			       "[peers]\nredirect=10.0.0.1;10.0.0.2\n", kf);
	ck_assert_msg(config_load_data(&c, text, &err), "%s",
		      err ? err->message : "");
	ck_assert_uint_eq(c.key_len, 6);
	ck_assert_uint_eq(c.max_bytes, 2 << 20);
	ck_assert_int_eq(c.policy, POLICY_HOLD);
	ck_assert_uint_eq(c.n_peers, 2);
	ck_assert_uint_eq(addr_port(&c.control), 7000);
	config_clear(&c);

	static const char *const bad[] = {
		"[manager]\nlinger=5\n",          /* unknown key */
		"[other]\nx=1\n",                 /* unknown group */
		"[manager]\nhold-ms=-1\n",
		"[manager]\nhold-ms=abc\n",
		"[manager]\ncontrol=localhost:1\n",
		"[manager]\nrelease-policy=later\n",
		"[manager]\ntolerance-s=40\n",    /* window < 2 x tolerance */
		"[peers]\nredirect=not-an-ip\n",
	};
	for (unsigned int i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *t = g_strdup_printf("%s[manager]\nkey-file=%s\n",
						     bad[i], kf);

		config_defaults(&c);
		ck_assert_msg(!config_load_data(&c, t, &err), "accepted: %s", bad[i]);
		ck_assert_ptr_nonnull(err);
		g_clear_error(&err);
		config_clear(&c);
	}
	unlink(kf);
}
END_TEST

static Suite *manager_suite(void)
{
	Suite *s = suite_create("manager");
	TCase *tc = tcase_create("state-machine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_suspend_buffer_activate_drain);
	tcase_add_test(tc, test_drained_waits_for_quiet_source);
	tcase_add_test(tc, test_data_wants_control);
	tcase_add_test(tc, test_drained_empty_and_retransmit);
	tcase_add_test(tc, test_duplicate_forged_stale);
	tcase_add_test(tc, test_activated_first);
	tcase_add_test(tc, test_aborted);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_unknown_and_bad_frames);
	tcase_add_test(tc, test_pacing);
	tcase_add_test(tc, test_outbox_full_keeps_order);
	tcase_add_test(tc, test_vni_conflict);
	tcase_add_test(tc, test_flush_and_shutdown);
	suite_add_tcase(s, tc);

	tc = tcase_create("policies");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_policy_hold);
	tcase_add_test(tc, test_policy_hold_without_activated);
	tcase_add_test(tc, test_policy_immediate);
	tcase_add_test(tc, test_redirect_peer_and_release);
	tcase_add_test(tc, test_cross_segment_rewrite);
	suite_add_tcase(s, tc);

	tc = tcase_create("operator");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ctl_requests);
	tcase_add_test(tc, test_config);
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

	/* The core logs every transition; keep the test output readable
	 * unless asked (G_MESSAGES_DEBUG=all). */
	if (!g_getenv("G_MESSAGES_DEBUG"))
		g_log_set_writer_func(quiet, NULL, NULL);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
