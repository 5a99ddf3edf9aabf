// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * policy.c - a VM's network policy on this host (see policy.h): nftables
 * through libnftables (JSON in and out, one transaction per change), tc,
 * ip and bridge run with an argv and LC_ALL=C, the segment's probe
 * (probe.c).
 */
#include "policy.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <string.h>

#include <gio/gio.h>
#include <nftables/libnftables.h>

#include "probe.h"

#define VM_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define BASE_CHAIN "forward"
#define JUMP_COMMENT "mig-vm "
#define SEG_PREFIX "mvx"
#define COMMENT_MAX 128

/* The policy requests change the kernel one at a time (they do not hold
 * the agent's lock, which the network-state transfers need while a VM
 * stops: ops.c). */
static GMutex policy_lock;

G_DEFINE_QUARK(mig-agent-policy-error-quark, policy_error)

const char *policy_error_code(const GError *error)
{
	static const char *const codes[] = {
		[POLICY_ERR_INVALID] = "invalid",
		[POLICY_ERR_CONFLICT] = "conflict",
		[POLICY_ERR_BANDWIDTH] = "bandwidth",
		[POLICY_ERR_PROBE] = "probe",
		[POLICY_ERR_SYSTEM] = "system",
	};

	if (error->domain != POLICY_ERROR || error->code < 0 ||
	    (size_t)error->code >= G_N_ELEMENTS(codes))
		return "system";
	return codes[error->code];
}

/* --- pure helpers ----------------------------------------------------------------- */

bool policy_vm_valid(const char *vm, GError **error)
{
	size_t n = vm ? strlen(vm) : 0;

	if (n && n <= POLICY_VM_MAX && !vm[strspn(vm, VM_CHARS)])
		return true;
	g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
		    "VM name '%s' is not valid: 1 to %d characters of A-Z, a-z, 0-9, '_', '.', '-'",
		    vm ? vm : "", POLICY_VM_MAX);
	return false;
}

bool policy_mac_valid(const char *mac)
{
	if (!mac || strlen(mac) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit(mac[i]))
			return false;
	return true;
}

unsigned int policy_class_minor(const char *vm)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)vm; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return POLICY_MINOR_BASE + h % POLICY_MINOR_SPAN;
}

bool policy_rate_bits(const char *rate, uint64_t *bits)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 }, { "tbit", 1e12 },
		{ "kibit", 1024.0 }, { "mibit", 1048576.0 }, { "gibit", 1073741824.0 },
		{ "tibit", 1099511627776.0 },
	};
	g_autofree char *num = NULL;
	const char *p = rate;
	double v;

	if (!rate || strlen(rate) > 32)
		return false;
	while (g_ascii_isdigit(*p))
		p++;
	if (p == rate)
		return false;
	if (*p == '.') {
		const char *f = ++p;

		while (g_ascii_isdigit(*p))
			p++;
		if (p == f)
			return false;
	}
	num = g_strndup(rate, (gsize)(p - rate));
	v = g_ascii_strtod(num, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (g_ascii_strcasecmp(p, units[i].unit))
			continue;
		v *= units[i].mult;
		if (v < 8 || v > 1e14)
			return false;
		if (bits)
			*bits = (uint64_t)(v + 0.5);
		return true;
	}
	return false;
}

bool policy_rate_valid(const char *rate)
{
	return policy_rate_bits(rate, NULL);
}

/* The words of @line, without empty ones (g_strfreev()). */
static char **words(const char *line)
{
	char **w = g_strsplit_set(line, " \t\r\n", -1);
	size_t k = 0;

	for (size_t i = 0; w[i]; i++) {
		if (*w[i])
			w[k++] = w[i];
		else
			g_free(w[i]);
	}
	w[k] = NULL;
	return w;
}

bool policy_parse_class(const char *line, unsigned int *minor, char **rate, char **ceil)
{
	g_auto(GStrv) w = words(line);
	const char *r = NULL, *c = NULL;
	char *end = NULL;
	guint64 m;

	if (g_strv_length(w) < 3 || strcmp(w[0], "class") || strcmp(w[1], "htb") ||
	    !g_str_has_prefix(w[2], "1:") || !g_ascii_isxdigit(w[2][2]))
		return false;
	m = g_ascii_strtoull(w[2] + 2, &end, 16);
	if (*end || m > 0xffff)
		return false;
	for (size_t i = 3; w[i] && w[i + 1]; i++) {
		if (!strcmp(w[i], "rate"))
			r = w[i + 1];
		else if (!strcmp(w[i], "ceil"))
			c = w[i + 1];
	}
	if (!r || !c)
		return false;
	*minor = (unsigned int)m;
	if (rate)
		*rate = g_strdup(r);
	if (ceil)
		*ceil = g_strdup(c);
	return true;
}

bool policy_parse_qdisc_rate(const char *text, uint64_t *bits)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);

	for (char **l = lines; *l; l++) {
		g_auto(GStrv) w = words(*l);
		bool root = false;

		if (!w[0] || strcmp(w[0], "qdisc"))
			continue;
		for (size_t i = 1; w[i]; i++)
			root = root || !strcmp(w[i], "root");
		if (!root)
			continue;
		for (size_t i = 1; w[i] && w[i + 1]; i++)
			if (!strcmp(w[i], "rate"))
				return policy_rate_bits(w[i + 1], bits);
	}
	return false;
}

void policy_alias_clear(struct policy_alias *a)
{
	g_clear_pointer(&a->vms, g_strfreev);
	g_clear_pointer(&a->probe, g_free);
}

bool policy_alias_parse(const char *alias, struct policy_alias *a)
{
	g_auto(GStrv) w = words(alias ? alias : "");
	GPtrArray *vms = g_ptr_array_new();
	bool ok = w[0] && !strcmp(w[0], "mig");

	a->probe = NULL;
	for (size_t i = 1; ok && w[i]; i++) {
		if (g_str_has_prefix(w[i], "vms=")) {
			g_auto(GStrv) v = g_strsplit(w[i] + 4, ",", -1);

			for (char **n = v; *n; n++) {
				if (!**n)
					continue;
				if (!policy_vm_valid(*n, NULL))
					ok = false;
				else
					g_ptr_array_add(vms, g_strdup(*n));
			}
		} else if (g_str_has_prefix(w[i], "probe=") && w[i][6]) {
			g_free(a->probe);
			a->probe = g_strdup(w[i] + 6);
		}
	}
	g_ptr_array_add(vms, NULL);
	a->vms = (char **)g_ptr_array_free(vms, FALSE);
	return ok;
}

char *policy_alias_format(const char *const *vms, const char *probe)
{
	g_autofree char *list = g_strjoinv(",", (char **)vms);

	return probe ? g_strdup_printf("mig vms=%s probe=%s", list, probe) :
		       g_strdup_printf("mig vms=%s", list);
}

bool policy_acl_valid(JsonNode *acl, unsigned int max, GError **error)
{
	JsonArray *a;

	if (!acl || JSON_NODE_HOLDS_NULL(acl))
		return true;
	if (!JSON_NODE_HOLDS_ARRAY(acl)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID, "acl is not an array");
		return false;
	}
	a = json_node_get_array(acl);
	if (json_array_get_length(a) > max) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "acl has %u rules, more than max-rules (%u)", json_array_get_length(a),
			    max);
		return false;
	}
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);
		JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
		JsonNode *e = o && json_object_has_member(o, "expr") ?
			json_object_get_member(o, "expr") : NULL;
		JsonNode *cm = o && json_object_has_member(o, "comment") ?
			json_object_get_member(o, "comment") : NULL;

		if (!e || !JSON_NODE_HOLDS_ARRAY(e) ||
		    !json_array_get_length(json_node_get_array(e))) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
				    "acl rule %u is not an object with a non-empty \"expr\" array",
				    i);
			return false;
		}
		for (unsigned int k = 0; k < json_array_get_length(json_node_get_array(e)); k++) {
			JsonNode *x = json_array_get_element(json_node_get_array(e), k);
			JsonObject *xo = JSON_NODE_HOLDS_OBJECT(x) ? json_node_get_object(x) : NULL;

			/* the VM's rules only: no way into another chain */
			if (xo && (json_object_has_member(xo, "jump") ||
				   json_object_has_member(xo, "goto"))) {
				g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
					    "acl rule %u jumps to another chain (only the VM's own "
					    "rules move)", i);
				return false;
			}
		}
		if (cm && !JSON_NODE_HOLDS_NULL(cm) &&
		    (json_node_get_value_type(cm) != G_TYPE_STRING ||
		     strlen(json_node_get_string(cm)) > COMMENT_MAX)) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
				    "acl rule %u: \"comment\" is not a string of at most %d "
				    "characters", i, COMMENT_MAX);
			return false;
		}
	}
	return true;
}

