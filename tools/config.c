// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - read mig-manager's GKeyFile configuration.
 */
#include "config.h"

#include <string.h>

#define GROUP "manager"
#define PEERS "peers"

static const char *const manager_keys[] = {
	"control", "data", "key-file", "socket", "stats", "release-policy",
	"hold-ms", "linger-ms", "expire-ms", "max-packets", "max-bytes",
	"max-age-ms", "memory-cap", "pace-pps", "tolerance-s", "window-s",
	"rcvbuf", NULL,
};

void config_defaults(struct mgr_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	addr_parse("0.0.0.0:7790", &cfg->control);
	addr_parse("0.0.0.0:4789", &cfg->data);
	cfg->socket_path = g_strdup("/run/mig-manager/control.sock");
	addr_parse("127.0.0.1:9790", &cfg->stats);
	cfg->policy = POLICY_ACTIVATED;
	cfg->hold_ms = 1000;
	cfg->linger_ms = 5000;
	cfg->drain_quiet_ms = 50;
	cfg->expire_ms = 30000;
	cfg->max_packets = 65536;
	cfg->max_bytes = 64ull << 20;
	cfg->max_age_ms = 30000;
	cfg->memory_cap = 256ull << 20;
	cfg->pace_pps = 50000;
	cfg->tolerance_s = 30;
	cfg->window_s = 60;
	cfg->rcvbuf = 4 << 20;
}

void config_clear(struct mgr_config *cfg)
{
	g_clear_pointer(&cfg->key_file, g_free);
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

static bool bad(GError **error, const char *key, const char *fmt,
		const char *val)
{
	g_autofree char *what = g_strdup_printf(fmt, val);

	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "key '%s': %s", key, what);
	return false;
}

/* Unsigned integer with an optional K/M/G suffix (powers of 1024). */
static bool get_u64(GKeyFile *kf, const char *key, uint64_t max,
		    uint64_t *out, GError **error)
{
	g_autofree char *v = g_key_file_get_string(kf, GROUP, key, NULL);
	guint64 n;
	char *end;

	if (!v)
		return true;
	g_strstrip(v);
	if (!g_ascii_isdigit(v[0]))
		return bad(error, key, "'%s' is not a non-negative integer", v);
	n = g_ascii_strtoull(v, &end, 10);
	if (*end == 'K' || *end == 'k')
		n <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		n <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		n <<= 30, end++;
	if (*end || n > max)
		return bad(error, key, "'%s' is not an integer in range", v);
	*out = n;
	return true;
}

static bool get_uint(GKeyFile *kf, const char *key, unsigned int max,
		     unsigned int *out, GError **error)
{
	uint64_t v = *out;

	if (!get_u64(kf, key, max, &v, error))
		return false;
	*out = (unsigned int)v;
	return true;
}

static bool get_addr(GKeyFile *kf, const char *key, bool may_be_empty,
		     struct mig_addr *out, GError **error)
{
	g_autofree char *v = g_key_file_get_string(kf, GROUP, key, NULL);

	if (!v)
		return true;
	g_strstrip(v);
	if (may_be_empty && !*v) {
		memset(out, 0, sizeof(*out));
		return true;
	}
	if (!addr_parse(v, out))
		return bad(error, key,
			   "'%s' is not a numeric HOST:PORT or [V6]:PORT", v);
	return true;
}

