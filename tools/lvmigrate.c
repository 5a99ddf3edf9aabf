// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lvmigrate.c - "migctl migrate": virsh migrate with the bandwidth
 * governor and the migration handoff, for libvirt users
 *
 *   migctl [-s SOCKET] migrate DOMAIN DEST-URI [virsh migrate options...]
 *          [--connect URI] [--policy dirty-factor|xen-adaptive|none]
 *          [--max-rounds N] [--remaining BYTES] [--min-bandwidth BYTES/s]
 *          [--manager HOST:PORT] [--key-file FILE] [--no-register]
 *
 * virsh has no way to pass new QEMU migration parameters, so this sets
 * them on the source QEMU through libvirt's qemu-monitor-command API
 * (virDomainQemuMonitorCommand), checks from the QMP schema that the
 * QEMU is patched, and with --manager:
 *  - adds the handoff objects (secret with the manager's key, and
 *    filter-migration-handoff on the first NIC) to the running source
 *    QEMU when its domain XML does not create them already, and gives
 *    the destination the same objects with a destination XML (--xml,
 *    the domain's migratable XML plus a <qemu:commandline>); the
 *    manager's address reaches the destination QEMU in the migration
 *    stream, so no per-host step is needed besides the key file;
 *  - registers the VM with mig-manager (name, UUID, MACs and, where
 *    libvirt knows it, the IP address).
 * Then it runs virsh migrate with the user's options unchanged, prints
 * each governor round from QEMU's MIGRATION_GOVERNOR_ROUND event (a
 * libvirt QEMU monitor event callback) while virsh runs, then the
 * manager's frame counters of this migration, and returns virsh's exit
 * status.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "ctlclient.h"
#include "domxml.h"
#include "lvmigrate.h"

#define KEY_ID "handoff-key"
#define DEFAULT_KEY_FILE "/etc/mig-manager/handoff.key"
/* h when neither --remaining nor virsh --bandwidth is given: 300 ms (QEMU's
 * downtime-limit) at 1 Gbit/s, rounded down to 32 MiB; see lvm_defaults() */
#define DEFAULT_REMAINING (32 * 1024 * 1024LL)
#define DEFAULT_MIN_BANDWIDTH 12500000LL	/* QEMU's bandwidth-min default */
#define DEFAULT_MAX_ROUNDS 30			/* QEMU's bandwidth-max-rounds default */
#define MANAGER_WAIT_MS 10000

struct lvm {
	/* command line */
	const char *sock;
	const char *connect;
	const char *domain;
	const char *desturi;
	const char *policy;
	const char *manager;
	const char *key_file;
	gint64 max_rounds;	/* -1: see lvm_defaults() */
	gint64 remaining;	/* -1: see lvm_defaults() */
	gint64 min_bw;		/* -1: see lvm_defaults() */
	bool no_register;
	GPtrArray *virsh;	/* the user's virsh migrate options */
	int xml_arg;		/* index in virsh of the --xml value, or -1 */
	gint64 bandwidth_mib;	/* virsh --bandwidth, or -1 */
	bool auto_converge;

	/* state */
	virConnectPtr conn;
	virDomainPtr dom;
	struct domxml dx;
	char *dest_xml_file;
	int rounds;
	gint quit;
	GMutex lock;		/* stdout: event rows and virsh's output */
	bool midline;		/* stdout's last byte was not a newline */
};

static void lvm_usage(void)
{
	fprintf(stderr,
		"usage: migctl [-s SOCKET] migrate DOMAIN DEST-URI [virsh migrate options...]\n"
		"         [--connect URI] [--policy dirty-factor|xen-adaptive|none]\n"
		"         [--max-rounds N] [--remaining BYTES] [--min-bandwidth BYTES/s]\n"
		"         [--manager HOST:PORT] [--key-file FILE] [--no-register]\n"
		"  e.g.   migctl migrate web1 qemu+tcp://host-b/system --live --verbose \\\n"
		"             --manager 10.0.0.5:7790\n");
}

/* A byte count: digits with an optional K, M, G or T suffix (powers of
 * 1024; "KiB", "MB"... accepted alike). */
static bool parse_size(const char *s, gint64 *out)
{
	char *end;
	guint64 v;
	int shift = 0;

	if (!g_ascii_isdigit(*s))
		return false;
	errno = 0;
	v = g_ascii_strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (g_ascii_toupper(*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > ((guint64)G_MAXINT64 >> shift))
		return false;
	*out = (gint64)(v << shift);
	return true;
}

/* --name VALUE or --name=VALUE at argv[*i]; advances *i past it. */
static bool opt_value(int argc, char **argv, int *i, const char *name,
		      const char **value)
{
	size_t n = strlen(name);

	if (!strcmp(argv[*i], name)) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "migctl: %s needs a value\n", name);
			exit(CTL_USAGE);
		}
		*value = argv[++*i];
		return true;
	}
	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return true;
	}
	return false;
}

