#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-guest.sh - build the migration test guest: OUTDIR/vmlinuz (Debian 12
# kernel) and OUTDIR/initramfs.img (busybox, virtio-net modules, /init,
# mig-sink, mig-dirty, mig-talk, mig-relink).  Writes nothing outside OUTDIR except apt's cache.
#
# Environment: CC (default cc), MIG_GUEST_MODULES (modules to load, with
# their dependencies; default "virtio_pci virtio_net").

set -euo pipefail

prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
guest_src=$repo/tests/guest

usage() {
	cat <<EOF
Usage: $prog OUTDIR
Build the test guest into OUTDIR:
  OUTDIR/vmlinuz         kernel of the Debian package linux-image-amd64 depends on
  OUTDIR/initramfs.img   busybox, virtio-net modules, /init, mig-sink, mig-dirty,
                         mig-talk, mig-relink
  OUTDIR/kernel-version  the kernel release used
Scratch space (kept for fast re-runs): OUTDIR/deb, OUTDIR/kernel, OUTDIR/staging,
OUTDIR/bin.  Needs: apt-cache, apt-get, dpkg-deb, cc with static libc,
busybox-static, cpio, gzip.
Environment: CC (default cc), MIG_GUEST_MODULES (default "virtio_pci virtio_net").
EOF
}

die() {
	echo "$prog: error: $*" >&2
	exit 1
}

log() {
	echo "$prog: $*" >&2
}

case ${1:-} in
-h|--help) usage; exit 0 ;;
"") usage >&2; exit 1 ;;
esac
[ $# -eq 1 ] || { usage >&2; exit 1; }

cc=${CC:-cc}
modules_wanted=${MIG_GUEST_MODULES:-virtio_pci virtio_net}
busybox=/bin/busybox

# ---- prerequisites -------------------------------------------------------
for cmd in apt-cache apt-get dpkg-deb dpkg-query cpio gzip find sort \
	   "${cc%% *}"; do
	command -v "$cmd" >/dev/null 2>&1 ||
		die "command '$cmd' not found (Debian packages: apt, dpkg, cpio, gzip, findutils, coreutils, build-essential)"
done
[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = \
  "install ok installed" ] ||
	die "package busybox-static is not installed (apt-get install busybox-static); a dynamically linked busybox cannot run in the initramfs"
[ -x "$busybox" ] || die "$busybox missing although busybox-static is installed"
libc_a=$($cc -print-file-name=libc.a)
[ -f "$libc_a" ] || die "static libc (libc.a) not found for '$cc' (package libc6-dev)"

mkdir -p "$1"
out=$(cd "$1" && pwd)

# ---- kernel package --------------------------------------------------------
# kernel_pkg - print the kernel package linux-image-amd64 depends on.
kernel_pkg() {
	local deps
	deps=$(apt-cache depends linux-image-amd64 2>/dev/null) || return 0
	sed -n 's/^ *|\{0,1\}Depends: \(linux-image-[^ ]*\).*/\1/p' <<<"$deps" |
		sed -n 1p
}

pkg=$(kernel_pkg)
if [ -z "$pkg" ]; then
	[ "$(id -u)" -eq 0 ] ||
		die "apt-cache does not know linux-image-amd64; run 'apt-get update' as root"
	log "apt-cache does not know linux-image-amd64, running apt-get update"
	apt-get update -qq || die "apt-get update failed"
	pkg=$(kernel_pkg)
	[ -n "$pkg" ] || die "cannot find the kernel package linux-image-amd64 depends on"
fi
info=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null) ||
	die "apt-cache show $pkg failed"
version=$(sed -n 's/^Version: //p' <<<"$info" | sed -n 1p)
[ -n "$version" ] || die "apt-cache show $pkg gives no version"

mkdir -p "$out/deb"
deb_glob="${pkg}_${version//:/%3a}_*.deb"
find_deb() {
	find "$out/deb" -maxdepth 1 -name "$deb_glob" | head -n 1
}
deb=$(find_deb)
if [ -z "$deb" ]; then
	log "downloading $pkg $version"
	sandbox=()
	if [ "$(id -u)" -eq 0 ]; then
		sandbox=(-o APT::Sandbox::User=root)
	fi
	(cd "$out/deb" && apt-get download -q "${sandbox[@]}" "$pkg=$version") ||
		die "apt-get download $pkg=$version failed (stale package lists? run apt-get update as root)"
	deb=$(find_deb)
	[ -n "$deb" ] || die "downloaded .deb of $pkg not found in $out/deb"
	# Older kernels are of no further use.
	find "$out/deb" -maxdepth 1 -name 'linux-image-*.deb' ! -path "$deb" \
		-delete
fi

