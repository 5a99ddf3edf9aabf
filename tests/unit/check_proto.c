// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_proto - unit tests of libmig's wire format (the patched QEMU
 * tree's migration/handoff-wire.c, docs/protocol.md version 2) and key
 * derivation (lib/keys.c): the known-answer vectors QEMU's own test checks
 * too, control messages, data frames, the anti-replay window, the
 * migration-stream section, the replay cache and the keys.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gnutls/crypto.h>

#include "keys.h"
#include "wire.h"
/* The vectors QEMU's test-migration-handoff checks too (from the patched
 * tree, see tests/unit/unit.mk). */
#include "handoff-wire-vectors.h"

#define SEC UINT64_C(1000000)
#define KEY handoff_vector_key
#define KEY_LEN HANDOFF_KEY_LEN

/* --- helpers ---------------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = strlen(hex) / 2;

	ck_assert_uint_le(n, size);
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(g_ascii_xdigit_value(hex[2 * i]) << 4 |
				   g_ascii_xdigit_value(hex[2 * i + 1]));
	return n;
}

static int encode(const HandoffMsg *m, uint8_t *buf)
{
	int len = handoff_msg_encode(m, KEY, KEY_LEN, buf, HANDOFF_MAX_LEN);

	ck_assert_int_gt(len, HANDOFF_MIN_LEN - 1);
	return len;
}

static void hmac(const uint8_t *data, size_t len, uint8_t out[32])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, KEY, KEY_LEN);
	gsize n = 32;

	g_hmac_update(h, data, len);
	g_hmac_get_digest(h, out, &n);
	g_hmac_unref(h);
}

/* A datagram built by hand: header, TLVs as given, then raw_sign(). */
struct raw {
	uint8_t b[2048];
	size_t len;
};

static void raw_header(struct raw *r, uint8_t type)
{
	HandoffMsg m;
	uint8_t buf[HANDOFF_MAX_LEN];

	handoff_vector_msg(&m, HANDOFF_MSG_ACK - 1);
	encode(&m, buf);
	memcpy(r->b, buf, HANDOFF_HDR_LEN);
	r->b[5] = type;
	r->len = HANDOFF_HDR_LEN;
}

static void raw_tlv(struct raw *r, uint16_t type, uint16_t len,
		    const void *value)
{
	ck_assert_uint_le(r->len + 4 + len, sizeof(r->b));
	r->b[r->len++] = type >> 8;
	r->b[r->len++] = type;
	r->b[r->len++] = len >> 8;
	r->b[r->len++] = len;
	memcpy(r->b + r->len, value, len);
	r->len += len;
}

static void raw_sign(struct raw *r)
{
	hmac(r->b, r->len, r->b + r->len);
	r->len += 32;
}

static int raw_decode(struct raw *r, HandoffMsg *m)
{
	raw_sign(r);
	return handoff_msg_decode(r->b, r->len, KEY, KEY_LEN, m);
}

static const uint8_t ep4[7] = { 4, 0x9c, 0x41, 192, 0, 2, 1 }; /* :40001 */
static const uint8_t id16[16] = { 1 };

/* A valid ABORTED by hand, TLV @skip left out (0: none), then @extra. */
static void raw_aborted(struct raw *r, uint16_t skip)
{
	raw_header(r, HANDOFF_MSG_ABORTED);
	if (skip != HANDOFF_TLV_REASON)
		raw_tlv(r, HANDOFF_TLV_REASON, 3, "why");
	if (skip != HANDOFF_TLV_CONTROL_ENDPOINT)
		raw_tlv(r, HANDOFF_TLV_CONTROL_ENDPOINT, sizeof(ep4), ep4);
	if (skip != HANDOFF_TLV_NONCE)
		raw_tlv(r, HANDOFF_TLV_NONCE, 16, id16);
	if (skip != HANDOFF_TLV_MIGRATION_ID)
		raw_tlv(r, HANDOFF_TLV_MIGRATION_ID, 16, id16);
}

/* --- the shared known-answer vectors -------------------------------------- */

