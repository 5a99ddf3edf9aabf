// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state.c - the registrations (migctl register) across restarts: a JSON
 * file (state-file=), rewritten atomically (a temporary file renamed
 * over it, g_file_set_contents()) whenever they change, and read at
 * start.  Windows are not kept: a restarted manager knows its VMs, not
 * the frames it buffered (docs/protocol.md §4, manager restart).
 *
 *   {"version": 1, "vms": [{"name": ..., "uuid": ..., "macs": [...],
 *     "ip": ..., "new-ip": ..., "new-mac": ..., "policy": ..., "vni": N}]}
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define STATE_VERSION 1

static void add_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v);
}

static void add_vm(struct mig_vm *vm, void *data)
{
	JsonBuilder *b = data;
	char s[ADDR_STRLEN];

	if (!vm->registered)
		return;
	json_builder_begin_object(b);
	add_str(b, "name", vm->name);
	add_str(b, "uuid", uuid_format(vm->uuid, s));
	json_builder_set_member_name(b, "macs");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < vm->reg_n_macs; i++)
		json_builder_add_string_value(b, mac_format(vm->reg_macs[i], s));
	json_builder_end_array(b);
	/* a learned address is where the VM is now */
	if (vm->learn_ip && vm->new_ip.len)
		add_str(b, "ip", addr_format_host(&vm->new_ip, s, sizeof(s)));
	else if (vm->ip.len)
		add_str(b, "ip", addr_format_host(&vm->ip, s, sizeof(s)));
	if (vm->learn_ip)
		add_str(b, "new-ip", vm->ip.ss.ss_family == AF_INET6 ? "slaac" : "dhcp");
	else if (vm->new_ip.len)
		add_str(b, "new-ip", addr_format_host(&vm->new_ip, s, sizeof(s)));
	if (vm->has_new_mac)
		add_str(b, "new-mac", mac_format(vm->new_mac, s));
	add_str(b, "policy", policy_name(vm->policy));
	if (*vm->src_host)
		add_str(b, "src-host", vm->src_host);
	if (*vm->dest_host)
		add_str(b, "dest-host", vm->dest_host);
	if (vm->reg_vni) {
		json_builder_set_member_name(b, "vni");
		json_builder_add_int_value(b, vm->reg_vni);
	}
	json_builder_end_object(b);
}

bool mgr_save_state(struct mgr *m)
{
	g_autoptr(JsonBuilder) b = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;

	if (!m->cfg->state_file || !m->state_dirty)
		return true;
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "version");
	json_builder_add_int_value(b, STATE_VERSION);
	json_builder_set_member_name(b, "vms");
	json_builder_begin_array(b);
	vmtable_foreach(m->vms, add_vm, b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, TRUE);
	if (!g_file_set_contents_full(m->cfg->state_file, text, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
		mgr_count(m, NULL, CTR_STATE_SAVE_ERRORS, 1);
		g_warning("state-file: %s (registrations are not kept across a restart)",
			  err->message);
		m->state_dirty = false; /* said once per change */
		return false;
	}
	mgr_count(m, NULL, CTR_STATE_SAVES, 1);
	m->state_dirty = false;
	return true;
}

static const char *get_str(JsonObject *o, const char *k)
{
	JsonNode *n = json_object_get_member(o, k);

	return n && JSON_NODE_HOLDS_VALUE(n) &&
	       json_node_get_value_type(n) == G_TYPE_STRING ?
	       json_node_get_string(n) : NULL;
}

/* One entry of the file as a registration; false if it is not one. */
static bool to_reg(JsonObject *o, struct mgr_reg *r)
{
	JsonNode *mn = json_object_get_member(o, "macs");
	JsonArray *macs = mn && JSON_NODE_HOLDS_ARRAY(mn) ?
			  json_node_get_array(mn) : NULL;
	const char *s;

	memset(r, 0, sizeof(*r));
	r->name = get_str(o, "name");
	if (!r->name || !(s = get_str(o, "uuid")) || !uuid_parse(s, r->uuid) ||
	    !macs)
		return false;
	for (unsigned int i = 0; i < json_array_get_length(macs); i++) {
		s = json_array_get_string_element(macs, i);
		if (r->n_macs == HANDOFF_MAX_NICS || !s ||
		    !mac_parse(s, r->macs[r->n_macs++]))
			return false;
	}
	if ((s = get_str(o, "ip")) && !addr_parse_host(s, &r->ip))
		return false;
	if ((s = get_str(o, "new-ip")) && (!strcmp(s, "dhcp") || !strcmp(s, "slaac"))) {
		r->learn_ip = true;
		r->learn_family = !strcmp(s, "dhcp") ? AF_INET : AF_INET6;
	} else if (s && !addr_parse_host(s, &r->new_ip)) {
		return false;
	}
	if ((s = get_str(o, "new-mac"))) {
		if (!mac_parse(s, r->new_mac))
			return false;
		r->has_new_mac = true;
	}
	if ((s = get_str(o, "policy"))) {
		if (!policy_parse(s, &r->policy))
			return false;
		r->has_policy = true;
	}
	r->vni = (uint32_t)json_object_get_int_member_with_default(o, "vni", 0);
	r->src_host = get_str(o, "src-host");
	r->dest_host = get_str(o, "dest-host");
	return true;
}

bool mgr_load_state(struct mgr *m, GError **error)
{
	const char *path = m->cfg->state_file;
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *root;
	JsonArray *vms;
	unsigned int n = 0;

	if (!path || !g_file_test(path, G_FILE_TEST_EXISTS))
		return true;
	if (!json_parser_load_from_file(p, path, error)) {
		g_prefix_error(error, "state-file %s: ", path);
		return false;
	}
	root = JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)) ?
	       json_node_get_object(json_parser_get_root(p)) : NULL;
	if (!root || json_object_get_int_member_with_default(root, "version", 0) !=
		     STATE_VERSION ||
	    !json_object_has_member(root, "vms") ||
	    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(root, "vms"))) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "state-file %s: not a registrations file of version %d",
			    path, STATE_VERSION);
		return false;
	}
	vms = json_object_get_array_member(root, "vms");
	for (unsigned int i = 0; i < json_array_get_length(vms); i++) {
		JsonNode *e = json_array_get_element(vms, i);
		struct mgr_reg r;

		if (!JSON_NODE_HOLDS_OBJECT(e) || !to_reg(json_node_get_object(e), &r) ||
		    !mgr_register(m, &r, error)) {
			if (error && !*error)
				g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
					    "entry %u is not a registration", i);
			g_prefix_error(error, "state-file %s: ", path);
			return false;
		}
		n++;
	}
	m->state_dirty = false;
	g_info("state-file %s: %u registered VM(s) restored", path, n);
	return true;
}