static bool parse_args(struct lvm *l, int argc, char **argv)
{
	const char *v;

	if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-') {
		fprintf(stderr, "migctl: migrate needs DOMAIN and DEST-URI first\n");
		lvm_usage();
		return false;
	}
	l->domain = argv[1];
	l->desturi = argv[2];
	for (int i = 3; i < argc; i++) {
		gint64 *num = NULL;
		const char *what = NULL;

		if (opt_value(argc, argv, &i, "--connect", &v) ||
		    opt_value(argc, argv, &i, "-c", &v)) {
			l->connect = v;
		} else if (opt_value(argc, argv, &i, "--policy", &v)) {
			if (strcmp(v, "dirty-factor") && strcmp(v, "xen-adaptive") &&
			    strcmp(v, "none")) {
				fprintf(stderr, "migctl: --policy '%s': expected dirty-factor, xen-adaptive or none\n", v);
				return false;
			}
			l->policy = v;
		} else if (opt_value(argc, argv, &i, "--max-rounds", &v)) {
			char *end;

			l->max_rounds = g_ascii_strtoll(v, &end, 10);
			if (*end || !*v || l->max_rounds < 1 || l->max_rounds > 1000) {
				fprintf(stderr, "migctl: --max-rounds '%s': expected 1 to 1000\n", v);
				return false;
			}
		} else if (opt_value(argc, argv, &i, "--remaining", &v)) {
			num = &l->remaining;
			what = "--remaining";
		} else if (opt_value(argc, argv, &i, "--min-bandwidth", &v)) {
			num = &l->min_bw;
			what = "--min-bandwidth";
		} else if (opt_value(argc, argv, &i, "--manager", &v)) {
			l->manager = v;
		} else if (opt_value(argc, argv, &i, "--key-file", &v)) {
			l->key_file = v;
		} else if (!strcmp(argv[i], "--no-register")) {
			l->no_register = true;
		} else if (!strcmp(argv[i], "--domain") || !strcmp(argv[i], "--desturi") ||
			   g_str_has_prefix(argv[i], "--domain=") ||
			   g_str_has_prefix(argv[i], "--desturi=")) {
			fprintf(stderr, "migctl: give DOMAIN and DEST-URI as the first two arguments, not %s\n",
				argv[i]);
			return false;
		} else {
			/* virsh's own option: passed on verbatim, a few noted */
			if (!strcmp(argv[i], "--auto-converge"))
				l->auto_converge = true;
			if (!strcmp(argv[i], "--xml") && i + 1 < argc)
				l->xml_arg = (int)l->virsh->len + 1;
			if (!strcmp(argv[i], "--bandwidth") && i + 1 < argc &&
			    !parse_size(argv[i + 1], &l->bandwidth_mib))
				l->bandwidth_mib = -1;
			if (g_str_has_prefix(argv[i], "--xml=") ||
			    g_str_has_prefix(argv[i], "--bandwidth=")) {
				fprintf(stderr, "migctl: write %s as two arguments (option, value)\n", argv[i]);
				return false;
			}
			g_ptr_array_add(l->virsh, g_strdup(argv[i]));
		}
		if (num && !parse_size(v, num)) {
			fprintf(stderr, "migctl: %s '%s' is not a byte count (digits, optional K/M/G/T)\n",
				what, v);
			return false;
		}
	}
	if (l->auto_converge && strcmp(l->policy, "none")) {
		fprintf(stderr, "migctl: virsh's --auto-converge and --policy %s exclude each other (QEMU refuses both at once); use --policy none for auto-converge\n",
			l->policy);
		return false;
	}
	return true;
}

static void error_quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static JsonNode *json_parse(const char *s)
{
	g_autoptr(JsonParser) p = json_parser_new();

	if (!json_parser_load_from_data(p, s, -1, NULL))
		return NULL;
	return json_node_copy(json_parser_get_root(p));
}

/* Run QMP @cmd with @args (may be NULL, consumed) on the domain's QEMU;
 * the "return" member, or NULL and @error. */
static JsonNode *qmp(struct lvm *l, const char *cmd, JsonNode *args,
		     GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL, answer = NULL;
	g_autofree char *req = NULL;
	char *reply = NULL;
	JsonObject *o;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "execute");
	json_builder_add_string_value(b, cmd);
	if (args) {
		json_builder_set_member_name(b, "arguments");
		json_builder_add_value(b, args);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	req = json_to_string(root, FALSE);
	if (virDomainQemuMonitorCommand(l->dom, req, &reply, 0) < 0) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
			    virGetLastErrorMessage());
		return NULL;
	}
	answer = json_parse(reply);
	if (!answer || !JSON_NODE_HOLDS_OBJECT(answer)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "unreadable QMP reply: %.200s", reply);
		free(reply);
		return NULL;
	}
	free(reply);
	o = json_node_get_object(answer);
	if (json_object_has_member(o, "error")) {
		JsonObject *e = json_object_get_object_member(o, "error");

		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
			    e ? json_object_get_string_member_with_default(e, "desc", "error") :
			    "error");
		return NULL;
	}
	return json_object_has_member(o, "return") ?
		json_node_copy(json_object_get_member(o, "return")) :
		json_node_new(JSON_NODE_NULL);
}