/* encode(msg) is exactly the vector's bytes; decode(bytes) is the msg. */
START_TEST(test_shared_vectors)
{
	for (unsigned int i = 0; i < HANDOFF_N_VECTORS; i++) {
		uint8_t want[HANDOFF_MAX_LEN], buf[HANDOFF_MAX_LEN];
		HandoffMsg m, d;
		size_t n = unhex(handoff_vector_hex[i], want, sizeof(want));
		int len;

		handoff_vector_msg(&m, i);
		len = encode(&m, buf);
		ck_assert_int_eq(len, (int)n);
		ck_assert_mem_eq(buf, want, n);
		memset(&d, 0xa5, sizeof(d));
		ck_assert_int_eq(handoff_msg_decode(want, n, KEY, KEY_LEN, &d),
				 HANDOFF_OK);
		ck_assert_mem_eq(&d, &m, sizeof(m));
	}
	ck_assert_uint_eq(handoff_vni(handoff_vector_uuid, handoff_vector_mac1),
			  HANDOFF_VECTOR_VNI1);
	ck_assert_uint_eq(handoff_vni(handoff_vector_uuid, handoff_vector_mac2),
			  HANDOFF_VECTOR_VNI2);
}
END_TEST

START_TEST(test_shared_flow_and_frame)
{
	uint8_t want[32], key[32], frame[128], pkt[128];
	const uint8_t *inner;
	size_t n, inner_len;
	uint64_t seq;
	uint32_t vni;

	ck_assert(handoff_flow_key(KEY, HANDOFF_FLOW_CAPTURE,
				   handoff_vector_migration_id,
				   handoff_vector_nonce, HANDOFF_VECTOR_VNI1, key));
	unhex(handoff_vector_flow_key_hex, want, sizeof(want));
	ck_assert_mem_eq(key, want, 32);

	n = unhex(handoff_vector_frame_hex, frame, sizeof(frame));
	ck_assert_int_eq(handoff_frame_parse(frame, n, &vni, &seq, &inner,
					     &inner_len), HANDOFF_OK);
	ck_assert_uint_eq(vni, HANDOFF_VECTOR_VNI1);
	ck_assert_uint_eq(seq, 1);
	ck_assert_uint_eq(inner_len, 18);
	ck_assert_int_eq(handoff_frame_verify(key, frame, n), HANDOFF_OK);
	ck_assert_int_eq(handoff_frame_seal(key, vni, 1, inner, inner_len, pkt,
					    sizeof(pkt)), (int)n);
	ck_assert_mem_eq(pkt, frame, n);
}
END_TEST

/* The flow key is HKDF-Expand: the host's HMAC gives RFC 5869's T(1), and
 * GnuTLS's own HKDF-Expand gives the flow key. */
START_TEST(test_hkdf_expand)
{
	uint8_t prk[32], info[80], t1[32], out[32], key[32];
	size_t info_len = unhex(handoff_vector_hkdf_info_hex, info, sizeof(info));
	struct iovec iov = { info, info_len + 1 };
	gnutls_datum_t p = { (unsigned char *)KEY, KEY_LEN };
	gnutls_datum_t in;
	uint8_t vinfo[64];
	size_t vn;

	unhex(handoff_vector_hkdf_prk_hex, prk, sizeof(prk));
	unhex(handoff_vector_hkdf_t1_hex, t1, sizeof(t1));
	info[info_len] = 1;
	ck_assert(handoff_crypto_hmac_sha256(prk, 32, &iov, 1, out));
	ck_assert_mem_eq(out, t1, 32);

	vn = (size_t)g_snprintf((char *)vinfo, 64, "mig-handoff-v2 release");
	memcpy(vinfo + vn, handoff_vector_migration_id, 16);
	memcpy(vinfo + vn + 16, handoff_vector_nonce, 16);
	vinfo[vn + 32] = 0;
	vinfo[vn + 33] = HANDOFF_VECTOR_VNI2 >> 16;
	vinfo[vn + 34] = HANDOFF_VECTOR_VNI2 >> 8 & 0xff;
	vinfo[vn + 35] = HANDOFF_VECTOR_VNI2 & 0xff;
	in.data = vinfo;
	in.size = (unsigned int)(vn + 36);
	ck_assert_int_eq(gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &p, &in, out, 32), 0);
	ck_assert(handoff_flow_key(KEY, HANDOFF_FLOW_RELEASE,
				   handoff_vector_migration_id,
				   handoff_vector_nonce, HANDOFF_VECTOR_VNI2, key));
	ck_assert_mem_eq(key, out, 32);
}
END_TEST

/* --- control messages ------------------------------------------------------ */