/* {"family": "bridge", "table": @table} */
static JsonObject *nft_obj(const char *table)
{
	JsonObject *o = json_object_new();

	json_object_set_string_member(o, "family", "bridge");
	json_object_set_string_member(o, "table", table);
	return o;
}

/* Append {@verb: {@kind: @o}} (@o taken) to @cmds. */
static void nft_cmd(JsonArray *cmds, const char *verb, const char *kind, JsonObject *o)
{
	JsonObject *inner = json_object_new(), *cmd = json_object_new();

	json_object_set_object_member(inner, kind, o);
	json_object_set_object_member(cmd, verb, inner);
	json_array_add_object_element(cmds, cmd);
}

static JsonNode *nft_doc(JsonArray *cmds)
{
	JsonObject *root = json_object_new();
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);

	json_object_set_array_member(root, "nftables", cmds);
	json_node_take_object(n, root);
	return n;
}

JsonNode *policy_nft_apply_doc(const char *table, const char *vm, JsonArray *acl, bool jump)
{
	g_autofree char *chain = g_strconcat("vm_", vm, NULL);
	JsonArray *cmds = json_array_new();
	JsonObject *o;

	o = json_object_new();
	json_object_set_string_member(o, "family", "bridge");
	json_object_set_string_member(o, "name", table);
	nft_cmd(cmds, "add", "table", o);
	o = nft_obj(table);
	json_object_set_string_member(o, "name", BASE_CHAIN);
	json_object_set_string_member(o, "type", "filter");
	json_object_set_string_member(o, "hook", "forward");
	json_object_set_int_member(o, "prio", 0);
	json_object_set_string_member(o, "policy", "accept");
	nft_cmd(cmds, "add", "chain", o);
	o = nft_obj(table);
	json_object_set_string_member(o, "name", chain);
	nft_cmd(cmds, "add", "chain", o);
	for (unsigned int i = 0; acl && i < json_array_get_length(acl); i++) {
		JsonObject *rule = json_array_get_object_element(acl, i);
		const char *cm = json_object_get_string_member_with_default(rule, "comment", NULL);

		o = nft_obj(table);
		json_object_set_string_member(o, "chain", chain);
		if (cm)
			json_object_set_string_member(o, "comment", cm);
		json_object_set_member(o, "expr",
				       json_node_copy(json_object_get_member(rule, "expr")));
		nft_cmd(cmds, "add", "rule", o);
	}
	if (jump) {
		g_autofree char *comment = g_strconcat(JUMP_COMMENT, vm, NULL);
		JsonObject *target = json_object_new(), *j = json_object_new();
		JsonArray *expr = json_array_new();

		json_object_set_string_member(target, "target", chain);
		json_object_set_object_member(j, "jump", target);
		json_array_add_object_element(expr, j);
		o = nft_obj(table);
		json_object_set_string_member(o, "chain", BASE_CHAIN);
		json_object_set_string_member(o, "comment", comment);
		json_object_set_array_member(o, "expr", expr);
		nft_cmd(cmds, "add", "rule", o);
	}
	return nft_doc(cmds);
}

/* --- commands ------------------------------------------------------------------- */

/* Run @argv (ip, tc, bridge; found in PATH) with LC_ALL=C; its output in
 * *@out if @out.  The error names the command and has its stderr. */
static bool run_argv(const char *const *argv, char **out, GError **error)
{
	g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "LC_ALL", "C", TRUE);
	g_autofree char *o = NULL, *e = NULL;
	g_autoptr(GError) err = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e,
			  &status, &err) ||
	    !g_spawn_check_wait_status(status, &err)) {
		g_autofree char *cmd = g_strjoinv(" ", (char **)argv);

		if (e)
			g_strdelimit(g_strstrip(e), "\n", ' ');
		g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM, "'%s' failed: %s", cmd,
			    e && *e ? e : err->message);
		return false;
	}
	if (out)
		*out = g_steal_pointer(&o);
	return true;
}

/* The NULL-terminated argument vector @arg0, @ap... (the strings are borrowed). */
static GPtrArray *argv_of(const char *arg0, va_list ap)
{
	GPtrArray *argv = g_ptr_array_new();

	for (const char *a = arg0; a; a = va_arg(ap, const char *))
		g_ptr_array_add(argv, (gpointer)a);
	g_ptr_array_add(argv, NULL);
	return argv;
}

static bool run(char **out, GError **error, const char *arg0, ...) G_GNUC_NULL_TERMINATED;

static bool run(char **out, GError **error, const char *arg0, ...)
{
	g_autoptr(GPtrArray) argv = NULL;
	va_list ap;

	va_start(ap, arg0);
	argv = argv_of(arg0, ap);
	va_end(ap);
	return run_argv((const char *const *)argv->pdata, out, error);
}

/* The JSON array that @argv prints (ip -j, bridge -j, tc -j). */
static JsonArray *run_json(JsonParser *p, GError **error, const char *arg0, ...)
	G_GNUC_NULL_TERMINATED;

static JsonArray *run_json(JsonParser *p, GError **error, const char *arg0, ...)
{
	g_autoptr(GPtrArray) argv = NULL;
	g_autofree char *out = NULL;
	va_list ap;

	va_start(ap, arg0);
	argv = argv_of(arg0, ap);
	va_end(ap);
	if (!run_argv((const char *const *)argv->pdata, &out, error))
		return NULL;
	if (!*g_strstrip(out))
		return json_array_new();
	if (!json_parser_load_from_data(p, out, -1, NULL) ||
	    !JSON_NODE_HOLDS_ARRAY(json_parser_get_root(p))) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM, "%s printed no JSON array",
			    arg0);
		return NULL;
	}
	return json_array_ref(json_node_get_array(json_parser_get_root(p)));
}

static bool dev_exists(const char *dev)
{
	return dev && if_nametoindex(dev) != 0;
}

static bool ifname_valid(const char *n)
{
	return n && strcmp(n, ".") && strcmp(n, "..") &&
	       g_regex_match_simple("^[A-Za-z0-9_.+@-]{1,15}$", n, 0, 0);
}

static bool mac_listed(const char *const *macs, const char *mac)
{
	for (const char *const *m = macs; mac && m && *m; m++)
		if (!g_ascii_strcasecmp(*m, mac))
			return true;
	return false;
}

static bool strv_has(char **v, const char *s)
{
	return v && g_strv_contains((const char *const *)v, s);
}

/* --- nftables ------------------------------------------------------------------- */

/* Run a JSON document (@text): a transaction, or a listing whose output
 * goes to *@out.  *@missing (if given) is set instead of an error when
 * the table or chain does not exist. */
static bool nft_run(const char *text, char **out, bool *missing, GError **error)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	bool ok;

	if (missing)
		*missing = false;
	if (!ctx) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM, "nft_ctx_new failed");
		return false;
	}
	/* with JSON output, libnftables reads its input as JSON */
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	ok = nft_run_cmd_from_buffer(ctx, text) == 0;
	if (ok && out) {
		*out = g_strdup(nft_ctx_get_output_buffer(ctx));
	} else if (!ok) {
		g_autofree char *e = g_strdup(nft_ctx_get_error_buffer(ctx));

		g_strdelimit(g_strstrip(e), "\n", ' ');
		if (missing && strstr(e, "No such file or directory")) {
			*missing = true;
			ok = true;
		} else {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM, "nftables: %s", e);
		}
	}
	nft_ctx_free(ctx);
	return ok;
}

static bool nft_apply(JsonNode *doc, GError **error)
{
	g_autofree char *text = json_to_string(doc, FALSE);

	return nft_run(text, NULL, NULL, error);
}

/* The rules (nft JSON "rule" objects, in @p) of chain @chain of the policy
 * table; *@exists says whether the chain does. */
