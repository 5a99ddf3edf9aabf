// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * core.c - the manager core: clock, outbox, timers and release (paced,
 * in order), operator requests, shutdown accounting.  Control messages
 * are in control.c, data frames in datapath.c.
 */
#include "mgr.h"

#include <string.h>

#include "rewrite.h"
#include "vxlan.h"

/* DRAINED retransmission delays, ms (docs/protocol.md §2). */
static const unsigned int drained_delay_ms[MGR_DRAINED_TRIES] = {
	50, 100, 200, 400, 800,
};

G_DEFINE_QUARK(mig-manager-error-quark, mgr_error)

#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 1000

struct mgr *mgr_new(const struct mgr_config *cfg)
{
	struct mgr *m = g_new0(struct mgr, 1);

	m->cfg = cfg;
	m->vms = vmtable_new();
	m->replay = replay_new((uint64_t)cfg->window_s * G_USEC_PER_SEC,
			       (uint64_t)cfg->tolerance_s * G_USEC_PER_SEC);
	g_assert(m->replay); /* config_load() checked window >= 2 tolerance */
	m->started_real = g_get_real_time();
	return m;
}

void mgr_free(struct mgr *m)
{
	if (!m)
		return;
	vmtable_free(m->vms);
	replay_free(m->replay);
	for (unsigned int i = 0; i < MGR_OUTBOX; i++)
		g_free(m->out[i].buf);
	g_free(m);
}

void mgr_set_time(struct mgr *m, int64_t mono_us, int64_t real_us)
{
	m->fixed_time = true;
	m->mono_us = mono_us;
	m->real_us = real_us;
}

int64_t mgr_now(const struct mgr *m)
{
	return m->fixed_time ? m->mono_us : g_get_monotonic_time();
}

int64_t mgr_now_real(const struct mgr *m)
{
	return m->fixed_time ? m->real_us : g_get_real_time();
}

uint64_t mgr_next_sequence(struct mgr *m)
{
	uint64_t now = (uint64_t)mgr_now_real(m);

	m->last_seq = now > m->last_seq ? now : m->last_seq + 1;
	return m->last_seq;
}

void mgr_drop(struct mgr *m, struct mig_vm *vm, enum drop_reason reason,
	      uint64_t n)
{
	m->st.drops[reason] += n;
	if (vm)
		vm->c.drops[reason] += n;
}

void mgr_queue_pop(struct mgr *m, struct mig_vm *vm)
{
	uint64_t before = queue_mem(vm->queue);

	queue_pop(vm->queue);
	m->mem -= before - queue_mem(vm->queue);
}

unsigned int mgr_drop_queue(struct mgr *m, struct mig_vm *vm,
			    enum drop_reason reason)
{
	unsigned int n = queue_len(vm->queue);

	m->mem -= queue_mem(vm->queue);
	queue_clear(vm->queue);
	mgr_drop(m, vm, reason, n);
	return n;
}

struct mgr_out *mgr_outbox_slot(struct mgr *m, size_t len)
{
	struct mgr_out *o;

	if (m->n_out == MGR_OUTBOX)
		return NULL;
	o = &m->out[m->n_out];
	if (o->cap < len) {
		o->cap = len < 2048 ? 2048 : len;
		o->buf = g_realloc(o->buf, o->cap);
	}
	o->vm = NULL;
	o->is_frame = false;
	o->len = 0;
	m->n_out++;
	return o;
}

void mgr_outbox_done(struct mgr *m, unsigned int n)
{
	struct mgr_out tmp[MGR_OUTBOX];

	g_assert(n <= m->n_out);
	if (!n)
		return;
	/* Rotate so that the sent entries' buffers are reused. */
	memcpy(tmp, m->out, n * sizeof(tmp[0]));
	memmove(m->out, m->out + n, (m->n_out - n) * sizeof(tmp[0]));
	memcpy(m->out + (m->n_out - n), tmp, n * sizeof(tmp[0]));
	m->n_out -= n;
}

