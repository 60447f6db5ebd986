#!/usr/bin/env bash
# Makes a Docker engine usable for the docker runtime's tests (Debian 12, as root):
# docker.io from apt, dockerd started with the flags that work in this sandbox, and the
# image localhost/taos-busybox:latest built from busybox-static (no registry is reachable).
# Idempotent: when everything is already there it only checks, in well under 2 s.
set -euo pipefail

DOCKER_IO_VERSION="20.10.24+dfsg1-1+deb12u1+b6"
BUSYBOX_VERSION="1:1.35.0-4+deb12u1+b1"
IMAGE="localhost/taos-busybox:latest"
STATE=/var/lib/taos-ci-docker
SOCK=/var/run/docker.sock

say() { echo "docker.sh: $*"; }
die() { echo "docker.sh: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run me as root"

ping_ok() {
    [ -S "$SOCK" ] && [ "$(curl -s -m 2 --unix-socket "$SOCK" http://docker/_ping 2>/dev/null)" = OK ]
}

apt_install() {
    if [ -z "${APT_UPDATED:-}" ]; then
        say "apt-get update"
        apt-get update -qq >/dev/null || die "apt-get update failed"
        APT_UPDATED=1
    fi
    say "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
        || die "apt-get install $* failed"
}

command -v curl >/dev/null || apt_install curl

if ! command -v dockerd >/dev/null; then
    apt_install "docker.io=$DOCKER_IO_VERSION"
    command -v dockerd >/dev/null || die "docker.io is installed but dockerd is not on PATH"
fi

if ! ping_ok; then
    mkdir -p "$STATE/data" "$STATE/exec"
    if [ -f "$STATE/dockerd.pid" ] && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
        say "dockerd (pid $(cat "$STATE/dockerd.pid")) runs but does not answer yet; waiting"
    else
        rm -f "$SOCK" "$STATE/dockerd.pid"
        say "starting dockerd (log: $STATE/dockerd.log)"
        # No iptables, no bridge: the sandbox cannot set them up; agents use the host network.
        nohup dockerd --iptables=false --ip6tables=false --bridge=none \
            --data-root "$STATE/data" --exec-root "$STATE/exec" \
            -H "unix://$SOCK" --pidfile "$STATE/dockerd.pid" \
            --default-ulimit nofile=1024:1024 \
            >>"$STATE/dockerd.log" 2>&1 </dev/null &
    fi
    for _ in $(seq 1 60); do
        ping_ok && break
        sleep 0.5
    done
    ping_ok || die "dockerd does not answer on $SOCK after 30 s; see $STATE/dockerd.log: $(tail -n 3 "$STATE/dockerd.log" 2>/dev/null | tr '\n' ' ')"
    say "dockerd answers on $SOCK"
fi

image_ok() {
    [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://docker/images/$IMAGE/json")" = 200 ]
}

if ! image_ok; then
    # busybox-static, not busybox: the image has no libc for a dynamic one.
    if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "ok installed"; then
        apt_install "busybox-static=$BUSYBOX_VERSION"
    fi
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
    echo "root:x:0:" >"$root/etc/group"
    chmod 1777 "$root/tmp"
    say "importing $IMAGE from busybox-static"
    tar -C "$root" -c . | docker -H "unix://$SOCK" import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null \
        || die "docker import of $IMAGE failed"
    image_ok || die "$IMAGE is still missing after the import"
fi
say "ok: dockerd $(curl -s -m 2 --unix-socket "$SOCK" http://docker/version | sed -n 's/.*"Version":"\([^"]*\)".*/\1/p' | head -c 40) on $SOCK, image $IMAGE"
