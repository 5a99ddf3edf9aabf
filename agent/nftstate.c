// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftstate.c - bindings and counters of a VM with libnftables (see
 * nftstate.h).  Commands go in as nft's text language, listings come
 * back as nft's JSON (json-glib).
 */
#include "nftstate.h"

#include <errno.h>
#include <string.h>

#include <nftables/libnftables.h>

static GQuark nfts_quark(void)
{
	return g_quark_from_static_string("mig-agent-nft");
}

/* Run @cmd; with @json the output (JSON) is returned in *@out. */
static bool run(const char *cmd, bool json, char **out, GError **error)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	bool ok;

	if (!ctx) {
		g_set_error(error, nfts_quark(), ENOMEM, "nft_ctx_new failed");
		return false;
	}
	if (json)
		nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	ok = nft_run_cmd_from_buffer(ctx, cmd) == 0;
	if (ok && out)
		*out = g_strdup(nft_ctx_get_output_buffer(ctx));
	if (!ok)
		g_set_error(error, nfts_quark(), EINVAL, "nft '%s': %s", cmd,
			    g_strchomp(g_strdup(nft_ctx_get_error_buffer(ctx))));
	nft_ctx_free(ctx);
	return ok;
}

/* The "nftables" array of a JSON listing. */
static JsonArray *listing(JsonParser *p, const char *text)
{
	JsonNode *root;
	JsonObject *o;

	if (!json_parser_load_from_data(p, text, -1, NULL))
		return NULL;
	root = json_parser_get_root(p);
	if (!JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	o = json_node_get_object(root);
	return json_object_has_member(o, "nftables") ?
		json_object_get_array_member(o, "nftables") : NULL;
}

/* The name of an address's counters: vm_10_99_0_10 (":" and "." to "_"). */
static char *counter_name(const char *ip)
{
	char *n = g_strconcat("vm_", ip, NULL);

	g_strdelimit(n, ".:", '_');
	return n;
}

static bool valid_mac(const char *m)
{
	return strlen(m) == 17 && g_regex_match_simple("^[0-9a-fA-F:]{17}$", m, 0, 0);
}

static bool valid_ip(const char *ip)
{
	return strlen(ip) <= 45 && g_regex_match_simple("^[0-9a-fA-F:.]+$", ip, 0, 0);
}

/* --- bindings ---------------------------------------------------------------- */

/* Each element of the set: calls @fn(mac, ip, expires-s, data). */
static bool each_binding(const struct agent_config *c,
			 void (*fn)(const char *, const char *, gint64, void *),
			 void *data, GError **error)
{
	g_autofree char *cmd = g_strdup_printf("list set inet %s %s", c->table,
					       c->bindings_set);
	g_autofree char *out = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	JsonArray *a;

	if (!run(cmd, true, &out, error))
		return false;
	a = listing(p, out);
	for (unsigned int i = 0; a && i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i), *set;
		JsonArray *elems;

		if (!json_object_has_member(o, "set"))
			continue;
		set = json_object_get_object_member(o, "set");
		if (!json_object_has_member(set, "elem"))
			continue;
		elems = json_object_get_array_member(set, "elem");
		for (unsigned int k = 0; k < json_array_get_length(elems); k++) {
			JsonNode *en = json_array_get_element(elems, k);
			JsonObject *e, *val;
			JsonArray *cat;

			if (!JSON_NODE_HOLDS_OBJECT(en))
				continue;
			e = json_node_get_object(en);
			if (!json_object_has_member(e, "elem"))
				continue;
			e = json_object_get_object_member(e, "elem");
			val = json_object_get_object_member(e, "val");
			if (!val || !json_object_has_member(val, "concat"))
				continue;
			cat = json_object_get_array_member(val, "concat");
			if (json_array_get_length(cat) != 2)
				continue;
			fn(json_array_get_string_element(cat, 0),
			   json_array_get_string_element(cat, 1),
			   json_object_get_int_member_with_default(e, "expires", 0), data);
		}
	}
	return true;
}

struct collect {
	const char *const *macs;
	JsonBuilder *b;
	GPtrArray *ips;
	unsigned int n;
};

static bool mac_listed(const char *const *macs, const char *mac)
{
	for (const char *const *m = macs; m && *m; m++)
		if (!g_ascii_strcasecmp(*m, mac))
			return true;
	return false;
}

static void collect_binding(const char *mac, const char *ip, gint64 expires, void *data)
{
	struct collect *c = data;

	if (!mac_listed(c->macs, mac))
		return;
	if (c->b) {
		json_builder_begin_object(c->b);
		json_builder_set_member_name(c->b, "mac");
		json_builder_add_string_value(c->b, mac);
		json_builder_set_member_name(c->b, "ip");
		json_builder_add_string_value(c->b, ip);
		json_builder_set_member_name(c->b, "timeout");
		json_builder_add_int_value(c->b, MAX(expires, 1));
		json_builder_end_object(c->b);
	}
	if (c->ips)
		g_ptr_array_add(c->ips, g_strdup(ip));
	c->n++;
}