void mgr_send_failed(struct mgr *m, unsigned int i, int err)
{
	struct mgr_out *o = &m->out[i];
	char to[ADDR_STRLEN];

	m->st.send_errors++;
	if (o->is_frame) {
		mgr_drop(m, o->vm, DROP_SEND_ERROR, 1);
		if (o->vm) {
			struct mig_vm *vm = o->vm;

			vm->retry_ms = vm->retry_ms ? MIN(vm->retry_ms * 2,
							  RETRY_MAX_MS)
						    : RETRY_MIN_MS;
			vm->retry_at = mgr_now(m) + vm->retry_ms * 1000;
		}
	}
	g_debug("send to %s failed: %s", addr_format(&o->to, to, sizeof(to)),
		g_strerror(err));
}

bool mgr_send_control(struct mgr *m, const struct proto_msg *msg,
		      const struct mig_addr *to, struct mig_vm *vm)
{
	struct mgr_out *o = mgr_outbox_slot(m, PROTO_MAX_LEN);
	int n;

	if (!o)
		return false;
	n = proto_encode(msg, m->cfg->key, m->cfg->key_len, o->buf, o->cap);
	if (n <= 0) {
		m->n_out--;
		g_warning("cannot encode %s: %s", proto_type_name(msg->type),
			  proto_strerror(n));
		return false;
	}
	o->len = (size_t)n;
	o->sock = MGR_SOCK_CONTROL;
	o->to = *to;
	o->vm = vm;
	return true;
}

/* --- window lifecycle ----------------------------------------------------- */

void mgr_open_window(struct mgr *m, struct mig_vm *vm,
		     const struct mig_addr *source)
{
	vm->source = *source;
	vm->t_suspended = mgr_now_real(m);
	vm->m_suspended = mgr_now(m);
	vm->t_activated = 0;
	vm->t_ended = 0;
	vm->drained_sent = false;
	memset(&vm->drained, 0, sizeof(vm->drained));
	vm->released_window = 0;
	vm->retry_at = 0;
	vm->retry_ms = 0;
	vm->force_release = false;
	vm->c.migrations++;
	vmtable_set_state(vm, VM_SUSPENDED, vm->t_suspended);
}

void mgr_activate(struct mgr *m, struct mig_vm *vm)
{
	vm->t_activated = mgr_now_real(m);
	vm->m_activated = mgr_now(m);
	vm->early_activated = false;
	vmtable_set_state(vm, VM_ACTIVATED, vm->t_activated);
}

/* Where the queue goes now, or NULL to keep it; *wake set to when that
 * may change (µs, monotonic), or left alone. */
static const struct mig_addr *release_target(struct mgr *m, struct mig_vm *vm,
					     int64_t now, int64_t *wake,
					     bool *to_source)
{
	int64_t hold_until = vm->m_suspended +
			     (int64_t)m->cfg->hold_ms * 1000;

	*to_source = false;
	switch (vm->state) {
	case VM_ABORTED:
		*to_source = true;
		return &vm->data_endpoint;
	case VM_ACTIVATED:
		if (vm->policy == POLICY_HOLD && !vm->force_release &&
		    now < hold_until) {
			*wake = MIN(*wake, hold_until);
			return NULL;
		}
		return &vm->inject;
	case VM_SUSPENDED:
		if (!vm->inject.len)
			return NULL;
		if (vm->policy == POLICY_IMMEDIATE)
			return &vm->inject;
		if (vm->policy == POLICY_HOLD) {
			if (now >= hold_until)
				return &vm->inject;
			*wake = MIN(*wake, hold_until);
		}
		return NULL;
	default:
		return NULL;
	}
}

static void build_rule(const struct mig_vm *vm, struct rewrite_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (vm->has_new_mac) {
		r->macs = (const uint8_t (*)[6])vm->macs;
		r->n_macs = vm->n_macs;
		memcpy(r->new_mac, vm->new_mac, 6);
	}
	if (vm->new_ip.len && vm->ip.len &&
	    vm->ip.ss.ss_family == vm->new_ip.ss.ss_family) {
		struct proto_endpoint a, b;

		addr_to_endpoint(&vm->ip, &a);
		addr_to_endpoint(&vm->new_ip, &b);
		r->family = a.family;
		memcpy(r->old_ip, a.addr, 16);
		memcpy(r->new_ip, b.addr, 16);
	}
}

