// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_provision - the manager's side of provisioning (manager/
 * provision.c): the admin commands prepare, commit and abort as the admin
 * socket hands them to the hook, their checks, an agent that does not
 * answer (the job runs on the worker and answers later, counted), and
 * what migctl show gets.
 */
#include <check.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "core.h"
#include "internal.h"
#include "provision.h"
#include "topology.h"
#include "vmtable.h"

/* agents on ports nothing listens on: every call fails "unreachable" */
static const char topology[] =
	"[host host-a]\naddresses = 127.0.0.1\ndevice = agent-a\n"
	"[host host-b]\naddresses = 127.0.0.2\ndevice = agent-b\n"
	"[host host-c]\naddresses = 127.0.0.3\n"
	"[device agent-a]\ntype = nftables\nagent = 127.0.0.1:9\n"
	"[device agent-b]\ntype = nftables\nagent = 127.0.0.1:9\n";

static struct mgr_config cfg;
static struct mgr *m;
static struct topo *t;
static struct provision *p;
static char *reply;

static void setup(void)
{
	g_autoptr(GError) err = NULL;
	struct mgr_reg r = { .name = "vm-a", .n_macs = 1, .src_host = "host-a" };

	config_defaults(&cfg);
	memset(cfg.key, 7, 32);
	cfg.key_len = 32;
	g_clear_pointer(&cfg.state_file, g_free);
	cfg.provision_timeout_ms = 500;
	m = mgr_new(&cfg, &err);
	ck_assert_msg(m, "%s", err ? err->message : "");
	t = topo_load_data(topology, &err);
	ck_assert_msg(t, "%s", err ? err->message : "");
	p = provision_new(m, t);
	memset(r.uuid, 0x11, sizeof(r.uuid));
	r.macs[0][0] = 0x52;
	r.macs[0][5] = 0x10;
	ck_assert(mgr_register(m, &r, NULL));
}

static void teardown(void)
{
	provision_free(p);
	topo_free(t);
	mgr_free(m);
	config_clear(&cfg);
	g_clear_pointer(&reply, g_free);
}

static void on_answer(void *ctx, char *r)
{
	(void)ctx;
	g_free(reply);
	reply = r;
}

/* Hand @json to the hook as the admin socket does; wait for the answer. */
static JsonObject *command(JsonParser *jp, const char *json)
{
	g_autoptr(JsonParser) rp = json_parser_new();
	JsonObject *req;
	const char *cmd;
	bool taken = false;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	g_clear_pointer(&reply, g_free);
	ck_assert(json_parser_load_from_data(rp, json, -1, NULL));
	req = json_node_get_object(json_parser_get_root(rp));
	cmd = json_object_get_string_member(req, "cmd");
	for (int i = 0; i < MGR_N_HOOKS; i++)
		if (m->hooks[i].command &&
		    m->hooks[i].command(m->hooks[i].data, m, cmd, req, on_answer, NULL))
			taken = true;
	ck_assert_msg(taken, "no hook took '%s'", cmd);
	while (!reply && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	ck_assert_msg(reply, "no answer to %s", json);
	ck_assert(json_parser_load_from_data(jp, reply, -1, NULL));
	return json_node_get_object(json_parser_get_root(jp));
}

static void expect_error(const char *json, const char *code, const char *text)
{
	g_autoptr(JsonParser) jp = json_parser_new();
	JsonObject *o = command(jp, json);

	ck_assert_msg(!json_object_get_boolean_member(o, "ok"), "%s accepted", json);
	ck_assert_str_eq(json_object_get_string_member(o, "code"), code);
	ck_assert_msg(strstr(json_object_get_string_member(o, "error"), text),
		      "'%s' not in '%s'", text, json_object_get_string_member(o, "error"));
}

START_TEST(test_checks)
{
	expect_error("{\"cmd\":\"prepare\",\"vm\":\"nope\",\"to\":\"host-b\"}", "invalid",
		     "unknown VM");
	expect_error("{\"cmd\":\"prepare\",\"vm\":\"vm-a\"}", "invalid", "--to");
	expect_error("{\"cmd\":\"prepare\",\"vm\":\"vm-a\",\"to\":\"host-x\"}", "invalid",
		     "host-x");
	expect_error("{\"cmd\":\"prepare\",\"vm\":\"vm-a\",\"to\":\"host-a\"}", "invalid",
		     "both source and destination");
	expect_error("{\"cmd\":\"prepare\",\"vm\":\"vm-a\",\"to\":\"host-c\"}", "invalid",
		     "no agent");
	expect_error("{\"cmd\":\"prepare\",\"vm\":\"vm-a\",\"to\":\"host-b\",\"port\":\"a b\"}",
		     "invalid", "interface name");
	expect_error("{\"cmd\":\"commit\",\"vm\":\"vm-a\"}", "invalid", "not prepared");
	expect_error("{\"cmd\":\"abort\",\"vm\":\"vm-a\"}", "invalid", "not prepared");
}
END_TEST

START_TEST(test_unreachable)
{
	g_autoptr(JsonParser) jp = json_parser_new();
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");
	const struct mgr_hooks *h = NULL;
	JsonNode *d;
	JsonObject *o;

	expect_error("{\"cmd\":\"prepare\",\"vm\":\"vm-a\",\"to\":\"host-b\"}", "unreachable",
		     "agent of agent-a");
	ck_assert_uint_eq(m->st.c[CTR_PROVISION_UNREACHABLE], 1);
	ck_assert_uint_eq(vm->c.c[CTR_PROVISION_UNREACHABLE], 1);
	ck_assert_uint_eq(m->st.c[CTR_PROVISION_PREPARED], 0);
	for (int i = 0; i < MGR_N_HOOKS; i++)
		if (m->hooks[i].describe && !g_strcmp0(m->hooks[i].name, "provision"))
			h = &m->hooks[i];
	ck_assert_ptr_nonnull(h);
	d = h->describe(h->data, vm);
	o = json_node_get_object(d);
	ck_assert_str_eq(json_object_get_string_member(o, "state"), "refused");
	ck_assert_str_eq(json_object_get_string_member(o, "to"), "host-b");
	ck_assert_str_eq(json_object_get_string_member(o, "code"), "unreachable");
	json_node_unref(d);
	/* refused: nothing to commit, and a new prepare may be tried */
	expect_error("{\"cmd\":\"commit\",\"vm\":\"vm-a\"}", "invalid", "not prepared");
	expect_error("{\"cmd\":\"prepare\",\"vm\":\"vm-a\",\"to\":\"host-b\",\"from\":\"host-a\"}",
		     "unreachable", "agent-a");
	ck_assert_uint_eq(m->st.c[CTR_PROVISION_UNREACHABLE], 2);
	/* other commands are the admin socket's */
	for (int i = 0; i < MGR_N_HOOKS; i++)
		ck_assert(!m->hooks[i].command ||
			  !m->hooks[i].command(m->hooks[i].data, m, "show", NULL, on_answer, NULL));
	(void)jp;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provision");
	TCase *tc = tcase_create("provision");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_checks);
	tcase_add_test(tc, test_unreachable);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
