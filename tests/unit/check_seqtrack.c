// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_seqtrack - unit tests of the sequence tracker (seqtrack.c) and of
 * the datagram wire format (seqproto.c), with the Check framework.
 *
 * Lost-at-the-tail semantics under test: the tracker only knows the
 * highest seq it has seen, so datagrams missing after it are not counted
 * as lost (lost = max_seq + 1 - unique) until a later seq arrives.  The
 * sender, which knows how many it sent, accounts for the tail itself.
 */
#include <check.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqproto.h"
#include "seqtrack.h"

#define MS UINT64_C(1000000)

static struct seqtrack t;
static struct seqtrack_report r;

static void setup(void)
{
	seqtrack_init(&t);
}

static void teardown(void)
{
	seqtrack_free(&t);
}

/* Feed seqs from an array, one every millisecond. */
static void feed(const uint64_t *seqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		seqtrack_add(&t, seqs[i], (i + 1) * MS);
	seqtrack_report(&t, &r);
}

START_TEST(test_empty)
{
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.received, 0);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.max_seq, 0);
	ck_assert_uint_eq(r.max_gap_ns, 0);
}
END_TEST

START_TEST(test_in_order)
{
	for (uint64_t s = 0; s < 1000; s++)
		ck_assert_int_eq(seqtrack_add(&t, s, s * MS), SEQTRACK_NEW);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.received, 1000);
	ck_assert_uint_eq(r.unique, 1000);
	ck_assert_uint_eq(r.duplicates, 0);
	ck_assert_uint_eq(r.reordered, 0);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.max_seq, 999);
	ck_assert_uint_eq(r.first_ns, 0);
	ck_assert_uint_eq(r.last_ns, 999 * MS);
}
END_TEST

START_TEST(test_loss_middle)
{
	const uint64_t seqs[] = { 0, 1, 2, 6, 7, 9 }; /* 3,4,5,8 missing */

	feed(seqs, sizeof(seqs) / sizeof(seqs[0]));
	ck_assert_uint_eq(r.unique, 6);
	ck_assert_uint_eq(r.max_seq, 9);
	ck_assert_uint_eq(r.lost, 4);
	ck_assert_uint_eq(r.reordered, 0);
}
END_TEST

START_TEST(test_loss_at_start)
{
	const uint64_t seqs[] = { 5, 6, 7 };

	feed(seqs, 3);
	ck_assert_uint_eq(r.lost, 5);
}
END_TEST

START_TEST(test_duplicates)
{
	const uint64_t seqs[] = { 0, 1, 1, 2, 0, 2, 2 };

	feed(seqs, sizeof(seqs) / sizeof(seqs[0]));
	ck_assert_uint_eq(r.received, 7);
	ck_assert_uint_eq(r.unique, 3);
	ck_assert_uint_eq(r.duplicates, 4);
	/* A late duplicate (0 after 1) is a duplicate, not a reorder. */
	ck_assert_uint_eq(r.reordered, 0);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_int_eq(seqtrack_add(&t, 1, 100 * MS), SEQTRACK_DUPLICATE);
}
END_TEST

START_TEST(test_reordering)
{
	const uint64_t seqs[] = { 0, 2, 1, 3, 6, 4, 5, 7 };

	feed(seqs, sizeof(seqs) / sizeof(seqs[0]));
	ck_assert_uint_eq(r.unique, 8);
	ck_assert_uint_eq(r.reordered, 3); /* 1, 4, 5 */
	ck_assert_uint_eq(r.duplicates, 0);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.max_seq, 7);
}
END_TEST

START_TEST(test_reorder_fills_hole)
{
	seqtrack_add(&t, 0, 1);
	seqtrack_add(&t, 2, 2);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.lost, 1);
	ck_assert_int_eq(seqtrack_add(&t, 1, 3), SEQTRACK_REORDERED);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.reordered, 1);
}
END_TEST

START_TEST(test_tail_loss_not_counted)
{
	/* 0..9 sent, 7..9 lost: the tracker cannot know about them yet. */
	for (uint64_t s = 0; s < 7; s++)
		seqtrack_add(&t, s, s);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.max_seq, 6);
	ck_assert_uint_eq(r.lost, 0);

	/* Once seq 10 arrives, 7..9 become known losses. */
	seqtrack_add(&t, 10, 10);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.lost, 3);
}
END_TEST

START_TEST(test_gap)
{
	seqtrack_add(&t, 0, 1000 * MS);
	seqtrack_add(&t, 1, 1001 * MS);
	seqtrack_add(&t, 2, 1002 * MS);
	seqtrack_add(&t, 3, 1250 * MS); /* 248 ms gap after seq 2 */
	seqtrack_add(&t, 4, 1251 * MS);
	seqtrack_add(&t, 5, 1300 * MS); /* 49 ms */
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.max_gap_ns, 248 * MS);
	ck_assert_uint_eq(r.gap_after_seq, 2);
	ck_assert_uint_eq(r.first_ns, 1000 * MS);
	ck_assert_uint_eq(r.last_ns, 1300 * MS);
}
END_TEST

