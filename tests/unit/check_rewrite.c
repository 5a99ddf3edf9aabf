// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_rewrite - unit tests of the cross-segment rewrite (manager/rewrite.c):
 * every checksum the incremental update produces is compared with one
 * computed here from scratch over the rewritten frame (RFC 1071 sum over
 * the pseudo-header and the whole L4 segment).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rewrite.h"

static const uint8_t old_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t new_mac[6] = { 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc };
static const uint8_t ip4_old[4] = { 10, 0, 0, 5 };
static const uint8_t ip4_new[4] = { 172, 16, 9, 77 };
static const uint8_t ip6_old[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 };
static const uint8_t ip6_new[16] = { 0xfd, 0, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0, 0, 0, 0, 0xbe, 0xef };

/* --- from-scratch checksums -------------------------------------------------- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Checksum of an IPv4 L4 segment with its checksum field zeroed. */
static uint16_t l4_csum4(const uint8_t *ip, const uint8_t *l4, size_t len,
			 size_t csum_off)
{
	uint8_t *copy = g_memdup2(l4, len);
	uint32_t sum;
	uint16_t r;

	wr16(copy + csum_off, 0);
	sum = sum16(ip + 12, 8, 0) + ip[9] + (uint32_t)len;
	r = fold(sum16(copy, len, sum));
	g_free(copy);
	return r;
}

static uint16_t l4_csum6(const uint8_t *ip, const uint8_t *l4, size_t len,
			 size_t csum_off)
{
	uint8_t *copy = g_memdup2(l4, len);
	uint32_t sum;
	uint16_t r;

	wr16(copy + csum_off, 0);
	sum = sum16(ip + 8, 32, 0) + ip[6] + (uint32_t)len;
	r = fold(sum16(copy, len, sum));
	g_free(copy);
	return r;
}

static uint16_t ip_csum(const uint8_t *ip, size_t ihl)
{
	uint8_t h[60];

	memcpy(h, ip, ihl);
	wr16(h + 10, 0);
	return fold(sum16(h, ihl, 0));
}

/* Build Ethernet + IPv4 (+ options) + TCP/UDP with valid checksums. */
static size_t build4(uint8_t *f, int proto, size_t payload, bool vlan,
		     size_t opts, GRand *r)
{
	size_t eth = vlan ? 18 : 14, ihl = 20 + opts;
	size_t l4h = proto == 6 ? 20 : 8, l4len = l4h + payload;
	uint8_t *ip = f + eth, *l4 = ip + ihl;

	memcpy(f, old_mac, 6);
	memcpy(f + 6, "\x02\0\0\0\0\1", 6);
	if (vlan) {
		wr16(f + 12, 0x8100);
		wr16(f + 14, 42);
	}
	wr16(f + eth - 2, 0x0800);
	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	wr16(ip + 2, (uint16_t)(ihl + l4len));
	wr16(ip + 4, (uint16_t)g_rand_int(r));
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	memcpy(ip + 12, "\xc0\x00\x02\x01", 4);
	memcpy(ip + 16, ip4_old, 4);
	for (size_t i = 20; i < ihl; i++)
		ip[i] = 1; /* NOP options */
	for (size_t i = 0; i < l4len; i++)
		l4[i] = (uint8_t)g_rand_int(r);
	if (proto == 17) {
		wr16(l4 + 4, (uint16_t)l4len);
		wr16(l4 + 6, l4_csum4(ip, l4, l4len, 6));
	} else {
		l4[12] = 0x50;
		wr16(l4 + 16, l4_csum4(ip, l4, l4len, 16));
	}
	wr16(ip + 10, ip_csum(ip, ihl));
	return eth + ihl + l4len;
}

static size_t build6(uint8_t *f, int proto, size_t payload, GRand *r)
{
	size_t l4h = proto == 6 ? 20 : 8, l4len = l4h + payload;
	uint8_t *ip = f + 14, *l4 = ip + 40;
	size_t off = proto == 6 ? 16 : proto == 17 ? 6 : 2;

	memcpy(f, old_mac, 6);
	memcpy(f + 6, "\x02\0\0\0\0\1", 6);
	wr16(f + 12, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)l4len);
	ip[6] = (uint8_t)proto;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 1;
	memcpy(ip + 24, ip6_old, 16);
	for (size_t i = 0; i < l4len; i++)
		l4[i] = (uint8_t)g_rand_int(r);
	if (proto == 17)
		wr16(l4 + 4, (uint16_t)l4len);
	wr16(l4 + off, l4_csum6(ip, l4, l4len, off));
	return 14 + 40 + l4len;
}

