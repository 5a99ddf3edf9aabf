# SPDX-License-Identifier: GPL-2.0-or-later
#
# migctl/migctl.mk - migctl, the manager's command line client, and
# "migctl migrate" for libvirt users.  Included by the top-level Makefile
# after lib/lib.mk.  Only lib/ and migctl/ are on its include path: it
# cannot include the daemon's internals.
#
#   main.c (command table), admin-client.c (the admin socket), show.c
#   (text output); provision.c (prepare, commit, abort); services.c (the
#   services' inventory and migrate-service); migrate.c, migrate-opts.c, qmp.c, handoff-objects.c,
#   virsh.c, report.c ("migctl migrate", see migrate-internal.h); domxml.c
#   (libvirt domain XML, libxml2)

MIGCTL_SRCS := migctl/main.c migctl/admin-client.c migctl/show.c \
	migctl/migrate.c migctl/migrate-opts.c migctl/qmp.c \
	migctl/handoff-objects.c migctl/virsh.c migctl/report.c migctl/domxml.c \
	migctl/provision.c migctl/services.c
MIGCTL_HDRS := $(wildcard migctl/*.h)
MIGCTL_CFLAGS = $(LIB_CFLAGS) -Imigctl \
	-DMIG_VERSION='"$(MIG_VERSION)"'
MIGCTL_LIBS = $$(pkg-config --cflags --libs gio-unix-2.0 json-glib-1.0 \
	libvirt libvirt-qemu libxml-2.0) $(LIB_LIBS)

$(BUILD)/bin/migctl: $(MIGCTL_SRCS) $(MIGCTL_HDRS) $(LIBMIG)
	@mkdir -p $(@D)
	$(CC) $(MIGCTL_CFLAGS) -o $@ $(MIGCTL_SRCS) $(LIBMIG) $(MIGCTL_LIBS)

HOST_TOOLS += $(BUILD)/bin/migctl
