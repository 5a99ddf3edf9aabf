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
#include "size.h"
#include "wire.h"

#define GROUP "manager"
#define PEERS "peers"

/* How a key's value is read (config_keys[].type). */
enum key_type {
	KEY_ADDR,     /* numeric HOST:PORT or [V6]:PORT */
	KEY_ADDR_OFF, /* the same, or empty for "off" */
	KEY_PATH,     /* a file name, not empty */
	KEY_PATH_OFF, /* a file name, or empty for "off" */
	KEY_UINT,     /* unsigned int, with K/M/G/T suffixes, in [min, max] */
	KEY_SIZE,     /* uint64_t byte count, with suffixes, in [min, max] */
	KEY_POLICY,   /* enum release_policy by name */
};

/**
 * struct config_key - one key of [manager]: the single definition of its
 * name, type, default and documentation.  Parsing, config_defaults(),
 * config_example() (the shipped example file) and the unit test that
 * holds mig-manager.conf(5) to the table all come from it.
 * @name: key name.
 * @type: how the value is read.
 * @offset: where it goes in struct mgr_config.
 * @def: default value, as it would be written in the file ("" = none).
 * @min: smallest value (numbers).
 * @max: largest value (numbers).
 * @doc: one-line description for the example file.
 */
struct config_key {
	const char *name;
	enum key_type type;
	size_t offset;
	const char *def;
	uint64_t min;
	uint64_t max;
	const char *doc;
};

#define F(field) offsetof(struct mgr_config, field)

static const struct config_key config_keys[] = {
	{ "control", KEY_ADDR, F(control),
	  "0.0.0.0:" G_STRINGIFY(HANDOFF_DEFAULT_CONTROL_PORT), 0, 0,
	  "Control messages (docs/protocol.md §2): UDP, numeric HOST:PORT or [V6]:PORT." },
	{ "data", KEY_ADDR, F(data),
	  "0.0.0.0:" G_STRINGIFY(HANDOFF_DEFAULT_DATA_PORT), 0, 0,
	  "Geneve data frames (docs/protocol.md §1); release and return use it too." },
	{ "key-file", KEY_PATH, F(key_file), "", 0, 0,
	  "The master key: the raw bytes of this file (16 to 1024; 32 random bytes recommended). Every VM's key derives from it (migctl key VM); no QEMU has it. Required." },
	{ "state-file", KEY_PATH_OFF, F(state_file), "/var/lib/mig-manager/registrations.json", 0, 0,
	  "Registrations (migctl register) are kept here across restarts, written atomically. Empty = not kept." },
	{ "socket", KEY_PATH, F(socket_path), "/run/mig-manager/control.sock", 0, 0,
	  "Local control socket of migctl (unix stream, mode 0600)." },
	{ "stats", KEY_ADDR_OFF, F(stats), "127.0.0.1:9790", 0, 0,
	  "Prometheus metrics over HTTP: GET /metrics. Empty = off." },
	{ "release-policy", KEY_POLICY, F(policy), "activated", 0, 0,
	  "Default release policy: activated (on ACTIVATED), hold (hold-ms after SUSPENDING, not before), immediate (at once when the destination is known)." },
	{ "hold-ms", KEY_UINT, F(hold_ms), "1000", 0, 3600000,
	  "Hold time of the hold policy." },
	{ "linger-ms", KEY_UINT, F(linger_ms), "5000", 0, 3600000,
	  "After ACTIVATED (or ABORTED), late frames are still forwarded for this long." },
	{ "drain-quiet-ms", KEY_UINT, F(drain_quiet_ms), "50", 0, 10000,
	  "Fallback when the source sends no END: DRAINED waits until no frame came from it for this long." },
	{ "end-wait-ms", KEY_UINT, F(end_wait_ms), "500", 0, 60000,
	  "How long the manager waits for the source's END after ACTIVATED, or for the frames END counts, before it sends DRAINED anyway (counted)." },
	{ "early-activated-ms", KEY_UINT, F(early_activated_ms), "5000", 0, 60000,
	  "An ACTIVATED that comes before its SUSPENDING is kept this long and honoured when the SUSPENDING comes." },
	{ "expire-ms", KEY_UINT, F(expire_ms), "30000", 1, 3600000,
	  "A suspended VM whose ACTIVATED does not come within this time expires." },
	{ "max-packets", KEY_UINT, F(max_packets), "65536", 0, 1u << 30,
	  "Per-VM queue cap, frames." },
	{ "max-bytes", KEY_SIZE, F(max_bytes), "64M", 0, UINT64_C(1) << 40,
	  "Per-VM queue cap, frame bytes." },
	{ "max-age-ms", KEY_UINT, F(max_age_ms), "30000", 0, 3600000,
	  "Per-VM cap on the age of the oldest frame (0 = no age cap)." },
	{ "memory-cap", KEY_SIZE, F(memory_cap), "256M", 0, UINT64_C(1) << 40,
	  "Memory all queues together may hold." },
	{ "pace-pps", KEY_UINT, F(pace_pps), "50000", 0, 100000000,
	  "Release rate per VM, frames/s (0 = unpaced)." },
	{ "tolerance-s", KEY_UINT, F(tolerance_s), "30", 1, 86400,
	  "Replay protection: accepted clock difference." },
	{ "window-s", KEY_UINT, F(window_s), "60", 1, 2 * 86400,
	  "Replay protection: memory of message ids (at least twice tolerance-s)." },
	{ "rcvbuf", KEY_UINT, F(rcvbuf), "4M", 0, 1u << 30,
	  "SO_RCVBUF/SO_SNDBUF of the data socket, bytes (above net.core.rmem_max only with CAP_NET_ADMIN; the effective size is logged and in migctl status)." },
	{ "max-vms", KEY_UINT, F(max_vms), "100000", 1, 10000000,
	  "Most VM entries in the table; a new VM beyond it is refused (busy)." },
	{ "forget-after-s", KEY_UINT, F(forget_after_s), "600", 0, 86400 * 365,
	  "VMs that were not registered leave the table this long after their window ended (0 = at once)." },
	{ "max-connections", KEY_UINT, F(max_connections), "32", 1, 4096,
	  "Most simultaneous connections to the admin socket, and to /metrics; more are closed at once (counted)." },
};

