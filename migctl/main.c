// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migctl - command line client of mig-manager's admin socket, and
 * "migctl migrate" (virsh migrate with the governor and the handoff).
 *
 *   migctl [-s SOCKET] [--json] COMMAND [ARGS...]
 *
 * The commands are the rows of commands[] below (as WireGuard's wg(8)
 * dispatches its subcommands).  Exit status: 0 success, 1 the daemon
 * refused the request (unknown VM, ...), 2 usage error, 3 the daemon is
 * not reachable, 4 the destination refused the provisioning, 5 a host's
 * agent is not reachable (docs/man/migctl.8).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "admin-client.h"
#include "ids.h"
#include "migctl.h"
#include "migrate.h"
#include "provision.h"
#include "services.h"
#include "show.h"

G_DEFINE_QUARK(migctl-error-quark, migctl_error)

static const struct migctl_cmd commands[];

int migctl_fail(const GError *error)
{
	fprintf(stderr, "migctl: %s\n", error->message);
	return error->domain == MIGCTL_ERROR ? error->code : MIGCTL_REFUSED;
}

void migctl_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "migctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void migctl_note(const char *fmt, ...)
{
	va_list ap;

	printf("migctl: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void usage(FILE *f, const char *only)
{
	if (!only)
		fprintf(f, "usage: migctl [-s SOCKET] [--json] COMMAND\n");
	for (const struct migctl_cmd *c = commands; c->name; c++) {
		if (only && strcmp(only, c->name))
			continue;
		fprintf(f, "%s%s %s\n      %s\n", only ? "usage: migctl " : "  ",
			c->name, c->args, c->help);
	}
	if (!only)
		fprintf(f, "options: -s SOCKET (default " ADMIN_DEFAULT_SOCKET
			"), --json (machine output)\n");
}

int migctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "migctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr, cmd);
	return MIGCTL_USAGE;
}

/* Send @req, print the answer with @show (or as JSON); the exit status. */
static int request(const struct migctl_opts *o, JsonNode *req,
		   void (*show)(JsonNode *result))
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) result = admin_call(o->sock, req, &err);

	if (!result)
		return migctl_fail(err);
	if (o->json)
		show_json(result);
	else
		show(result);
	return MIGCTL_OK;
}

static void print_status(JsonNode *r)
{
	show_status(json_node_get_object(r));
}

static void print_vms(JsonNode *r)
{
	show_vms(json_node_get_array(r));
}

static void print_vm(JsonNode *r)
{
	show_vm(json_node_get_object(r));
}

static void print_flushed(JsonNode *r)
{
	printf("flushed %" G_GINT64_FORMAT " frames\n",
	       json_int(json_node_get_object(r), "flushed"));
}

static void print_released(JsonNode *r)
{
	printf("releasing %" G_GINT64_FORMAT " frames\n",
	       json_int(json_node_get_object(r), "released"));
}

/* status, vms: no argument. */
static int cmd_plain(const struct migctl_opts *o, int argc, char **argv)
{
	g_autoptr(JsonNode) req = NULL;

	if (argc != 1)
		return migctl_usage_error(argv[0], "%s takes no argument", argv[0]);
	req = admin_request(argv[0], NULL);
	return request(o, req, !strcmp(argv[0], "vms") ? print_vms : print_status);
}

static void print_forgotten(JsonNode *r)
{
	(void)r;
	printf("forgotten\n");
}

/* show, flush, release, forget: exactly one VM. */
static int cmd_vm(const struct migctl_opts *o, int argc, char **argv)
{
	g_autoptr(JsonNode) req = NULL;

	if (argc != 2)
		return migctl_usage_error(argv[0],
					  "%s needs exactly one VM (name or UUID)",
					  argv[0]);
	req = admin_request(argv[0], argv[1]);
	return request(o, req, !strcmp(argv[0], "flush") ? print_flushed :
			       !strcmp(argv[0], "release") ? print_released :
			       !strcmp(argv[0], "forget") ? print_forgotten :
			       print_vm);
}

/* register VM --uuid U --mac M [--mac M...] [options]: each option is
 * a member of the request (docs/man/migctl.8). */
static int cmd_register(const struct migctl_opts *o, int argc, char **argv)
{
	static const char *const text_opts[] = {
		"--uuid", "--ip", "--new-ip", "--new-mac", "--policy",
		"--src-host", "--dest-host", NULL,
	};
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) req = NULL;
	bool have_uuid = false, have_mac = false;

	if (argc < 2 || argv[1][0] == '-')
		return migctl_usage_error(argv[0], "register needs a VM name first");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cmd");
	json_builder_add_string_value(b, "register");
	json_builder_set_member_name(b, "vm");
	json_builder_add_string_value(b, argv[1]);
	json_builder_set_member_name(b, "macs");
	json_builder_begin_array(b);
	for (int j = 2; j + 1 < argc; j += 2)
		if (!strcmp(argv[j], "--mac")) {
			json_builder_add_string_value(b, argv[j + 1]);
			have_mac = true;
		}
	json_builder_end_array(b);
	for (int i = 2; i < argc; i += 2) {
		const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return migctl_usage_error(argv[0], "%s needs a value", opt);
		if (!strcmp(opt, "--mac"))
			continue;
		if (!strcmp(opt, "--vni")) {
			char *end;
			long long n = strtoll(v, &end, 0);

			if (*end || n <= 0)
				return migctl_usage_error(argv[0],
							  "--vni '%s' is not a number", v);
			json_builder_set_member_name(b, "vni");
			json_builder_add_int_value(b, n);
			continue;
		}
		if (!g_strv_contains(text_opts, opt))
			return migctl_usage_error(argv[0],
						  "register: unknown option '%s'", opt);
		have_uuid |= !strcmp(opt, "--uuid");
		json_builder_set_member_name(b, opt + 2);
		json_builder_add_string_value(b, v);
	}
	if (!have_uuid || !have_mac)
		return migctl_usage_error(argv[0],
					  "register needs --uuid and at least one --mac");
	json_builder_end_object(b);
	req = json_builder_get_root(b);
	return request(o, req, print_vm);
}