static GPtrArray *nft_chain_rules(const struct agent_config *c, const char *chain,
				  JsonParser *p, bool *exists, GError **error)
{
	JsonArray *cmds = json_array_new(), *a;
	JsonObject *o = nft_obj(c->policy_table);
	g_autoptr(JsonNode) doc = NULL;
	g_autofree char *text = NULL, *out = NULL;
	GPtrArray *rules;
	bool missing;

	json_object_set_string_member(o, "name", chain);
	nft_cmd(cmds, "list", "chain", o);
	doc = nft_doc(cmds);
	text = json_to_string(doc, FALSE);
	if (!nft_run(text, &out, &missing, error))
		return NULL;
	rules = g_ptr_array_new();
	*exists = !missing;
	if (missing)
		return rules;
	if (!json_parser_load_from_data(p, out, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)) ||
	    !json_object_has_member(json_node_get_object(json_parser_get_root(p)), "nftables")) {
		g_ptr_array_unref(rules);
		g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM,
			    "nftables: no JSON listing of chain %s", chain);
		return NULL;
	}
	a = json_object_get_array_member(json_node_get_object(json_parser_get_root(p)),
					 "nftables");
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonNode *n = json_array_get_element(a, i);
		JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;

		if (o && json_object_has_member(o, "rule"))
			g_ptr_array_add(rules, json_object_get_object_member(o, "rule"));
	}
	return rules;
}

/* The handles of the jump rules of @vm in the base chain (a GArray of gint64). */
static GArray *nft_jumps(const struct agent_config *c, const char *vm, GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autofree char *comment = g_strconcat(JUMP_COMMENT, vm, NULL);
	g_autoptr(GPtrArray) rules = NULL;
	GArray *h;
	bool exists;

	rules = nft_chain_rules(c, BASE_CHAIN, p, &exists, error);
	if (!rules)
		return NULL;
	h = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (unsigned int i = 0; i < rules->len; i++) {
		JsonObject *r = rules->pdata[i];
		gint64 handle = json_object_get_int_member_with_default(r, "handle", -1);

		if (handle >= 0 &&
		    !g_strcmp0(json_object_get_string_member_with_default(r, "comment", NULL),
			       comment))
			g_array_append_val(h, handle);
	}
	return h;
}

/* Delete the VM's jump rules and its chain in one transaction; *@rules
 * (if given) is set to the rules the chain had. */
static bool nft_remove(const struct agent_config *c, const char *vm, unsigned int *rules,
		       GError **error)
{
	g_autofree char *chain = g_strconcat("vm_", vm, NULL);
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GPtrArray) have = NULL;
	g_autoptr(GArray) jumps = NULL;
	g_autoptr(JsonNode) doc = NULL;
	JsonArray *cmds;
	bool exists;

	if (rules)
		*rules = 0;
	if (!(jumps = nft_jumps(c, vm, error)) ||
	    !(have = nft_chain_rules(c, chain, p, &exists, error)))
		return false;
	if (!jumps->len && !exists)
		return true;
	cmds = json_array_new();
	for (unsigned int i = 0; i < jumps->len; i++) {
		JsonObject *o = nft_obj(c->policy_table);

		json_object_set_string_member(o, "chain", BASE_CHAIN);
		json_object_set_int_member(o, "handle", g_array_index(jumps, gint64, i));
		nft_cmd(cmds, "delete", "rule", o);
	}
	if (exists) {
		JsonObject *o = nft_obj(c->policy_table);

		json_object_set_string_member(o, "name", chain);
		nft_cmd(cmds, "delete", "chain", o);
	}
	doc = nft_doc(cmds);
	if (!nft_apply(doc, error))
		return false;
	g_info("policy of %s: deleted %u jump rule(s) and chain bridge %s %s (%u rules)", vm,
	       jumps->len, c->policy_table, exists ? chain : "-", have->len);
	if (rules)
		*rules = have->len;
	return true;
}

/* --- segments ------------------------------------------------------------------- */

/**
 * struct segment - a VXLAN device as "ip -j -d link show" describes it.
 * @dev: its name.
 * @vxlan: it is a VXLAN device.
 * @vni: its VNI.
 * @remote: its remote, or NULL.
 * @local: its local address, or NULL.
 * @port: its UDP port.
 * @bridge: its master, or NULL.
 * @alias: its alias, or NULL.
 * @ours: the alias is the agent's.
 * @a: what the alias says.
 */
struct segment {
	char *dev;
	bool vxlan;
	unsigned int vni;
	char *remote;
	char *local;
	unsigned int port;
	char *bridge;
	char *alias;
	bool ours;
	struct policy_alias a;
};

static void segment_clear(struct segment *s)
{
	g_free(s->dev);
	g_free(s->remote);
	g_free(s->local);
	g_free(s->bridge);
	g_free(s->alias);
	policy_alias_clear(&s->a);
	memset(s, 0, sizeof(*s));
}

static void segment_read(JsonObject *l, struct segment *s)
{
	JsonObject *li = json_object_has_member(l, "linkinfo") ?
		json_object_get_object_member(l, "linkinfo") : NULL;
	JsonObject *d = li && json_object_has_member(li, "info_data") ?
		json_object_get_object_member(li, "info_data") : NULL;

	memset(s, 0, sizeof(*s));
	s->dev = g_strdup(json_object_get_string_member_with_default(l, "ifname", ""));
	s->bridge = g_strdup(json_object_get_string_member_with_default(l, "master", NULL));
	s->alias = g_strdup(json_object_get_string_member_with_default(l, "ifalias", NULL));
	s->vxlan = li && !g_strcmp0(json_object_get_string_member_with_default(li, "info_kind",
									       NULL), "vxlan");
	if (s->vxlan && d) {
		s->vni = (unsigned int)json_object_get_int_member_with_default(d, "id", 0);
		s->port = (unsigned int)json_object_get_int_member_with_default(d, "port", 0);
		s->remote = g_strdup(json_object_get_string_member_with_default(d, "remote", NULL));
		s->local = g_strdup(json_object_get_string_member_with_default(d, "local", NULL));
	}
	s->ours = policy_alias_parse(s->alias, &s->a);
}

/* The device @dev; *@exists false if there is none. */
static bool segment_get(const char *dev, struct segment *s, bool *exists, GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(JsonArray) a = NULL;

	memset(s, 0, sizeof(*s));
	*exists = false;
	if (!dev_exists(dev))
		return true;
	a = run_json(p, error, "ip", "-j", "-d", "link", "show", "dev", dev, NULL);
	if (!a)
		return false;
	if (json_array_get_length(a) && JSON_NODE_HOLDS_OBJECT(json_array_get_element(a, 0))) {
		segment_read(json_array_get_object_element(a, 0), s);
		*exists = true;
	}
	return true;
}

/* The segment whose alias lists @vm; *@found false if none. */
static bool segment_of(const char *vm, struct segment *s, bool *found, GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(JsonArray) a = NULL;

	memset(s, 0, sizeof(*s));
	*found = false;
	a = run_json(p, error, "ip", "-j", "-d", "link", "show", "type", "vxlan", NULL);
	if (!a)
		return false;
	for (unsigned int i = 0; i < json_array_get_length(a) && !*found; i++) {
		JsonNode *n = json_array_get_element(a, i);

		if (!JSON_NODE_HOLDS_OBJECT(n))
			continue;
		segment_read(json_node_get_object(n), s);
		if (g_str_has_prefix(s->dev, SEG_PREFIX) && s->ours && strv_has(s->a.vms, vm))
			*found = true;
		else
			segment_clear(s);
	}
	return true;
}

/* --- tc ---------------------------------------------------------------------------- */

/* The ceil of class 1:@minor on @dev in *@ceil (NULL: no such class). */
static bool class_ceil(const char *dev, unsigned int minor, char **ceil, GError **error)
{
	g_autofree char *id = g_strdup_printf("1:%x", minor), *out = NULL;
	g_auto(GStrv) lines = NULL;

	*ceil = NULL;
	if (!run(&out, error, "tc", "class", "show", "dev", dev, "classid", id, NULL))
		return false;
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l && !*ceil; l++) {
		unsigned int m;
		char *c = NULL;

		if (policy_parse_class(*l, &m, NULL, &c) && m == minor)
			*ceil = c;
		else
			g_free(c);
	}
	return true;
}

static const char *str_or(JsonObject *o, const char *name, const char *def)
{
	return json_object_get_string_member_with_default(o, name, def);
}

