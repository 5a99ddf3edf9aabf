// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * show.c - migctl's text output.  The counter lines come from the table
 * of counters (lib/counters.h): one line per group, its rows in order.
 */
#include "show.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "provision.h"
#include "services.h"

gint64 json_int(JsonObject *o, const char *k)
{
	JsonNode *n = o ? json_object_get_member(o, k) : NULL;

	return n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_int(n) : 0;
}

const char *json_str(JsonObject *o, const char *k)
{
	JsonNode *n = o ? json_object_get_member(o, k) : NULL;

	if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_STRING)
		return "-";
	return json_node_get_string(n);
}

JsonObject *json_obj(JsonObject *o, const char *k)
{
	JsonNode *n = o ? json_object_get_member(o, k) : NULL;

	return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static void show_drops(JsonObject *drops)
{
	GList *keys = drops ? json_object_get_members(drops) : NULL;

	printf("drops:");
	if (!keys)
		printf(" none");
	for (GList *k = keys; k; k = k->next)
		printf(" %s %" G_GINT64_FORMAT "%s", (char *)k->data,
		       json_int(drops, k->data), k->next ? "," : "");
	printf("\n");
	g_list_free(keys);
}

/* One line per group of the rows of @scope, groups in order of their
 * first row: "group: text N, text N". */
static void show_counters(JsonObject *c, int scope, int width)
{
	for (int g = 0; g < CTR_N; g++) {
		const struct mig_counter_info *first = mig_counter_info(g);
		g_autofree char *label = NULL;
		bool earlier = false;

		if (!(first->scope & scope))
			continue;
		for (int e = 0; e < g && !earlier; e++)
			earlier = (mig_counter_info(e)->scope & scope) &&
				  !strcmp(mig_counter_info(e)->group, first->group);
		if (earlier)
			continue;
		label = g_strdup_printf("%s:", first->group);
		printf("%-*s", width, label);
		for (int i = g; i < CTR_N; i++) {
			const struct mig_counter_info *r = mig_counter_info(i);

			if ((r->scope & scope) && !strcmp(r->group, first->group))
				printf("%s %s %" G_GINT64_FORMAT, i == g ? "" : ",",
				       r->text, json_int(c, r->name));
		}
		printf("\n");
	}
}

void show_status(JsonObject *r)
{
	JsonObject *st = json_obj(r, "states");
	GList *states = st ? json_object_get_members(st) : NULL;

	printf("mig-manager %s, up %" G_GINT64_FORMAT " s: control %s, data %s, policy %s\n",
	       json_str(r, "version"), json_int(r, "uptime-s"),
	       json_str(r, "control"), json_str(r, "data"),
	       json_str(r, "release-policy"));
	printf("vms: %" G_GINT64_FORMAT " (", json_int(r, "vms"));
	for (GList *s = states; s; s = s->next)
		printf("%s %" G_GINT64_FORMAT "%s", (char *)s->data,
		       json_int(st, s->data), s->next ? ", " : "");
	printf(")\n");
	g_list_free(states);
	printf("queued: %" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT
	       " bytes; memory %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
	       " bytes (peak %" G_GINT64_FORMAT ")\n",
	       json_int(r, "queued-frames"), json_int(r, "queued-bytes"),
	       json_int(r, "memory"), json_int(r, "memory-cap"),
	       json_int(r, "memory-peak"));
	printf("data socket: receive buffer %" G_GINT64_FORMAT " bytes (rcvbuf= %"
	       G_GINT64_FORMAT ")%s\n", json_int(r, "rcvbuf"),
	       json_int(r, "rcvbuf-wanted"),
	       json_int(r, "rcvbuf") < json_int(r, "rcvbuf-wanted") ?
	       ": smaller than asked, see mig-manager(8)" : "");
	show_counters(json_obj(r, "counters"), CTR_GLOBAL, 0);
	show_drops(json_obj(r, "drops"));
}

void show_vms(JsonArray *a)
{
	printf("%-16s %-36s %-10s %-9s %6s %8s %8s %8s %7s\n", "NAME", "UUID",
	       "STATE", "POLICY", "QUEUED", "BUFFERED", "RELEASED", "RETURNED",
	       "DROPPED");
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonObject *v = json_array_get_object_element(a, i);
		JsonObject *c = json_obj(v, "counters"), *q = json_obj(v, "queue");
		const char *name = json_str(v, "name");

		printf("%-16s %-36s %-10s %-9s %6" G_GINT64_FORMAT " %8" G_GINT64_FORMAT
		       " %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT " %7" G_GINT64_FORMAT "\n",
		       *name ? name : "-", json_str(v, "uuid"),
		       json_str(v, "state"), json_str(v, "policy"),
		       json_int(q, "frames"),
		       json_int(c, mig_counter_info(CTR_FRAMES_BUFFERED)->name),
		       json_int(c, mig_counter_info(CTR_FRAMES_RELEASED)->name),
		       json_int(c, mig_counter_info(CTR_FRAMES_RETURNED)->name),
		       json_int(c, MIG_VM_FRAMES_DROPPED));
	}
}

