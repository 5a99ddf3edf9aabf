// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * simqemu.c - the QEMU side of the handoff protocol, simulated for the
 * manager's tests (see simqemu.h).
 */
#include "simqemu.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "keys.h"

static void endpoint(HandoffEndpoint *ep, const char *host, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = 4;
	ep->port = port;
	if (inet_pton(AF_INET, host, ep->addr) != 1)
		g_error("simqemu: '%s' is not an IPv4 address", host);
}

void simq_init(struct simq *q, const uint8_t *master, size_t master_len,
	       const uint8_t uuid[16], const char *name, unsigned int n_nics,
	       const char *host, uint16_t port)
{
	uint8_t key[HANDOFF_KEY_LEN];

	if (!mig_vm_key(master, master_len, uuid, key))
		g_error("simqemu: cannot derive the VM key");
	simq_init_vm_key(q, key, uuid, name, n_nics, host, port);
}

void simq_init_vm_key(struct simq *q, const uint8_t key[HANDOFF_KEY_LEN],
		      const uint8_t uuid[16], const char *name,
		      unsigned int n_nics, const char *host, uint16_t port)
{
	memset(q, 0, sizeof(*q));
	memcpy(q->uuid, uuid, HANDOFF_UUID_LEN);
	g_strlcpy(q->name, name, sizeof(q->name));
	memcpy(q->key, key, HANDOFF_KEY_LEN);
	endpoint(&q->control, host, port);
	q->n_nics = MIN(n_nics, HANDOFF_MAX_NICS);
	for (unsigned int i = 0; i < q->n_nics; i++) {
		struct simq_nic *n = &q->nics[i];
		uint8_t mac[6] = { 0x52, 0x54, 0, 0, uuid[15], (uint8_t)i };

		memcpy(n->mac, mac, 6);
		n->vni = handoff_vni(uuid, mac);
		endpoint(&n->ep, host, (uint16_t)(port + 1 + i));
		handoff_seq_init(&n->rx);
	}
	simq_new_migration(q);
}

void simq_new_migration(struct simq *q)
{
	for (unsigned int i = 0; i < HANDOFF_ID_LEN; i += 4) {
		uint32_t r = g_random_int();

		memcpy(q->migration_id + i, &r, 4);
	}
}

static uint64_t now(const struct simq *q)
{
	return q->now_us ? q->now_us : (uint64_t)g_get_real_time();
}

void simq_base(struct simq *q, HandoffMsg *m, uint8_t type)
{
	uint64_t t = now(q);

	memset(m, 0, sizeof(*m));
	m->type = type;
	q->seq = t > q->seq ? t : q->seq + 1;
	m->sequence = q->seq;
	m->timestamp_us = t;
	memcpy(m->uuid, q->uuid, HANDOFF_UUID_LEN);
	memcpy(m->migration_id, q->migration_id, HANDOFF_ID_LEN);
	m->control = q->control;
	for (unsigned int i = 0; i < HANDOFF_NONCE_LEN; i += 4) {
		uint32_t r = g_random_int();

		memcpy(m->nonce + i, &r, 4);
	}
}

static int encode(struct simq *q, const HandoffMsg *m, uint8_t *buf)
{
	int n = handoff_msg_encode(m, q->key, HANDOFF_KEY_LEN, buf,
				   HANDOFF_MAX_LEN);

	if (n < 0)
		g_error("simqemu: cannot encode %s: %s",
			handoff_msg_type_name(m->type), handoff_strerror(n));
	return n;
}

/* NICs with their endpoints; each NIC's key of @flow from @m's nonce. */
static void nics_and_keys(struct simq *q, HandoffMsg *m, HandoffFlow flow,
			  bool tx)
{
	strcpy(m->name, q->name);
	for (unsigned int i = 0; i < q->n_nics; i++) {
		struct simq_nic *n = &q->nics[i];

		memcpy(m->nics[i].mac, n->mac, 6);
		m->nics[i].vni = n->vni;
		m->nics[i].endpoint = n->ep;
		handoff_flow_key(q->key, flow, m->migration_id, m->nonce, n->vni,
				 tx ? n->tx_key : n->rx_key);
		if (tx)
			n->tx_seq = 0;
		else
			handoff_seq_init(&n->rx);
	}
	m->n_nics = q->n_nics;
}