/* The kind and handle of @dev's root qdisc ("htb 1:"), in *@desc. */
static bool root_qdisc(const char *dev, char **desc, GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(JsonArray) a = run_json(p, error, "tc", "-j", "qdisc", "show", "dev", dev, NULL);

	*desc = NULL;
	if (!a)
		return false;
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonObject *q = json_array_get_object_element(a, i);

		if (q && json_object_get_boolean_member_with_default(q, "root", FALSE)) {
			*desc = g_strdup_printf("%s %s", str_or(q, "kind", "?"),
						str_or(q, "handle", "?"));
			return true;
		}
	}
	*desc = g_strdup("none");
	return true;
}

/* Make the root qdisc of @dev an htb of handle 1:; *@made if it was not. */
static bool ensure_htb(const char *vm, const char *dev, bool *made, GError **error)
{
	g_autofree char *root = NULL;

	*made = false;
	if (!root_qdisc(dev, &root, error))
		return false;
	if (!strcmp(root, "htb 1:"))
		return true;
	/* replace, not add: a root of noqueue needs NLM_F_REPLACE; no
	 * default class: what no filter classifies is not shaped */
	if (!run(NULL, error, "tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "htb",
		 NULL))
		return false;
	g_info("policy of %s: root qdisc of %s was %s, now htb 1:", vm, dev, root);
	*made = true;
	return true;
}

/* Class 1:@minor with rate and ceil @rate on @dev and a filter per MAC
 * (@dir "src" or "dst") to it; all or nothing. */
static bool class_add(const char *vm, const char *dev, unsigned int minor, const char *rate,
		      const char *const *macs, const char *dir, GError **error)
{
	g_autofree char *id = g_strdup_printf("1:%x", minor);
	g_autofree char *pref = g_strdup_printf("%u", minor);

	if (!run(NULL, error, "tc", "class", "add", "dev", dev, "parent", "1:", "classid", id,
		 "htb", "rate", rate, "ceil", rate, NULL))
		return false;
	for (const char *const *m = macs; *m; m++) {
		if (run(NULL, error, "tc", "filter", "add", "dev", dev, "parent", "1:", "protocol",
			"all", "pref", pref, "u32", "match", "ether", dir, *m, "flowid", id, NULL))
			continue;
		run(NULL, NULL, "tc", "filter", "del", "dev", dev, "parent", "1:", "protocol",
		    "all", "pref", pref, "u32", NULL);
		run(NULL, NULL, "tc", "class", "del", "dev", dev, "classid", id, NULL);
		return false;
	}
	g_info("policy of %s: class %s rate %s on %s, filters pref %s match ether %s", vm, id,
	       rate, dev, pref, dir);
	return true;
}

/* Delete the VM's filters and class 1:@minor on @dev; *@had if the class
 * was there. */
static bool class_del(const char *vm, const char *dev, unsigned int minor, bool *had,
		      GError **error)
{
	g_autofree char *id = g_strdup_printf("1:%x", minor);
	g_autofree char *pref = g_strdup_printf("%u", minor);
	g_autofree char *ceil = NULL;

	*had = false;
	if (!dev_exists(dev))
		return true;
	if (!class_ceil(dev, minor, &ceil, error))
		return false;
	/* no filter of this pref is not an error */
	run(NULL, NULL, "tc", "filter", "del", "dev", dev, "parent", "1:", "protocol", "all",
	    "pref", pref, "u32", NULL);
	if (!ceil)
		return true;
	if (!run(NULL, error, "tc", "class", "del", "dev", dev, "classid", id, NULL))
		return false;
	g_info("policy of %s: deleted class %s (ceil %s) and its filters on %s", vm, id, ceil, dev);
	*had = true;
	return true;
}

/* Delete the root htb 1: of @dev if no class is left in it. */
static void qdisc_drop_unused(const char *vm, const char *dev)
{
	g_autofree char *root = NULL, *out = NULL;

	if (!dev_exists(dev) || !root_qdisc(dev, &root, NULL) || strcmp(root, "htb 1:") ||
	    !run(&out, NULL, "tc", "class", "show", "dev", dev, NULL) || *g_strstrip(out))
		return;
	if (run(NULL, NULL, "tc", "qdisc", "del", "dev", dev, "root", NULL))
		g_info("policy of %s: deleted the root htb 1: of %s (no class left)", vm, dev);
}

/* --- ports ----------------------------------------------------------------------- */

/* The bridge port the fdb has one of @macs on (not a segment device),
 * on @bridge (NULL: any); NULL if none. */
static char *fdb_port(const char *bridge, const char *const *macs)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(JsonArray) a = bridge ?
		run_json(p, NULL, "bridge", "-j", "fdb", "show", "br", bridge, NULL) :
		run_json(p, NULL, "bridge", "-j", "fdb", "show", NULL);

	for (unsigned int i = 0; a && i < json_array_get_length(a); i++) {
		JsonObject *e = json_array_get_object_element(a, i);
		const char *ifname, *master;

		if (!e)
			continue;
		ifname = json_object_get_string_member_with_default(e, "ifname", NULL);
		master = json_object_get_string_member_with_default(e, "master", NULL);
		if (!ifname || !master || !strcmp(ifname, master) ||
		    g_str_has_prefix(ifname, SEG_PREFIX) ||
		    !g_strcmp0(json_object_get_string_member_with_default(e, "state", ""),
			       "permanent") ||
		    !mac_listed(macs, json_object_get_string_member_with_default(e, "mac", NULL)))
			continue;
		return g_strdup(ifname);
	}
	return NULL;
}

/* The bridge ports (of @bridge, NULL: any; not segment devices) whose
 * egress has class 1:@minor. */
static GPtrArray *ports_with_class(const char *bridge, unsigned int minor)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(JsonArray) a = run_json(p, NULL, "ip", "-j", "link", "show", NULL);
	GPtrArray *found = g_ptr_array_new_with_free_func(g_free);

	for (unsigned int i = 0; a && i < json_array_get_length(a); i++) {
		JsonObject *l = json_array_get_object_element(a, i);
		const char *ifname, *master;
		g_autofree char *ceil = NULL;

		if (!l)
			continue;
		ifname = json_object_get_string_member_with_default(l, "ifname", NULL);
		master = json_object_get_string_member_with_default(l, "master", NULL);
		if (!ifname || !master || (bridge && strcmp(master, bridge)) ||
		    g_str_has_prefix(ifname, SEG_PREFIX))
			continue;
		if (class_ceil(ifname, minor, &ceil, NULL) && ceil)
			g_ptr_array_add(found, g_strdup(ifname));
	}
	return found;
}

/* The port of the VM's "in" class: the fdb's port of its MACs if it has
 * the class, else the first port that has it; NULL if none. */
static char *in_port(const char *bridge, const char *const *macs, unsigned int minor)
{
	g_autofree char *port = fdb_port(bridge, macs);
	g_autofree char *ceil = NULL;
	g_autoptr(GPtrArray) all = NULL;

	if (port && class_ceil(port, minor, &ceil, NULL) && ceil)
		return g_steal_pointer(&port);
	all = ports_with_class(bridge, minor);
	return all->len ? g_strdup(all->pdata[0]) : NULL;
}

/* --- the request ------------------------------------------------------------------- */

static JsonNode *member(JsonObject *o, const char *name)
{
	return o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
}

static bool is_null(JsonNode *n)
{
	return !n || JSON_NODE_HOLDS_NULL(n);
}

/* String member @name of @o (@what names @o); NULL if absent or null. */
static bool get_str(JsonObject *o, const char *what, const char *name, bool required,
		    const char **out, GError **error)
{
	JsonNode *n = member(o, name);

	*out = NULL;
	if (is_null(n)) {
		if (!required)
			return true;
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID, "%s needs \"%s\"", what, name);
		return false;
	}
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID, "%s: \"%s\" is not a string",
			    what, name);
		return false;
	}
	*out = json_node_get_string(n);
	return true;
}

/* Integer member @name of @o in [@min, @max]; @def if absent (@def < 0:
 * required). */
