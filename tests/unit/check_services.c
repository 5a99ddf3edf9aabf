// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_services - the services' inventory (manager/inventory.c) and the
 * part that makes them follow their VM (manager/services.c): the table's
 * checks, the admin commands as the admin socket hands them to the hook,
 * the batch and single moves on ACTIVATED, a DNS server that does not
 * answer (retried with backoff, counted, shown in the row), and, against
 * a real knotd (knotd.h; required: without it the "dns" case fails), the
 * names that follow: an added service, a batch and a single move, a
 * server that is down and comes back, a wrong TSIG key (not retried) and
 * an IPv6 VM (AAAA).
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "core.h"
#include "dnsupdate.h"
#include "internal.h"
#include "inventory.h"
#include "knotd.h"
#include "services.h"
#include "vmtable.h"

static struct mgr_config cfg;
static struct mgr *m;
static struct services *sv;
static char *dir;
static char *reply;
/* the knotd of the "dns" case (its unchecked fixture's) */
static struct knotd *kd;

/* The core and the services part for cfg, and VM vm-a registered. */
static void open_manager(void)
{
	g_autoptr(GError) err = NULL;
	struct mgr_reg r = { .name = "vm-a", .n_macs = 1 };

	m = mgr_new(&cfg, &err);
	ck_assert_msg(m, "%s", err ? err->message : "");
	sv = services_new(m, &err);
	ck_assert_msg(sv, "%s", err ? err->message : "");
	memset(r.uuid, 0x22, sizeof(r.uuid));
	r.macs[0][0] = 0x52;
	r.macs[0][5] = 0x20;
	ck_assert(addr_parse_host("10.96.1.20", &r.ip));
	ck_assert(addr_parse_host("10.96.2.20", &r.new_ip));
	ck_assert_msg(mgr_register(m, &r, &err), "%s", err ? err->message : "");
}

/* cfg: the defaults, a key, no state file, the inventory in a new dir. */
static void base_config(void)
{
	config_defaults(&cfg);
	memset(cfg.key, 7, 32);
	cfg.key_len = 32;
	g_clear_pointer(&cfg.state_file, g_free);
	dir = g_dir_make_tmp("check-services-XXXXXX", NULL);
	ck_assert_ptr_nonnull(dir);
	cfg.inventory = g_build_filename(dir, "inventory.db", NULL);
}

static void start(bool dns)
{
	base_config();
	if (dns) {
		/* a port nothing listens on: every update is "unreachable" */
		ck_assert(addr_parse("127.0.0.1:9", &cfg.dns_server));
		g_free(cfg.dns_zone);
		cfg.dns_zone = g_strdup("lab.test.");
		cfg.dns_timeout_ms = 100;
		cfg.dns_retry_max_ms = 200;
		cfg.dns_give_up_s = 1;
	}
	open_manager();
}

static void setup_plain(void)
{
	start(false);
}

static void setup_dns(void)
{
	start(true);
}

/* The "dns" case: updates to the knotd, signed with the good key. */
static void setup_knot(void)
{
	g_autofree char *server = NULL;

	knotd_ensure(kd);	/* a test before may have stopped it */
	base_config();
	server = g_strdup_printf("127.0.0.1:%u", kd->port);
	ck_assert(addr_parse(server, &cfg.dns_server));
	g_free(cfg.dns_zone);
	cfg.dns_zone = g_strdup(KNOTD_ZONE);
	g_free(cfg.dns_key_file);
	cfg.dns_key_file = knotd_key_file(kd, KNOTD_KEY_YAML);
	/* knotd answers an update when its event scheduler, which counts in
	 * seconds, gets to it: up to about 1 s late */
	cfg.dns_timeout_ms = 2000;
	cfg.dns_retry_max_ms = 400;
	cfg.dns_give_up_s = 30;
	open_manager();
}

static void knot_start(void)
{
	kd = knotd_start();
}

static void knot_teardown(void)
{
	g_clear_pointer(&kd, knotd_free);
}