static struct rewrite_rule rule4(void)
{
	static const uint8_t macs[1][6] = { { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
	struct rewrite_rule r;

	memset(&r, 0, sizeof(r));
	r.macs = macs;
	r.n_macs = 1;
	memcpy(r.new_mac, new_mac, 6);
	r.family = 4;
	memcpy(r.old_ip, ip4_old, 4);
	memcpy(r.new_ip, ip4_new, 4);
	return r;
}

static void check4(const uint8_t *f, size_t len, bool vlan)
{
	const uint8_t *ip = f + (vlan ? 18 : 14);
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	const uint8_t *l4 = ip + ihl;
	size_t l4len = len - (size_t)(l4 - f);

	ck_assert(!memcmp(f, new_mac, 6));
	ck_assert(!memcmp(ip + 16, ip4_new, 4));
	ck_assert_uint_eq(rd16(ip + 10), ip_csum(ip, ihl));
	if (ip[9] == 17 && rd16(l4 + 6) != 0) {
		uint16_t c = l4_csum4(ip, l4, l4len, 6);

		ck_assert_uint_eq(rd16(l4 + 6), c ? c : 0xffff);
	} else if (ip[9] == 6) {
		ck_assert_uint_eq(rd16(l4 + 16), l4_csum4(ip, l4, l4len, 16));
	}
}

START_TEST(test_ipv4_udp_tcp_random)
{
	GRand *r = g_rand_new_with_seed(1234);
	struct rewrite_rule rule = rule4();
	uint8_t f[2048];

	for (int i = 0; i < 2000; i++) {
		int proto = i & 1 ? 6 : 17;
		bool vlan = (i % 3) == 0;
		size_t opts = (size_t)(i % 4) * 4;
		size_t payload = (size_t)g_rand_int_range(r, 0, 1400);
		size_t len = build4(f, proto, payload, vlan, opts, r);
		unsigned int done = rewrite_frame(f, len, &rule);

		ck_assert_uint_eq(done, REWRITE_MAC | REWRITE_IP | REWRITE_L4);
		check4(f, len, vlan);
	}
	g_rand_free(r);
}
END_TEST

START_TEST(test_udp_zero_checksum_stays_zero)
{
	GRand *r = g_rand_new_with_seed(5);
	struct rewrite_rule rule = rule4();
	uint8_t f[256];
	size_t len = build4(f, 17, 40, false, 0, r);

	wr16(f + 14 + 20 + 6, 0);
	ck_assert_uint_eq(rewrite_frame(f, len, &rule), REWRITE_MAC | REWRITE_IP);
	ck_assert_uint_eq(rd16(f + 14 + 20 + 6), 0);
	check4(f, len, false);
	g_rand_free(r);
}
END_TEST

START_TEST(test_other_destination_untouched)
{
	GRand *r = g_rand_new_with_seed(6);
	struct rewrite_rule rule = rule4();
	uint8_t f[256], copy[256];
	size_t len = build4(f, 17, 40, false, 0, r);

	f[14 + 19] ^= 1; /* another destination IP */
	f[5] ^= 1;       /* another destination MAC */
	memcpy(copy, f, len);
	ck_assert_uint_eq(rewrite_frame(f, len, &rule), 0);
	ck_assert(!memcmp(f, copy, len));
	/* ARP and truncated frames pass untouched too. */
	wr16(f + 12, 0x0806);
	memcpy(copy, f, len);
	ck_assert_uint_eq(rewrite_frame(f, len, &rule), 0);
	ck_assert(!memcmp(f, copy, len));
	ck_assert_uint_eq(rewrite_frame(f, 10, &rule), 0);
	g_rand_free(r);
}
END_TEST

START_TEST(test_fragments)
{
	GRand *r = g_rand_new_with_seed(7);
	struct rewrite_rule rule = rule4();
	uint8_t f[512], payload[512];
	size_t len = build4(f, 17, 100, false, 0, r);
	uint8_t *ip = f + 14;

	/* Non-first fragment: only the IP header changes. */
	wr16(ip + 6, 0x0010);
	wr16(ip + 10, ip_csum(ip, 20));
	memcpy(payload, ip + 20, len - 34);
	ck_assert_uint_eq(rewrite_frame(f, len, &rule), REWRITE_MAC | REWRITE_IP);
	ck_assert(!memcmp(payload, ip + 20, len - 34));
	ck_assert_uint_eq(rd16(ip + 10), ip_csum(ip, 20));
	g_rand_free(r);
}
END_TEST

START_TEST(test_ipv6)
{
	GRand *r = g_rand_new_with_seed(8);
	struct rewrite_rule rule;
	static const int protos[] = { 6, 17, 58 };
	uint8_t f[2048];

	memset(&rule, 0, sizeof(rule));
	rule.family = 6;
	memcpy(rule.old_ip, ip6_old, 16);
	memcpy(rule.new_ip, ip6_new, 16);
	for (int i = 0; i < 600; i++) {
		int proto = protos[i % 3];
		size_t off = proto == 6 ? 16 : proto == 17 ? 6 : 2;
		size_t len = build6(f, proto, (size_t)g_rand_int_range(r, 0, 1400), r);
		uint16_t c;

		ck_assert_uint_eq(rewrite_frame(f, len, &rule), REWRITE_IP | REWRITE_L4);
		ck_assert(!memcmp(f + 14 + 24, ip6_new, 16));
		ck_assert(!memcmp(f, old_mac, 6)); /* no MAC rule */
		c = l4_csum6(f + 14, f + 54, len - 54, off);
		if (proto == 17 && c == 0)
			c = 0xffff;
		ck_assert_uint_eq(rd16(f + 54 + off), c);
	}
	g_rand_free(r);
}
END_TEST

static Suite *rewrite_suite(void)
{
	Suite *s = suite_create("rewrite");
	TCase *tc = tcase_create("checksums");

	tcase_add_test(tc, test_ipv4_udp_tcp_random);
	tcase_add_test(tc, test_udp_zero_checksum_stays_zero);
	tcase_add_test(tc, test_other_destination_untouched);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_ipv6);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rewrite_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
