// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_proto - unit tests of the handoff protocol building blocks:
 * control messages (lib/proto.c), the replay cache (lib/replay.c) and
 * the VXLAN data frames (lib/vxlan.c), with the Check framework.
 *
 * Hand-made datagrams (struct raw) are signed here with GLib's HMAC
 * directly, so the tests also check that handoff_msg_encode()'s trailer is the
 * HMAC-SHA256 that docs/protocol.md describes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "wire.h"
/* The vectors QEMU's test-migration-handoff checks too (from the patched
 * tree, see tests/unit/unit.mk). */
#include "handoff-wire-vectors.h"
#include "wire.h"
#include "wire.h"

#define SEC UINT64_C(1000000)

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
#define KEY_LEN (sizeof(key) - 1)

/* 00 01 .. 0f; SHA-256 of these 16 bytes starts be 45 cb. */
static const uint8_t uuid_a[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};
#define VNI_A 0xbe45cbu

/* SHA-256 of these 16 bytes starts 00 00 00, so its VNI is remapped to 1. */
static const uint8_t uuid_zero_vni[16] = {
	0x6d, 0x69, 0x67, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x7a, 0x01, 0x67, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t mac2[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

/* --- helpers --------------------------------------------------------------- */

static void base_msg(HandoffMsg *m, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->sequence = UINT64_C(1700000000123456);
	m->timestamp_us = UINT64_C(1700000000234567);
	memcpy(m->uuid, uuid_a, sizeof(uuid_a));
}

static void msg_suspending(HandoffMsg *m)
{
	base_msg(m, HANDOFF_MSG_SUSPENDING);
	strcpy(m->name, "vm-alpha");
	memcpy(m->macs[0], mac1, 6);
	memcpy(m->macs[1], mac2, 6);
	m->n_macs = 2;
	m->vni = VNI_A;
	m->endpoint.family = 4;
	m->endpoint.port = 4789;
	memcpy(m->endpoint.addr, (uint8_t[]){ 192, 0, 2, 10 }, 4);
}

static void msg_activated(HandoffMsg *m)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };

	base_msg(m, HANDOFF_MSG_ACTIVATED);
	strcpy(m->name, "vm-alpha");
	memcpy(m->macs[0], mac1, 6);
	m->n_macs = 1;
	m->vni = VNI_A;
	m->endpoint.family = 6;
	m->endpoint.port = 4790;
	memcpy(m->endpoint.addr, a6, 16);
}

static void msg_aborted(HandoffMsg *m)
{
	base_msg(m, HANDOFF_MSG_ABORTED);
	strcpy(m->reason, "migration cancelled by the operator");
}

static void msg_ack(HandoffMsg *m)
{
	base_msg(m, HANDOFF_MSG_ACK);
	m->acked_sequence = UINT64_C(0x0102030405060708);
	m->status = HANDOFF_STATUS_CONFLICT;
}

static void msg_drained(HandoffMsg *m)
{
	base_msg(m, HANDOFF_MSG_DRAINED);
	m->frames = UINT64_C(123456789012);
}

static void (*const makers[])(HandoffMsg *) = {
	msg_suspending, msg_activated, msg_aborted, msg_ack, msg_drained,
};
#define N_MAKERS (sizeof(makers) / sizeof(makers[0]))

static int encode(const HandoffMsg *m, uint8_t *buf)
{
	int len = handoff_msg_encode(m, key, KEY_LEN, buf, HANDOFF_MAX_LEN);

	ck_assert_int_gt(len, HANDOFF_MIN_LEN - 1);
	return len;
}

/* Every field the type lists must survive, the others must read as 0. */
static void assert_same(const HandoffMsg *a, const HandoffMsg *b)
{
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->flags, b->flags);
	ck_assert_uint_eq(a->sequence, b->sequence);
	ck_assert_uint_eq(a->timestamp_us, b->timestamp_us);
	ck_assert_mem_eq(a->uuid, b->uuid, 16);
	ck_assert_str_eq(a->name, b->name);
	ck_assert_uint_eq(a->n_macs, b->n_macs);
	ck_assert_mem_eq(a->macs, b->macs, sizeof(a->macs));
	ck_assert_uint_eq(a->vni, b->vni);
	ck_assert_uint_eq(a->endpoint.family, b->endpoint.family);
	ck_assert_uint_eq(a->endpoint.port, b->endpoint.port);
	ck_assert_mem_eq(a->endpoint.addr, b->endpoint.addr, 16);
	ck_assert_str_eq(a->reason, b->reason);
	ck_assert_uint_eq(a->acked_sequence, b->acked_sequence);
	ck_assert_uint_eq(a->status, b->status);
	ck_assert_uint_eq(a->frames, b->frames);
}

static void round_trip(void (*make)(HandoffMsg *))
{
	HandoffMsg in, out;
	uint8_t buf[HANDOFF_MAX_LEN];
	int len;

	make(&in);
	len = encode(&in, buf);
	memset(&out, 0xa5, sizeof(out));
	ck_assert_int_eq(handoff_msg_decode(buf, len, key, KEY_LEN, &out), HANDOFF_OK);
	assert_same(&in, &out);
}

static void hmac(const uint8_t *data, size_t len, uint8_t out[32])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)key, KEY_LEN);
	gsize n = 32;

	g_hmac_update(h, data, len);
	g_hmac_get_digest(h, out, &n);
	g_hmac_unref(h);
	ck_assert_uint_eq(n, 32);
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

	/* Take the header from a real encoding, drop TLVs and trailer. */
	msg_ack(&m);
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

static void raw_u64(struct raw *r, uint16_t type, uint64_t v)
{
	uint64_t be = GUINT64_TO_BE(v);

	raw_tlv(r, type, 8, &be);
}

