/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * simqemu.h - the QEMU side of the handoff protocol, simulated for the
 * manager's tests (check_manager, check_fuzz, mig-peer, the ingest
 * benchmark): a VM's QEMU with its key, NICs, endpoints and flow keys,
 * building the control messages and sealed frames a source or
 * destination QEMU sends and opening the frames the manager sends back.
 * It uses the real wire format (lib/wire.h) and nothing of the manager.
 */
#ifndef MIG_SIMQEMU_H
#define MIG_SIMQEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/**
 * struct simq_nic - one NIC of a simulated QEMU.
 * @mac: its MAC.
 * @vni: handoff_vni(uuid, mac).
 * @ep: its filter's data endpoint.
 * @tx_key: key of the frames it sends (capture).
 * @rx_key: key of the frames it accepts (release or return).
 * @tx_seq: last sequence it sent.
 * @rx: its anti-replay window.
 */
struct simq_nic {
	uint8_t mac[HANDOFF_MAC_LEN];
	uint32_t vni;
	HandoffEndpoint ep;
	uint8_t tx_key[HANDOFF_KEY_LEN];
	uint8_t rx_key[HANDOFF_KEY_LEN];
	uint64_t tx_seq;
	HandoffSeqWindow rx;
};

/**
 * struct simq - one simulated QEMU of a VM.
 * @uuid: the VM's UUID.
 * @name: its name.
 * @key: its VM key.
 * @migration_id: the current migration.
 * @control: its control socket's endpoint.
 * @nics: its NICs.
 * @n_nics: how many.
 * @seq: last control sequence used.
 * @now_us: wall clock for timestamps and sequences (0: the real one).
 */
struct simq {
	uint8_t uuid[HANDOFF_UUID_LEN];
	char name[HANDOFF_TEXT_MAX + 1];
	uint8_t key[HANDOFF_KEY_LEN];
	uint8_t migration_id[HANDOFF_ID_LEN];
	HandoffEndpoint control;
	struct simq_nic nics[HANDOFF_MAX_NICS];
	unsigned int n_nics;
	uint64_t seq;
	uint64_t now_us;
};

/**
 * simq_init() - a simulated QEMU of VM @uuid.
 * @q: filled in.
 * @master: the manager's master key (the VM key derives from it).
 * @master_len: its length.
 * @uuid: the VM UUID.
 * @name: the VM name.
 * @n_nics: its NICs, 1..8: MACs 52:54:00:00:XX:NN for UUID byte XX.
 * @host: "A.B.C.D" of its endpoints.
 * @port: its control port; NIC i's data port is @port + 1 + i.
 */
void simq_init(struct simq *q, const uint8_t *master, size_t master_len,
	       const uint8_t uuid[16], const char *name, unsigned int n_nics,
	       const char *host, uint16_t port);

/**
 * simq_init_vm_key() - simq_init() with the VM key itself (what a QEMU
 * has: migctl key VM), not the master key.
 * @q: filled in.
 * @key: the VM key.
 * @uuid: the VM UUID.
 * @name: the VM name.
 * @n_nics: its NICs.
 * @host: "A.B.C.D" of its endpoints.
 * @port: its control port; NIC i's data port is @port + 1 + i.
 */
void simq_init_vm_key(struct simq *q, const uint8_t key[HANDOFF_KEY_LEN],
		      const uint8_t uuid[16], const char *name,
		      unsigned int n_nics, const char *host, uint16_t port);

/**
 * simq_new_migration() - pick a fresh migration id.
 * @q: the QEMU.
 */
void simq_new_migration(struct simq *q);

/**
 * simq_base() - a message of @type from @q, with a fresh sequence,
 * timestamp, its UUID, migration id and control endpoint.
 * @q: the QEMU.
 * @m: filled in.
 * @type: HANDOFF_MSG_*.
 */
void simq_base(struct simq *q, HandoffMsg *m, uint8_t type);

/**
 * simq_suspending() - SUSPENDING: NICs with their data endpoints, a fresh
 * capture nonce; derives the capture keys.
 * @q: the source QEMU.
 * @buf: output, HANDOFF_MAX_LEN bytes.
 *
 * Return: the datagram length.
 */
int simq_suspending(struct simq *q, uint8_t *buf);

/**
 * simq_activated() - ACTIVATED: NICs with their inject endpoints (the
 * data endpoints of @q), a fresh release nonce; derives the release keys.
 * @q: the destination QEMU (its migration id set to the source's).
 * @buf: output.
 *
 * Return: the datagram length.
 */
int simq_activated(struct simq *q, uint8_t *buf);

/**
 * simq_aborted() - ABORTED with a fresh return nonce; derives the return
 * keys.
 * @q: the source QEMU.
 * @buf: output.
 *
 * Return: the datagram length.
 */
int simq_aborted(struct simq *q, uint8_t *buf);

/**
 * simq_end() - END with the frames each NIC sent (its tx_seq).
 * @q: the source QEMU.
 * @buf: output.
 *
 * Return: the datagram length.
 */
int simq_end(struct simq *q, uint8_t *buf);

/**
 * simq_ack() - ACK of a manager message.
 * @q: the QEMU.
 * @acked: the sequence acknowledged.
 * @buf: output.
 *
 * Return: the datagram length.
 */
int simq_ack(struct simq *q, uint64_t acked, uint8_t *buf);

/**
 * simq_frame() - a captured frame of NIC @nic, sealed: destination MAC
 * the NIC's, source 02:00:00:00:00:01, EtherType 0x88b5, @size bytes,
 * the 32-bit @num big-endian at byte 14 (frame numbering for tests),
 * then the bytes (@num * 7 + offset) & 0xff.
 * @q: the source QEMU.
 * @nic: NIC index.
 * @num: the frame's number.
 * @size: its length, 18..65000.
 * @buf: output, HANDOFF_FRAME_HDR_LEN + @size bytes.
 *
 * Return: the datagram length.
 */
int simq_frame(struct simq *q, unsigned int nic, uint32_t num, size_t size,
	       uint8_t *buf);

/**
 * simq_open() - check a frame the manager sent to @q (release or
 * return): Geneve, a VNI of @q, the MAC under that NIC's rx key, the
 * sequence, then the inner frame: the NIC's destination MAC and the
 * payload simq_frame() writes.
 * @q: the receiving QEMU.
 * @pkt: the datagram.
 * @len: its length.
 * @nic: set to the NIC index.
 * @num: set to the frame's number (simq_frame()).
 *
 * Return: HANDOFF_OK or the HandoffError of the first failed check
 * (HANDOFF_ERR_MALFORMED: authentic, but not a frame of simq_frame() for
 * that NIC).
 */
int simq_open(struct simq *q, const uint8_t *pkt, size_t len,
	      unsigned int *nic, uint32_t *num);

/**
 * simq_addr() - "A.B.C.D:PORT" of an endpoint, for sendto().
 * @ep: endpoint.
 * @buf: output, 64 bytes.
 *
 * Return: @buf.
 */
char *simq_addr(const HandoffEndpoint *ep, char *buf);

#endif /* MIG_SIMQEMU_H */
