/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - how the daemons log: to stderr (the journal when stderr is
 * connected to it), one line per event with time, program, pid and
 * level; info and up, debug with -d.
 */
#ifndef MIG_LOG_H
#define MIG_LOG_H

#include <stdbool.h>

/**
 * mig_log_init() - install the log writer of the daemons.
 * @program: the name printed on each line.
 * @debug: log debug messages too.
 */
void mig_log_init(const char *program, bool debug);

#endif /* MIG_LOG_H */
