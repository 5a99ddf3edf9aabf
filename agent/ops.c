// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ops.c - mig-agent's requests (see ops.h).
 */
#include "ops.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conntrack.h"
#include "nftstate.h"
#include "policy.h"
#include "probe.h"
#include "scope.h"

#define TICKET_TTL_US (30 * G_USEC_PER_SEC)

/**
 * struct ticket - a transfer another agent may make here, once.
 * @vm: the VM it is for.
 * @allow: "import" (the other pushes) or "export" (the other pulls).
 * @macs: the VM's MACs, as the manager named them: all the ticket lets
 *        the other agent touch (scope.h).
 * @ips: the VM's addresses, if the manager named any.
 * @key: its key.
 * @expires: monotonic µs after which it is forgotten.
 */
struct ticket {
	char *vm;
	char *allow;
	char **macs;
	char **ips;
	uint8_t key[TLSPSK_KEY_LEN];
	gint64 expires;
};

struct agent {
	const struct agent_config *c;
	GMutex lock;       /* the tables below, and the kernel's state */
	GHashTable *pending; /* id -> struct ticket: not used yet */
	GHashTable *active;  /* "ticket:ID" -> struct ticket: in a session */
};

static void ticket_free(gpointer p)
{
	struct ticket *t = p;

	g_free(t->vm);
	g_free(t->allow);
	g_strfreev(t->macs);
	g_strfreev(t->ips);
	memset(t->key, 0, sizeof(t->key));
	g_free(t);
}

struct agent *agent_new(const struct agent_config *c)
{
	struct agent *a = g_new0(struct agent, 1);

	a->c = c;
	g_mutex_init(&a->lock);
	a->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ticket_free);
	a->active = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ticket_free);
	return a;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	g_hash_table_destroy(a->pending);
	g_hash_table_destroy(a->active);
	g_mutex_clear(&a->lock);
	g_free(a);
}

static gboolean expired(gpointer k, gpointer v, gpointer now)
{
	(void)k;
	return ((struct ticket *)v)->expires < *(gint64 *)now;
}

bool agent_psk(const char *identity, uint8_t key[TLSPSK_KEY_LEN], void *data)
{
	struct agent *a = data;
	gint64 now = g_get_monotonic_time();
	gpointer id = NULL, t = NULL;
	bool ok = false;

	if (!strcmp(identity, "manager")) {
		memcpy(key, a->c->key, TLSPSK_KEY_LEN);
		return true;
	}
	if (!g_str_has_prefix(identity, "ticket:"))
		return false;
	g_mutex_lock(&a->lock);
	g_hash_table_foreach_remove(a->pending, expired, &now);
	if (g_hash_table_steal_extended(a->pending, identity + 7, &id, &t)) {
		memcpy(key, ((struct ticket *)t)->key, TLSPSK_KEY_LEN);
		g_hash_table_replace(a->active, g_strdup(identity), t);
		g_free(id);
		ok = true;
	}
	g_mutex_unlock(&a->lock);
	return ok;
}

/* --- answers ------------------------------------------------------------------ */

/* {"ok": false, "error": MSG} and, if @code, "code": @code */
static char *answer_error_v(const char *code, const char *fmt, va_list ap)
	G_GNUC_PRINTF(2, 0);

