/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-common.h - what the libFuzzer targets of tests/fuzz share: a
 * manager core with one VM (two NICs) in an open window, built fresh
 * for every input so that a run depends on its input only.
 */
#ifndef MIG_FUZZ_COMMON_H
#define MIG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "simqemu.h"

/**
 * struct fuzz_world - a core and the simulated QEMUs of its VM.
 * @cfg: the core's configuration.
 * @m: the core.
 * @src: the source QEMU (its SUSPENDING opened the window).
 * @dst: the destination QEMU (same migration).
 */
struct fuzz_world {
	struct mgr_config cfg;
	struct mgr *m;
	struct simq src, dst;
};

/**
 * fuzz_world_init() - a fresh core at a fixed time with the window open.
 * @w: filled in.
 */
void fuzz_world_init(struct fuzz_world *w);

/**
 * fuzz_world_check() - the accounting invariants (every data datagram
 * buffered or dropped, memory equals the queues'); aborts if broken.
 * @w: the world.
 */
void fuzz_world_check(struct fuzz_world *w);

/**
 * fuzz_world_free() - shut the core down and free it.
 * @w: the world.
 */
void fuzz_world_free(struct fuzz_world *w);

#endif /* MIG_FUZZ_COMMON_H */
