/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lvmigrate.h - "migctl migrate": virsh migrate with the bandwidth
 * governor and the migration handoff
 */
#ifndef LVMIGRATE_H
#define LVMIGRATE_H

/**
 * lvmigrate_main() - run "migctl migrate DOMAIN DEST-URI [options...]"
 * @sock:	mig-manager's control socket (registration, counters)
 * @argc:	number of arguments, argv[0] being "migrate"
 * @argv:	the arguments
 *
 * Return: virsh migrate's exit status once it ran, otherwise 1 (domain
 * unknown, QEMU not patched, parameters refused), 2 (usage) or 3
 * (mig-manager not reachable).
 */
int lvmigrate_main(const char *sock, int argc, char **argv);

#endif /* LVMIGRATE_H */
