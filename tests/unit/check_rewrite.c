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

/* The IPv6 pseudo-header uses the upper-layer protocol (@proto). */
static uint16_t l4_csum6p(const uint8_t *ip, const uint8_t *l4, size_t len,
			  size_t csum_off, int proto)
{
	uint8_t *copy = g_memdup2(l4, len);
	uint32_t sum;
	uint16_t r;

	wr16(copy + csum_off, 0);
	sum = sum16(ip + 8, 32, 0) + (uint32_t)proto + (uint32_t)len;
	r = fold(sum16(copy, len, sum));
	g_free(copy);
	return r;
}

static uint16_t l4_csum6(const uint8_t *ip, const uint8_t *l4, size_t len,
			 size_t csum_off)
{
	return l4_csum6p(ip, l4, len, csum_off, ip[6]);
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

/*
 * Ethernet + IPv6 + the extension headers @chain (types 0, 43, 44, 60;
 * @frag_off the fragment offset of a 44, @segs the segments left of a
 * 43) + @proto with a valid checksum; *@l4 set to the L4 offset.
 */
static size_t build6x(uint8_t *f, int proto, const int *chain, int n,
		      uint16_t frag_off, uint8_t segs, size_t *l4off, GRand *r)
{
	size_t l4len = (proto == 6 ? 20 : 8) + (size_t)g_rand_int_range(r, 0, 600);
	size_t off = 40, coff = proto == 6 ? 16 : proto == 17 ? 6 : 2;
	uint8_t *ip = f + 14, *next = ip + 6;

	memcpy(f, old_mac, 6);
	memcpy(f + 6, "\x02\0\0\0\0\1", 6);
	wr16(f + 12, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 1;
	memcpy(ip + 24, ip6_old, 16);
	for (int i = 0; i < n; i++) {
		uint8_t *h = ip + off;
		size_t hlen = chain[i] == 60 ? 16 : chain[i] == 43 ? 24 : 8;

		*next = (uint8_t)chain[i];
		memset(h, 0, hlen);
		if (chain[i] != 44)
			h[1] = (uint8_t)(hlen / 8 - 1);
		if (chain[i] == 43) {
			h[2] = 0; /* type 0 layout: one address */
			h[3] = segs;
		}
		if (chain[i] == 44)
			wr16(h + 2, (uint16_t)(frag_off << 3));
		if (chain[i] == 0 || chain[i] == 60)
			h[2] = 1, h[3] = (uint8_t)(hlen - 4); /* PadN */
		next = h;
		off += hlen;
	}
	*next = (uint8_t)proto;
	for (size_t i = 0; i < l4len; i++)
		ip[off + i] = (uint8_t)g_rand_int(r);
	if (proto == 17)
		wr16(ip + off + 4, (uint16_t)l4len);
	wr16(ip + 4, (uint16_t)(off - 40 + l4len));
	wr16(ip + off + coff, l4_csum6p(ip, ip + off, l4len, coff, proto));
	*l4off = 14 + off;
	return 14 + off + l4len;
}

/* Extension headers: the L4 checksum is found and fixed behind them. */
START_TEST(test_ipv6_extension_headers)
{
	static const int chains[][4] = {
		{ 0 }, { 60 }, { 44 }, { 43 }, { 0, 60, 44 }, { 0, 43, 60, 44 },
	};
	static const int lens[] = { 1, 1, 1, 1, 3, 4 };
	static const int protos[] = { 6, 17, 58 };
	GRand *r = g_rand_new_with_seed(44);
	struct rewrite_rule rule;
	uint8_t f[2048];

	memset(&rule, 0, sizeof(rule));
	rule.family = 6;
	memcpy(rule.old_ip, ip6_old, 16);
	memcpy(rule.new_ip, ip6_new, 16);
	for (unsigned int c = 0; c < G_N_ELEMENTS(chains); c++) {
		for (int i = 0; i < 60; i++) {
			int proto = protos[i % 3];
			size_t coff = proto == 6 ? 16 : proto == 17 ? 6 : 2, l4;
			size_t len = build6x(f, proto, chains[c], lens[c], 0, 0, &l4, r);
			uint16_t want;

			ck_assert_uint_eq(rewrite_frame(f, len, &rule), REWRITE_IP | REWRITE_L4);
			want = l4_csum6p(f + 14, f + l4, len - l4, coff, proto);
			if (proto == 17 && want == 0)
				want = 0xffff;
			ck_assert_msg(rd16(f + l4 + coff) == want,
				      "chain %u proto %d: checksum %04x, expected %04x", c,
				      proto, rd16(f + l4 + coff), want);
		}
	}
	/* A later fragment has no L4 header; a Routing header with segments
	 * left makes the pseudo-header use its final address: the address is
	 * rewritten, nothing after it is touched. */
	for (int k = 0; k < 2; k++) {
		static const int frag[] = { 44 }, rt[] = { 43 };
		size_t l4, len = build6x(f, 17, k ? rt : frag, 1, k ? 0 : 185,
					 k ? 2 : 0, &l4, r);
		g_autofree uint8_t *before = g_memdup2(f + l4, len - l4);

		ck_assert_uint_eq(rewrite_frame(f, len, &rule), REWRITE_IP);
		ck_assert(!memcmp(f + 14 + 24, ip6_new, 16));
		ck_assert(!memcmp(f + l4, before, len - l4));
	}
	/* A truncated chain is left alone past the address. */
	{
		static const int chain[] = { 0, 60 };
		size_t l4, len = build6x(f, 6, chain, 2, 0, 0, &l4, r);

		ck_assert_uint_eq(rewrite_frame(f, 14 + 40 + 12, &rule), REWRITE_IP);
		(void)len;
	}
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
	tcase_add_test(tc, test_ipv6_extension_headers);
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
