/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seqtrack.h - sequence number tracker for datagram streams.
 *
 * Plain C11 + libc: it is linked statically into the guest too.
 *
 * Semantics (sequence numbers start at 0):
 *  - received:   every accepted datagram (in range), i.e. unique + duplicates
 *  - unique:     distinct sequence numbers seen
 *  - duplicates: datagrams whose seq had already been seen
 *  - reordered:  first arrival of a seq lower than the highest seen so far
 *  - lost:       max_seq + 1 - unique, computed at report time.  Datagrams
 *                after the highest seq received are unknown to the tracker
 *                and are NOT counted: losses at the tail of a stream only
 *                show up once a later seq arrives (or when the sender, who
 *                knows how many it sent, compares with its own count).
 *                A seq that arrives late stops being counted as lost.
 *  - max_gap_ns: longest time between two consecutive accepted arrivals
 *                (any seq, duplicates included); gap_after_seq is the seq
 *                of the arrival that preceded that gap.
 *  - out_of_range: datagrams with seq > SEQTRACK_SEQ_MAX, rejected and not
 *                counted anywhere else.
 */
#ifndef MIG_SEQTRACK_H
#define MIG_SEQTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Highest accepted sequence number (bitmap of at most 8 MiB). */
#define SEQTRACK_SEQ_MAX (UINT64_C(1) << 26)

/**
 * enum seqtrack_result - what seqtrack_add() made of a datagram.
 * @SEQTRACK_NEW: first arrival of this seq, in order.
 * @SEQTRACK_REORDERED: first arrival of this seq, below the highest seen.
 * @SEQTRACK_DUPLICATE: this seq had been seen before.
 * @SEQTRACK_OUT_OF_RANGE: seq > SEQTRACK_SEQ_MAX, rejected.
 * @SEQTRACK_NOMEM: the bitmap could not grow, datagram not counted.
 */
enum seqtrack_result {
	SEQTRACK_NEW = 0,
	SEQTRACK_REORDERED = 1,
	SEQTRACK_DUPLICATE = 2,
	SEQTRACK_OUT_OF_RANGE = -1,
	SEQTRACK_NOMEM = -2,
};

/**
 * struct seqtrack - state of one tracked stream.
 * @bits: bitmap of seen sequence numbers, @nwords 64-bit words.
 * @nwords: allocated words in @bits.
 * @received: see file comment.
 * @unique: see file comment.
 * @duplicates: see file comment.
 * @reordered: see file comment.
 * @out_of_range: see file comment.
 * @nomem: datagrams dropped because the bitmap could not grow.
 * @max_seq: highest seq seen (valid when @unique > 0).
 * @first_ns: arrival time of the first accepted datagram.
 * @last_ns: arrival time of the latest accepted datagram.
 * @last_seq: seq of the latest accepted datagram.
 * @max_gap_ns: longest time between consecutive accepted arrivals.
 * @gap_after_seq: seq of the arrival just before the longest gap.
 *
 * Treat as opaque outside seqtrack.c; use seqtrack_report() to read it.
 */
struct seqtrack {
	uint64_t *bits;
	size_t nwords;
	uint64_t received;
	uint64_t unique;
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t out_of_range;
	uint64_t nomem;
	uint64_t max_seq;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t last_seq;
	uint64_t max_gap_ns;
	uint64_t gap_after_seq;
};

/**
 * struct seqtrack_report - counters of a stream at one point in time.
 * @received: accepted datagrams (unique + duplicates).
 * @unique: distinct sequence numbers.
 * @duplicates: repeated sequence numbers.
 * @reordered: late first arrivals.
 * @lost: max_seq + 1 - unique (0 when nothing was received).
 * @max_seq: highest seq seen (0 when nothing was received).
 * @out_of_range: rejected datagrams with seq > SEQTRACK_SEQ_MAX.
 * @nomem: datagrams not counted for lack of memory.
 * @max_gap_ns: longest inter-arrival time, nanoseconds.
 * @gap_after_seq: seq received just before that gap.
 * @first_ns: first arrival time (0 when nothing was received).
 * @last_ns: last arrival time (0 when nothing was received).
 */
struct seqtrack_report {
	uint64_t received;
	uint64_t unique;
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t lost;
	uint64_t max_seq;
	uint64_t out_of_range;
	uint64_t nomem;
	uint64_t max_gap_ns;
	uint64_t gap_after_seq;
	uint64_t first_ns;
	uint64_t last_ns;
};

/**
 * seqtrack_init() - initialise an empty tracker (allocates nothing).
 * @t: tracker.
 */
void seqtrack_init(struct seqtrack *t);

/**
 * seqtrack_reset() - forget everything, e.g. when a new stream starts.
 * @t: tracker.
 *
 * Keeps the bitmap allocation (cleared) for reuse.
 */
void seqtrack_reset(struct seqtrack *t);

/**
 * seqtrack_free() - release the bitmap; @t is empty and usable afterwards.
 * @t: tracker.
 */
void seqtrack_free(struct seqtrack *t);

/**
 * seqtrack_add() - account one arrival.
 * @t: tracker.
 * @seq: sequence number of the datagram.
 * @arrival_ns: arrival time, nanoseconds of a monotonic clock.
 *
 * Return: an enum seqtrack_result; negative values mean the datagram was
 * rejected (and counted in out_of_range or nomem).
 */
int seqtrack_add(struct seqtrack *t, uint64_t seq, uint64_t arrival_ns);

/**
 * seqtrack_report() - snapshot the counters and compute derived values.
 * @t: tracker.
 * @r: filled in.
 */
void seqtrack_report(const struct seqtrack *t, struct seqtrack_report *r);

#endif /* MIG_SEQTRACK_H */
