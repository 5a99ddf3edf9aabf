// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_vmtable - unit tests of the migration VM table (manager/vmtable.c)
 * and the address helpers it stores (lib/addr.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "addr.h"
#include "vmtable.h"
#include "wire.h"

static const uint8_t u1[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t u2[16] = { 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static const uint8_t key[32] = "vm key of the vmtable test, 32b";
static const uint8_t mac_a[6] = { 0x52, 0x54, 0, 0, 0, 1 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0, 0, 0, 2 };

START_TEST(test_add_lookup)
{
	struct vm_table *t = vmtable_new();
	struct mig_vm *a = vmtable_add(t, u1, "alpha", key, POLICY_HOLD, 123);
	struct mig_vm *b;

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->state, VM_REGISTERED);
	ck_assert_int_eq(a->policy, POLICY_HOLD);
	ck_assert_int_eq(a->t_registered, 123);
	ck_assert_mem_eq(a->key, key, 32);
	ck_assert_uint_eq(a->n_nics, 0);
	ck_assert_int_eq(a->heap_pos, -1);
	ck_assert_ptr_eq(vmtable_by_uuid(t, u1), a);
	ck_assert_ptr_eq(vmtable_lookup(t, "alpha"), a);
	ck_assert_ptr_eq(vmtable_lookup(t, "00010203-0405-0607-0809-0A0B0C0D0E0F"), a);
	ck_assert_ptr_null(vmtable_lookup(t, "beta"));
	ck_assert_ptr_null(vmtable_by_uuid(t, u2));
	/* the same UUID, or a name taken */
	ck_assert_ptr_null(vmtable_add(t, u1, "other", key, POLICY_ACTIVATED, 0));
	ck_assert_ptr_null(vmtable_add(t, u2, "alpha", key, POLICY_ACTIVATED, 0));
	b = vmtable_add(t, u2, NULL, key, POLICY_ACTIVATED, 0);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->name, "");
	ck_assert_uint_eq(vmtable_count(t), 2);
	ck_assert(!vmtable_set_name(t, b, "alpha"));
	ck_assert(vmtable_set_name(t, b, "beta"));
	ck_assert_ptr_eq(vmtable_lookup(t, "beta"), b);
	{
		GPtrArray *l = vmtable_list(t);

		ck_assert_uint_eq(l->len, 2);
		ck_assert_ptr_eq(l->pdata[0], a);
		ck_assert_ptr_eq(l->pdata[1], b);
		g_ptr_array_unref(l);
	}
	vmtable_remove(t, b);
	ck_assert_ptr_null(vmtable_lookup(t, "beta"));
	ck_assert_uint_eq(vmtable_count(t), 1);
	vmtable_free(t);
}
END_TEST

/* NICs: indexed by VNI; a VNI of an open window is not taken, one of a
 * closed window is; removing a VM frees its VNIs. */
START_TEST(test_nics)
{
	struct vm_table *t = vmtable_new();
	struct mig_vm *a = vmtable_add(t, u1, "a", key, POLICY_ACTIVATED, 0);
	struct mig_vm *b = vmtable_add(t, u2, "b", key, POLICY_ACTIVATED, 0);
	const uint8_t macs[2][6] = { { 0x52, 0x54, 0, 0, 0, 1 }, { 0x52, 0x54, 0, 0, 0, 2 } };
	uint32_t vnis[2] = { 100, 200 };
	struct mig_vm *other;

	ck_assert(vmtable_set_nics(t, a, macs, vnis, 2, &other));
	ck_assert_uint_eq(a->n_nics, 2);
	ck_assert_ptr_eq(vmtable_by_vni(t, 100), &a->nics[0]);
	ck_assert_ptr_eq(vmtable_by_vni(t, 200)->vm, a);
	ck_assert_ptr_eq(vmtable_nic_by_vni(a, 200), &a->nics[1]);
	ck_assert_ptr_null(vmtable_nic_by_vni(a, 300));
	ck_assert_mem_eq(a->nics[1].mac, mac_b, 6);
	ck_assert_ptr_nonnull(a->nics[0].queue);
	/* b wants VNI 200 while a's window is open: refused, nothing changes */
	vmtable_set_state(a, VM_SUSPENDED, 1, 1);
	vnis[0] = 200;
	ck_assert(!vmtable_set_nics(t, b, &macs[1], vnis, 1, &other));
	ck_assert_ptr_eq(other, a);
	ck_assert_uint_eq(b->n_nics, 0);
	/* ... taken over once a's window is closed */
	vmtable_set_state(a, VM_DONE, 2, 2);
	ck_assert(vmtable_set_nics(t, b, &macs[1], vnis, 1, &other));
	ck_assert_ptr_eq(vmtable_by_vni(t, 200)->vm, b);
	ck_assert_ptr_eq(vmtable_by_vni(t, 100)->vm, a);
	/* new NICs replace the old ones and their VNIs */
	vnis[0] = 300;
	ck_assert(vmtable_set_nics(t, a, &macs[0], vnis, 1, &other));
	ck_assert_ptr_null(vmtable_by_vni(t, 100));
	ck_assert_ptr_eq(vmtable_by_vni(t, 300)->vm, a);
	ck_assert_ptr_eq(vmtable_by_vni(t, 200)->vm, b);
	vmtable_remove(t, a);
	ck_assert_ptr_null(vmtable_by_vni(t, 300));
	ck_assert_ptr_eq(vmtable_by_vni(t, 200)->vm, b);
	ck_assert_uint_eq(vm_queued(b), 0);
	(void)mac_a;
	vmtable_free(t);
}
END_TEST

START_TEST(test_states)
{
	struct vm_table *t = vmtable_new();
	struct mig_vm *a = vmtable_add(t, u1, "a", key, POLICY_ACTIVATED, 0);

	ck_assert(!vm_window_open(a));
	ck_assert(vmtable_set_state(a, VM_SUSPENDED, 10, 100));
	ck_assert(vm_window_open(a));
	ck_assert(!vmtable_set_state(a, VM_SUSPENDED, 11, 101));
	ck_assert_int_eq(a->t_ended, 0);
	ck_assert(vmtable_set_state(a, VM_ACTIVATED, 12, 102));
	ck_assert(vm_window_open(a));
	ck_assert(vmtable_set_state(a, VM_DONE, 13, 103));
	ck_assert(!vm_window_open(a));
	ck_assert_int_eq(a->t_ended, 13);
	ck_assert_int_eq(a->m_ended, 103);
	ck_assert_str_eq(vm_state_name(VM_EXPIRED), "expired");
	ck_assert_str_eq(vm_state_name(VM_N_STATES), "unknown");
	vmtable_free(t);
}
END_TEST

START_TEST(test_names)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (int r = 0; r < DROP_N_REASONS; r++) {
		const char *n = drop_reason_name(r);

		ck_assert_ptr_nonnull(n);
		ck_assert_str_ne(n, "unknown");
		ck_assert_msg(g_hash_table_add(seen, (gpointer)n), "duplicate %s", n);
	}
	ck_assert_str_eq(drop_reason_name(DROP_BUFFER_FULL), "buffer-full");
	ck_assert_str_eq(drop_reason_name(DROP_N_REASONS), "unknown");
	g_hash_table_destroy(seen);
}
END_TEST

