// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_config - mig-manager's table of configuration keys
 * (manager/config.c) against what is derived from it or documents it:
 * the shipped example file manager/mig-manager.conf must be the table
 * printed (config_example()), mig-manager.conf(5) must name every key
 * with its default, the example must load, and values are read without
 * overflow.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"

static char *read_top(const char *rel)
{
	g_autofree char *path = g_build_filename(TOP, rel, NULL);
	char *text = NULL;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL),
		      "cannot read %s", path);
	return text;
}

/* A key file with 32 bytes; its path in a static buffer. */
static const char *key_file(void)
{
	static char path[64];
	int fd;

	g_strlcpy(path, "/tmp/check_config.key.XXXXXX", sizeof(path));
	fd = g_mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	close(fd);
	return path;
}

START_TEST(test_example_is_the_table)
{
	g_autofree char *shipped = read_top("manager/mig-manager.conf");
	g_autofree char *made = config_example();

	ck_assert_msg(!strcmp(shipped, made),
		      "manager/mig-manager.conf differs from the table; regenerate it with "
		      "'build/bin/mig-manager --print-config > manager/mig-manager.conf'");
}
END_TEST

START_TEST(test_man_page_names_every_key)
{
	g_autofree char *man = read_top("docs/man/mig-manager.conf.5");

	for (const char *const *k = config_key_names(); *k; k++) {
		g_autofree char *esc = NULL, *pattern = NULL;
		g_auto(GStrv) parts = g_strsplit(*k, "-", -1);
		const char *def = config_key_default(*k);
		g_autofree char *qdef = g_regex_escape_string(def, -1);

		esc = g_strjoinv("\\\\-", parts);
		pattern = *def ? g_strdup_printf("\\.BR? .*%s= \"?%s", esc, qdef) :
				 g_strdup_printf("\\.BR? .*%s= ", esc);
		ck_assert_msg(g_regex_match_simple(pattern, man, G_REGEX_MULTILINE, 0),
			      "mig-manager.conf(5) does not document '%s' with its default '%s'",
			      *k, def);
	}
}
END_TEST

START_TEST(test_example_loads_as_defaults)
{
	g_autofree char *made = config_example();
	g_autofree char *kf_line = g_strdup_printf("key-file=%s", key_file());
	GString *text = g_string_new(made);
	struct mgr_config def, c;
	GError *err = NULL;

	ck_assert_uint_eq(g_string_replace(text, "key-file=" CONFIG_DEFAULT_KEY_FILE,
					   kf_line, 1), 1);
	config_defaults(&c);
	ck_assert_msg(config_load_data(&c, text->str, &err), "%s",
		      err ? err->message : "");
	g_string_free(text, TRUE);
	config_defaults(&def);
	ck_assert_uint_eq(c.hold_ms, def.hold_ms);
	ck_assert_uint_eq(c.drain_quiet_ms, def.drain_quiet_ms);
	ck_assert_uint_eq(c.max_bytes, 64 << 20);
	ck_assert_uint_eq(c.memory_cap, def.memory_cap);
	ck_assert_uint_eq(c.rcvbuf, 4 << 20);
	ck_assert_str_eq(c.socket_path, def.socket_path);
	config_clear(&c);
	config_clear(&def);
}
END_TEST

START_TEST(test_values)
{
	static const struct {
		const char *line;
		bool ok;
	} cases[] = {
		{ "drain-quiet-ms=20", true },       /* documented, so accepted */
		{ "max-bytes=17179869184G", false }, /* overflows 64 bits */
		{ "max-bytes=2T", false },           /* over the 1T maximum */
		{ "memory-cap=1T", true },
		{ "memory-cap=512MiB", true },
		{ "rcvbuf=8M", true },
		{ "hold-ms=3600001", false },
		{ "expire-ms=0", false },            /* minimum 1 */
		{ "tolerance-s=0", false },
		{ "stats=", true },                  /* off */
		{ "socket=", false },
	};
	const char *kf = key_file();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *t = g_strdup_printf("[manager]\nkey-file=%s\n%s\n",
						     kf, cases[i].line);
		struct mgr_config c;
		GError *err = NULL;
		bool ok;

		config_defaults(&c);
		ok = config_load_data(&c, t, &err);
		ck_assert_msg(ok == cases[i].ok, "%s: %s", cases[i].line,
			      err ? err->message : "accepted");
		if (!strcmp(cases[i].line, "memory-cap=512MiB"))
			ck_assert_uint_eq(c.memory_cap, UINT64_C(512) << 20);
		if (!strcmp(cases[i].line, "stats="))
			ck_assert_uint_eq(c.stats.len, 0);
		g_clear_error(&err);
		config_clear(&c);
	}
	unlink(kf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_example_is_the_table);
	tcase_add_test(tc, test_man_page_names_every_key);
	tcase_add_test(tc, test_example_loads_as_defaults);
	tcase_add_test(tc, test_values);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
