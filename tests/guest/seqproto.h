/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seqproto.h - wire format of the migration test datagrams.
 *
 * Every datagram starts with a 32-byte header; all fields are in network
 * byte order and laid out at fixed offsets (no compiler packing needed):
 *
 *   off  size  field
 *     0     4  magic      0x4d4c5351 ('MLSQ')
 *     4     2  version    1
 *     6     2  type       enum seqproto_type
 *     8     4  stream_id
 *    12     4  reserved   sent as 0, ignored on receipt
 *    16     8  seq        0, 1, 2, ... per stream
 *    24     8  send_ns    CLOCK_MONOTONIC of the sender, nanoseconds
 *
 * DATA and ECHO datagrams may carry arbitrary padding after the header.
 * A STATS_REPLY carries SEQPROTO_STATS_LEN bytes after the header: the
 * fields of struct seqproto_stats, in declaration order, each a uint64 in
 * network byte order.
 */
#ifndef MIG_SEQPROTO_H
#define MIG_SEQPROTO_H

#include <stddef.h>
#include <stdint.h>

#define SEQPROTO_MAGIC     0x4d4c5351u /* 'MLSQ' */
#define SEQPROTO_VERSION   1
#define SEQPROTO_HDR_LEN   32
#define SEQPROTO_STATS_LEN 72 /* 9 x uint64 */
#define SEQPROTO_DEFAULT_PORT 7777

/**
 * enum seqproto_type - datagram types.
 * @SEQPROTO_DATA: client -> sink, one numbered datagram of a stream.
 * @SEQPROTO_ECHO: sink -> client, a DATA datagram sent back unchanged
 *                 except for the type.
 * @SEQPROTO_STATS_REQ: client -> sink, asks for the counters of stream_id.
 * @SEQPROTO_STATS_REPLY: sink -> client, header plus struct seqproto_stats.
 */
enum seqproto_type {
	SEQPROTO_DATA = 1,
	SEQPROTO_ECHO = 2,
	SEQPROTO_STATS_REQ = 3,
	SEQPROTO_STATS_REPLY = 4,
};

/**
 * enum seqproto_err - result codes of the encode/decode helpers.
 * @SEQPROTO_OK: success.
 * @SEQPROTO_E_SHORT: datagram shorter than its type requires.
 * @SEQPROTO_E_MAGIC: magic is not SEQPROTO_MAGIC.
 * @SEQPROTO_E_VERSION: version is not SEQPROTO_VERSION.
 * @SEQPROTO_E_TYPE: type is not one of enum seqproto_type.
 * @SEQPROTO_E_NOSPACE: output buffer too small for encoding.
 *
 * The error values are negative so that functions can return either a
 * length or an error.
 */
enum seqproto_err {
	SEQPROTO_OK = 0,
	SEQPROTO_E_SHORT = -1,
	SEQPROTO_E_MAGIC = -2,
	SEQPROTO_E_VERSION = -3,
	SEQPROTO_E_TYPE = -4,
	SEQPROTO_E_NOSPACE = -5,
};

/**
 * struct seqproto_hdr - decoded (host byte order) datagram header.
 * @type: enum seqproto_type.
 * @stream_id: identifies one run of a client.
 * @seq: sequence number within the stream, starting at 0.
 * @send_ns: CLOCK_MONOTONIC of the sender when it sent the DATA datagram.
 *
 * Magic, version and the reserved word are filled in or checked by the
 * helpers and are therefore not part of the struct.
 */
struct seqproto_hdr {
	uint16_t type;
	uint32_t stream_id;
	uint64_t seq;
	uint64_t send_ns;
};

/**
 * struct seqproto_stats - payload of a STATS_REPLY, the sink's counters.
 * @received: DATA datagrams received for the stream (in range).
 * @unique: distinct sequence numbers received.
 * @duplicates: datagrams whose seq had been received before.
 * @reordered: datagrams with a seq below the highest seen (not duplicates).
 * @lost: max_seq + 1 - unique (tail losses cannot be seen by the sink).
 * @max_seq: highest sequence number received.
 * @max_gap_us: longest time between two consecutive arrivals, microseconds.
 * @first_ns: sink CLOCK_MONOTONIC of the first arrival, nanoseconds.
 * @last_ns: sink CLOCK_MONOTONIC of the last arrival, nanoseconds.
 *
 * A sink that has no data for the requested stream replies with all zeros.
 */
struct seqproto_stats {
	uint64_t received;
	uint64_t unique;
	uint64_t duplicates;
	uint64_t reordered;
	uint64_t lost;
	uint64_t max_seq;
	uint64_t max_gap_us;
	uint64_t first_ns;
	uint64_t last_ns;
};

/**
 * seqproto_encode() - write a header (and stats payload) into @buf.
 * @hdr: header to encode.
 * @stats: payload for SEQPROTO_STATS_REPLY, ignored (may be NULL) for
 *         other types; a STATS_REPLY with NULL @stats is encoded as zeros.
 * @buf: output buffer.
 * @len: size of @buf.
 *
 * Return: number of bytes written, or a negative enum seqproto_err
 * (SEQPROTO_E_NOSPACE, SEQPROTO_E_TYPE).
 */
int seqproto_encode(const struct seqproto_hdr *hdr,
		    const struct seqproto_stats *stats, void *buf, size_t len);

/**
 * seqproto_decode() - validate and decode a received datagram.
 * @buf: datagram.
 * @len: its length.
 * @hdr: filled with the header on success.
 * @stats: filled with the payload when the type is STATS_REPLY; may be
 *         NULL if the caller does not need it.
 *
 * Checks the length, magic, version and type, in that order.  Trailing
 * bytes beyond what the type requires are accepted (padding).
 *
 * Return: SEQPROTO_OK or a negative enum seqproto_err.
 */
int seqproto_decode(const void *buf, size_t len, struct seqproto_hdr *hdr,
		    struct seqproto_stats *stats);

/**
 * seqproto_strerror() - describe an enum seqproto_err value.
 * @err: a value returned by seqproto_encode() or seqproto_decode().
 *
 * Return: a static, human readable string.
 */
const char *seqproto_strerror(int err);

#endif /* MIG_SEQPROTO_H */
