#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# install.sh - make install into a temporary DESTDIR puts exactly the
# documented files there (docs/install.md: binaries, man pages, the
# systemd units, the example configurations), with their modes; systemd
# accepts the units (systemd-analyze verify, where systemd is present); a
# second install keeps the operator's configurations; make uninstall
# removes everything but a changed configuration.
#
# Expects INSTALL_FILES (set by make check: the list the Makefile
# installs) and BUILD.

set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=install
. "$TOP/tests/e2e/lib.sh"

need_files "$BUILD/bin/mig-manager" "$BUILD/bin/migctl" "$BUILD/bin/mig-agent"
[ -n "${INSTALL_FILES:-}" ] || fail "INSTALL_FILES is not set (run through make check)"
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
inst() { make -s -C "$TOP" BUILD="$BUILD" DESTDIR="$D" "$@"; }

inst install > "$D.log" 2>&1 || fail "make install failed: $(tail -5 "$D.log")"
want=$(printf '%s\n' $INSTALL_FILES | sort)
got=$(cd "$D" && find . -type f | sed 's|^\.||' | sort)
[ "$want" = "$got" ] || fail "installed files differ from the documented list:
$(diff <(echo "$want") <(echo "$got"))"
log "installed: $(echo $got)"
for f in $INSTALL_FILES; do
	case "$f" in
	*/sbin/*|*/bin/*) mode=755 ;;
	*/etc/*) mode=640 ;;
	*) mode=644 ;;
	esac
	[ "$(stat -c %a "$D$f")" = $mode ] || fail "$f has mode $(stat -c %a "$D$f"), expected $mode"
done
for p in mig-manager mig-agent; do
	grep -Eq "^ExecStart=[^ ]*/sbin/$p -c [^ ]*/$p/$p.conf$" \
		"$D"$(printf '%s\n' $INSTALL_FILES | grep "$p.service$") ||
		fail "the $p unit's ExecStart does not name the installed paths"
	"$D"$(printf '%s\n' $INSTALL_FILES | grep "/sbin/$p$") --version > /dev/null ||
		fail "the installed $p does not run"
done
for m in $(printf '%s\n' $INSTALL_FILES | grep '/man/'); do
	out=$(groff -man -Tutf8 -ww -z "$D$m" 2>&1) && [ -z "$out" ] ||
		fail "$m does not format cleanly: $out"
done

if command -v systemd-analyze > /dev/null; then
	for unit in $(printf '%s\n' $INSTALL_FILES | grep '\.service$'); do
		# The installed unit, with ExecStart pointing into DESTDIR (verify
		# checks that the command exists); warnings count as refusals.
		mkdir -p "$D.verify"
		sed "s|^ExecStart=|ExecStart=$D|" "$D$unit" > "$D.verify/${unit##*/}"
		out=$(systemd-analyze verify --man=no "$D.verify/${unit##*/}" 2>&1)
		rc=$?
		rm -rf "$D.verify"
		[ $rc = 0 ] && [ -z "$out" ] || fail "systemd-analyze verify refuses ${unit##*/}: $out"
		log "systemd-analyze verify: ${unit##*/} accepted"
	done
else
	log "systemd-analyze not installed: units not verified"
fi

conf=$(printf '%s\n' $INSTALL_FILES | grep '^/etc/.*mig-manager.conf$')
echo "# changed by the operator" >> "$D$conf"
inst install > "$D.log" 2>&1 || fail "second make install failed"
grep -q '^# changed by the operator' "$D$conf" || fail "a second install overwrote $conf"
inst uninstall > "$D.log" 2>&1 || fail "make uninstall failed: $(tail -5 "$D.log")"
left=$(cd "$D" && find . -type f | sed 's|^\.||')
[ "$left" = "$conf" ] || fail "after uninstall, left: $left (expected only the changed $conf; the unchanged mig-agent.conf goes)"
rm -f "$D.log"
log "PASS: make install puts $(echo "$want" | wc -l) files where docs/install.md says; uninstall keeps only a changed configuration"