char **nfts_ips_of(const struct agent_config *c, const char *const *macs)
{
	struct collect col = { .macs = macs, .ips = g_ptr_array_new() };

	each_binding(c, collect_binding, &col, NULL);
	g_ptr_array_add(col.ips, NULL);
	return (char **)g_ptr_array_free(col.ips, FALSE);
}

static bool add_binding(const struct agent_config *c, const char *mac, const char *ip,
			gint64 timeout, GError **error)
{
	g_autofree char *cmd = NULL;

	if (!valid_mac(mac) || !valid_ip(ip) || !strchr(ip, '.')) {
		g_set_error(error, nfts_quark(), EINVAL, "bad binding %s . %s", mac, ip);
		return false;
	}
	cmd = g_strdup_printf("add element inet %s %s { %s . %s timeout %" G_GINT64_FORMAT "s }",
			      c->table, c->bindings_set, mac, ip, MAX(timeout, 1));
	return run(cmd, false, NULL, error);
}

struct drop_mac {
	const struct agent_config *c;
	const char *const *macs;
	const char *keep_ip; /* do not remove this one (re-binding) */
	unsigned int n;
};

static void drop_binding(const char *mac, const char *ip, gint64 expires, void *data)
{
	struct drop_mac *d = data;
	g_autofree char *cmd = NULL;

	(void)expires;
	if (!mac_listed(d->macs, mac) || (d->keep_ip && !strcmp(ip, d->keep_ip)))
		return;
	cmd = g_strdup_printf("delete element inet %s %s { %s . %s }", d->c->table,
			      d->c->bindings_set, mac, ip);
	if (run(cmd, false, NULL, NULL))
		d->n++;
}

/* --- counters ------------------------------------------------------------------ */

/* The counter's packets and bytes; false if it does not exist. */
static bool counter_get(const struct agent_config *c, const char *name,
			gint64 *packets, gint64 *bytes)
{
	g_autofree char *cmd = g_strdup_printf("list counter inet %s %s", c->table, name);
	g_autofree char *out = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	JsonArray *a;

	if (!run(cmd, true, &out, NULL))
		return false;
	a = listing(p, out);
	for (unsigned int i = 0; a && i < json_array_get_length(a); i++) {
		JsonObject *o = json_array_get_object_element(a, i);

		if (json_object_has_member(o, "counter")) {
			o = json_object_get_object_member(o, "counter");
			*packets = json_object_get_int_member_with_default(o, "packets", 0);
			*bytes = json_object_get_int_member_with_default(o, "bytes", 0);
			return true;
		}
	}
	return false;
}

/* Counters vm_X_tx/rx with these values and their two rules. */
static bool counters_create(const struct agent_config *c, const char *ip,
			    gint64 txp, gint64 txb, gint64 rxp, gint64 rxb, GError **error)
{
	g_autofree char *n = counter_name(ip);
	const char *fam = strchr(ip, ':') ? "ip6" : "ip";
	g_autofree char *cmd = NULL;

	if (!valid_ip(ip)) {
		g_set_error(error, nfts_quark(), EINVAL, "bad address '%s'", ip);
		return false;
	}
	cmd = g_strdup_printf(
		"add counter inet %1$s %2$s_tx { packets %3$" G_GINT64_FORMAT " bytes %4$" G_GINT64_FORMAT " }\n"
		"add counter inet %1$s %2$s_rx { packets %5$" G_GINT64_FORMAT " bytes %6$" G_GINT64_FORMAT " }\n"
		"add rule inet %1$s %7$s %8$s saddr %9$s counter name \"%2$s_tx\" comment \"mig %2$s\"\n"
		"add rule inet %1$s %7$s %8$s daddr %9$s counter name \"%2$s_rx\" comment \"mig %2$s\"\n",
		c->table, n, txp, txb, rxp, rxb, c->counters_chain, fam, ip);
	return run(cmd, false, NULL, error);
}

/* Delete the rules commented "mig NAME" of the counters chain, then the
 * counters. */
static bool counters_delete(const struct agent_config *c, const char *ip)
{
	g_autofree char *n = counter_name(ip);
	g_autofree char *comment = g_strconcat("mig ", n, NULL);
	g_autofree char *cmd = g_strdup_printf("list chain inet %s %s", c->table,
					       c->counters_chain);
	g_autofree char *out = NULL, *del = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	GString *dels = g_string_new(NULL);
	JsonArray *a;
	bool found = false;

	if (run(cmd, true, &out, NULL) && (a = listing(p, out))) {
		for (unsigned int i = 0; i < json_array_get_length(a); i++) {
			JsonObject *o = json_array_get_object_element(a, i);

			if (!json_object_has_member(o, "rule"))
				continue;
			o = json_object_get_object_member(o, "rule");
			if (g_strcmp0(json_object_get_string_member_with_default(o, "comment", ""),
				      comment))
				continue;
			g_string_append_printf(dels, "delete rule inet %s %s handle %" G_GINT64_FORMAT "\n",
					       c->table, c->counters_chain,
					       json_object_get_int_member(o, "handle"));
		}
	}
	g_string_append_printf(dels, "delete counter inet %s %s_tx\ndelete counter inet %s %s_rx\n",
			       c->table, n, c->table, n);
	del = g_string_free(dels, FALSE);
	found = run(del, false, NULL, NULL);
	return found;
}