START_TEST(test_uuid_mac)
{
	uint8_t u[16], mac[6];
	char s[37], ms[18];

	ck_assert(uuid_parse("00010203-0405-0607-0809-0a0b0c0d0e0f", u));
	ck_assert(!memcmp(u, u1, 16));
	ck_assert_str_eq(uuid_format(u2, s), "ff010203-0405-0607-0809-0a0b0c0d0e0f");
	ck_assert(!uuid_parse("00010203-0405-0607-0809-0a0b0c0d0e0", u));
	ck_assert(!uuid_parse("00010203x0405-0607-0809-0a0b0c0d0e0f", u));
	ck_assert(!uuid_parse("0001020g-0405-0607-0809-0a0b0c0d0e0f", u));
	ck_assert(mac_parse("52:54:00:AB:cd:0f", mac));
	ck_assert_str_eq(mac_format(mac, ms), "52:54:00:ab:cd:0f");
	ck_assert(!mac_parse("52:54:00:ab:cd", mac));
	ck_assert(!mac_parse("52:54:00:ab:cd:0f:", mac));
	ck_assert(!mac_parse("52-54-00-ab-cd-0f", mac));
}
END_TEST

START_TEST(test_addr)
{
	struct mig_addr a, b;
	HandoffEndpoint ep;
	char s[ADDR_STRLEN];

	ck_assert(addr_parse("10.1.2.3:4789", &a));
	ck_assert_str_eq(addr_format(&a, s, sizeof(s)), "10.1.2.3:4789");
	ck_assert(addr_parse("[fd00::1]:7790", &b));
	ck_assert_str_eq(addr_format(&b, s, sizeof(s)), "[fd00::1]:7790");
	ck_assert_uint_eq(addr_port(&b), 7790);
	ck_assert(!addr_parse("10.1.2.3", &a));
	ck_assert(!addr_parse("10.1.2.3:65536", &a));
	ck_assert(!addr_parse("host:1", &a));
	ck_assert(!addr_parse("fd00::1:80", &a));
	ck_assert(!addr_parse("10.1.2.3:-1", &a));
	ck_assert(addr_parse_host("[fd00::2]", &a));
	ck_assert(!addr_same_host(&a, &b));
	ck_assert(addr_parse("10.1.2.3:1", &a) && addr_parse("10.1.2.3:2", &b));
	ck_assert(addr_same_host(&a, &b));
	ck_assert(!addr_equal(&a, &b));
	/* endpoints, both ways; unspecified ones are not specified */
	ck_assert(addr_parse("192.0.2.7:555", &a));
	ck_assert(addr_to_endpoint(&a, &ep));
	ck_assert(handoff_endpoint_specified(&ep));
	ck_assert(addr_from_endpoint(&ep, &b));
	ck_assert(addr_equal(&a, &b));
	ck_assert(addr_parse("0.0.0.0:555", &a));
	ck_assert(addr_is_any(&a));
	ck_assert(addr_to_endpoint(&a, &ep));
	ck_assert(!handoff_endpoint_specified(&ep));
	ep.family = 7;
	ck_assert(!addr_from_endpoint(&ep, &b));
}
END_TEST

static Suite *vmtable_suite(void)
{
	Suite *s = suite_create("vmtable");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_add_lookup);
	tcase_add_test(tc, test_nics);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_uuid_mac);
	tcase_add_test(tc, test_addr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(vmtable_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