static bool get_int(JsonObject *o, const char *what, const char *name, gint64 min, gint64 max,
		    gint64 def, gint64 *out, GError **error)
{
	JsonNode *n = member(o, name);

	*out = def;
	if (is_null(n) && def >= 0)
		return true;
	if (is_null(n) || !JSON_NODE_HOLDS_VALUE(n) ||
	    json_node_get_value_type(n) != G_TYPE_INT64 || json_node_get_int(n) < min ||
	    json_node_get_int(n) > max) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "%s: \"%s\" must be an integer %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
			    what, name, min, max);
		return false;
	}
	*out = json_node_get_int(n);
	return true;
}

/* Object member @name of @o; NULL if absent or null. */
static bool get_obj(JsonObject *o, const char *what, const char *name, JsonObject **out,
		    GError **error)
{
	JsonNode *n = member(o, name);

	*out = NULL;
	if (is_null(n))
		return true;
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID, "%s: \"%s\" is not an object",
			    what, name);
		return false;
	}
	*out = json_node_get_object(n);
	return true;
}

static bool addr_valid(const char *ip, bool v4_only)
{
	g_autoptr(GInetAddress) a = ip ? g_inet_address_new_from_string(ip) : NULL;

	return a && (!v4_only || g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4);
}

/* The request's VM, MACs (@need_macs: at least one) and port. */
static bool req_valid(const struct policy_req *r, bool need_macs, GError **error)
{
	if (!policy_vm_valid(r->vm, error))
		return false;
	for (const char *const *m = r->macs; m && *m; m++) {
		if (!policy_mac_valid(*m)) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
				    "MAC '%s' is not valid (six hex pairs separated by ':')", *m);
			return false;
		}
	}
	if (need_macs && (!r->macs || !*r->macs)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "needs \"macs\": at least one MAC of the VM");
		return false;
	}
	if (r->port && !ifname_valid(r->port)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "port '%s' is not a valid interface name", r->port);
		return false;
	}
	return true;
}

/**
 * struct pol - a policy to apply, checked.
 * @acl: its rules, or NULL.
 * @rules: how many.
 * @rate_in: the "in" rate, or NULL.
 * @rate_out: the "out" rate, or NULL.
 * @seg: it has a segment (the members below).
 * @vni: the segment's VNI.
 * @remote: its remote.
 * @local: its local address, or NULL.
 * @port: its UDP port.
 * @bridge: its bridge.
 * @probe: its probe address, or NULL.
 * @dev: its device (mvxVNI), or NULL.
 */
struct pol {
	JsonArray *acl;
	unsigned int rules;
	const char *rate_in;
	const char *rate_out;
	bool seg;
	unsigned int vni;
	const char *remote;
	const char *local;
	unsigned int port;
	const char *bridge;
	const char *probe;
	char *dev;
};

static bool rates_parse(JsonObject *p, struct pol *o, GError **error)
{
	JsonObject *rate;

	if (!get_obj(p, "policy", "rate", &rate, error) ||
	    !get_str(rate, "policy.rate", "in", false, &o->rate_in, error) ||
	    !get_str(rate, "policy.rate", "out", false, &o->rate_out, error))
		return false;
	for (int i = 0; i < 2; i++) {
		const char *rt = i ? o->rate_out : o->rate_in;

		if (!rt || policy_rate_valid(rt))
			continue;
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "rate %s '%s' is not valid: a number and a unit bit, kbit, mbit, gbit "
			    "or tbit (e.g. 2Mbit), at least 8bit", i ? "out" : "in", rt);
		return false;
	}
	return true;
}

static bool pol_parse(const struct agent_config *c, const char *vm, JsonObject *p,
		      struct pol *o, GError **error)
{
	JsonObject *seg;
	const char *pvm;
	gint64 v;

	memset(o, 0, sizeof(*o));
	if (!p) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "needs \"policy\" (an object)");
		return false;
	}
	if (!get_str(p, "policy", "vm", false, &pvm, error))
		return false;
	if (pvm && strcmp(pvm, vm)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "the policy is the one of VM '%s'", pvm);
		return false;
	}
	if (!policy_acl_valid(member(p, "acl"), c->max_rules, error))
		return false;
	if (!is_null(member(p, "acl"))) {
		o->acl = json_object_get_array_member(p, "acl");
		o->rules = json_array_get_length(o->acl);
	}
	if (!rates_parse(p, o, error) || !get_obj(p, "policy", "segment", &seg, error))
		return false;
	if (!seg) {
		if (o->rate_out) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
				    "rate out needs a segment (it shapes the segment's device)");
			return false;
		}
		return true;
	}
	o->seg = true;
	if (!get_int(seg, "policy.segment", "vni", 1, POLICY_VNI_MAX, -1, &v, error))
		return false;
	o->vni = (unsigned int)v;
	if (!get_int(seg, "policy.segment", "port", 1, 65535, POLICY_VXLAN_PORT, &v, error))
		return false;
	o->port = (unsigned int)v;
	if (!get_str(seg, "policy.segment", "remote", true, &o->remote, error) ||
	    !get_str(seg, "policy.segment", "local", false, &o->local, error) ||
	    !get_str(seg, "policy.segment", "bridge", true, &o->bridge, error) ||
	    !get_str(seg, "policy.segment", "probe", false, &o->probe, error))
		return false;
	if (!addr_valid(o->remote, false) || (o->local && !addr_valid(o->local, false))) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "segment: '%s' is not an IP address",
			    addr_valid(o->remote, false) ? o->local : o->remote);
		return false;
	}
	if (o->probe && !addr_valid(o->probe, true)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "segment: probe '%s' is not an IPv4 address", o->probe);
		return false;
	}
	if (!ifname_valid(o->bridge)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "segment: bridge '%s' is not a valid interface name", o->bridge);
		return false;
	}
	o->dev = g_strdup_printf(SEG_PREFIX "%u", o->vni);
	return true;
}

/* --- undo ------------------------------------------------------------------------- */

enum undo_kind { UNDO_NFT, UNDO_LINK, UNDO_ALIAS, UNDO_QDISC, UNDO_CLASS };

struct undo {
	enum undo_kind kind;
	char *dev;
	char *arg; /* UNDO_ALIAS: the old alias */
};

static void undo_clear(gpointer p)
{
	struct undo *u = p;

	g_free(u->dev);
	g_free(u->arg);
}

static void undo_push(GArray *u, enum undo_kind kind, const char *dev, const char *arg)
{
	struct undo x = { kind, g_strdup(dev), g_strdup(arg) };

	g_array_append_val(u, x);
}

/* Undo what @u lists, last first; each step logged. */
static void undo_run(const struct agent_config *c, const char *op, const char *vm, GArray *u)
{
	unsigned int minor = policy_class_minor(vm);

	for (guint i = u->len; i-- > 0;) {
		struct undo *x = &g_array_index(u, struct undo, i);
		g_autoptr(GError) err = NULL;
		bool ok = true, had;

		switch (x->kind) {
		case UNDO_NFT:
			g_warning("%s of %s: undo: delete its chain and jump rule", op, vm);
			ok = nft_remove(c, vm, NULL, &err);
			break;
		case UNDO_LINK:
			g_warning("%s of %s: undo: delete %s", op, vm, x->dev);
			ok = run(NULL, &err, "ip", "link", "del", "dev", x->dev, NULL);
			break;
		case UNDO_ALIAS:
			g_warning("%s of %s: undo: alias of %s back to '%s'", op, vm, x->dev,
				  x->arg);
			ok = run(NULL, &err, "ip", "link", "set", "dev", x->dev, "alias", x->arg,
				 NULL);
			break;
		case UNDO_QDISC:
			g_warning("%s of %s: undo: delete the root qdisc of %s", op, vm, x->dev);
			ok = !dev_exists(x->dev) ||
			     run(NULL, &err, "tc", "qdisc", "del", "dev", x->dev, "root", NULL);
			break;
		case UNDO_CLASS:
			g_warning("%s of %s: undo: delete class 1:%x on %s", op, vm, minor,
				  x->dev);
			ok = class_del(vm, x->dev, minor, &had, &err);
			break;
		}
		if (!ok)
			g_warning("%s of %s: undo failed: %s", op, vm, err->message);
	}
	g_array_set_size(u, 0);
}

/* --- the operations ------------------------------------------------------------------- */

static JsonObject *rule_export(JsonObject *r)
{
	JsonObject *o = json_object_new();
	const char *cm = json_object_get_string_member_with_default(r, "comment", NULL);

	json_object_set_member(o, "expr", json_node_copy(json_object_get_member(r, "expr")));
	if (cm)
		json_object_set_string_member(o, "comment", cm);
	return o;
}

