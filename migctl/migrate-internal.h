/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate-internal.h - the state of one "migctl migrate" and the steps
 * its files implement:
 *
 *   migrate.c          orchestration: domain, checks, prepare, run, report
 *   migrate-opts.c     the command line, and the defaults that depend on it
 *   qmp.c              QMP through libvirt (virDomainQemuMonitorCommand)
 *   handoff-objects.c  the handoff objects on both QEMUs, registration
 *   virsh.c            virsh migrate as a child process, its output
 *   report.c           the per-round table (QEMU events) and the
 *                      manager's counts of this migration
 */
#ifndef MIGCTL_MIGRATE_INTERNAL_H
#define MIGCTL_MIGRATE_INTERNAL_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libvirt/libvirt.h>

#include "domxml.h"
#include "migctl.h"

#define MIGRATE_KEY_ID "handoff-key"
#define HANDOFF_VM_KEY_LEN 32

/**
 * struct migrate - one "migctl migrate".
 * @sock: mig-manager's admin socket.
 * @connect: libvirt URI of the source (virsh -c), or NULL.
 * @domain: domain name or UUID.
 * @desturi: destination URI.
 * @policy: bandwidth-policy.
 * @manager: --manager HOST:PORT, or NULL (no handoff).
 * @key_file: --key-file: the VM key (raw 32 bytes), or NULL to ask
 *            mig-manager for it.
 * @max_rounds: --max-rounds, -1 until migrate_defaults().
 * @remaining: --remaining, -1 until migrate_defaults().
 * @min_bw: --min-bandwidth, -1 until migrate_defaults().
 * @no_register: --no-register.
 * @provision_to: --provision DEST-HOST, or NULL.
 * @provision_from: --provision-from SRC-HOST, or NULL.
 * @new_ip: --new-ip: the VM's address at the destination, or NULL.
 * @new_mac: --new-mac: its MAC there, or NULL.
 * @provisioned: prepare succeeded (commit or abort follows).
 * @virsh: the user's virsh migrate options, in order.
 * @xml_arg: index in @virsh of the --xml value, or -1.
 * @bandwidth_mib: virsh --bandwidth, or -1.
 * @auto_converge: virsh --auto-converge was given.
 * @conn: libvirt connection.
 * @dom: the domain.
 * @dx: what its XML says.
 * @dest_xml_file: the destination XML written for virsh --xml, or NULL.
 * @rounds: governor rounds reported so far.
 * @report_timer: libvirt timeout that keeps its event loop turning.
 * @report_cb: the round event's callback id, or -1.
 * @quit: tells the event thread to stop.
 * @lock: stdout: event rows and virsh's output.
 * @midline: the last byte written was not a newline.
 */
struct migrate {
	const char *sock;
	const char *connect;
	const char *domain;
	const char *desturi;
	const char *policy;
	const char *manager;
	const char *key_file;
	gint64 max_rounds;
	gint64 remaining;
	gint64 min_bw;
	bool no_register;
	const char *provision_to;
	const char *provision_from;
	const char *new_ip;
	const char *new_mac;
	bool provisioned;
	GPtrArray *virsh;
	int xml_arg;
	gint64 bandwidth_mib;
	bool auto_converge;

	virConnectPtr conn;
	virDomainPtr dom;
	struct domxml dx;
	char *dest_xml_file;
	int rounds;
	int report_timer;
	int report_cb;
	gint quit;
	GMutex lock;
	bool midline;
};

/* migrate-opts.c */

/**
 * migrate_parse_args() - read "migrate DOMAIN DEST-URI [options...]".
 * @l: filled in.
 * @argc: arguments, argv[0] being "migrate".
 * @argv: the arguments.
 * @error: set (MIGCTL_USAGE) on a usage error.
 *
 * Return: true on success.
 */
bool migrate_parse_args(struct migrate *l, int argc, char **argv,
			GError **error);

/**
 * migrate_defaults() - the governor parameters the user did not give,
 * from the domain's RAM and virsh's --bandwidth (docs/libvirt.md).
 * @l: the migration, its domain XML read.
 * @error: set if --min-bandwidth exceeds --bandwidth.
 *
 * Return: true on success.
 */
