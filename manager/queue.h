/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * queue.h - per-VM FIFO of buffered frames.
 *
 * Frames are packed back to back into 64 KiB chunks, each behind an 8-byte
 * header (length, arrival time), so a buffered frame costs its bytes plus
 * 8 plus its share of one partly used chunk, not a heap block of its own.
 * Frames over 4 KiB (GSO frames) get a chunk of their exact size.  The
 * queue only appends at the tail and takes from the head; a chunk is freed
 * when its last frame is taken.
 *
 * The queue enforces no caps itself; queue_bytes(), queue_len() and
 * queue_mem() let the caller decide.  Times are the caller's (monotonic
 * µs); the header stores them as ms relative to the queue's epoch.
 */
#ifndef MIG_QUEUE_H
#define MIG_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_CHUNK_SIZE  65536
#define QUEUE_BIG_FRAME   4096
#define QUEUE_FRAME_HDR   8

struct frame_queue;

/**
 * queue_new() - create an empty queue.
 *
 * Return: the queue; free with queue_free().
 */
struct frame_queue *queue_new(void);

/**
 * queue_free() - free a queue and every frame in it.
 * @q: queue, or NULL.
 */
void queue_free(struct frame_queue *q);

/**
 * queue_push() - append a copy of a frame at the tail.
 * @q: queue.
 * @frame: frame bytes.
 * @len: their number, 1..UINT32_MAX.
 * @now_us: arrival time (monotonic µs).
 *
 * Return: true, or false if @len is 0.
 */
bool queue_push(struct frame_queue *q, const void *frame, size_t len,
		int64_t now_us);

/**
 * queue_peek() - the frame at the head.
 * @q: queue.
 * @len: set to its length.
 * @arrival_us: if not NULL, set to its arrival time (ms resolution).
 *
 * Return: pointer to the frame, valid until the next queue_pop(),
 * queue_clear() or queue_free(); NULL if the queue is empty.
 */
const uint8_t *queue_peek(const struct frame_queue *q, size_t *len,
			  int64_t *arrival_us);

/**
 * queue_pop() - remove the frame at the head.
 * @q: queue.
 *
 * Return: true, or false if the queue was empty.
 */
bool queue_pop(struct frame_queue *q);

/**
 * queue_clear() - remove every frame.
 * @q: queue.
 */
void queue_clear(struct frame_queue *q);

/**
 * queue_len() - number of frames.
 * @q: queue.
 *
 * Return: frame count.
 */
unsigned int queue_len(const struct frame_queue *q);

/**
 * queue_bytes() - sum of the frames' lengths.
 * @q: queue.
 *
 * Return: payload bytes held.
 */
uint64_t queue_bytes(const struct frame_queue *q);

/**
 * queue_mem() - memory the queue holds for its frames: every chunk's
 * allocated size (the queue's own struct not included).
 * @q: queue.
 *
 * Return: bytes.
 */
uint64_t queue_mem(const struct frame_queue *q);

/**
 * queue_push_cost() - how much queue_mem() grows if a frame of @len bytes
 * is pushed now.
 * @q: queue.
 * @len: frame length.
 *
 * Return: 0 when the frame fits the tail chunk, else the new chunk's size.
 */
uint64_t queue_push_cost(const struct frame_queue *q, size_t len);

#endif /* MIG_QUEUE_H */