static void set_str_or_null(JsonObject *o, const char *name, const char *s)
{
	if (s)
		json_object_set_string_member(o, name, s);
	else
		json_object_set_null_member(o, name);
}

static JsonObject *do_export(const struct agent_config *c, const struct policy_req *r,
			     GError **error)
{
	g_autofree char *chain = NULL, *ceil_in = NULL, *ceil_out = NULL, *port = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GPtrArray) rules = NULL;
	struct segment s;
	unsigned int minor;
	JsonObject *pol, *rate, *stats, *out;
	JsonArray *acl;
	bool exists, found;

	if (!req_valid(r, false, error))
		return NULL;
	minor = policy_class_minor(r->vm);
	chain = g_strconcat("vm_", r->vm, NULL);
	if (!(rules = nft_chain_rules(c, chain, p, &exists, error)) ||
	    !segment_of(r->vm, &s, &found, error))
		return NULL;
	if (found && !class_ceil(s.dev, minor, &ceil_out, error)) {
		segment_clear(&s);
		return NULL;
	}
	if (r->port && dev_exists(r->port)) {
		port = g_strdup(r->port);
		class_ceil(port, minor, &ceil_in, NULL);
	} else if (r->port) {
		g_info("policy-export of %s: port %s does not exist here: no rate in", r->vm,
		       r->port);
	} else if ((port = in_port(found ? s.bridge : NULL, r->macs, minor))) {
		class_ceil(port, minor, &ceil_in, NULL);
	}
	acl = json_array_new();
	for (unsigned int i = 0; i < rules->len; i++)
		if (json_object_has_member(rules->pdata[i], "expr"))
			json_array_add_object_element(acl, rule_export(rules->pdata[i]));
	pol = json_object_new();
	json_object_set_string_member(pol, "vm", r->vm);
	json_object_set_array_member(pol, "acl", acl);
	rate = json_object_new();
	set_str_or_null(rate, "in", ceil_in);
	set_str_or_null(rate, "out", ceil_out);
	json_object_set_object_member(pol, "rate", rate);
	if (found) {
		JsonObject *seg = json_object_new();

		json_object_set_int_member(seg, "vni", s.vni);
		set_str_or_null(seg, "remote", s.remote);
		json_object_set_int_member(seg, "port", s.port);
		set_str_or_null(seg, "bridge", s.bridge);
		set_str_or_null(seg, "probe", s.a.probe);
		json_object_set_object_member(pol, "segment", seg);
	} else {
		json_object_set_null_member(pol, "segment");
	}
	g_info("policy-export of %s: %u rules, rate in %s (%s), out %s, segment %s", r->vm,
	       json_array_get_length(acl), ceil_in ? ceil_in : "none", port ? port : "no port",
	       ceil_out ? ceil_out : "none", found ? s.dev : "none");
	segment_clear(&s);
	stats = json_object_new();
	json_object_set_int_member(stats, "rules", json_array_get_length(acl));
	out = json_object_new();
	json_object_set_object_member(out, "policy", pol);
	json_object_set_object_member(out, "stats", stats);
	return out;
}

/* What apply decided before changing anything. */
struct plan {
	bool jump;           /* the base chain has no jump for the VM yet */
	bool seg_exists;     /* join the segment's device */
	char *old_alias;     /* its alias before */
	char *new_alias;     /* its alias after */
	char *probe;         /* the address probed, or NULL */
	gint64 capacity;     /* bytes/s, -1 unknown or not checked */
};

static bool conflicts(const struct agent_config *c, const struct policy_req *r,
		      const struct pol *o, struct plan *pl, GError **error)
{
	unsigned int minor = policy_class_minor(r->vm);
	g_autofree char *chain = g_strconcat("vm_", r->vm, NULL), *ceil = NULL;
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(GPtrArray) rules = NULL;
	g_autoptr(GArray) jumps = NULL;
	struct segment s;
	bool exists, found;

	if (!(rules = nft_chain_rules(c, chain, p, &exists, error)))
		return false;
	if (rules->len) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_CONFLICT,
			    "chain bridge %s %s exists here with %u rule%s", c->policy_table,
			    chain, rules->len, rules->len == 1 ? "" : "s");
		return false;
	}
	if (!(jumps = nft_jumps(c, r->vm, error)))
		return false;
	pl->jump = !jumps->len;
	if (!segment_of(r->vm, &s, &found, error))
		return false;
	if (found) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_CONFLICT,
			    "the VM is already in segment %s (VNI %u) here", s.dev, s.vni);
		segment_clear(&s);
		return false;
	}
	if (o->seg) {
		g_autoptr(GPtrArray) vms = g_ptr_array_new();
		g_autoptr(GInetAddress) want = g_inet_address_new_from_string(o->remote);
		g_autoptr(GInetAddress) have = NULL;

		if (!segment_get(o->dev, &s, &pl->seg_exists, error))
			return false;
		if (pl->seg_exists) {
			have = s.remote ? g_inet_address_new_from_string(s.remote) : NULL;
			if (!s.vxlan || s.vni != o->vni || !s.ours) {
				g_set_error(error, POLICY_ERROR, POLICY_ERR_CONFLICT,
					    "%s exists here and is not the agent's VXLAN device "
					    "of VNI %u (alias '%s')", o->dev, o->vni,
					    s.alias ? s.alias : "");
				segment_clear(&s);
				return false;
			}
			if (!have || !g_inet_address_equal(have, want) || s.port != o->port ||
			    g_strcmp0(s.bridge, o->bridge)) {
				g_set_error(error, POLICY_ERROR, POLICY_ERR_CONFLICT,
					    "%s exists here with remote %s port %u bridge %s, not "
					    "remote %s port %u bridge %s", o->dev,
					    s.remote ? s.remote : "none", s.port,
					    s.bridge ? s.bridge : "none", o->remote, o->port,
					    o->bridge);
				segment_clear(&s);
				return false;
			}
			for (char **v = s.a.vms; *v; v++)
				g_ptr_array_add(vms, *v);
			pl->old_alias = g_strdup(s.alias);
		} else {
			g_autofree char *sys = NULL;

			sys = g_strdup_printf("/sys/class/net/%s/bridge", o->bridge);
			if (!g_file_test(sys, G_FILE_TEST_IS_DIR)) {
				g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM,
					    "bridge %s does not exist here", o->bridge);
				return false;
			}
		}
		g_ptr_array_add(vms, (gpointer)r->vm);
		g_ptr_array_add(vms, NULL);
		/* a device joined keeps its probe address unless the policy names one */
		pl->probe = g_strdup(o->probe ? o->probe : s.a.probe);
		pl->new_alias = policy_alias_format((const char *const *)vms->pdata, pl->probe);
		if (strlen(pl->new_alias) > POLICY_ALIAS_MAX) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_CONFLICT,
				    "%s has too many VMs: its alias would be longer than %d "
				    "characters", o->dev, POLICY_ALIAS_MAX);
			segment_clear(&s);
			return false;
		}
		segment_clear(&s);
		if (o->rate_out && pl->seg_exists) {
			if (!class_ceil(o->dev, minor, &ceil, error))
				return false;
			if (ceil) {
				g_set_error(error, POLICY_ERROR, POLICY_ERR_CONFLICT,
					    "class 1:%x exists on %s (ceil %s): another VM's name "
					    "hashes to the same minor", minor, o->dev, ceil);
				return false;
			}
		}
	}
	if (o->rate_in && r->port) {
		if (!dev_exists(r->port)) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM,
				    "port %s does not exist here", r->port);
			return false;
		}
		g_clear_pointer(&ceil, g_free);
		if (!class_ceil(r->port, minor, &ceil, error))
			return false;
		if (ceil) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_CONFLICT,
				    "class 1:%x exists on %s (ceil %s)", minor, r->port, ceil);
			return false;
		}
	}
	return true;
}

/* The highest ceil of the top-level classes of @dev's htb, in bit/s. */
static uint64_t htb_top_rate(const char *dev)
{
	g_autofree char *out = NULL;
	g_auto(GStrv) lines = NULL;
	uint64_t best = 0;

	if (!run(&out, NULL, "tc", "class", "show", "dev", dev, NULL))
		return 0;
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_autofree char *ceil = NULL;
		unsigned int m;
		uint64_t b;

		if (strstr(*l, " root ") && policy_parse_class(*l, &m, NULL, &ceil) &&
		    policy_rate_bits(ceil, &b) && b > best)
			best = b;
	}
	return best;
}

