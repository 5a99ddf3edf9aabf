// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proto.c - encode and decode the control messages of the handoff protocol
 * (docs/protocol.md §2).
 *
 * Header layout (all integers big-endian):
 *
 *   off size field
 *     0    4 magic "MGHO"
 *     4    1 version
 *     5    1 type
 *     6    2 flags
 *     8    8 sequence
 *    16    8 timestamp_us
 *    24   16 VM UUID
 *    40      TLVs: type (u16) | length (u16) | value
 *   end-32  32 HMAC-SHA256 over bytes [0, end-32)
 */
#include "proto.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

/* Bit of enum proto_tlv @t in a TLV set. */
#define TLV_BIT(t) (1u << (t))

/* The TLVs each type lists; all of them are required. */
static unsigned int tlvs_of_type(unsigned int type)
{
	switch (type) {
	case PROTO_SUSPENDING:
		return TLV_BIT(PROTO_TLV_VM_NAME) | TLV_BIT(PROTO_TLV_MAC) |
		       TLV_BIT(PROTO_TLV_VNI) | TLV_BIT(PROTO_TLV_DATA_ENDPOINT);
	case PROTO_ACTIVATED:
		return TLV_BIT(PROTO_TLV_VM_NAME) | TLV_BIT(PROTO_TLV_MAC) |
		       TLV_BIT(PROTO_TLV_VNI) |
		       TLV_BIT(PROTO_TLV_INJECT_ENDPOINT);
	case PROTO_ABORTED:
		return TLV_BIT(PROTO_TLV_REASON);
	case PROTO_ACK:
		return TLV_BIT(PROTO_TLV_ACKED_SEQUENCE) |
		       TLV_BIT(PROTO_TLV_STATUS);
	case PROTO_DRAINED:
		return TLV_BIT(PROTO_TLV_FRAMES);
	default:
		return 0;
	}
}

/* --- big-endian access ---------------------------------------------------- */

static uint16_t get_be16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return GUINT16_FROM_BE(v);
}

static uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return GUINT32_FROM_BE(v);
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return GUINT64_FROM_BE(v);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	v = GUINT16_TO_BE(v);
	memcpy(p, &v, sizeof(v));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	v = GUINT32_TO_BE(v);
	memcpy(p, &v, sizeof(v));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	v = GUINT64_TO_BE(v);
	memcpy(p, &v, sizeof(v));
}

/* --- HMAC ------------------------------------------------------------------ */

static void hmac_sha256(const void *key, size_t key_len, const uint8_t *data,
			size_t len, uint8_t out[PROTO_HMAC_LEN])
{
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
	gsize out_len = PROTO_HMAC_LEN;

	g_hmac_update(h, data, len);
	g_hmac_get_digest(h, out, &out_len);
	g_hmac_unref(h);
}

/* Compare without an early exit, so timing does not tell where they differ. */
static bool equal_const_time(const uint8_t *a, const uint8_t *b, size_t n)
{
	volatile uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* --- encoding -------------------------------------------------------------- */

/* Bounded output cursor; @ok drops to false once anything did not fit. */
struct writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool ok;
};