# ---- extract (not install) -------------------------------------------------
kroot=$out/kernel
stamp=$kroot/.extracted-from
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${deb##*/}" ]; then
	log "extracting ${deb##*/}"
	rm -rf "$kroot"
	mkdir -p "$kroot"
	dpkg-deb -x "$deb" "$kroot" || die "dpkg-deb -x $deb failed"
	echo "${deb##*/}" >"$stamp"
fi

vmlinuz=$(find "$kroot/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
[ -n "$vmlinuz" ] || die "no /boot/vmlinuz-* in $deb"
kver=${vmlinuz##*/vmlinuz-}
moddir=$kroot/lib/modules/$kver
# Debian generates modules.dep at install time (postinst runs depmod), so
# the package does not ship it: generate it in the extracted tree, with
# kmod's depmod if present, else busybox's.
if [ ! -f "$moddir/modules.dep" ]; then
	log "generating modules.dep for $kver"
	if command -v depmod >/dev/null 2>&1; then
		depmod -b "$kroot" "$kver"
	else
		"$busybox" depmod -b "$kroot" "$kver"
	fi || die "depmod for $kver failed"
fi
[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep missing after depmod"

# ---- modules: resolve dependencies from modules.dep -------------------------
# modname PATH - set $mod to the module name (dashes as underscores) of a
# path in modules.dep/modules.builtin (no subshell: thousands of lines).
modname() {
	mod=${1##*/}
	mod=${mod%%.ko*}
	mod=${mod//-/_}
}

declare -A dep_path=() dep_list=() builtin=() visited=()
while IFS= read -r line; do
	path=${line%%:*}
	modname "$path"
	dep_path[$mod]=$path
	dep_list[$mod]=${line#*:}
done <"$moddir/modules.dep"
if [ -f "$moddir/modules.builtin" ]; then
	while IFS= read -r path; do
		modname "$path"
		builtin[$mod]=1
	done <"$moddir/modules.builtin"
fi

order=()
resolve() {
	local name=$1 d
	[ -z "${visited[$name]:-}" ] || return 0
	visited[$name]=1
	if [ -n "${builtin[$name]:-}" ]; then
		log "module $name is built into the kernel"
		return 0
	fi
	[ -n "${dep_path[$name]:-}" ] ||
		die "module $name is neither in modules.dep nor in modules.builtin of $kver"
	for d in ${dep_list[$name]}; do
		modname "$d"
		resolve "$mod"
	done
	order+=("$name")
}
for m in $modules_wanted; do
	resolve "${m//-/_}"
done

# ---- guest programs -------------------------------------------------------
bindir=$out/bin
mkdir -p "$bindir"
# build_prog NAME SOURCE... - static guest program from tests/guest.
build_prog() {
	local name=$1 srcs=() f
	shift
	for f in "$name.c" "$@"; do
		srcs+=("$guest_src/$f")
	done
	$cc -static -O2 -Wall -Wextra -std=gnu11 -I"$guest_src" \
		-o "$bindir/$name.tmp" "${srcs[@]}" || die "building $name failed"
	mv -f "$bindir/$name.tmp" "$bindir/$name"
}
build_prog mig-sink seqtrack.c seqproto.c numarg.c
build_prog mig-dirty numarg.c
build_prog mig-talk numarg.c
build_prog mig-relink

# ---- staging tree -----------------------------------------------------------
stage=$out/staging
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,root,etc,var/log,lib/modules}
ln -s bin "$stage/sbin"
mkdir -p "$stage/usr"
ln -s ../bin "$stage/usr/bin"
ln -s ../bin "$stage/usr/sbin"

cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
install -m 0755 "$bindir/mig-sink" "$bindir/mig-dirty" "$bindir/mig-talk" \
	"$bindir/mig-relink" "$stage/bin/"
install -m 0755 "$guest_src/init" "$stage/init"
# The kernel's built-in initramfs provides /dev/console and /init mounts
# devtmpfs; add the node too when we can.
if [ "$(id -u)" -eq 0 ]; then
	mknod -m 0600 "$stage/dev/console" c 5 1
fi

: >"$stage/lib/modules/load-order"
for name in "${order[@]}"; do
	src=$moddir/${dep_path[$name]}
	dst=$stage/lib/modules/$name.ko
	case $src in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*) die "unknown module format: $src" ;;
	esac || die "cannot decompress $src (is xz-utils / zstd installed?)"
	echo "$name.ko" >>"$stage/lib/modules/load-order"
done
echo "$kver" >"$stage/etc/mig-kernel-version"

# ---- outputs ------------------------------------------------------------------
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null --quiet -o -H newc -R 0:0 --reproducible) |
	gzip -9 -n >"$out/initramfs.img.tmp" || die "creating the initramfs failed"
mv -f "$out/initramfs.img.tmp" "$out/initramfs.img"
cp "$vmlinuz" "$out/vmlinuz.tmp"
mv -f "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$kver" >"$out/kernel-version"

log "kernel $kver ($pkg $version), modules: ${order[*]:-none}"
log "wrote $out/vmlinuz and $out/initramfs.img ($(du -k "$out/initramfs.img" | cut -f1) KiB)"
echo "$kver"