static char *answer_error_v(const char *code, const char *fmt, va_list ap)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, FALSE);
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, msg);
	if (code) {
		json_builder_set_member_name(b, "code");
		json_builder_add_string_value(b, code);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

static char *answer_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static char *answer_error(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = answer_error_v(NULL, fmt, ap);
	va_end(ap);
	return s;
}

/* An error of the policy ops: with its "code" (policy.h). */
static char *answer_error_code(const char *code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static char *answer_error_code(const char *code, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = answer_error_v(code, fmt, ap);
	va_end(ap);
	return s;
}

/* {"ok": true} with the members of @extra (taken). */
static char *answer_ok(JsonObject *extra)
{
	g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
	JsonObject *o = extra ? extra : json_object_new();

	json_object_set_boolean_member(o, "ok", TRUE);
	json_node_take_object(root, o);
	return json_to_string(root, FALSE);
}

static const char **strv_member(JsonObject *o, const char *name)
{
	JsonArray *a = json_object_has_member(o, name) ?
		json_object_get_array_member(o, name) : NULL;
	GPtrArray *v = g_ptr_array_new();

	for (unsigned int i = 0; a && i < json_array_get_length(a); i++) {
		const char *s = json_array_get_string_element(a, i);

		if (s)
			g_ptr_array_add(v, (gpointer)s);
	}
	g_ptr_array_add(v, NULL);
	return (const char **)g_ptr_array_free(v, FALSE);
}

static JsonArray *strv_array(const char *const *v)
{
	JsonArray *a = json_array_new();

	for (; v && *v; v++)
		json_array_add_string_element(a, *v);
	return a;
}

/* Run the hook @cmd with the VM's identity in its environment. */
static void hook(const char *what, const char *cmd, const char *vm,
		 const char *const *ips, const char *const *macs)
{
	g_autofree char *ipl = g_strjoinv(" ", (char **)ips);
	g_autofree char *macl = g_strjoinv(" ", (char **)macs);
	g_auto(GStrv) env = g_get_environ();
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	g_autoptr(GError) err = NULL;
	int status = 0;

	if (!cmd || !*cmd)
		return;
	env = g_environ_setenv(env, "MIG_VM", vm, TRUE);
	env = g_environ_setenv(env, "MIG_IPS", ipl, TRUE);
	env = g_environ_setenv(env, "MIG_MACS", macl, TRUE);
	if (!g_spawn_sync(NULL, argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
			  &status, &err) || !g_spawn_check_wait_status(status, NULL))
		g_warning("%s command for %s failed: %s", what, vm,
			  err ? err->message : "non-zero exit");
}

/* --- local state ------------------------------------------------------------------ */

/* The VM's state here, and what exporting it found. */
static JsonObject *export_state(struct agent *a, const char *const *macs,
				const char *const *ips_in, JsonObject *stats,
				GError **error)
{
	g_auto(GStrv) found = NULL;
	const char *const *ips = ips_in;
	struct ct_result ct;
	struct nft_result nr;
	JsonObject *state = json_object_new();
	JsonNode *ctn, *nn;
	gint64 t0 = g_get_monotonic_time();

	if (!ips || !*ips)
		ips = (const char *const *)(found = nfts_ips_of(a->c, macs));
	ctn = ct_export(ips, a->c->max_entries, &ct, error);
	nn = ctn ? nfts_export(a->c, macs, ips, &nr, error) : NULL;
	if (!nn) {
		if (ctn)
			json_node_unref(ctn);
		json_object_unref(state);
		return NULL;
	}
	json_object_set_array_member(state, "ips", strv_array(ips));
	json_object_set_member(state, "conntrack", ctn);
	json_object_set_member(state, "bindings",
			       json_node_copy(json_object_get_member(json_node_get_object(nn),
								     "bindings")));
	json_object_set_member(state, "counters",
			       json_node_copy(json_object_get_member(json_node_get_object(nn),
								     "counters")));
	json_node_unref(nn);
	json_object_set_int_member(stats, "conntrack", ct.entries);
	json_object_set_int_member(stats, "conntrack-skipped", ct.skipped);
	json_object_set_int_member(stats, "bindings", nr.bindings);
	json_object_set_int_member(stats, "counters", nr.counters);
	json_object_set_int_member(stats, "export-ms", (g_get_monotonic_time() - t0) / 1000);
	return state;
}

static bool import_state(struct agent *a, const char *vm, JsonObject *state,
			 bool announce, JsonObject *stats, GError **error)
{
	JsonArray *ct = json_object_has_member(state, "conntrack") ?
		json_object_get_array_member(state, "conntrack") : NULL;
	g_autofree const char **ips = strv_member(state, "ips");
	g_autofree const char **macs = NULL;
	struct ct_result cr = { 0 };
	struct nft_result nr;
	gint64 t0 = g_get_monotonic_time();
	unsigned int over = 0;

	/* the binding first: a handful of objects that let all of the VM's
	 * traffic through the source guard, then its connections */
	if (!nfts_import(a->c, state, &nr, error))
		return false;
	/* this host's share of its table for one VM (max-entries): what is
	 * over it is refused, counted like entries the kernel refuses */
	if (ct && json_array_get_length(ct) > a->c->max_entries) {
		over = json_array_get_length(ct) - a->c->max_entries;
		while (json_array_get_length(ct) > a->c->max_entries)
			json_array_remove_element(ct, json_array_get_length(ct) - 1);
		g_warning("import of %s: %u conntrack entries over max-entries %u refused", vm,
			  over, a->c->max_entries);
	}
	if (ct && !ct_import(ct, &cr, error))
		return false;
	cr.failed += over;
	json_object_set_int_member(stats, "conntrack-created", cr.entries);
	json_object_set_int_member(stats, "conntrack-updated", cr.updated);
	json_object_set_int_member(stats, "conntrack-failed", cr.failed);
	json_object_set_int_member(stats, "bindings", nr.bindings);
	json_object_set_int_member(stats, "counters", nr.counters);
	json_object_set_int_member(stats, "nft-failed", nr.failed);
	json_object_set_int_member(stats, "import-ms", (g_get_monotonic_time() - t0) / 1000);
	if (announce) {
		macs = strv_member(state, "macs");
		hook("announce", a->c->announce_cmd, vm, ips, macs);
	}
	return true;
}

/* --- the operations -------------------------------------------------------------------- */

static char *op_export(struct agent *a, JsonObject *req, const char *vm)
{
	g_autofree const char **macs = strv_member(req, "macs");
	g_autofree const char **ips = strv_member(req, "ips");
	g_autoptr(GError) err = NULL;
	JsonObject *stats = json_object_new(), *out, *state;

	state = export_state(a, macs, ips, stats, &err);
	if (!state) {
		json_object_unref(stats);
		return answer_error("export of %s: %s", vm, err->message);
	}
	json_object_set_array_member(state, "macs", strv_array(macs));
	out = json_object_new();
	json_object_set_object_member(out, "state", state);
	json_object_set_object_member(out, "stats", stats);
	return answer_ok(out);
}

static char *op_import(struct agent *a, JsonObject *req, const char *vm)
{
	JsonObject *state = json_object_has_member(req, "state") ?
		json_object_get_object_member(req, "state") : NULL;
	JsonObject *stats, *out;
	g_autoptr(GError) err = NULL;

	if (!state)
		return answer_error("import of %s: no state", vm);
	stats = json_object_new();
	{
		/* the manager names the VM's MACs (fetch mode): nothing else */
		g_autofree const char **macs = strv_member(req, "macs");
		static const char *const none[] = { NULL };

		if (*macs)
			json_object_set_int_member(stats, "scope-dropped",
						   scope_state(state, macs, none));
	}
	if (!import_state(a, vm, state,
			  json_object_get_boolean_member_with_default(req, "announce", FALSE),
			  stats, &err)) {
		json_object_unref(stats);
		return answer_error("import of %s: %s", vm, err->message);
	}
	out = json_object_new();
	json_object_set_object_member(out, "stats", stats);
	return answer_ok(out);
}

static char *op_delete(struct agent *a, JsonObject *req, const char *vm)
{
	g_autofree const char **macs = strv_member(req, "macs");
	g_autofree const char **ips_in = strv_member(req, "ips");
	g_auto(GStrv) found = NULL;
	const char *const *ips = ips_in;
	g_autoptr(GError) err = NULL;
	struct ct_result cr;
	struct nft_result nr;
	JsonObject *stats, *out;

	if (!*ips)
		ips = (const char *const *)(found = nfts_ips_of(a->c, macs));
	if (!ct_delete(ips, &cr, &err) || !nfts_delete(a->c, macs, ips, &nr, &err))
		return answer_error("delete of %s: %s", vm, err->message);
	if (json_object_get_boolean_member_with_default(req, "withdraw", FALSE))
		hook("withdraw", a->c->withdraw_cmd, vm, ips, macs);
	stats = json_object_new();
	json_object_set_int_member(stats, "conntrack", cr.entries);
	json_object_set_int_member(stats, "bindings", nr.bindings);
	json_object_set_int_member(stats, "counters", nr.counters);
	out = json_object_new();
	json_object_set_object_member(out, "stats", stats);
	return answer_ok(out);
}

/* announce: the VM runs here now (its state was imported before) */
static char *op_announce(struct agent *a, JsonObject *req, const char *vm)
{
	g_autofree const char **macs = strv_member(req, "macs");
	g_auto(GStrv) ips = nfts_ips_of(a->c, macs);

	if (!ips || !*ips)
		return answer_error("announce of %s: no binding of its MACs here", vm);
	hook("announce", a->c->announce_cmd, vm, (const char *const *)ips, macs);
	return answer_ok(NULL);
}

/* Parse a MAC in text form. */
static bool mac_of(const char *s, uint8_t mac[6])
{
	unsigned int b[6];

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

/*
 * The VM's SLAAC address (RFC 4862, modified EUI-64 interface identifier)
 * in the first global /64 of @dev that is not one of @old; NULL if none.
 */
static char *slaac_candidate(const char *dev, const uint8_t mac[6], const char **old)
{
	struct ifaddrs *ifs = NULL;
	char *found = NULL;

	if (getifaddrs(&ifs))
		return NULL;
	for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
		const struct sockaddr_in6 *a = (const void *)i->ifa_addr;
		const struct sockaddr_in6 *nm = (const void *)i->ifa_netmask;
		struct in6_addr c;
		char text[INET6_ADDRSTRLEN];
		int bits = 0;

		if (!a || a->sin6_family != AF_INET6 || strcmp(i->ifa_name, dev) ||
		    IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr) || !nm)
			continue;
		for (int k = 0; k < 16; k++)
			bits += __builtin_popcount(nm->sin6_addr.s6_addr[k]);
		if (bits != 64)
			continue;
		c = a->sin6_addr;
		c.s6_addr[8] = mac[0] ^ 0x02;
		c.s6_addr[9] = mac[1];
		c.s6_addr[10] = mac[2];
		c.s6_addr[11] = 0xff;
		c.s6_addr[12] = 0xfe;
		c.s6_addr[13] = mac[3];
		c.s6_addr[14] = mac[4];
		c.s6_addr[15] = mac[5];
		inet_ntop(AF_INET6, &c, text, sizeof(text));
		if (!g_strv_contains(old, text))
			found = g_strdup(text);
	}
	freeifaddrs(ifs);
	return found;
}

/*
 * address, first half (under the lock): the address to check, the
 * request's "want", or else: for an IPv4 VM (its "old" addresses) its
 * first IPv4 binding here that is not one of them (DHCP snooping); for an
 * IPv6 VM its SLAAC address in the bridge's prefix.  NULL and *answer set
 * if there is none.
 */
static char *address_candidate(struct agent *a, JsonObject *req, const char *vm,
			       char **answer)
{
	g_autofree const char **macs = strv_member(req, "macs");
	g_autofree const char **old = strv_member(req, "old");
	const char *want = json_object_get_string_member_with_default(req, "want", "");
	g_auto(GStrv) ips = NULL;

	if (!*macs) {
		*answer = answer_error_code("invalid", "address of %s: needs macs", vm);
		return NULL;
	}
	if (*want)
		return g_strdup(want);
	if (*old && strchr(*old, ':')) {
		uint8_t mac[6];
		char *c;

		if (!a->c->snoop || !*a->c->snoop) {
			*answer = answer_error_code("no-bridge",
						    "address of %s: no snoop= bridge to look on", vm);
			return NULL;
		}
		if (!mac_of(macs[0], mac)) {
			*answer = answer_error_code("invalid", "address of %s: bad MAC '%s'", vm,
						    macs[0]);
			return NULL;
		}
		c = slaac_candidate(a->c->snoop, mac, old);
		if (!c)
			*answer = answer_error_code("no-prefix",
						    "address of %s: %s has no other global /64 prefix",
						    vm, a->c->snoop);
		return c;
	}
	ips = nfts_ips_of(a->c, macs);
	for (char **ip = ips; ip && *ip; ip++)
		if (strchr(*ip, '.') && !g_strv_contains(old, *ip))
			return g_strdup(*ip);
	*answer = answer_error_code("no-binding", "address of %s: no new binding of %s here yet",
				    vm, macs[0]);
	return NULL;
}

/*
 * address, second half (not under the lock: up to 900 ms): the VM answers
 * an ARP probe (IPv6: a neighbour solicitation) for @ip on its bridge
 * (snoop=) from its first MAC.
 */
static char *op_address(struct agent *a, JsonObject *req, const char *vm, const char *ip)
{
	g_autofree const char **macs = strv_member(req, "macs");
	g_autoptr(GError) err = NULL;
	uint8_t mac[6];
	double rtt = 0;
	JsonObject *out;
	bool ok;

	if (!a->c->snoop || !*a->c->snoop)
		return answer_error_code("no-bridge", "address of %s: no snoop= bridge to probe on", vm);
	if (!mac_of(macs[0], mac))
		return answer_error_code("invalid", "address of %s: bad MAC '%s'", vm, macs[0]);
	ok = strchr(ip, ':') ? probe_vm6(a->c->snoop, ip, mac, &rtt, &err)
			     : probe_vm(a->c->snoop, ip, mac, &rtt, &err);
	if (!ok)
		return answer_error_code("no-answer", "address of %s: %s", vm, err->message);
	out = json_object_new();
	json_object_set_string_member(out, "ip", ip);
	json_object_set_double_member(out, "rtt-ms", rtt);
	return answer_ok(out);
}

static char *op_ticket(struct agent *a, JsonObject *req, const char *vm)
{
	const char *id = json_object_get_string_member_with_default(req, "ticket", "");
	const char *allow = json_object_get_string_member_with_default(req, "allow", "");
	g_autofree guchar *key = NULL;
	struct ticket *t;
	gsize len = 0;

	if (json_object_has_member(req, "key"))
		key = g_base64_decode(json_object_get_string_member(req, "key"), &len);
	if (!*id || strlen(id) > 64 || len != TLSPSK_KEY_LEN ||
	    (strcmp(allow, "import") && strcmp(allow, "export")))
		return answer_error("ticket: needs ticket (id), key (32 bytes, base64), allow import|export");
	t = g_new0(struct ticket, 1);
	t->vm = g_strdup(vm);
	t->allow = g_strdup(allow);
	{
		g_autofree const char **macs = strv_member(req, "macs");
		g_autofree const char **ips = strv_member(req, "ips");

		t->macs = g_strdupv((char **)macs);
		t->ips = g_strdupv((char **)ips);
	}
	memcpy(t->key, key, TLSPSK_KEY_LEN);
	memset(key, 0, len);
	t->expires = g_get_monotonic_time() + TICKET_TTL_US;
	g_hash_table_replace(a->pending, g_strdup(id), t); /* under a->lock */
	return answer_ok(NULL);
}

/* Connect to the other agent of a push or pull with the ticket's key. */
static struct tls_chan *peer_connect(struct agent *a, JsonObject *req, const char *member,
				     GError **error)
{
	const char *where = json_object_get_string_member_with_default(req, member, "");
	const char *id = json_object_get_string_member_with_default(req, "ticket", "");
	g_autofree guchar *key = NULL;
	g_autofree char *identity = NULL;
	struct mig_addr addr;
	gsize len = 0;
	struct tls_chan *c;

	if (json_object_has_member(req, "key"))
		key = g_base64_decode(json_object_get_string_member(req, "key"), &len);
	if (!addr_parse(where, &addr) || !*id || len != TLSPSK_KEY_LEN) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "needs %s (HOST:PORT), ticket and key", member);
		return NULL;
	}
	identity = g_strconcat("ticket:", id, NULL);
	c = tls_chan_connect(&addr, identity, key, (int)a->c->timeout_ms, error);
	memset(key, 0, len);
	return c;
}