static void raw_u16(struct raw *r, uint16_t type, uint16_t v)
{
	uint16_t be = GUINT16_TO_BE(v);

	raw_tlv(r, type, 2, &be);
}

static void raw_u32(struct raw *r, uint16_t type, uint32_t v)
{
	uint32_t be = GUINT32_TO_BE(v);

	raw_tlv(r, type, 4, &be);
}

static void raw_sign(struct raw *r)
{
	hmac(r->b, r->len, r->b + r->len);
	r->len += 32;
}

static int raw_decode(const struct raw *r, HandoffMsg *m)
{
	return handoff_msg_decode(r->b, r->len, key, KEY_LEN, m);
}

/* A valid SUSPENDING by hand, leaving out TLV @skip (0: none). */
static void raw_suspending(struct raw *r, uint16_t skip)
{
	static const uint8_t ep[7] = { 4, 0x12, 0xb5, 192, 0, 2, 10 };

	raw_header(r, HANDOFF_MSG_SUSPENDING);
	if (skip != HANDOFF_TLV_VM_NAME)
		raw_tlv(r, HANDOFF_TLV_VM_NAME, 3, "vm1");
	if (skip != HANDOFF_TLV_MAC)
		raw_tlv(r, HANDOFF_TLV_MAC, 6, mac1);
	if (skip != HANDOFF_TLV_VNI)
		raw_u32(r, HANDOFF_TLV_VNI, VNI_A);
	if (skip != HANDOFF_TLV_DATA_ENDPOINT)
		raw_tlv(r, HANDOFF_TLV_DATA_ENDPOINT, sizeof(ep), ep);
}

/* --- control messages: round trips and layout ------------------------------ */

START_TEST(test_roundtrip_suspending)
{
	round_trip(msg_suspending);
}
END_TEST

START_TEST(test_roundtrip_activated)
{
	round_trip(msg_activated);
}
END_TEST

START_TEST(test_roundtrip_aborted)
{
	round_trip(msg_aborted);
}
END_TEST

START_TEST(test_roundtrip_ack)
{
	round_trip(msg_ack);
}
END_TEST

START_TEST(test_roundtrip_drained)
{
	round_trip(msg_drained);
}
END_TEST

START_TEST(test_layout)
{
	static const uint8_t head[] = {
		'M', 'G', 'H', 'O', 1, HANDOFF_MSG_SUSPENDING, 0x00, 0x00,
		0x00, 0x06, 0x0a, 0x24, 0x18, 0x20, 0x22, 0x40, /* sequence */
		0x00, 0x06, 0x0a, 0x24, 0x18, 0x21, 0xd4, 0x47, /* timestamp */
	};
	static const uint8_t name_tlv[] = { 0, 1, 0, 8, 'v', 'm', '-', 'a',
					    'l', 'p', 'h', 'a' };
	HandoffMsg m;
	uint8_t buf[HANDOFF_MAX_LEN], mac[32];
	int len;

	msg_suspending(&m);
	len = encode(&m, buf);
	/* header 40, name 12, 2 MACs 20, VNI 8, IPv4 endpoint 11, HMAC 32 */
	ck_assert_int_eq(len, 40 + 12 + 20 + 8 + 11 + 32);
	ck_assert_mem_eq(buf, head, sizeof(head));
	ck_assert_mem_eq(buf + 24, uuid_a, 16);
	ck_assert_mem_eq(buf + 40, name_tlv, sizeof(name_tlv));
	ck_assert_mem_eq(buf + 52, ((uint8_t[]){ 0, 2, 0, 6 }), 4);
	ck_assert_mem_eq(buf + 56, mac1, 6);
	ck_assert_mem_eq(buf + 72, ((uint8_t[]){ 0, 3, 0, 4, 0, 0xbe, 0x45,
						 0xcb }), 8);
	ck_assert_mem_eq(buf + 80, ((uint8_t[]){ 0, 4, 0, 7, 4, 0x12, 0xb5,
						 192, 0, 2, 10 }), 11);
	hmac(buf, len - 32, mac);
	ck_assert_mem_eq(buf + len - 32, mac, 32);
}
END_TEST

START_TEST(test_encode_nospace)
{
	HandoffMsg m;
	uint8_t buf[HANDOFF_MAX_LEN];
	int len;

	msg_suspending(&m);
	len = encode(&m, buf);
	for (int n = 0; n < len; n++)
		ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, n),
				 HANDOFF_ERR_NOSPACE);
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, len), len);
}
END_TEST