START_TEST(test_round_trips_and_bit_flips)
{
	for (unsigned int i = 0; i < HANDOFF_N_VECTORS; i++) {
		uint8_t buf[HANDOFF_MAX_LEN];
		HandoffMsg m, d;
		int len;

		handoff_vector_msg(&m, i);
		len = encode(&m, buf);
		for (int b = 0; b < len * 8; b++) {
			buf[b / 8] ^= 1 << (b % 8);
			ck_assert_int_ne(handoff_msg_decode(buf, len, KEY, KEY_LEN, &d),
					 HANDOFF_OK);
			if (b / 8 >= 5)
				ck_assert_int_eq(handoff_msg_decode(buf, len, KEY,
								    KEY_LEN, &d),
						 HANDOFF_ERR_AUTH);
			buf[b / 8] ^= 1 << (b % 8);
		}
		ck_assert_int_eq(handoff_msg_decode(buf, len, KEY, KEY_LEN, &d),
				 HANDOFF_OK);
	}
}
END_TEST

START_TEST(test_peek_and_sizes)
{
	uint8_t buf[HANDOFF_MAX_LEN + 2], uuid[16];
	HandoffMsg m, d;
	int len;

	handoff_vector_msg(&m, 0);
	len = encode(&m, buf);
	ck_assert_int_eq(handoff_msg_peek(buf, len, uuid), HANDOFF_OK);
	ck_assert_mem_eq(uuid, handoff_vector_uuid, 16);
	ck_assert_int_eq(handoff_msg_peek(buf, HANDOFF_MIN_LEN - 1, uuid),
			 HANDOFF_ERR_MALFORMED);
	ck_assert_int_eq(handoff_msg_decode(buf, HANDOFF_MAX_LEN + 1, KEY, KEY_LEN, &d),
			 HANDOFF_ERR_TOO_LONG);
	ck_assert_int_eq(handoff_msg_decode(buf, len - 1, KEY, KEY_LEN, &d),
			 HANDOFF_ERR_AUTH);
	buf[4] = 1; /* version 1 */
	ck_assert_int_eq(handoff_msg_peek(buf, len, uuid), HANDOFF_ERR_BAD_VERSION);
	buf[4] = HANDOFF_VERSION;
	buf[0] = 'X';
	ck_assert_int_eq(handoff_msg_decode(buf, len, KEY, KEY_LEN, &d),
			 HANDOFF_ERR_BAD_MAGIC);
	buf[0] = 'M';
	/* Another VM's key (the same bytes under VM B's key fail) */
	ck_assert_int_eq(handoff_msg_decode(buf, len, (const uint8_t *)"k", 1, &d),
			 HANDOFF_ERR_AUTH);
	ck_assert_int_eq(handoff_msg_decode(buf, len, NULL, 0, &d),
			 HANDOFF_ERR_INVALID);
}
END_TEST

