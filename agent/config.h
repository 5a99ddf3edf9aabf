/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - mig-agent's configuration (mig-agent.conf(5)): a GLib key
 * file with the group [agent], its keys defined once in config.c.
 */
#ifndef MIG_AGENT_CONFIG_H
#define MIG_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "addr.h"
#include "tlspsk.h"

#define AGENT_CONFIG_DEFAULT_PATH "/etc/mig-agent/mig-agent.conf"
#define AGENT_CONFIG_DEFAULT_KEY_FILE "/etc/mig-agent/host.key"
#define AGENT_DEFAULT_PORT 7795

/**
 * struct agent_config - the agent's settings.
 * @name: the name of the device it serves in the manager's topology (its
 *        key derives from it).
 * @listen: TCP address of the agent's channel.
 * @key_file: the agent key file.
 * @key: its 32 bytes.
 * @table: nftables table (family inet) of the VMs' state.
 * @bindings_set: its set of DHCP-snooping bindings (ether_addr . ipv4_addr).
 * @counters_chain: its chain of the per-VM counter rules (the agent owns
 *                  the rules in it).
 * @policy_table: nftables table (family bridge) of the VMs' ACLs (policy.h).
 * @snoop: interface on which DHCP replies are snooped; NULL = off.
 * @snoop_trust: "host" (only replies this host sends) or "any".
 * @announce_cmd: command run after an import, NULL = none.
 * @withdraw_cmd: command run after a delete, NULL = none.
 * @timeout_ms: bound of every exchange with the manager or an agent.
 * @max_entries: most conntrack entries of one VM moved at once.
 * @max_rules: most ACL rules of one VM's policy.
 * @max_connections: most connections handled at once.
 */
struct agent_config {
	char *name;
	struct mig_addr listen;
	char *key_file;
	uint8_t key[TLSPSK_KEY_LEN];
	size_t key_len;
	char *table;
	char *bindings_set;
	char *counters_chain;
	char *policy_table;
	char *snoop;
	char *snoop_trust;
	char *announce_cmd;
	char *withdraw_cmd;
	unsigned int timeout_ms;
	unsigned int max_entries;
	unsigned int max_rules;
	unsigned int max_connections;
};

/**
 * agent_config_defaults() - the documented defaults.
 * @c: filled in.
 */
void agent_config_defaults(struct agent_config *c);

/**
 * agent_config_load() - read a configuration file (defaults first).
 * @c: filled in.
 * @path: the file.
 * @error: set on failure, naming the key and what is wrong.
 *
 * Return: true on success.
 */
bool agent_config_load(struct agent_config *c, const char *path, GError **error);

/**
 * agent_config_load_data() - the same from text.
 * @c: filled in.
 * @text: the file's contents.
 * @error: set on failure.
 *
 * Return: true on success.
 */
bool agent_config_load_data(struct agent_config *c, const char *text, GError **error);

/**
 * agent_config_example() - the example file: every key with its
 * default and documentation (mig-agent --print-config).
 *
 * Return: the text (g_free()).
 */
char *agent_config_example(void);

/**
 * agent_config_key_names() - the keys' names, NULL-terminated (tests).
 *
 * Return: a static array.
 */
const char *const *agent_config_key_names(void);

/**
 * agent_config_key_default() - a key's default.
 * @name: the key.
 *
 * Return: the default, or NULL for no such key.
 */
const char *agent_config_key_default(const char *name);

/**
 * agent_config_clear() - free what @c holds.
 * @c: the config.
 */
void agent_config_clear(struct agent_config *c);

#endif /* MIG_AGENT_CONFIG_H */