/* Write a key (base64 from the daemon) as raw bytes to @path, mode 0600. */
static int write_key(const char *b64, const char *path)
{
	g_autoptr(GError) err = NULL;
	gsize len;
	g_autofree guchar *raw = g_base64_decode(b64, &len);

	if (!g_file_set_contents_full(path, (const char *)raw, (gssize)len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err))
		return migctl_fail(err);
	memset(raw, 0, len);
	return MIGCTL_OK;
}

/* key VM | --peer NAME | --device NAME, [--out FILE] */
static int cmd_key(const struct migctl_opts *o, int argc, char **argv)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) req = NULL, r = NULL;
	g_autoptr(GError) err = NULL;
	const char *vm = NULL, *peer = NULL, *out = NULL, *member = "peer";

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--peer") || !strcmp(argv[i], "--device")) &&
		    i + 1 < argc) {
			member = argv[i] + 2;
			peer = argv[++i];
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (argv[i][0] != '-' && !vm)
			vm = argv[i];
		else
			return migctl_usage_error(argv[0], "key: unexpected '%s'", argv[i]);
	}
	if (!vm == !peer)
		return migctl_usage_error(argv[0],
					  "key needs a VM (name or UUID), --peer NAME or --device NAME");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cmd");
	json_builder_add_string_value(b, "key");
	json_builder_set_member_name(b, peer ? member : "vm");
	json_builder_add_string_value(b, peer ? peer : vm);
	json_builder_end_object(b);
	req = json_builder_get_root(b);
	r = admin_call(o->sock, req, &err);
	if (!r)
		return migctl_fail(err);
	if (out)
		return write_key(json_str(json_node_get_object(r), "key"), out);
	if (o->json)
		show_json(r);
	else
		printf("%s\n", json_str(json_node_get_object(r), "key"));
	return MIGCTL_OK;
}

static const struct migctl_cmd commands[] = {
	{ "status", "", "daemon summary and drop counters", cmd_plain },
	{ "vms", "", "the migration VM table", cmd_plain },
	{ "show", "VM", "one VM (VM = name or UUID)", cmd_vm },
	{ "register",
	  "VM --uuid U --mac M [--mac M ...] [--ip A] [--new-ip A|dhcp|slaac] [--new-mac M]\n"
	  "           [--policy activated|hold|immediate] [--vni N]\n"
	  "           [--src-host HOST] [--dest-host HOST]",
	  "tell the manager about a VM before it migrates", cmd_register },
	{ "flush", "VM", "drop the VM's queue (counted 'flushed')", cmd_vm },
	{ "release", "VM", "release the queue now to the known destination",
	  cmd_vm },
	{ "forget", "VM", "remove a VM from the table (not in its window)",
	  cmd_vm },
	{ "key", "VM | --peer NAME | --device NAME, [--out FILE]",
	  "the VM's key (base64, or raw to FILE) for QEMU's -object secret; a redirect peer's; a device agent's",
	  cmd_key },
	{ "prepare", PREPARE_ARGS,
	  "provision the VM's policy and tenant channel at the destination host, before the migration (docs/provisioning.md)",
	  provision_main },
	{ "commit", "VM", "the VM runs at the destination: remove its policy at the source",
	  provision_main },
	{ "abort", "VM", "the migration does not happen: remove what prepare set up at the destination",
	  provision_main },
	{ "migrate", MIGRATE_ARGS,
	  "virsh migrate with the governor and the handoff (docs/libvirt.md)",
	  migrate_main },
	{ "services", SERVICES_ARGS,
	  "the services in the manager's inventory (of one VM), their addresses and DNS state (docs/services.md)",
	  services_main },
	{ "service-add", SERVICE_ADD_ARGS,
	  "add a service of a VM to the inventory; its DNS name is pointed at the address",
	  services_main },
	{ "service-remove", "ID", "remove a service from the inventory and its name from DNS",
	  services_main },
	{ "service-scope", SERVICE_SCOPE_ARGS,
	  "which services follow the VM's next migration (none given: all of them, the batch case)",
	  services_main },
	{ "migrate-service", MIGRATE_SERVICE_ARGS,
	  "migrate the VM of SERVICE (as migctl migrate); only SERVICE's row and name follow it",
	  services_main },
	{ NULL },
};

int main(int argc, char **argv)
{
	struct migctl_opts o = { .sock = ADMIN_DEFAULT_SOCKET };
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			o.sock = argv[++i];
		} else if (!strcmp(argv[i], "--json")) {
			o.json = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout, NULL);
			return MIGCTL_OK;
		} else {
			return migctl_usage_error(NULL, "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return migctl_usage_error(NULL, "a command is needed");
	for (const struct migctl_cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, argv[i]))
			return c->run(&o, argc - i, argv + i);
	return migctl_usage_error(NULL, "unknown command '%s'", argv[i]);
}
