// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_domxml - unit tests of migctl/domxml.c: what migctl migrate reads
 * from a libvirt domain XML (identity, memory, NICs and their QEMU netdev
 * IDs, handoff objects already on the command line) and the
 * <qemu:commandline> it adds for the destination.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "domxml.h"

/* A live XML as libvirt 9.0 prints it (trimmed). */
static const char live_xml[] =
	"<domain type='qemu' id='1'>\n"
	"  <name>guest0</name>\n"
	"  <uuid>6d1f3c52-9a1e-4b7a-8c55-2f0e4a9b7d10</uuid>\n"
	"  <memory unit='KiB'>262144</memory>\n"
	"  <devices>\n"
	"    <emulator>/opt/qemu/bin/qemu-system-x86_64</emulator>\n"
	"    <interface type='ethernet'>\n"
	"      <mac address='52:54:00:99:00:10'/>\n"
	"      <target dev='vmtap0' managed='no'/>\n"
	"      <model type='virtio'/>\n"
	"      <alias name='net0'/>\n"
	"    </interface>\n"
	"    <interface type='ethernet'>\n"
	"      <mac address='52:54:00:AA:BB:CC'/>\n"
	"      <alias name='ua-backend'/>\n"
	"    </interface>\n"
	"  </devices>\n"
	"</domain>\n";

/* An inactive definition: no aliases; memory in MiB; qemu namespace in
 * use with another argument already. */
static const char inactive_xml[] =
	"<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
	"  <name>web1</name>\n"
	"  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n"
	"  <memory unit='MiB'>1024</memory>\n"
	"  <devices>\n"
	"    <interface type='network'><mac address='52:54:00:00:00:01'/></interface>\n"
	"  </devices>\n"
	"  <qemu:commandline>\n"
	"    <qemu:arg value='-global'/>\n"
	"    <qemu:arg value='migration.bandwidth-policy=dirty-factor'/>\n"
	"  </qemu:commandline>\n"
	"</domain>\n";

static const struct domxml_nic *nic(const struct domxml *d, unsigned int i)
{
	return &g_array_index(d->nics, struct domxml_nic, i);
}

START_TEST(test_parse_live)
{
	struct domxml d;
	GError *err = NULL;

	ck_assert(domxml_parse(live_xml, &d, &err));
	ck_assert_str_eq(d.name, "guest0");
	ck_assert_str_eq(d.uuid, "6d1f3c52-9a1e-4b7a-8c55-2f0e4a9b7d10");
	ck_assert_str_eq(d.emulator, "/opt/qemu/bin/qemu-system-x86_64");
	ck_assert_uint_eq(d.memory_kib, 262144);
	ck_assert_uint_eq(d.nics->len, 2);
	ck_assert_str_eq(nic(&d, 0)->mac, "52:54:00:99:00:10");
	ck_assert_str_eq(nic(&d, 0)->alias, "net0");
	ck_assert_str_eq(nic(&d, 0)->netdev, "hostnet0");
	/* MACs are compared lower case with libvirt's interface addresses */
	ck_assert_str_eq(nic(&d, 1)->mac, "52:54:00:aa:bb:cc");
	ck_assert_str_eq(nic(&d, 1)->netdev, "hostua-backend");
	ck_assert(!d.handoff_args);
	domxml_clear(&d);
}
END_TEST

