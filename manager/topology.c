// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topology.c - the topology file of the network-state transfer (see
 * topology.h).
 */
#include "topology.h"

#include <string.h>

struct transfer {
	char *src;
	char *dst;
	enum topo_mode mode;
};

struct topo {
	GPtrArray *hosts;     /* struct topo_host */
	GPtrArray *devices;   /* struct topo_device */
	GArray *transfers;    /* struct transfer */
};

static void host_free(gpointer p)
{
	struct topo_host *h = p;

	g_free(h->name);
	g_array_unref(h->addresses);
	g_free(h);
}

static void device_free(gpointer p)
{
	struct topo_device *d = p;

	g_free(d->name);
	g_free(d->type);
	g_free(d);
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	g_ptr_array_unref(t->hosts);
	g_ptr_array_unref(t->devices);
	for (unsigned int i = 0; i < t->transfers->len; i++) {
		g_free(g_array_index(t->transfers, struct transfer, i).src);
		g_free(g_array_index(t->transfers, struct transfer, i).dst);
	}
	g_array_unref(t->transfers);
	g_free(t);
}

static bool bad(GError **error, const char *group, const char *what)
{
	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "[%s]: %s", group, what);
	return false;
}

static bool parse_mode(const char *s, enum topo_mode *m)
{
	if (!g_strcmp0(s, "fetch"))
		*m = TOPO_FETCH;
	else if (!g_strcmp0(s, "pull"))
		*m = TOPO_PULL;
	else if (!g_strcmp0(s, "push"))
		*m = TOPO_PUSH;
	else
		return false;
	return true;
}

static bool only_keys(GKeyFile *kf, const char *group, const char *const *allowed,
		      GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (char **k = keys; k && *k; k++) {
		if (!g_strv_contains(allowed, *k)) {
			g_autofree char *what = g_strdup_printf("unknown key '%s'", *k);

			return bad(error, group, what);
		}
	}
	return true;
}

static bool add_device(struct topo *t, GKeyFile *kf, const char *group,
		       const char *name, GError **error)
{
	static const char *const allowed[] = { "type", "agent", NULL };
	g_autofree char *type = g_key_file_get_string(kf, group, "type", NULL);
	g_autofree char *agent = g_key_file_get_string(kf, group, "agent", NULL);
	struct topo_device *d;

	if (!only_keys(kf, group, allowed, error))
		return false;
	if (g_strcmp0(type, "nftables"))
		return bad(error, group, "type must be nftables (conntrack, bindings set, counters)");
	d = g_new0(struct topo_device, 1);
	if (!agent || !addr_parse(g_strstrip(agent), &d->agent) || !addr_port(&d->agent)) {
		g_free(d);
		return bad(error, group, "agent must be a numeric HOST:PORT");
	}
	d->name = g_strdup(name);
	d->type = g_steal_pointer(&type);
	g_ptr_array_add(t->devices, d);
	return true;
}

static bool add_host(struct topo *t, GKeyFile *kf, const char *group,
		     const char *name, GError **error)
{
	static const char *const allowed[] = { "addresses", "device", NULL };
	g_autofree char *list = g_key_file_get_string(kf, group, "addresses", NULL);
	g_auto(GStrv) addrs = list ? g_strsplit_set(list, ",; \t", -1) : NULL;
	g_autofree char *dev = g_key_file_get_string(kf, group, "device", NULL);
	struct topo_host *h;

	if (!only_keys(kf, group, allowed, error))
		return false;
	if (!addrs || !*addrs)
		return bad(error, group, "addresses (the QEMUs' addresses on it) required");
	h = g_new0(struct topo_host, 1);
	h->name = g_strdup(name);
	h->addresses = g_array_new(FALSE, TRUE, sizeof(struct mig_addr));
	g_ptr_array_add(t->hosts, h);
	for (char **a = addrs; *a; a++) {
		struct mig_addr m;

		if (!**a)
			continue;
		if (!addr_parse_host(*a, &m)) {
			g_autofree char *what = g_strdup_printf("'%s' is not a numeric address", *a);

			return bad(error, group, what);
		}
		g_array_append_val(h->addresses, m);
	}
	if (!h->addresses->len)
		return bad(error, group, "addresses (the QEMUs' addresses on it) required");
	if (dev)
		h->device = topo_device(t, g_strstrip(dev));
	if (dev && !h->device)
		return bad(error, group, "device names no [device ...] group");
	return true;
}

