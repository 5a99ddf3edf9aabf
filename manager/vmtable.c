// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmtable.c - the migration VM table: three GHashTables (UUID, name, NIC
 * VNI) over the same entries; the UUID table owns them.
 */
#include "vmtable.h"

#include <string.h>

struct vm_table {
	GHashTable *by_uuid; /* GBytes (16) -> struct mig_vm (owned) */
	GHashTable *by_name; /* char * (entry's name) -> struct mig_vm */
	GHashTable *by_vni;  /* GUINT_TO_POINTER(vni) -> struct mig_nic */
	unsigned int nics;   /* NICs of all entries */
};

static void drop_nics(struct vm_table *t, struct mig_vm *vm)
{
	for (unsigned int i = 0; i < vm->n_nics; i++) {
		struct mig_nic *nic = &vm->nics[i];

		if (nic->indexed && t &&
		    g_hash_table_lookup(t->by_vni, GUINT_TO_POINTER(nic->vni)) == nic)
			g_hash_table_remove(t->by_vni, GUINT_TO_POINTER(nic->vni));
		queue_free(nic->queue);
		memset(nic, 0, sizeof(*nic)); /* its keys */
	}
	g_clear_pointer(&vm->nics, g_free);
	if (t)
		t->nics -= vm->n_nics;
	vm->n_nics = 0;
}

static void vm_free(gpointer data)
{
	struct mig_vm *vm = data;

	drop_nics(NULL, vm); /* the whole table goes: no count to keep */
	g_free(vm->early);
	memset(vm->key, 0, sizeof(vm->key));
	g_free(vm);
}

struct vm_table *vmtable_new(void)
{
	struct vm_table *t = g_new0(struct vm_table, 1);

	t->by_uuid = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					   (GDestroyNotify)g_bytes_unref,
					   vm_free);
	t->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	t->by_vni = g_hash_table_new(g_direct_hash, g_direct_equal);
	return t;
}

void vmtable_free(struct vm_table *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_name);
	g_hash_table_destroy(t->by_vni);
	g_hash_table_destroy(t->by_uuid);
	g_free(t);
}

struct mig_vm *vmtable_by_uuid(const struct vm_table *t,
			       const uint8_t uuid[16])
{
	g_autoptr(GBytes) key = g_bytes_new_static(uuid, HANDOFF_UUID_LEN);

	return g_hash_table_lookup(t->by_uuid, key);
}

struct mig_nic *vmtable_by_vni(const struct vm_table *t, uint32_t vni)
{
	return g_hash_table_lookup(t->by_vni, GUINT_TO_POINTER(vni));
}

struct mig_vm *vmtable_add(struct vm_table *t, const uint8_t uuid[16],
			   const char *name, const uint8_t *key,
			   enum release_policy policy, int64_t now_us)
{
	struct mig_vm *vm;

	if (!name)
		name = "";
	if (vmtable_by_uuid(t, uuid) ||
	    (*name && g_hash_table_contains(t->by_name, name)) ||
	    strlen(name) > HANDOFF_TEXT_MAX)
		return NULL;
	vm = g_new0(struct mig_vm, 1);
	memcpy(vm->uuid, uuid, HANDOFF_UUID_LEN);
	memcpy(vm->key, key, HANDOFF_KEY_LEN);
	g_strlcpy(vm->name, name, sizeof(vm->name));
	vm->policy = policy;
	vm->state = VM_REGISTERED;
	vm->t_registered = now_us;
	vm->heap_pos = -1;
	g_hash_table_insert(t->by_uuid, g_bytes_new(uuid, HANDOFF_UUID_LEN), vm);
	if (*vm->name)
		g_hash_table_insert(t->by_name, vm->name, vm);
	return vm;
}

void vmtable_remove(struct vm_table *t, struct mig_vm *vm)
{
	g_autoptr(GBytes) key = g_bytes_new_static(vm->uuid, HANDOFF_UUID_LEN);

	if (*vm->name && g_hash_table_lookup(t->by_name, vm->name) == vm)
		g_hash_table_remove(t->by_name, vm->name);
	drop_nics(t, vm);
	g_hash_table_remove(t->by_uuid, key);
}

bool vmtable_set_name(struct vm_table *t, struct mig_vm *vm, const char *name)
{
	struct mig_vm *other;

	if (!strcmp(vm->name, name))
		return true;
	other = *name ? g_hash_table_lookup(t->by_name, name) : NULL;
	if (other || strlen(name) > HANDOFF_TEXT_MAX)
		return false;
	if (*vm->name)
		g_hash_table_remove(t->by_name, vm->name);
	g_strlcpy(vm->name, name, sizeof(vm->name));
	if (*vm->name)
		g_hash_table_insert(t->by_name, vm->name, vm);
	return true;
}