static void teardown(void)
{
	g_autofree char *db = g_strdup(cfg.inventory);

	services_free(sv);
	mgr_free(m);
	config_clear(&cfg);
	g_unlink(db);
	g_rmdir(dir);
	g_clear_pointer(&dir, g_free);
	g_clear_pointer(&reply, g_free);
}

static void on_answer(void *ctx, char *r)
{
	(void)ctx;
	g_free(reply);
	reply = r;
}

/* Hand @json to the hooks as the admin socket does; parse the answer. */
static JsonObject *command(JsonParser *jp, const char *json)
{
	g_autoptr(JsonParser) rp = json_parser_new();
	JsonObject *req;
	bool taken = false;

	g_clear_pointer(&reply, g_free);
	ck_assert(json_parser_load_from_data(rp, json, -1, NULL));
	req = json_node_get_object(json_parser_get_root(rp));
	for (int i = 0; i < MGR_N_HOOKS; i++)
		if (m->hooks[i].command &&
		    m->hooks[i].command(m->hooks[i].data, m,
					json_object_get_string_member(req, "cmd"), req,
					on_answer, NULL))
			taken = true;
	ck_assert_msg(taken && reply, "no answer to %s", json);
	ck_assert(json_parser_load_from_data(jp, reply, -1, NULL));
	return json_node_get_object(json_parser_get_root(jp));
}

static void expect_ok(const char *json)
{
	g_autoptr(JsonParser) jp = json_parser_new();
	JsonObject *o = command(jp, json);

	ck_assert_msg(json_object_get_boolean_member(o, "ok"), "%s: %s", json, reply);
}

static void expect_error(const char *json, const char *text)
{
	g_autoptr(JsonParser) jp = json_parser_new();
	JsonObject *o = command(jp, json);

	ck_assert_msg(!json_object_get_boolean_member(o, "ok"), "%s accepted", json);
	ck_assert_msg(strstr(json_object_get_string_member(o, "error"), text),
		      "'%s' not in '%s'", text, json_object_get_string_member(o, "error"));
}

/* The row of service @id, from the table itself. */
static struct inv_service *row(const char *id)
{
	g_autoptr(GError) err = NULL;
	struct inventory *inv = inventory_open(cfg.inventory, &err);
	struct inv_service *s;

	ck_assert_msg(inv, "%s", err ? err->message : "");
	s = inventory_get(inv, id, &err);
	ck_assert_msg(s, "%s", err ? err->message : "");
	inventory_close(inv);
	return s;
}

static void add_three(void)
{
	expect_ok("{\"cmd\":\"service-add\",\"id\":\"web\",\"name\":\"web.lab.test.\","
		  "\"vm\":\"vm-a\"}");
	expect_ok("{\"cmd\":\"service-add\",\"id\":\"api\",\"name\":\"api\",\"vm\":\"vm-a\"}");
	expect_ok("{\"cmd\":\"service-add\",\"id\":\"db\",\"name\":\"db.lab.test.\","
		  "\"vm\":\"vm-a\",\"address\":\"10.96.1.21\"}");
}

