// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_queue - unit tests of the per-VM frame FIFO (manager/queue.c):
 * order, byte and memory accounting, chunk boundaries, big frames,
 * arrival times, and the memory overhead of buffering.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "queue.h"

static void fill(uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed * 131 + i * 7);
}

START_TEST(test_empty)
{
	struct frame_queue *q = queue_new();
	size_t len;

	ck_assert_ptr_null(queue_peek(q, &len, NULL));
	ck_assert(!queue_pop(q));
	ck_assert_uint_eq(queue_len(q), 0);
	ck_assert_uint_eq(queue_bytes(q), 0);
	ck_assert_uint_eq(queue_mem(q), 0);
	ck_assert(!queue_push(q, "x", 0, 0));
	ck_assert_uint_eq(queue_len(q), 0);
	queue_free(q);
	queue_free(NULL);
}
END_TEST

START_TEST(test_fifo_across_chunks)
{
	struct frame_queue *q = queue_new();
	uint8_t buf[9000], exp[9000];
	GRand *r = g_rand_new_with_seed(42);
	uint64_t bytes = 0;
	unsigned int n = 3000;
	size_t *lens = g_new(size_t, n);

	for (unsigned int i = 0; i < n; i++) {
		uint64_t before = queue_mem(q), cost;

		/* mostly small, some large (GSO) frames */
		lens[i] = i % 97 == 0 ? 5000 + i : 14 + (size_t)g_rand_int_range(r, 0, 1500);
		fill(buf, lens[i], i);
		cost = queue_push_cost(q, lens[i]);
		ck_assert(queue_push(q, buf, lens[i], i));
		ck_assert_uint_eq(queue_mem(q) - before, cost);
		bytes += lens[i];
	}
	ck_assert_uint_eq(queue_len(q), n);
	ck_assert_uint_eq(queue_bytes(q), bytes);
	ck_assert_uint_gt(queue_mem(q), bytes);
	for (unsigned int i = 0; i < n; i++) {
		size_t len;
		const uint8_t *f = queue_peek(q, &len, NULL);

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(len, lens[i]);
		fill(exp, len, i);
		ck_assert(!memcmp(f, exp, len));
		ck_assert(queue_pop(q));
		bytes -= len;
		ck_assert_uint_eq(queue_bytes(q), bytes);
	}
	ck_assert_uint_eq(queue_len(q), 0);
	ck_assert_uint_eq(queue_mem(q), 0);
	g_free(lens);
	g_rand_free(r);
	queue_free(q);
}
END_TEST

START_TEST(test_interleaved)
{
	struct frame_queue *q = queue_new();
	uint32_t next_in = 0, next_out = 0;
	GRand *r = g_rand_new_with_seed(7);

	for (int round = 0; round < 20000; round++) {
		if (g_rand_boolean(r) || !queue_len(q)) {
			ck_assert(queue_push(q, &next_in, sizeof(next_in), 0));
			next_in++;
		} else {
			size_t len;
			uint32_t v;
			const uint8_t *f = queue_peek(q, &len, NULL);

			memcpy(&v, f, sizeof(v));
			ck_assert_uint_eq(v, next_out++);
			queue_pop(q);
		}
		ck_assert_uint_eq(queue_len(q), next_in - next_out);
	}
	queue_clear(q);
	ck_assert_uint_eq(queue_mem(q), 0);
	ck_assert_uint_eq(queue_len(q), 0);
	g_rand_free(r);
	queue_free(q);
}
END_TEST

START_TEST(test_big_frame_own_chunk)
{
	struct frame_queue *q = queue_new();
	static uint8_t big[65499];
	uint64_t cost;

	ck_assert(queue_push(q, "0123456789abcdef", 16, 0));
	cost = queue_push_cost(q, sizeof(big));
	ck_assert_uint_lt(cost, sizeof(big) + 64); /* exact size, not 64 KiB + */
	ck_assert_uint_ge(cost, sizeof(big) + QUEUE_FRAME_HDR);
	ck_assert(queue_push(q, big, sizeof(big), 0));
	ck_assert(queue_push(q, "x", 1, 0)); /* goes to a new chunk again */
	ck_assert_uint_eq(queue_len(q), 3);
	queue_pop(q);
	queue_pop(q);
	{
		size_t len;
		const uint8_t *f = queue_peek(q, &len, NULL);

		ck_assert_uint_eq(len, 1);
		ck_assert_int_eq(f[0], 'x');
	}
	queue_free(q);
}
END_TEST

START_TEST(test_arrival_times)
{
	struct frame_queue *q = queue_new();
	int64_t t0 = 5000000000, at;
	size_t len;

	queue_push(q, "a", 1, t0);
	queue_push(q, "b", 1, t0 + 2500);
	queue_push(q, "c", 1, t0 + 120000000);
	queue_peek(q, &len, &at);
	ck_assert_int_eq(at, t0);
	queue_pop(q);
	queue_peek(q, &len, &at);
	ck_assert_int_eq(at, t0 + 2000); /* ms resolution */
	queue_pop(q);
	queue_peek(q, &len, &at);
	ck_assert_int_eq(at, t0 + 120000000);
	queue_pop(q);
	/* Empty: the epoch restarts with the next frame. */
	queue_push(q, "d", 1, t0 + 999999999);
	queue_peek(q, &len, &at);
	ck_assert_int_eq(at, t0 + 999999999);
	queue_free(q);
}
END_TEST

START_TEST(test_overhead)
{
	/* Buffering adds at most 10% over the payload for typical frames
	 * (the target); measured on the accounted memory. */
	static const size_t sizes[] = { 128, 512, 1000, 1514 };

	for (unsigned int s = 0; s < G_N_ELEMENTS(sizes); s++) {
		struct frame_queue *q = queue_new();
		uint8_t buf[1514] = { 0 };
		double over;

		for (int i = 0; i < 10000; i++)
			queue_push(q, buf, sizes[s], 0);
		over = (double)queue_mem(q) / (double)queue_bytes(q) - 1.0;
		ck_assert_msg(over <= 0.10, "%zu-byte frames: %.1f%% overhead",
			      sizes[s], over * 100);
		queue_free(q);
	}
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("fifo");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_fifo_across_chunks);
	tcase_add_test(tc, test_interleaved);
	tcase_add_test(tc, test_big_frame_own_chunk);
	tcase_add_test(tc, test_arrival_times);
	tcase_add_test(tc, test_overhead);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
