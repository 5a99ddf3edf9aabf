// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migctl - command line client of mig-manager's local control socket.
 *
 *   migctl [-s SOCKET] [--json] status | vms | show VM | flush VM |
 *          release VM | register VM --uuid U --mac M [--mac M...]
 *          [--ip A] [--new-ip A] [--new-mac M] [--policy P]
 *          [--dest HOST:PORT] [--vni N] |
 *          migrate DOMAIN DEST-URI [virsh migrate options...] (lvmigrate.c)
 *
 * Exit status: 0 success, 1 the daemon refused the request (unknown VM,
 * ...), 2 usage error, 3 the daemon is not reachable.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ctlclient.h"
#include "lvmigrate.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: migctl [-s SOCKET] [--json] COMMAND\n"
		"  status                      daemon summary and drop counters\n"
		"  vms                         the migration VM table\n"
		"  show VM                     one VM (VM = name or UUID)\n"
		"  register VM --uuid U --mac M [--mac M ...] [--ip A]\n"
		"           [--new-ip A] [--new-mac M] [--policy activated|hold|immediate]\n"
		"           [--dest HOST:PORT] [--vni N]\n"
		"  flush VM                    drop the VM's queue (counted 'flushed')\n"
		"  release VM                  release the queue now to the known destination\n"
		"  migrate DOMAIN DEST-URI [virsh migrate options...] [--connect URI]\n"
		"          [--policy dirty-factor|xen-adaptive|none] [--max-rounds N]\n"
		"          [--remaining BYTES] [--min-bandwidth BYTES/s]\n"
		"          [--manager HOST:PORT] [--key-file FILE] [--no-register]\n"
		"                              virsh migrate with the governor and the handoff\n"
		"options: -s SOCKET (default " CTL_DEFAULT_SOCKET "), --json (machine output)\n");
}

static gint64 iget(JsonObject *o, const char *k)
{
	return o && json_object_has_member(o, k) ?
		json_object_get_int_member(o, k) : 0;
}

static const char *sget(JsonObject *o, const char *k)
{
	JsonNode *n = o ? json_object_get_member(o, k) : NULL;

	if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE)
		return "-";
	return json_node_get_string(n) ? json_node_get_string(n) : "-";
}

static JsonObject *oget(JsonObject *o, const char *k)
{
	return o && json_object_has_member(o, k) ?
		json_object_get_object_member(o, k) : NULL;
}

static void print_drops(const char *indent, JsonObject *drops)
{
	GList *keys = drops ? json_object_get_members(drops) : NULL;

	printf("%sdrops:", indent);
	if (!keys)
		printf(" none");
	for (GList *k = keys; k; k = k->next)
		printf(" %s %" G_GINT64_FORMAT "%s", (char *)k->data,
		       iget(drops, k->data), k->next ? "," : "");
	printf("\n");
	g_list_free(keys);
}

static void print_status(JsonObject *r)
{
	JsonObject *st = oget(r, "states"), *c = oget(r, "counters");

	printf("mig-manager %s, up %" G_GINT64_FORMAT " s: control %s, data %s, policy %s\n",
	       sget(r, "version"), iget(r, "uptime-s"), sget(r, "control"),
	       sget(r, "data"), sget(r, "release-policy"));
	printf("vms: %" G_GINT64_FORMAT " (registered %" G_GINT64_FORMAT
	       ", suspended %" G_GINT64_FORMAT ", activated %" G_GINT64_FORMAT
	       ", done %" G_GINT64_FORMAT ", aborted %" G_GINT64_FORMAT
	       ", expired %" G_GINT64_FORMAT ")\n",
	       iget(r, "vms"), iget(st, "registered"), iget(st, "suspended"),
	       iget(st, "activated"), iget(st, "done"), iget(st, "aborted"),
	       iget(st, "expired"));
	printf("queued: %" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT
	       " bytes; memory %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
	       " bytes (peak %" G_GINT64_FORMAT ")\n",
	       iget(r, "queued-frames"), iget(r, "queued-bytes"),
	       iget(r, "memory"), iget(r, "memory-cap"), iget(r, "memory-peak"));
	printf("frames: buffered %" G_GINT64_FORMAT ", released %" G_GINT64_FORMAT
	       ", returned %" G_GINT64_FORMAT ", rewritten %" G_GINT64_FORMAT "\n",
	       iget(c, "frames-buffered"), iget(c, "frames-released"),
	       iget(c, "frames-returned"), iget(c, "frames-rewritten"));
	printf("control: suspending %" G_GINT64_FORMAT ", activated %" G_GINT64_FORMAT
	       ", aborted %" G_GINT64_FORMAT ", duplicates %" G_GINT64_FORMAT
	       "; drained sent %" G_GINT64_FORMAT ", acked %" G_GINT64_FORMAT
	       ", gave up %" G_GINT64_FORMAT "\n",
	       iget(c, "suspending"), iget(c, "activated"), iget(c, "aborted"),
	       iget(c, "duplicates"), iget(c, "drained-sent"),
	       iget(c, "drained-acked"), iget(c, "drained-gave-up"));
	print_drops("", oget(r, "drops"));
}