START_TEST(test_gap_clock_backwards)
{
	seqtrack_add(&t, 0, 10 * MS);
	seqtrack_add(&t, 1, 5 * MS); /* must not wrap into a huge gap */
	seqtrack_add(&t, 2, 7 * MS);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.max_gap_ns, 2 * MS);
	ck_assert_uint_eq(r.gap_after_seq, 1);
}
END_TEST

START_TEST(test_out_of_range)
{
	ck_assert_int_eq(seqtrack_add(&t, SEQTRACK_SEQ_MAX + 1, 1),
			 SEQTRACK_OUT_OF_RANGE);
	ck_assert_int_eq(seqtrack_add(&t, UINT64_MAX, 2),
			 SEQTRACK_OUT_OF_RANGE);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.out_of_range, 2);
	ck_assert_uint_eq(r.received, 0);
	ck_assert_uint_eq(r.unique, 0);

	/* The limit itself is accepted. */
	ck_assert_int_eq(seqtrack_add(&t, SEQTRACK_SEQ_MAX, 3), SEQTRACK_NEW);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.max_seq, SEQTRACK_SEQ_MAX);
	ck_assert_uint_eq(r.lost, SEQTRACK_SEQ_MAX);
	ck_assert_uint_eq(r.out_of_range, 2);
}
END_TEST

START_TEST(test_millions)
{
	const uint64_t n = 3000000;

	/* Even seqs first: every other one is missing meanwhile. */
	for (uint64_t s = 0; s < n; s += 2)
		seqtrack_add(&t, s, s);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.max_seq, n - 2);
	ck_assert_uint_eq(r.lost, n / 2 - 1);

	/*
	 * Then the odd ones: all are reordered except the last, n - 1,
	 * which is above every even seq.
	 */
	for (uint64_t s = 1; s < n; s += 2)
		seqtrack_add(&t, s, n + s);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.unique, n);
	ck_assert_uint_eq(r.reordered, n / 2 - 1);
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.max_seq, n - 1);
}
END_TEST

START_TEST(test_reset)
{
	seqtrack_add(&t, 0, 1);
	seqtrack_add(&t, 5, 2);
	seqtrack_reset(&t);
	seqtrack_report(&t, &r);
	ck_assert_uint_eq(r.received, 0);
	ck_assert_uint_eq(r.lost, 0);
	/* Bits from before the reset must be gone. */
	ck_assert_int_eq(seqtrack_add(&t, 5, 3), SEQTRACK_NEW);
	ck_assert_int_eq(seqtrack_add(&t, 0, 4), SEQTRACK_REORDERED);
}
END_TEST

static Suite *seqtrack_suite(void)
{
	Suite *s = suite_create("seqtrack");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_loss_middle);
	tcase_add_test(tc, test_loss_at_start);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_reordering);
	tcase_add_test(tc, test_reorder_fills_hole);
	tcase_add_test(tc, test_tail_loss_not_counted);
	tcase_add_test(tc, test_gap);
	tcase_add_test(tc, test_gap_clock_backwards);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_millions);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- seqproto ---- */

START_TEST(test_proto_roundtrip_data)
{
	unsigned char buf[64];
	struct seqproto_hdr in = {
		.type = SEQPROTO_DATA,
		.stream_id = 0xdeadbeef,
		.seq = UINT64_C(0x0102030405060708),
		.send_ns = UINT64_C(123456789012345),
	};
	struct seqproto_hdr out;
	uint32_t magic;

	ck_assert_int_eq(seqproto_encode(&in, NULL, buf, sizeof(buf)),
			 SEQPROTO_HDR_LEN);
	/* Network byte order on the wire. */
	memcpy(&magic, buf, 4);
	ck_assert_uint_eq(be32toh(magic), SEQPROTO_MAGIC);
	ck_assert_uint_eq(buf[0], 'M');
	ck_assert_uint_eq(buf[16], 0x01);
	ck_assert_uint_eq(buf[23], 0x08);

	ck_assert_int_eq(seqproto_decode(buf, SEQPROTO_HDR_LEN, &out, NULL),
			 SEQPROTO_OK);
	ck_assert_uint_eq(out.type, SEQPROTO_DATA);
	ck_assert_uint_eq(out.stream_id, 0xdeadbeef);
	ck_assert_uint_eq(out.seq, in.seq);
	ck_assert_uint_eq(out.send_ns, in.send_ns);

	/* Padding after the header is accepted. */
	ck_assert_int_eq(seqproto_decode(buf, sizeof(buf), &out, NULL),
			 SEQPROTO_OK);
}
END_TEST