#undef F

static bool bad(GError **error, const char *key, const char *fmt,
		const char *val)
{
	g_autofree char *what = g_strdup_printf(fmt, val);

	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "key '%s': %s", key, what);
	return false;
}

/* Store the text @v of key @k into @cfg. */
static bool set_value(struct mgr_config *cfg, const struct config_key *k,
		      const char *v, GError **error)
{
	void *p = (char *)cfg + k->offset;
	uint64_t n;

	switch (k->type) {
	case KEY_ADDR_OFF:
		if (!*v) {
			memset(p, 0, sizeof(struct mig_addr));
			return true;
		}
		/* fall through */
	case KEY_ADDR:
		if (!addr_parse(v, p))
			return bad(error, k->name,
				   "'%s' is not a numeric HOST:PORT or [V6]:PORT", v);
		return true;
	case KEY_PATH:
	case KEY_PATH_OFF:
		if (!*v && *k->def && k->type == KEY_PATH)
			return bad(error, k->name, "%s", "must not be empty");
		g_free(*(char **)p);
		*(char **)p = *v ? g_strdup(v) : NULL;
		return true;
	case KEY_POLICY:
		if (!policy_parse(v, p))
			return bad(error, k->name,
				   "'%s' is not activated, hold or immediate", v);
		return true;
	case KEY_UINT:
	case KEY_SIZE:
		if (!size_parse(v, k->max, &n) || n < k->min) {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "key '%s': '%s' is not an integer in %" G_GUINT64_FORMAT
				    "..%" G_GUINT64_FORMAT " (K, M, G, T suffixes allowed)",
				    k->name, v, k->min, k->max);
			return false;
		}
		if (k->type == KEY_UINT)
			*(unsigned int *)p = (unsigned int)n;
		else
			*(uint64_t *)p = n;
		return true;
	}
	return false;
}

void config_defaults(struct mgr_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		g_autoptr(GError) err = NULL;

		if (!set_value(cfg, &config_keys[i], config_keys[i].def, &err))
			g_error("default of %s: %s", config_keys[i].name,
				err->message);
	}
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
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		g_auto(GStrv) words = g_strsplit(k->doc, " ", -1);
		size_t col = 0;

		for (char **w = words; *w; w++) {
			if (!col || col + 1 + strlen(*w) > 76) {
				g_string_append(o, col ? "\n# " : "# ");
				col = 2;
			} else {
				g_string_append_c(o, ' ');
				col++;
			}
			g_string_append(o, *w);
			col += strlen(*w);
		}
		if (!strcmp(k->name, "key-file"))
			g_string_append_printf(o, "\n%s=%s\n", k->name,
					       CONFIG_DEFAULT_KEY_FILE);
		else
			g_string_append_printf(o, "\n#%s=%s\n", k->name, k->def);
	}
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
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++)
		if (!strcmp(config_keys[i].name, name))
			return config_keys[i].def;
	return NULL;
}

void config_clear(struct mgr_config *cfg)
{
	g_clear_pointer(&cfg->key_file, g_free);
	g_clear_pointer(&cfg->state_file, g_free);
	g_clear_pointer(&cfg->socket_path, g_free);
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
	g_autofree char *bytes = NULL;
	gsize len;

	if (!cfg->key_file || !*cfg->key_file) {
		g_set_error(error, G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_KEY_NOT_FOUND,
			    "key 'key-file' is required (the master key every VM key derives from)");
		return false;
	}
	if (!g_file_get_contents(cfg->key_file, &bytes, &len, error)) {
		g_prefix_error(error, "key-file: ");
		return false;
	}
	if (len < MIG_MASTER_KEY_MIN || len > CONFIG_KEY_MAX) {
		g_set_error(error, G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    "key-file %s: %zu bytes, expected %d..%d (32 random bytes recommended)",
			    cfg->key_file, (size_t)len, MIG_MASTER_KEY_MIN, CONFIG_KEY_MAX);
		return false;
	}
	memcpy(cfg->key, bytes, len);
	cfg->key_len = len;
	memset(bytes, 0, len);
	return true;
}

static bool check_keys(GKeyFile *kf, GError **error)
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
		keys = g_key_file_get_keys(kf, *g, NULL, NULL);
		for (char **k = keys; k && *k; k++) {
			bool ok = false;

			if (!strcmp(*g, PEERS))
				ok = strlen(*k) <= CONFIG_PEER_NAME_MAX;
			else
				ok = config_key_default(*k) != NULL;
			if (!ok) {
				g_set_error(error, G_KEY_FILE_ERROR,
					    G_KEY_FILE_ERROR_KEY_NOT_FOUND,
					    "unknown key '%s' in [%s]", *k, *g);
				return false;
			}
		}
	}
	return true;
}

static bool load(struct mgr_config *cfg, GKeyFile *kf, GError **error)
{
	g_auto(GStrv) peers = NULL;

	if (!check_keys(kf, error))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		g_autofree char *v = g_key_file_get_string(kf, GROUP, k->name,
							   NULL);

		if (v && !set_value(cfg, k, g_strstrip(v), error))
			return false;
	}
	if (cfg->window_s < 2 * cfg->tolerance_s)
		return bad(error, "window-s", "%s",
			   "must be at least twice tolerance-s (docs/protocol.md §2)");

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
