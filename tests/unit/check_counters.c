// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_counters - the table of counters and drop reasons
 * (lib/counters.h) against the operator's guide: docs/manager.md must
 * list every drop reason in its table of drop reasons and every metric
 * a counter is exported under in its table of metrics, so a counter
 * added to the table cannot go undocumented.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "counters.h"

static char *guide(void)
{
	g_autofree char *path = g_build_filename(TOP, "docs/manager.md", NULL);
	char *text = NULL;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
	return text;
}

START_TEST(test_every_drop_reason_documented)
{
	g_autofree char *md = guide();

	for (int r = 0; r < DROP_N_REASONS; r++) {
		g_autofree char *row = g_strdup_printf("\n| %s |", drop_reason_name(r));

		ck_assert_msg(strstr(md, row), "docs/manager.md has no row for drop reason '%s'",
			      drop_reason_name(r));
	}
}
END_TEST

START_TEST(test_every_metric_documented)
{
	g_autofree char *md = guide();

	for (int c = 0; c < CTR_N; c++) {
		const struct mig_counter_info *i = mig_counter_info(c);

		if (!i->metric)
			continue;
		if (i->scope & CTR_GLOBAL) {
			g_autofree char *row = g_strdup_printf("| mig_manager_%s |", i->metric);

			ck_assert_msg(strstr(md, row), "docs/manager.md has no row for %s (counter %s)",
				      row, i->name);
		}
		if (i->scope & CTR_VM) {
			g_autofree char *row = g_strdup_printf("| mig_manager_vm_%s |", i->metric);

			ck_assert_msg(strstr(md, row), "docs/manager.md has no row for %s (counter %s)",
				      row, i->name);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("docs");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_every_drop_reason_documented);
	tcase_add_test(tc, test_every_metric_documented);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