START_TEST(test_encode_refusals)
{
	uint8_t buf[HANDOFF_MAX_LEN];
	HandoffMsg m;

	handoff_vector_msg(&m, 0);
	for (int n = 0; n < encode(&m, buf); n++)
		ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, n),
				 HANDOFF_ERR_NOSPACE);
	m.n_nics = 0;
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	m.n_nics = HANDOFF_MAX_NICS + 1;
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	handoff_vector_msg(&m, 0);
	m.nics[1].vni = HANDOFF_VNI_MAX + 1;
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	handoff_vector_msg(&m, 0);
	memset(m.nics[0].endpoint.addr, 0, 16); /* 0.0.0.0 */
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_UNSPECIFIED);
	handoff_vector_msg(&m, 0);
	m.control.port = 0;
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_UNSPECIFIED);
	handoff_vector_msg(&m, 0);
	m.control.family = 5;
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	handoff_vector_msg(&m, 0);
	memcpy(m.name, "\xff\xfe", 3);
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	handoff_vector_msg(&m, 0);
	m.type = 99;
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	handoff_vector_msg(&m, 4);
	m.n_frames = HANDOFF_MAX_NICS + 1;
	ck_assert_int_eq(handoff_msg_encode(&m, KEY, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
}
END_TEST

START_TEST(test_tlv_rules)
{
	static const uint8_t ep0[7] = { 4, 0x9c, 0x41, 0, 0, 0, 0 };
	static const uint8_t ep_noport[7] = { 4, 0, 0, 192, 0, 2, 1 };
	static const uint16_t need[] = {
		HANDOFF_TLV_REASON, HANDOFF_TLV_CONTROL_ENDPOINT,
		HANDOFF_TLV_NONCE, HANDOFF_TLV_MIGRATION_ID,
	};
	struct raw r;
	HandoffMsg m;

	raw_aborted(&r, 0);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
	ck_assert_str_eq(m.reason, "why");
	for (size_t i = 0; i < G_N_ELEMENTS(need); i++) {
		raw_aborted(&r, need[i]);
		ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MISSING_FIELD);
	}
	/* repeated, wrong length, unspecified, overrun, unknown skipped */
	raw_aborted(&r, 0);
	raw_tlv(&r, HANDOFF_TLV_NONCE, 16, id16);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	raw_aborted(&r, HANDOFF_TLV_NONCE);
	raw_tlv(&r, HANDOFF_TLV_NONCE, 15, id16);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	raw_aborted(&r, HANDOFF_TLV_CONTROL_ENDPOINT);
	raw_tlv(&r, HANDOFF_TLV_CONTROL_ENDPOINT, 7, ep0);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_UNSPECIFIED);
	raw_aborted(&r, HANDOFF_TLV_CONTROL_ENDPOINT);
	raw_tlv(&r, HANDOFF_TLV_CONTROL_ENDPOINT, 7, ep_noport);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_UNSPECIFIED);
	raw_aborted(&r, HANDOFF_TLV_CONTROL_ENDPOINT);
	raw_tlv(&r, HANDOFF_TLV_CONTROL_ENDPOINT, 8, "\x04\x9c\x41\xc0\x00\x02\x01\x00");
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	raw_aborted(&r, 0);
	raw_tlv(&r, 77, 3, "xyz");
	raw_tlv(&r, HANDOFF_TLV_STATUS, 2, "\0\0"); /* known, not ABORTED's */
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
	raw_aborted(&r, 0);
	raw_tlv(&r, HANDOFF_TLV_REASON, 0, "");
	r.b[r.len - 1] = 50; /* length overruns */
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	raw_aborted(&r, HANDOFF_TLV_REASON);
	raw_tlv(&r, HANDOFF_TLV_REASON, 3, "a\0b");
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	/* authentic, unknown type */
	raw_header(&r, 42);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_BAD_TYPE);
}
END_TEST

START_TEST(test_nic_tlvs)
{
	uint8_t nic[29];
	struct raw r;
	HandoffMsg m;

	/* a SUSPENDING with 8 NICs decodes, a 9th is malformed */
	raw_header(&r, HANDOFF_MSG_SUSPENDING);
	raw_tlv(&r, HANDOFF_TLV_VM_NAME, 2, "vm");
	raw_tlv(&r, HANDOFF_TLV_CONTROL_ENDPOINT, sizeof(ep4), ep4);
	raw_tlv(&r, HANDOFF_TLV_NONCE, 16, id16);
	raw_tlv(&r, HANDOFF_TLV_MIGRATION_ID, 16, id16);
	for (int i = 0; i < HANDOFF_MAX_NICS; i++) {
		memcpy(nic, handoff_vector_mac1, 6);
		nic[5] = (uint8_t)i;
		memcpy(nic + 6, "\x00\x00\x00\x10", 4);
		memcpy(nic + 10, ep4, 7);
		raw_tlv(&r, HANDOFF_TLV_NIC, 17, nic);
	}
	{
		struct raw r2 = r;

		ck_assert_int_eq(raw_decode(&r2, &m), HANDOFF_OK);
		ck_assert_uint_eq(m.n_nics, HANDOFF_MAX_NICS);
		ck_assert_uint_eq(m.nics[7].mac[5], 7);
		ck_assert_uint_eq(m.nics[3].endpoint.port, 40001);
	}
	raw_tlv(&r, HANDOFF_TLV_NIC, 17, nic);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	/* VNI over 24 bits */
	raw_header(&r, HANDOFF_MSG_SUSPENDING);
	raw_tlv(&r, HANDOFF_TLV_VM_NAME, 2, "vm");
	raw_tlv(&r, HANDOFF_TLV_CONTROL_ENDPOINT, sizeof(ep4), ep4);
	raw_tlv(&r, HANDOFF_TLV_NONCE, 16, id16);
	raw_tlv(&r, HANDOFF_TLV_MIGRATION_ID, 16, id16);
	memcpy(nic + 6, "\x01\x00\x00\x00", 4);
	raw_tlv(&r, HANDOFF_TLV_NIC, 17, nic);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(handoff_strerror(HANDOFF_ERR_AUTH), "auth-failure");
	ck_assert_str_eq(handoff_strerror(HANDOFF_ERR_UNSPECIFIED),
			 "unspecified-endpoint");
	ck_assert_str_eq(handoff_strerror(HANDOFF_ERR_REPLAYED), "replayed");
	ck_assert_str_eq(handoff_strerror(-100), "unknown-error");
	ck_assert_str_eq(handoff_strerror(3), "unknown-error");
	for (int e = HANDOFF_ERR_TOO_OLD; e <= 0; e++)
		ck_assert_str_ne(handoff_strerror(e), "unknown-error");
	ck_assert_str_eq(handoff_msg_type_name(HANDOFF_MSG_END), "END");
	ck_assert_str_eq(handoff_msg_type_name(0), "unknown");
	ck_assert_str_eq(handoff_msg_type_name(7), "unknown");
	ck_assert_str_eq(handoff_status_name(HANDOFF_STATUS_BUSY), "busy");
	ck_assert_str_eq(handoff_status_name(5), "unknown");
}
END_TEST