static void show_nics(JsonObject *v)
{
	JsonNode *nn = json_object_get_member(v, "nics");
	JsonArray *nics = nn && JSON_NODE_HOLDS_ARRAY(nn) ? json_node_get_array(nn) : NULL;

	for (unsigned int i = 0; nics && i < json_array_get_length(nics); i++) {
		JsonObject *n = json_array_get_object_element(nics, i);
		JsonNode *end = json_object_get_member(n, "end-frames");

		printf("nic %u:           %s vni %" G_GINT64_FORMAT ": from %s to %s%s%s; queued %"
		       G_GINT64_FORMAT ", received %" G_GINT64_FORMAT ", sent %" G_GINT64_FORMAT,
		       i, json_str(n, "mac"), json_int(n, "vni"),
		       json_str(n, "data-endpoint"), json_str(n, "inject-endpoint"),
		       strcmp(json_str(n, "peer"), "-") ? " via peer " : "",
		       strcmp(json_str(n, "peer"), "-") ? json_str(n, "peer") : "",
		       json_int(n, "queued"), json_int(n, "received"), json_int(n, "sent"));
		if (end && JSON_NODE_HOLDS_VALUE(end))
			printf(", END said %" G_GINT64_FORMAT, json_node_get_int(end));
		printf("\n");
	}
}

/* What the network-state transfer did, one line per phase (docs/netstate.md). */
static void show_netstate(JsonObject *v)
{
	JsonNode *n = json_object_get_member(v, "netstate");
	JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;

	for (unsigned int i = 0; a && i < json_array_get_length(a); i++) {
		JsonObject *p = json_array_get_object_element(a, i);
		const char *err = json_str(p, "error");

		printf("%-17s%s %s", i ? "" : "network state:", json_str(p, "phase"),
		       json_str(p, "result"));
		if (json_object_has_member(p, "mode"))
			printf(" (%s, %s -> %s): %" G_GINT64_FORMAT " entries (%" G_GINT64_FORMAT
			       " new, %" G_GINT64_FORMAT " updated), %" G_GINT64_FORMAT
			       " bindings, %" G_GINT64_FORMAT " counters, %" G_GINT64_FORMAT
			       " deleted, %" G_GINT64_FORMAT " bytes, %" G_GINT64_FORMAT " ms",
			       json_str(p, "mode"), json_str(p, "from"), json_str(p, "to"),
			       json_int(p, "entries"), json_int(p, "created"), json_int(p, "updated"),
			       json_int(p, "bindings"), json_int(p, "counters"), json_int(p, "deleted"),
			       json_int(p, "bytes"), json_int(p, "ms"));
		printf("%s%s\n", *err ? ": " : "", err);
	}
}

/* What provisioning did (docs/provisioning.md). */
static void show_provision(JsonObject *v)
{
	JsonObject *r = json_obj(v, "provision");
	g_autofree char *line = r ? provision_describe(r) : NULL;

	if (line)
		printf("provisioning:    %s\n", line);
}