/* Move frames from the head of @vm's queue to the outbox, paced. */
static bool release_frames(struct mgr *m, struct mig_vm *vm,
			   const struct mig_addr *to, bool to_source,
			   int64_t now, int64_t *wake)
{
	unsigned int pps = m->cfg->pace_pps;
	double burst = pps ? MAX(32.0, pps / 500.0) : 0;
	struct rewrite_rule rule;
	bool rewrite = !to_source && (vm->has_new_mac || vm->new_ip.len);

	if (pps) {
		vm->tokens += (double)(now - vm->m_tokens) * pps / 1e6;
		if (vm->tokens > burst)
			vm->tokens = burst;
	}
	vm->m_tokens = now;
	if (rewrite)
		build_rule(vm, &rule);
	while (queue_len(vm->queue)) {
		const uint8_t *f;
		struct mgr_out *o;
		size_t len;
		int n;

		if (pps && vm->tokens < 1.0) {
			*wake = MIN(*wake, now + (int64_t)((1.0 - vm->tokens) *
						      1e6 / pps) + 1);
			return true;
		}
		f = queue_peek(vm->queue, &len, NULL);
		o = mgr_outbox_slot(m, VXLAN_HDR_LEN + len);
		if (!o)
			return false;
		n = vxlan_encap(vm->vni, f, len, o->buf, o->cap);
		if (n < 0) {
			m->n_out--;
			mgr_drop(m, vm, DROP_OVERSIZE, 1);
			mgr_queue_pop(m, vm);
			continue;
		}
		if (rewrite && rewrite_frame(o->buf + VXLAN_HDR_LEN, len, &rule)) {
			vm->c.frames_rewritten++;
			m->st.frames_rewritten++;
		}
		o->len = (size_t)n;
		o->sock = MGR_SOCK_DATA;
		o->to = *to;
		o->vm = vm;
		o->is_frame = true;
		if (to_source) {
			vm->c.frames_returned++;
			m->st.frames_returned++;
		} else {
			vm->c.frames_released++;
			vm->c.bytes_released += len;
			vm->released_window++;
			m->st.frames_released++;
		}
		mgr_queue_pop(m, vm);
		if (pps)
			vm->tokens -= 1.0;
	}
	return true;
}

static void send_drained(struct mgr *m, struct mig_vm *vm, int64_t now)
{
	struct proto_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.type = PROTO_DRAINED;
	msg.sequence = vm->drained.sequence;
	msg.timestamp_us = (uint64_t)mgr_now_real(m);
	memcpy(msg.uuid, vm->uuid, PROTO_UUID_LEN);
	msg.frames = vm->drained.frames;
	if (!mgr_send_control(m, &msg, &vm->drained_to, vm))
		return; /* outbox full: poll comes back at once */
	vm->drained.next_us = now +
		(int64_t)drained_delay_ms[vm->drained.attempts] * 1000;
	vm->drained.attempts++;
	if (vm->drained.attempts == 1)
		m->st.drained_sent++;
	else
		m->st.drained_retransmits++;
}