/* (c): the capacity of the channel to the check's peer. */
static bool check_bandwidth(const char *vm, JsonObject *check, gint64 *capacity,
			    GError **error)
{
	g_autoptr(JsonParser) p = json_parser_new();
	g_autoptr(JsonArray) routes = NULL;
	g_autofree char *qd = NULL, *speed = NULL, *sys = NULL, *root = NULL;
	const char *peer, *dev = NULL;
	gint64 min;
	uint64_t bits = 0;
	const char *how = "none";

	*capacity = -1;
	if (!check)
		return true;
	if (!get_str(check, "check", "peer", true, &peer, error) ||
	    !get_int(check, "check", "min-bandwidth", 0, G_MAXINT64, -1, &min, error))
		return false;
	if (!addr_valid(peer, false)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "check: peer '%s' is not an IP address", peer);
		return false;
	}
	if (!(routes = run_json(p, error, "ip", "-j", "route", "get", peer, NULL)))
		return false;
	if (json_array_get_length(routes) && json_array_get_object_element(routes, 0))
		dev = json_object_get_string_member_with_default(
			json_array_get_object_element(routes, 0), "dev", NULL);
	if (!dev || !ifname_valid(dev)) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM, "no route to the peer %s",
			    peer);
		return false;
	}
	if (run(&qd, NULL, "tc", "qdisc", "show", "dev", dev, NULL) &&
	    policy_parse_qdisc_rate(qd, &bits)) {
		how = "root qdisc";
	} else if (root_qdisc(dev, &root, NULL) && g_str_has_prefix(root, "htb ") &&
		   (bits = htb_top_rate(dev))) {
		how = "htb classes";
	} else {
		gint64 mbit;

		sys = g_strdup_printf("/sys/class/net/%s/speed", dev);
		if (g_file_get_contents(sys, &speed, NULL, NULL) &&
		    (mbit = g_ascii_strtoll(g_strstrip(speed), NULL, 10)) > 0) {
			bits = (uint64_t)mbit * 1000000;
			how = "link speed";
		}
	}
	if (!bits) {
		g_info("policy-apply of %s: capacity of %s (to %s) unknown: check passes", vm, dev,
		       peer);
		return true;
	}
	*capacity = (gint64)(bits / 8);
	g_info("policy-apply of %s: channel to %s via %s: %.1f Mbit/s (%s), %.1f Mbit/s needed",
	       vm, peer, dev, bits / 1e6, how, min * 8 / 1e6);
	if (*capacity < min) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_BANDWIDTH,
			    "channel to %s via %s: capacity %.1f Mbit/s (%s) is below the %.1f "
			    "Mbit/s required", peer, dev, bits / 1e6, how, min * 8 / 1e6);
		return false;
	}
	return true;
}

/* (e): create the segment's device or join it. */
static bool segment_join(const char *vm, const struct pol *o, const struct plan *pl,
			 GArray *undo, GError **error)
{
	g_autofree char *vni = g_strdup_printf("%u", o->vni);
	g_autofree char *port = g_strdup_printf("%u", o->port);

	if (pl->seg_exists) {
		if (!run(NULL, error, "ip", "link", "set", "dev", o->dev, "alias", pl->new_alias,
			 NULL))
			return false;
		undo_push(undo, UNDO_ALIAS, o->dev, pl->old_alias);
		g_info("policy-apply of %s: joined %s (alias '%s')", vm, o->dev, pl->new_alias);
		return true;
	}
	if (o->local ? !run(NULL, error, "ip", "link", "add", o->dev, "type", "vxlan", "id", vni,
			    "remote", o->remote, "local", o->local, "dstport", port, NULL) :
		       !run(NULL, error, "ip", "link", "add", o->dev, "type", "vxlan", "id", vni,
			    "remote", o->remote, "dstport", port, NULL))
		return false;
	undo_push(undo, UNDO_LINK, o->dev, NULL);
	if (!run(NULL, error, "ip", "link", "set", "dev", o->dev, "master", o->bridge, "up",
		 NULL) ||
	    !run(NULL, error, "ip", "link", "set", "dev", o->dev, "alias", pl->new_alias,
		 NULL))
		return false;
	g_info("policy-apply of %s: created %s (VNI %u, remote %s, port %u) on %s, alias '%s'",
	       vm, o->dev, o->vni, o->remote, o->port, o->bridge, pl->new_alias);
	return true;
}

/* (g) and policy_commit(): the class of one direction on @dev. */
static bool rate_add(const char *vm, const char *dev, const char *rate,
		     const char *const *macs, const char *dir, GArray *undo, GError **error)
{
	unsigned int minor = policy_class_minor(vm);
	bool made;

	if (!ensure_htb(vm, dev, &made, error))
		return false;
	if (made)
		undo_push(undo, UNDO_QDISC, dev, NULL);
	if (!class_add(vm, dev, minor, rate, macs, dir, error))
		return false;
	undo_push(undo, UNDO_CLASS, dev, NULL);
	return true;
}

static void plan_clear(struct plan *pl)
{
	g_free(pl->old_alias);
	g_free(pl->new_alias);
	g_free(pl->probe);
}

static JsonObject *do_apply(const struct agent_config *c, const struct policy_req *r,
			    GError **error)
{
	g_autoptr(GArray) undo = g_array_new(FALSE, TRUE, sizeof(struct undo));
	struct plan pl = { .capacity = -1 };
	struct pol o;
	double rtt = -1;
	const char *channel = "none";
	JsonObject *ap, *out;

	g_array_set_clear_func(undo, undo_clear);
	/* (a) everything checked before anything changes */
	if (!req_valid(r, true, error) || !pol_parse(c, r->vm, r->policy, &o, error))
		return NULL;
	/* (b) what is in the way, (c) the channel */
	if (!conflicts(c, r, &o, &pl, error) || !check_bandwidth(r->vm, r->check, &pl.capacity,
								 error))
		goto fail;
	g_info("policy-apply of %s: %u rules, rate in %s, out %s, segment %s (%s)", r->vm,
	       o.rules, o.rate_in ? o.rate_in : "none", o.rate_out ? o.rate_out : "none",
	       o.seg ? o.dev : "none", o.seg ? (pl.seg_exists ? "join" : "create") : "-");
	/* (d) the rules: one transaction */
	if (o.rules) {
		g_autoptr(JsonNode) doc = policy_nft_apply_doc(c->policy_table, r->vm, o.acl,
							       pl.jump);

		if (!nft_apply(doc, error))
			goto fail;
		undo_push(undo, UNDO_NFT, NULL, NULL);
		g_info("policy-apply of %s: chain bridge %s vm_%s with %u rules%s", r->vm,
		       c->policy_table, r->vm, o.rules, pl.jump ? " and its jump rule" : "");
	}
	/* (e) the segment, (f) its probe */
	if (o.seg) {
		if (!segment_join(r->vm, &o, &pl, undo, error))
			goto fail;
		channel = pl.seg_exists ? "joined" : "created";
		if (pl.probe) {
			g_autoptr(GError) perr = NULL;

			if (!probe_channel(o.dev, o.vni, o.remote, pl.probe, &rtt, &perr)) {
				g_set_error_literal(error, POLICY_ERROR, POLICY_ERR_PROBE,
						    perr->message);
				goto fail;
			}
			g_info("policy-apply of %s: %s answers over %s in %.3f ms", r->vm, pl.probe,
			       o.dev, rtt);
		}
	}
	/* (g) the rates: "in" only on a port named, else at policy-commit */
	if (o.rate_out && !rate_add(r->vm, o.dev, o.rate_out, r->macs, "src", undo, error))
		goto fail;
	if (o.rate_in && r->port &&
	    !rate_add(r->vm, r->port, o.rate_in, r->macs, "dst", undo, error))
		goto fail;
	if (o.rate_in && !r->port)
		g_info("policy-apply of %s: rate in %s deferred to policy-commit (no port)", r->vm,
		       o.rate_in);
	ap = json_object_new();
	json_object_set_int_member(ap, "rules", o.rules);
	json_object_set_string_member(ap, "channel", channel);
	if (rtt >= 0) /* whole ms, as the manager reads it */
		json_object_set_int_member(ap, "probe-ms", (gint64)(rtt + 0.5));
	else
		json_object_set_null_member(ap, "probe-ms");
	if (pl.capacity >= 0)
		json_object_set_int_member(ap, "capacity", pl.capacity);
	else
		json_object_set_null_member(ap, "capacity");
	json_object_set_string_member(ap, "rate-in",
				      !o.rate_in ? "none" : r->port ? "applied" : "deferred");
	json_object_set_string_member(ap, "rate-out", o.rate_out ? "applied" : "none");
	out = json_object_new();
	json_object_set_object_member(out, "applied", ap);
	g_free(o.dev);
	plan_clear(&pl);
	return out;

fail:
	g_warning("policy-apply of %s failed: %s%s", r->vm,
		  error && *error ? (*error)->message : "?", undo->len ? "; undoing" : "");
	undo_run(c, "policy-apply", r->vm, undo);
	g_free(o.dev);
	plan_clear(&pl);
	return NULL;
}