START_TEST(test_encode_invalid)
{
	HandoffMsg m;
	uint8_t buf[HANDOFF_MAX_LEN];

	msg_suspending(&m);
	m.n_macs = 0;
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	m.n_macs = HANDOFF_MAX_MACS + 1;
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	m.n_macs = HANDOFF_MAX_MACS;
	ck_assert_int_gt(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)), 0);

	msg_suspending(&m);
	m.vni = 0x1000000;
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);

	msg_suspending(&m);
	m.endpoint.family = 5;
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);

	msg_suspending(&m);
	memset(m.name, 'x', sizeof(m.name)); /* 256 bytes, no NUL */
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	m.name[HANDOFF_TEXT_MAX] = '\0'; /* 255 bytes: the limit */
	ck_assert_int_gt(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)), 0);
	strcpy(m.name, "bad\xff");
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);

	msg_ack(&m);
	m.type = 0;
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	m.type = 6;
	ck_assert_int_eq(handoff_msg_encode(&m, key, KEY_LEN, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
	m.type = HANDOFF_MSG_ACK;
	ck_assert_int_eq(handoff_msg_encode(&m, key, 0, buf, sizeof(buf)),
			 HANDOFF_ERR_INVALID);
}
END_TEST

START_TEST(test_max_fields_round_trip)
{
	HandoffMsg in, out;
	uint8_t buf[HANDOFF_MAX_LEN];
	int len;

	msg_activated(&in);
	memset(in.name, 'n', HANDOFF_TEXT_MAX);
	in.name[HANDOFF_TEXT_MAX] = '\0';
	for (unsigned int i = 0; i < HANDOFF_MAX_MACS; i++) {
		memcpy(in.macs[i], mac1, 6);
		in.macs[i][5] = i;
	}
	in.n_macs = HANDOFF_MAX_MACS;
	len = encode(&in, buf);
	ck_assert_int_eq(handoff_msg_decode(buf, len, key, KEY_LEN, &out), HANDOFF_OK);
	assert_same(&in, &out);
}
END_TEST

/* --- control messages: rejections ------------------------------------------ */

START_TEST(test_truncated)
{
	for (size_t t = 0; t < N_MAKERS; t++) {
		HandoffMsg m;
		uint8_t buf[HANDOFF_MAX_LEN];
		int len;

		makers[t](&m);
		len = encode(&m, buf);
		for (int n = 0; n < len; n++) {
			int err = handoff_msg_decode(buf, n, key, KEY_LEN, &m);
			int want = n < HANDOFF_MIN_LEN ? HANDOFF_ERR_MALFORMED
						     : HANDOFF_ERR_AUTH;

			ck_assert_msg(err == want,
				      "%s cut to %d bytes: %s",
				      handoff_msg_type_name(t + 1), n,
				      handoff_strerror(err));
		}
	}
}
END_TEST

START_TEST(test_bad_magic)
{
	HandoffMsg m;
	uint8_t buf[HANDOFF_MAX_LEN];
	int len;

	msg_ack(&m);
	len = encode(&m, buf);
	buf[0] = 'X';
	ck_assert_int_eq(handoff_msg_decode(buf, len, key, KEY_LEN, &m),
			 HANDOFF_ERR_BAD_MAGIC);
	/* Size comes first: a short datagram is malformed whatever it says. */
	ck_assert_int_eq(handoff_msg_decode(buf, HANDOFF_MIN_LEN - 1, key, KEY_LEN, &m),
			 HANDOFF_ERR_MALFORMED);
}
END_TEST

START_TEST(test_bad_version)
{
	HandoffMsg m;
	struct raw r;

	/* Correctly signed, but version 2: still refused. */
	raw_header(&r, HANDOFF_MSG_ACK);
	r.b[4] = 2;
	raw_u64(&r, HANDOFF_TLV_ACKED_SEQUENCE, 1);
	raw_u16(&r, HANDOFF_TLV_STATUS, 0);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_BAD_VERSION);
	r.b[4] = 0;
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_BAD_VERSION);
	r.b[4] = 1; /* the signature covers the version */
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_AUTH);
}
END_TEST

START_TEST(test_bit_flips)
{
	for (size_t t = 0; t < N_MAKERS; t++) {
		HandoffMsg m;
		uint8_t buf[HANDOFF_MAX_LEN];
		int len;

		makers[t](&m);
		len = encode(&m, buf);
		for (int bit = 0; bit < len * 8; bit++) {
			int byte = bit / 8, err, want;

			want = byte < 4 ? HANDOFF_ERR_BAD_MAGIC :
			       byte == 4 ? HANDOFF_ERR_BAD_VERSION :
			       HANDOFF_ERR_AUTH;
			buf[byte] ^= 1u << (bit % 8);
			err = handoff_msg_decode(buf, len, key, KEY_LEN, &m);
			buf[byte] ^= 1u << (bit % 8);
			ck_assert_msg(err == want, "%s bit %d: %s",
				      handoff_msg_type_name(t + 1), bit,
				      handoff_strerror(err));
		}
		ck_assert_int_eq(handoff_msg_decode(buf, len, key, KEY_LEN, &m),
				 HANDOFF_OK);
	}
}
END_TEST

START_TEST(test_wrong_key)
{
	static const uint8_t other[] = "0123456789abcdef0123456789abcdeF";
	HandoffMsg m;
	uint8_t buf[HANDOFF_MAX_LEN];
	int len;

	msg_suspending(&m);
	len = encode(&m, buf);
	ck_assert_int_eq(handoff_msg_decode(buf, len, other, KEY_LEN, &m),
			 HANDOFF_ERR_AUTH);
	ck_assert_int_eq(handoff_msg_decode(buf, len, key, KEY_LEN - 1, &m),
			 HANDOFF_ERR_AUTH);
	ck_assert_int_eq(handoff_msg_decode(buf, len, key, 0, &m),
			 HANDOFF_ERR_INVALID);
	ck_assert_int_eq(handoff_msg_decode(buf, len, key, KEY_LEN, &m), HANDOFF_OK);
}
END_TEST