/* One request on @c and its answer's object. */
static JsonObject *peer_call(struct tls_chan *c, JsonObject *req, JsonParser *p,
			     GError **error)
{
	g_autoptr(JsonNode) n = json_node_new(JSON_NODE_OBJECT);
	g_autofree char *text = NULL, *line = NULL;
	JsonObject *o;

	json_node_set_object(n, req);
	text = json_to_string(n, FALSE);
	if (!tls_chan_send(c, text, error) || !(line = tls_chan_recv(c, error)))
		return NULL;
	if (!json_parser_load_from_data(p, line, -1, error))
		return NULL;
	if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
		return NULL;
	}
	o = json_node_get_object(json_parser_get_root(p));
	if (!json_object_get_boolean_member_with_default(o, "ok", FALSE)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the other agent: %s",
			    json_object_get_string_member_with_default(o, "error", "?"));
		return NULL;
	}
	return o;
}

/* push: export here, import there. */
static char *op_push(struct agent *a, JsonObject *req, const char *vm)
{
	g_autofree const char **macs = strv_member(req, "macs");
	g_autofree const char **ips = strv_member(req, "ips");
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonObject) imp = json_object_new();
	JsonObject *stats = json_object_new(), *state, *there, *out;
	struct tls_chan *c;
	uint64_t sent, rcvd;

	g_mutex_lock(&a->lock);
	state = export_state(a, macs, ips, stats, &err);
	g_mutex_unlock(&a->lock);
	if (!state) {
		json_object_unref(stats);
		return answer_error("push of %s: %s", vm, err->message);
	}
	json_object_set_array_member(state, "macs", strv_array(macs));
	c = peer_connect(a, req, "to", &err);
	json_object_set_string_member(imp, "op", "import");
	json_object_set_string_member(imp, "vm", vm);
	json_object_set_boolean_member(imp, "announce",
				       json_object_get_boolean_member_with_default(req, "announce", FALSE));
	json_object_set_object_member(imp, "state", state);
	there = c ? peer_call(c, imp, p, &err) : NULL;
	if (!there) {
		tls_chan_close(c);
		json_object_unref(stats);
		return answer_error("push of %s: %s", vm, err->message);
	}
	tls_chan_bytes(c, &sent, &rcvd);
	json_object_set_int_member(stats, "bytes", (gint64)sent);
	out = json_object_new();
	json_object_set_object_member(out, "stats", stats);
	if (json_object_has_member(there, "stats"))
		json_object_set_member(out, "peer-stats",
				       json_node_copy(json_object_get_member(there, "stats")));
	tls_chan_close(c);
	return answer_ok(out);
}

