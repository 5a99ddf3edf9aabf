/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - configuration of mig-manager (GKeyFile, group [manager] and
 * [peers]).  The keys are defined once, in config.c's table; the example
 * file manager/mig-manager.conf is that table printed, and
 * docs/man/mig-manager.conf.5 documents every key (check_config holds
 * both to the table).
 */
#ifndef MIG_CONFIG_H
#define MIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "addr.h"
#include "wire.h"

#define CONFIG_DEFAULT_PATH "/etc/mig-manager/mig-manager.conf"
#define CONFIG_DEFAULT_KEY_FILE "/etc/mig-manager/handoff.key"
#define CONFIG_MAX_PEERS 64
#define CONFIG_KEY_MAX 1024
#define CONFIG_PEER_NAME_MAX 64
/* Seconds of inactivity after which a local-socket or /metrics connection
 * is closed (GSocket timeout). */
#define CONFIG_IDLE_TIMEOUT_S 30

/**
 * struct mgr_peer - a redirect peer ([peers] NAME=HOST:PORT).
 * @name: its name, which its key derives from (mig_peer_key()).
 * @addr: the exact address and port its frames come from.
 * @key: its key.
 */
struct mgr_peer {
	char name[CONFIG_PEER_NAME_MAX + 1];
	struct mig_addr addr;
	uint8_t key[HANDOFF_KEY_LEN];
};

/**
 * enum release_policy - when buffered frames go to the destination.
 * @POLICY_ACTIVATED: on the ACTIVATED notice (default).
 * @POLICY_HOLD: hold-ms after SUSPENDING (not before), to the destination
 *               once it is known.
 * @POLICY_IMMEDIATE: at once whenever the destination is known, retrying
 *                    sends that fail.
 */
enum release_policy {
	POLICY_ACTIVATED,
	POLICY_HOLD,
	POLICY_IMMEDIATE,
};

/**
 * struct mgr_config - everything the daemon reads from its config file.
 * @control: control (protocol) socket address, default port
 *           HANDOFF_DEFAULT_CONTROL_PORT.
 * @data: data (Geneve) socket address, default port
 *        HANDOFF_DEFAULT_DATA_PORT.
 * @key_file: path of the master key file.
 * @key: the master key's bytes (VM and peer keys derive from it).
 * @key_len: number of bytes in @key (MIG_MASTER_KEY_MIN..CONFIG_KEY_MAX).
 * @state_file: where registrations are kept across restarts, or NULL.
 * @socket_path: local control socket for migctl.
 * @stats: HTTP address of /metrics; unset (len 0) when stats= is empty.
 * @policy: default release policy.
 * @hold_ms: hold time of POLICY_HOLD.
 * @linger_ms: how long after activation late frames are still forwarded.
 * @drain_quiet_ms: without END, DRAINED waits until no frame came for
 *                  this long.
 * @end_wait_ms: how long after ACTIVATED (or END) the manager waits for
 *               END (or the frames END counts) before it falls back.
 * @early_activated_ms: how long an ACTIVATED that came before its
 *                      SUSPENDING is kept.
 * @expire_ms: how long a suspended VM waits for ACTIVATED.
 * @max_packets: per-VM queue cap, frames.
 * @max_bytes: per-VM queue cap, frame bytes.
 * @max_age_ms: per-VM cap on a buffered frame's age.
 * @memory_cap: global cap on the memory all queues hold, bytes.
 * @pace_pps: release rate per VM, frames per second (0 = unpaced).
 * @tolerance_s: replay protection: accepted clock difference.
 * @window_s: replay protection: how long message ids are remembered.
 * @rcvbuf: SO_RCVBUF of the data socket, bytes.
 * @max_vms: most VM entries in the table.
 * @forget_after_s: unregistered VMs done, expired or aborted for this
 *                  long leave the table.
 * @max_connections: most simultaneous admin (and /metrics) connections.
 * @topology_file: hosts, devices and agents (docs/netstate.md), or NULL.
 * @netstate_wait_ms: see mig-manager.conf(5).
 * @address_wait_ms: see mig-manager.conf(5).
 * @netstate_timeout_ms: see mig-manager.conf(5).
 * @provision_timeout_ms: bound of one provisioning exchange with an agent.
 * @inventory: the services' SQLite table (docs/services.md), or NULL.
 * @dns_server: primary DNS server of the updates; len 0 = none.
 * @dns_zone: zone of the services' names, or NULL.
 * @dns_key_file: TSIG key file, or NULL (unsigned updates).
 * @dns_ttl: TTL of the records written, seconds.
 * @dns_timeout_ms: bound of one update try.
 * @dns_retry_max_ms: longest wait between retries.
 * @dns_give_up_s: an update not done after this long is given up.
 * @peers: redirect peers whose authenticated frames are accepted.
 * @n_peers: entries in @peers.
 */
