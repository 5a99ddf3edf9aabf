// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * handoff-objects.c - "migctl migrate --manager": the handoff objects
 * (the secret with the manager's key and filter-migration-handoff on the
 * first NIC) on the running source QEMU and, through the destination
 * domain XML, on the destination; and the VM's registration with
 * mig-manager.  The manager's address reaches the destination QEMU in
 * the migration stream, so no per-host step is needed besides the key
 * file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "admin-client.h"
#include "show.h"
#include "migrate-internal.h"

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

/* The VM key in base64: from --key-file (raw 32 bytes) or the manager. */
static char *vm_key_b64(struct migrate *l, GError **error)
{
	g_autofree char *raw = NULL;
	g_autoptr(JsonNode) req = NULL, r = NULL;
	gsize len;

	if (l->key_file) {
		if (!g_file_get_contents(l->key_file, &raw, &len, error))
			return NULL;
		if (len != HANDOFF_VM_KEY_LEN) {
			refused(error, "key file %s: %zu bytes, a VM key has %d (migctl key %s --out FILE)",
				l->key_file, (size_t)len, HANDOFF_VM_KEY_LEN, l->dx.uuid);
			return NULL;
		}
		return g_base64_encode((const guchar *)raw, len);
	}
	req = admin_request("key", l->dx.uuid);
	r = admin_call(l->sock, req, error);
	if (!r) {
		g_prefix_error(error, "the VM key of '%s' from mig-manager: ", l->domain);
		return NULL;
	}
	return g_strdup(json_str(json_node_get_object(r), "key"));
}

/* qom-list /objects: whether @id exists (its type in *type). */
static bool has_object(JsonArray *a, const char *id, const char **type)
{
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		if (!strcmp(json_object_get_string_member_with_default(o, "name", ""), id)) {
			*type = json_object_get_string_member_with_default(o, "type", "");
			return true;
		}
	}
	return false;
}

/* The secret with the VM key, replacing one an earlier run left. */
static bool add_secret(struct migrate *l, JsonArray *objects, GError **error)
{
	g_autofree char *b64 = vm_key_b64(l, error);
	g_autofree char *json = NULL;
	const char *type;

	if (!b64)
		return false;
	if (has_object(objects, MIGRATE_KEY_ID, &type)) {
		g_autoptr(JsonNode) r = NULL;
		JsonNode *args;

		if (strcmp(type, "child<secret>"))
			return refused(error, "domain '%s' has an object '%s' that is not a secret (%s)",
				       l->domain, MIGRATE_KEY_ID, type);
		args = json_parse("{\"id\": \"" MIGRATE_KEY_ID "\"}");
		r = qmp(l, "object-del", args, error);
		if (!r)
			return false;
	}
	json = domxml_secret_json(MIGRATE_KEY_ID, b64);
	memset(b64, 0, strlen(b64));
	if (!qmp_object_add(l, json, error)) {
		g_clear_error(error);
		return refused(error, "cannot add the secret '%s' to the QEMU of domain '%s'",
			       MIGRATE_KEY_ID, l->domain);
	}
	migctl_note("%s: added secret '%s' (the VM key, by QMP)", l->domain,
		    MIGRATE_KEY_ID);
	return true;
}

bool handoff_source_objects(struct migrate *l, GError **error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonNode) args = json_parse("{\"path\": \"/objects\"}");
	g_autoptr(JsonNode) list = NULL;
	JsonArray *a;
	const char *type;

	list = qmp(l, "qom-list", g_steal_pointer(&args), &err);
	if (!list || !JSON_NODE_HOLDS_ARRAY(list))
		return refused(error, "qom-list /objects on domain '%s' failed: %s",
			       l->domain, err ? err->message : "not a list");
	a = json_node_get_array(list);
	if (!add_secret(l, a, error))
		return false;
	for (unsigned int i = 0; i < l->dx.nics->len; i++) {
		const struct domxml_nic *nic = &g_array_index(l->dx.nics, struct domxml_nic, i);
		g_autofree char *id = g_strdup_printf("handoff-%s", nic->alias);
		g_autofree char *json = NULL;

		if (has_object(a, id, &type))
			continue;
		json = domxml_filter_json(nic);
		if (!qmp_object_add(l, json, error))
			return false;
		migctl_note("%s: added filter-migration-handoff on %s (%s, %s)",
			    l->domain, nic->netdev, nic->alias, nic->mac);
	}
	return true;
}

