/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * migrate.h - "migctl migrate": virsh migrate with the bandwidth
 * governor and the migration handoff, for libvirt users
 * (docs/libvirt.md).
 */
#ifndef MIGCTL_MIGRATE_H
#define MIGCTL_MIGRATE_H

#include "migctl.h"

#define MIGRATE_ARGS \
	"DOMAIN DEST-URI [virsh migrate options...] [--connect URI]\n" \
	"          [--policy dirty-factor|xen-adaptive|none] [--max-rounds N]\n" \
	"          [--remaining BYTES] [--min-bandwidth BYTES/s]\n" \
	"          [--manager HOST:PORT] [--key-file FILE] [--no-register]\n" \
	"          [--provision DEST-HOST [--provision-from SRC-HOST]]\n" \
	"          [--new-ip A [--new-mac M]]"

/**
 * migrate_main() - run "migctl migrate DOMAIN DEST-URI [options...]".
 * @o: migctl's global options (the admin socket for registration and
 *     counters).
 * @argc: number of arguments, argv[0] being "migrate".
 * @argv: the arguments.
 *
 * Return: virsh migrate's exit status once it ran, otherwise 1 (domain
 * unknown, QEMU not patched, parameters refused), 2 (usage) or 3
 * (mig-manager not reachable).
 */
int migrate_main(const struct migctl_opts *o, int argc, char **argv);

#endif /* MIGCTL_MIGRATE_H */