START_TEST(test_tlv_overrun)
{
	HandoffMsg m;
	struct raw r;

	/* Value length runs 1 byte past the end of the TLV area. */
	raw_header(&r, HANDOFF_MSG_ACK);
	raw_u64(&r, HANDOFF_TLV_ACKED_SEQUENCE, 1);
	raw_u16(&r, HANDOFF_TLV_STATUS, 0);
	raw_tlv(&r, 0x7fff, 4, "abcd");
	r.b[r.len - 5] = 5;
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* The same overrun in a TLV the type does not even list. */
	raw_header(&r, HANDOFF_MSG_ACK);
	raw_u64(&r, HANDOFF_TLV_ACKED_SEQUENCE, 1);
	raw_u16(&r, HANDOFF_TLV_STATUS, 0);
	raw_tlv(&r, HANDOFF_TLV_FRAMES, 0, "");
	r.b[r.len - 1] = 1;
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* Half a TLV header left over at the end. */
	raw_header(&r, HANDOFF_MSG_ACK);
	raw_u64(&r, HANDOFF_TLV_ACKED_SEQUENCE, 1);
	raw_u16(&r, HANDOFF_TLV_STATUS, 0);
	r.b[r.len++] = 0;
	r.b[r.len++] = 0x7f;
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* Control: exact fit decodes. */
	raw_header(&r, HANDOFF_MSG_ACK);
	raw_u64(&r, HANDOFF_TLV_ACKED_SEQUENCE, 1);
	raw_u16(&r, HANDOFF_TLV_STATUS, 0);
	raw_tlv(&r, 0x7fff, 4, "abcd");
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
}
END_TEST

START_TEST(test_missing_field)
{
	static const uint16_t required[] = {
		HANDOFF_TLV_VM_NAME, HANDOFF_TLV_MAC, HANDOFF_TLV_VNI,
		HANDOFF_TLV_DATA_ENDPOINT,
	};
	HandoffMsg m;
	struct raw r;

	raw_suspending(&r, 0);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
	ck_assert_str_eq(m.name, "vm1");
	ck_assert_uint_eq(m.endpoint.port, 4789);

	for (size_t i = 0; i < G_N_ELEMENTS(required); i++) {
		raw_suspending(&r, required[i]);
		raw_sign(&r);
		ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MISSING_FIELD);
	}

	/* ACTIVATED wants INJECT_ENDPOINT; DATA_ENDPOINT does not count. */
	raw_suspending(&r, 0);
	r.b[5] = HANDOFF_MSG_ACTIVATED;
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MISSING_FIELD);

	raw_header(&r, HANDOFF_MSG_ACK);
	raw_u64(&r, HANDOFF_TLV_ACKED_SEQUENCE, 1);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MISSING_FIELD);

	raw_header(&r, HANDOFF_MSG_ABORTED);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MISSING_FIELD);

	raw_header(&r, HANDOFF_MSG_DRAINED);
	raw_u16(&r, HANDOFF_TLV_STATUS, 0);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MISSING_FIELD);
}
END_TEST

START_TEST(test_bad_tlv_values)
{
	static const uint8_t ep6_short[18] = { 6 };
	static const uint8_t ep_fam5[7] = { 5 };
	HandoffMsg m;
	struct raw r;

	/* VNI over 24 bits */
	raw_suspending(&r, HANDOFF_TLV_VNI);
	raw_u32(&r, HANDOFF_TLV_VNI, 0x1000000);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* VNI of 3 bytes */
	raw_suspending(&r, HANDOFF_TLV_VNI);
	raw_tlv(&r, HANDOFF_TLV_VNI, 3, "\xbe\x45\xcb");
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* twice a TLV that must appear once */
	raw_suspending(&r, 0);
	raw_u32(&r, HANDOFF_TLV_VNI, VNI_A);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* MAC of 5 bytes */
	raw_suspending(&r, HANDOFF_TLV_MAC);
	raw_tlv(&r, HANDOFF_TLV_MAC, 5, mac1);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* 8 MACs fine, 9 malformed */
	raw_suspending(&r, 0);
	for (int i = 1; i < HANDOFF_MAX_MACS; i++)
		raw_tlv(&r, HANDOFF_TLV_MAC, 6, mac2);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
	ck_assert_uint_eq(m.n_macs, HANDOFF_MAX_MACS);
	ck_assert_mem_eq(m.macs[0], mac1, 6);
	ck_assert_mem_eq(m.macs[7], mac2, 6);
	r.len -= 32;
	raw_tlv(&r, HANDOFF_TLV_MAC, 6, mac2);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* endpoint: family 6 with 15 address bytes; family 5 */
	raw_suspending(&r, HANDOFF_TLV_DATA_ENDPOINT);
	raw_tlv(&r, HANDOFF_TLV_DATA_ENDPOINT, sizeof(ep6_short), ep6_short);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	raw_suspending(&r, HANDOFF_TLV_DATA_ENDPOINT);
	raw_tlv(&r, HANDOFF_TLV_DATA_ENDPOINT, sizeof(ep_fam5), ep_fam5);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);

	/* name: invalid UTF-8, embedded NUL, 256 bytes */
	raw_suspending(&r, HANDOFF_TLV_VM_NAME);
	raw_tlv(&r, HANDOFF_TLV_VM_NAME, 2, "\xc3\x28");
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	raw_suspending(&r, HANDOFF_TLV_VM_NAME);
	raw_tlv(&r, HANDOFF_TLV_VM_NAME, 3, "a\0b");
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	{
		char name[HANDOFF_TEXT_MAX + 1];

		memset(name, 'n', sizeof(name));
		raw_suspending(&r, HANDOFF_TLV_VM_NAME);
		raw_tlv(&r, HANDOFF_TLV_VM_NAME, sizeof(name), name);
		raw_sign(&r);
		ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_MALFORMED);
	}

	/* empty name is allowed (QEMU without -name) */
	raw_suspending(&r, HANDOFF_TLV_VM_NAME);
	raw_tlv(&r, HANDOFF_TLV_VM_NAME, 0, "");
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
	ck_assert_str_eq(m.name, "");
}
END_TEST