static void print_vms(JsonArray *a)
{
	printf("%-16s %-36s %-10s %-9s %6s %8s %8s %8s %7s\n", "NAME", "UUID",
	       "STATE", "POLICY", "QUEUED", "BUFFERED", "RELEASED", "RETURNED",
	       "DROPPED");
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonObject *v = json_array_get_object_element(a, i);
		JsonObject *c = oget(v, "counters"), *q = oget(v, "queue");

		printf("%-16s %-36s %-10s %-9s %6" G_GINT64_FORMAT " %8" G_GINT64_FORMAT
		       " %8" G_GINT64_FORMAT " %8" G_GINT64_FORMAT " %7" G_GINT64_FORMAT "\n",
		       *sget(v, "name") ? sget(v, "name") : "-", sget(v, "uuid"),
		       sget(v, "state"), sget(v, "policy"), iget(q, "frames"),
		       iget(c, "frames-buffered"), iget(c, "frames-released"),
		       iget(c, "frames-returned"), iget(c, "frames-dropped"));
	}
}

static void print_vm(JsonObject *v)
{
	JsonObject *t = oget(v, "times"), *q = oget(v, "queue");
	JsonObject *c = oget(v, "counters"), *d = oget(v, "drained");
	JsonArray *macs = json_object_get_array_member(v, "macs");

	printf("name:            %s\n", sget(v, "name"));
	printf("uuid:            %s\n", sget(v, "uuid"));
	printf("vni:             %" G_GINT64_FORMAT "\n", iget(v, "vni"));
	printf("state:           %s\n", sget(v, "state"));
	printf("policy:          %s\n", sget(v, "policy"));
	printf("macs:           ");
	for (unsigned int i = 0; macs && i < json_array_get_length(macs); i++)
		printf(" %s", json_array_get_string_element(macs, i));
	printf("\n");
	printf("ip:              %s -> %s\n", sget(v, "ip"), sget(v, "new-ip"));
	printf("new mac:         %s\n", sget(v, "new-mac"));
	printf("source:          %s (data endpoint %s)\n", sget(v, "source"),
	       sget(v, "data-endpoint"));
	printf("destination:     %s (DRAINED to %s)\n",
	       sget(v, "inject-endpoint"), sget(v, "drained-to"));
	printf("times:           registered %s, suspended %s, activated %s, ended %s\n",
	       sget(t, "registered"), sget(t, "suspended"),
	       sget(t, "activated"), sget(t, "ended"));
	printf("queue:           %" G_GINT64_FORMAT " frames, %" G_GINT64_FORMAT
	       " bytes, memory %" G_GINT64_FORMAT ", oldest %" G_GINT64_FORMAT " ms\n",
	       iget(q, "frames"), iget(q, "bytes"), iget(q, "memory"),
	       iget(q, "oldest-ms"));
	printf("drained:         %s (frames %" G_GINT64_FORMAT ", transmissions %"
	       G_GINT64_FORMAT ")\n", sget(d, "state"), iget(d, "frames"),
	       iget(d, "transmissions"));
	printf("frames:          buffered %" G_GINT64_FORMAT ", released %"
	       G_GINT64_FORMAT ", returned %" G_GINT64_FORMAT ", rewritten %"
	       G_GINT64_FORMAT ", dropped %" G_GINT64_FORMAT "\n",
	       iget(c, "frames-buffered"), iget(c, "frames-released"),
	       iget(c, "frames-returned"), iget(c, "frames-rewritten"),
	       iget(c, "frames-dropped"));
	printf("control:         %" G_GINT64_FORMAT " messages, %" G_GINT64_FORMAT
	       " duplicates, %" G_GINT64_FORMAT " bad-state, %" G_GINT64_FORMAT
	       " migrations\n", iget(c, "control-messages"),
	       iget(c, "duplicates"), iget(c, "bad-state"), iget(c, "migrations"));
	print_drops("", oget(v, "drops"));
}

