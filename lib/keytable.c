// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keytable.c - a key-file group described by a table (see keytable.h).
 */
#include "keytable.h"

#include <string.h>

#include "addr.h"
#include "size.h"

static bool bad(GError **error, const char *key, const char *what)
{
	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
		    "key '%s': %s", key, what);
	return false;
}

static bool set_value(const struct kt_key *k, void *obj, const char *v,
		      GError **error)
{
	void *p = (char *)obj + k->offset;
	g_autofree char *what = NULL;
	uint64_t n;

	switch (k->type) {
	case KT_ADDR_OFF:
		if (!*v) {
			memset(p, 0, sizeof(struct mig_addr));
			return true;
		}
		/* fall through */
	case KT_ADDR:
		if (addr_parse(v, p))
			return true;
		what = g_strdup_printf("'%s' is not a numeric HOST:PORT or [V6]:PORT", v);
		return bad(error, k->name, what);
	case KT_PATH:
	case KT_PATH_OFF:
	case KT_STR:
		if (!*v && *k->def && k->type == KT_PATH)
			return bad(error, k->name, "must not be empty");
		g_free(*(char **)p);
		*(char **)p = *v ? g_strdup(v) : NULL;
		return true;
	case KT_CUSTOM:
		if (k->parse(v, p))
			return true;
		what = g_strdup_printf("'%s' is not %s", v, k->expect);
		return bad(error, k->name, what);
	case KT_UINT:
	case KT_SIZE:
		if (!size_parse(v, k->max, &n) || n < k->min) {
			what = g_strdup_printf("'%s' is not an integer in %" G_GUINT64_FORMAT
					       "..%" G_GUINT64_FORMAT
					       " (K, M, G, T suffixes allowed)", v,
					       k->min, k->max);
			return bad(error, k->name, what);
		}
		if (k->type == KT_UINT)
			*(unsigned int *)p = (unsigned int)n;
		else
			*(uint64_t *)p = n;
		return true;
	}
	return false;
}

void kt_defaults(const struct kt_key *keys, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++) {
		g_autoptr(GError) err = NULL;

		if (!set_value(&keys[i], obj, keys[i].def, &err))
			g_error("default of %s: %s", keys[i].name, err->message);
	}
}

const struct kt_key *kt_find(const struct kt_key *keys, size_t n,
			     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

bool kt_load(const struct kt_key *keys, size_t n, GKeyFile *kf,
	     const char *group, void *obj, GError **error)
{
	g_auto(GStrv) names = g_key_file_get_keys(kf, group, NULL, NULL);

	for (char **k = names; k && *k; k++) {
		const struct kt_key *key = kt_find(keys, n, *k);
		g_autofree char *v = NULL;

		if (!key) {
			g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
				    "unknown key '%s' in [%s]", *k, group);
			return false;
		}
		v = g_key_file_get_string(kf, group, *k, NULL);
		if (v && !set_value(key, obj, g_strstrip(v), error))
			return false;
	}
	return true;
}

void kt_example(GString *o, const struct kt_key *keys, size_t n,
		const char *required, const char *value)
{
	for (size_t i = 0; i < n; i++) {
		const struct kt_key *k = &keys[i];
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
		if (required && !strcmp(k->name, required))
			g_string_append_printf(o, "\n%s=%s\n", k->name, value);
		else
			g_string_append_printf(o, "\n#%s=%s\n", k->name, k->def);
	}
}

void kt_free_strings(const struct kt_key *keys, size_t n, void *obj)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].type == KT_PATH || keys[i].type == KT_PATH_OFF ||
		    keys[i].type == KT_STR)
			g_clear_pointer((char **)((char *)obj + keys[i].offset), g_free);
}

bool kt_read_key_file(const char *path, size_t min, size_t max, uint8_t *out,
		      size_t *len, const char *what, GError **error)
{
	g_autofree char *bytes = NULL;
	gsize l;

	if (!path || !*path) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
			    "key 'key-file' is required (%s)", what);
		return false;
	}
	if (!g_file_get_contents(path, &bytes, &l, error)) {
		g_prefix_error(error, "key-file: ");
		return false;
	}
	if (l < min || l > max) {
		g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
			    "key-file %s: %zu bytes, expected %zu..%zu (32 random bytes recommended)",
			    path, (size_t)l, min, max);
		memset(bytes, 0, l);
		return false;
	}
	memcpy(out, bytes, l);
	*len = l;
	memset(bytes, 0, l);
	return true;
}