static uint8_t *w_reserve(struct writer *w, size_t n)
{
	uint8_t *p;

	if (!w->ok || w->cap - w->len < n) {
		w->ok = false;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

/* Reserve a TLV of @len value bytes, return its value area. */
static uint8_t *w_tlv(struct writer *w, uint16_t type, uint16_t len)
{
	uint8_t *p = w_reserve(w, PROTO_TLV_HDR_LEN + len);

	if (!p)
		return NULL;
	put_be16(p, type);
	put_be16(p + 2, len);
	return p + PROTO_TLV_HDR_LEN;
}

static void w_bytes(struct writer *w, uint16_t type, const void *v,
		    uint16_t len)
{
	uint8_t *p = w_tlv(w, type, len);

	if (p && len)
		memcpy(p, v, len);
}

static void w_u16(struct writer *w, uint16_t type, uint16_t v)
{
	uint8_t *p = w_tlv(w, type, 2);

	if (p)
		put_be16(p, v);
}

static void w_u32(struct writer *w, uint16_t type, uint32_t v)
{
	uint8_t *p = w_tlv(w, type, 4);

	if (p)
		put_be32(p, v);
}

static void w_u64(struct writer *w, uint16_t type, uint64_t v)
{
	uint8_t *p = w_tlv(w, type, 8);

	if (p)
		put_be64(p, v);
}

static size_t addr_len(uint8_t family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

static void w_endpoint(struct writer *w, uint16_t type,
		       const struct proto_endpoint *ep)
{
	size_t alen = addr_len(ep->family);
	uint8_t *p = w_tlv(w, type, (uint16_t)(3 + alen));

	if (!p)
		return;
	p[0] = ep->family;
	put_be16(p + 1, ep->port);
	memcpy(p + 3, ep->addr, alen);
}

/* Length of a text field if it is valid UTF-8 of at most @max bytes, or -1. */
static int text_len(const char *s, size_t size, size_t max)
{
	size_t n = strnlen(s, size);

	if (n > max || !g_utf8_validate(s, (gssize)n, NULL))
		return -1;
	return (int)n;
}

static bool encodable(const struct proto_msg *msg, unsigned int tlvs)
{
	if (!tlvs)
		return false;
	if (tlvs & TLV_BIT(PROTO_TLV_VM_NAME) &&
	    text_len(msg->name, sizeof(msg->name), PROTO_NAME_MAX) < 0)
		return false;
	if (tlvs & TLV_BIT(PROTO_TLV_REASON) &&
	    text_len(msg->reason, sizeof(msg->reason), PROTO_REASON_MAX) < 0)
		return false;
	if (tlvs & TLV_BIT(PROTO_TLV_MAC) &&
	    (msg->n_macs < 1 || msg->n_macs > PROTO_MAX_MACS))
		return false;
	if (tlvs & TLV_BIT(PROTO_TLV_VNI) && msg->vni > 0xffffff)
		return false;
	if (tlvs & (TLV_BIT(PROTO_TLV_DATA_ENDPOINT) |
		    TLV_BIT(PROTO_TLV_INJECT_ENDPOINT)) &&
	    !addr_len(msg->endpoint.family))
		return false;
	return true;
}

int proto_encode(const struct proto_msg *msg, const void *key, size_t key_len,
		 uint8_t *buf, size_t buf_len)
{
	unsigned int tlvs = tlvs_of_type(msg->type);
	struct writer w = { .buf = buf, .cap = buf_len, .ok = true };
	uint8_t *h;

	if (!key || !key_len || !encodable(msg, tlvs))
		return PROTO_ERR_INVALID;

	h = w_reserve(&w, PROTO_HDR_LEN);
	if (!h)
		return PROTO_ERR_NOSPACE;
	memcpy(h, PROTO_MAGIC, 4);
	h[4] = PROTO_VERSION;
	h[5] = msg->type;
	put_be16(h + 6, msg->flags);
	put_be64(h + 8, msg->sequence);
	put_be64(h + 16, msg->timestamp_us);
	memcpy(h + 24, msg->uuid, PROTO_UUID_LEN);

	if (tlvs & TLV_BIT(PROTO_TLV_VM_NAME))
		w_bytes(&w, PROTO_TLV_VM_NAME, msg->name,
			(uint16_t)strnlen(msg->name, sizeof(msg->name)));
	if (tlvs & TLV_BIT(PROTO_TLV_MAC))
		for (unsigned int i = 0; i < msg->n_macs; i++)
			w_bytes(&w, PROTO_TLV_MAC, msg->macs[i],
				PROTO_MAC_LEN);
	if (tlvs & TLV_BIT(PROTO_TLV_VNI))
		w_u32(&w, PROTO_TLV_VNI, msg->vni);
	if (tlvs & TLV_BIT(PROTO_TLV_DATA_ENDPOINT))
		w_endpoint(&w, PROTO_TLV_DATA_ENDPOINT, &msg->endpoint);
	if (tlvs & TLV_BIT(PROTO_TLV_INJECT_ENDPOINT))
		w_endpoint(&w, PROTO_TLV_INJECT_ENDPOINT, &msg->endpoint);
	if (tlvs & TLV_BIT(PROTO_TLV_REASON))
		w_bytes(&w, PROTO_TLV_REASON, msg->reason,
			(uint16_t)strnlen(msg->reason, sizeof(msg->reason)));
	if (tlvs & TLV_BIT(PROTO_TLV_ACKED_SEQUENCE))
		w_u64(&w, PROTO_TLV_ACKED_SEQUENCE, msg->acked_sequence);
	if (tlvs & TLV_BIT(PROTO_TLV_STATUS))
		w_u16(&w, PROTO_TLV_STATUS, msg->status);
	if (tlvs & TLV_BIT(PROTO_TLV_FRAMES))
		w_u64(&w, PROTO_TLV_FRAMES, msg->frames);

	h = w_reserve(&w, PROTO_HMAC_LEN);
	if (!w.ok)
		return PROTO_ERR_NOSPACE;
	if (w.len > PROTO_MAX_LEN)
		return PROTO_ERR_TOO_LONG;
	hmac_sha256(key, key_len, buf, w.len - PROTO_HMAC_LEN, h);
	return (int)w.len;
}

/* --- decoding -------------------------------------------------------------- */

/* Copy a text TLV into @dst (size @max + 1) if it is valid UTF-8 without NUL. */
static bool read_text(char *dst, size_t max, const uint8_t *v, uint16_t len)
{
	if (len > max || (len && !g_utf8_validate((const char *)v, len, NULL)))
		return false;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return true;
}

static bool read_endpoint(struct proto_endpoint *ep, const uint8_t *v,
			  uint16_t len)
{
	size_t alen;

	if (len < 1)
		return false;
	alen = addr_len(v[0]);
	if (!alen || len != 3 + alen)
		return false;
	ep->family = v[0];
	ep->port = get_be16(v + 1);
	memcpy(ep->addr, v + 3, alen);
	return true;
}

/* Decode one TLV that the type lists into @msg. */
static bool read_tlv(struct proto_msg *msg, uint16_t type, const uint8_t *v,
		     uint16_t len)
{
	switch (type) {
	case PROTO_TLV_VM_NAME:
		return read_text(msg->name, PROTO_NAME_MAX, v, len);
	case PROTO_TLV_MAC:
		if (len != PROTO_MAC_LEN || msg->n_macs >= PROTO_MAX_MACS)
			return false;
		memcpy(msg->macs[msg->n_macs++], v, PROTO_MAC_LEN);
		return true;
	case PROTO_TLV_VNI:
		if (len != 4)
			return false;
		msg->vni = get_be32(v);
		return msg->vni <= 0xffffff;
	case PROTO_TLV_DATA_ENDPOINT:
	case PROTO_TLV_INJECT_ENDPOINT:
		return read_endpoint(&msg->endpoint, v, len);
	case PROTO_TLV_REASON:
		return read_text(msg->reason, PROTO_REASON_MAX, v, len);
	case PROTO_TLV_ACKED_SEQUENCE:
		if (len != 8)
			return false;
		msg->acked_sequence = get_be64(v);
		return true;
	case PROTO_TLV_STATUS:
		if (len != 2)
			return false;
		msg->status = get_be16(v);
		return true;
	case PROTO_TLV_FRAMES:
		if (len != 8)
			return false;
		msg->frames = get_be64(v);
		return true;
	default:
		return false;
	}
}

static int read_tlvs(struct proto_msg *msg, const uint8_t *p, size_t len)
{
	unsigned int want = tlvs_of_type(msg->type);
	unsigned int seen = 0;
	size_t off = 0;

	while (off < len) {
		uint16_t type, vlen;

		if (len - off < PROTO_TLV_HDR_LEN)
			return PROTO_ERR_MALFORMED;
		type = get_be16(p + off);
		vlen = get_be16(p + off + 2);
		off += PROTO_TLV_HDR_LEN;
		if (len - off < vlen)
			return PROTO_ERR_MALFORMED;
		if (type < 32 && (want & TLV_BIT(type))) {
			if (seen & TLV_BIT(type) && type != PROTO_TLV_MAC)
				return PROTO_ERR_MALFORMED;
			if (!read_tlv(msg, type, p + off, vlen))
				return PROTO_ERR_MALFORMED;
			seen |= TLV_BIT(type);
		}
		off += vlen;
	}
	return seen == want ? PROTO_OK : PROTO_ERR_MISSING_FIELD;
}

int proto_decode(const uint8_t *buf, size_t len, const void *key,
		 size_t key_len, struct proto_msg *msg)
{
	uint8_t mac[PROTO_HMAC_LEN];
	size_t body;

	if (!key || !key_len)
		return PROTO_ERR_INVALID;
	if (len > PROTO_MAX_LEN)
		return PROTO_ERR_TOO_LONG;
	if (len < PROTO_MIN_LEN)
		return PROTO_ERR_MALFORMED;
	if (memcmp(buf, PROTO_MAGIC, 4) != 0)
		return PROTO_ERR_BAD_MAGIC;
	if (buf[4] != PROTO_VERSION)
		return PROTO_ERR_BAD_VERSION;

	body = len - PROTO_HMAC_LEN;
	hmac_sha256(key, key_len, buf, body, mac);
	if (!equal_const_time(mac, buf + body, PROTO_HMAC_LEN))
		return PROTO_ERR_AUTH;

	memset(msg, 0, sizeof(*msg));
	msg->type = buf[5];
	if (!tlvs_of_type(msg->type))
		return PROTO_ERR_BAD_TYPE;
	msg->flags = get_be16(buf + 6);
	msg->sequence = get_be64(buf + 8);
	msg->timestamp_us = get_be64(buf + 16);
	memcpy(msg->uuid, buf + 24, PROTO_UUID_LEN);
	return read_tlvs(msg, buf + PROTO_HDR_LEN, body - PROTO_HDR_LEN);
}

/* --- names ----------------------------------------------------------------- */

const char *proto_strerror(int err)
{
	switch (err) {
	case PROTO_OK:
		return "ok";
	case PROTO_ERR_MALFORMED:
		return "malformed";
	case PROTO_ERR_BAD_MAGIC:
		return "bad-magic";
	case PROTO_ERR_BAD_VERSION:
		return "bad-version";
	case PROTO_ERR_AUTH:
		return "auth-failure";
	case PROTO_ERR_BAD_TYPE:
		return "bad-type";
	case PROTO_ERR_MISSING_FIELD:
		return "missing-field";
	case PROTO_ERR_TOO_LONG:
		return "too-long";
	case PROTO_ERR_NOSPACE:
		return "no-space";
	case PROTO_ERR_INVALID:
		return "invalid-argument";
	default:
		return "unknown-error";
	}
}

const char *proto_type_name(unsigned int type)
{
	switch (type) {
	case PROTO_SUSPENDING:
		return "SUSPENDING";
	case PROTO_ACTIVATED:
		return "ACTIVATED";
	case PROTO_ABORTED:
		return "ABORTED";
	case PROTO_ACK:
		return "ACK";
	case PROTO_DRAINED:
		return "DRAINED";
	default:
		return "unknown";
	}
}

const char *proto_status_name(unsigned int status)
{
	switch (status) {
	case PROTO_STATUS_OK:
		return "ok";
	case PROTO_STATUS_UNKNOWN_VM:
		return "unknown-vm";
	case PROTO_STATUS_BAD_STATE:
		return "bad-state";
	case PROTO_STATUS_CONFLICT:
		return "conflict";
	case PROTO_STATUS_BUSY:
		return "busy";
	default:
		return "unknown";
	}
}

char *proto_endpoint_format(const struct proto_endpoint *ep, char *buf,
			    size_t buf_len)
{
	char addr[INET6_ADDRSTRLEN];
	int n;

	if (ep->family == 4) {
		if (!inet_ntop(AF_INET, ep->addr, addr, sizeof(addr)))
			return NULL;
		n = snprintf(buf, buf_len, "%s:%u", addr, ep->port);
	} else if (ep->family == 6) {
		if (!inet_ntop(AF_INET6, ep->addr, addr, sizeof(addr)))
			return NULL;
		n = snprintf(buf, buf_len, "[%s]:%u", addr, ep->port);
	} else {
		return NULL;
	}
	return n >= 0 && (size_t)n < buf_len ? buf : NULL;
}