bool vmtable_set_nics(struct vm_table *t, struct mig_vm *vm,
		      const uint8_t (*macs)[HANDOFF_MAC_LEN],
		      const uint32_t *vnis, unsigned int n,
		      struct mig_vm **other)
{
	*other = NULL;
	g_assert(n <= HANDOFF_MAX_NICS);
	for (unsigned int i = 0; i < n; i++) {
		struct mig_nic *owner = vmtable_by_vni(t, vnis[i]);

		if (owner && owner->vm != vm && vm_window_open(owner->vm)) {
			*other = owner->vm;
			return false;
		}
	}
	drop_nics(t, vm);
	vm->nics = n ? g_new0(struct mig_nic, n) : NULL;
	for (unsigned int i = 0; i < n; i++) {
		struct mig_nic *nic = &vm->nics[i];
		struct mig_nic *owner = vmtable_by_vni(t, vnis[i]);

		nic->vm = vm;
		memcpy(nic->mac, macs[i], HANDOFF_MAC_LEN);
		nic->vni = vnis[i];
		nic->queue = queue_new();
		handoff_seq_init(&nic->rx);
		if (owner && owner->vm == vm)
			continue; /* the same VNI twice: the first NIC keeps it */
		if (owner)
			owner->indexed = false; /* taken over from a closed window */
		g_hash_table_insert(t->by_vni, GUINT_TO_POINTER(vnis[i]), nic);
		nic->indexed = true;
	}
	vm->n_nics = n;
	t->nics += n;
	return true;
}

struct mig_nic *vmtable_nic_by_vni(struct mig_vm *vm, uint32_t vni)
{
	for (unsigned int i = 0; i < vm->n_nics; i++)
		if (vm->nics[i].vni == vni)
			return &vm->nics[i];
	return NULL;
}

bool vmtable_set_state(struct mig_vm *vm, enum vm_state state, int64_t now_us,
		       int64_t mono_us)
{
	if (vm->state == state)
		return false;
	vm->state = state;
	if (state == VM_DONE || state == VM_ABORTED || state == VM_EXPIRED) {
		vm->t_ended = now_us;
		vm->m_ended = mono_us;
	}
	return true;
}

struct mig_vm *vmtable_lookup(const struct vm_table *t, const char *key)
{
	uint8_t uuid[16];
	struct mig_vm *vm = g_hash_table_lookup(t->by_name, key);

	if (vm)
		return vm;
	if (uuid_parse(key, uuid))
		return vmtable_by_uuid(t, uuid);
	return NULL;
}

void vmtable_foreach(const struct vm_table *t,
		     void (*fn)(struct mig_vm *vm, void *data), void *data)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, t->by_uuid);
	while (g_hash_table_iter_next(&it, NULL, &v))
		fn(v, data);
}

static gint cmp_vm(gconstpointer a, gconstpointer b)
{
	const struct mig_vm *x = *(struct mig_vm *const *)a;
	const struct mig_vm *y = *(struct mig_vm *const *)b;
	int r = strcmp(x->name, y->name);

	return r ? r : memcmp(x->uuid, y->uuid, HANDOFF_UUID_LEN);
}

static void add_to(struct mig_vm *vm, void *data)
{
	g_ptr_array_add(data, vm);
}

GPtrArray *vmtable_list(const struct vm_table *t)
{
	GPtrArray *a = g_ptr_array_new();

	vmtable_foreach(t, add_to, a);
	g_ptr_array_sort(a, cmp_vm);
	return a;
}

unsigned int vmtable_nic_count(const struct vm_table *t)
{
	return t->nics;
}

unsigned int vmtable_count(const struct vm_table *t)
{
	return g_hash_table_size(t->by_uuid);
}

unsigned int vm_queued(const struct mig_vm *vm)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->n_nics; i++)
		n += queue_len(vm->nics[i].queue);
	return n;
}

uint64_t vm_queued_bytes(const struct mig_vm *vm)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < vm->n_nics; i++)
		n += queue_bytes(vm->nics[i].queue);
	return n;
}

uint64_t vm_queue_mem(const struct mig_vm *vm)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < vm->n_nics; i++)
		n += queue_mem(vm->nics[i].queue);
	return n;
}

const char *vm_state_name(enum vm_state s)
{
	static const char *const names[] = {
		[VM_REGISTERED] = "registered", [VM_SUSPENDED] = "suspended",
		[VM_ACTIVATED] = "activated",   [VM_DONE] = "done",
		[VM_ABORTED] = "aborted",       [VM_EXPIRED] = "expired",
	};

	return (unsigned int)s < VM_N_STATES ? names[s] : "unknown";
}

bool vm_window_open(const struct mig_vm *vm)
{
	return vm->state == VM_SUSPENDED || vm->state == VM_ACTIVATED;
}

GPtrArray *vmtable_macs(const struct mig_vm *vm)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	char s[24];

	for (unsigned int i = 0; i < vm->n_nics; i++)
		g_ptr_array_add(a, g_strdup(mac_format(vm->nics[i].mac, s)));
	for (unsigned int i = 0; !vm->n_nics && i < vm->reg_n_macs; i++)
		g_ptr_array_add(a, g_strdup(mac_format(vm->reg_macs[i], s)));
	return a;
}

guint vmtable_uuid_hash(gconstpointer k)
{
	guint h;

	memcpy(&h, k, sizeof(h));
	return h;
}

gboolean vmtable_uuid_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, HANDOFF_UUID_LEN);
}
