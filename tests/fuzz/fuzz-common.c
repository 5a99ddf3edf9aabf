// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-common.c - the core the libFuzzer targets run against (see
 * fuzz-common.h).
 */
#include "fuzz-common.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

static const uint8_t master[32] = "fuzz-master-key-fuzz-master-key";
static const uint8_t uuid[16] = { 0xf2, 0x22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };

#define T0_MONO INT64_C(1000000000)
#define T0_REAL INT64_C(1700000000000000)

static GLogWriterOutput quiet(GLogLevelFlags level, const GLogField *f,
			      gsize n, gpointer data)
{
	(void)level;
	(void)f;
	(void)n;
	(void)data;
	return G_LOG_WRITER_HANDLED;
}

void fuzz_world_init(struct fuzz_world *w)
{
	static bool once;
	uint8_t buf[HANDOFF_MAX_LEN];
	struct mig_addr from;
	int n;

	if (!once) {
		g_log_set_writer_func(quiet, NULL, NULL);
		once = true;
	}
	memset(w, 0, sizeof(*w));
	config_defaults(&w->cfg);
	memcpy(w->cfg.key, master, sizeof(master));
	w->cfg.key_len = sizeof(master);
	g_clear_pointer(&w->cfg.state_file, g_free);
	w->cfg.max_packets = 64;
	w->cfg.pace_pps = 0;
	w->m = mgr_new(&w->cfg, NULL);
	if (!w->m)
		abort();
	mgr_set_time(w->m, T0_MONO, T0_REAL);
	simq_init(&w->src, master, sizeof(master), uuid, "fuzz", 2, "127.0.0.1", 40000);
	simq_init(&w->dst, master, sizeof(master), uuid, "fuzz", 2, "127.0.0.2", 40000);
	memcpy(w->dst.migration_id, w->src.migration_id, HANDOFF_ID_LEN);
	w->src.now_us = w->dst.now_us = (uint64_t)T0_REAL;
	n = simq_suspending(&w->src, buf);
	addr_from_endpoint(&w->src.control, &from);
	mgr_control_input(w->m, buf, (size_t)n, &from);
	mgr_outbox_done(w->m, w->m->n_out);
}

void fuzz_world_check(struct fuzz_world *w)
{
	static const enum drop_reason data_reasons[] = {
		DROP_BUFFER_FULL, DROP_MEMORY_CAP, DROP_UNKNOWN_VNI, DROP_UNKNOWN_PEER,
		DROP_WINDOW_CLOSED, DROP_SHORT, DROP_NOT_GENEVE, DROP_NO_AUTH,
		DROP_FRAME_AUTH, DROP_REPLAYED, DROP_TOO_OLD,
	};
	GPtrArray *vms = vmtable_list(w->m->vms);
	uint64_t drops = 0, mem = 0;

	for (unsigned int i = 0; i < G_N_ELEMENTS(data_reasons); i++)
		drops += w->m->st.drops[data_reasons[i]];
	if (w->m->st.c[CTR_DATA_DATAGRAMS] != w->m->st.c[CTR_FRAMES_BUFFERED] + drops)
		abort();
	for (unsigned int i = 0; i < vms->len; i++) {
		struct mig_vm *vm = vms->pdata[i];

		for (unsigned int k = 0; k < vm->n_nics; k++)
			mem += queue_mem(vm->nics[k].queue);
	}
	if (mem != w->m->mem)
		abort();
	g_ptr_array_unref(vms);
}

void fuzz_world_free(struct fuzz_world *w)
{
	mgr_shutdown(w->m);
	if (w->m->mem)
		abort();
	mgr_free(w->m);
	config_clear(&w->cfg);
}