/* --- data frames and the anti-replay window --------------------------------- */

static void frame_fixture(uint8_t key[32], uint8_t *pkt, size_t *len)
{
	uint8_t f[60] = { 0 };
	int n;

	memcpy(f, handoff_vector_mac1, 6);
	ck_assert(handoff_flow_key(KEY, HANDOFF_FLOW_RELEASE,
				   handoff_vector_migration_id,
				   handoff_vector_nonce, 77, key));
	n = handoff_frame_seal(key, 77, 5, f, sizeof(f), pkt, 200);
	ck_assert_int_eq(n, HANDOFF_FRAME_HDR_LEN + 60);
	*len = (size_t)n;
}

START_TEST(test_frame_checks)
{
	uint8_t key[32], other[32], pkt[200], big[HANDOFF_MAX_PAYLOAD + 100];
	const uint8_t *inner;
	size_t len, inner_len;
	uint64_t seq;
	uint32_t vni;

	frame_fixture(key, pkt, &len);
	ck_assert_int_eq(handoff_frame_parse(pkt, len, &vni, &seq, &inner,
					     &inner_len), HANDOFF_OK);
	ck_assert_uint_eq(vni, 77);
	ck_assert_uint_eq(seq, 5);
	ck_assert_int_eq(handoff_frame_verify(key, pkt, len), HANDOFF_OK);
	/* every bit of the datagram is covered */
	for (size_t b = 0; b < len * 8; b++) {
		pkt[b / 8] ^= 1 << (b % 8);
		if (handoff_frame_parse(pkt, len, &vni, &seq, &inner,
					&inner_len) == HANDOFF_OK)
			ck_assert_int_eq(handoff_frame_verify(key, pkt, len),
					 HANDOFF_ERR_AUTH);
		pkt[b / 8] ^= 1 << (b % 8);
	}
	/* other flows' keys: direction, nonce, VNI, migration */
	ck_assert(handoff_flow_key(KEY, HANDOFF_FLOW_CAPTURE,
				   handoff_vector_migration_id,
				   handoff_vector_nonce, 77, other));
	ck_assert_int_eq(handoff_frame_verify(other, pkt, len), HANDOFF_ERR_AUTH);
	ck_assert(handoff_flow_key(KEY, HANDOFF_FLOW_RELEASE,
				   handoff_vector_migration_id, id16, 77, other));
	ck_assert_int_eq(handoff_frame_verify(other, pkt, len), HANDOFF_ERR_AUTH);
	ck_assert(handoff_flow_key(KEY, HANDOFF_FLOW_RELEASE,
				   handoff_vector_migration_id,
				   handoff_vector_nonce, 78, other));
	ck_assert_int_eq(handoff_frame_verify(other, pkt, len), HANDOFF_ERR_AUTH);
	ck_assert(handoff_flow_key(KEY, HANDOFF_FLOW_RELEASE, id16,
				   handoff_vector_nonce, 77, other));
	ck_assert_int_eq(handoff_frame_verify(other, pkt, len), HANDOFF_ERR_AUTH);
	ck_assert(!handoff_flow_key(KEY, 9, NULL, NULL, 77, other));
	/* truncated, wrong header, no option */
	ck_assert_int_eq(handoff_frame_parse(pkt, HANDOFF_FRAME_HDR_LEN + 13, &vni,
					     &seq, &inner, &inner_len),
			 HANDOFF_ERR_SHORT);
	ck_assert_int_eq(handoff_frame_verify(key, pkt, len - 1), HANDOFF_ERR_AUTH);
	pkt[0] = 0;
	ck_assert_int_eq(handoff_frame_parse(pkt, len, &vni, &seq, &inner,
					     &inner_len), HANDOFF_ERR_NOT_GENEVE);
	pkt[0] = 7;
	pkt[1] = 0;
	ck_assert_int_eq(handoff_frame_parse(pkt, len, &vni, &seq, &inner,
					     &inner_len), HANDOFF_ERR_NO_AUTH);
	pkt[1] = 0x40;
	pkt[10] = 0x01; /* not critical */
	ck_assert_int_eq(handoff_frame_parse(pkt, len, &vni, &seq, &inner,
					     &inner_len), HANDOFF_ERR_NO_AUTH);
	/* seal refusals */
	memset(big, 0, sizeof(big));
	ck_assert_int_eq(handoff_frame_seal(key, 77, 0, big, 60, pkt, 200),
			 HANDOFF_ERR_INVALID);
	ck_assert_int_eq(handoff_frame_seal(key, HANDOFF_VNI_MAX + 1, 1, big, 60,
					    pkt, 200), HANDOFF_ERR_INVALID);
	ck_assert_int_eq(handoff_frame_seal(key, 77, 1, big, 13, pkt, 200),
			 HANDOFF_ERR_SHORT);
	ck_assert_int_eq(handoff_frame_seal(key, 77, 1, big, 60, pkt, 95),
			 HANDOFF_ERR_NOSPACE);
	ck_assert_int_eq(handoff_frame_seal(key, 77, 1, big + HANDOFF_FRAME_HDR_LEN,
					    HANDOFF_MAX_FRAME + 1, big, sizeof(big)),
			 HANDOFF_ERR_OVERSIZE);
	/* in place: the frame already after the header */
	ck_assert_int_eq(handoff_frame_seal(key, 77, 1, big + HANDOFF_FRAME_HDR_LEN,
					    HANDOFF_MAX_FRAME, big, sizeof(big)),
			 HANDOFF_MAX_PAYLOAD);
	ck_assert_int_eq(handoff_frame_verify(key, big, HANDOFF_MAX_PAYLOAD),
			 HANDOFF_OK);
}
END_TEST