/* Build the request of argv[i..]; NULL (and a message) on a usage error. */
static char *build_request(int argc, char **argv, int i)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	const char *cmd = argv[i++];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cmd");
	json_builder_add_string_value(b, cmd);
	if (!strcmp(cmd, "status") || !strcmp(cmd, "vms")) {
		if (i != argc) {
			fprintf(stderr, "migctl: %s takes no argument\n", cmd);
			return NULL;
		}
	} else if (!strcmp(cmd, "show") || !strcmp(cmd, "flush") ||
		   !strcmp(cmd, "release")) {
		if (i != argc - 1) {
			fprintf(stderr, "migctl: %s needs exactly one VM (name or UUID)\n", cmd);
			return NULL;
		}
		json_builder_set_member_name(b, "vm");
		json_builder_add_string_value(b, argv[i]);
	} else if (!strcmp(cmd, "register")) {
		static const char *const opts[] = {
			"--uuid", "--ip", "--new-ip", "--new-mac", "--policy",
			"--dest", NULL,
		};
		bool have_uuid = false, have_mac = false;

		if (i >= argc || argv[i][0] == '-') {
			fprintf(stderr, "migctl: register needs a VM name first\n");
			return NULL;
		}
		json_builder_set_member_name(b, "vm");
		json_builder_add_string_value(b, argv[i++]);
		json_builder_set_member_name(b, "macs");
		json_builder_begin_array(b);
		for (int j = i; j < argc; j += 2)
			if (!strcmp(argv[j], "--mac") && j + 1 < argc) {
				json_builder_add_string_value(b, argv[j + 1]);
				have_mac = true;
			}
		json_builder_end_array(b);
		for (; i < argc; i += 2) {
			const char *o = argv[i];

			if (i + 1 >= argc) {
				fprintf(stderr, "migctl: %s needs a value\n", o);
				return NULL;
			}
			if (!strcmp(o, "--mac"))
				continue;
			if (!strcmp(o, "--vni")) {
				char *end;
				long long v = strtoll(argv[i + 1], &end, 0);

				if (*end || v <= 0) {
					fprintf(stderr, "migctl: --vni '%s' is not a number\n", argv[i + 1]);
					return NULL;
				}
				json_builder_set_member_name(b, "vni");
				json_builder_add_int_value(b, v);
				continue;
			}
			if (!g_strv_contains(opts, o)) {
				fprintf(stderr, "migctl: register: unknown option '%s'\n", o);
				return NULL;
			}
			have_uuid |= !strcmp(o, "--uuid");
			json_builder_set_member_name(b, o + 2);
			json_builder_add_string_value(b, argv[i + 1]);
		}
		if (!have_uuid || !have_mac) {
			fprintf(stderr, "migctl: register needs --uuid and at least one --mac\n");
			return NULL;
		}
	} else {
		fprintf(stderr, "migctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return NULL;
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

int main(int argc, char **argv)
{
	const char *sock = CTL_DEFAULT_SOCKET;
	bool json = false;
	int i = 1, rc;
	g_autofree char *req = NULL, *msg = NULL;
	g_autoptr(JsonNode) result = NULL;
	const char *cmd;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "migctl: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	cmd = argv[i];
	if (!strcmp(cmd, "migrate"))
		return lvmigrate_main(sock, argc - i, argv + i);
	req = build_request(argc, argv, i);
	if (!req)
		return CTL_USAGE;
	rc = ctlclient_call(sock, req, &result, &msg);
	if (rc != CTL_OK) {
		fprintf(stderr, "migctl: %s\n", msg);
		return rc;
	}
	if (json) {
		g_autoptr(JsonGenerator) g = json_generator_new();
		g_autofree char *s = NULL;

		json_generator_set_root(g, result);
		json_generator_set_pretty(g, TRUE);
		s = json_generator_to_data(g, NULL);
		printf("%s\n", s);
		return 0;
	}
	if (!strcmp(cmd, "status"))
		print_status(json_node_get_object(result));
	else if (!strcmp(cmd, "vms"))
		print_vms(json_node_get_array(result));
	else if (!strcmp(cmd, "show") || !strcmp(cmd, "register"))
		print_vm(json_node_get_object(result));
	else if (!strcmp(cmd, "flush"))
		printf("flushed %" G_GINT64_FORMAT " frames\n",
		       iget(json_node_get_object(result), "flushed"));
	else
		printf("releasing %" G_GINT64_FORMAT " frames\n",
		       iget(json_node_get_object(result), "released"));
	return 0;
}