/* The QEMU of the domain knows @name as a member of an object type of its
 * QMP schema (e.g. a migration parameter), i.e. it has the patch that adds
 * it. */
static bool schema_has(JsonNode *schema, const char *name)
{
	JsonArray *types = JSON_NODE_HOLDS_ARRAY(schema) ?
		json_node_get_array(schema) : NULL;

	for (unsigned int i = 0; types && i < json_array_get_length(types); i++) {
		JsonObject *t = json_array_get_object_element(types, i);
		JsonArray *members = t && json_object_has_member(t, "members") ?
			json_object_get_array_member(t, "members") : NULL;

		for (unsigned int j = 0; members && j < json_array_get_length(members); j++) {
			JsonObject *mb = json_array_get_object_element(members, j);

			if (mb && !g_strcmp0(json_object_get_string_member_with_default(mb, "name", NULL),
					     name))
				return true;
		}
	}
	return false;
}

static bool check_patched(struct lvm *l)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) schema = qmp(l, "query-qmp-schema", NULL, &err);

	if (!schema) {
		fprintf(stderr, "migctl: query-qmp-schema on domain '%s' failed: %s\n",
			l->domain, err->message);
		return false;
	}
	if (!schema_has(schema, "bandwidth-policy")) {
		fprintf(stderr, "migctl: the QEMU of domain '%s' (%s) is not patched: its QMP schema has no migration parameter 'bandwidth-policy'; point <emulator> at the patched QEMU (docs/libvirt.md)\n",
			l->domain, l->dx.emulator ? l->dx.emulator : "emulator unknown");
		return false;
	}
	if (l->manager && !schema_has(schema, "handoff-manager")) {
		fprintf(stderr, "migctl: the QEMU of domain '%s' (%s) has the governor but not the handoff patches (no 'handoff-manager' parameter); run without --manager or update QEMU\n",
			l->domain, l->dx.emulator ? l->dx.emulator : "emulator unknown");
		return false;
	}
	return true;
}

/*
 * Every governor parameter gets a value, so that a migration does not
 * inherit what an earlier migctl migrate of the same QEMU set; the
 * defaults depend on the user's virsh options (docs/libvirt.md).
 */
static void lvm_defaults(struct lvm *l)
{
	gint64 ram = (gint64)l->dx.memory_kib * 1024;
	gint64 max = l->bandwidth_mib > 0 ? l->bandwidth_mib << 20 : -1;

	if (l->max_rounds < 0)
		l->max_rounds = DEFAULT_MAX_ROUNDS;
	/* libvirt migrates at "unlimited" max-bandwidth unless --bandwidth is
	 * given; QEMU's estimate of h (max-bandwidth x downtime-limit) would
	 * then be the whole RAM and the target factor 1.  With --bandwidth,
	 * QEMU's estimate (0). */
	if (l->remaining < 0)
		l->remaining = max > 0 ? 0 :
			ram > 0 ? MIN(DEFAULT_REMAINING, ram / 2) : DEFAULT_REMAINING;
	/* QEMU refuses a max-bandwidth below bandwidth-min while a policy is
	 * set: libvirt's --bandwidth must stay valid. */
	if (l->min_bw < 0)
		l->min_bw = max > 0 && max < DEFAULT_MIN_BANDWIDTH ? max :
			DEFAULT_MIN_BANDWIDTH;
}

static bool set_parameters(struct lvm *l)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "bandwidth-policy");
	json_builder_add_string_value(b, l->policy);
	json_builder_set_member_name(b, "bandwidth-max-rounds");
	json_builder_add_int_value(b, l->max_rounds);
	json_builder_set_member_name(b, "bandwidth-remaining");
	json_builder_add_int_value(b, l->remaining);
	json_builder_set_member_name(b, "bandwidth-min");
	json_builder_add_int_value(b, l->min_bw);
	if (l->manager) {
		json_builder_set_member_name(b, "handoff-manager");
		json_builder_add_string_value(b, l->manager);
		json_builder_set_member_name(b, "handoff-key");
		json_builder_add_string_value(b, KEY_ID);
	}
	json_builder_end_object(b);
	r = qmp(l, "migrate-set-parameters", json_builder_get_root(b), &err);
	if (!r) {
		fprintf(stderr, "migctl: the QEMU of domain '%s' refused the migration parameters: %s\n",
			l->domain, err->message);
		return false;
	}
	printf("migctl: %s: bandwidth-policy %s, max-rounds %" G_GINT64_FORMAT
	       ", remaining %" G_GINT64_FORMAT " bytes%s, min %" G_GINT64_FORMAT
	       " bytes/s", l->domain, l->policy, l->max_rounds, l->remaining,
	       l->remaining ? "" : " (QEMU's estimate)", l->min_bw);
	if (l->manager)
		printf(", handoff to %s", l->manager);
	printf("\n");
	return true;
}