/* pull: export there, import here. */
static char *op_pull(struct agent *a, JsonObject *req, const char *vm)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GError) err = NULL;
	g_autoptr(JsonObject) exp = json_object_new();
	JsonObject *there, *stats, *out;
	struct tls_chan *c = peer_connect(a, req, "from", &err);
	uint64_t sent, rcvd;
	bool ok;

	json_object_set_string_member(exp, "op", "export");
	json_object_set_string_member(exp, "vm", vm);
	if (json_object_has_member(req, "macs"))
		json_object_set_member(exp, "macs", json_node_copy(json_object_get_member(req, "macs")));
	if (json_object_has_member(req, "ips"))
		json_object_set_member(exp, "ips", json_node_copy(json_object_get_member(req, "ips")));
	there = c ? peer_call(c, exp, p, &err) : NULL;
	if (!there || !json_object_has_member(there, "state")) {
		tls_chan_close(c);
		return answer_error("pull of %s: %s", vm, err ? err->message : "no state");
	}
	tls_chan_bytes(c, &sent, &rcvd);
	stats = json_object_new();
	g_mutex_lock(&a->lock);
	ok = import_state(a, vm, json_object_get_object_member(there, "state"),
			  json_object_get_boolean_member_with_default(req, "announce", FALSE),
			  stats, &err);
	g_mutex_unlock(&a->lock);
	if (!ok) {
		tls_chan_close(c);
		json_object_unref(stats);
		return answer_error("pull of %s: %s", vm, err->message);
	}
	json_object_set_int_member(stats, "bytes", (gint64)rcvd);
	out = json_object_new();
	json_object_set_object_member(out, "stats", stats);
	if (json_object_has_member(there, "stats"))
		json_object_set_member(out, "peer-stats",
				       json_node_copy(json_object_get_member(there, "stats")));
	tls_chan_close(c);
	return answer_ok(out);
}

