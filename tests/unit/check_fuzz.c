// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_fuzz - robustness of the manager's input handlers without
 * libFuzzer: random and bit-flipped datagrams (valid ones mutated) into
 * mgr_control_input() and mgr_data_input(), with timers run in between,
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
#include "wire.h"

static const uint8_t key[32] = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuz";

static GLogWriterOutput quiet(GLogLevelFlags level, const GLogField *f,
			      gsize n, gpointer data)
{
	(void)level;
	(void)f;
	(void)n;
	(void)data;
	return G_LOG_WRITER_HANDLED;
}

static size_t valid_control(GRand *r, uint8_t *buf, int64_t now_real)
{
	HandoffMsg msg;
	int n;

	memset(&msg, 0, sizeof(msg));
	msg.type = (uint8_t)g_rand_int_range(r, 1, 6);
	msg.sequence = g_rand_int_range(r, 0, 50);
	msg.timestamp_us = (uint64_t)now_real;
	msg.uuid[0] = (uint8_t)g_rand_int_range(r, 0, 3);
	g_snprintf(msg.name, sizeof(msg.name), "vm%u", msg.uuid[0]);
	msg.n_macs = 1;
	msg.vni = handoff_vni(msg.uuid);
	msg.endpoint.family = 4;
	msg.endpoint.port = 4000;
	msg.acked_sequence = g_rand_int(r);
	n = handoff_msg_encode(&msg, key, sizeof(key), buf, HANDOFF_MAX_LEN);
	return n > 0 ? (size_t)n : 0;
}

static size_t valid_data(GRand *r, uint8_t *buf)
{
	uint8_t f[200], uuid[16] = { 0 };
	size_t len = (size_t)g_rand_int_range(r, 14, sizeof(f));

	uuid[0] = (uint8_t)g_rand_int_range(r, 0, 3);
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)g_rand_int(r);
	return (size_t)handoff_vxlan_encap(handoff_vni(uuid), f, len, buf, 256);
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

START_TEST(test_fuzz_handlers)
{
	struct mgr_config cfg;
	struct mgr *m;
	struct mig_addr from[2];
	GRand *r = g_rand_new_with_seed(20240607);
	const char *env = g_getenv("FUZZ_ITERATIONS");
	long iters = env ? atol(env) : 200000;
	int64_t mono = 1000000000, real = INT64_C(1700000000000000);
	static uint8_t buf[HANDOFF_MAX_LEN + 256];

	config_defaults(&cfg);
	memcpy(cfg.key, key, sizeof(key));
	cfg.key_len = sizeof(key);
	cfg.max_packets = 500;
	cfg.expire_ms = 300;
	cfg.linger_ms = 100;
	m = mgr_new(&cfg);
	addr_parse("0.0.0.0:0", &from[0]);
	addr_parse("127.0.0.1:4000", &from[0]);
	addr_parse("127.0.0.2:4000", &from[1]);
	for (long i = 0; i < iters; i++) {
		int kind = g_rand_int_range(r, 0, 10);
		size_t len;

		mono += g_rand_int_range(r, 0, 2000);
		real += g_rand_int_range(r, 0, 2000);
		mgr_set_time(m, mono, real);
		if (kind < 3) {
			len = valid_control(r, buf, real);
			mutate(r, buf, &len, sizeof(buf));
			mgr_control_input(m, buf, len, &from[i & 1]);
		} else if (kind < 9) {
			len = valid_data(r, buf);
			mutate(r, buf, &len, sizeof(buf));
			mgr_data_input(m, buf, len, &from[(i >> 3) & 1]);
		} else {
			len = (size_t)g_rand_int_range(r, 0, sizeof(buf));
			for (size_t j = 0; j < len; j++)
				buf[j] = (uint8_t)g_rand_int(r);
			if (i & 1)
				mgr_control_input(m, buf, len, &from[0]);
			else
				mgr_data_input(m, buf, len, &from[0]);
		}
		mgr_poll(m);
		for (unsigned int k = 0; k < m->n_out; k++)
			ck_assert_uint_gt(m->out[k].len, 0);
		mgr_outbox_done(m, m->n_out);
	}
	{
		static const enum drop_reason data_reasons[] = {
			DROP_BUFFER_FULL, DROP_MEMORY_CAP, DROP_UNKNOWN_VNI,
			DROP_UNKNOWN_PEER, DROP_WINDOW_CLOSED, DROP_SHORT,
			DROP_NO_VNI,
		};
		GPtrArray *vms = vmtable_list(m->vms);
		uint64_t drops = 0, mem = 0;

		for (unsigned int i = 0; i < G_N_ELEMENTS(data_reasons); i++)
			drops += m->st.drops[data_reasons[i]];
		ck_assert_uint_eq(m->st.c[CTR_DATA_DATAGRAMS],
				  m->st.c[CTR_FRAMES_BUFFERED] + drops);
		for (unsigned int i = 0; i < vms->len; i++)
			mem += queue_mem(((struct mig_vm *)vms->pdata[i])->queue);
		ck_assert_uint_eq(m->mem, mem);
		/* The fuzzer reached the interesting states. */
		ck_assert_uint_gt(m->st.c[CTR_FRAMES_BUFFERED], 0);
		ck_assert_uint_gt(m->st.c[CTR_SUSPENDING], 0);
		ck_assert_uint_gt(m->st.drops[DROP_AUTH_FAILURE], 0);
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