/* object-add of a JSON object description from domxml_handoff_args(). */
static bool object_add(struct lvm *l, const char *json)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = NULL;
	JsonNode *args = json_parse(json);

	r = args ? qmp(l, "object-add", args, &err) : NULL;
	if (!r) {
		fprintf(stderr, "migctl: cannot add %s to the QEMU of domain '%s': %s\n",
			json, l->domain, err ? err->message : "bad JSON");
		return false;
	}
	return true;
}

/*
 * The handoff objects on the running source QEMU: what its command line
 * did not create is added now.  Returns false on an error.
 */
static bool source_objects(struct lvm *l, const struct domxml_nic *nic)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) args = json_parse("{\"path\": \"/objects\"}");
	g_autoptr(JsonNode) list = NULL;
	g_auto(GStrv) add = domxml_handoff_args(l->key_file, KEY_ID, nic);
	bool have_key = false, have_filter = false;
	JsonArray *a;

	list = qmp(l, "qom-list", g_steal_pointer(&args), &err);
	if (!list || !JSON_NODE_HOLDS_ARRAY(list)) {
		fprintf(stderr, "migctl: qom-list /objects on domain '%s' failed: %s\n",
			l->domain, err ? err->message : "not a list");
		return false;
	}
	a = json_node_get_array(list);
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);
		const char *name = json_object_get_string_member_with_default(o, "name", "");
		const char *type = json_object_get_string_member_with_default(o, "type", "");

		if (!strcmp(name, KEY_ID)) {
			if (strcmp(type, "child<secret>")) {
				fprintf(stderr, "migctl: domain '%s' has an object '%s' that is not a secret (%s)\n",
					l->domain, KEY_ID, type);
				return false;
			}
			have_key = true;
		}
		if (!strcmp(type, "child<filter-migration-handoff>"))
			have_filter = true;
	}
	if (!have_key) {
		if (!object_add(l, add[1]))
			return false;
		printf("migctl: %s: added secret '%s' (%s)\n", l->domain, KEY_ID, l->key_file);
	}
	if (!have_filter) {
		if (!object_add(l, add[3]))
			return false;
		printf("migctl: %s: added filter-migration-handoff on %s (%s, %s)\n",
		       l->domain, nic->netdev, nic->alias, nic->mac);
	}
	return true;
}

/*
 * The destination QEMU gets the handoff objects from the domain XML that
 * travels with the migration.  If the domain's XML lacks them, pass a
 * destination XML (virsh --xml) that has them: the user's --xml file if
 * there is one, else the domain's migratable XML.
 */
static bool dest_xml(struct lvm *l, const struct domxml_nic *nic)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *xml = NULL, *out = NULL;
	g_auto(GStrv) args = NULL;
	int fd;

	if (l->dx.handoff_args)
		return true;
	if (l->xml_arg >= 0) {
		const char *f = g_ptr_array_index(l->virsh, l->xml_arg);

		if (!g_file_get_contents(f, &xml, NULL, &err)) {
			fprintf(stderr, "migctl: --xml: %s\n", err->message);
			return false;
		}
	} else {
		char *x = virDomainGetXMLDesc(l->dom, VIR_DOMAIN_XML_SECURE |
					      VIR_DOMAIN_XML_MIGRATABLE);

		if (!x) {
			fprintf(stderr, "migctl: cannot read the XML of domain '%s': %s\n",
				l->domain, virGetLastErrorMessage());
			return false;
		}
		xml = g_strdup(x);
		free(x);
	}
	args = domxml_handoff_args(l->key_file, KEY_ID, nic);
	out = domxml_add_qemu_args(xml, args, &err);
	if (!out) {
		fprintf(stderr, "migctl: destination XML: %s\n", err->message);
		return false;
	}
	fd = g_file_open_tmp("migctl-dest-XXXXXX.xml", &l->dest_xml_file, &err);
	if (fd < 0 || !g_file_set_contents(l->dest_xml_file, out, -1, &err)) {
		fprintf(stderr, "migctl: cannot write the destination XML: %s\n",
			err->message);
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	if (l->xml_arg >= 0) {
		g_free(g_ptr_array_index(l->virsh, l->xml_arg));
		l->virsh->pdata[l->xml_arg] = g_strdup(l->dest_xml_file);
	} else {
		g_ptr_array_add(l->virsh, g_strdup("--xml"));
		g_ptr_array_add(l->virsh, g_strdup(l->dest_xml_file));
	}
	printf("migctl: %s: the destination gets the handoff objects with its domain XML (%s)\n",
	       l->domain, l->dest_xml_file);
	return true;
}

