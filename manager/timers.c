// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * timers.c - the core's timer heap: a binary min-heap of VMs on their
 * deadline (mig_vm.deadline, position in mig_vm.heap_pos), so that
 * mgr_poll() only looks at the VMs that are due, whatever the size of the
 * table: O(log n) per scheduling, O(1) to find the next deadline.
 */
#include "internal.h"

struct mgr_heap {
	GPtrArray *a; /* struct mig_vm *, heap-ordered on deadline */
};

struct mgr_heap *mgr_heap_new(void)
{
	struct mgr_heap *h = g_new0(struct mgr_heap, 1);

	h->a = g_ptr_array_new();
	return h;
}

void mgr_heap_free(struct mgr_heap *h)
{
	if (!h)
		return;
	g_ptr_array_unref(h->a);
	g_free(h);
}

static struct mig_vm *at(const struct mgr_heap *h, unsigned int i)
{
	return g_ptr_array_index(h->a, i);
}

static void put(struct mgr_heap *h, unsigned int i, struct mig_vm *vm)
{
	h->a->pdata[i] = vm;
	vm->heap_pos = (int)i;
}

static void sift_up(struct mgr_heap *h, unsigned int i)
{
	struct mig_vm *vm = at(h, i);

	while (i > 0) {
		unsigned int parent = (i - 1) / 2;

		if (at(h, parent)->deadline <= vm->deadline)
			break;
		put(h, i, at(h, parent));
		i = parent;
	}
	put(h, i, vm);
}

static void sift_down(struct mgr_heap *h, unsigned int i)
{
	struct mig_vm *vm = at(h, i);
	unsigned int n = h->a->len;

	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, min = i;
		int64_t d = vm->deadline;

		if (l < n && at(h, l)->deadline < d) {
			min = l;
			d = at(h, l)->deadline;
		}
		if (r < n && at(h, r)->deadline < d)
			min = r;
		if (min == i)
			break;
		put(h, i, at(h, min));
		i = min;
	}
	put(h, i, vm);
}

static void heap_remove(struct mgr_heap *h, struct mig_vm *vm)
{
	unsigned int i = (unsigned int)vm->heap_pos;
	struct mig_vm *last = g_ptr_array_steal_index(h->a, h->a->len - 1);

	vm->heap_pos = -1;
	if (last == vm)
		return;
	put(h, i, last);
	sift_up(h, i);
	sift_down(h, (unsigned int)last->heap_pos);
}

void mgr_heap_set(struct mgr_heap *h, struct mig_vm *vm, int64_t when)
{
	vm->deadline = when;
	if (when == G_MAXINT64) {
		if (vm->heap_pos >= 0)
			heap_remove(h, vm);
		return;
	}
	if (vm->heap_pos < 0) {
		g_ptr_array_add(h->a, vm);
		vm->heap_pos = (int)h->a->len - 1;
		sift_up(h, (unsigned int)vm->heap_pos);
		return;
	}
	sift_up(h, (unsigned int)vm->heap_pos);
	sift_down(h, (unsigned int)vm->heap_pos);
}

void mgr_schedule(struct mgr *m, struct mig_vm *vm, int64_t when)
{
	if (vm->heap_pos >= 0 && vm->deadline <= when)
		return;
	mgr_heap_set(m->heap, vm, when);
}

struct mig_vm *mgr_heap_first(const struct mgr_heap *h)
{
	return h->a->len ? at(h, 0) : NULL;
}

unsigned int mgr_heap_size(const struct mgr_heap *h)
{
	return h->a->len;
}