/* --- the operations ----------------------------------------------------------------- */

JsonNode *nfts_export(const struct agent_config *c, const char *const *macs,
		      const char *const *ips, struct nft_result *r, GError **error)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_auto(GStrv) found = NULL;
	struct collect col = { .macs = macs };

	memset(r, 0, sizeof(*r));
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "bindings");
	json_builder_begin_array(b);
	col.b = b;
	if (!each_binding(c, collect_binding, &col, error))
		return NULL;
	r->bindings = col.n;
	json_builder_end_array(b);
	if (!ips)
		ips = (const char *const *)(found = nfts_ips_of(c, macs));
	json_builder_set_member_name(b, "counters");
	json_builder_begin_array(b);
	for (const char *const *ip = ips; ip && *ip; ip++) {
		g_autofree char *n = counter_name(*ip);
		g_autofree char *tx = g_strconcat(n, "_tx", NULL);
		g_autofree char *rx = g_strconcat(n, "_rx", NULL);
		gint64 txp, txb, rxp = 0, rxb = 0;

		if (!counter_get(c, tx, &txp, &txb))
			continue;
		counter_get(c, rx, &rxp, &rxb);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "ip");
		json_builder_add_string_value(b, *ip);
		json_builder_set_member_name(b, "tx-packets");
		json_builder_add_int_value(b, txp);
		json_builder_set_member_name(b, "tx-bytes");
		json_builder_add_int_value(b, txb);
		json_builder_set_member_name(b, "rx-packets");
		json_builder_add_int_value(b, rxp);
		json_builder_set_member_name(b, "rx-bytes");
		json_builder_add_int_value(b, rxb);
		json_builder_end_object(b);
		r->counters++;
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

bool nfts_import(const struct agent_config *c, JsonObject *state,
		 struct nft_result *r, GError **error)
{
	JsonArray *bind = json_object_has_member(state, "bindings") ?
		json_object_get_array_member(state, "bindings") : NULL;
	JsonArray *ctr = json_object_has_member(state, "counters") ?
		json_object_get_array_member(state, "counters") : NULL;

	(void)error;
	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; bind && i < json_array_get_length(bind); i++) {
		JsonObject *o = json_array_get_object_element(bind, i);

		if (o && add_binding(c, json_object_get_string_member_with_default(o, "mac", ""),
				     json_object_get_string_member_with_default(o, "ip", ""),
				     json_object_get_int_member_with_default(o, "timeout", 1),
				     NULL))
			r->bindings++;
		else
			r->failed++;
	}
	for (unsigned int i = 0; ctr && i < json_array_get_length(ctr); i++) {
		JsonObject *o = json_array_get_object_element(ctr, i);
		const char *ip = o ? json_object_get_string_member_with_default(o, "ip", "") : "";

		/* An earlier import (pre-copy) made them: they are replaced */
		counters_delete(c, ip);
		if (o && counters_create(c, ip,
					 json_object_get_int_member_with_default(o, "tx-packets", 0),
					 json_object_get_int_member_with_default(o, "tx-bytes", 0),
					 json_object_get_int_member_with_default(o, "rx-packets", 0),
					 json_object_get_int_member_with_default(o, "rx-bytes", 0),
					 NULL))
			r->counters++;
		else
			r->failed++;
	}
	return true;
}

bool nfts_delete(const struct agent_config *c, const char *const *macs,
		 const char *const *ips, struct nft_result *r, GError **error)
{
	struct drop_mac d = { .c = c, .macs = macs };

	memset(r, 0, sizeof(*r));
	if (!each_binding(c, drop_binding, &d, error))
		return false;
	r->bindings = d.n;
	for (const char *const *ip = ips; ip && *ip; ip++)
		if (counters_delete(c, *ip))
			r->counters++;
	return true;
}

bool nfts_bind(const struct agent_config *c, const char *mac, const char *ip,
	       unsigned int lease_s, GError **error)
{
	const char *macs[] = { mac, NULL };
	struct drop_mac d = { .c = c, .macs = macs, .keep_ip = ip };
	g_autofree char *n = counter_name(ip);
	g_autofree char *tx = g_strconcat(n, "_tx", NULL);
	gint64 p, b;

	each_binding(c, drop_binding, &d, NULL);
	if (!add_binding(c, mac, ip, lease_s, error))
		return false;
	if (!counter_get(c, tx, &p, &b))
		return counters_create(c, ip, 0, 0, 0, 0, error);
	return true;
}
