// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_fuzz - robustness of the manager's input handlers without
 * libFuzzer: random and bit-flipped datagrams (authentic ones of
 * simulated QEMUs, tests/lab/simqemu.c, mutated; some from a stranger's
 * address) into mgr_control_input() and mgr_data_input(), with timers
 * run in between,
 * for FUZZ_ITERATIONS (default 200000) iterations; under ASan+UBSan in the
 * asan/ build.  Asserts that nothing crashes and the accounting holds:
 * every data datagram is buffered or counted as dropped, and the memory
 * counter equals the queues' memory.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "internal.h"
#include "simqemu.h"
#include "wire.h"

static const uint8_t master[32] = "fuzz-master-key-fuzz-master-key";

static GLogWriterOutput quiet(GLogLevelFlags level, const GLogField *f,
			      gsize n, gpointer data)
{
	(void)level;
	(void)f;
	(void)n;
	(void)data;
	return G_LOG_WRITER_HANDLED;
}

/*
 * An authentic control datagram of one of the simulated QEMUs, in an
 * order that reaches every state: SUSPENDING, END, ACTIVATED, ABORTED,
 * ACKs of what the manager sent, now and then a new migration.
 */
static size_t valid_control(GRand *r, struct simq *q, unsigned int nq,
			    uint8_t *buf, struct simq **from)
{
	struct simq *s = &q[g_rand_int_range(r, 0, (gint32)nq)];
	int n;

	*from = s;
	switch (g_rand_int_range(r, 0, 7)) {
	case 0:
		if (g_rand_int_range(r, 0, 4) == 0) {
			simq_new_migration(s);
			/* Its peer (the other QEMU of the VM) follows. */
			memcpy(q[(unsigned int)(s - q) ^ 1].migration_id, s->migration_id,
			       HANDOFF_ID_LEN);
		}
		n = simq_suspending(s, buf);
		break;
	case 1:
		n = simq_activated(s, buf);
		break;
	case 2:
		n = simq_aborted(s, buf);
		break;
	case 3:
		n = simq_end(s, buf);
		break;
	default:
		n = simq_ack(s, (uint64_t)g_rand_int_range(r, 0, 100), buf);
		break;
	}
	return n > 0 ? (size_t)n : 0;
}

/* A sealed frame of one of the QEMUs' NICs; *@from is its endpoint. */
static size_t valid_data(GRand *r, struct simq *q, unsigned int nq, uint8_t *buf,
			 const HandoffEndpoint **from)
{
	struct simq *s = &q[g_rand_int_range(r, 0, (gint32)nq)];
	unsigned int nic = (unsigned int)g_rand_int_range(r, 0, (gint32)s->n_nics);
	size_t size = (size_t)g_rand_int_range(r, 18, 200);

	*from = &s->nics[nic].ep;
	return (size_t)simq_frame(s, nic, (uint32_t)g_rand_int(r), size, buf);
}

static void mutate(GRand *r, uint8_t *buf, size_t *len, size_t cap)
{
	switch (g_rand_int_range(r, 0, 4)) {
	case 0: /* bit flips */
		for (int i = g_rand_int_range(r, 1, 4); i > 0 && *len; i--)
			buf[g_rand_int_range(r, 0, (gint32)*len)] ^=
				(uint8_t)(1 << g_rand_int_range(r, 0, 8));
		break;
	case 1: /* truncation */
		*len = (size_t)g_rand_int_range(r, 0, (gint32)*len + 1);
		break;
	case 2: /* random tail */
		if (*len < cap) {
			size_t add = (size_t)g_rand_int_range(r, 1, (gint32)MIN(cap - *len, 64) + 1);

			for (size_t i = 0; i < add; i++)
				buf[*len + i] = (uint8_t)g_rand_int(r);
			*len += add;
		}
		break;
	default: /* unchanged */
		break;
	}
}

/* The drop reasons of the data socket. */
static const enum drop_reason data_reasons[] = {
	DROP_BUFFER_FULL, DROP_MEMORY_CAP, DROP_UNKNOWN_VNI, DROP_UNKNOWN_PEER,
	DROP_WINDOW_CLOSED, DROP_SHORT, DROP_NOT_GENEVE, DROP_NO_AUTH,
	DROP_FRAME_AUTH, DROP_REPLAYED, DROP_TOO_OLD,
};

