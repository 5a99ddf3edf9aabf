// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domxml.c - read and extend libvirt domain XML for migctl migrate
 *
 * Parsing and serialisation are libxml2's (libvirt's own XML library);
 * the handoff objects are written as QEMU JSON -object arguments built
 * with json-glib, so that no path or ID needs QemuOpts comma escaping.
 */
#include <stdarg.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "domxml.h"

#define DOMXML_ERROR domxml_error_quark()
G_DEFINE_QUARK(domxml-error-quark, domxml_error)

static xmlDocPtr parse(const char *xml, GError **error)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR |
				      XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;

	if (!root || xmlStrcmp(root->name, BAD_CAST "domain")) {
		g_set_error(error, DOMXML_ERROR, 0, "%s",
			    doc ? "not a libvirt domain XML (no <domain> root)" :
			    "malformed domain XML");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* The string value of XPath @expr (relative to the root), or NULL. */
static char *xstr(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr)
{
	xmlXPathObjectPtr o;
	char *s = NULL;

	ctx->node = node;
	o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	if (o && o->type == XPATH_STRING && o->stringval && *o->stringval)
		s = g_strdup((const char *)o->stringval);
	xmlXPathFreeObject(o);
	return s;
}

static void parse_nics(xmlXPathContextPtr ctx, struct domxml *d)
{
	xmlXPathObjectPtr o;

	ctx->node = xmlDocGetRootElement(ctx->doc);
	o = xmlXPathEvalExpression(BAD_CAST "./devices/interface", ctx);
	for (int i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr; i++) {
		xmlNodePtr n = o->nodesetval->nodeTab[i];
		g_autofree char *mac = xstr(ctx, n, "string(./mac/@address)");
		g_autofree char *alias = xstr(ctx, n, "string(./alias/@name)");
		struct domxml_nic nic = { 0 };

		if (mac) {
			g_autofree char *lower = g_ascii_strdown(mac, -1);

			g_strlcpy(nic.mac, lower, sizeof(nic.mac));
		}
		if (alias) {
			g_strlcpy(nic.alias, alias, sizeof(nic.alias));
			g_snprintf(nic.netdev, sizeof(nic.netdev), "host%s", alias);
		} else {
			/* libvirt names the NICs net0, net1, ... in order */
			g_snprintf(nic.alias, sizeof(nic.alias), "net%d", i);
			g_snprintf(nic.netdev, sizeof(nic.netdev), "hostnet%d", i);
		}
		g_array_append_val(d->nics, nic);
	}
	xmlXPathFreeObject(o);
}

bool domxml_parse(const char *xml, struct domxml *d, GError **error)
{
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
	xmlNodePtr root;
	g_autofree char *mem = NULL, *unit = NULL, *args = NULL;
	uint64_t scale = 1;

	memset(d, 0, sizeof(*d));
	d->nics = g_array_new(FALSE, TRUE, sizeof(struct domxml_nic));
	doc = parse(xml, error);
	if (!doc)
		return false;
	root = xmlDocGetRootElement(doc);
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "qemu", BAD_CAST DOMXML_QEMU_NS);
	d->name = xstr(ctx, root, "string(./name)");
	d->uuid = xstr(ctx, root, "string(./uuid)");
	d->emulator = xstr(ctx, root, "string(./devices/emulator)");
	mem = xstr(ctx, root, "string(./memory)");
	unit = xstr(ctx, root, "string(./memory/@unit)");
	if (unit && (!g_ascii_strcasecmp(unit, "b") || !g_ascii_strcasecmp(unit, "bytes")))
		scale = 0;
	else if (unit && (!g_ascii_strcasecmp(unit, "M") || !g_ascii_strcasecmp(unit, "MiB")))
		scale = 1024;
	else if (unit && (!g_ascii_strcasecmp(unit, "G") || !g_ascii_strcasecmp(unit, "GiB")))
		scale = 1024 * 1024;
	if (mem) {
		uint64_t v = g_ascii_strtoull(mem, NULL, 10);

		d->memory_kib = scale ? v * scale : v / 1024;
	}
	parse_nics(ctx, d);
	args = xstr(ctx, root, "string(./qemu:commandline/qemu:arg"
		    "[contains(@value, 'filter-migration-handoff')]/@value)");
	d->handoff_args = args != NULL;
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	if (!d->name || !d->uuid) {
		g_set_error(error, DOMXML_ERROR, 0,
			    "domain XML without <name> or <uuid>");
		return false;
	}
	return true;
}

void domxml_clear(struct domxml *d)
{
	g_free(d->name);
	g_free(d->uuid);
	g_free(d->emulator);
	if (d->nics)
		g_array_unref(d->nics);
	memset(d, 0, sizeof(*d));
}

static char *object_json(const char *type, const char *id, ...)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	const char *k;
	va_list ap;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "qom-type");
	json_builder_add_string_value(b, type);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, id);
	va_start(ap, id);
	while ((k = va_arg(ap, const char *))) {
		json_builder_set_member_name(b, k);
		json_builder_add_string_value(b, va_arg(ap, const char *));
	}
	va_end(ap);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

char *domxml_filter_json(const struct domxml_nic *nic)
{
	g_autofree char *fid = g_strdup_printf("handoff-%s", nic->alias);

	return object_json("filter-migration-handoff", fid, "netdev",
			   nic->netdev, "queue", "tx", NULL);
}

char **domxml_filter_args(const GArray *nics)
{
	char **v = g_new0(char *, 2 * nics->len + 1);

	for (unsigned int i = 0; i < nics->len; i++) {
		v[2 * i] = g_strdup("-object");
		v[2 * i + 1] = domxml_filter_json(&g_array_index(nics,
						  struct domxml_nic, i));
	}
	return v;
}

char *domxml_secret_json(const char *key_id, const char *key_b64)
{
	return object_json("secret", key_id, "data", key_b64, "format",
			   "base64", NULL);
}

char *domxml_add_qemu_args(const char *xml, char *const *args, GError **error)
{
	xmlDocPtr doc = parse(xml, error);
	xmlNodePtr root, cmdline;
	xmlNsPtr ns;
	xmlChar *out = NULL;
	int len = 0;
	char *s;

	if (!doc)
		return NULL;
	root = xmlDocGetRootElement(doc);
	ns = xmlSearchNsByHref(doc, root, BAD_CAST DOMXML_QEMU_NS);
	if (!ns)
		ns = xmlNewNs(root, BAD_CAST DOMXML_QEMU_NS, BAD_CAST "qemu");
	cmdline = xmlNewChild(root, ns, BAD_CAST "commandline", NULL);
	for (; *args; args++) {
		xmlNodePtr arg = xmlNewChild(cmdline, ns, BAD_CAST "arg", NULL);

		xmlNewProp(arg, BAD_CAST "value", BAD_CAST *args);
	}
	xmlDocDumpFormatMemory(doc, &out, &len, 0);
	s = g_strndup((const char *)out, len);
	xmlFree(out);
	xmlFreeDoc(doc);
	return s;
}
