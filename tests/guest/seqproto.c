// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seqproto.c - encode/decode the migration test datagrams (see seqproto.h).
 */
#include "seqproto.h"

#include <endian.h>
#include <string.h>

#define OFF_MAGIC     0
#define OFF_VERSION   4
#define OFF_TYPE      6
#define OFF_STREAM    8
#define OFF_RESERVED 12
#define OFF_SEQ      16
#define OFF_SEND_NS  24

static void put16(unsigned char *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static uint16_t get16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static int type_valid(uint16_t type)
{
	return type >= SEQPROTO_DATA && type <= SEQPROTO_STATS_REPLY;
}

/* The payload fields, in wire order. */
static uint64_t *stats_field(struct seqproto_stats *s, int i)
{
	uint64_t *f[] = {
		&s->received, &s->unique, &s->duplicates, &s->reordered,
		&s->lost, &s->max_seq, &s->max_gap_us, &s->first_ns,
		&s->last_ns,
	};

	return f[i];
}

#define STATS_NFIELDS (SEQPROTO_STATS_LEN / 8)

int seqproto_encode(const struct seqproto_hdr *hdr,
		    const struct seqproto_stats *stats, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t need = SEQPROTO_HDR_LEN;

	if (!type_valid(hdr->type))
		return SEQPROTO_E_TYPE;
	if (hdr->type == SEQPROTO_STATS_REPLY)
		need += SEQPROTO_STATS_LEN;
	if (len < need)
		return SEQPROTO_E_NOSPACE;

	put32(p + OFF_MAGIC, SEQPROTO_MAGIC);
	put16(p + OFF_VERSION, SEQPROTO_VERSION);
	put16(p + OFF_TYPE, hdr->type);
	put32(p + OFF_STREAM, hdr->stream_id);
	put32(p + OFF_RESERVED, 0);
	put64(p + OFF_SEQ, hdr->seq);
	put64(p + OFF_SEND_NS, hdr->send_ns);

	if (hdr->type == SEQPROTO_STATS_REPLY) {
		struct seqproto_stats zero = { 0 };
		struct seqproto_stats s = stats ? *stats : zero;

		for (int i = 0; i < STATS_NFIELDS; i++)
			put64(p + SEQPROTO_HDR_LEN + 8 * i, *stats_field(&s, i));
	}
	return (int)need;
}

int seqproto_decode(const void *buf, size_t len, struct seqproto_hdr *hdr,
		    struct seqproto_stats *stats)
{
	const unsigned char *p = buf;
	uint16_t type;

	if (len < SEQPROTO_HDR_LEN)
		return SEQPROTO_E_SHORT;
	if (get32(p + OFF_MAGIC) != SEQPROTO_MAGIC)
		return SEQPROTO_E_MAGIC;
	if (get16(p + OFF_VERSION) != SEQPROTO_VERSION)
		return SEQPROTO_E_VERSION;
	type = get16(p + OFF_TYPE);
	if (!type_valid(type))
		return SEQPROTO_E_TYPE;
	if (type == SEQPROTO_STATS_REPLY &&
	    len < SEQPROTO_HDR_LEN + SEQPROTO_STATS_LEN)
		return SEQPROTO_E_SHORT;

	hdr->type = type;
	hdr->stream_id = get32(p + OFF_STREAM);
	hdr->seq = get64(p + OFF_SEQ);
	hdr->send_ns = get64(p + OFF_SEND_NS);

	if (type == SEQPROTO_STATS_REPLY && stats) {
		for (int i = 0; i < STATS_NFIELDS; i++)
			*stats_field(stats, i) =
				get64(p + SEQPROTO_HDR_LEN + 8 * i);
	}
	return SEQPROTO_OK;
}

const char *seqproto_strerror(int err)
{
	switch (err) {
	case SEQPROTO_OK:
		return "success";
	case SEQPROTO_E_SHORT:
		return "datagram too short";
	case SEQPROTO_E_MAGIC:
		return "bad magic (not an MLSQ datagram)";
	case SEQPROTO_E_VERSION:
		return "unsupported protocol version";
	case SEQPROTO_E_TYPE:
		return "unknown datagram type";
	case SEQPROTO_E_NOSPACE:
		return "output buffer too small";
	default:
		return "unknown error";
	}
}
