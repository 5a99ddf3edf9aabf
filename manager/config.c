// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - mig-manager's GKeyFile configuration: the table of its keys
 * (the one place a key is defined), parsing, defaults and the example
 * file.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "keys.h"
#include "keytable.h"
#include "wire.h"

#define GROUP "manager"
#define PEERS "peers"

static bool parse_policy(const char *text, void *p)
{
	return policy_parse(text, p);
}

/*
 * The keys of [manager]: the single definition of each key's name, type,
 * default and documentation (lib/keytable.h).  Parsing, config_defaults(),
 * config_example() (the shipped example file) and the unit test that
 * holds mig-manager.conf(5) to the table all come from it.
 */
#define F(field) offsetof(struct mgr_config, field)

static const struct kt_key config_keys[] = {
	{ "control", KT_ADDR, F(control),
	  "0.0.0.0:" G_STRINGIFY(HANDOFF_DEFAULT_CONTROL_PORT), 0, 0,
	  "Control messages (docs/protocol.md §2): UDP, numeric HOST:PORT or [V6]:PORT.", NULL, NULL },
	{ "data", KT_ADDR, F(data),
	  "0.0.0.0:" G_STRINGIFY(HANDOFF_DEFAULT_DATA_PORT), 0, 0,
	  "Geneve data frames (docs/protocol.md §1); release and return use it too.", NULL, NULL },
	{ "key-file", KT_PATH, F(key_file), "", 0, 0,
	  "The master key: the raw bytes of this file (16 to 1024; 32 random bytes recommended). Every VM's key derives from it (migctl key VM); no QEMU has it. Required.", NULL, NULL },
	{ "state-file", KT_PATH_OFF, F(state_file), "/var/lib/mig-manager/registrations.json", 0, 0,
	  "Registrations (migctl register) are kept here across restarts, written atomically. Empty = not kept.", NULL, NULL },
	{ "socket", KT_PATH, F(socket_path), "/run/mig-manager/control.sock", 0, 0,
	  "Local control socket of migctl (unix stream, mode 0600).", NULL, NULL },
	{ "stats", KT_ADDR_OFF, F(stats), "127.0.0.1:9790", 0, 0,
	  "Prometheus metrics over HTTP: GET /metrics. Empty = off.", NULL, NULL },
	{ "release-policy", KT_CUSTOM, F(policy), "activated", 0, 0,
	  "Default release policy: activated (on ACTIVATED), hold (hold-ms after SUSPENDING, not before), immediate (the same as activated in protocol version 2).",
	  parse_policy, "activated, hold or immediate" },
	{ "hold-ms", KT_UINT, F(hold_ms), "1000", 0, 3600000,
	  "Hold time of the hold policy.", NULL, NULL },
	{ "linger-ms", KT_UINT, F(linger_ms), "5000", 0, 3600000,
	  "After ACTIVATED (or ABORTED), late frames are still forwarded for this long.", NULL, NULL },
	{ "drain-quiet-ms", KT_UINT, F(drain_quiet_ms), "50", 0, 10000,
	  "Fallback when the source sends no END: DRAINED waits until no frame came from it for this long.", NULL, NULL },
	{ "end-wait-ms", KT_UINT, F(end_wait_ms), "500", 0, 60000,
	  "How long the manager waits for the source's END after ACTIVATED, or for the frames END counts, before it sends DRAINED anyway (counted).", NULL, NULL },
	{ "early-activated-ms", KT_UINT, F(early_activated_ms), "5000", 0, 60000,
	  "An ACTIVATED that comes before its SUSPENDING is kept this long and honoured when the SUSPENDING comes.", NULL, NULL },
	{ "expire-ms", KT_UINT, F(expire_ms), "30000", 1, 3600000,
	  "A suspended VM whose ACTIVATED does not come within this time expires.", NULL, NULL },
	{ "max-packets", KT_UINT, F(max_packets), "65536", 0, 1u << 30,
	  "Per-VM queue cap, frames.", NULL, NULL },
	{ "max-bytes", KT_SIZE, F(max_bytes), "64M", 0, UINT64_C(1) << 40,
	  "Per-VM queue cap, frame bytes.", NULL, NULL },
	{ "max-age-ms", KT_UINT, F(max_age_ms), "30000", 0, 3600000,
	  "Per-VM cap on the age of the oldest frame (0 = no age cap).", NULL, NULL },
	{ "memory-cap", KT_SIZE, F(memory_cap), "256M", 0, UINT64_C(1) << 40,
	  "Memory all queues together may hold.", NULL, NULL },
	{ "pace-pps", KT_UINT, F(pace_pps), "50000", 0, 100000000,
	  "Release rate per VM, frames/s (0 = unpaced).", NULL, NULL },
	{ "tolerance-s", KT_UINT, F(tolerance_s), "30", 1, 86400,
	  "Replay protection: accepted clock difference.", NULL, NULL },
	{ "window-s", KT_UINT, F(window_s), "60", 1, 2 * 86400,
	  "Replay protection: memory of message ids (at least twice tolerance-s).", NULL, NULL },
	{ "rcvbuf", KT_UINT, F(rcvbuf), "4M", 0, 1u << 30,
	  "SO_RCVBUF/SO_SNDBUF of the data socket, bytes (above net.core.rmem_max only with CAP_NET_ADMIN; the effective size is logged and in migctl status).", NULL, NULL },
	{ "max-vms", KT_UINT, F(max_vms), "100000", 1, 10000000,
	  "Most VM entries in the table; a new VM beyond it is refused (busy).", NULL, NULL },
	{ "forget-after-s", KT_UINT, F(forget_after_s), "600", 0, 86400 * 365,
	  "VMs that were not registered leave the table this long after their window ended (0 = at once).", NULL, NULL },
	{ "max-connections", KT_UINT, F(max_connections), "32", 1, 4096,
	  "Most simultaneous connections to the admin socket, and to /metrics; more are closed at once (counted).", NULL, NULL },
	{ "topology-file", KT_PATH_OFF, F(topology_file), "", 0, 0,
	  "The hosts, their gateway devices and agents, and the transfer mode of each pair (docs/netstate.md); empty = no network-state transfer and no provisioning (docs/provisioning.md).", NULL, NULL },
	{ "netstate-wait-ms", KT_UINT, F(netstate_wait_ms), "2000", 0, 60000,
	  "DRAINED waits this long for the VM's network state to be in place at the destination (then counted netstate-timeouts).", NULL, NULL },
	{ "address-wait-ms", KT_UINT, F(address_wait_ms), "10000", 0, 600000,
	  "After ACTIVATED, the services of a VM whose address changes (migctl register --new-ip) wait this long for the destination's agent to confirm the VM answers at its new address (then counted address-timeouts; docs/services.md); 0 = no check.", NULL, NULL },
	{ "netstate-timeout-ms", KT_UINT, F(netstate_timeout_ms), "5000", 100, 600000,
	  "Bound of every exchange with an agent.", NULL, NULL },
	{ "provision-timeout-ms", KT_UINT, F(provision_timeout_ms), "15000", 100, 600000,
	  "Bound of each exchange with an agent when provisioning (it applies the policy, creates and probes the channel).", NULL, NULL },
	{ "inventory", KT_PATH_OFF, F(inventory), "", 0, 0,
	  "The services' data table, an SQLite file (docs/services.md), e.g. /var/lib/mig-manager/inventory.db: id, DNS name, VM, address, DNS state of each service. Empty = no inventory and no DNS updates.", NULL, NULL },
	{ "dns-server", KT_ADDR_OFF, F(dns_server), "", 0, 0,
	  "The primary DNS server that takes the services' RFC 2136 updates, numeric HOST:PORT or [V6]:PORT. Empty = no DNS updates.", NULL, NULL },
	{ "dns-zone", KT_STR, F(dns_zone), "", 0, 0,
	  "The zone the services' names are in (the zone section of each update).", NULL, NULL },
	{ "dns-key-file", KT_PATH_OFF, F(dns_key_file), "", 0, 0,
	  "TSIG key of the updates (hmac-sha256 or stronger), as keymgr -t or tsig-keygen print it. Empty = unsigned updates.", NULL, NULL },
	{ "dns-ttl", KT_UINT, F(dns_ttl), "60", 0, 86400,
	  "TTL of the records the manager writes, seconds.", NULL, NULL },
	{ "dns-timeout-ms", KT_UINT, F(dns_timeout_ms), "2000", 100, 60000,
	  "Bound of one DNS update (per try).", NULL, NULL },
	{ "dns-retry-max-ms", KT_UINT, F(dns_retry_max_ms), "30000", 100, 3600000,
	  "An update the server did not take (down, SERVFAIL) is retried after 0.5 s, doubling up to this.", NULL, NULL },
	{ "dns-give-up-s", KT_UINT, F(dns_give_up_s), "3600", 1, 86400 * 7,
	  "After this long without success an update is given up (dns-gave-up; migctl services says failed).", NULL, NULL },
};

