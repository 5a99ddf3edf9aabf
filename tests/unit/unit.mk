# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests (Check) that compile sources of the patched QEMU tree.
# Included by the top-level Makefile.

CHECK_LIBS = $$(pkg-config --cflags --libs check glib-2.0) -lm
