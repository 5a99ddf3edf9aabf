// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * operator.c - what migctl asks of the core: register a VM, flush or
 * release its queue.
 */
#include "internal.h"

#include <string.h>

#include "wire.h"

struct mig_vm *mgr_register(struct mgr *m, const struct mgr_reg *r,
			    GError **error)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, r->uuid);
	struct mig_vm *named = vmtable_lookup(m->vms, r->name);
	char id[37];

	if (!r->name || !*r->name || strlen(r->name) > HANDOFF_TEXT_MAX) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_INVALID,
			    "a VM name of 1..%d bytes is required",
			    HANDOFF_TEXT_MAX);
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
	if (!r->n_macs || r->n_macs > HANDOFF_MAX_MACS) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_INVALID,
			    "1..%d MAC addresses are required", HANDOFF_MAX_MACS);
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

		if (r->vni > HANDOFF_VXLAN_VNI_MAX || (other && other != vm)) {
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

