// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * counters.c - the rows of MIG_COUNTERS and MIG_DROP_REASONS as data.
 */
#include "counters.h"

#include <stddef.h>

#define ROW(id, name, scope, metric, label, group, text, help) \
	[CTR_##id] = { name, scope, metric, label, group, text, help },
static const struct mig_counter_info rows[CTR_N] = {
	MIG_COUNTERS(ROW)
};
#undef ROW

const struct mig_counter_info *mig_counter_info(enum mig_counter c)
{
	return &rows[(unsigned int)c < CTR_N ? c : 0];
}

#define NAME(id, name, help) [DROP_##id] = name,
static const char *const drop_names[DROP_N_REASONS] = {
	MIG_DROP_REASONS(NAME)
};
#undef NAME

const char *drop_reason_name(enum drop_reason r)
{
	return (unsigned int)r < DROP_N_REASONS ? drop_names[r] : "unknown";
}