START_TEST(test_table)
{
	g_autoptr(GError) err = NULL;
	struct inventory *inv = inventory_open(cfg.inventory, &err);
	g_autoptr(GPtrArray) all = NULL;
	struct inv_service *s;

	ck_assert_msg(inv, "%s", err ? err->message : "");
	ck_assert(inventory_add(inv, "s1", "s1.lab.test.", "vm-a", "10.0.0.1", NULL));
	ck_assert(inventory_add(inv, "s2", "s2", "vm-b", "fd00::2", NULL));
	ck_assert(!inventory_add(inv, "s1", "other.lab.test.", "vm-a", "10.0.0.1", &err));
	ck_assert_msg(strstr(err->message, "taken"), "%s", err->message);
	g_clear_error(&err);
	ck_assert(!inventory_add(inv, "s3", "s1.lab.test.", "vm-a", "10.0.0.1", &err));
	g_clear_error(&err);
	ck_assert(!inventory_add(inv, "bad id", "x.lab.test.", "vm-a", "10.0.0.1", &err));
	ck_assert_msg(strstr(err->message, "service id"), "%s", err->message);
	g_clear_error(&err);
	ck_assert(!inventory_add(inv, "s4", "x..test", "vm-a", "10.0.0.1", &err));
	ck_assert_msg(strstr(err->message, "domain name"), "%s", err->message);
	g_clear_error(&err);
	ck_assert(!inventory_add(inv, "s4", "x.test", "vm-a", "10.0.0.300", &err));
	ck_assert_msg(strstr(err->message, "address"), "%s", err->message);
	g_clear_error(&err);
	ck_assert(!inventory_add(inv, "s4", "x.test", "", "10.0.0.3", &err));
	g_clear_error(&err);

	all = inventory_list(inv, NULL, NULL);
	ck_assert_uint_eq(all->len, 2);
	g_ptr_array_unref(g_steal_pointer(&all));
	all = inventory_list(inv, "vm-b", NULL);
	ck_assert_uint_eq(all->len, 1);
	ck_assert_str_eq(((struct inv_service *)all->pdata[0])->address, "fd00::2");

	ck_assert(inventory_set(inv, "s1", "10.0.1.1", NULL, "current", "", NULL));
	s = inventory_get(inv, "s1", NULL);
	ck_assert_str_eq(s->address, "10.0.1.1");
	ck_assert_str_eq(s->state, "live");
	ck_assert_str_eq(s->dns, "current");
	ck_assert_int_gt(s->updated, 0);
	inv_service_free(s);
	ck_assert(!inventory_set(inv, "s1", "nope", NULL, NULL, NULL, &err));
	g_clear_error(&err);
	ck_assert(!inventory_set(inv, "s9", NULL, NULL, "current", NULL, &err));
	ck_assert_msg(strstr(err->message, "no service"), "%s", err->message);
	g_clear_error(&err);
	ck_assert(inventory_remove(inv, "s2", NULL));
	ck_assert(!inventory_remove(inv, "s2", &err));
	g_clear_error(&err);
	ck_assert_ptr_null(inventory_get(inv, "s2", &err));
	g_clear_error(&err);
	inventory_close(inv);

	/* it is a file: a second open sees the rows */
	inv = inventory_open(cfg.inventory, NULL);
	s = inventory_get(inv, "s1", NULL);
	ck_assert_ptr_nonnull(s);
	inv_service_free(s);
	inventory_close(inv);
	ck_assert_ptr_null(inventory_open("/nonexistent/dir/inv.db", &err));
	ck_assert_msg(strstr(err->message, "/nonexistent/dir/inv.db"), "%s", err->message);
}
END_TEST

START_TEST(test_commands)
{
	g_autoptr(JsonParser) jp = json_parser_new();
	JsonObject *o;
	JsonArray *a;
	struct inv_service *s;

	add_three();
	s = row("web");
	ck_assert_str_eq(s->address, "10.96.1.20"); /* the VM's registered --ip */
	ck_assert_str_eq(s->dns, "off");            /* no dns-server */
	inv_service_free(s);
	expect_error("{\"cmd\":\"service-add\",\"id\":\"web\",\"name\":\"w2.lab.test.\","
		     "\"vm\":\"vm-a\"}", "taken");
	expect_error("{\"cmd\":\"service-add\",\"id\":\"x\",\"name\":\"x.lab.test.\","
		     "\"vm\":\"nope\"}", "not registered");
	expect_error("{\"cmd\":\"service-remove\",\"id\":\"nope\"}", "no service");
	expect_error("{\"cmd\":\"service-scope\",\"vm\":\"vm-a\",\"services\":[\"nope\"]}",
		     "no service");
	expect_error("{\"cmd\":\"service-scope\"}", "no VM");

	o = command(jp, "{\"cmd\":\"services\",\"vm\":\"vm-a\"}");
	ck_assert(json_object_get_boolean_member(o, "ok"));
	a = json_object_get_array_member(o, "result");
	ck_assert_uint_eq(json_array_get_length(a), 3);
	ck_assert_str_eq(json_object_get_string_member(json_array_get_object_element(a, 0),
						       "id"), "api");
	expect_ok("{\"cmd\":\"service-remove\",\"id\":\"api\"}");
	o = command(jp, "{\"cmd\":\"services\"}");
	ck_assert_uint_eq(json_array_get_length(json_object_get_array_member(o, "result")), 2);
	/* the other commands are the admin socket's */
	for (int i = 0; i < MGR_N_HOOKS; i++)
		ck_assert(!m->hooks[i].command ||
			  !m->hooks[i].command(m->hooks[i].data, m, "show", NULL, on_answer, NULL));
}
END_TEST