START_TEST(test_oversize)
{
	static uint8_t pad[HANDOFF_MAX_LEN];
	HandoffMsg m;
	struct raw r;
	size_t fill;

	/* Exactly HANDOFF_MAX_LEN: accepted. */
	raw_header(&r, HANDOFF_MSG_DRAINED);
	raw_u64(&r, HANDOFF_TLV_FRAMES, 7);
	fill = HANDOFF_MAX_LEN - r.len - 32 - 4;
	raw_tlv(&r, 0x1234, fill, pad);
	raw_sign(&r);
	ck_assert_uint_eq(r.len, HANDOFF_MAX_LEN);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
	ck_assert_uint_eq(m.frames, 7);

	/* One more byte, correctly signed: too long. */
	raw_header(&r, HANDOFF_MSG_DRAINED);
	raw_u64(&r, HANDOFF_TLV_FRAMES, 7);
	raw_tlv(&r, 0x1234, fill + 1, pad);
	raw_sign(&r);
	ck_assert_uint_eq(r.len, HANDOFF_MAX_LEN + 1);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_TOO_LONG);
}
END_TEST

START_TEST(test_unknown_tlv_skipped)
{
	HandoffMsg m;
	struct raw r;

	raw_header(&r, HANDOFF_MSG_ACK);
	raw_tlv(&r, 0xffff, 5, "hello");
	raw_u64(&r, HANDOFF_TLV_ACKED_SEQUENCE, 42);
	raw_tlv(&r, 0x0100, 0, "");
	raw_u16(&r, HANDOFF_TLV_STATUS, HANDOFF_STATUS_BUSY);
	raw_u64(&r, HANDOFF_TLV_FRAMES, 99); /* known, but not an ACK's */
	raw_tlv(&r, 10, 3, "new");
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_OK);
	ck_assert_uint_eq(m.type, HANDOFF_MSG_ACK);
	ck_assert_uint_eq(m.acked_sequence, 42);
	ck_assert_uint_eq(m.status, HANDOFF_STATUS_BUSY);
	ck_assert_uint_eq(m.frames, 0);
}
END_TEST

START_TEST(test_unknown_type)
{
	HandoffMsg m;
	struct raw r;

	raw_header(&r, 42);
	raw_u64(&r, HANDOFF_TLV_FRAMES, 1);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_BAD_TYPE);
	raw_header(&r, 0);
	raw_sign(&r);
	ck_assert_int_eq(raw_decode(&r, &m), HANDOFF_ERR_BAD_TYPE);
}
END_TEST