/* The domain's migratable XML, or the user's own --xml file. */
static char *base_xml(struct migrate *l, GError **error)
{
	char *x, *xml;

	if (l->xml_arg >= 0) {
		const char *f = g_ptr_array_index(l->virsh, l->xml_arg);

		if (!g_file_get_contents(f, &xml, NULL, error)) {
			g_prefix_error(error, "--xml: ");
			return NULL;
		}
		return xml;
	}
	x = virDomainGetXMLDesc(l->dom, VIR_DOMAIN_XML_SECURE |
				VIR_DOMAIN_XML_MIGRATABLE);
	if (!x) {
		refused(error, "cannot read the XML of domain '%s': %s", l->domain,
			virGetLastErrorMessage());
		return NULL;
	}
	xml = g_strdup(x);
	free(x);
	return xml;
}

/*
 * The destination QEMU gets the handoff objects from the domain XML that
 * travels with the migration.  If the domain's XML lacks them, pass a
 * destination XML (virsh --xml) that has them.
 */
bool handoff_dest_xml(struct migrate *l, GError **error)
{
	g_autofree char *xml = NULL, *out = NULL;
	g_auto(GStrv) args = NULL;
	int fd;

	if (l->dx.handoff_args)
		return true;
	xml = base_xml(l, error);
	if (!xml)
		return false;
	args = domxml_filter_args(l->dx.nics);
	out = domxml_add_qemu_args(xml, args, error);
	if (!out) {
		g_prefix_error(error, "destination XML: ");
		return false;
	}
	fd = g_file_open_tmp("migctl-dest-XXXXXX.xml", &l->dest_xml_file, error);
	if (fd < 0 || !g_file_set_contents(l->dest_xml_file, out, -1, error)) {
		g_prefix_error(error, "cannot write the destination XML: ");
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
	migctl_note("%s: the destination gets the handoff objects with its domain XML (%s)",
		    l->domain, l->dest_xml_file);
	return true;
}

/* First IPv4/IPv6 address libvirt knows for @mac (DHCP lease, ARP table
 * of the host or guest agent), or NULL. */
static char *guest_ip(struct migrate *l, const char *mac)
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

bool handoff_register(struct migrate *l, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) req = NULL, result = NULL;
	g_autofree char *ip = NULL, *macs = NULL;
	GString *ms = g_string_new(NULL);

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
	/* cross-segment: the frames are rewritten, the services follow */
	if (l->new_ip) {
		json_builder_set_member_name(b, "new-ip");
		json_builder_add_string_value(b, l->new_ip);
	}
	if (l->new_mac) {
		json_builder_set_member_name(b, "new-mac");
		json_builder_add_string_value(b, l->new_mac);
	}
	json_builder_end_object(b);
	req = json_builder_get_root(b);
	macs = g_string_free(ms, FALSE);
	result = admin_call(l->sock, req, error);
	if (!result) {
		g_prefix_error(error, "registering '%s' with mig-manager: ", l->dx.name);
		return false;
	}
	migctl_note("%s: registered with mig-manager (uuid %s, mac %s, ip %s%s%s)",
		    l->dx.name, l->dx.uuid, macs,
		    ip ? ip : "unknown: no lease, ARP entry or guest agent answer",
		    l->new_ip ? ", at the destination " : "", l->new_ip ? l->new_ip : "");
	return true;
}