int simq_suspending(struct simq *q, uint8_t *buf)
{
	HandoffMsg m;

	simq_base(q, &m, HANDOFF_MSG_SUSPENDING);
	nics_and_keys(q, &m, HANDOFF_FLOW_CAPTURE, true);
	return encode(q, &m, buf);
}

int simq_activated(struct simq *q, uint8_t *buf)
{
	HandoffMsg m;

	simq_base(q, &m, HANDOFF_MSG_ACTIVATED);
	nics_and_keys(q, &m, HANDOFF_FLOW_RELEASE, false);
	return encode(q, &m, buf);
}

int simq_aborted(struct simq *q, uint8_t *buf)
{
	HandoffMsg m;

	simq_base(q, &m, HANDOFF_MSG_ABORTED);
	strcpy(m.reason, "cancelled");
	for (unsigned int i = 0; i < q->n_nics; i++) {
		handoff_flow_key(q->key, HANDOFF_FLOW_RETURN, m.migration_id,
				 m.nonce, q->nics[i].vni, q->nics[i].rx_key);
		handoff_seq_init(&q->nics[i].rx);
	}
	return encode(q, &m, buf);
}

int simq_end(struct simq *q, uint8_t *buf)
{
	HandoffMsg m;

	simq_base(q, &m, HANDOFF_MSG_END);
	for (unsigned int i = 0; i < q->n_nics; i++) {
		m.frames[i].vni = q->nics[i].vni;
		m.frames[i].frames = q->nics[i].tx_seq;
	}
	m.n_frames = q->n_nics;
	return encode(q, &m, buf);
}

int simq_ack(struct simq *q, uint64_t acked, uint8_t *buf)
{
	HandoffMsg m;

	simq_base(q, &m, HANDOFF_MSG_ACK);
	m.acked_sequence = acked;
	m.status = HANDOFF_STATUS_OK;
	return encode(q, &m, buf);
}

int simq_frame(struct simq *q, unsigned int nic, uint32_t num, size_t size,
	       uint8_t *buf)
{
	struct simq_nic *n = &q->nics[nic];
	uint8_t *f = buf + HANDOFF_FRAME_HDR_LEN;
	int len;

	memset(f, 0, size);
	memcpy(f, n->mac, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01\x88\xb5", 8);
	f[14] = (uint8_t)(num >> 24);
	f[15] = (uint8_t)(num >> 16);
	f[16] = (uint8_t)(num >> 8);
	f[17] = (uint8_t)num;
	for (size_t i = 18; i < size; i++)
		f[i] = (uint8_t)(num * 7 + i);
	len = handoff_frame_seal(n->tx_key, n->vni, ++n->tx_seq, f, size, buf,
				 HANDOFF_FRAME_HDR_LEN + size);
	if (len < 0)
		g_error("simqemu: cannot seal a frame: %s", handoff_strerror(len));
	return len;
}

int simq_open(struct simq *q, const uint8_t *pkt, size_t len,
	      unsigned int *nic, uint32_t *num)
{
	const uint8_t *f;
	size_t flen;
	uint64_t seq;
	uint32_t vni;
	bool reordered;
	int err = handoff_frame_parse(pkt, len, &vni, &seq, &f, &flen);

	if (err)
		return err;
	for (*nic = 0; *nic < q->n_nics && q->nics[*nic].vni != vni; (*nic)++)
		;
	if (*nic == q->n_nics)
		return HANDOFF_ERR_INVALID;
	err = handoff_frame_verify(q->nics[*nic].rx_key, pkt, len);
	if (!err)
		err = handoff_seq_accept(&q->nics[*nic].rx, seq, &reordered);
	if (err)
		return err;
	if (flen < 18 || memcmp(f, q->nics[*nic].mac, 6))
		return HANDOFF_ERR_MALFORMED;
	*num = (uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 |
	       (uint32_t)f[16] << 8 | f[17];
	for (size_t i = 18; i < flen; i++)
		if (f[i] != (uint8_t)(*num * 7 + i))
			return HANDOFF_ERR_MALFORMED;
	return HANDOFF_OK;
}

char *simq_addr(const HandoffEndpoint *ep, char *buf)
{
	return handoff_endpoint_format(ep, buf, 64);
}