#undef F

void config_defaults(struct mgr_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	kt_defaults(config_keys, G_N_ELEMENTS(config_keys), cfg);
}

char *config_example(void)
{
	GString *o = g_string_new(NULL);

	g_string_append(o,
		"# SPDX-License-Identifier: GPL-2.0-or-later\n"
		"#\n"
		"# mig-manager.conf - example configuration of the migration manager,\n"
		"# written by `mig-manager --print-config` from the table of keys in\n"
		"# manager/config.c.  Every key is shown with its default (commented\n"
		"# out); only key-file= is required.  See mig-manager.conf(5).  Sizes\n"
		"# and numbers take K, M, G or T (powers of 1024).\n\n[manager]\n");
	kt_example(o, config_keys, G_N_ELEMENTS(config_keys), "key-file",
		   CONFIG_DEFAULT_KEY_FILE);
	g_string_append(o,
		"\n[peers]\n"
		"# Redirect peers: NAME=HOST:PORT, the exact address their frames come\n"
		"# from.  A peer seals its frames (Geneve, docs/protocol.md) under its\n"
		"# key, mig_peer_key(master, NAME): migctl key --peer NAME.  Their frames\n"
		"# open the window of a registered VM.\n"
		"#router1=192.0.2.254:6081\n");
	return g_string_free(o, FALSE);
}

