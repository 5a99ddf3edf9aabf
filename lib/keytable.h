/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keytable.h - one group of a GLib key file described by a table: each
 * key's name, type, place in a struct, default, bounds and one-line
 * documentation, defined once; parsing, defaults, the example file and
 * the tests that hold the man pages to the table all come from it.
 * mig-manager.conf's [manager] and mig-agent.conf's [agent] are such
 * tables.
 */
#ifndef MIG_KEYTABLE_H
#define MIG_KEYTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/** enum kt_type - how a key's value is read. */
enum kt_type {
	KT_ADDR,     /* struct mig_addr: numeric HOST:PORT or [V6]:PORT */
	KT_ADDR_OFF, /* the same, or empty for "off" (len 0) */
	KT_PATH,     /* char *: a file name, not empty */
	KT_PATH_OFF, /* char *: a file name, or empty (NULL) for "off" */
	KT_STR,      /* char *: text, may be empty (NULL) */
	KT_UINT,     /* unsigned int, K/M/G/T suffixes, in [min, max] */
	KT_SIZE,     /* uint64_t, K/M/G/T suffixes, in [min, max] */
	KT_CUSTOM,   /* parsed by @parse */
};

/**
 * struct kt_key - one key.
 * @name: key name.
 * @type: how the value is read.
 * @offset: where it goes in the struct.
 * @def: default value, as written in the file ("" = none).
 * @min: smallest value (numbers).
 * @max: largest value (numbers).
 * @doc: one-line description for the example file.
 * @parse: KT_CUSTOM: store @text at @p; false if invalid.
 * @expect: KT_CUSTOM: what a valid value is, for the error message.
 */
struct kt_key {
	const char *name;
	enum kt_type type;
	size_t offset;
	const char *def;
	uint64_t min;
	uint64_t max;
	const char *doc;
	bool (*parse)(const char *text, void *p);
	const char *expect;
};

/**
 * kt_defaults() - set every key of @keys in @obj to its default.
 * @keys: the table.
 * @n: its length.
 * @obj: the struct.
 */
void kt_defaults(const struct kt_key *keys, size_t n, void *obj);

/**
 * kt_load() - read group @group of @kf into @obj; keys not in the table
 * are errors.
 * @keys: the table.
 * @n: its length.
 * @kf: the key file.
 * @group: the group.
 * @obj: the struct.
 * @error: set on failure, naming the key and what is wrong.
 *
 * Return: true on success.
 */
bool kt_load(const struct kt_key *keys, size_t n, GKeyFile *kf,
	     const char *group, void *obj, GError **error);

/**
 * kt_example() - append the keys to an example file: the doc wrapped at
 * 76 columns as comments, then "#name=default" (or "name=value" for
 * @required, uncommented).
 * @o: the text so far.
 * @keys: the table.
 * @n: its length.
 * @required: the key written without "#", or NULL.
 * @value: its value.
 */
void kt_example(GString *o, const struct kt_key *keys, size_t n,
		const char *required, const char *value);

/**
 * kt_find() - a key by name.
 * @keys: the table.
 * @n: its length.
 * @name: the name.
 *
 * Return: the key, or NULL.
 */
const struct kt_key *kt_find(const struct kt_key *keys, size_t n,
			     const char *name);

/**
 * kt_free_strings() - free the KT_PATH, KT_PATH_OFF and KT_STR values of
 * @obj.
 * @keys: the table.
 * @n: its length.
 * @obj: the struct.
 */
void kt_free_strings(const struct kt_key *keys, size_t n, void *obj);

/**
 * kt_read_key_file() - the raw bytes of a key file, @min..@max long.
 * @path: the file (NULL or empty: "key 'key-file' is required").
 * @min: fewest bytes.
 * @max: most bytes.
 * @out: at least @max bytes.
 * @len: set to the length.
 * @what: what the key is, for the error message.
 * @error: set on failure.
 *
 * Return: true on success.
 */
bool kt_read_key_file(const char *path, size_t min, size_t max, uint8_t *out,
		      size_t *len, const char *what, GError **error);

#endif /* MIG_KEYTABLE_H */