struct mgr_config {
	struct mig_addr control;
	struct mig_addr data;
	char *key_file;
	uint8_t key[CONFIG_KEY_MAX];
	size_t key_len;
	char *state_file;
	char *socket_path;
	struct mig_addr stats;
	enum release_policy policy;
	unsigned int hold_ms;
	unsigned int linger_ms;
	unsigned int drain_quiet_ms;
	unsigned int end_wait_ms;
	unsigned int early_activated_ms;
	unsigned int expire_ms;
	unsigned int max_packets;
	uint64_t max_bytes;
	unsigned int max_age_ms;
	uint64_t memory_cap;
	unsigned int pace_pps;
	unsigned int tolerance_s;
	unsigned int window_s;
	unsigned int rcvbuf;
	unsigned int max_vms;
	unsigned int forget_after_s;
	unsigned int max_connections;
	char *topology_file;
	unsigned int netstate_wait_ms;
	unsigned int address_wait_ms;
	unsigned int netstate_timeout_ms;
	unsigned int provision_timeout_ms;
	char *inventory;
	struct mig_addr dns_server;
	char *dns_zone;
	char *dns_key_file;
	unsigned int dns_ttl;
	unsigned int dns_timeout_ms;
	unsigned int dns_retry_max_ms;
	unsigned int dns_give_up_s;
	struct mgr_peer peers[CONFIG_MAX_PEERS];
	unsigned int n_peers;
};

/**
 * config_defaults() - fill @cfg with the documented defaults.
 * @cfg: config; previous contents are overwritten (not freed).
 *
 * The key is left empty: a config without key-file= is refused.
 */
void config_defaults(struct mgr_config *cfg);

/**
 * config_load() - read a config file over the defaults.
 * @cfg: config, initialised with config_defaults().
 * @path: file name.
 * @error: set on failure, naming the file, key and problem.
 *
 * Reads the key file named by key-file= as raw bytes.  Unknown keys are
 * errors (a typo should not silently keep a default).
 *
 * Return: true on success.
 */
bool config_load(struct mgr_config *cfg, const char *path, GError **error);

/**
 * config_load_data() - like config_load(), from a string.
 * @cfg: config, initialised with config_defaults().
 * @text: config file contents.
 * @error: set on failure.
 *
 * Return: true on success.
 */
bool config_load_data(struct mgr_config *cfg, const char *text,
		      GError **error);

/**
 * config_example() - the example configuration file: every key of the
 * table with its default (commented out) and its description.
 *
 * Return: the text; g_free() it.
 */
char *config_example(void);

/**
 * config_key_names() - the names of all [manager] keys, in table order.
 *
 * Return: a static NULL-terminated array.
 */
const char *const *config_key_names(void);

/**
 * config_key_default() - the default of a [manager] key, as written in
 * the file.
 * @name: key name.
 *
 * Return: a static string ("" for no default), or NULL for an unknown key.
 */
const char *config_key_default(const char *name);

/**
 * config_clear() - free what config_load() allocated.
 * @cfg: config.
 */
void config_clear(struct mgr_config *cfg);

/**
 * policy_name() - name of a release policy.
 * @p: policy.
 *
 * Return: "activated", "hold" or "immediate".
 */
const char *policy_name(enum release_policy p);

/**
 * policy_parse() - release policy from its name.
 * @name: "activated", "hold" or "immediate".
 * @out: set on success.
 *
 * Return: true if @name is known.
 */
bool policy_parse(const char *name, enum release_policy *out);

#endif /* MIG_CONFIG_H */