/* First IPv4/IPv6 address libvirt knows for @mac (DHCP lease, ARP table
 * of the host or guest agent), or NULL. */
static char *guest_ip(struct lvm *l, const char *mac)
{
	static const unsigned int sources[] = {
		VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
		VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
		VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
	};
	char *ip = NULL;

	for (size_t s = 0; s < G_N_ELEMENTS(sources) && !ip; s++) {
		virDomainInterfacePtr *ifs = NULL;
		int n = virDomainInterfaceAddresses(l->dom, &ifs, sources[s], 0);

		for (int i = 0; i < n; i++) {
			if (!ip && ifs[i]->hwaddr && !g_ascii_strcasecmp(ifs[i]->hwaddr, mac) &&
			    ifs[i]->naddrs)
				ip = g_strdup(ifs[i]->addrs[0].addr);
			virDomainInterfaceFree(ifs[i]);
		}
		free(ifs);
	}
	return ip;
}

static bool register_vm(struct lvm *l)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL, result = NULL;
	g_autofree char *req = NULL, *msg = NULL, *ip = NULL, *macs = NULL;
	GString *ms = g_string_new(NULL);
	int rc;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "cmd");
	json_builder_add_string_value(b, "register");
	json_builder_set_member_name(b, "vm");
	json_builder_add_string_value(b, l->dx.name);
	json_builder_set_member_name(b, "uuid");
	json_builder_add_string_value(b, l->dx.uuid);
	json_builder_set_member_name(b, "macs");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < l->dx.nics->len; i++) {
		const struct domxml_nic *n = &g_array_index(l->dx.nics, struct domxml_nic, i);

		json_builder_add_string_value(b, n->mac);
		g_string_append_printf(ms, "%s%s", i ? " " : "", n->mac);
	}
	json_builder_end_array(b);
	ip = guest_ip(l, g_array_index(l->dx.nics, struct domxml_nic, 0).mac);
	if (ip) {
		json_builder_set_member_name(b, "ip");
		json_builder_add_string_value(b, ip);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	req = json_to_string(root, FALSE);
	macs = g_string_free(ms, FALSE);
	rc = ctlclient_call(l->sock, req, &result, &msg);
	if (rc != CTL_OK) {
		fprintf(stderr, "migctl: registering '%s' with mig-manager: %s\n",
			l->dx.name, msg);
		return false;
	}
	printf("migctl: %s: registered with mig-manager (uuid %s, mac %s, ip %s)\n",
	       l->dx.name, l->dx.uuid, macs,
	       ip ? ip : "unknown: no lease, ARP entry or guest agent answer");
	return true;
}

/* The VM's counters in mig-manager, or NULL if it does not know the VM. */
static JsonNode *manager_vm(struct lvm *l)
{
	g_autofree char *msg = NULL;
	JsonNode *r = NULL;

	if (ctlclient_simple(l->sock, "show", l->dx.uuid, &r, &msg) != CTL_OK)
		return NULL;
	return r;
}

static gint64 counter(JsonNode *vm, const char *group, const char *name)
{
	JsonObject *o = vm && JSON_NODE_HOLDS_OBJECT(vm) ? json_node_get_object(vm) : NULL;

	if (!o || !json_object_has_member(o, group))
		return 0;
	o = json_object_get_object_member(o, group);
	return o && json_object_has_member(o, name) ?
		json_object_get_int_member(o, name) : 0;
}

static const char *vm_state(JsonNode *vm)
{
	return vm && JSON_NODE_HOLDS_OBJECT(vm) ?
		json_object_get_string_member_with_default(json_node_get_object(vm),
							   "state", "?") : "unknown";
}

/* Wait until the manager has no frame of the VM queued any more, then
 * print what it did with the frames of this migration. */