/* Batch: every service of the VM gets its new address on ACTIVATED. */
START_TEST(test_batch)
{
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");
	const char *ids[] = { "web", "api", "db" };

	add_three();
	mgr_hook(m, vm, MGR_EV_SUSPENDED);
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		struct inv_service *s = row(ids[i]);

		ck_assert_str_ne(s->address, "10.96.2.20"); /* nothing before ACTIVATED */
		inv_service_free(s);
	}
	mgr_activated(m, vm);
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		struct inv_service *s = row(ids[i]);

		ck_assert_str_eq(s->address, "10.96.2.20");
		ck_assert_str_eq(s->state, "live");
		inv_service_free(s);
	}
	ck_assert_uint_eq(m->st.c[CTR_SERVICE_MOVED], 3);
	ck_assert_uint_eq(vm->c.c[CTR_SERVICE_MOVED], 3);
	/* a second ACTIVATED with the same address changes nothing */
	mgr_activated(m, vm);
	ck_assert_uint_eq(m->st.c[CTR_SERVICE_MOVED], 3);
}
END_TEST

/* Single: only the scoped service follows; the scope is reset after. */
START_TEST(test_single)
{
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");
	struct inv_service *s;

	add_three();
	expect_ok("{\"cmd\":\"service-scope\",\"vm\":\"vm-a\",\"services\":[\"api\"]}");
	mgr_activated(m, vm);
	s = row("api");
	ck_assert_str_eq(s->address, "10.96.2.20");
	inv_service_free(s);
	s = row("web");
	ck_assert_str_eq(s->address, "10.96.1.20");
	inv_service_free(s);
	s = row("db");
	ck_assert_str_eq(s->address, "10.96.1.21");
	inv_service_free(s);
	ck_assert_uint_eq(m->st.c[CTR_SERVICE_MOVED], 1);
	/* the next move is a batch again */
	mgr_activated(m, vm);
	s = row("web");
	ck_assert_str_eq(s->address, "10.96.2.20");
	inv_service_free(s);
	ck_assert_uint_eq(m->st.c[CTR_SERVICE_MOVED], 3);
	/* an aborted move forgets its scope */
	expect_ok("{\"cmd\":\"service-scope\",\"vm\":\"vm-a\",\"services\":[\"web\"]}");
	mgr_hook(m, vm, MGR_EV_ABORTED);
	expect_ok("{\"cmd\":\"service-scope\",\"vm\":\"vm-a\"}");
}
END_TEST