static bool read_key(struct mgr_config *cfg, GError **error)
{
	g_autofree char *bytes = NULL;
	gsize len;

	if (!cfg->key_file || !*cfg->key_file) {
		g_set_error(error, G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_KEY_NOT_FOUND,
			    "key 'key-file' is required (the HMAC key shared with QEMU)");
		return false;
	}
	if (!g_file_get_contents(cfg->key_file, &bytes, &len, error)) {
		g_prefix_error(error, "key-file: ");
		return false;
	}
	if (!len || len > CONFIG_KEY_MAX) {
		g_set_error(error, G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    "key-file %s: %zu bytes, expected 1..%d (32 random bytes recommended)",
			    cfg->key_file, (size_t)len, CONFIG_KEY_MAX);
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
				ok = !strcmp(*k, "redirect");
			else
				ok = g_strv_contains(manager_keys, *k);
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
	g_autofree char *s = NULL;
	g_auto(GStrv) peers = NULL;
	uint64_t v;

	if (!check_keys(kf, error) ||
	    !get_addr(kf, "control", false, &cfg->control, error) ||
	    !get_addr(kf, "data", false, &cfg->data, error) ||
	    !get_addr(kf, "stats", true, &cfg->stats, error))
		return false;
	s = g_key_file_get_string(kf, GROUP, "key-file", NULL);
	if (s) {
		g_free(cfg->key_file);
		cfg->key_file = g_strdup(g_strstrip(s));
		g_clear_pointer(&s, g_free);
	}
	s = g_key_file_get_string(kf, GROUP, "socket", NULL);
	if (s) {
		g_strstrip(s);
		if (!*s)
			return bad(error, "socket", "%s", "must not be empty");
		g_free(cfg->socket_path);
		cfg->socket_path = g_strdup(s);
		g_clear_pointer(&s, g_free);
	}
	s = g_key_file_get_string(kf, GROUP, "release-policy", NULL);
	if (s && !policy_parse(g_strstrip(s), &cfg->policy))
		return bad(error, "release-policy",
			   "'%s' is not activated, hold or immediate", s);
	if (!get_uint(kf, "hold-ms", 3600000, &cfg->hold_ms, error) ||
	    !get_uint(kf, "linger-ms", 3600000, &cfg->linger_ms, error) ||
	    !get_uint(kf, "drain-quiet-ms", 10000, &cfg->drain_quiet_ms, error) ||
	    !get_uint(kf, "expire-ms", 3600000, &cfg->expire_ms, error) ||
	    !get_uint(kf, "max-packets", 1u << 30, &cfg->max_packets, error) ||
	    !get_uint(kf, "max-age-ms", 3600000, &cfg->max_age_ms, error) ||
	    !get_uint(kf, "pace-pps", 100000000, &cfg->pace_pps, error) ||
	    !get_uint(kf, "tolerance-s", 86400, &cfg->tolerance_s, error) ||
	    !get_uint(kf, "window-s", 2 * 86400, &cfg->window_s, error) ||
	    !get_uint(kf, "rcvbuf", 1u << 30, &cfg->rcvbuf, error))
		return false;
	v = cfg->max_bytes;
	if (!get_u64(kf, "max-bytes", UINT64_C(1) << 40, &v, error))
		return false;
	cfg->max_bytes = v;
	v = cfg->memory_cap;
	if (!get_u64(kf, "memory-cap", UINT64_C(1) << 40, &v, error))
		return false;
	cfg->memory_cap = v;
	if (!cfg->tolerance_s)
		return bad(error, "tolerance-s", "%s", "must be at least 1");
	if (cfg->window_s < 2 * cfg->tolerance_s)
		return bad(error, "window-s", "%s",
			   "must be at least twice tolerance-s (docs/protocol.md §2)");
	if (!cfg->expire_ms)
		return bad(error, "expire-ms", "%s", "must be at least 1");

	peers = g_key_file_get_string_list(kf, PEERS, "redirect", NULL, NULL);
	cfg->n_peers = 0;
	for (char **p = peers; p && *p; p++) {
		g_strstrip(*p);
		if (!**p)
			continue;
		if (cfg->n_peers == CONFIG_MAX_PEERS) {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[peers] redirect: more than %d peers",
				    CONFIG_MAX_PEERS);
			return false;
		}
		if (!addr_parse_host(*p, &cfg->peers[cfg->n_peers])) {
			g_set_error(error, G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    "[peers] redirect: '%s' is not a numeric address",
				    *p);
			return false;
		}
		cfg->n_peers++;
	}
	return read_key(cfg, error);
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