static void manager_report(struct lvm *l, JsonNode *before, int virsh_rc)
{
	static const char *const what[] = {
		"frames-buffered", "frames-released", "frames-returned",
		"frames-dropped",
	};
	g_autoptr(JsonNode) after = NULL;
	gint64 d[G_N_ELEMENTS(what)];
	JsonObject *drops_b = NULL, *drops_a = NULL;
	GList *keys;

	for (int t = 0; t < MANAGER_WAIT_MS / 100; t++) {
		g_clear_pointer(&after, json_node_unref);
		after = manager_vm(l);
		if (!after || (counter(after, "queue", "frames") == 0 &&
			       strcmp(vm_state(after), "suspended")))
			break;
		g_usleep(100 * 1000);
	}
	if (!after) {
		printf("migctl: mig-manager does not know '%s' (unreachable, or restarted?)\n",
		       l->dx.name);
		return;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(what); i++)
		d[i] = counter(after, "counters", what[i]) -
		       counter(before, "counters", what[i]);
	printf("manager: %s state %s: buffered %" G_GINT64_FORMAT ", released %"
	       G_GINT64_FORMAT ", returned %" G_GINT64_FORMAT ", dropped %"
	       G_GINT64_FORMAT ", still queued %" G_GINT64_FORMAT "\n",
	       l->dx.name, vm_state(after), d[0], d[1], d[2], d[3],
	       counter(after, "queue", "frames"));
	if (before && json_object_has_member(json_node_get_object(before), "drops"))
		drops_b = json_object_get_object_member(json_node_get_object(before), "drops");
	if (json_object_has_member(json_node_get_object(after), "drops"))
		drops_a = json_object_get_object_member(json_node_get_object(after), "drops");
	keys = drops_a ? json_object_get_members(drops_a) : NULL;
	for (GList *k = keys; k; k = k->next) {
		gint64 n = json_object_get_int_member(drops_a, k->data) -
			   (drops_b && json_object_has_member(drops_b, k->data) ?
			    json_object_get_int_member(drops_b, k->data) : 0);

		if (n)
			printf("manager: %s dropped %" G_GINT64_FORMAT " frames: %s\n",
			       l->dx.name, n, (char *)k->data);
	}
	g_list_free(keys);
	if (!virsh_rc && !strcmp(vm_state(after), "registered"))
		printf("migctl: mig-manager got no SUSPENDING for '%s': is %s reachable from the source host?\n",
		       l->dx.name, l->manager);
}

static double member_d(JsonObject *o, const char *k)
{
	return json_object_has_member(o, k) ? json_object_get_double_member(o, k) : 0;
}

static double mib(JsonObject *o, const char *k)
{
	return json_object_has_member(o, k) ?
		(double)json_object_get_int_member(o, k) / (1024 * 1024) : 0;
}

/* A limit in MiB/s; libvirt's "unlimited" (2^43 MiB/s) as such. */
static char *limit_str(JsonObject *o, const char *k)
{
	double v = mib(o, k);

	return v >= 1024.0 * 1024 * 1024 ? g_strdup("unlimited") :
		g_strdup_printf("%.1f", v);
}

static void on_event(virConnectPtr conn, virDomainPtr dom, const char *event,
		     long long seconds, unsigned int micros, const char *details,
		     void *opaque)
{
	struct lvm *l = opaque;
	g_autoptr(JsonNode) n = details ? json_parse(details) : NULL;
	g_autofree char *prev = NULL, *next = NULL;
	JsonObject *o;

	(void)conn;
	(void)dom;
	(void)event;
	(void)seconds;
	(void)micros;
	if (!n || !JSON_NODE_HOLDS_OBJECT(n))
		return;
	o = json_node_get_object(n);
	prev = limit_str(o, "previous-limit");
	next = limit_str(o, "limit");
	g_mutex_lock(&l->lock);
	if (l->midline) { /* after virsh's "\rMigration: [ 26 %]" */
		fprintf(stderr, "\n");
		fflush(stderr);
	}
	l->midline = false;
	if (!l->rounds++)
		printf("  %-5s %-6s %-11s %-10s %-7s %-7s %-7s %s\n", "round", "ms",
		       "dirty MiB/s", "sent MiB/s", "factor", "average", "target",
		       "limit MiB/s");
	printf("  %-5" G_GINT64_FORMAT " %-6" G_GINT64_FORMAT " %-11.1f %-10.1f %-7.3f %-7.3f %-7.3f %s -> %s\n",
	       json_object_get_int_member_with_default(o, "round", 0),
	       json_object_get_int_member_with_default(o, "duration", 0),
	       mib(o, "dirty-rate"), mib(o, "round-bandwidth"),
	       member_d(o, "factor"), member_d(o, "average-factor"),
	       member_d(o, "target-factor"), prev, next);
	fflush(stdout);
	g_mutex_unlock(&l->lock);
}

static void tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

static gpointer event_loop(gpointer data)
{
	struct lvm *l = data;

	while (!g_atomic_int_get(&l->quit))
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

/* Written by the SIGTERM handler, read by run_virsh()'s poll loop. */
static int cancel_pipe[2] = { -1, -1 };

static void cancel_virsh(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(cancel_pipe[1], "x", 1) < 0) {
		/* nothing to do in a signal handler */
	}
	errno = saved;
}