START_TEST(test_seq_window)
{
	HandoffSeqWindow w;
	bool re;

	handoff_seq_init(&w);
	ck_assert_int_eq(handoff_seq_accept(&w, 0, &re), HANDOFF_ERR_TOO_OLD);
	for (uint64_t s = 1; s <= 10; s++) {
		ck_assert_int_eq(handoff_seq_accept(&w, s, &re), HANDOFF_OK);
		ck_assert(!re);
	}
	ck_assert_int_eq(handoff_seq_accept(&w, 10, &re), HANDOFF_ERR_REPLAYED);
	ck_assert_int_eq(handoff_seq_accept(&w, 3, &re), HANDOFF_ERR_REPLAYED);
	/* a gap, then the missing ones arrive late: reordered, once */
	ck_assert_int_eq(handoff_seq_accept(&w, 20, &re), HANDOFF_OK);
	ck_assert_int_eq(handoff_seq_accept(&w, 15, &re), HANDOFF_OK);
	ck_assert(re);
	ck_assert_int_eq(handoff_seq_accept(&w, 15, &re), HANDOFF_ERR_REPLAYED);
	/* the window moves: old slots are free for the new sequences */
	ck_assert_int_eq(handoff_seq_accept(&w, 20 + HANDOFF_SEQ_WINDOW - 1, &re),
			 HANDOFF_OK);
	ck_assert_int_eq(handoff_seq_accept(&w, 20, &re), HANDOFF_ERR_REPLAYED);
	ck_assert_int_eq(handoff_seq_accept(&w, 19, &re), HANDOFF_ERR_TOO_OLD);
	ck_assert_int_eq(handoff_seq_accept(&w, 21, &re), HANDOFF_OK);
	ck_assert(re);
	/* a jump beyond the window forgets everything before it */
	ck_assert_int_eq(handoff_seq_accept(&w, 100000, &re), HANDOFF_OK);
	ck_assert_int_eq(handoff_seq_accept(&w, 100000 - HANDOFF_SEQ_WINDOW + 1,
					    &re), HANDOFF_OK);
	ck_assert_int_eq(handoff_seq_accept(&w, 100000 - HANDOFF_SEQ_WINDOW, &re),
			 HANDOFF_ERR_TOO_OLD);
}
END_TEST

