// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * replay.c - replay and duplicate detection for control messages.
 *
 * Entries live in a hash table keyed by (VM UUID, type, sequence), packed
 * big-endian into a GBytes, and in a queue in order of first sighting, so
 * expiry only ever looks at the head of the queue.
 */
#include "replay.h"

#include <string.h>

#include <glib.h>

#define KEY_LEN (PROTO_UUID_LEN + 1 + 8)

struct replay_entry {
	GBytes *key;
	uint64_t first_seen_us;
	bool has_status;
	uint16_t status;
};

struct replay_cache {
	uint64_t window_us;
	uint64_t tolerance_us;
	GHashTable *entries; /* GBytes key -> struct replay_entry (owned) */
	GQueue order;        /* struct replay_entry, oldest first */
};

static void entry_free(gpointer data)
{
	struct replay_entry *e = data;

	g_bytes_unref(e->key);
	g_free(e);
}

/* Pack the identity of @msg into @buf; @buf must hold KEY_LEN bytes. */
static void pack_key(const struct proto_msg *msg, uint8_t buf[KEY_LEN])
{
	uint64_t seq = GUINT64_TO_BE(msg->sequence);

	memcpy(buf, msg->uuid, PROTO_UUID_LEN);
	buf[PROTO_UUID_LEN] = msg->type;
	memcpy(buf + PROTO_UUID_LEN + 1, &seq, sizeof(seq));
}

static struct replay_entry *lookup(const struct replay_cache *cache,
				   const struct proto_msg *msg)
{
	uint8_t buf[KEY_LEN];
	GBytes *key;
	struct replay_entry *e;

	pack_key(msg, buf);
	key = g_bytes_new_static(buf, sizeof(buf));
	e = g_hash_table_lookup(cache->entries, key);
	g_bytes_unref(key);
	return e;
}

struct replay_cache *replay_new(uint64_t window_us, uint64_t tolerance_us)
{
	struct replay_cache *cache;

	if (!window_us)
		window_us = REPLAY_DEFAULT_WINDOW_US;
	if (!tolerance_us)
		tolerance_us = REPLAY_DEFAULT_TOLERANCE_US;
	if (tolerance_us > UINT64_MAX / 2 || window_us < 2 * tolerance_us)
		return NULL;

	cache = g_new0(struct replay_cache, 1);
	cache->window_us = window_us;
	cache->tolerance_us = tolerance_us;
	cache->entries = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					       NULL, entry_free);
	g_queue_init(&cache->order);
	return cache;
}

void replay_free(struct replay_cache *cache)
{
	if (!cache)
		return;
	g_queue_clear(&cache->order);
	g_hash_table_destroy(cache->entries);
	g_free(cache);
}

unsigned int replay_expire(struct replay_cache *cache, uint64_t now_us)
{
	unsigned int removed = 0;
	struct replay_entry *e;

	/*
	 * Oldest first.  If the wall clock stepped back, a later entry may
	 * be older than the head; it then lives a little longer, which only
	 * errs on the side of calling a message a duplicate.
	 */
	while ((e = g_queue_peek_head(&cache->order)) &&
	       now_us > e->first_seen_us &&
	       now_us - e->first_seen_us > cache->window_us) {
		g_queue_pop_head(&cache->order);
		g_hash_table_remove(cache->entries, e->key);
		removed++;
	}
	return removed;
}

enum replay_verdict replay_check(struct replay_cache *cache,
				 const struct proto_msg *msg, uint64_t now_us)
{
	uint64_t skew;
	uint8_t buf[KEY_LEN];
	struct replay_entry *e;

	replay_expire(cache, now_us);

	skew = now_us > msg->timestamp_us ? now_us - msg->timestamp_us
					  : msg->timestamp_us - now_us;
	if (skew > cache->tolerance_us)
		return REPLAY_STALE;
	if (lookup(cache, msg))
		return REPLAY_DUPLICATE;

	pack_key(msg, buf);
	e = g_new0(struct replay_entry, 1);
	e->key = g_bytes_new(buf, sizeof(buf));
	e->first_seen_us = now_us;
	g_hash_table_insert(cache->entries, e->key, e);
	g_queue_push_tail(&cache->order, e);
	return REPLAY_NEW;
}

bool replay_set_status(struct replay_cache *cache, const struct proto_msg *msg,
		       uint16_t status)
{
	struct replay_entry *e = lookup(cache, msg);

	if (!e)
		return false;
	e->status = status;
	e->has_status = true;
	return true;
}

bool replay_get_status(const struct replay_cache *cache,
		       const struct proto_msg *msg, uint16_t *status)
{
	struct replay_entry *e = lookup(cache, msg);

	if (!e || !e->has_status)
		return false;
	*status = e->status;
	return true;
}

unsigned int replay_size(const struct replay_cache *cache)
{
	return g_hash_table_size(cache->entries);
}

const char *replay_verdict_name(enum replay_verdict verdict)
{
	switch (verdict) {
	case REPLAY_NEW:
		return "new";
	case REPLAY_DUPLICATE:
		return "duplicate";
	case REPLAY_STALE:
		return "stale";
	default:
		return "unknown";
	}
}
