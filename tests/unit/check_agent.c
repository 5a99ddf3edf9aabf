// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_agent - mig-agent's parts that need no kernel: its key table
 * against agent/mig-agent.conf and mig-agent.conf(5), the DHCP snooping
 * parser (a DHCPACK and what is not one), the scope of a ticket (an
 * import from another agent keeps only the ticket's VM), and the pure
 * parts of a VM's network policy (policy.h): names, class minors, rates,
 * tc's class and qdisc lines, segment aliases, the nftables document of
 * an apply and the error codes.
 */
#include <check.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "config.h"
#include "ops.h"
#include "policy.h"
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

/* --- policy.h ------------------------------------------------------------------ */

START_TEST(test_policy_vm_name)
{
	g_autofree char *n48 = g_strnfill(48, 'a'), *n49 = g_strnfill(49, 'a');
	static const char *const bad[] = { "", "we b", "a/b", "a,b", "a=b", "caf\xc3\xa9",
					   "a\nb", "x\"y", NULL };
	g_autoptr(GError) err = NULL;

	ck_assert(policy_vm_valid("web1", NULL));
	ck_assert(policy_vm_valid("a.b-c_D9", NULL));
	ck_assert(policy_vm_valid(n48, NULL));
	ck_assert(!policy_vm_valid(n49, &err));
	ck_assert(g_error_matches(err, POLICY_ERROR, POLICY_ERR_INVALID));
	ck_assert_ptr_nonnull(strstr(err->message, "48"));
	ck_assert(!policy_vm_valid(NULL, NULL));
	for (const char *const *b = bad; *b; b++)
		ck_assert_msg(!policy_vm_valid(*b, NULL), "'%s' taken as a VM name", *b);
	ck_assert(policy_mac_valid("52:54:00:AB:cd:10"));
	ck_assert(!policy_mac_valid("52:54:00:ab:cd"));
	ck_assert(!policy_mac_valid("52-54-00-ab-cd-10"));
	ck_assert(!policy_mac_valid("52:54:00:ab:cd:1g"));
	ck_assert(!policy_mac_valid(NULL));
}
END_TEST

START_TEST(test_policy_minor)
{
	/* FNV-1a-32, as tests/e2e/provision.sh computes it in shell */
	ck_assert_uint_eq(policy_class_minor("guest0"), 0x10f9);
	ck_assert_uint_eq(policy_class_minor("web1"), 0xcae0);
	ck_assert_uint_eq(policy_class_minor("a"), 0xd82c);
	ck_assert_uint_eq(policy_class_minor("web1"), policy_class_minor("web1"));
	ck_assert_uint_ne(policy_class_minor("web1"), policy_class_minor("web2"));
	for (int i = 0; i < 5000; i++) {
		g_autofree char *n = g_strdup_printf("vm-%d", i);
		unsigned int m = policy_class_minor(n);

		ck_assert_msg(m >= 0x100 && m <= 0xfeff, "minor %x of %s out of range", m, n);
	}
}
END_TEST

START_TEST(test_policy_rate)
{
	static const char *const good[] = { "2Mbit", "2mbit", "2MBIT", "1.5Gbit", "100kbit",
					    "8bit", "10Kibit", "1tbit", NULL };
	static const char *const bad[] = { "", "2", "Mbit", "2 Mbit", "2Mbps", "2mbps", "1.Mbit",
					   ".5Mbit", "-1Mbit", "0mbit", "7bit", "2Mbit;x", "2Xbit",
					   "1000tbit", NULL };
	uint64_t bits = 0;

	for (const char *const *g = good; *g; g++)
		ck_assert_msg(policy_rate_valid(*g), "'%s' refused", *g);
	for (const char *const *b = bad; *b; b++)
		ck_assert_msg(!policy_rate_valid(*b), "'%s' taken as a rate", *b);
	ck_assert(!policy_rate_valid(NULL));
	ck_assert(policy_rate_bits("2Mbit", &bits));
	ck_assert_uint_eq(bits, 2000000);
	ck_assert(policy_rate_bits("1.5Gbit", &bits));
	ck_assert_uint_eq(bits, 1500000000);
	ck_assert(policy_rate_bits("1kibit", &bits));
	ck_assert_uint_eq(bits, 1024);
}
END_TEST

START_TEST(test_policy_tc_lines)
{
	unsigned int minor = 0;
	char *rate = NULL, *ceil = NULL;
	uint64_t bits = 0;

	ck_assert(policy_parse_class("class htb 1:1a2b root prio 0 rate 2Mbit ceil 2Mbit "
				     "burst 1600b cburst 1600b ", &minor, &rate, &ceil));
	ck_assert_uint_eq(minor, 0x1a2b);
	ck_assert_str_eq(rate, "2Mbit");
	ck_assert_str_eq(ceil, "2Mbit");
	g_clear_pointer(&rate, g_free);
	g_clear_pointer(&ceil, g_free);
	ck_assert(policy_parse_class("class htb 1:10 parent 1:1 prio 0 rate 1Mbit ceil 3Mbit "
				     "burst 1600b cburst 1599b\n", &minor, NULL, &ceil));
	ck_assert_uint_eq(minor, 0x10);
	ck_assert_str_eq(ceil, "3Mbit");
	g_clear_pointer(&ceil, g_free);
	ck_assert(!policy_parse_class("class fq_codel 8001:1 parent 8001: ", &minor, NULL, NULL));
	ck_assert(!policy_parse_class("class htb 2:10 root prio 0 rate 1Mbit ceil 1Mbit", &minor,
				      NULL, NULL));
	ck_assert(!policy_parse_class("class htb 1:zz root rate 1Mbit ceil 1Mbit", &minor, NULL,
				      NULL));
	ck_assert(!policy_parse_class("class htb 1:10 root prio 0 rate 1Mbit", &minor, NULL, NULL));
	ck_assert(!policy_parse_class("", &minor, NULL, NULL));
	ck_assert(policy_parse_qdisc_rate("qdisc tbf 8002: root refcnt 3 rate 32Mbit burst 32Kb "
					  "lat 50ms \n", &bits));
	ck_assert_uint_eq(bits, 32000000);
	ck_assert(!policy_parse_qdisc_rate("qdisc htb 1: root refcnt 2 r2q 10 default 0 "
					   "direct_packets_stat 0 direct_qlen 1000\n", &bits));
	ck_assert(!policy_parse_qdisc_rate("qdisc noqueue 0: root refcnt 2 \n", &bits));
	ck_assert(!policy_parse_qdisc_rate("qdisc tbf 8003: parent 1:1 rate 1Mbit\n", &bits));
}
END_TEST

START_TEST(test_policy_alias)
{
	struct policy_alias a;
	static const char *const two[] = { "web1", "web2", NULL };
	static const char *const one[] = { "web1", NULL };
	g_autofree char *f1 = NULL, *f2 = NULL;

	ck_assert(policy_alias_parse("mig vms=web1,web2 probe=10.99.0.2", &a));
	ck_assert_uint_eq(g_strv_length(a.vms), 2);
	ck_assert_str_eq(a.vms[0], "web1");
	ck_assert_str_eq(a.vms[1], "web2");
	ck_assert_str_eq(a.probe, "10.99.0.2");
	policy_alias_clear(&a);
	ck_assert(policy_alias_parse("mig vms=web1", &a));
	ck_assert_uint_eq(g_strv_length(a.vms), 1);
	ck_assert_ptr_null(a.probe);
	policy_alias_clear(&a);
	ck_assert(policy_alias_parse("mig vms=", &a));
	ck_assert_uint_eq(g_strv_length(a.vms), 0);
	policy_alias_clear(&a);
	ck_assert(!policy_alias_parse("uplink to the tenant", &a));
	policy_alias_clear(&a);
	ck_assert(!policy_alias_parse("mig vms=web1,bad/name", &a));
	policy_alias_clear(&a);
	ck_assert(!policy_alias_parse(NULL, &a));
	ck_assert_ptr_nonnull(a.vms);
	policy_alias_clear(&a);
	f1 = policy_alias_format(two, "10.99.0.2");
	ck_assert_str_eq(f1, "mig vms=web1,web2 probe=10.99.0.2");
	f2 = policy_alias_format(one, NULL);
	ck_assert_str_eq(f2, "mig vms=web1");
	ck_assert(policy_alias_parse(f1, &a));
	ck_assert(g_strv_equal((const char *const *)a.vms, two));
	policy_alias_clear(&a);
}
END_TEST

/* The command @i of an nft JSON document: its verb's object's @kind. */
static JsonObject *nft_cmd_at(JsonNode *doc, unsigned int i, const char *verb, const char *kind)
{
	JsonArray *cmds = json_object_get_array_member(json_node_get_object(doc), "nftables");
	JsonObject *c = json_array_get_object_element(cmds, i);

	ck_assert_msg(json_object_has_member(c, verb), "command %u is not %s", i, verb);
	c = json_object_get_object_member(c, verb);
	ck_assert_msg(json_object_has_member(c, kind), "command %u is not %s %s", i, verb, kind);
	return json_object_get_object_member(c, kind);
}

START_TEST(test_policy_nft_doc)
{
	g_autoptr(JsonNode) acl = json_from_string(
		"[{\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": "
		"{\"protocol\": \"udp\", \"field\": \"dport\"}}, \"right\": 7777}},"
		" {\"counter\": {\"packets\": 5, \"bytes\": 300}}, {\"accept\": null}]},"
		" {\"expr\": [{\"drop\": null}], \"comment\": \"the rest\"}]", NULL);
	g_autoptr(JsonNode) doc = NULL, nojump = NULL;
	JsonArray *rules = json_node_get_array(acl);
	JsonObject *o;
	JsonArray *cmds;

	ck_assert(policy_acl_valid(acl, 10, NULL));
	doc = policy_nft_apply_doc("mig_policy", "web1", rules, true);
	cmds = json_object_get_array_member(json_node_get_object(doc), "nftables");
	ck_assert_uint_eq(json_array_get_length(cmds), 6);
	o = nft_cmd_at(doc, 0, "add", "table");
	ck_assert_str_eq(json_object_get_string_member(o, "family"), "bridge");
	ck_assert_str_eq(json_object_get_string_member(o, "name"), "mig_policy");
	o = nft_cmd_at(doc, 1, "add", "chain");
	ck_assert_str_eq(json_object_get_string_member(o, "table"), "mig_policy");
	ck_assert_str_eq(json_object_get_string_member(o, "name"), "forward");
	ck_assert_str_eq(json_object_get_string_member(o, "hook"), "forward");
	ck_assert_str_eq(json_object_get_string_member(o, "type"), "filter");
	ck_assert_int_eq(json_object_get_int_member(o, "prio"), 0);
	ck_assert_str_eq(json_object_get_string_member(o, "policy"), "accept");
	o = nft_cmd_at(doc, 2, "add", "chain");
	ck_assert_str_eq(json_object_get_string_member(o, "name"), "vm_web1");
	ck_assert(!json_object_has_member(o, "hook"));
	for (unsigned int i = 0; i < 2; i++) {
		JsonObject *in = json_array_get_object_element(rules, i);

		o = nft_cmd_at(doc, 3 + i, "add", "rule");
		ck_assert_str_eq(json_object_get_string_member(o, "family"), "bridge");
		ck_assert_str_eq(json_object_get_string_member(o, "table"), "mig_policy");
		ck_assert_str_eq(json_object_get_string_member(o, "chain"), "vm_web1");
		ck_assert(json_node_equal(json_object_get_member(o, "expr"),
					  json_object_get_member(in, "expr")));
		ck_assert(!json_object_has_member(o, "handle"));
	}
	ck_assert(!json_object_has_member(nft_cmd_at(doc, 3, "add", "rule"), "comment"));
	ck_assert_str_eq(json_object_get_string_member(nft_cmd_at(doc, 4, "add", "rule"),
						       "comment"), "the rest");
	o = nft_cmd_at(doc, 5, "add", "rule");
	ck_assert_str_eq(json_object_get_string_member(o, "chain"), "forward");
	ck_assert_str_eq(json_object_get_string_member(o, "comment"), "mig-vm web1");
	ck_assert_str_eq(json_object_get_string_member(
		json_object_get_object_member(
			json_array_get_object_element(json_object_get_array_member(o, "expr"), 0),
			"jump"), "target"), "vm_web1");
	/* the jump is there already: not twice */
	nojump = policy_nft_apply_doc("t2", "web1", rules, false);
	cmds = json_object_get_array_member(json_node_get_object(nojump), "nftables");
	ck_assert_uint_eq(json_array_get_length(cmds), 5);
	ck_assert_str_eq(json_object_get_string_member(nft_cmd_at(nojump, 4, "add", "rule"),
						       "chain"), "vm_web1");
}
END_TEST

START_TEST(test_policy_acl_valid)
{
	static const char *const bad[] = {
		"{}", "[1]", "[{}]", "[{\"expr\": {}}]", "[{\"expr\": []}]",
		"[{\"expr\": [{\"drop\": null}], \"comment\": 7}]",
		"[{\"expr\": [{\"jump\": {\"target\": \"vm_other\"}}]}]",
		"[{\"expr\": [{\"goto\": {\"target\": \"forward\"}}]}]", NULL,
	};
	g_autoptr(JsonNode) two = json_from_string("[{\"expr\": [{\"accept\": null}]},"
						   " {\"expr\": [{\"drop\": null}]}]", NULL);
	g_autoptr(GError) err = NULL;

	ck_assert(policy_acl_valid(NULL, 1, NULL));
	ck_assert(policy_acl_valid(two, 2, NULL));
	ck_assert(!policy_acl_valid(two, 1, &err));
	ck_assert(g_error_matches(err, POLICY_ERROR, POLICY_ERR_INVALID));
	ck_assert_ptr_nonnull(strstr(err->message, "max-rules"));
	for (const char *const *b = bad; *b; b++) {
		g_autoptr(JsonNode) n = json_from_string(*b, NULL);

		ck_assert_msg(!policy_acl_valid(n, 10, NULL), "acl %s taken", *b);
	}
}
END_TEST

START_TEST(test_policy_error_codes)
{
	static const struct {
		enum policy_error e;
		const char *code;
	} map[] = {
		{ POLICY_ERR_INVALID, "invalid" }, { POLICY_ERR_CONFLICT, "conflict" },
		{ POLICY_ERR_BANDWIDTH, "bandwidth" }, { POLICY_ERR_PROBE, "probe" },
		{ POLICY_ERR_SYSTEM, "system" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
		g_autoptr(GError) e = g_error_new_literal(POLICY_ERROR, map[i].e, "x");

		ck_assert_str_eq(policy_error_code(e), map[i].code);
	}
	{
		g_autoptr(GError) e = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "x");

		ck_assert_str_eq(policy_error_code(e), "system");
	}
}
END_TEST

/* The address check's refusals that need no kernel table (the rest is
 * tests/e2e/segments.sh): a clear code for each. */
START_TEST(test_address_refusals)
{
	struct agent_config c;
	struct agent *a;
	char *r;

	agent_config_defaults(&c);
	a = agent_new(&c);
	r = agent_handle(a, "manager", "{\"op\": \"address\", \"vm\": \"web1\"}");
	ck_assert_ptr_nonnull(strstr(r, "\"code\":\"invalid\""));
	ck_assert_ptr_nonnull(strstr(r, "needs macs"));
	g_free(r);
	/* a wanted address, no bridge to probe it on (snoop= empty) */
	r = agent_handle(a, "manager", "{\"op\": \"address\", \"vm\": \"web1\", "
			 "\"macs\": [\"52:54:00:00:00:01\"], \"want\": \"10.99.2.10\"}");
	ck_assert_ptr_nonnull(strstr(r, "\"code\":\"no-bridge\""));
	g_free(r);
	/* another agent (a ticket) may not ask */
	r = agent_handle(a, "ticket:x", "{\"op\": \"address\", \"vm\": \"web1\", "
			 "\"macs\": [\"52:54:00:00:00:01\"], \"want\": \"10.99.2.10\"}");
	ck_assert_ptr_nonnull(strstr(r, "not allowed"));
	g_free(r);
	/* IPv6: a bridge without a global /64 (lo has ::1/128) has no SLAAC
	 * address to offer */
	g_free(c.snoop);
	c.snoop = g_strdup("lo");
	r = agent_handle(a, "manager", "{\"op\": \"address\", \"vm\": \"web1\", "
			 "\"macs\": [\"52:54:00:00:00:01\"], \"old\": [\"fd99:1::5054:ff:fe00:1\"]}");
	ck_assert_ptr_nonnull(strstr(r, "\"code\":\"no-prefix\""));
	g_free(r);
	agent_free(a);
	agent_config_clear(&c);
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
	tcase_add_test(tc, test_policy_vm_name);
	tcase_add_test(tc, test_policy_minor);
	tcase_add_test(tc, test_policy_rate);
	tcase_add_test(tc, test_policy_tc_lines);
	tcase_add_test(tc, test_policy_alias);
	tcase_add_test(tc, test_policy_nft_doc);
	tcase_add_test(tc, test_policy_acl_valid);
	tcase_add_test(tc, test_policy_error_codes);
	tcase_add_test(tc, test_address_refusals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