/* SIGTERM during the migration: cancel libvirt's job; virsh then fails. */
static void cancel_job(struct lvm *l)
{
	printf("migctl: SIGTERM: cancelling the migration of '%s'\n", l->domain);
	if (virDomainAbortJob(l->dom) < 0)
		fprintf(stderr, "migctl: cancelling the migration: %s\n",
			virGetLastErrorMessage());
}

/* Copy what virsh wrote on @fd to @to; false at its end. */
static bool forward(struct lvm *l, int fd, FILE *to)
{
	char buf[4096];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return false;
	g_mutex_lock(&l->lock);
	fflush(to == stdout ? stderr : stdout);
	fwrite(buf, 1, (size_t)n, to);
	fflush(to);
	l->midline = buf[n - 1] != '\n';
	g_mutex_unlock(&l->lock);
	return true;
}

/*
 * Run virsh; its output goes through here so that a governor row never
 * lands in the middle of its "\rMigration: [ 26 %]" progress line (on
 * stderr).  Returns virsh's exit status.
 */
static int run_virsh(struct lvm *l)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) err = NULL;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_term;
	struct sigaction cancel = { .sa_handler = cancel_virsh };
	struct pollfd fds[3];
	GPid pid;
	int status;

	g_ptr_array_add(argv, "virsh");
	if (l->connect) {
		g_ptr_array_add(argv, "-c");
		g_ptr_array_add(argv, (char *)l->connect);
	}
	g_ptr_array_add(argv, "migrate");
	for (unsigned int i = 0; i < l->virsh->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(l->virsh, i));
	g_ptr_array_add(argv, "--domain");
	g_ptr_array_add(argv, (char *)l->domain);
	g_ptr_array_add(argv, "--desturi");
	g_ptr_array_add(argv, (char *)l->desturi);
	g_ptr_array_add(argv, NULL);
	{
		g_autofree char *cmd = g_strjoinv(" ", (char **)argv->pdata);

		printf("migctl: running %s\n", cmd);
	}
	if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
				      G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
				      G_SPAWN_CHILD_INHERITS_STDIN,
				      NULL, NULL, &pid, NULL, &fds[0].fd, &fds[1].fd,
				      &err)) {
		fprintf(stderr, "migctl: cannot run virsh: %s\n", err->message);
		return 1;
	}
	/* Ctrl-C reaches virsh too, which cancels the migration and exits;
	 * SIGTERM cancels libvirt's job, virsh fails.  Either way migctl
	 * waits for virsh, reports and cleans up. */
	if (!g_unix_open_pipe(cancel_pipe, FD_CLOEXEC, NULL))
		cancel_pipe[0] = cancel_pipe[1] = -1;
	sigaction(SIGINT, &ign, &old_int);
	if (cancel_pipe[1] >= 0)
		sigaction(SIGTERM, &cancel, &old_term);
	fds[2].fd = cancel_pipe[0];
	fds[0].events = fds[1].events = fds[2].events = POLLIN;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !forward(l, fds[i].fd, i ? stderr : stdout)) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		if (fds[2].fd >= 0 && (fds[2].revents & POLLIN)) {
			char c;

			if (read(fds[2].fd, &c, 1) == 1)
				cancel_job(l);
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "migctl: waiting for virsh: %s\n", g_strerror(errno));
			status = 1 << 8;
			break;
		}
	g_spawn_close_pid(pid);
	sigaction(SIGINT, &old_int, NULL);
	if (cancel_pipe[1] >= 0) {
		sigaction(SIGTERM, &old_term, NULL);
		close(cancel_pipe[0]);
		close(cancel_pipe[1]);
		cancel_pipe[0] = cancel_pipe[1] = -1;
	}
	if (l->midline)
		fprintf(stderr, "\n");
	l->midline = false;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "migctl: virsh was killed by signal %d\n",
		WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 1;
}