JsonObject *policy_commit(const struct agent_config *c, const struct policy_req *r,
			  GError **error)
{
	g_autoptr(GArray) undo = g_array_new(FALSE, TRUE, sizeof(struct undo));
	g_autofree char *port = NULL, *ceil = NULL, *bridge = NULL;
	unsigned int minor;
	struct pol o = { 0 };
	JsonObject *seg = NULL, *out;
	const char *b = NULL;

	g_array_set_clear_func(undo, undo_clear);
	if (!req_valid(r, true, error))
		return NULL;
	if (!r->policy) {
		g_set_error(error, POLICY_ERROR, POLICY_ERR_INVALID,
			    "needs \"policy\" (an object)");
		return NULL;
	}
	if (!rates_parse(r->policy, &o, error) ||
	    !get_obj(r->policy, "policy", "segment", &seg, error) ||
	    (seg && !get_str(seg, "policy.segment", "bridge", false, &b, error)))
		return NULL;
	out = json_object_new();
	if (!o.rate_in) {
		g_info("policy-commit of %s: no rate in: nothing to do", r->vm);
		json_object_set_string_member(out, "rate-in", "none");
		return out;
	}
	minor = policy_class_minor(r->vm);
	if (b && ifname_valid(b)) {
		bridge = g_strdup(b);
	} else {
		struct segment s;
		bool found;

		if (segment_of(r->vm, &s, &found, NULL) && found)
			bridge = g_strdup(s.bridge);
		segment_clear(&s);
	}
	if (r->port) {
		port = g_strdup(r->port);
		if (!dev_exists(port)) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM,
				    "port %s does not exist here", port);
			json_object_unref(out);
			return NULL;
		}
	} else {
		for (int waited = 0; !(port = fdb_port(bridge, r->macs)) &&
				     waited < POLICY_FDB_WAIT_MS; waited += POLICY_FDB_STEP_MS)
			g_usleep(POLICY_FDB_STEP_MS * 1000);
		if (!port) {
			g_set_error(error, POLICY_ERROR, POLICY_ERR_SYSTEM,
				    "no port of %s: the fdb of %s has no entry for its MAC%s %s "
				    "after %d ms", r->vm, bridge ? bridge : "any bridge",
				    r->macs[1] ? "s" : "", r->macs[0], POLICY_FDB_WAIT_MS);
			json_object_unref(out);
			return NULL;
		}
		g_info("policy-commit of %s: its port is %s (fdb)", r->vm, port);
	}
	/* the wait above without the lock: it only reads */
	g_mutex_lock(&policy_lock);
	if (!class_ceil(port, minor, &ceil, error)) {
		g_mutex_unlock(&policy_lock);
		json_object_unref(out);
		return NULL;
	}
	if (ceil) {
		g_info("policy-commit of %s: class 1:%x on %s is there already (ceil %s)", r->vm,
		       minor, port, ceil);
	} else if (!rate_add(r->vm, port, o.rate_in, r->macs, "dst", undo, error)) {
		g_warning("policy-commit of %s failed: %s; undoing", r->vm,
			  error && *error ? (*error)->message : "?");
		undo_run(c, "policy-commit", r->vm, undo);
		g_mutex_unlock(&policy_lock);
		json_object_unref(out);
		return NULL;
	}
	g_mutex_unlock(&policy_lock);
	json_object_set_string_member(out, "rate-in", "applied");
	return out;
}

static JsonObject *do_remove(const struct agent_config *c, const struct policy_req *r,
			     GError **error)
{
	g_autoptr(GPtrArray) ports = g_ptr_array_new_with_free_func(g_free);
	unsigned int minor, rules = 0, classes = 0;
	const char *channel = "none";
	struct segment s;
	bool found, had;
	JsonObject *rm, *out;

	if (!req_valid(r, false, error))
		return NULL;
	minor = policy_class_minor(r->vm);
	if (!nft_remove(c, r->vm, &rules, error) || !segment_of(r->vm, &s, &found, error))
		return NULL;
	if (found) {
		g_autoptr(GPtrArray) left = g_ptr_array_new();

		if (!class_del(r->vm, s.dev, minor, &had, error))
			goto fail;
		classes += had;
		for (char **v = s.a.vms; *v; v++)
			if (strcmp(*v, r->vm))
				g_ptr_array_add(left, *v);
		if (!left->len) {
			if (!run(NULL, error, "ip", "link", "del", "dev", s.dev, NULL))
				goto fail;
			channel = "deleted";
			g_info("policy-remove of %s: deleted %s (no VM left on it)", r->vm, s.dev);
		} else {
			g_autofree char *alias = NULL;

			g_ptr_array_add(left, NULL);
			alias = policy_alias_format((const char *const *)left->pdata, s.a.probe);
			if (!run(NULL, error, "ip", "link", "set", "dev", s.dev, "alias", alias,
				 NULL))
				goto fail;
			qdisc_drop_unused(r->vm, s.dev);
			channel = "left";
			g_info("policy-remove of %s: left %s (alias '%s')", r->vm, s.dev, alias);
		}
	}
	if (r->port) {
		g_ptr_array_add(ports, g_strdup(r->port));
	} else {
		g_autofree char *fdb = fdb_port(found ? s.bridge : NULL, r->macs);
		g_autofree char *ceil = NULL;

		if (fdb && class_ceil(fdb, minor, &ceil, NULL) && ceil) {
			g_ptr_array_add(ports, g_steal_pointer(&fdb));
		} else {
			g_ptr_array_unref(ports);
			ports = ports_with_class(found ? s.bridge : NULL, minor);
		}
	}
	for (unsigned int i = 0; i < ports->len; i++) {
		if (!class_del(r->vm, ports->pdata[i], minor, &had, error))
			goto fail;
		classes += had;
		if (had)
			qdisc_drop_unused(r->vm, ports->pdata[i]);
	}
	segment_clear(&s);
	g_info("policy-remove of %s: %u rules, channel %s, %u classes", r->vm, rules, channel,
	       classes);
	rm = json_object_new();
	json_object_set_int_member(rm, "rules", rules);
	json_object_set_string_member(rm, "channel", channel);
	json_object_set_int_member(rm, "classes", classes);
	out = json_object_new();
	json_object_set_object_member(out, "removed", rm);
	return out;

fail:
	segment_clear(&s);
	return NULL;
}

typedef JsonObject *(*policy_op)(const struct agent_config *c, const struct policy_req *r,
				 GError **error);

/* @fn under the lock: one change of the kernel's state at a time. */
static JsonObject *locked(policy_op fn, const struct agent_config *c,
			  const struct policy_req *r, GError **error)
{
	JsonObject *o;

	g_mutex_lock(&policy_lock);
	o = fn(c, r, error);
	g_mutex_unlock(&policy_lock);
	return o;
}

JsonObject *policy_export(const struct agent_config *c, const struct policy_req *r,
			  GError **error)
{
	return locked(do_export, c, r, error);
}

JsonObject *policy_apply(const struct agent_config *c, const struct policy_req *r,
			 GError **error)
{
	return locked(do_apply, c, r, error);
}

JsonObject *policy_remove(const struct agent_config *c, const struct policy_req *r,
			  GError **error)
{
	return locked(do_remove, c, r, error);
}
