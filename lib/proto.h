/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proto.h - control messages of the handoff protocol (docs/protocol.md §2).
 *
 * A control message is one UDP datagram: a fixed 40-byte header, TLVs and
 * an HMAC-SHA256 trailer over everything before it.  proto_encode() turns a
 * struct proto_msg into such a datagram; proto_decode() checks one (size,
 * magic, version, HMAC, TLV bounds, required TLVs) and fills the struct.
 * Neither keeps state; replay and duplicate detection is replay.h's job.
 */
#ifndef MIG_PROTO_H
#define MIG_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC       "MGHO"
#define PROTO_VERSION     1
#define PROTO_HDR_LEN     40   /* magic .. VM UUID */
#define PROTO_HMAC_LEN    32   /* HMAC-SHA256 trailer */
#define PROTO_MIN_LEN     (PROTO_HDR_LEN + PROTO_HMAC_LEN)
#define PROTO_MAX_LEN     1400 /* whole datagram, trailer included */
#define PROTO_TLV_HDR_LEN 4    /* type (u16), length (u16) */
#define PROTO_UUID_LEN    16
#define PROTO_MAC_LEN     6
#define PROTO_MAX_MACS    8
#define PROTO_NAME_MAX    255  /* bytes of VM_NAME, without a NUL */
#define PROTO_REASON_MAX  255  /* bytes of REASON, without a NUL */
#define PROTO_CONTROL_PORT 7790

/**
 * enum proto_type - control message types (header byte 5).
 * @PROTO_SUSPENDING: source QEMU -> manager, the VM is about to stop.
 * @PROTO_ACTIVATED: destination QEMU -> manager, the VM runs there.
 * @PROTO_ABORTED: source QEMU -> manager, the VM resumed on the source.
 * @PROTO_ACK: receiver -> sender, acknowledges one message.
 * @PROTO_DRAINED: manager -> destination QEMU, the queue is empty.
 */
enum proto_type {
	PROTO_SUSPENDING = 1,
	PROTO_ACTIVATED = 2,
	PROTO_ABORTED = 3,
	PROTO_ACK = 4,
	PROTO_DRAINED = 5,
};

/**
 * enum proto_tlv - TLV types.
 * @PROTO_TLV_VM_NAME: UTF-8 VM name, at most PROTO_NAME_MAX bytes, no NUL.
 * @PROTO_TLV_MAC: one 6-byte MAC address, repeated once per NIC.
 * @PROTO_TLV_VNI: u32, VXLAN network identifier in the low 24 bits.
 * @PROTO_TLV_DATA_ENDPOINT: family, port, address (SUSPENDING).
 * @PROTO_TLV_INJECT_ENDPOINT: family, port, address (ACTIVATED).
 * @PROTO_TLV_REASON: UTF-8 text, at most PROTO_REASON_MAX bytes, no NUL.
 * @PROTO_TLV_ACKED_SEQUENCE: u64, sequence of the acknowledged message.
 * @PROTO_TLV_STATUS: u16, enum proto_status.
 * @PROTO_TLV_FRAMES: u64, count of frames released.
 */
enum proto_tlv {
	PROTO_TLV_VM_NAME = 1,
	PROTO_TLV_MAC = 2,
	PROTO_TLV_VNI = 3,
	PROTO_TLV_DATA_ENDPOINT = 4,
	PROTO_TLV_INJECT_ENDPOINT = 5,
	PROTO_TLV_REASON = 6,
	PROTO_TLV_ACKED_SEQUENCE = 7,
	PROTO_TLV_STATUS = 8,
	PROTO_TLV_FRAMES = 9,
};

/**
 * enum proto_status - value of the STATUS TLV of an ACK.
 * @PROTO_STATUS_OK: accepted.
 * @PROTO_STATUS_UNKNOWN_VM: the receiver knows no such VM.
 * @PROTO_STATUS_BAD_STATE: the message does not fit the VM's state.
 * @PROTO_STATUS_CONFLICT: the VNI collides with another VM's open window.
 * @PROTO_STATUS_BUSY: the receiver cannot take it now.
 */
enum proto_status {
	PROTO_STATUS_OK = 0,
	PROTO_STATUS_UNKNOWN_VM = 1,
	PROTO_STATUS_BAD_STATE = 2,
	PROTO_STATUS_CONFLICT = 3,
	PROTO_STATUS_BUSY = 4,
};

/**
 * enum proto_err - results of proto_encode() and proto_decode().
 * @PROTO_OK: success (proto_encode() returns a length instead).
 * @PROTO_ERR_MALFORMED: truncated, a TLV overruns the message, a TLV has
 *                       the wrong length or an invalid value.
 * @PROTO_ERR_BAD_MAGIC: the first 4 bytes are not PROTO_MAGIC.
 * @PROTO_ERR_BAD_VERSION: the version is not PROTO_VERSION.
 * @PROTO_ERR_AUTH: the HMAC does not match (wrong key or altered).
 * @PROTO_ERR_BAD_TYPE: authentic, but of a type this code does not know.
 * @PROTO_ERR_MISSING_FIELD: a TLV that the type requires is absent.
 * @PROTO_ERR_TOO_LONG: the datagram exceeds PROTO_MAX_LEN.
 * @PROTO_ERR_NOSPACE: proto_encode()'s output buffer is too small.
 * @PROTO_ERR_INVALID: proto_encode() was given a message it cannot encode
 *                     (unknown type, too many MACs, name or reason too
 *                     long, bad endpoint family, VNI over 24 bits) or an
 *                     empty key.
 *
 * The values are negative so that proto_encode() can return a length or
 * an error.
 */
