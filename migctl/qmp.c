// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qmp.c - QMP on the domain's QEMU through libvirt's qemu-monitor-command
 * API (virDomainQemuMonitorCommand): virsh has no way to pass the new
 * migration parameters, so migctl sets them itself, after checking from
 * the QMP schema that the QEMU is patched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "migrate-internal.h"

JsonNode *json_parse(const char *s)
{
	g_autoptr(JsonParser) p = json_parser_new();

	if (!json_parser_load_from_data(p, s, -1, NULL))
		return NULL;
	return json_node_copy(json_parser_get_root(p));
}

JsonNode *qmp(struct migrate *l, const char *cmd, JsonNode *args,
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
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED, "%s",
			    virGetLastErrorMessage());
		return NULL;
	}
	answer = json_parse(reply);
	if (!answer || !JSON_NODE_HOLDS_OBJECT(answer)) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED,
			    "unreadable QMP reply: %.200s", reply);
		free(reply);
		return NULL;
	}
	free(reply);
	o = json_node_get_object(answer);
	if (json_object_has_member(o, "error")) {
		JsonObject *e = json_object_get_object_member(o, "error");

		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED, "%s",
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

bool qmp_check_patched(struct migrate *l, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) schema = qmp(l, "query-qmp-schema", NULL, &err);
	const char *emulator = l->dx.emulator ? l->dx.emulator : "emulator unknown";

	if (!schema) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED,
			    "query-qmp-schema on domain '%s' failed: %s",
			    l->domain, err->message);
		return false;
	}
	if (!schema_has(schema, "bandwidth-policy")) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED,
			    "the QEMU of domain '%s' (%s) is not patched: its QMP schema has no migration parameter 'bandwidth-policy'; point <emulator> at the patched QEMU (docs/libvirt.md)",
			    l->domain, emulator);
		return false;
	}
	if (l->manager && !schema_has(schema, "handoff-manager")) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED,
			    "the QEMU of domain '%s' (%s) has the governor but not the handoff patches (no 'handoff-manager' parameter); run without --manager or update QEMU",
			    l->domain, emulator);
		return false;
	}
	return true;
}

bool qmp_set_parameters(struct migrate *l, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = NULL;
	GString *msg;

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
		json_builder_add_string_value(b, MIGRATE_KEY_ID);
	}
	json_builder_end_object(b);
	r = qmp(l, "migrate-set-parameters", json_builder_get_root(b), &err);
	if (!r) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED,
			    "the QEMU of domain '%s' refused the migration parameters: %s",
			    l->domain, err->message);
		return false;
	}
	msg = g_string_new(NULL);
	g_string_printf(msg, "%s: bandwidth-policy %s, max-rounds %" G_GINT64_FORMAT
			", remaining %" G_GINT64_FORMAT " bytes%s, min %" G_GINT64_FORMAT
			" bytes/s", l->domain, l->policy, l->max_rounds, l->remaining,
			l->remaining ? "" : " (QEMU's estimate)", l->min_bw);
	if (l->manager)
		g_string_append_printf(msg, ", handoff to %s", l->manager);
	migctl_note("%s", msg->str);
	g_string_free(msg, TRUE);
	return true;
}

bool qmp_object_add(struct migrate *l, const char *json, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) r = NULL;
	JsonNode *args = json_parse(json);

	r = args ? qmp(l, "object-add", args, &err) : NULL;
	if (!r) {
		g_set_error(error, MIGCTL_ERROR, MIGCTL_REFUSED,
			    "cannot add %s to the QEMU of domain '%s': %s", json,
			    l->domain, err ? err->message : "bad JSON");
		return false;
	}
	return true;
}