static int lvm_run(struct lvm *l)
{
	g_autoptr(JsonNode) before = NULL;
	g_autoptr(GError) err = NULL;
	const struct domxml_nic *nic = NULL;
	GThread *thread;
	char *xml;
	int timer, cb, rc;

	virSetErrorFunc(NULL, error_quiet);
	if (virEventRegisterDefaultImpl() < 0) {
		fprintf(stderr, "migctl: libvirt event loop: %s\n", virGetLastErrorMessage());
		return 1;
	}
	l->conn = virConnectOpenAuth(l->connect, virConnectAuthPtrDefault, 0);
	if (!l->conn) {
		fprintf(stderr, "migctl: cannot connect to libvirt%s%s: %s\n",
			l->connect ? " at " : "", l->connect ? l->connect : "",
			virGetLastErrorMessage());
		return 1;
	}
	l->dom = virDomainLookupByName(l->conn, l->domain);
	if (!l->dom)
		l->dom = virDomainLookupByUUIDString(l->conn, l->domain);
	if (!l->dom) {
		fprintf(stderr, "migctl: domain '%s' not found on %s\n", l->domain,
			l->connect ? l->connect : "the default libvirt connection");
		return 1;
	}
	if (virDomainIsActive(l->dom) != 1) {
		fprintf(stderr, "migctl: domain '%s' is not running\n", l->domain);
		return 1;
	}
	xml = virDomainGetXMLDesc(l->dom, 0);
	if (!xml || !domxml_parse(xml, &l->dx, &err)) {
		fprintf(stderr, "migctl: cannot read the XML of domain '%s': %s\n",
			l->domain, xml ? err->message : virGetLastErrorMessage());
		free(xml);
		return 1;
	}
	free(xml);
	if (!check_patched(l))
		return 1;
	if (l->manager) {
		g_autofree char *msg = NULL;
		g_autoptr(JsonNode) st = NULL;
		GStatBuf sb = { 0 };

		if (!l->dx.nics->len) {
			fprintf(stderr, "migctl: domain '%s' has no network interface to hand off\n",
				l->domain);
			return 1;
		}
		nic = &g_array_index(l->dx.nics, struct domxml_nic, 0);
		if (l->dx.nics->len > 1)
			printf("migctl: %s: the handoff covers its first NIC (%s) only\n",
			       l->domain, nic->mac);
		if (g_stat(l->key_file, &sb) < 0 || access(l->key_file, R_OK) < 0 ||
		    !sb.st_size) {
			fprintf(stderr, "migctl: key file %s: %s (the key shared with mig-manager, at the same path on every host)\n",
				l->key_file, sb.st_size ? g_strerror(errno) : "empty");
			return 1;
		}
		rc = ctlclient_simple(l->sock, "status", NULL, &st, &msg);
		if (rc != CTL_OK) {
			fprintf(stderr, "migctl: %s\n", msg);
			return rc;
		}
	}
	lvm_defaults(l);
	if (l->min_bw > 0 && l->bandwidth_mib > 0 && l->min_bw > l->bandwidth_mib << 20) {
		fprintf(stderr, "migctl: --min-bandwidth %" G_GINT64_FORMAT " is above virsh's --bandwidth %" G_GINT64_FORMAT " MiB/s\n",
			l->min_bw, l->bandwidth_mib);
		return 1;
	}
	if (l->manager && (!source_objects(l, nic) || !dest_xml(l, nic)))
		return 1;
	if (!set_parameters(l))
		return 1;
	if (l->manager) {
		if (!l->no_register && !register_vm(l))
			return 1;
		before = manager_vm(l);
	}

	timer = virEventAddTimeout(200, tick, NULL, NULL);
	cb = virConnectDomainQemuMonitorEventRegister(l->conn, l->dom,
						      "MIGRATION_GOVERNOR_ROUND",
						      on_event, l, NULL, 0);
	if (cb < 0)
		printf("migctl: no per-round report: %s\n", virGetLastErrorMessage());
	thread = g_thread_new("libvirt-events", event_loop, l);
	rc = run_virsh(l);
	/* the last round's event may still be on its way */
	g_usleep(300 * 1000);
	g_atomic_int_set(&l->quit, 1);
	g_thread_join(thread);
	if (cb >= 0)
		virConnectDomainQemuMonitorEventDeregister(l->conn, cb);
	if (timer >= 0)
		virEventRemoveTimeout(timer);
	if (strcmp(l->policy, "none"))
		printf("migctl: %s: %d governor round%s reported\n", l->domain,
		       l->rounds, l->rounds == 1 ? "" : "s");
	if (l->manager)
		manager_report(l, before, rc);
	printf("migctl: virsh migrate exited with status %d\n", rc);
	return rc;
}

int lvmigrate_main(const char *sock, int argc, char **argv)
{
	struct lvm l = {
		.sock = sock,
		.policy = "dirty-factor",
		.key_file = DEFAULT_KEY_FILE,
		.max_rounds = -1,
		.remaining = -1,
		.min_bw = -1,
		.xml_arg = -1,
		.bandwidth_mib = -1,
	};
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	g_mutex_init(&l.lock);
	l.virsh = g_ptr_array_new_with_free_func(g_free);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		lvm_usage();
		return 0;
	}
	rc = parse_args(&l, argc, argv) ? lvm_run(&l) : CTL_USAGE;
	if (l.dest_xml_file) {
		g_unlink(l.dest_xml_file);
		g_free(l.dest_xml_file);
	}
	domxml_clear(&l.dx);
	if (l.dom)
		virDomainFree(l.dom);
	if (l.conn)
		virConnectClose(l.conn);
	g_ptr_array_unref(l.virsh);
	return rc;
}