enum proto_err {
	PROTO_OK = 0,
	PROTO_ERR_MALFORMED = -1,
	PROTO_ERR_BAD_MAGIC = -2,
	PROTO_ERR_BAD_VERSION = -3,
	PROTO_ERR_AUTH = -4,
	PROTO_ERR_BAD_TYPE = -5,
	PROTO_ERR_MISSING_FIELD = -6,
	PROTO_ERR_TOO_LONG = -7,
	PROTO_ERR_NOSPACE = -8,
	PROTO_ERR_INVALID = -9,
};

/**
 * struct proto_endpoint - a UDP endpoint carried in a TLV.
 * @family: 4 (IPv4) or 6 (IPv6), as on the wire.
 * @port: UDP port, host byte order.
 * @addr: address in network byte order; 4 bytes used for IPv4, 16 for IPv6.
 *
 * An unspecified address (0.0.0.0 or ::) stands for the source address of
 * the datagram that carried it (docs/protocol.md).
 */
struct proto_endpoint {
	uint8_t family;
	uint16_t port;
	uint8_t addr[16];
};

/**
 * struct proto_msg - one decoded control message, host byte order.
 * @type: enum proto_type.
 * @flags: header flags; none defined in version 1 (sent as 0).
 * @sequence: sender's sequence, identical in every retransmission.
 * @timestamp_us: wall-clock time of this transmission, µs since the epoch.
 * @uuid: VM UUID, 16 bytes as on the wire.
 * @name: VM_NAME, NUL-terminated (SUSPENDING, ACTIVATED).
 * @macs: MAC TLVs in message order (SUSPENDING, ACTIVATED).
 * @n_macs: number of valid entries in @macs, 1..PROTO_MAX_MACS.
 * @vni: VNI (SUSPENDING, ACTIVATED).
 * @endpoint: DATA_ENDPOINT of a SUSPENDING, INJECT_ENDPOINT of an
 *            ACTIVATED.
 * @reason: REASON, NUL-terminated (ABORTED).
 * @acked_sequence: ACKED_SEQUENCE (ACK).
 * @status: STATUS, enum proto_status (ACK).
 * @frames: FRAMES (DRAINED).
 *
 * Only the fields that @type lists are encoded or decoded; proto_decode()
 * zeroes the others.
 */
struct proto_msg {
	uint8_t type;
	uint16_t flags;
	uint64_t sequence;
	uint64_t timestamp_us;
	uint8_t uuid[PROTO_UUID_LEN];
	char name[PROTO_NAME_MAX + 1];
	uint8_t macs[PROTO_MAX_MACS][PROTO_MAC_LEN];
	unsigned int n_macs;
	uint32_t vni;
	struct proto_endpoint endpoint;
	char reason[PROTO_REASON_MAX + 1];
	uint64_t acked_sequence;
	uint16_t status;
	uint64_t frames;
};

/**
 * proto_encode() - build the datagram of a control message.
 * @msg: message to encode; fields its type does not list are ignored.
 * @key: HMAC-SHA256 key.
 * @key_len: bytes of @key, at least 1.
 * @buf: output buffer.
 * @buf_len: size of @buf; PROTO_MAX_LEN is always enough.
 *
 * Writes the header, the TLVs that @msg->type lists (MACs in array order)
 * and the HMAC trailer.
 *
 * Return: datagram length (> 0), or PROTO_ERR_INVALID, PROTO_ERR_NOSPACE
 * or PROTO_ERR_TOO_LONG.
 */
int proto_encode(const struct proto_msg *msg, const void *key, size_t key_len,
		 uint8_t *buf, size_t buf_len);

/**
 * proto_decode() - check and decode a received datagram.
 * @buf: datagram.
 * @len: its length.
 * @key: HMAC-SHA256 key.
 * @key_len: bytes of @key.
 * @msg: filled on success; unspecified on error.
 *
 * Checks in this order: size (PROTO_ERR_TOO_LONG, PROTO_ERR_MALFORMED),
 * magic, version, HMAC (compared in constant time), type, then the TLVs:
 * any TLV overrunning the message or a listed TLV with a bad length or
 * value is malformed; TLVs the type does not list are skipped; a listed
 * TLV that must appear once and appears twice is malformed; a missing one
 * is PROTO_ERR_MISSING_FIELD.  Nothing past the HMAC check is looked at
 * before the message is known to be authentic.
 *
 * Return: PROTO_OK or a negative enum proto_err.
 */
int proto_decode(const uint8_t *buf, size_t len, const void *key,
		 size_t key_len, struct proto_msg *msg);

/**
 * proto_strerror() - short name of an error code, for logs and counters.
 * @err: enum proto_err value.
 *
 * Return: static string such as "auth-failure"; "unknown-error" for
 * values outside enum proto_err.
 */
const char *proto_strerror(int err);

/**
 * proto_type_name() - name of a message type.
 * @type: enum proto_type value.
 *
 * Return: static string such as "SUSPENDING", or "unknown".
 */
const char *proto_type_name(unsigned int type);

/**
 * proto_status_name() - name of an ACK status.
 * @status: enum proto_status value.
 *
 * Return: static string such as "bad-state", or "unknown".
 */
const char *proto_status_name(unsigned int status);

/**
 * proto_endpoint_format() - print an endpoint as "a.b.c.d:port" or
 * "[v6]:port".
 * @ep: endpoint.
 * @buf: output buffer.
 * @buf_len: its size; 64 bytes are always enough.
 *
 * Return: @buf, or NULL if @ep's family is neither 4 nor 6 or @buf is too
 * small.
 */
char *proto_endpoint_format(const struct proto_endpoint *ep, char *buf,
			    size_t buf_len);

#endif /* MIG_PROTO_H */