/* --- the migration-stream section ------------------------------------------ */

START_TEST(test_section)
{
	HandoffSection s = { .data_port = 6081 }, d;
	uint8_t buf[HANDOFF_SECTION_MAX_LEN];
	int n;

	g_strlcpy(s.manager, "mgr.example.org:7790", sizeof(s.manager));
	memcpy(s.key, KEY, 32);
	memcpy(s.migration_id, id16, 16);
	n = handoff_section_encode(&s, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(handoff_section_decode(buf, (size_t)n, &d), HANDOFF_OK);
	ck_assert_mem_eq(&d, &s, sizeof(s));
	for (int k = 0; k < n; k++)
		ck_assert_int_ne(handoff_section_decode(buf, (size_t)k, &d), HANDOFF_OK);
	/* a repeated TLV is malformed, an unknown one skipped */
	{
		uint8_t two[HANDOFF_SECTION_MAX_LEN * 2];

		memcpy(two, buf, (size_t)n);
		memcpy(two + n, buf, (size_t)n);
		ck_assert_int_eq(handoff_section_decode(two, 2 * (size_t)n, &d),
				 HANDOFF_ERR_MALFORMED);
		memcpy(two + n, "\x00\x1f\x00\x01x", 5);
		ck_assert_int_eq(handoff_section_decode(two, (size_t)n + 5, &d),
				 HANDOFF_OK);
	}
	ck_assert_int_eq(handoff_section_encode(&s, buf, 10), HANDOFF_ERR_NOSPACE);
	s.manager[0] = 0;
	ck_assert_int_eq(handoff_section_encode(&s, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
}
END_TEST

/* --- the replay cache --------------------------------------------------------- */

START_TEST(test_replay)
{
	HandoffReplayCache *c = handoff_replay_new(0, 0, 0);
	HandoffMsg m, a, b;
	uint16_t status = 0xffff;
	uint64_t t0;

	ck_assert_ptr_nonnull(c);
	handoff_vector_msg(&m, 0);
	t0 = m.timestamp_us;
	ck_assert_int_eq(handoff_replay_check(c, &m, t0), HANDOFF_REPLAY_NEW);
	ck_assert(!handoff_replay_get_status(c, &m, &status));
	ck_assert(handoff_replay_set_status(c, &m, HANDOFF_STATUS_CONFLICT));
	ck_assert_int_eq(handoff_replay_check(c, &m, t0 + 1), HANDOFF_REPLAY_DUPLICATE);
	ck_assert(handoff_replay_get_status(c, &m, &status));
	ck_assert_uint_eq(status, HANDOFF_STATUS_CONFLICT);
	/* a retransmission: same sequence, fresh timestamp */
	m.timestamp_us = t0 + 50000;
	ck_assert_int_eq(handoff_replay_check(c, &m, t0 + 50000),
			 HANDOFF_REPLAY_DUPLICATE);
	/* the original replayed once its timestamp is too old */
	m.timestamp_us = t0;
	ck_assert_int_eq(handoff_replay_check(c, &m, t0 + 30 * SEC + 1),
			 HANDOFF_REPLAY_STALE);
	/* key: other type, VM or sequence are new */
	a = m;
	a.type = HANDOFF_MSG_ABORTED;
	ck_assert_int_eq(handoff_replay_check(c, &a, t0), HANDOFF_REPLAY_NEW);
	b = m;
	b.uuid[15] ^= 1;
	ck_assert_int_eq(handoff_replay_check(c, &b, t0), HANDOFF_REPLAY_NEW);
	/* expiry, in check and by hand; a clock step back expires nothing */
	ck_assert_uint_eq(handoff_replay_expire(c, t0 - SEC), 0);
	ck_assert_uint_eq(handoff_replay_expire(c, t0 + 61 * SEC), 3);
	ck_assert_uint_eq(handoff_replay_size(c), 0);
	ck_assert_uint_gt(handoff_replay_entry_size(), sizeof(HandoffMsg) / 64);
	handoff_replay_free(c);
	/* the window must be at least twice the tolerance */
	ck_assert_ptr_null(handoff_replay_new(59 * SEC, 30 * SEC, 0));
	ck_assert_ptr_null(handoff_replay_new(10 * SEC, 0, 0));
	handoff_replay_free(NULL);
	ck_assert_str_eq(handoff_replay_verdict_name(HANDOFF_REPLAY_STALE), "stale");
}
END_TEST

/* A message from before the receiver's start is stale, even within the
 * tolerance: a capture cannot be replayed after a restart. */
START_TEST(test_replay_after_restart)
{
	HandoffMsg m;
	uint64_t start;
	HandoffReplayCache *c;

	handoff_vector_msg(&m, 2);
	start = m.timestamp_us + 1;
	c = handoff_replay_new(0, 0, start);
	ck_assert_int_eq(handoff_replay_check(c, &m, start + SEC), HANDOFF_REPLAY_STALE);
	m.timestamp_us = start; /* its retransmission, after the start */
	ck_assert_int_eq(handoff_replay_check(c, &m, start + SEC), HANDOFF_REPLAY_NEW);
	handoff_replay_free(c);
}
END_TEST

/* --- keys --------------------------------------------------------------------- */

/* HKDF-SHA256 by its definition, with GLib's HMAC, for one 32-byte block. */
static void hkdf_by_hand(const uint8_t *ikm, size_t ikm_len, const void *info,
			 size_t info_len, uint8_t out[32])
{
	uint8_t prk[32];
	gsize n = 32;
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)"mig-handoff-v2", 14);

	g_hmac_update(h, ikm, ikm_len);
	g_hmac_get_digest(h, prk, &n);
	g_hmac_unref(h);
	h = g_hmac_new(G_CHECKSUM_SHA256, prk, 32);
	g_hmac_update(h, info, info_len);
	g_hmac_update(h, (const guchar *)"\x01", 1);
	n = 32;
	g_hmac_get_digest(h, out, &n);
	g_hmac_unref(h);
}

START_TEST(test_keys)
{
	uint8_t master[32], a[32], b[32], want[32], info[18] = { 'v', 'm' };

	memset(master, 7, sizeof(master));
	ck_assert(mig_vm_key(master, sizeof(master), handoff_vector_uuid, a));
	memcpy(info + 2, handoff_vector_uuid, 16);
	hkdf_by_hand(master, sizeof(master), info, sizeof(info), want);
	ck_assert_mem_eq(a, want, 32);
	/* per VM, per master key */
	{
		uint8_t other_uuid[16];

		memcpy(other_uuid, handoff_vector_uuid, 16);
		other_uuid[0] ^= 0x80;
		ck_assert(mig_vm_key(master, sizeof(master), other_uuid, b));
	}
	ck_assert_mem_ne(a, b, 32);
	master[0] ^= 1;
	ck_assert(mig_vm_key(master, sizeof(master), handoff_vector_uuid, b));
	ck_assert_mem_ne(a, b, 32);
	/* peers */
	ck_assert(mig_peer_key(master, sizeof(master), "router1", b));
	hkdf_by_hand(master, sizeof(master), "peerrouter1", 11, want);
	ck_assert_mem_eq(b, want, 32);
	ck_assert(!mig_peer_key(master, sizeof(master), "", b));
	/* master keys too short or too long are refused */
	ck_assert(!mig_vm_key(master, MIG_MASTER_KEY_MIN - 1, handoff_vector_uuid, b));
	ck_assert(!mig_vm_key(master, MIG_MASTER_KEY_MAX + 1, handoff_vector_uuid, b));
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("control");

	tcase_add_test(tc, test_shared_vectors);
	tcase_add_test(tc, test_shared_flow_and_frame);
	tcase_add_test(tc, test_hkdf_expand);
	tcase_add_test(tc, test_round_trips_and_bit_flips);
	tcase_add_test(tc, test_peek_and_sizes);
	tcase_add_test(tc, test_encode_refusals);
	tcase_add_test(tc, test_tlv_rules);
	tcase_add_test(tc, test_nic_tlvs);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("frames");
	tcase_add_test(tc, test_frame_checks);
	tcase_add_test(tc, test_seq_window);
	tcase_add_test(tc, test_section);
	suite_add_tcase(s, tc);
	tc = tcase_create("replay");
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_replay_after_restart);
	suite_add_tcase(s, tc);
	tc = tcase_create("keys");
	tcase_add_test(tc, test_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