bool migrate_defaults(struct migrate *l, GError **error);

/* qmp.c */

/**
 * json_parse() - parse a JSON document.
 * @s: the text.
 *
 * Return: its root (json_node_unref() it), or NULL.
 */
JsonNode *json_parse(const char *s);

/**
 * qmp() - run a QMP command on the domain's QEMU.
 * @l: the migration.
 * @cmd: command name.
 * @args: its arguments (consumed), or NULL.
 * @error: set on failure (libvirt's or QEMU's message).
 *
 * Return: the "return" member (json_node_unref() it), or NULL.
 */
JsonNode *qmp(struct migrate *l, const char *cmd, JsonNode *args,
	      GError **error);

/**
 * qmp_check_patched() - the domain's QEMU has the governor (and with
 * --manager the handoff) in its QMP schema.
 * @l: the migration.
 * @error: set if not.
 *
 * Return: true if patched.
 */
bool qmp_check_patched(struct migrate *l, GError **error);

/**
 * qmp_set_parameters() - set every governor parameter (and the handoff's
 * with --manager) on the source QEMU.
 * @l: the migration.
 * @error: set if QEMU refuses them.
 *
 * Return: true on success.
 */
bool qmp_set_parameters(struct migrate *l, GError **error);

/**
 * qmp_object_add() - object-add of a JSON object description.
 * @l: the migration.
 * @json: the object, as JSON text.
 * @error: set on failure.
 *
 * Return: true on success.
 */
bool qmp_object_add(struct migrate *l, const char *json, GError **error);

/* handoff-objects.c */

/**
 * handoff_source_objects() - add to the running source QEMU the secret
 * with the VM key (by QMP, never on a command line) and the handoff
 * filters its command line did not create, one per NIC.
 * @l: the migration.
 * @error: set on failure.
 *
 * Return: true on success.
 */
bool handoff_source_objects(struct migrate *l, GError **error);

/**
 * handoff_dest_xml() - make the destination get the handoff filters with
 * its domain XML (virsh --xml), unless the domain XML has them already;
 * the VM key and the manager reach it in the migration stream.
 * @l: the migration.
 * @error: set on failure.
 *
 * Return: true on success.
 */
bool handoff_dest_xml(struct migrate *l, GError **error);

/**
 * handoff_register() - register the VM with mig-manager.
 * @l: the migration.
 * @error: set on failure (its code is migctl's exit status).
 *
 * Return: true on success.
 */
bool handoff_register(struct migrate *l, GError **error);

/* virsh.c */

/**
 * virsh_run() - run virsh migrate with the user's options; its output
 * goes through migctl so that governor rows never land inside its
 * progress line.  Ctrl-C reaches virsh; SIGTERM cancels libvirt's job.
 * @l: the migration.
 *
 * Return: virsh's exit status.
 */
int virsh_run(struct migrate *l);

/* report.c */

/**
 * report_start() - print each governor round from QEMU's
 * MIGRATION_GOVERNOR_ROUND event while virsh runs (a libvirt event loop
 * thread).
 * @l: the migration.
 *
 * Return: the thread, for report_stop().
 */
GThread *report_start(struct migrate *l);

/**
 * report_stop() - stop reporting rounds.
 * @l: the migration.
 * @thread: from report_start().
 */
void report_stop(struct migrate *l, GThread *thread);

/**
 * report_manager_vm() - the VM as mig-manager reports it.
 * @l: the migration.
 *
 * Return: the VM object (json_node_unref() it), or NULL if the manager
 * does not know it.
 */
JsonNode *report_manager_vm(struct migrate *l);

/**
 * report_manager() - wait until the manager holds no frame of the VM,
 * then print what it did with the frames of this migration.
 * @l: the migration.
 * @before: report_manager_vm() before virsh ran, or NULL.
 * @virsh_rc: virsh's exit status.
 */
void report_manager(struct migrate *l, JsonNode *before, int virsh_rc);

#endif /* MIGCTL_MIGRATE_INTERNAL_H */
