#!/usr/bin/env bash
# Makes this machine (Debian 12, root, no systemd) able to run the incus runtime's tests:
# incus from bookworm-backports, incusd in the background, a `dir` pool, a local busybox
# image `taos-busybox`, and a Debian image with systemd `taos-systemd` whose `taos-agent` unit
# reads /etc/taos/agent.env (for live token injection). Idempotent: a second run does nothing
# and takes < 2 s.
# See shared/reference/runtimes-and-mcp.md §1 for why each step is needed.
set -euo pipefail

SOCKET=${INCUS_SOCKET:-/var/lib/incus/unix.socket}
LOG=${INCUS_LOG:-/var/log/incusd.log}
IMAGE=taos-busybox
SYSTEMD_IMAGE=taos-systemd
DEBOOTSTRAP_VERSION=1.0.128+nmu2+deb12u2

say() { echo "incus.sh: $*"; }
die() { echo "incus.sh: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
grep -q 'bookworm' /etc/os-release || die "this script is for Debian 12 (bookworm)"

# 1. Packages: incus is only in bookworm-backports.
if ! command -v incus >/dev/null || [ ! -x /usr/libexec/incus/incusd ] || ! command -v busybox >/dev/null; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        mirror=$(grep -rhs -m1 -oE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' \
                     /etc/apt/sources.list /etc/apt/sources.list.d/ | head -n1 | awk '{print $2}' || true)
        [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
        echo "deb $mirror bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
        say "added the bookworm-backports apt source ($mirror)"
    fi
    apt-get update -qq || die "apt-get update"
    version=$(apt-cache policy incus-base | awk '/bookworm-backports/ {print prev} {prev=$1}' | head -n1)
    [ -n "$version" ] || version=$(apt-cache madison incus-base | awk -F'|' '/backports/ {gsub(/ /,"",$2); print $2; exit}')
    [ -n "$version" ] || die "apt shows no incus-base in bookworm-backports"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports --no-install-recommends \
        "incus-base=$version" "incus-client=$version" busybox-static >/dev/null \
        || die "apt-get install incus-base=$version incus-client=$version busybox-static"
    say "installed incus-base and incus-client $version, busybox-static"
fi

# 2. The daemon, without systemd.
answers() { curl -s -m 2 --unix-socket "$SOCKET" http://incus/1.0 >/dev/null 2>&1; }
if ! answers; then
    getent group incus-admin >/dev/null || groupadd --system incus-admin
    mkdir -p "$(dirname "$LOG")"
    nohup /usr/libexec/incus/incusd --group incus-admin --logfile "$LOG" >/dev/null 2>&1 &
    say "started incusd (pid $!, log $LOG)"
    for _ in $(seq 1 60); do answers && break; sleep 0.5; done
    answers || die "incusd does not answer on $SOCKET after 30 s (see $LOG)"
fi

# 3. Storage: a `dir` pool as the default profile's root disk; no network (no bridge here).
if ! incus storage show default >/dev/null 2>&1; then
    incus storage create default dir >/dev/null || die "incus storage create default dir"
    say "created the dir storage pool 'default'"
fi
if ! incus profile device show default | grep -q '^root:'; then
    incus profile device add default root disk path=/ pool=default >/dev/null \
        || die "incus profile device add default root disk"
    say "added the root disk to the default profile"
fi

# 4. The test image: busybox-static as a rootfs, imported under a local alias.
if ! incus image info "$IMAGE" >/dev/null 2>&1; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    root=$work/rootfs
    mkdir -p "$root"/{bin,sbin,etc/init.d,etc/taos,proc,sys,dev,tmp,root,run,var/log}
    cp "$(command -v busybox)" "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    ln -sf ../bin/busybox "$root/sbin/init"
    # busybox init: no getty on the console, just an idle init (it ignores LXC's halt signal,
    # which is what the stop-then-force path is tested with).
    printf '::sysinit:/bin/echo taos-busybox init\n' > "$root/etc/inittab"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    cat > "$work/metadata.yaml" <<META
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: busybox-static for taOS tests
  os: busybox
META
    tar -C "$work" -czf "$work/metadata.tar.gz" metadata.yaml
    tar -C "$root" --numeric-owner -czf "$work/rootfs.tar.gz" .
    incus image import "$work/metadata.tar.gz" "$work/rootfs.tar.gz" --alias "$IMAGE" >/dev/null \
        || die "incus image import ($IMAGE)"
    say "imported the image '$IMAGE'"
fi

# 5. A systemd image: Debian minbase (debootstrap from the machine's own mirror) with
#    systemd and busybox, and a `taos-agent` unit that reads the env file taosd pushes, says
#    who it is with its token, and idles. What a real agent image looks like to the incus
#    runtime: a re-issued token reaches it live (env file + unit restart), no container reboot.
if ! incus image info "$SYSTEMD_IMAGE" >/dev/null 2>&1; then
    if ! command -v debootstrap >/dev/null; then
        apt-get update -qq || die "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "debootstrap=$DEBOOTSTRAP_VERSION" >/dev/null \
            || die "apt-get install debootstrap=$DEBOOTSTRAP_VERSION"
    fi
    mirror=$(grep -rhs -m1 -oE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' \
                 /etc/apt/sources.list /etc/apt/sources.list.d/ | head -n1 | awk '{print $2}' || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    swork=$(mktemp -d)
    trap 'rm -rf "${work:-}" "$swork"' EXIT
    sroot=$swork/rootfs
    say "debootstrap of the '$SYSTEMD_IMAGE' rootfs from $mirror (a minute or two)"
    debootstrap --variant=minbase --include=systemd-sysv,busybox bookworm "$sroot" "$mirror" \
        >"$swork/debootstrap.log" 2>&1 || { tail -20 "$swork/debootstrap.log" >&2; die "debootstrap"; }
    rm -rf "$sroot"/var/cache/apt/archives/*.deb "$sroot"/var/lib/apt/lists/*
    cat > "$sroot/etc/systemd/system/taos-agent.service" <<'UNIT'
[Unit]
Description=taOS test agent: says who it is with its token, then idles
After=network.target

[Service]
EnvironmentFile=-/etc/taos/agent.env
ExecStart=/bin/busybox sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/busybox wget -q -O - --header "Authorization: Bearer $TAOS_TOKEN" "$TAOS_URL/api/auth/whoami" && break; sleep 0.5; done; echo; exec /bin/busybox sleep 3600'
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
    mkdir -p "$sroot/etc/systemd/system/multi-user.target.wants"
    ln -sf ../taos-agent.service "$sroot/etc/systemd/system/multi-user.target.wants/taos-agent.service"
    # No getty, no console login: the console carries the agent's lines only.
    rm -f "$sroot"/etc/systemd/system/getty.target.wants/* 2>/dev/null || true
    cat > "$swork/metadata.yaml" <<META
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: Debian 12 minbase with systemd and a taos-agent unit, for taOS tests
  os: debian
META
    tar -C "$swork" -czf "$swork/metadata.tar.gz" metadata.yaml
    tar -C "$sroot" --numeric-owner -czf "$swork/rootfs.tar.gz" .
    incus image import "$swork/metadata.tar.gz" "$swork/rootfs.tar.gz" --alias "$SYSTEMD_IMAGE" >/dev/null \
        || die "incus image import ($SYSTEMD_IMAGE)"
    say "imported the image '$SYSTEMD_IMAGE'"
fi

say "ready (incus $(incus version 2>/dev/null | awk '/Server/ {print $3}'))"
