// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_agent - mig-agent's parts that need no kernel: its key table
 * against agent/mig-agent.conf and mig-agent.conf(5), the DHCP snooping
 * parser (a DHCPACK and what is not one), and the scope of a ticket (an
 * import from another agent keeps only the ticket's VM).
 */
#include <check.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "scope.h"
#include "snoop.h"

static char *read_top(const char *rel)
{
	g_autofree char *path = g_build_filename(TOP, rel, NULL);
	char *text = NULL;

	ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
	return text;
}

START_TEST(test_example_is_the_table)
{
	g_autofree char *shipped = read_top("agent/mig-agent.conf");
	g_autofree char *made = agent_config_example();

	ck_assert_msg(!strcmp(shipped, made),
		      "agent/mig-agent.conf differs from the table; regenerate it with "
		      "'build/bin/mig-agent --print-config > agent/mig-agent.conf'");
}
END_TEST

START_TEST(test_man_page_names_every_key)
{
	g_autofree char *man = read_top("docs/man/mig-agent.conf.5");

	for (const char *const *k = agent_config_key_names(); *k; k++) {
		g_auto(GStrv) parts = g_strsplit(*k, "-", -1);
		g_autofree char *esc = g_strjoinv("\\-", parts);
		g_autofree char *want = g_strdup_printf(".BR %s=", esc);

		ck_assert_msg(strstr(man, want), "mig-agent.conf(5) does not document '%s'", *k);
	}
}
END_TEST

/* A DHCPACK of 52:54:00:99:00:10 -> 10.99.0.10, lease 3600 s. */
static size_t make_ack(uint8_t *f, uint8_t type)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *d = udp + 8;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x99, 0x00, 0x10 };
	size_t i = 240;

	memset(f, 0, 600);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[9] = 17;
	udp[1] = 67;
	udp[3] = 68;
	d[0] = 2;
	d[1] = 1;
	d[2] = 6;
	d[16] = 10; d[17] = 99; d[18] = 0; d[19] = 10;
	memcpy(d + 28, mac, 6);
	d[236] = 0x63; d[237] = 0x82; d[238] = 0x53; d[239] = 0x63;
	d[i++] = 53; d[i++] = 1; d[i++] = type;
	d[i++] = 51; d[i++] = 4; d[i++] = 0; d[i++] = 0; d[i++] = 0x0e; d[i++] = 0x10;
	d[i++] = 255;
	return 14 + 20 + 8 + i;
}

START_TEST(test_snoop_parse)
{
	uint8_t f[600];
	struct snoop_ack ack;
	size_t len = make_ack(f, 5);

	ck_assert(snoop_parse(f, len, &ack));
	ck_assert_str_eq(ack.mac, "52:54:00:99:00:10");
	ck_assert_str_eq(ack.ip, "10.99.0.10");
	ck_assert_uint_eq(ack.lease_s, 3600);
	len = make_ack(f, 2); /* an OFFER */
	ck_assert(!snoop_parse(f, len, &ack));
	len = make_ack(f, 5);
	ck_assert(!snoop_parse(f, 100, &ack)); /* truncated */
	f[14 + 20 + 1] = 68; /* not from the server port */
	ck_assert(!snoop_parse(f, len, &ack));
	len = make_ack(f, 5);
	f[14 + 28 + 240 + 1] = 200; /* an option longer than the frame */
	ck_assert(!snoop_parse(f, len, &ack));
}
END_TEST

static JsonObject *parse(const char *text)
{
	JsonNode *n = json_from_string(text, NULL);
	JsonObject *o;

	ck_assert_ptr_nonnull(n);
	o = json_object_ref(json_node_get_object(n));
	json_node_unref(n);
	return o;
}

START_TEST(test_scope)
{
	static const char *const macs[] = { "52:54:00:99:00:10", NULL };
	static const char *const none[] = { NULL };
	JsonObject *s = parse(
		"{\"ips\": [\"10.99.0.10\", \"10.99.0.50\"],"
		" \"bindings\": [{\"mac\": \"52:54:00:99:00:10\", \"ip\": \"10.99.0.10\"},"
		"               {\"mac\": \"52:54:00:99:00:50\", \"ip\": \"10.99.0.50\"}],"
		" \"conntrack\": [{\"src\": \"10.99.0.10\", \"dst\": \"10.96.0.2\"},"
		"                {\"src\": \"10.96.0.2\", \"dst\": \"10.99.0.10\"},"
		"                {\"src\": \"10.99.0.50\", \"dst\": \"10.96.0.2\"}],"
		" \"counters\": [{\"ip\": \"10.99.0.10\"}, {\"ip\": \"10.99.0.50\"}]}");

	/* another VM's binding, connection and counter go; the ips too */
	ck_assert_uint_eq(scope_state(s, macs, none), 3);
	ck_assert_uint_eq(json_array_get_length(json_object_get_array_member(s, "bindings")), 1);
	ck_assert_uint_eq(json_array_get_length(json_object_get_array_member(s, "conntrack")), 2);
	ck_assert_uint_eq(json_array_get_length(json_object_get_array_member(s, "counters")), 1);
	ck_assert_uint_eq(json_array_get_length(json_object_get_array_member(s, "ips")), 1);
	ck_assert_str_eq(json_array_get_string_element(json_object_get_array_member(s, "ips"), 0),
			 "10.99.0.10");
	/* a state of nothing but members the agent ignores is left as it is */
	ck_assert_uint_eq(scope_state(s, macs, none), 0);
	json_object_unref(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("agent");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_example_is_the_table);
	tcase_add_test(tc, test_man_page_names_every_key);
	tcase_add_test(tc, test_snoop_parse);
	tcase_add_test(tc, test_scope);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