START_TEST(test_parse_inactive)
{
	struct domxml d;
	GError *err = NULL;

	ck_assert(domxml_parse(inactive_xml, &d, &err));
	ck_assert_uint_eq(d.memory_kib, 1024 * 1024);
	ck_assert_ptr_null(d.emulator);
	ck_assert_uint_eq(d.nics->len, 1);
	ck_assert_str_eq(nic(&d, 0)->alias, "net0");
	ck_assert_str_eq(nic(&d, 0)->netdev, "hostnet0");
	ck_assert(!d.handoff_args);
	domxml_clear(&d);
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const char *const bad[] = {
		"", "<domain", "<network><name>x</name></network>",
		"<domain><uuid>1</uuid></domain>", /* no name */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct domxml d;
		GError *err = NULL;

		ck_assert_msg(!domxml_parse(bad[i], &d, &err), "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(err);
		g_error_free(err);
		domxml_clear(&d);
	}
}
END_TEST

START_TEST(test_handoff_args)
{
	struct domxml_nic n[2] = {
		{ "52:54:00:99:00:10", "net0", "hostnet0" },
		{ "52:54:00:99:00:11", "net1", "hostnet1" },
	};
	GArray *nics = g_array_new(FALSE, FALSE, sizeof(struct domxml_nic));
	char **v, *sec;
	JsonParser *p = json_parser_new();
	JsonObject *o;

	g_array_append_vals(nics, n, 2);
	v = domxml_filter_args(nics);
	ck_assert_uint_eq(g_strv_length(v), 4);
	ck_assert_str_eq(v[0], "-object");
	ck_assert_str_eq(v[2], "-object");
	ck_assert(json_parser_load_from_data(p, v[1], -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	ck_assert_str_eq(json_object_get_string_member(o, "qom-type"), "filter-migration-handoff");
	ck_assert_str_eq(json_object_get_string_member(o, "id"), "handoff-net0");
	ck_assert_str_eq(json_object_get_string_member(o, "netdev"), "hostnet0");
	ck_assert_str_eq(json_object_get_string_member(o, "queue"), "tx");
	ck_assert(json_parser_load_from_data(p, v[3], -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	ck_assert_str_eq(json_object_get_string_member(o, "id"), "handoff-net1");
	ck_assert_str_eq(json_object_get_string_member(o, "netdev"), "hostnet1");
	/* the key travels in QMP only, as base64 data, in JSON (no escaping) */
	sec = domxml_secret_json("handoff-key", "a2V5,\"x\"");
	ck_assert(json_parser_load_from_data(p, sec, -1, NULL));
	o = json_node_get_object(json_parser_get_root(p));
	ck_assert_str_eq(json_object_get_string_member(o, "qom-type"), "secret");
	ck_assert_str_eq(json_object_get_string_member(o, "id"), "handoff-key");
	ck_assert_str_eq(json_object_get_string_member(o, "data"), "a2V5,\"x\"");
	ck_assert_str_eq(json_object_get_string_member(o, "format"), "base64");
	g_free(sec);
	g_object_unref(p);
	g_strfreev(v);
	g_array_unref(nics);
}
END_TEST

/* The added arguments parse back; the rest of the domain is untouched. */
static void check_added(const char *in)
{
	struct domxml_nic n = { "52:54:00:99:00:10", "net0", "hostnet0" };
	GArray *nics = g_array_new(FALSE, FALSE, sizeof(struct domxml_nic));
	char **args = (g_array_append_val(nics, n), domxml_filter_args(nics));
	GError *err = NULL;
	struct domxml before, after;
	char *out = domxml_add_qemu_args(in, args, &err);

	ck_assert_ptr_nonnull(out);
	ck_assert(domxml_parse(in, &before, &err));
	ck_assert(domxml_parse(out, &after, &err));
	ck_assert(!before.handoff_args);
	ck_assert(after.handoff_args);
	ck_assert_str_eq(after.name, before.name);
	ck_assert_str_eq(after.uuid, before.uuid);
	ck_assert_uint_eq(after.memory_kib, before.memory_kib);
	ck_assert_uint_eq(after.nics->len, before.nics->len);
	/* one namespace declaration, the filter's JSON survives as a value */
	ck_assert_ptr_eq(strstr(out, "xmlns:qemu"), g_strrstr(out, "xmlns:qemu"));
	ck_assert_ptr_nonnull(strstr(out, "&quot;qom-type&quot;:&quot;filter-migration-handoff&quot;"));
	domxml_clear(&before);
	domxml_clear(&after);
	g_strfreev(args);
	g_array_unref(nics);
	g_free(out);
}

START_TEST(test_add_args_new_ns)
{
	check_added(live_xml);
}
END_TEST

START_TEST(test_add_args_existing_ns)
{
	char *out;

	check_added(inactive_xml);
	/* the arguments that were there stay */
	out = domxml_add_qemu_args(inactive_xml, (char *[]){ "-S", NULL }, NULL);
	ck_assert_ptr_nonnull(strstr(out, "migration.bandwidth-policy=dirty-factor"));
	ck_assert_ptr_nonnull(strstr(out, "value=\"-S\""));
	g_free(out);
}
END_TEST

START_TEST(test_add_args_rejects)
{
	GError *err = NULL;

	ck_assert_ptr_null(domxml_add_qemu_args("<pool/>", (char *[]){ NULL }, &err));
	ck_assert_ptr_nonnull(err);
	g_error_free(err);
}
END_TEST

static Suite *domxml_suite(void)
{
	Suite *s = suite_create("domxml");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_parse_live);
	tcase_add_test(tc, test_parse_inactive);
	tcase_add_test(tc, test_parse_rejects);
	suite_add_tcase(s, tc);
	tc = tcase_create("args");
	tcase_add_test(tc, test_handoff_args);
	tcase_add_test(tc, test_add_args_new_ns);
	tcase_add_test(tc, test_add_args_existing_ns);
	tcase_add_test(tc, test_add_args_rejects);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(domxml_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
