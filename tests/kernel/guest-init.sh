#!/bin/sh
# tests/kernel/guest-init.sh — PID 1 of the kernel-test guest (busybox sh).
#
# Loads the modules listed in /modules.order (computed on the host by
# modprobe --show-depends), mounts the host's / read-only at /host and the
# writable result share at /host$RILL_SHARE (the same path as on the host),
# and runs the host's own bash on $RILL_SRC/tests/kernel/guest.sh in a chroot
# of the host's root, so host-built binaries run with the host's libraries.
# /host/tmp stays the host's (read-only): the build may live there; scratch
# space is the tmpfs on /host/run.
# Parameters come on the kernel command line: rill_share= rill_src= rill_build=,
# and rill_only= (sections of guest.sh to run, comma-separated; all if unset).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp /host /dev/shm /dev/pts
for w in $(cat /proc/cmdline); do
    case $w in
    rill_share=*) RILL_SHARE=${w#rill_share=} ;;
    rill_src=*) RILL_SRC=${w#rill_src=} ;;
    rill_build=*) RILL_BUILD=${w#rill_build=} ;;
    rill_only=*) RILL_ONLY=${w#rill_only=} ;;
    esac
done
echo "RILLK: init, kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime)"
while read -r ko params; do
    [ -n "$ko" ] || continue
    insmod "/modules/$ko" $params || echo "RILLK: insmod $ko failed"
done < /modules.order
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /host ||
    echo "RILLK: cannot mount the host root"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 hostshare "/host$RILL_SHARE" ||
    echo "RILLK: cannot mount the share"
mount --bind /dev /host/dev
mount -t tmpfs shm /host/dev/shm
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t tmpfs run /host/run
echo "RILLK: running the guest tests, uptime $(cut -d' ' -f1 /proc/uptime)"
RILL_ONLY=${RILL_ONLY:-} chroot /host /bin/bash "$RILL_SRC/tests/kernel/guest.sh" "$RILL_BUILD" "$RILL_SHARE" \
    > "/host$RILL_SHARE/guest.log" 2>&1
echo "RILLK: guest tests finished (status $?), uptime $(cut -d' ' -f1 /proc/uptime)"
sync
umount "/host$RILL_SHARE"
echo "RILLK_DONE"
poweroff -f