START_TEST(test_names)
{
	static const int errs[] = {
		HANDOFF_OK, HANDOFF_ERR_MALFORMED, HANDOFF_ERR_BAD_MAGIC,
		HANDOFF_ERR_BAD_VERSION, HANDOFF_ERR_AUTH, HANDOFF_ERR_BAD_TYPE,
		HANDOFF_ERR_MISSING_FIELD, HANDOFF_ERR_TOO_LONG,
		HANDOFF_ERR_NOSPACE, HANDOFF_ERR_INVALID,
	};
	HandoffEndpoint ep = { .family = 6, .port = 7790,
				     .addr = { 0x20, 0x01, 0x0d, 0xb8,
					       [15] = 1 } };
	char buf[64];

	for (size_t i = 0; i < G_N_ELEMENTS(errs); i++) {
		ck_assert_str_ne(handoff_strerror(errs[i]), "unknown-error");
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(handoff_strerror(errs[i]),
					 handoff_strerror(errs[j]));
	}
	ck_assert_str_eq(handoff_strerror(HANDOFF_ERR_AUTH), "auth-failure");
	ck_assert_str_eq(handoff_strerror(HANDOFF_ERR_MALFORMED), "malformed");
	ck_assert_str_eq(handoff_strerror(-100), "unknown-error");

	ck_assert_str_eq(handoff_msg_type_name(HANDOFF_MSG_SUSPENDING), "SUSPENDING");
	ck_assert_str_eq(handoff_msg_type_name(HANDOFF_MSG_ACTIVATED), "ACTIVATED");
	ck_assert_str_eq(handoff_msg_type_name(HANDOFF_MSG_ABORTED), "ABORTED");
	ck_assert_str_eq(handoff_msg_type_name(HANDOFF_MSG_ACK), "ACK");
	ck_assert_str_eq(handoff_msg_type_name(HANDOFF_MSG_DRAINED), "DRAINED");
	ck_assert_str_eq(handoff_msg_type_name(0), "unknown");

	ck_assert_str_eq(handoff_status_name(HANDOFF_STATUS_OK), "ok");
	ck_assert_str_eq(handoff_status_name(HANDOFF_STATUS_UNKNOWN_VM),
			 "unknown-vm");
	ck_assert_str_eq(handoff_status_name(HANDOFF_STATUS_BAD_STATE),
			 "bad-state");
	ck_assert_str_eq(handoff_status_name(HANDOFF_STATUS_CONFLICT), "conflict");
	ck_assert_str_eq(handoff_status_name(HANDOFF_STATUS_BUSY), "busy");
	ck_assert_str_eq(handoff_status_name(5), "unknown");

	ck_assert_ptr_nonnull(handoff_endpoint_format(&ep, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "[2001:db8::1]:7790");
	ep.family = 4;
	memcpy(ep.addr, (uint8_t[]){ 10, 1, 2, 3 }, 4);
	ck_assert_ptr_nonnull(handoff_endpoint_format(&ep, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "10.1.2.3:7790");
	ck_assert_ptr_null(handoff_endpoint_format(&ep, buf, 8));
	ep.family = 0;
	ck_assert_ptr_null(handoff_endpoint_format(&ep, buf, sizeof(buf)));
}
END_TEST

/* --- the shared known-answer vectors --------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = strlen(hex) / 2;

	ck_assert_uint_le(n, size);
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(g_ascii_xdigit_value(hex[2 * i]) << 4 |
				   g_ascii_xdigit_value(hex[2 * i + 1]));
	return n;
}

/* encode(msg) is exactly the vector's bytes; decode(bytes) is the msg. */
START_TEST(test_shared_vectors)
{
	for (unsigned int i = 0; i < HANDOFF_N_VECTORS; i++) {
		uint8_t want[HANDOFF_MAX_LEN], buf[HANDOFF_MAX_LEN];
		HandoffMsg m, d;
		size_t n = unhex(handoff_vector_hex[i], want, sizeof(want));
		int len;

		handoff_vector_msg(&m, i);
		len = handoff_msg_encode(&m, handoff_vector_key,
					 HANDOFF_VECTOR_KEY_LEN, buf, sizeof(buf));
		ck_assert_int_eq(len, (int)n);
		ck_assert_mem_eq(buf, want, n);
		ck_assert_int_eq(handoff_msg_decode(want, n, handoff_vector_key,
						    HANDOFF_VECTOR_KEY_LEN, &d),
				 HANDOFF_OK);
		ck_assert_mem_eq(&d, &m, sizeof(m));
	}
	ck_assert_uint_eq(handoff_vni(handoff_vector_uuid), HANDOFF_VECTOR_VNI);
	ck_assert_uint_eq(handoff_vni(handoff_vector_uuid_vni1), 1);
}
END_TEST

START_TEST(test_shared_vxlan_vector)
{
	uint8_t want[64], pkt[64];
	size_t n = unhex(handoff_vector_vxlan_hex, want, sizeof(want));

	ck_assert_int_eq(handoff_vxlan_encap(HANDOFF_VECTOR_VNI,
					     want + HANDOFF_VXLAN_HDR_LEN,
					     n - HANDOFF_VXLAN_HDR_LEN, pkt,
					     sizeof(pkt)), (int)n);
	ck_assert_mem_eq(pkt, want, n);
}
END_TEST

/* --- replay cache ---------------------------------------------------------- */

static HandoffReplayCache *cache;

static void replay_setup(void)
{
	cache = handoff_replay_new(0, 0); /* defaults: 60 s window, 30 s tolerance */
	ck_assert_ptr_nonnull(cache);
}

static void replay_teardown(void)
{
	handoff_replay_free(cache);
	cache = NULL;
}

START_TEST(test_replay_new_dup_stale)
{
	HandoffMsg m;
	uint64_t t0;

	msg_suspending(&m);
	t0 = m.timestamp_us;
	ck_assert_int_eq(handoff_replay_check(cache, &m, t0), HANDOFF_REPLAY_NEW);
	ck_assert_uint_eq(handoff_replay_size(cache), 1);
	ck_assert_int_eq(handoff_replay_check(cache, &m, t0 + 1), HANDOFF_REPLAY_DUPLICATE);

	/* A retransmission: same sequence, fresh timestamp. */
	m.timestamp_us = t0 + 50000;
	ck_assert_int_eq(handoff_replay_check(cache, &m, t0 + 50000), HANDOFF_REPLAY_DUPLICATE);
	ck_assert_uint_eq(handoff_replay_size(cache), 1);

	/* The original datagram replayed once its timestamp is too old. */
	m.timestamp_us = t0;
	ck_assert_int_eq(handoff_replay_check(cache, &m, t0 + 30 * SEC),
			 HANDOFF_REPLAY_DUPLICATE);
	ck_assert_int_eq(handoff_replay_check(cache, &m, t0 + 30 * SEC + 1),
			 HANDOFF_REPLAY_STALE);

	/* Too far in the future, even for a message never seen. */
	m.sequence++;
	ck_assert_int_eq(handoff_replay_check(cache, &m, t0 - 30 * SEC - 1),
			 HANDOFF_REPLAY_STALE);
	ck_assert_int_eq(handoff_replay_check(cache, &m, t0 - 30 * SEC), HANDOFF_REPLAY_NEW);
	ck_assert_uint_eq(handoff_replay_size(cache), 2);
}
END_TEST

START_TEST(test_replay_key)
{
	HandoffMsg m;
	uint64_t now;

	msg_suspending(&m);
	now = m.timestamp_us;
	ck_assert_int_eq(handoff_replay_check(cache, &m, now), HANDOFF_REPLAY_NEW);
	m.type = HANDOFF_MSG_ABORTED; /* same VM and sequence, other type */
	ck_assert_int_eq(handoff_replay_check(cache, &m, now), HANDOFF_REPLAY_NEW);
	m.uuid[15] ^= 1; /* other VM */
	ck_assert_int_eq(handoff_replay_check(cache, &m, now), HANDOFF_REPLAY_NEW);
	m.sequence++; /* other sequence */
	ck_assert_int_eq(handoff_replay_check(cache, &m, now), HANDOFF_REPLAY_NEW);
	ck_assert_uint_eq(handoff_replay_size(cache), 4);
	m.sequence--;
	ck_assert_int_eq(handoff_replay_check(cache, &m, now), HANDOFF_REPLAY_DUPLICATE);
}
END_TEST

START_TEST(test_replay_expiry)
{
	HandoffMsg m;
	uint64_t t0, seen;

	msg_suspending(&m);
	t0 = m.timestamp_us;
	/* Accepted at the far edge of the tolerance: ts = seen + 30 s. */
	seen = t0 - 30 * SEC;
	ck_assert_int_eq(handoff_replay_check(cache, &m, seen), HANDOFF_REPLAY_NEW);

	ck_assert_uint_eq(handoff_replay_expire(cache, seen + 60 * SEC), 0);
	ck_assert_uint_eq(handoff_replay_size(cache), 1);
	ck_assert_uint_eq(handoff_replay_expire(cache, seen + 60 * SEC + 1), 1);
	ck_assert_uint_eq(handoff_replay_size(cache), 0);

	/* Forgotten, but a replay of it is stale by its timestamp. */
	ck_assert_int_eq(handoff_replay_check(cache, &m, seen + 60 * SEC + 1),
			 HANDOFF_REPLAY_STALE);
	ck_assert_uint_eq(handoff_replay_size(cache), 0);

	/* Forgotten for real: the same key with a fresh timestamp is new. */
	m.timestamp_us = seen + 60 * SEC + 1;
	ck_assert_int_eq(handoff_replay_check(cache, &m, seen + 60 * SEC + 1),
			 HANDOFF_REPLAY_NEW);
}
END_TEST

START_TEST(test_replay_expiry_in_check)
{
	HandoffMsg a, b;
	uint64_t t0;

	msg_ack(&a);
	msg_ack(&b);
	b.sequence++;
	t0 = a.timestamp_us;
	ck_assert_int_eq(handoff_replay_check(cache, &a, t0), HANDOFF_REPLAY_NEW);
	b.timestamp_us = t0 + 61 * SEC;
	ck_assert_int_eq(handoff_replay_check(cache, &b, t0 + 61 * SEC), HANDOFF_REPLAY_NEW);
	/* a expired during the second check, without handoff_replay_expire() */
	ck_assert_uint_eq(handoff_replay_size(cache), 1);

	/* A clock step back does not expire anything. */
	ck_assert_uint_eq(handoff_replay_expire(cache, t0), 0);
	ck_assert_uint_eq(handoff_replay_size(cache), 1);
}
END_TEST

START_TEST(test_replay_status)
{
	HandoffMsg m, other;
	uint16_t status = 0xffff;

	msg_suspending(&m);
	other = m;
	other.sequence++;
	ck_assert(!handoff_replay_set_status(cache, &m, HANDOFF_STATUS_CONFLICT));
	ck_assert_int_eq(handoff_replay_check(cache, &m, m.timestamp_us), HANDOFF_REPLAY_NEW);
	ck_assert(!handoff_replay_get_status(cache, &m, &status));
	ck_assert(handoff_replay_set_status(cache, &m, HANDOFF_STATUS_CONFLICT));
	ck_assert_int_eq(handoff_replay_check(cache, &m, m.timestamp_us + 1),
			 HANDOFF_REPLAY_DUPLICATE);
	ck_assert(handoff_replay_get_status(cache, &m, &status));
	ck_assert_uint_eq(status, HANDOFF_STATUS_CONFLICT);
	ck_assert(!handoff_replay_get_status(cache, &other, &status));
}
END_TEST

START_TEST(test_replay_config)
{
	HandoffReplayCache *c;

	ck_assert_ptr_null(handoff_replay_new(59 * SEC, 30 * SEC));
	ck_assert_ptr_null(handoff_replay_new(10 * SEC, 0));
	c = handoff_replay_new(20 * SEC, 10 * SEC);
	ck_assert_ptr_nonnull(c);
	handoff_replay_free(c);
	handoff_replay_free(NULL);

	ck_assert_str_eq(handoff_replay_verdict_name(HANDOFF_REPLAY_NEW), "new");
	ck_assert_str_eq(handoff_replay_verdict_name(HANDOFF_REPLAY_DUPLICATE), "duplicate");
	ck_assert_str_eq(handoff_replay_verdict_name(HANDOFF_REPLAY_STALE), "stale");
}
END_TEST

/* --- VXLAN ------------------------------------------------------------------ */

START_TEST(test_vni_for_uuid)
{
	/* python3 -c 'import hashlib; print(hashlib.sha256(bytes(range(16))).hexdigest()[:6])' */
	ck_assert_uint_eq(handoff_vni(uuid_a), VNI_A);
	/* sha256(6d696700000000007a01670000000000) = 000000148... */
	ck_assert_uint_eq(handoff_vni(uuid_zero_vni), 1);
}
END_TEST

static void make_frame(uint8_t *f, size_t len)
{
	static const uint8_t eth[14] = {
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* dst */
		0x52, 0x54, 0x00, 0x99, 0x88, 0x77, /* src */
		0x08, 0x00,
	};

	memcpy(f, eth, sizeof(eth));
	for (size_t i = sizeof(eth); i < len; i++)
		f[i] = i * 7;
}

START_TEST(test_vxlan_round_trip)
{
	static const uint8_t hdr[8] = { 0x08, 0, 0, 0, 0xbe, 0x45, 0xcb, 0 };
	uint8_t frame[100], pkt[200];
	const uint8_t *inner;
	size_t inner_len;
	uint32_t vni = 0;

	make_frame(frame, sizeof(frame));
	ck_assert_int_eq(handoff_vxlan_encap(VNI_A, frame, sizeof(frame), pkt,
				     sizeof(pkt)), 108);
	ck_assert_mem_eq(pkt, hdr, sizeof(hdr));
	ck_assert_int_eq(handoff_vxlan_decap(pkt, 108, &vni, &inner, &inner_len),
			 HANDOFF_OK);
	ck_assert_uint_eq(vni, VNI_A);
	ck_assert_ptr_eq(inner, pkt + 8);
	ck_assert_uint_eq(inner_len, sizeof(frame));
	ck_assert_mem_eq(inner, frame, sizeof(frame));
	ck_assert_mem_eq(inner, mac1, 6); /* destination MAC first */

	/* Minimal frame, header only. */
	ck_assert_int_eq(handoff_vxlan_encap(HANDOFF_VXLAN_VNI_MAX, frame, 14, pkt,
				     sizeof(pkt)), 22);
	ck_assert_int_eq(handoff_vxlan_decap(pkt, 22, &vni, &inner, &inner_len),
			 HANDOFF_OK);
	ck_assert_uint_eq(vni, HANDOFF_VXLAN_VNI_MAX);
	ck_assert_uint_eq(inner_len, 14);

	/* Reserved bits set by some other sender: tolerated. */
	handoff_vxlan_encap(0x000102, frame, sizeof(frame), pkt, sizeof(pkt));
	pkt[0] = 0xff;
	pkt[1] = pkt[3] = pkt[7] = 0xaa;
	ck_assert_int_eq(handoff_vxlan_decap(pkt, 108, &vni, &inner, &inner_len),
			 HANDOFF_OK);
	ck_assert_uint_eq(vni, 0x000102);
}
END_TEST

START_TEST(test_vxlan_decap_rejects)
{
	uint8_t frame[64], pkt[80];
	const uint8_t *inner = NULL;
	size_t inner_len = 0;
	uint32_t vni = 0;

	make_frame(frame, sizeof(frame));
	ck_assert_int_eq(handoff_vxlan_encap(7, frame, sizeof(frame), pkt,
				     sizeof(pkt)), 72);

	pkt[0] = 0x00;
	ck_assert_int_eq(handoff_vxlan_decap(pkt, 72, &vni, &inner, &inner_len),
			 HANDOFF_ERR_NO_VNI);
	pkt[0] = 0xf7; /* everything but I */
	ck_assert_int_eq(handoff_vxlan_decap(pkt, 72, &vni, &inner, &inner_len),
			 HANDOFF_ERR_NO_VNI);
	pkt[0] = HANDOFF_VXLAN_FLAG_I;

	for (size_t n = 0; n < HANDOFF_VXLAN_HDR_LEN + HANDOFF_ETH_HLEN; n++)
		ck_assert_int_eq(handoff_vxlan_decap(pkt, n, &vni, &inner, &inner_len),
				 HANDOFF_ERR_SHORT);
	ck_assert_ptr_null(inner);
	ck_assert_int_eq(handoff_vxlan_decap(pkt, 22, &vni, &inner, &inner_len),
			 HANDOFF_OK);
	ck_assert_uint_eq(vni, 7);
}
END_TEST

START_TEST(test_vxlan_encap_rejects)
{
	size_t big = HANDOFF_VXLAN_MAX_PAYLOAD + 16;
	uint8_t *frame = g_malloc0(big), *pkt = g_malloc0(big + 8);
	uint8_t small[40];

	make_frame(frame, big);
	/* 8 + 65499 = 65507: the largest that fits */
	ck_assert_int_eq(handoff_vxlan_encap(1, frame, HANDOFF_VXLAN_MAX_PAYLOAD - 8, pkt,
				     big + 8), HANDOFF_VXLAN_MAX_PAYLOAD);
	ck_assert_int_eq(handoff_vxlan_encap(1, frame, HANDOFF_VXLAN_MAX_PAYLOAD - 7, pkt,
				     big + 8), HANDOFF_ERR_OVERSIZE);
	ck_assert_int_eq(handoff_vxlan_encap(1, frame, 65535, pkt, big + 8),
			 HANDOFF_ERR_OVERSIZE);
	ck_assert_int_eq(handoff_vxlan_encap(1, frame, 13, pkt, big + 8),
			 HANDOFF_ERR_SHORT);
	ck_assert_int_eq(handoff_vxlan_encap(0x1000000, frame, 60, pkt, big + 8),
			 HANDOFF_ERR_INVALID);
	ck_assert_int_eq(handoff_vxlan_encap(1, frame, 33, small, sizeof(small)),
			 HANDOFF_ERR_NOSPACE);
	ck_assert_int_eq(handoff_vxlan_encap(1, frame, 32, small, sizeof(small)), 40);
	ck_assert_str_eq(handoff_strerror(HANDOFF_ERR_OVERSIZE), "oversize");
	ck_assert_str_eq(handoff_strerror(HANDOFF_ERR_NO_VNI), "no-vni");
	ck_assert_str_eq(handoff_strerror(42), "unknown-error");
	g_free(frame);
	g_free(pkt);
}
END_TEST

/* --- runner ----------------------------------------------------------------- */

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("control");
	tcase_add_test(tc, test_shared_vectors);
	tcase_add_test(tc, test_shared_vxlan_vector);
	tcase_add_test(tc, test_roundtrip_suspending);
	tcase_add_test(tc, test_roundtrip_activated);
	tcase_add_test(tc, test_roundtrip_aborted);
	tcase_add_test(tc, test_roundtrip_ack);
	tcase_add_test(tc, test_roundtrip_drained);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_encode_nospace);
	tcase_add_test(tc, test_encode_invalid);
	tcase_add_test(tc, test_max_fields_round_trip);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_bad_magic);
	tcase_add_test(tc, test_bad_version);
	tcase_add_test(tc, test_bit_flips);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_tlv_overrun);
	tcase_add_test(tc, test_missing_field);
	tcase_add_test(tc, test_bad_tlv_values);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_unknown_tlv_skipped);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay");
	tcase_add_checked_fixture(tc, replay_setup, replay_teardown);
	tcase_add_test(tc, test_replay_new_dup_stale);
	tcase_add_test(tc, test_replay_key);
	tcase_add_test(tc, test_replay_expiry);
	tcase_add_test(tc, test_replay_expiry_in_check);
	tcase_add_test(tc, test_replay_status);
	tcase_add_test(tc, test_replay_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("vxlan");
	tcase_add_test(tc, test_vni_for_uuid);
	tcase_add_test(tc, test_vxlan_round_trip);
	tcase_add_test(tc, test_vxlan_decap_rejects);
	tcase_add_test(tc, test_vxlan_encap_rejects);
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
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