/* Timers and release for one VM; false if the outbox filled up. */
static bool poll_vm(struct mgr *m, struct mig_vm *vm, int64_t now,
		    int64_t *wake)
{
	const struct mgr_config *cfg = m->cfg;
	const struct mig_addr *to;
	bool to_source;
	int64_t quiet;
	char id[37];

	if (vm->state == VM_SUSPENDED) {
		int64_t dl = vm->m_suspended + (int64_t)cfg->expire_ms * 1000;

		if (now >= dl) {
			unsigned int n = mgr_drop_queue(m, vm, DROP_EXPIRED);

			vmtable_set_state(vm, VM_EXPIRED, mgr_now_real(m));
			m->st.expired_windows++;
			g_warning("vm %s (%s): no ACTIVATED within %u ms: window expired, %u frames dropped",
				  vm->name, uuid_format(vm->uuid, id),
				  cfg->expire_ms, n);
			return true;
		}
		*wake = MIN(*wake, dl);
	}
	/* Age cap: the oldest frames go first. */
	if (cfg->max_age_ms) {
		int64_t arrival;
		size_t len;

		while (queue_peek(vm->queue, &len, &arrival)) {
			int64_t dl = arrival + (int64_t)cfg->max_age_ms * 1000;

			if (now < dl) {
				*wake = MIN(*wake, dl);
				break;
			}
			mgr_queue_pop(m, vm);
			mgr_drop(m, vm, DROP_EXPIRED, 1);
		}
	}
	if (queue_len(vm->queue) && vm->retry_at > now) {
		*wake = MIN(*wake, vm->retry_at);
	} else if (queue_len(vm->queue)) {
		to = release_target(m, vm, now, wake, &to_source);
		if (to && !to->len) {
			unsigned int n = mgr_drop_queue(m, vm,
							DROP_NO_DESTINATION);

			g_warning("vm %s: %u frames to release but no %s endpoint known: dropped",
				  vm->name, n, to_source ? "source" : "destination");
		} else if (to && !release_frames(m, vm, to, to_source, now, wake)) {
			return false;
		}
	}
	if (vm->state != VM_ACTIVATED)
		return true;
	/* Queue drained after ACTIVATED, and the source quiet for
	 * drain-quiet-ms (it may still be reading frames its backend queued
	 * in the stop window, older than anything the destination holds):
	 * DRAINED to the destination QEMU. */
	quiet = vm->m_last_frame + (int64_t)cfg->drain_quiet_ms * 1000;
	if (!queue_len(vm->queue) && !vm->drained_sent && vm->drained_to.len &&
	    now < quiet) {
		*wake = MIN(*wake, quiet);
	} else if (!queue_len(vm->queue) && !vm->drained_sent && vm->drained_to.len) {
		vm->drained_sent = true;
		vm->drained.pending = true;
		vm->drained.sequence = mgr_next_sequence(m);
		vm->drained.frames = vm->released_window;
		vm->drained.attempts = 0;
		g_info("vm %s: queue drained, %" G_GUINT64_FORMAT " frames released: sending DRAINED",
		       vm->name, vm->drained.frames);
		send_drained(m, vm, now);
	} else if (vm->drained.pending && now >= vm->drained.next_us) {
		if (vm->drained.attempts >= MGR_DRAINED_TRIES) {
			vm->drained.pending = false;
			vm->drained.gave_up = true;
			m->st.drained_gave_up++;
			g_warning("vm %s: DRAINED not acknowledged after %u transmissions: giving up",
				  vm->name, vm->drained.attempts);
		} else {
			send_drained(m, vm, now);
		}
	}
	if (m->n_out == MGR_OUTBOX)
		return false;
	if (vm->drained.pending)
		*wake = MIN(*wake, vm->drained.next_us);
	/* Linger: late frames are forwarded until then; afterwards done. */
	if (!queue_len(vm->queue)) {
		int64_t dl = vm->m_activated + (int64_t)cfg->linger_ms * 1000;

		if (now >= dl) {
			vmtable_set_state(vm, VM_DONE, mgr_now_real(m));
			g_info("vm %s (%s): done, %" G_GUINT64_FORMAT " frames released in this window",
			       vm->name, uuid_format(vm->uuid, id),
			       vm->released_window);
		} else {
			*wake = MIN(*wake, dl);
		}
	}
	return true;
}

int64_t mgr_poll(struct mgr *m)
{
	g_autoptr(GPtrArray) vms = vmtable_list(m->vms);
	int64_t now = mgr_now(m);
	int64_t wake = G_MAXINT64;

	for (unsigned int i = 0; i < vms->len; i++)
		if (!poll_vm(m, vms->pdata[i], now, &wake))
			return 0;
	if (m->mem > m->mem_peak)
		m->mem_peak = m->mem;
	if (wake == G_MAXINT64)
		return -1;
	return wake > now ? wake - now : 0;
}

/* --- operator requests ----------------------------------------------------- */