/* --- the VM's network policy (policy.h) ------------------------------------------------- */

static bool is_policy_op(const char *op)
{
	return !strcmp(op, "policy-export") || !strcmp(op, "policy-apply") ||
	       !strcmp(op, "policy-commit") || !strcmp(op, "policy-remove");
}

/* policy-export, -apply, -commit, -remove: the request's members to a
 * struct policy_req, policy.c's answer back. */
static char *op_policy(struct agent *a, JsonObject *req, const char *op, const char *vm)
{
	JsonNode *macs = json_object_get_member(req, "macs");
	JsonNode *port = json_object_get_member(req, "port");
	JsonNode *pol = json_object_get_member(req, "policy");
	JsonNode *check = json_object_get_member(req, "check");
	g_autofree const char **mv = NULL;
	g_autoptr(GError) err = NULL;
	struct policy_req r = { .vm = vm };
	JsonObject *out;

	if (macs && !JSON_NODE_HOLDS_NULL(macs)) {
		JsonArray *ma = JSON_NODE_HOLDS_ARRAY(macs) ? json_node_get_array(macs) : NULL;

		for (unsigned int i = 0; ma && i < json_array_get_length(ma); i++) {
			JsonNode *m = json_array_get_element(ma, i);

			if (!JSON_NODE_HOLDS_VALUE(m) ||
			    json_node_get_value_type(m) != G_TYPE_STRING)
				ma = NULL;
		}
		if (!ma)
			return answer_error_code("invalid", "%s of %s: \"macs\" is not an array of "
						 "strings", op, vm);
	}
	mv = strv_member(req, "macs");
	r.macs = mv;
	if (port && !JSON_NODE_HOLDS_NULL(port)) {
		if (!JSON_NODE_HOLDS_VALUE(port) || json_node_get_value_type(port) != G_TYPE_STRING)
			return answer_error_code("invalid", "%s of %s: \"port\" is not a string",
						 op, vm);
		r.port = json_node_get_string(port);
	}
	if (pol && !JSON_NODE_HOLDS_NULL(pol)) {
		if (!JSON_NODE_HOLDS_OBJECT(pol))
			return answer_error_code("invalid", "%s of %s: \"policy\" is not an object",
						 op, vm);
		r.policy = json_node_get_object(pol);
	}
	if (check && !JSON_NODE_HOLDS_NULL(check)) {
		if (!JSON_NODE_HOLDS_OBJECT(check))
			return answer_error_code("invalid", "%s of %s: \"check\" is not an object",
						 op, vm);
		r.check = json_node_get_object(check);
	}
	if (!strcmp(op, "policy-export"))
		out = policy_export(a->c, &r, &err);
	else if (!strcmp(op, "policy-apply"))
		out = policy_apply(a->c, &r, &err);
	else if (!strcmp(op, "policy-commit"))
		out = policy_commit(a->c, &r, &err);
	else
		out = policy_remove(a->c, &r, &err);
	if (!out)
		return answer_error_code(policy_error_code(err), "%s of %s: %s", op, vm,
					 err->message);
	return answer_ok(out);
}