static bool add_transfer(struct topo *t, GKeyFile *kf, const char *group,
			 const char *names, GError **error)
{
	static const char *const allowed[] = { "mode", NULL };
	g_auto(GStrv) pair = g_strsplit(names, " ", -1);
	g_autofree char *mode = g_key_file_get_string(kf, group, "mode", NULL);
	struct transfer x = { 0 };

	if (!only_keys(kf, group, allowed, error))
		return false;
	if (g_strv_length(pair) != 2 || !topo_host(t, pair[0]) || !topo_host(t, pair[1]))
		return bad(error, group, "expected [transfer SRC-HOST DST-HOST] of two hosts");
	if (!parse_mode(mode ? g_strstrip(mode) : "fetch", &x.mode))
		return bad(error, group, "mode must be fetch, pull or push");
	x.src = g_strdup(pair[0]);
	x.dst = g_strdup(pair[1]);
	g_array_append_val(t->transfers, x);
	return true;
}

/* Devices first (hosts name them), then hosts, then transfers. */
static bool load(struct topo *t, GKeyFile *kf, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	static const char *const kinds[] = { "device ", "host ", "transfer " };

	for (char **g = groups; *g; g++) {
		bool known = false;

		for (unsigned int k = 0; k < G_N_ELEMENTS(kinds); k++)
			known |= g_str_has_prefix(*g, kinds[k]);
		if (!known)
			return bad(error, *g, "unknown group (expected [host NAME], [device NAME] or [transfer SRC DST])");
	}
	for (unsigned int k = 0; k < G_N_ELEMENTS(kinds); k++) {
		for (char **g = groups; *g; g++) {
			const char *name = *g + strlen(kinds[k]);
			bool ok = true;

			if (!g_str_has_prefix(*g, kinds[k]))
				continue;
			if (k == 0)
				ok = add_device(t, kf, *g, name, error);
			else if (k == 1)
				ok = add_host(t, kf, *g, name, error);
			else
				ok = add_transfer(t, kf, *g, name, error);
			if (!ok)
				return false;
		}
	}
	return true;
}

static struct topo *topo_new(void)
{
	struct topo *t = g_new0(struct topo, 1);

	t->hosts = g_ptr_array_new_with_free_func(host_free);
	t->devices = g_ptr_array_new_with_free_func(device_free);
	t->transfers = g_array_new(FALSE, TRUE, sizeof(struct transfer));
	return t;
}

struct topo *topo_load_data(const char *text, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	struct topo *t;

	if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, error))
		return NULL;
	t = topo_new();
	if (!load(t, kf, error)) {
		topo_free(t);
		return NULL;
	}
	return t;
}

struct topo *topo_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	struct topo *t;

	if (!g_file_get_contents(path, &text, NULL, error))
		return NULL;
	t = topo_load_data(text, error);
	if (!t)
		g_prefix_error(error, "%s: ", path);
	return t;
}

const struct topo_host *topo_host(const struct topo *t, const char *name)
{
	for (unsigned int i = 0; i < t->hosts->len; i++) {
		const struct topo_host *h = t->hosts->pdata[i];

		if (!strcmp(h->name, name))
			return h;
	}
	return NULL;
}

const struct topo_host *topo_host_of(const struct topo *t, const struct mig_addr *a)
{
	for (unsigned int i = 0; i < t->hosts->len; i++) {
		const struct topo_host *h = t->hosts->pdata[i];

		for (unsigned int k = 0; k < h->addresses->len; k++)
			if (addr_same_host(&g_array_index(h->addresses, struct mig_addr, k), a))
				return h;
	}
	return NULL;
}

const struct topo_device *topo_device(const struct topo *t, const char *name)
{
	for (unsigned int i = 0; i < t->devices->len; i++) {
		const struct topo_device *d = t->devices->pdata[i];

		if (!strcmp(d->name, name))
			return d;
	}
	return NULL;
}

enum topo_mode topo_mode(const struct topo *t, const struct topo_host *src,
			 const struct topo_host *dst)
{
	for (unsigned int i = 0; i < t->transfers->len; i++) {
		const struct transfer *x = &g_array_index(t->transfers, struct transfer, i);

		if (!strcmp(x->src, src->name) && !strcmp(x->dst, dst->name))
			return x->mode;
	}
	return TOPO_FETCH;
}

const char *topo_mode_name(enum topo_mode m)
{
	return m == TOPO_PULL ? "pull" : m == TOPO_PUSH ? "push" : "fetch";
}
