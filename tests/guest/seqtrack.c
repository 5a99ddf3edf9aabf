// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seqtrack.c - sequence number tracker (see seqtrack.h for semantics).
 */
#include "seqtrack.h"

#include <stdlib.h>
#include <string.h>

#define WORD_BITS 64
/* Words needed to hold bit SEQTRACK_SEQ_MAX. */
#define MAX_WORDS ((size_t)(SEQTRACK_SEQ_MAX / WORD_BITS + 1))
#define MIN_WORDS ((size_t)1024) /* 65536 seqs, 8 KiB */

void seqtrack_init(struct seqtrack *t)
{
	memset(t, 0, sizeof(*t));
}

void seqtrack_reset(struct seqtrack *t)
{
	uint64_t *bits = t->bits;
	size_t nwords = t->nwords;

	if (bits)
		memset(bits, 0, nwords * sizeof(*bits));
	seqtrack_init(t);
	t->bits = bits;
	t->nwords = nwords;
}

void seqtrack_free(struct seqtrack *t)
{
	free(t->bits);
	seqtrack_init(t);
}

/* Make bit @seq addressable; return false if memory is exhausted. */
static bool grow(struct seqtrack *t, uint64_t seq)
{
	size_t need = (size_t)(seq / WORD_BITS) + 1;
	size_t n = t->nwords ? t->nwords : MIN_WORDS;
	uint64_t *bits;

	if (need <= t->nwords)
		return true;
	while (n < need)
		n *= 2;
	if (n > MAX_WORDS)
		n = MAX_WORDS;

	bits = realloc(t->bits, n * sizeof(*bits));
	if (!bits)
		return false;
	memset(bits + t->nwords, 0, (n - t->nwords) * sizeof(*bits));
	t->bits = bits;
	t->nwords = n;
	return true;
}

int seqtrack_add(struct seqtrack *t, uint64_t seq, uint64_t arrival_ns)
{
	uint64_t mask = UINT64_C(1) << (seq % WORD_BITS);
	uint64_t *word;
	int res;

	if (seq > SEQTRACK_SEQ_MAX) {
		t->out_of_range++;
		return SEQTRACK_OUT_OF_RANGE;
	}
	if (!grow(t, seq)) {
		t->nomem++;
		return SEQTRACK_NOMEM;
	}

	if (t->received == 0) {
		t->first_ns = arrival_ns;
	} else if (arrival_ns > t->last_ns &&
		   arrival_ns - t->last_ns > t->max_gap_ns) {
		t->max_gap_ns = arrival_ns - t->last_ns;
		t->gap_after_seq = t->last_seq;
	}
	t->last_ns = arrival_ns;
	t->last_seq = seq;
	t->received++;

	word = &t->bits[seq / WORD_BITS];
	if (*word & mask) {
		t->duplicates++;
		return SEQTRACK_DUPLICATE;
	}
	*word |= mask;

	if (t->unique > 0 && seq < t->max_seq) {
		t->reordered++;
		res = SEQTRACK_REORDERED;
	} else {
		t->max_seq = seq;
		res = SEQTRACK_NEW;
	}
	t->unique++;
	return res;
}

void seqtrack_report(const struct seqtrack *t, struct seqtrack_report *r)
{
	memset(r, 0, sizeof(*r));
	r->received = t->received;
	r->unique = t->unique;
	r->duplicates = t->duplicates;
	r->reordered = t->reordered;
	r->out_of_range = t->out_of_range;
	r->nomem = t->nomem;
	r->max_gap_ns = t->max_gap_ns;
	r->gap_after_seq = t->gap_after_seq;
	if (t->unique > 0) {
		r->max_seq = t->max_seq;
		r->lost = t->max_seq + 1 - t->unique;
		r->first_ns = t->first_ns;
		r->last_ns = t->last_ns;
	}
}
