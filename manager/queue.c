// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * queue.c - per-VM FIFO of frames packed into chunks.
 *
 * Frame record inside a chunk (host byte order, unaligned, memcpy'd):
 *
 *   u32 length | u32 arrival (ms since the queue's epoch) | bytes ...
 *
 * The epoch is reset whenever the queue becomes empty, so a u32 of ms
 * covers any frame younger than 49 days.
 */
#include "queue.h"

#include <string.h>

#include <glib.h>

struct chunk {
	struct chunk *next;
	uint32_t size;   /* bytes of data[] */
	uint32_t used;   /* bytes written */
	uint32_t head;   /* offset of the next frame to take */
	uint8_t data[];
};

struct frame_queue {
	struct chunk *first;
	struct chunk *last;
	unsigned int len;
	uint64_t bytes;
	uint64_t mem;
	int64_t epoch_us;
};

struct frame_queue *queue_new(void)
{
	return g_new0(struct frame_queue, 1);
}

static void chunk_free(struct frame_queue *q, struct chunk *c)
{
	q->mem -= sizeof(*c) + c->size;
	g_free(c);
}

void queue_clear(struct frame_queue *q)
{
	struct chunk *c = q->first, *n;

	for (; c; c = n) {
		n = c->next;
		chunk_free(q, c);
	}
	q->first = q->last = NULL;
	q->len = 0;
	q->bytes = 0;
}

void queue_free(struct frame_queue *q)
{
	if (!q)
		return;
	queue_clear(q);
	g_free(q);
}

static size_t chunk_size_for(size_t rec)
{
	return rec > QUEUE_BIG_FRAME ? rec : QUEUE_CHUNK_SIZE;
}

uint64_t queue_push_cost(const struct frame_queue *q, size_t len)
{
	size_t rec = QUEUE_FRAME_HDR + len;
	const struct chunk *t = q->last;

	if (t && len <= QUEUE_BIG_FRAME && t->size - t->used >= rec)
		return 0;
	return sizeof(struct chunk) + chunk_size_for(rec);
}

bool queue_push(struct frame_queue *q, const void *frame, size_t len,
		int64_t now_us)
{
	size_t rec = QUEUE_FRAME_HDR + len;
	struct chunk *t = q->last;
	uint32_t hdr[2];
	int64_t rel;

	if (!len || len > UINT32_MAX - QUEUE_FRAME_HDR)
		return false;
	if (!q->len)
		q->epoch_us = now_us;
	if (!t || len > QUEUE_BIG_FRAME || t->size - t->used < rec) {
		size_t size = chunk_size_for(rec);

		t = g_malloc(sizeof(*t) + size);
		t->next = NULL;
		t->size = (uint32_t)size;
		t->used = t->head = 0;
		q->mem += sizeof(*t) + size;
		if (q->last)
			q->last->next = t;
		else
			q->first = t;
		q->last = t;
	}
	rel = (now_us - q->epoch_us) / 1000;
	hdr[0] = (uint32_t)len;
	hdr[1] = rel < 0 ? 0 : rel > UINT32_MAX ? UINT32_MAX : (uint32_t)rel;
	memcpy(t->data + t->used, hdr, sizeof(hdr));
	memcpy(t->data + t->used + QUEUE_FRAME_HDR, frame, len);
	t->used += (uint32_t)rec;
	q->len++;
	q->bytes += len;
	return true;
}

const uint8_t *queue_peek(const struct frame_queue *q, size_t *len,
			  int64_t *arrival_us)
{
	const struct chunk *c = q->first;
	uint32_t hdr[2];

	if (!q->len)
		return NULL;
	/* The head chunk always holds the head frame (see queue_pop()). */
	memcpy(hdr, c->data + c->head, sizeof(hdr));
	*len = hdr[0];
	if (arrival_us)
		*arrival_us = q->epoch_us + (int64_t)hdr[1] * 1000;
	return c->data + c->head + QUEUE_FRAME_HDR;
}

bool queue_pop(struct frame_queue *q)
{
	struct chunk *c = q->first;
	uint32_t len;

	if (!q->len)
		return false;
	memcpy(&len, c->data + c->head, sizeof(len));
	c->head += QUEUE_FRAME_HDR + len;
	q->len--;
	q->bytes -= len;
	if (c->head == c->used) {
		if (c->next) {
			q->first = c->next;
			chunk_free(q, c);
		} else {
			/* Last chunk: keep it for the next frames. */
			c->head = c->used = 0;
		}
	}
	if (!q->len && q->first && q->first->used == 0) {
		/* An empty queue keeps no memory. */
		chunk_free(q, q->first);
		q->first = q->last = NULL;
	}
	return true;
}

unsigned int queue_len(const struct frame_queue *q)
{
	return q->len;
}

uint64_t queue_bytes(const struct frame_queue *q)
{
	return q->bytes;
}

uint64_t queue_mem(const struct frame_queue *q)
{
	return q->mem;
}
