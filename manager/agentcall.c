// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agentcall.c - one request to a mig-agent (see agentcall.h).
 */
#include "agentcall.h"

#include <string.h>

#include "keys.h"
#include "tlspsk.h"

G_DEFINE_QUARK(mig-agent-call-error-quark, agent_call_error)

JsonObject *agent_call(const struct mgr *m, const struct topo_device *d,
		       unsigned int timeout_ms, JsonObject *req, JsonParser *p,
		       uint64_t *rx, char *code, size_t code_len, GError **error)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autofree char *text = NULL, *line = NULL;
	g_autoptr(GError) err = NULL;
	uint8_t key[HANDOFF_KEY_LEN];
	struct tls_chan *c;
	uint64_t tx, r;
	JsonObject *o;

	if (code && code_len)
		*code = '\0';
	if (!mig_agent_key(m->cfg->key, m->cfg->key_len, d->name, key)) {
		g_set_error(error, AGENT_CALL_ERROR, AGENT_CALL_UNREACHABLE,
			    "agent of %s: no key", d->name);
		return NULL;
	}
	c = tls_chan_connect(&d->agent, "manager", key, (int)timeout_ms, &err);
	memset(key, 0, sizeof(key));
	if (!c) {
		g_set_error(error, AGENT_CALL_ERROR, AGENT_CALL_UNREACHABLE,
			    "agent of %s: %s", d->name, err->message);
		return NULL;
	}
	json_node_set_object(node, req);
	text = json_to_string(node, FALSE);
	if (tls_chan_send(c, text, &err) && (line = tls_chan_recv(c, &err)) &&
	    json_parser_load_from_data(p, line, -1, &err)) {
		tls_chan_bytes(c, &tx, &r);
		if (rx)
			*rx += r;
	}
	tls_chan_close(c);
	if (!line || err || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_set_error(error, AGENT_CALL_ERROR, AGENT_CALL_UNREACHABLE,
			    "agent of %s: %s", d->name,
			    err ? err->message : "not a JSON object");
		return NULL;
	}
	o = json_node_get_object(json_parser_get_root(p));
	if (!json_object_get_boolean_member_with_default(o, "ok", FALSE)) {
		if (code && code_len)
			g_strlcpy(code, json_object_get_string_member_with_default(o, "code", ""),
				  code_len);
		g_set_error(error, AGENT_CALL_ERROR, AGENT_CALL_REFUSED, "agent of %s: %s",
			    d->name, json_object_get_string_member_with_default(o, "error", "?"));
		return NULL;
	}
	return o;
}
