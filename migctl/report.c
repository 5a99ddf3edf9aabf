// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report.c - what "migctl migrate" prints about the migration: one row
 * per governor round while virsh runs (QEMU's MIGRATION_GOVERNOR_ROUND
 * event through a libvirt QEMU monitor event callback, on a libvirt event
 * loop thread), and afterwards what mig-manager did with the frames of
 * this migration.
 */
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "admin-client.h"
#include "counters.h"
#include "migrate-internal.h"

#define MANAGER_WAIT_MS 10000

/* The VM's counters in mig-manager, or NULL if it does not know the VM. */
JsonNode *report_manager_vm(struct migrate *l)
{
	return admin_simple(l->sock, "show", l->dx.uuid, NULL);
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
void report_manager(struct migrate *l, JsonNode *before, int virsh_rc)
{
	const char *const what[] = {
		mig_counter_info(CTR_FRAMES_BUFFERED)->name,
		mig_counter_info(CTR_FRAMES_RELEASED)->name,
		mig_counter_info(CTR_FRAMES_RETURNED)->name,
		MIG_VM_FRAMES_DROPPED,
	};
	g_autoptr(JsonNode) after = NULL;
	gint64 d[G_N_ELEMENTS(what)];
	JsonObject *drops_b = NULL, *drops_a = NULL;
	GList *keys;

	for (int t = 0; t < MANAGER_WAIT_MS / 100; t++) {
		g_clear_pointer(&after, json_node_unref);
		after = report_manager_vm(l);
		if (!after || (counter(after, "queue", "frames") == 0 &&
			       strcmp(vm_state(after), "suspended")))
			break;
		g_usleep(100 * 1000);
	}
	if (!after) {
		migctl_note("mig-manager does not know '%s' (unreachable, or restarted?)",
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
		migctl_note("mig-manager got no SUSPENDING for '%s': is %s reachable from the source host?",
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
	struct migrate *l = opaque;
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
	struct migrate *l = data;

	while (!g_atomic_int_get(&l->quit))
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

GThread *report_start(struct migrate *l)
{
	l->report_timer = virEventAddTimeout(200, tick, NULL, NULL);
	l->report_cb = virConnectDomainQemuMonitorEventRegister(
		l->conn, l->dom, "MIGRATION_GOVERNOR_ROUND", on_event, l, NULL, 0);
	if (l->report_cb < 0)
		migctl_note("no per-round report: %s", virGetLastErrorMessage());
	return g_thread_new("libvirt-events", event_loop, l);
}

void report_stop(struct migrate *l, GThread *thread)
{
	/* the last round's event may still be on its way */
	g_usleep(300 * 1000);
	g_atomic_int_set(&l->quit, 1);
	g_thread_join(thread);
	if (l->report_cb >= 0)
		virConnectDomainQemuMonitorEventDeregister(l->conn, l->report_cb);
	if (l->report_timer >= 0)
		virEventRemoveTimeout(l->report_timer);
	if (strcmp(l->policy, "none"))
		migctl_note("%s: %d governor round%s reported", l->domain,
			    l->rounds, l->rounds == 1 ? "" : "s");
}