START_TEST(test_fuzz_handlers)
{
	struct mgr_config cfg;
	struct mgr *m;
	struct simq q[4];
	struct mig_addr stranger;
	GRand *r = g_rand_new_with_seed(20240607);
	const char *env = g_getenv("FUZZ_ITERATIONS");
	long iters = env ? atol(env) : 200000;
	int64_t mono = 1000000000, real = INT64_C(1700000000000000);
	static const uint8_t uuid[2][16] = { { 1 }, { 2 } };
	static uint8_t buf[HANDOFF_MAX_LEN + 512];
	g_autoptr(GError) err = NULL;

	config_defaults(&cfg);
	memcpy(cfg.key, master, sizeof(master));
	cfg.key_len = sizeof(master);
	g_clear_pointer(&cfg.state_file, g_free);
	cfg.max_packets = 500;
	cfg.expire_ms = 300;
	cfg.linger_ms = 100;
	cfg.pace_pps = 0;
	m = mgr_new(&cfg, &err);
	ck_assert_msg(m, "%s", err ? err->message : "");
	/* VM 1 with two NICs (source, destination), VM 2 with one. */
	simq_init(&q[0], master, sizeof(master), uuid[0], "vm1", 2, "127.0.0.1", 40000);
	simq_init(&q[1], master, sizeof(master), uuid[0], "vm1", 2, "127.0.0.2", 40000);
	memcpy(q[1].migration_id, q[0].migration_id, HANDOFF_ID_LEN);
	simq_init(&q[2], master, sizeof(master), uuid[1], "vm2", 1, "127.0.0.1", 41000);
	simq_init(&q[3], master, sizeof(master), uuid[1], "vm2", 1, "127.0.0.2", 41000);
	memcpy(q[3].migration_id, q[2].migration_id, HANDOFF_ID_LEN);
	addr_parse("127.0.0.9:4000", &stranger);
	for (long i = 0; i < iters; i++) {
		int kind = g_rand_int_range(r, 0, 10);
		struct mig_addr from;
		size_t len;

		mono += g_rand_int_range(r, 0, 2000);
		real += g_rand_int_range(r, 0, 2000);
		mgr_set_time(m, mono, real);
		for (unsigned int k = 0; k < G_N_ELEMENTS(q); k++)
			q[k].now_us = (uint64_t)real;
		if (kind < 3) {
			struct simq *s;

			len = valid_control(r, q, G_N_ELEMENTS(q), buf, &s);
			mutate(r, buf, &len, HANDOFF_MAX_LEN);
			addr_from_endpoint(&s->control, &from);
			mgr_control_input(m, buf, len, i % 17 ? &from : &stranger);
		} else if (kind < 9) {
			const HandoffEndpoint *ep;

			len = valid_data(r, q, G_N_ELEMENTS(q), buf, &ep);
			mutate(r, buf, &len, sizeof(buf));
			addr_from_endpoint(ep, &from);
			mgr_data_input(m, buf, len, i % 13 ? &from : &stranger);
		} else {
			len = (size_t)g_rand_int_range(r, 0, HANDOFF_MAX_LEN + 64);
			for (size_t j = 0; j < len; j++)
				buf[j] = (uint8_t)g_rand_int(r);
			if (i & 1)
				mgr_control_input(m, buf, len, &stranger);
			else
				mgr_data_input(m, buf, len, &stranger);
		}
		mgr_poll(m);
		for (unsigned int k = 0; k < m->n_out; k++)
			ck_assert_uint_gt(m->out[k].len, 0);
		mgr_outbox_done(m, m->n_out);
	}
	{
		GPtrArray *vms = vmtable_list(m->vms);
		uint64_t drops = 0, mem = 0;

		for (unsigned int i = 0; i < G_N_ELEMENTS(data_reasons); i++)
			drops += m->st.drops[data_reasons[i]];
		ck_assert_uint_eq(m->st.c[CTR_DATA_DATAGRAMS],
				  m->st.c[CTR_FRAMES_BUFFERED] + drops);
		for (unsigned int i = 0; i < vms->len; i++) {
			struct mig_vm *vm = vms->pdata[i];

			for (unsigned int n = 0; n < vm->n_nics; n++)
				mem += queue_mem(vm->nics[n].queue);
		}
		ck_assert_uint_eq(m->mem, mem);
		/* The fuzzer reached the interesting states. */
		ck_assert_uint_gt(m->st.c[CTR_FRAMES_BUFFERED], 0);
		ck_assert_uint_gt(m->st.c[CTR_FRAMES_RELEASED], 0);
		ck_assert_uint_gt(m->st.c[CTR_SUSPENDING], 0);
		ck_assert_uint_gt(m->st.c[CTR_ENDS], 0);
		ck_assert_uint_gt(m->st.drops[DROP_AUTH_FAILURE], 0);
		ck_assert_uint_gt(m->st.drops[DROP_FRAME_AUTH], 0);
		ck_assert_uint_gt(m->st.drops[DROP_UNKNOWN_PEER], 0);
		ck_assert_uint_gt(m->st.drops[DROP_ENDPOINT_MISMATCH], 0);
		g_ptr_array_unref(vms);
	}
	mgr_shutdown(m);
	ck_assert_uint_eq(m->mem, 0);
	mgr_free(m);
	config_clear(&cfg);
	g_rand_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc = tcase_create("handlers");
	SRunner *sr;
	int failed;

	g_log_set_writer_func(quiet, NULL, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fuzz_handlers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