START_TEST(test_proto_roundtrip_stats)
{
	unsigned char buf[SEQPROTO_HDR_LEN + SEQPROTO_STATS_LEN];
	struct seqproto_hdr in = { .type = SEQPROTO_STATS_REPLY,
				   .stream_id = 7 };
	struct seqproto_stats st = {
		.received = 1, .unique = 2, .duplicates = 3, .reordered = 4,
		.lost = 5, .max_seq = 6, .max_gap_us = 7, .first_ns = 8,
		.last_ns = UINT64_MAX,
	};
	struct seqproto_stats got;
	struct seqproto_hdr out;

	ck_assert_int_eq(seqproto_encode(&in, &st, buf, sizeof(buf)),
			 (int)sizeof(buf));
	ck_assert_int_eq(seqproto_decode(buf, sizeof(buf), &out, &got),
			 SEQPROTO_OK);
	ck_assert_uint_eq(out.type, SEQPROTO_STATS_REPLY);
	ck_assert_uint_eq(got.received, 1);
	ck_assert_uint_eq(got.unique, 2);
	ck_assert_uint_eq(got.duplicates, 3);
	ck_assert_uint_eq(got.reordered, 4);
	ck_assert_uint_eq(got.lost, 5);
	ck_assert_uint_eq(got.max_seq, 6);
	ck_assert_uint_eq(got.max_gap_us, 7);
	ck_assert_uint_eq(got.first_ns, 8);
	ck_assert_uint_eq(got.last_ns, UINT64_MAX);
	/* First payload field right after the header, big endian. */
	ck_assert_uint_eq(buf[SEQPROTO_HDR_LEN + 7], 1);
}
END_TEST

START_TEST(test_proto_reject)
{
	unsigned char buf[SEQPROTO_HDR_LEN + SEQPROTO_STATS_LEN];
	struct seqproto_hdr h = { .type = SEQPROTO_ECHO };
	struct seqproto_hdr out;

	ck_assert_int_eq(seqproto_encode(&h, NULL, buf, sizeof(buf)),
			 SEQPROTO_HDR_LEN);
	ck_assert_int_eq(seqproto_decode(buf, 0, &out, NULL),
			 SEQPROTO_E_SHORT);
	ck_assert_int_eq(seqproto_decode(buf, SEQPROTO_HDR_LEN - 1, &out, NULL),
			 SEQPROTO_E_SHORT);

	buf[0] ^= 0xff;
	ck_assert_int_eq(seqproto_decode(buf, SEQPROTO_HDR_LEN, &out, NULL),
			 SEQPROTO_E_MAGIC);
	buf[0] ^= 0xff;

	buf[5] = 2; /* version 2 */
	ck_assert_int_eq(seqproto_decode(buf, SEQPROTO_HDR_LEN, &out, NULL),
			 SEQPROTO_E_VERSION);
	buf[5] = 1;

	buf[7] = 9; /* type 9 */
	ck_assert_int_eq(seqproto_decode(buf, SEQPROTO_HDR_LEN, &out, NULL),
			 SEQPROTO_E_TYPE);
	buf[7] = SEQPROTO_ECHO;
	ck_assert_int_eq(seqproto_decode(buf, SEQPROTO_HDR_LEN, &out, NULL),
			 SEQPROTO_OK);

	/* A STATS_REPLY without its payload is short. */
	h.type = SEQPROTO_STATS_REPLY;
	ck_assert_int_eq(seqproto_encode(&h, NULL, buf, sizeof(buf)),
			 (int)sizeof(buf));
	ck_assert_int_eq(seqproto_decode(buf, sizeof(buf) - 1, &out, NULL),
			 SEQPROTO_E_SHORT);

	/* Encoding checks its buffer and the type. */
	ck_assert_int_eq(seqproto_encode(&h, NULL, buf, SEQPROTO_HDR_LEN),
			 SEQPROTO_E_NOSPACE);
	h.type = 0;
	ck_assert_int_eq(seqproto_encode(&h, NULL, buf, sizeof(buf)),
			 SEQPROTO_E_TYPE);
	ck_assert_str_eq(seqproto_strerror(SEQPROTO_E_MAGIC),
			 "bad magic (not an MLSQ datagram)");
}
END_TEST

static Suite *seqproto_suite(void)
{
	Suite *s = suite_create("seqproto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_proto_roundtrip_data);
	tcase_add_test(tc, test_proto_roundtrip_stats);
	tcase_add_test(tc, test_proto_reject);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc > 1) {
		FILE *f = strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ?
			  stderr : stdout;

		fprintf(f, "Usage: %s\n"
			"Run the seqtrack and seqproto unit tests (Check).\n"
			"CK_FORK, CK_RUN_SUITE, CK_RUN_CASE etc. work as usual.\n",
			argv[0]);
		return f == stdout ? 0 : 1;
	}
	sr = srunner_create(seqtrack_suite());
	srunner_add_suite(sr, seqproto_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
