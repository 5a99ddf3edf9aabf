// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * operator.c - what migctl asks of the core: register or forget a VM,
 * flush or release its queues.
 */
#include "internal.h"

#include <string.h>
#include <sys/socket.h>

static bool invalid(GError **error, int code, const char *msg)
{
	g_set_error_literal(error, MGR_ERROR, code, msg);
	return false;
}

static bool check_reg(struct mgr *m, const struct mgr_reg *r,
		      struct mig_vm *vm, GError **error)
{
	struct mig_vm *named = vmtable_lookup(m->vms, r->name ? r->name : "");
	char id[37];

	if (!r->name || !*r->name || strlen(r->name) > HANDOFF_TEXT_MAX)
		return invalid(error, MGR_ERROR_INVALID,
			       "a VM name of 1..255 bytes is required");
	if (uuid_parse(r->name, (uint8_t[16]){ 0 }))
		return invalid(error, MGR_ERROR_INVALID,
			       "the VM name must not be a UUID");
	if (named && named != vm) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_EXISTS,
			    "name '%s' belongs to VM %s", r->name,
			    uuid_format(named->uuid, id));
		return false;
	}
	if (!r->n_macs || r->n_macs > HANDOFF_MAX_NICS)
		return invalid(error, MGR_ERROR_INVALID,
			       "1..8 MAC addresses are required");
	if (r->new_ip.len && (!r->ip.len ||
			      r->ip.ss.ss_family != r->new_ip.ss.ss_family))
		return invalid(error, MGR_ERROR_INVALID,
			       "--new-ip needs --ip of the same address family");
	if (r->learn_ip && r->learn_family == AF_INET &&
	    (!r->ip.len || r->ip.ss.ss_family != AF_INET))
		return invalid(error, MGR_ERROR_INVALID,
			       "--new-ip dhcp needs --ip, an IPv4 address (DHCP snooping is IPv4)");
	if (r->learn_ip && r->learn_family == AF_INET6 &&
	    (!r->ip.len || r->ip.ss.ss_family != AF_INET6))
		return invalid(error, MGR_ERROR_INVALID,
			       "--new-ip slaac needs --ip, an IPv6 address");
	if (r->vni > HANDOFF_VNI_MAX)
		return invalid(error, MGR_ERROR_INVALID, "the VNI must be 1..16777215");
	return true;
}

/* The registered NICs (redirect peers find the VM by them), unless a
 * window is open: then the window's NICs stay until it ends. */
static bool set_reg_nics(struct mgr *m, struct mig_vm *vm, GError **error)
{
	uint32_t vnis[HANDOFF_MAX_NICS];
	struct mig_vm *other;

	if (vm_window_open(vm) || vm_queued(vm))
		return true;
	for (unsigned int i = 0; i < vm->reg_n_macs; i++)
		vnis[i] = i == 0 && vm->reg_vni ? vm->reg_vni
			  : handoff_vni(vm->uuid, vm->reg_macs[i]);
	if (!vmtable_set_nics(m->vms, vm, (const uint8_t (*)[6])vm->reg_macs,
			      vnis, vm->reg_n_macs, &other)) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_EXISTS,
			    "a VNI of these NICs is in use by VM '%s' in its open window",
			    other->name);
		return false;
	}
	return true;
}

struct mig_vm *mgr_register(struct mgr *m, const struct mgr_reg *r,
			    GError **error)
{
	struct mig_vm *vm = vmtable_by_uuid(m->vms, r->uuid);
	char id[37];

	if (!check_reg(m, r, vm, error))
		return NULL;
	if (!vm) {
		vm = mgr_vm_new(m, r->uuid, r->name);
		if (!vm) {
			g_set_error(error, MGR_ERROR, MGR_ERROR_BUSY,
				    "the VM table is full (max-vms %u, memory-cap)",
				    m->cfg->max_vms);
			return NULL;
		}
	}
	vmtable_set_name(m->vms, vm, r->name);
	if (r->has_policy)
		vm->policy = r->policy;
	vm->registered = true;
	memcpy(vm->reg_macs, r->macs, sizeof(vm->reg_macs));
	vm->reg_n_macs = r->n_macs;
	vm->reg_vni = r->vni;
	vm->ip = r->ip;
	vm->new_ip = r->new_ip;
	vm->learn_ip = r->learn_ip;
	vm->has_new_mac = r->has_new_mac;
	memcpy(vm->new_mac, r->new_mac, 6);
	if (r->src_host)
		g_strlcpy(vm->src_host, r->src_host, sizeof(vm->src_host));
	if (r->dest_host)
		g_strlcpy(vm->dest_host, r->dest_host, sizeof(vm->dest_host));
	if (!set_reg_nics(m, vm, error))
		return NULL;
	m->state_dirty = true;
	mgr_schedule(m, vm, mgr_now(m));
	g_info("vm %s (%s) registered: %u NIC(s), policy %s%s", vm->name,
	       uuid_format(vm->uuid, id), vm->reg_n_macs, policy_name(vm->policy),
	       vm->new_ip.len || vm->learn_ip || vm->has_new_mac ? ", cross-segment rewrite" : "");
	return vm;
}

bool mgr_forget(struct mgr *m, struct mig_vm *vm, GError **error)
{
	char id[37];

	if (vm_window_open(vm) || vm_queued(vm) || mgr_vm_in_outbox(m, vm)) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_STATE,
			    "VM '%s' is in its migration window (%s, %u frames queued): forget it once it is over",
			    vm->name, vm_state_name(vm->state), vm_queued(vm));
		return false;
	}
	g_info("vm %s (%s): forgotten by the operator", vm->name,
	       uuid_format(vm->uuid, id));
	mgr_vm_remove(m, vm);
	return true;
}

unsigned int mgr_flush(struct mgr *m, struct mig_vm *vm)
{
	unsigned int n = mgr_drop_queues(m, vm, DROP_FLUSHED);

	g_info("vm %s: flushed %u frames", vm->name, n);
	return n;
}

int mgr_release(struct mgr *m, struct mig_vm *vm, GError **error)
{
	unsigned int n = vm_queued(vm);
	bool known = false;

	if (!n)
		return 0;
	if (vm->state == VM_ABORTED)
		return (int)n; /* already on its way back to the source */
	for (unsigned int i = 0; i < vm->n_nics; i++)
		known |= vm->nics[i].inject_ep.len && vm->nics[i].has_tx_key;
	if (!known) {
		g_set_error(error, MGR_ERROR, MGR_ERROR_NO_DESTINATION,
			    "no destination known for VM '%s': frames go only to a QEMU that sent ACTIVATED (its endpoint and key)",
			    vm->name);
		return -1;
	}
	if (vm->state != VM_ACTIVATED)
		mgr_activate(m, vm, NULL);
	vm->force_release = true;
	mgr_schedule(m, vm, mgr_now(m));
	g_info("vm %s: release of %u frames requested by the operator",
	       vm->name, n);
	return (int)n;
}
