/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay.h - replay and duplicate detection for control messages
 * (docs/protocol.md §2, "Authentication and replay protection").
 *
 * A receiver runs every authentic message through replay_check():
 *
 *   - a timestamp more than the tolerance away from now is STALE (a replay,
 *     or a sender whose clock is off): drop, count, no reply;
 *   - a (VM UUID, type, sequence) seen within the window is a DUPLICATE
 *     (a retransmission, or a replay of one): acknowledge again with the
 *     recorded status, change nothing;
 *   - anything else is NEW and is remembered from now on.
 *
 * The cache forgets an entry once the window has passed since it was first
 * seen.  The window is at least twice the tolerance, so a datagram that
 * the cache has forgotten always fails the timestamp check.  There are no
 * timers: expiry happens inside replay_check() and replay_expire(), and
 * the clock is always the caller's @now_us (wall clock, µs since the
 * epoch, like timestamp_us).
 */
#ifndef MIG_REPLAY_H
#define MIG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

#define REPLAY_DEFAULT_WINDOW_US    (60 * UINT64_C(1000000))
#define REPLAY_DEFAULT_TOLERANCE_US (30 * UINT64_C(1000000))

struct replay_cache;

/**
 * enum replay_verdict - result of replay_check().
 * @REPLAY_NEW: first sighting; process it, then replay_set_status().
 * @REPLAY_DUPLICATE: seen within the window; re-acknowledge only.
 * @REPLAY_STALE: timestamp outside the tolerance; drop without reply.
 */
enum replay_verdict {
	REPLAY_NEW,
	REPLAY_DUPLICATE,
	REPLAY_STALE,
};

/**
 * replay_new() - create an empty cache.
 * @window_us: how long an entry is remembered after it was first seen,
 *             0 for REPLAY_DEFAULT_WINDOW_US.
 * @tolerance_us: largest accepted |now - timestamp_us|, 0 for
 *                REPLAY_DEFAULT_TOLERANCE_US.
 *
 * Return: the cache (free with replay_free()), or NULL if @window_us is
 * less than twice @tolerance_us (a forgotten message could then pass the
 * timestamp check and count as new).
 */
struct replay_cache *replay_new(uint64_t window_us, uint64_t tolerance_us);

/**
 * replay_free() - free a cache and all its entries.
 * @cache: cache, or NULL.
 */
void replay_free(struct replay_cache *cache);

/**
 * replay_check() - classify a decoded, authentic message.
 * @cache: cache.
 * @msg: message; its uuid, type, sequence and timestamp_us are used.
 * @now_us: current wall-clock time, µs since the epoch.
 *
 * Expires old entries first, then checks the timestamp, then the cache.
 * A NEW message is inserted with @now_us as its first sighting; a
 * DUPLICATE does not extend its entry's life.
 *
 * Return: enum replay_verdict.
 */
enum replay_verdict replay_check(struct replay_cache *cache,
				 const struct proto_msg *msg, uint64_t now_us);

/**
 * replay_set_status() - record the ACK status given to a message.
 * @cache: cache.
 * @msg: a message replay_check() found NEW.
 * @status: enum proto_status sent in its ACK.
 *
 * Return: true if the entry exists (and now holds @status), false if the
 * message is not in the cache.
 */
bool replay_set_status(struct replay_cache *cache, const struct proto_msg *msg,
		       uint16_t status);

/**
 * replay_get_status() - ACK status to repeat for a DUPLICATE.
 * @cache: cache.
 * @msg: the duplicate message.
 * @status: set to the recorded status on success.
 *
 * Return: true if the message is cached and a status was recorded for it.
 */
bool replay_get_status(const struct replay_cache *cache,
		       const struct proto_msg *msg, uint16_t *status);

/**
 * replay_expire() - forget entries first seen more than the window ago.
 * @cache: cache.
 * @now_us: current wall-clock time, µs since the epoch.
 *
 * replay_check() calls it; call it yourself to bound memory when no
 * messages arrive.  An entry lives while now_us - first_seen <= window.
 *
 * Return: number of entries removed.
 */
unsigned int replay_expire(struct replay_cache *cache, uint64_t now_us);

/**
 * replay_size() - number of remembered messages.
 * @cache: cache.
 *
 * Return: entry count.
 */
unsigned int replay_size(const struct replay_cache *cache);

/**
 * replay_verdict_name() - name of a verdict, for logs and counters.
 * @verdict: enum replay_verdict value.
 *
 * Return: "new", "duplicate", "stale" or "unknown".
 */
const char *replay_verdict_name(enum replay_verdict verdict);

#endif /* MIG_REPLAY_H */