/* The check of its new address at the destination (docs/services.md). */
static void show_address(JsonObject *v)
{
	JsonObject *a = json_obj(v, "address");
	const char *err;

	if (!a)
		return;
	err = json_str(a, "error");
	printf("address check:   %s", json_str(a, "state"));
	if (*json_str(a, "ip"))
		printf(" %s", json_str(a, "ip"));
	if (*json_str(a, "at"))
		printf(" at %s (%" G_GINT64_FORMAT " tries, %" G_GINT64_FORMAT " ms)",
		       json_str(a, "at"), json_int(a, "tries"), json_int(a, "ms"));
	printf("%s%s\n", *err ? ": " : "", err);
}

/* Its services and where their names point (docs/services.md). */
static void show_services(JsonObject *v)
{
	JsonNode *n = json_object_get_member(v, "services");
	g_autoptr(GString) s = g_string_new(NULL);

	if (!n || !JSON_NODE_HOLDS_ARRAY(n) || !json_array_get_length(json_node_get_array(n)))
		return;
	services_describe(json_node_get_array(n), s, "                 ");
	printf("services:        %s\n", s->str);
}

void show_vm(JsonObject *v)
{
	JsonObject *t = json_obj(v, "times"), *q = json_obj(v, "queue");
	JsonObject *d = json_obj(v, "drained");
	JsonNode *mn = json_object_get_member(v, "macs");
	JsonArray *macs = mn && JSON_NODE_HOLDS_ARRAY(mn) ?
		json_node_get_array(mn) : NULL;

	printf("name:            %s\n", json_str(v, "name"));
	printf("uuid:            %s\n", json_str(v, "uuid"));
	printf("state:           %s%s\n", json_str(v, "state"),
	       json_object_get_boolean_member_with_default(v, "registered", FALSE) ?
	       " (registered)" : "");
	printf("policy:          %s\n", json_str(v, "policy"));
	printf("registered macs:");
	for (unsigned int i = 0; macs && i < json_array_get_length(macs); i++)
		printf(" %s", json_array_get_string_element(macs, i));
	printf("\n");
	printf("ip:              %s -> %s\n", json_str(v, "ip"),
	       json_str(v, "new-ip"));
	printf("new mac:         %s\n", json_str(v, "new-mac"));
	printf("hosts:           %s -> %s\n", json_str(v, "src-host"), json_str(v, "dest-host"));
	printf("migration:       %s: control source %s, destination %s\n",
	       json_str(v, "migration"), json_str(v, "control-source"),
	       json_str(v, "control-destination"));
	show_nics(v);
	printf("times:           registered %s, suspended %s, activated %s, ended %s\n",
	       json_str(t, "registered"), json_str(t, "suspended"),
	       json_str(t, "activated"), json_str(t, "ended"));
	printf("queue:           %" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT
	       " bytes, memory %" G_GINT64_FORMAT ", oldest %" G_GINT64_FORMAT " ms\n",
	       json_int(q, "frames"), json_int(q, "bytes"), json_int(q, "memory"),
	       json_int(q, "oldest-ms"));
	printf("drained:         %s (transmissions %" G_GINT64_FORMAT ")\n",
	       json_str(d, "state"), json_int(d, "transmissions"));
	show_counters(json_obj(v, "counters"), CTR_VM, 16);
	printf("%-16s %" G_GINT64_FORMAT "\n", "dropped:",
	       json_int(json_obj(v, "counters"), MIG_VM_FRAMES_DROPPED));
	show_drops(json_obj(v, "drops"));
	show_netstate(v);
	show_provision(v);
	show_address(v);
	show_services(v);
}

void show_json(JsonNode *n)
{
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autofree char *s = NULL;

	json_generator_set_root(g, n);
	json_generator_set_pretty(g, TRUE);
	s = json_generator_to_data(g, NULL);
	printf("%s\n", s);
}