/* Run the main loop until @done or @ms passed. */
static void spin(bool (*done)(void), int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (!done() && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
}

static bool gave_up(void)
{
	return m->st.c[CTR_DNS_GAVE_UP] > 0;
}

/* A DNS server that never answers: retried with backoff, then given up. */
START_TEST(test_dns_down)
{
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");
	g_autoptr(JsonParser) jp = json_parser_new();
	struct inv_service *s;
	JsonObject *o;
	gint64 t0 = g_get_monotonic_time();

	expect_ok("{\"cmd\":\"service-add\",\"id\":\"web\",\"name\":\"web.lab.test.\","
		  "\"vm\":\"vm-a\"}");
	spin(gave_up, 5000);
	ck_assert_uint_eq(m->st.c[CTR_DNS_GAVE_UP], 1);
	ck_assert_uint_eq(vm->c.c[CTR_DNS_GAVE_UP], 1);
	/* tries after 0.5 s, then 200 ms (dns-retry-max-ms) until 1 s passed */
	ck_assert_uint_ge(m->st.c[CTR_DNS_RETRIED], 2);
	ck_assert_uint_le(m->st.c[CTR_DNS_RETRIED], 8);
	ck_assert_int_ge(g_get_monotonic_time() - t0, 1000 * 1000);
	ck_assert_uint_eq(m->st.c[CTR_DNS_UPDATED], 0);
	s = row("web");
	ck_assert_str_eq(s->dns, "failed");
	ck_assert_msg(*s->error, "no error in the row");
	inv_service_free(s);
	o = command(jp, "{\"cmd\":\"services\",\"vm\":\"vm-a\"}");
	ck_assert_str_eq(json_object_get_string_member(
				 json_array_get_object_element(
					 json_object_get_array_member(o, "result"), 0), "dns"),
			 "failed");
	/* the move still updates the table */
	mgr_activated(m, vm);
	s = row("web");
	ck_assert_str_eq(s->address, "10.96.2.20");
	ck_assert_str_eq(s->dns, "pending");
	inv_service_free(s);
}
END_TEST

/* --- against a real knotd ------------------------------------------------ */

/* Run the main loop until counter @c reaches @n or @ms passed; whether it did. */
static bool spin_count(enum mig_counter c, uint64_t n, int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	while (m->st.c[c] < n && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(2000);
	return m->st.c[c] >= n;
}

static bool never(void)
{
	return false;
}

/* Wait for @n DNS updates done (the test fails after 5 s). */
static void wait_updated(uint64_t n)
{
	ck_assert_msg(spin_count(CTR_DNS_UPDATED, n, 5000),
		      "%" G_GUINT64_FORMAT " DNS updates done, not %" G_GUINT64_FORMAT
		      " (retried %" G_GUINT64_FORMAT ", auth-failed %" G_GUINT64_FORMAT
		      ", refused %" G_GUINT64_FORMAT ")", m->st.c[CTR_DNS_UPDATED], n,
		      m->st.c[CTR_DNS_RETRIED], m->st.c[CTR_DNS_AUTH_FAILED],
		      m->st.c[CTR_DNS_REFUSED]);
}

/* knotd answers exactly @want ("ADDR/TTL ...", "" for none) for @name. */
static void expect_records(const char *name, ldns_rr_type type, const char *want)
{
	g_autofree char *got = knotd_records(kd, name, type);

	ck_assert_msg(!strcmp(got, want), "%s %s: '%s', not '%s'", name,
		      type == LDNS_RR_TYPE_A ? "A" : type == LDNS_RR_TYPE_AAAA ? "AAAA" : "?",
		      got, want);
}

/* The row of @id has @address and DNS state @dns. */
static void expect_row(const char *id, const char *address, const char *dns)
{
	struct inv_service *s = row(id);

	ck_assert_msg(!strcmp(s->address, address) && !strcmp(s->dns, dns),
		      "service %s: %s, DNS %s (%s); not %s, DNS %s", id, s->address, s->dns,
		      s->error, address, dns);
	inv_service_free(s);
}

/* The service @id as the services command lists it (in @jp). */
static JsonObject *listed(JsonParser *jp, const char *id)
{
	JsonObject *o = command(jp, "{\"cmd\":\"services\"}");
	JsonArray *a;

	ck_assert_msg(json_object_get_boolean_member(o, "ok"), "%s", reply);
	a = json_object_get_array_member(o, "result");
	for (unsigned int i = 0; i < json_array_get_length(a); i++) {
		JsonObject *e = json_array_get_object_element(a, i);

		if (!strcmp(json_object_get_string_member(e, "id"), id))
			return e;
	}
	ck_abort_msg("service %s not listed: %s", id, reply);
	return NULL;
}

/* service-add: the name points at the VM's address. */
START_TEST(test_knot_add)
{
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");

	expect_ok("{\"cmd\":\"service-add\",\"id\":\"web\",\"name\":\"web.lab.test.\","
		  "\"vm\":\"vm-a\"}");
	wait_updated(1);
	expect_records("web." KNOTD_ZONE, LDNS_RR_TYPE_A, "10.96.1.20/60");
	expect_records("web." KNOTD_ZONE, LDNS_RR_TYPE_AAAA, "");
	expect_row("web", "10.96.1.20", "current");
	ck_assert_uint_eq(m->st.c[CTR_DNS_UPDATED], 1);
	ck_assert_uint_eq(vm->c.c[CTR_DNS_UPDATED], 1);
	ck_assert_uint_eq(m->st.c[CTR_DNS_RETRIED], 0);
}
END_TEST

/* Batch: ACTIVATED points every name of the VM at its new address. */
START_TEST(test_knot_batch)
{
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");
	const char *ids[] = { "web", "api", "db" };
	const char *names[] = { "web." KNOTD_ZONE, "api." KNOTD_ZONE, "db." KNOTD_ZONE };

	add_three();
	wait_updated(3);
	expect_records(names[0], LDNS_RR_TYPE_A, "10.96.1.20/60");
	expect_records(names[1], LDNS_RR_TYPE_A, "10.96.1.20/60"); /* "api", relative */
	expect_records(names[2], LDNS_RR_TYPE_A, "10.96.1.21/60");
	mgr_activated(m, vm);
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
		expect_row(ids[i], "10.96.2.20", "pending"); /* at once, DNS on the worker */
	wait_updated(6);
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		expect_records(names[i], LDNS_RR_TYPE_A, "10.96.2.20/60"); /* the old one gone */
		expect_records(names[i], LDNS_RR_TYPE_AAAA, "");
		expect_row(ids[i], "10.96.2.20", "current");
	}
	ck_assert_uint_eq(m->st.c[CTR_SERVICE_MOVED], 3);
	ck_assert_uint_eq(vm->c.c[CTR_SERVICE_MOVED], 3);
	ck_assert_uint_eq(vm->c.c[CTR_DNS_UPDATED], 6);
	ck_assert_uint_eq(m->st.c[CTR_DNS_RETRIED], 0);
}
END_TEST

/* Single: only the scoped service's name changes. */
START_TEST(test_knot_single)
{
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");

	add_three();
	wait_updated(3);
	expect_ok("{\"cmd\":\"service-scope\",\"vm\":\"vm-a\",\"services\":[\"api\"]}");
	mgr_activated(m, vm);
	wait_updated(4);
	spin(never, 300); /* no other update comes */
	ck_assert_uint_eq(m->st.c[CTR_DNS_UPDATED], 4);
	ck_assert_uint_eq(m->st.c[CTR_SERVICE_MOVED], 1);
	expect_records("api." KNOTD_ZONE, LDNS_RR_TYPE_A, "10.96.2.20/60");
	expect_row("api", "10.96.2.20", "current");
	expect_records("web." KNOTD_ZONE, LDNS_RR_TYPE_A, "10.96.1.20/60");
	expect_row("web", "10.96.1.20", "current");
	expect_records("db." KNOTD_ZONE, LDNS_RR_TYPE_A, "10.96.1.21/60");
	expect_row("db", "10.96.1.21", "current");
}
END_TEST

/* An IPv6 VM: the name gets an AAAA, and its A is deleted. */
START_TEST(test_knot_ipv6)
{
	g_autoptr(GError) err = NULL;
	struct mgr_reg r = { .name = "vm-b", .n_macs = 1 };
	struct mig_vm *vm;
	g_autoptr(GError) kerr = NULL;
	g_autofree char *kf = knotd_key_file(kd, KNOTD_KEY_YAML);
	struct dnsupd_key *k = dnsupd_key_load(kf, &kerr);
	struct mig_addr a4;
	char e[256];

	ck_assert_msg(k, "%s", kerr ? kerr->message : "");
	memset(r.uuid, 0x33, sizeof(r.uuid));
	r.macs[0][0] = 0x52;
	r.macs[0][5] = 0x21;
	ck_assert(addr_parse_host("fd00:96:1::20", &r.ip));
	/* the new address is of the same family as the old one */
	ck_assert(addr_parse_host("10.96.2.21", &r.new_ip));
	ck_assert_ptr_null(mgr_register(m, &r, &err));
	ck_assert_msg(strstr(err->message, "same address family"), "%s", err->message);
	g_clear_error(&err);
	ck_assert(addr_parse_host("fd00:96:2::20", &r.new_ip));
	vm = mgr_register(m, &r, &err);
	ck_assert_msg(vm, "%s", err ? err->message : "");

	expect_ok("{\"cmd\":\"service-add\",\"id\":\"v6\",\"name\":\"v6\",\"vm\":\"vm-b\"}");
	wait_updated(1);
	expect_records("v6." KNOTD_ZONE, LDNS_RR_TYPE_AAAA, "fd00:96:1::20/60");
	expect_records("v6." KNOTD_ZONE, LDNS_RR_TYPE_A, "");
	expect_row("v6", "fd00:96:1::20", "current");
	/* an A record someone else put there meanwhile */
	ck_assert(addr_parse_host("10.96.9.9", &a4));
	ck_assert_msg(dnsupd_replace("127.0.0.1", kd->port, k, KNOTD_ZONE, "v6", &a4, 30, 2000, e,
				     sizeof(e)) == DNSUPD_OK, "%s", e);
	expect_records("v6." KNOTD_ZONE, LDNS_RR_TYPE_A, "10.96.9.9/30");
	dnsupd_key_free(k);

	mgr_activated(m, vm);
	wait_updated(2);
	expect_records("v6." KNOTD_ZONE, LDNS_RR_TYPE_AAAA, "fd00:96:2::20/60");
	expect_records("v6." KNOTD_ZONE, LDNS_RR_TYPE_A, "");
	expect_row("v6", "fd00:96:2::20", "current");
	ck_assert_uint_eq(vm->c.c[CTR_SERVICE_MOVED], 1);
	ck_assert_uint_eq(vm->c.c[CTR_DNS_UPDATED], 2);
	/* vm-a's services are not vm-b's */
	ck_assert_uint_eq(vmtable_lookup(m->vms, "vm-a")->c.c[CTR_DNS_UPDATED], 0);
}
END_TEST

/* A key knotd does not take: failed at once, not retried, zone unchanged. */
START_TEST(test_knot_wrong_key)
{
	struct inv_service *s;
	uint32_t s0 = knotd_serial(kd);

	services_free(sv);
	mgr_free(m);
	g_free(cfg.dns_key_file);
	cfg.dns_key_file = knotd_key_file(kd, KNOTD_KEY_WRONG);
	open_manager();

	expect_ok("{\"cmd\":\"service-add\",\"id\":\"wk\",\"name\":\"wk.lab.test.\","
		  "\"vm\":\"vm-a\"}");
	ck_assert_msg(spin_count(CTR_DNS_AUTH_FAILED, 1, 5000), "no auth failure (updated %"
		      G_GUINT64_FORMAT ", retried %" G_GUINT64_FORMAT ")",
		      m->st.c[CTR_DNS_UPDATED], m->st.c[CTR_DNS_RETRIED]);
	ck_assert_uint_eq(m->st.c[CTR_DNS_AUTH_FAILED], 1);
	ck_assert_uint_eq(vmtable_lookup(m->vms, "vm-a")->c.c[CTR_DNS_AUTH_FAILED], 1);
	s = row("wk");
	ck_assert_str_eq(s->dns, "failed");
	ck_assert_msg(strstr(s->error, "TSIG"), "error: '%s'", s->error);
	inv_service_free(s);
	/* and it is not tried again */
	spin(never, 2 * (int)cfg.dns_retry_max_ms + 200);
	ck_assert_uint_eq(m->st.c[CTR_DNS_RETRIED], 0);
	ck_assert_uint_eq(m->st.c[CTR_DNS_AUTH_FAILED], 1);
	ck_assert_uint_eq(m->st.c[CTR_DNS_UPDATED], 0);
	expect_row("wk", "10.96.1.20", "failed");
	expect_records("wk." KNOTD_ZONE, LDNS_RR_TYPE_A, "");
	expect_records("wk." KNOTD_ZONE, LDNS_RR_TYPE_AAAA, "");
	ck_assert_uint_eq(knotd_serial(kd), s0);
}
END_TEST

/* knotd down at ACTIVATED: retried until it is back, then done, and no more. */
START_TEST(test_knot_down_up)
{
	struct mig_vm *vm = vmtable_lookup(m->vms, "vm-a");
	g_autoptr(JsonParser) jp = json_parser_new();
	JsonObject *e;
	uint64_t retried;

	expect_ok("{\"cmd\":\"service-add\",\"id\":\"web\",\"name\":\"web.lab.test.\","
		  "\"vm\":\"vm-a\"}");
	wait_updated(1);
	expect_records("web." KNOTD_ZONE, LDNS_RR_TYPE_A, "10.96.1.20/60");

	knotd_stop(kd);
	ck_assert(!knotd_running(kd));
	mgr_activated(m, vm);
	ck_assert_msg(spin_count(CTR_DNS_RETRIED, 2, 5000), "retried %" G_GUINT64_FORMAT,
		      m->st.c[CTR_DNS_RETRIED]);
	expect_row("web", "10.96.2.20", "retrying");
	ck_assert_uint_ge(vm->c.c[CTR_DNS_RETRIED], 2);
	ck_assert_uint_eq(m->st.c[CTR_DNS_UPDATED], 1);
	ck_assert_uint_eq(m->st.c[CTR_DNS_GAVE_UP], 0);
	e = listed(jp, "web");
	ck_assert_str_eq(json_object_get_string_member(e, "dns"), "retrying");
	ck_assert_msg(*json_object_get_string_member(e, "error"), "no error: %s", reply);
	ck_assert_int_gt(json_object_get_int_member(e, "dns-tries"), 1);

	knotd_restart(kd);	/* same port, the zone from its file */
	wait_updated(2);
	expect_records("web." KNOTD_ZONE, LDNS_RR_TYPE_A, "10.96.2.20/60");
	expect_records("web." KNOTD_ZONE, LDNS_RR_TYPE_AAAA, "");
	expect_row("web", "10.96.2.20", "current");
	ck_assert_uint_eq(vm->c.c[CTR_DNS_UPDATED], 2);
	e = listed(jp, "web");
	ck_assert_str_eq(json_object_get_string_member(e, "dns"), "current");
	ck_assert_int_eq(json_object_get_int_member(e, "dns-tries"), 0);
	/* done: no more tries */
	retried = m->st.c[CTR_DNS_RETRIED];
	spin(never, 2 * (int)cfg.dns_retry_max_ms + 200);
	ck_assert_uint_eq(m->st.c[CTR_DNS_RETRIED], retried);
	ck_assert_uint_eq(m->st.c[CTR_DNS_UPDATED], 2);
	ck_assert_uint_eq(m->st.c[CTR_DNS_GAVE_UP], 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("services");
	TCase *tc = tcase_create("plain");
	TCase *td = tcase_create("dns-down");
	TCase *tk = tcase_create("dns");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup_plain, teardown);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_single);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(td, setup_dns, teardown);
	tcase_set_timeout(td, 30);
	tcase_add_test(td, test_dns_down);
	suite_add_tcase(s, td);
	/* knotd in the process that forks the tests; down-up last (it stops it) */
	tcase_add_unchecked_fixture(tk, knot_start, knot_teardown);
	tcase_add_checked_fixture(tk, setup_knot, teardown);
	tcase_set_timeout(tk, 30);
	tcase_add_test(tk, test_knot_add);
	tcase_add_test(tk, test_knot_batch);
	tcase_add_test(tk, test_knot_single);
	tcase_add_test(tk, test_knot_ipv6);
	tcase_add_test(tk, test_knot_wrong_key);
	tcase_add_test(tk, test_knot_down_up);
	suite_add_tcase(s, tk);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
