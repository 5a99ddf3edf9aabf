// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * migrate.c - "migctl migrate": virsh migrate with the bandwidth
 * governor and the migration handoff, for libvirt users
 * (docs/libvirt.md, migctl(8)).
 *
 *   migctl [-s SOCKET] migrate DOMAIN DEST-URI [virsh migrate options...]
 *          [--connect URI] [--policy dirty-factor|xen-adaptive|none]
 *          [--max-rounds N] [--remaining BYTES] [--min-bandwidth BYTES/s]
 *          [--manager HOST:PORT] [--key-file FILE] [--no-register]
 *
 * The steps, in order: find the running domain and read its XML; check
 * from the QMP schema that its QEMU is patched; with --manager, check the
 * key file and that the manager answers, put the handoff objects on both
 * QEMUs and register the VM; set the governor's parameters; run virsh
 * migrate with the user's options while printing each governor round;
 * print the manager's counts of this migration; exit with virsh's
 * status.  The files of each step are listed in migrate-internal.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libvirt/virterror.h>

#include "admin-client.h"
#include "migrate.h"
#include "migrate-internal.h"
#include "provision.h"

static void error_quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static bool refused(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool refused(GError **error, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, MIGCTL_ERROR, MIGCTL_REFUSED, msg);
	return false;
}

/* Connect to libvirt, find the running domain and read its XML. */
static bool open_domain(struct migrate *l, GError **error)
{
	g_autoptr(GError) err = NULL;
	char *xml;

	virSetErrorFunc(NULL, error_quiet);
	if (virEventRegisterDefaultImpl() < 0)
		return refused(error, "libvirt event loop: %s", virGetLastErrorMessage());
	l->conn = virConnectOpenAuth(l->connect, virConnectAuthPtrDefault, 0);
	if (!l->conn)
		return refused(error, "cannot connect to libvirt%s%s: %s",
			       l->connect ? " at " : "", l->connect ? l->connect : "",
			       virGetLastErrorMessage());
	l->dom = virDomainLookupByName(l->conn, l->domain);
	if (!l->dom)
		l->dom = virDomainLookupByUUIDString(l->conn, l->domain);
	if (!l->dom)
		return refused(error, "domain '%s' not found on %s", l->domain,
			       l->connect ? l->connect : "the default libvirt connection");
	if (virDomainIsActive(l->dom) != 1)
		return refused(error, "domain '%s' is not running", l->domain);
	xml = virDomainGetXMLDesc(l->dom, 0);
	if (!xml || !domxml_parse(xml, &l->dx, &err)) {
		refused(error, "cannot read the XML of domain '%s': %s", l->domain,
			xml ? err->message : virGetLastErrorMessage());
		free(xml);
		return false;
	}
	free(xml);
	return true;
}

/* --manager: a NIC to hand off, a manager that answers. */
static bool check_handoff(struct migrate *l, GError **error)
{
	g_autoptr(JsonNode) st = NULL;

	if (!l->dx.nics->len)
		return refused(error, "domain '%s' has no network interface to hand off",
			       l->domain);
	st = admin_simple(l->sock, "status", NULL, error);
	return st != NULL;
}

/* --provision: the destination's policy and channel first; the channel
 * must carry virsh's --bandwidth (else the governor's --min-bandwidth). */
static bool provision(struct migrate *l, GError **error)
{
	struct prepare_args a = {
		.vm = l->dx.name, .to = l->provision_to, .from = l->provision_from,
		.min_bw = l->bandwidth_mib > 0 ? l->bandwidth_mib * 1024 * 1024 :
			  MAX(l->min_bw, 0),
	};
	g_autoptr(JsonNode) r = migctl_prepare(l->sock, &a, error);
	g_autofree char *line = NULL;

	if (!r) {
		g_prefix_error(error, "provisioning at %s refused, the migration is not started: ",
			       l->provision_to);
		return false;
	}
	line = provision_describe(json_node_get_object(r));
	migctl_note("provisioned: %s", line);
	l->provisioned = true;
	return true;
}

/* After virsh: the source's policy goes (commit) or the destination's
 * (abort); the manager does the same on ACTIVATED and ABORTED, and a
 * second request waits for the first. */
static void provision_finish(struct migrate *l, int rc)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = migctl_finish(l->sock, rc ? "abort" : "commit", l->dx.name,
					      &err);
	g_autofree char *line = r ? provision_describe(json_node_get_object(r)) : NULL;

	if (r)
		migctl_note("provisioning: %s", line);
	else
		migctl_warn("provisioning %s: %s", rc ? "abort" : "commit", err->message);
}

/* Everything before virsh runs; the VM's manager entry before it in
 * *before. */
static bool prepare(struct migrate *l, JsonNode **before, GError **error)
{
	if (!open_domain(l, error) || !qmp_check_patched(l, error))
		return false;
	if (l->manager && !check_handoff(l, error))
		return false;
	if (!migrate_defaults(l, error))
		return false;
	if (l->manager && (!handoff_source_objects(l, error) ||
			   !handoff_dest_xml(l, error)))
		return false;
	if (!qmp_set_parameters(l, error))
		return false;
	if (l->manager) {
		if (!l->no_register && !handoff_register(l, error))
			return false;
		*before = report_manager_vm(l);
	}
	return !l->provision_to || provision(l, error);
}

static int run(struct migrate *l)
{
	g_autoptr(JsonNode) before = NULL;
	g_autoptr(GError) err = NULL;
	GThread *thread;
	int rc;

	if (!prepare(l, &before, &err))
		return migctl_fail(err);
	thread = report_start(l);
	rc = virsh_run(l);
	report_stop(l, thread);
	if (l->manager)
		report_manager(l, before, rc);
	if (l->provisioned)
		provision_finish(l, rc);
	migctl_note("virsh migrate exited with status %d", rc);
	return rc;
}

int migrate_main(const struct migctl_opts *o, int argc, char **argv)
{
	struct migrate l = {
		.sock = o->sock,
		.policy = "dirty-factor",
		.max_rounds = -1,
		.remaining = -1,
		.min_bw = -1,
		.xml_arg = -1,
		.bandwidth_mib = -1,
		.report_timer = -1,
		.report_cb = -1,
	};
	g_autoptr(GError) err = NULL;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: migctl [-s SOCKET] migrate " MIGRATE_ARGS "\n"
		       "  e.g.   migctl migrate web1 qemu+tcp://host-b/system --live --verbose \\\n"
		       "             --manager 10.0.0.5:7790\n");
		return MIGCTL_OK;
	}
	g_mutex_init(&l.lock);
	l.virsh = g_ptr_array_new_with_free_func(g_free);
	if (migrate_parse_args(&l, argc, argv, &err))
		rc = run(&l);
	else
		rc = migctl_usage_error("migrate", "%s", err->message);
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
	g_mutex_clear(&l.lock);
	return rc;
}