struct mig_vm *mgr_register(struct mgr *m, const struct mgr_reg *r,
			    GError **error)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, r->uuid);
	struct mig_vm *named = vmtable_lookup(m->vms, r->name);
	char id[37];

	if (!r->name || !*r->name || strlen(r->name) > PROTO_NAME_MAX) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_INVALID,
			    "a VM name of 1..%d bytes is required",
			    PROTO_NAME_MAX);
		return NULL;
	}
	if (uuid_parse(r->name, (uint8_t[16]){ 0 })) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_INVALID,
			    "the VM name must not be a UUID");
		return NULL;
	}
	if (named && named != vm) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_EXISTS,
			    "name '%s' belongs to VM %s", r->name,
			    uuid_format(named->uuid, id));
		return NULL;
	}
	if (!r->n_macs || r->n_macs > PROTO_MAX_MACS) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_INVALID,
			    "1..%d MAC addresses are required", PROTO_MAX_MACS);
		return NULL;
	}
	if (r->new_ip.len && (!r->ip.len ||
			      r->ip.ss.ss_family != r->new_ip.ss.ss_family)) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_INVALID,
			    "--new-ip needs --ip of the same address family");
		return NULL;
	}
	if (r->vni) {
		struct mig_vm *other = vmtable_by_vni(m->vms, r->vni);

		if (r->vni > VXLAN_VNI_MAX || (other && other != vm)) {
			g_set_error(error, MGR_ERROR, MGR_ERROR_EXISTS,
				    "VNI %u is invalid or taken", r->vni);
			return NULL;
		}
	}
	if (!vm) {
		vm = vmtable_add(m->vms, r->uuid, r->name,
				 r->has_policy ? r->policy : m->cfg->policy,
				 mgr_now_real(m));
		g_assert(vm);
	} else {
		vmtable_set_name(m->vms, vm, r->name);
		if (r->has_policy)
			vm->policy = r->policy;
	}
	vm->registered = true;
	memcpy(vm->macs, r->macs, sizeof(vm->macs));
	vm->n_macs = r->n_macs;
	vm->ip = r->ip;
	vm->new_ip = r->new_ip;
	vm->has_new_mac = r->has_new_mac;
	memcpy(vm->new_mac, r->new_mac, 6);
	if (r->dest.len)
		vm->inject = r->dest;
	if (r->vni) {
		vmtable_set_vni(m->vms, vm, r->vni);
		vm->vni_fixed = true;
	}
	g_info("vm %s (%s) registered: vni %u, policy %s%s", vm->name,
	       uuid_format(vm->uuid, id), vm->vni, policy_name(vm->policy),
	       vm->new_ip.len || vm->has_new_mac ? ", cross-segment rewrite" : "");
	return vm;
}

unsigned int mgr_flush(struct mgr *m, struct mig_vm *vm)
{
	unsigned int n = mgr_drop_queue(m, vm, DROP_FLUSHED);

	g_info("vm %s: flushed %u frames", vm->name, n);
	return n;
}

int mgr_release(struct mgr *m, struct mig_vm *vm, GError **error)
{
	unsigned int n = queue_len(vm->queue);

	if (!n)
		return 0;
	if (vm->state == VM_ABORTED)
		return (int)n; /* already on its way back to the source */
	if (!vm->inject.len) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_NO_DESTINATION,
			    "no destination known for VM '%s' (no ACTIVATED received and no --dest registered)",
			    vm->name);
		return -1;
	}
	if (vm->state != VM_ACTIVATED)
		mgr_activate(m, vm);
	vm->force_release = true;
	g_info("vm %s: release of %u frames requested by the operator",
	       vm->name, n);
	return (int)n;
}

uint64_t mgr_shutdown(struct mgr *m)
{
	g_autoptr(GPtrArray) vms = vmtable_list(m->vms);
	uint64_t total = 0;
	char id[37];

	for (unsigned int i = 0; i < vms->len; i++) {
		struct mig_vm *vm = vms->pdata[i];
		uint64_t bytes = queue_bytes(vm->queue);
		unsigned int n;

		if (!queue_len(vm->queue))
			continue;
		n = mgr_drop_queue(m, vm, DROP_SHUTDOWN);
		total += n;
		g_warning("shutdown: vm %s (%s, %s) still buffered %u frames, %" G_GUINT64_FORMAT " bytes: dropped",
			  vm->name, uuid_format(vm->uuid, id),
			  vm_state_name(vm->state), n, bytes);
	}
	g_info("shutdown: %" G_GUINT64_FORMAT " buffered frames dropped in all",
	       total);
	return total;
}