char *agent_handle(struct agent *a, const char *identity, const char *request)
{
	g_autoptr(JsonParser) p = json_parser_new();
	JsonObject *req;
	const char *op, *vm;
	struct ticket *t = NULL;
	g_autofree char *candidate = NULL;
	char *answer = NULL;

	if (!json_parser_load_from_data(p, request, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		return answer_error("not a JSON object");
	req = json_node_get_object(json_parser_get_root(p));
	op = json_object_get_string_member_with_default(req, "op", "");
	vm = json_object_get_string_member_with_default(req, "vm", "");
	if (!strcmp(op, "hello"))
		return g_strdup_printf("{\"ok\": true, \"name\": \"%s\"}", a->c->name);
	if ((!*vm || strlen(vm) > 64) && is_policy_op(op))
		return answer_error_code("invalid", "%s: needs vm", op);
	if (!*vm || strlen(vm) > 64)
		return answer_error("%s: needs vm", op);
	g_mutex_lock(&a->lock);
	if (strcmp(identity, "manager")) {
		/* another agent: only what its ticket allows, for its VM, once */
		t = g_hash_table_lookup(a->active, identity);
		if (!t || strcmp(t->vm, vm) || strcmp(t->allow, op)) {
			g_mutex_unlock(&a->lock);
			g_warning("%s may not %s %s", identity, op, vm);
			return answer_error("%s: not allowed for this ticket", op);
		}
		/* what it may touch: the ticket's MACs, not what it names */
		if (!strcmp(op, "export")) {
			json_object_set_array_member(req, "macs",
						     strv_array((const char *const *)t->macs));
			json_object_remove_member(req, "ips");
		} else if (json_object_has_member(req, "state") &&
			   JSON_NODE_HOLDS_OBJECT(json_object_get_member(req, "state"))) {
			unsigned int n = scope_state(json_object_get_object_member(req, "state"),
						     (const char *const *)t->macs,
						     (const char *const *)t->ips);

			if (n)
				g_warning("%s: %u objects of its import of %s are not the VM's: dropped",
					  identity, n, vm);
		}
		g_hash_table_remove(a->active, identity);
	}
	if (!strcmp(op, "export"))
		answer = op_export(a, req, vm);
	else if (!strcmp(op, "import"))
		answer = op_import(a, req, vm);
	else if (!strcmp(op, "delete"))
		answer = op_delete(a, req, vm);
	else if (!strcmp(op, "ticket"))
		answer = op_ticket(a, req, vm);
	else if (!strcmp(op, "announce"))
		answer = op_announce(a, req, vm);
	else if (!strcmp(op, "address"))
		candidate = address_candidate(a, req, vm, &answer);
	else
		answer = NULL;
	g_mutex_unlock(&a->lock);
	/* push and pull talk to another agent, which may talk back to this
	 * one: not under the lock */
	if (!answer && !strcmp(op, "push"))
		answer = op_push(a, req, vm);
	else if (!answer && !strcmp(op, "pull"))
		answer = op_pull(a, req, vm);
	/* the manager's only (a ticket allows import or export, refused
	 * above); not under the lock either: policy.c serialises them, and
	 * their waits (probe, fdb) must not delay a transfer */
	else if (!answer && is_policy_op(op))
		answer = op_policy(a, req, op, vm);
	else if (candidate)
		answer = op_address(a, req, vm, candidate);
	if (!answer)
		answer = answer_error("unknown op '%s'", op);
	return answer;
}