const char *const *config_key_names(void)
{
	static const char *names[G_N_ELEMENTS(config_keys) + 1];

	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
		names[i] = config_keys[i].name;
	return names;
}

const char *config_key_default(const char *name)
{
	const struct kt_key *k = kt_find(config_keys, G_N_ELEMENTS(config_keys), name);

	return k ? k->def : NULL;
}

void config_clear(struct mgr_config *cfg)
{
	kt_free_strings(config_keys, G_N_ELEMENTS(config_keys), cfg);
	memset(cfg->key, 0, sizeof(cfg->key));
	cfg->key_len = 0;
}

const char *policy_name(enum release_policy p)
{
	switch (p) {
	case POLICY_HOLD:
		return "hold";
	case POLICY_IMMEDIATE:
		return "immediate";
	default:
		return "activated";
	}
}

bool policy_parse(const char *name, enum release_policy *out)
{
	if (!g_strcmp0(name, "activated"))
		*out = POLICY_ACTIVATED;
	else if (!g_strcmp0(name, "hold"))
		*out = POLICY_HOLD;
	else if (!g_strcmp0(name, "immediate"))
		*out = POLICY_IMMEDIATE;
	else
		return false;
	return true;
}

static bool read_key(struct mgr_config *cfg, GError **error)
{
	return kt_read_key_file(cfg->key_file, MIG_MASTER_KEY_MIN, CONFIG_KEY_MAX,
				cfg->key, &cfg->key_len,
				"the master key every VM key derives from", error);
}

static bool check_groups(GKeyFile *kf, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

	for (char **g = groups; *g; g++) {
		g_auto(GStrv) keys = NULL;

		if (strcmp(*g, GROUP) && strcmp(*g, PEERS)) {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
				    "unknown group [%s] (expected [manager] or [peers])",
				    *g);
			return false;
		}
		if (strcmp(*g, PEERS))
			continue;
		keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; k && *k; k++) {
			if (strlen(*k) > CONFIG_PEER_NAME_MAX) {
				g_set_error(error, G_KEY_FILE_ERROR,
					    G_KEY_FILE_ERROR_KEY_NOT_FOUND,
					    "[peers]: name '%s' longer than %d", *k,
					    CONFIG_PEER_NAME_MAX);
				return false;
			}
		}
	}
	return true;
}

static bool load(struct mgr_config *cfg, GKeyFile *kf, GError **error)
{
	g_auto(GStrv) peers = NULL;

	if (!check_groups(kf, error) ||
	    !kt_load(config_keys, G_N_ELEMENTS(config_keys), kf, GROUP, cfg, error))
		return false;
	if (cfg->window_s < 2 * cfg->tolerance_s) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "key 'window-s': must be at least twice tolerance-s (docs/protocol.md §2)");
		return false;
	}

	if (!read_key(cfg, error))
		return false;
	peers = g_key_file_get_keys(kf, PEERS, NULL, NULL);
	cfg->n_peers = 0;
	for (char **p = peers; p && *p; p++) {
		g_autofree char *v = g_key_file_get_string(kf, PEERS, *p, NULL);
		struct mgr_peer *peer = &cfg->peers[cfg->n_peers];

		if (cfg->n_peers == CONFIG_MAX_PEERS) {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[peers]: more than %d peers", CONFIG_MAX_PEERS);
			return false;
		}
		if (!v || !addr_parse(g_strstrip(v), &peer->addr) ||
		    !addr_port(&peer->addr) || addr_is_any(&peer->addr)) {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[peers] %s: '%s' is not a numeric HOST:PORT (the exact address the peer sends from)",
				    *p, v ? v : "");
			return false;
		}
		g_strlcpy(peer->name, *p, sizeof(peer->name));
		if (!mig_peer_key(cfg->key, cfg->key_len, peer->name, peer->key)) {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[peers] %s: cannot derive its key", *p);
			return false;
		}
		cfg->n_peers++;
	}
	return true;
}



bool config_load_data(struct mgr_config *cfg, const char *text,
		      GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE,
				       error))
		return false;
	return load(cfg, kf, error);
}

bool config_load(struct mgr_config *cfg, const char *path, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error) ||
	    !load(cfg, kf, error)) {
		g_prefix_error(error, "%s: ", path);
		return false;
	}
	return true;
}
