/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keys.h - the keys of the handoff (docs/protocol.md §5): the manager's
 * master key, and what is derived from it with HKDF-SHA256 (RFC 5869,
 * GnuTLS): one key per VM, one per redirect peer, one per agent (the
 * agent of a gateway device, docs/netstate.md), one per state-transfer
 * ticket.
 *
 *   VM key     = HKDF(salt "mig-handoff-v2", IKM master, info "vm" | UUID)
 *   peer key   = HKDF(salt "mig-handoff-v2", IKM master, info "peer" | name)
 *   agent key  = HKDF(salt "mig-handoff-v2", IKM master, info "host" | device)
 *   ticket key = HKDF(salt "mig-handoff-v2", IKM master, info "ticket" | id)
 *
 * A QEMU holds only its VM's key; the flow keys of data frames derive
 * from the VM key (handoff_flow_key(), migration/handoff-wire.h).
 */
#ifndef MIG_KEYS_H
#define MIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define MIG_MASTER_KEY_MIN 16
#define MIG_MASTER_KEY_MAX 1024

/**
 * mig_vm_key() - the key of one VM.
 * @master: the master key.
 * @master_len: its length, MIG_MASTER_KEY_MIN..MIG_MASTER_KEY_MAX.
 * @uuid: the VM's UUID, 16 bytes.
 * @key: set to the VM key, HANDOFF_KEY_LEN bytes.
 *
 * Return: true on success.
 */
bool mig_vm_key(const uint8_t *master, size_t master_len,
		const uint8_t uuid[HANDOFF_UUID_LEN],
		uint8_t key[HANDOFF_KEY_LEN]);

/**
 * mig_peer_key() - the key of a redirect peer.
 * @master: the master key.
 * @master_len: its length.
 * @name: the peer's name in the configuration (UTF-8).
 * @key: set to the peer key, HANDOFF_KEY_LEN bytes.
 *
 * Return: true on success.
 */
bool mig_peer_key(const uint8_t *master, size_t master_len, const char *name,
		  uint8_t key[HANDOFF_KEY_LEN]);

/**
 * mig_agent_key() - the key of a mig-agent (its TLS-PSK key with the
 * manager).
 * @master: the master key.
 * @master_len: its length.
 * @name: the name of the device it serves, in the topology.
 * @key: set to the agent key, HANDOFF_KEY_LEN bytes.
 *
 * Return: true on success.
 */
bool mig_agent_key(const uint8_t *master, size_t master_len, const char *name,
		  uint8_t key[HANDOFF_KEY_LEN]);

/**
 * mig_ticket_key() - the one-time key of a state transfer between two
 * agents (the manager gives it to both; the ticket id is random).
 * @master: the master key.
 * @master_len: its length.
 * @ticket: the ticket's id (text).
 * @key: set to the ticket key, HANDOFF_KEY_LEN bytes.
 *
 * Return: true on success.
 */
bool mig_ticket_key(const uint8_t *master, size_t master_len, const char *ticket,
		    uint8_t key[HANDOFF_KEY_LEN]);

#endif /* MIG_KEYS_H */
