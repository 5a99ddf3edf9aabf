// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - mig-agent's key table (the one place a key is defined),
 * parsing, defaults and the example file.
 */
#include "config.h"

#include <string.h>

#include "keytable.h"

#define GROUP "agent"
#define F(field) offsetof(struct agent_config, field)
#define KEY(name, type, field, def, min, max, doc) \
	{ name, type, F(field), def, min, max, doc, NULL, NULL }

static const struct kt_key keys[] = {
	KEY("name", KT_STR, name, "", 0, 0,
	    "The name of the device this agent serves, as in mig-manager's topology file ([device NAME]); its key derives from it. Required."),
	KEY("listen", KT_ADDR, listen, "0.0.0.0:" G_STRINGIFY(AGENT_DEFAULT_PORT), 0, 0,
	    "TCP address of the agent's channel (TLS 1.3 with a pre-shared key) for the manager and other agents."),
	KEY("key-file", KT_PATH, key_file, AGENT_CONFIG_DEFAULT_KEY_FILE, 0, 0,
	    "The agent key: 32 raw bytes (migctl key --device NAME --out FILE on the manager's host). Required."),
	KEY("nft-table", KT_STR, table, "mig", 0, 0,
	    "nftables table (family inet) that holds the VMs' state on this host."),
	KEY("bindings-set", KT_STR, bindings_set, "bindings", 0, 0,
	    "Its set of DHCP-snooping bindings, type ether_addr . ipv4_addr, flags timeout (the IP source guard rule matches it)."),
	KEY("counters-chain", KT_STR, counters_chain, "vmcount", 0, 0,
	    "Its chain of per-VM counter rules; the agent adds and removes the rules in it."),
	KEY("policy-table", KT_STR, policy_table, "mig_policy", 0, 0,
	    "nftables table (family bridge) of the VMs' ACLs: the agent creates it, its chain forward, and per VM a chain vm_VM and the rule that jumps to it."),
	KEY("snoop", KT_STR, snoop, "", 0, 0,
	    "Interface on which DHCP replies are snooped into the bindings set (the VMs' bridge); empty = off."),
	KEY("snoop-trust", KT_STR, snoop_trust, "host", 0, 0,
	    "Whose DHCP replies are believed: host (only those this host sends, from its own DHCP server; a guest cannot forge a binding) or any (also those received on the interface, for a DHCP server elsewhere)."),
	KEY("announce-command", KT_STR, announce_cmd, "", 0, 0,
	    "Command run (sh -c) after a VM's state was imported here, with MIG_VM, MIG_IPS and MIG_MACS set; empty = none."),
	KEY("withdraw-command", KT_STR, withdraw_cmd, "", 0, 0,
	    "Command run after a VM's state was deleted here (it left); empty = none."),
	KEY("timeout-ms", KT_UINT, timeout_ms, "5000", 100, 600000,
	    "Bound of every exchange with the manager or another agent."),
	KEY("max-entries", KT_UINT, max_entries, "100000", 1, 10000000,
	    "Most conntrack entries of one VM exported or imported at once (more are skipped on export, refused on import, and counted)."),
	KEY("max-rules", KT_UINT, max_rules, "10000", 1, 1000000,
	    "Most ACL rules of one VM's policy; a policy-apply with more is refused."),
	KEY("max-connections", KT_UINT, max_connections, "16", 1, 1024,
	    "Most connections handled at once; more are closed at once."),
};

void agent_config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	kt_defaults(keys, G_N_ELEMENTS(keys), c);
}

static bool load(struct agent_config *c, GKeyFile *kf, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; *g; g++) {
		if (strcmp(*g, GROUP)) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
				    "unknown group [%s] (expected [agent])", *g);
			return false;
		}
	}
	if (!kt_load(keys, G_N_ELEMENTS(keys), kf, GROUP, c, error))
		return false;
	if (strcmp(c->snoop_trust, "host") && strcmp(c->snoop_trust, "any")) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "key 'snoop-trust': host or any");
		return false;
	}
	if (!c->policy_table ||
	    !g_regex_match_simple("^[A-Za-z_][A-Za-z0-9_]{0,63}$", c->policy_table, 0, 0)) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "key 'policy-table': required, a letter or '_' then up to 63 letters, "
			    "digits or '_'");
		return false;
	}
	if (!c->name || strlen(c->name) > 64 || strpbrk(c->name, " \t:/\"\\")) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "key 'name': required, at most 64 characters, no blanks, ':' or '/'");
		return false;
	}
	return kt_read_key_file(c->key_file, TLSPSK_KEY_LEN, TLSPSK_KEY_LEN, c->key,
				&c->key_len, "this agent's key from the manager", error);
}

bool agent_config_load_data(struct agent_config *c, const char *text, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	agent_config_defaults(c);
	return g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, error) &&
	       load(c, kf, error);
}

bool agent_config_load(struct agent_config *c, const char *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	agent_config_defaults(c);
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error) ||
	    !load(c, kf, error)) {
		g_prefix_error(error, "%s: ", path);
		return false;
	}
	return true;
}

char *agent_config_example(void)
{
	GString *o = g_string_new(
		"# SPDX-License-Identifier: GPL-2.0-or-later\n"
		"#\n"
		"# mig-agent.conf - example configuration of the per-host agent, written\n"
		"# by `mig-agent --print-config` from the table of keys in\n"
		"# agent/config.c.  Every key is shown with its default (commented out);\n"
		"# name= and key-file= are required.  See mig-agent.conf(5).\n\n[agent]\n");

	kt_example(o, keys, G_N_ELEMENTS(keys), "name", "host-a");
	return g_string_free(o, FALSE);
}

const char *const *agent_config_key_names(void)
{
	static const char *names[G_N_ELEMENTS(keys) + 1];

	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		names[i] = keys[i].name;
	return names;
}

const char *agent_config_key_default(const char *name)
{
	const struct kt_key *k = kt_find(keys, G_N_ELEMENTS(keys), name);

	return k ? k->def : NULL;
}

void agent_config_clear(struct agent_config *c)
{
	kt_free_strings(keys, G_N_ELEMENTS(keys), c);
	memset(c->key, 0, sizeof(c->key));
}
