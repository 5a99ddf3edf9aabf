// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scope.c - a ticket's state to its VM (see scope.h).
 */
#include "scope.h"

#include <stdbool.h>
#include <string.h>

#include <glib.h>

/* Keep the elements of array @name for which @keep says so; the count dropped. */
static unsigned int filter(JsonObject *state, const char *name,
			   bool (*keep)(JsonObject *o, GHashTable *ips), GHashTable *ips)
{
	JsonArray *a = json_object_has_member(state, name) ?
		json_object_get_array_member(state, name) : NULL;
	JsonArray *kept;
	unsigned int dropped = 0;

	if (!a)
		return 0;
	kept = json_array_new();
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);

		if (JSON_NODE_HOLDS_OBJECT(n) && keep(json_node_get_object(n), ips))
			json_array_add_element(kept, json_node_copy(n));
		else
			dropped++;
	}
	json_object_set_array_member(state, name, kept);
	return dropped;
}

static bool has(GHashTable *ips, JsonObject *o, const char *m)
{
	const char *s = json_object_get_string_member_with_default(o, m, NULL);

	return s && g_hash_table_contains(ips, s);
}

static bool entry_ours(JsonObject *o, GHashTable *ips)
{
	return has(ips, o, "src") || has(ips, o, "dst") || has(ips, o, "reply-src") ||
	       has(ips, o, "reply-dst");
}

static bool counter_ours(JsonObject *o, GHashTable *ips)
{
	return has(ips, o, "ip");
}

static bool binding_ours(JsonObject *o, GHashTable *macs)
{
	return has(macs, o, "mac");
}

unsigned int scope_state(JsonObject *state, const char *const *macs,
			 const char *const *ips)
{
	g_autoptr(GHashTable) m = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) a = g_hash_table_new(g_str_hash, g_str_equal);
	JsonArray *b, *list = json_array_new();
	unsigned int dropped;

	for (; macs && *macs; macs++)
		g_hash_table_add(m, g_ascii_strdown(*macs, -1));
	for (; ips && *ips; ips++)
		g_hash_table_add(a, (gpointer)*ips);
	dropped = filter(state, "bindings", binding_ours, m);
	b = json_object_has_member(state, "bindings") ?
		json_object_get_array_member(state, "bindings") : NULL;
	for (unsigned int i = 0; b && i < json_array_get_length(b); i++) {
		const char *ip = json_object_get_string_member_with_default(
			json_array_get_object_element(b, i), "ip", NULL);

		if (ip)
			g_hash_table_add(a, (gpointer)ip);
	}
	dropped += filter(state, "conntrack", entry_ours, a);
	dropped += filter(state, "counters", counter_ours, a);
	/* the addresses the state is about: those that are the VM's */
	{
		GHashTableIter it;
		gpointer k;

		g_hash_table_iter_init(&it, a);
		while (g_hash_table_iter_next(&it, &k, NULL))
			json_array_add_string_element(list, k);
	}
	json_object_set_array_member(state, "ips", list);
	return dropped;
}
