// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_topology - the topology file of the network-state transfer
 * (manager/topology.c): hosts by name and by a QEMU's address, devices,
 * the mode of each pair, and the errors a bad file gets.
 */
#include <check.h>
#include <string.h>

#include <glib.h>

#include "topology.h"

static const char good[] =
	"[host host-a]\naddresses = 10.98.0.1, 192.0.2.1\ndevice = fw-a\n"
	"[host host-b]\naddresses = 10.98.0.2\ndevice = fw-b\n"
	"[host host-c]\naddresses = 10.98.0.3\ndevice = fw-b\n"
	"[device fw-a]\ntype = nftables\nagent = 10.98.0.1:7795\n"
	"[device fw-b]\ntype = nftables\nagent = 10.98.0.2:7795\n"
	"[transfer host-a host-b]\nmode = push\n"
	"[transfer host-b host-a]\nmode = pull\n";

START_TEST(test_lookup)
{
	g_autoptr(GError) err = NULL;
	struct topo *t = topo_load_data(good, &err);
	const struct topo_host *a, *b, *c;
	struct mig_addr q;

	ck_assert_msg(t, "%s", err ? err->message : "?");
	a = topo_host(t, "host-a");
	b = topo_host(t, "host-b");
	c = topo_host(t, "host-c");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_null(topo_host(t, "host-x"));
	ck_assert_str_eq(a->device->name, "fw-a");
	ck_assert_ptr_eq(b->device, c->device);
	ck_assert(addr_parse("192.0.2.1:4711", &q));
	ck_assert_ptr_eq(topo_host_of(t, &q), a);
	ck_assert(addr_parse("10.98.0.2:1", &q));
	ck_assert_ptr_eq(topo_host_of(t, &q), b);
	ck_assert(addr_parse("10.98.0.9:1", &q));
	ck_assert_ptr_null(topo_host_of(t, &q));
	ck_assert_int_eq(topo_mode(t, a, b), TOPO_PUSH);
	ck_assert_int_eq(topo_mode(t, b, a), TOPO_PULL);
	ck_assert_int_eq(topo_mode(t, a, c), TOPO_FETCH);
	ck_assert_str_eq(topo_mode_name(TOPO_PULL), "pull");
	ck_assert_ptr_nonnull(topo_device(t, "fw-b"));
	topo_free(t);
}
END_TEST

START_TEST(test_errors)
{
	static const char *const bad[] = {
		"[host a]\naddresses = 10.0.0.1\ndevice = nope\n",
		"[host a]\naddresses = not-an-address\n",
		"[device d]\ntype = nftables\nagent = 10.0.0.1\n",
		"[device d]\ntype = nftables\nagent = 10.0.0.1:7795\n"
		"[host a]\naddresses = 10.0.0.1\ndevice = d\n[transfer a b]\nmode = fetch\n",
		"[device d]\ntype = nftables\nagent = 10.0.0.1:7795\n"
		"[host a]\naddresses = 10.0.0.1\ndevice = d\n"
		"[host b]\naddresses = 10.0.0.2\ndevice = d\n[transfer a b]\nmode = carry\n",
		"[router r]\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) err = NULL;
		struct topo *t = topo_load_data(bad[i], &err);

		ck_assert_msg(!t, "file %zu accepted", i);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(strchr(err->message, '['), "error without its group: %s",
			      err->message);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("topology");
	TCase *tc = tcase_create("topology");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
