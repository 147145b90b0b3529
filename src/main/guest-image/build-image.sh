#!/usr/bin/env bash
# Builds the embedded cluster's QEMU guest image from Debian's packages: a Debian bookworm root file system
# (kernel, systemd, cloud-init, sshd, fio, sudo) as a qcow2 disk, plus the kernel and initrd that boot it.
# The embedded cluster caches the result under a hash of this file, so any change here builds a new image.
#
#   build-image.sh OUT_DIR        writes OUT_DIR/{root.qcow2,virtual-size,vmlinuz,initrd.img,packages.txt}
set -euo pipefail

out=${1:?usage: build-image.sh OUT_DIR}
suite=bookworm
mirror=${VMBENCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

fail() { echo "build-image.sh: $*" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || fail "must run as root: mmdebstrap needs root to build a bootable root file system \
(run the build as root, or build once as root and point vmbench.embedded.imageCache at the result)"
for tool in mmdebstrap mkfs.ext4 qemu-img; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing: apt-get install -y mmdebstrap e2fsprogs qemu-utils"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vmbench-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# What a cloud image carries for this job, and nothing that slows a software-emulated boot down.
packages=linux-image-amd64,initramfs-tools,systemd-sysv,udev,dbus,cloud-init,openssh-server,sudo,fio,\
ifupdown,isc-dhcp-client,iproute2,netbase,e2fsprogs,procps,ca-certificates,locales

# Only the cloud-init modules vmbench's user data uses, in cloud-init's own stage order (users and host keys before
# sshd; packages, runcmd and the final message after it): a distribution's full list (locale, ntp, grub, snap, …)
# costs a software-emulated first boot a minute and does nothing here.
modules='cloud_init_modules: [write_files, set_hostname, update_hostname, update_etc_hosts, users_groups, ssh]
cloud_config_modules: [runcmd]
cloud_final_modules: [package_update_upgrade_install, scripts_user, final_message]'
export modules

# The package lists are kept: cloud-init's package module runs apt-get update whenever packages are listed (as
# vmbench's user data lists fio), and against lists of the same release the mirror answers "not modified" instead of
# sending them again to a software-emulated guest.
mmdebstrap --variant=minbase --include="$packages" --skip=cleanup/apt/lists \
  --customize-hook='echo vmbench-guest > "$1/etc/hostname"' \
  --customize-hook='printf "/dev/vda / ext4 defaults 0 1\n" > "$1/etc/fstab"' \
  --customize-hook='printf "datasource_list: [ NoCloud, None ]\nmanage_etc_hosts: localhost\n" > "$1/etc/cloud/cloud.cfg.d/90-vmbench.cfg"' \
  --customize-hook='printf "%s\n" "$modules" > "$1/etc/cloud/cloud.cfg.d/91-vmbench-modules.cfg"' \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; : > "$1/etc/machine-id"' \
  --customize-hook='sed -i "s/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/" "$1/etc/locale.gen" && chroot "$1" locale-gen' \
  --customize-hook='chroot "$1" systemctl mask apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer' \
  "$suite" "$root" "$mirror"

mkdir -p "$out"
cp -L "$root/vmlinuz" "$out/vmlinuz"
cp -L "$root/initrd.img" "$out/initrd.img"
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' > "$out/packages.txt"
mkfs.ext4 -q -L vmbench-root -d "$root" "$work/root.raw" 3G
qemu-img convert -O qcow2 "$work/root.raw" "$out/root.qcow2"
stat -c %s "$work/root.raw" > "$out/virtual-size"
echo "guest image built in $out"
