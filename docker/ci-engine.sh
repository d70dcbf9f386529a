#!/usr/bin/env bash
# Local Docker engine for CI and development machines that have no Docker daemon and no image registry.
#
#   bash docker/ci-engine.sh start    install docker.io/debootstrap if missing, start dockerd, build base images
#   bash docker/ci-engine.sh stop     stop the dockerd started by `start`
#   bash docker/ci-engine.sh status   print whether the engine answers and which base images exist
#
# Idempotent: `start` on a running engine with both base images present only checks and returns.
#
# Base images (no registry needed; built from the machine's own Node.js):
#   roster-watch/node-runtime:local  the machine's node binary + exactly the shared libraries `ldd` lists,
#                                    the dynamic loader, /etc/passwd with user node (uid 1000), CA bundle. No shell.
#   roster-watch/node-build:local    debootstrap --variant=minbase bookworm + python3, make, g++, with the machine's
#                                    node, npm and /usr/include/node (npm_config_nodedir=/usr).
#
# Environment knobs:
#   RW_DOCKER_BIP            bridge address for docker0 (default: first free of 10.213.0.1/24, 10.223.0.1/24, ...)
#   RW_CACHE_DIR             debootstrap tarball cache (default /var/cache/roster-watch)
#   RW_DEBIAN_MIRROR         mirror for debootstrap (default: the one in /etc/apt/sources.list(.d))
#   RW_REBUILD_BASES=1       rebuild both base images even if present
#
# Tests then need: TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 DOCKER_BUILDKIT=0
set -euo pipefail

RUNTIME_IMAGE=roster-watch/node-runtime:local
BUILD_IMAGE=roster-watch/node-build:local
CACHE_DIR=${RW_CACHE_DIR:-/var/cache/roster-watch}
STATE_DIR=/run/roster-watch-engine
PIDFILE=/var/run/docker.pid
SOCKET=/var/run/docker.sock
DOCKERD=/usr/sbin/dockerd
BUILD_PACKAGES=python3,make,g++
SUITE=bookworm

export DOCKER_BUILDKIT=0
export DOCKER_HOST=unix://${SOCKET}

say() { printf '[ci-engine] %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}
elapsed() { printf '%ss' "$((SECONDS - ${1:-0}))"; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

NODE_BIN=$(readlink -f "$(command -v node)") || die "node not found on PATH"
NODE_VERSION=$("$NODE_BIN" --version)
NODE_PREFIX=$(dirname "$(dirname "$(command -v node)")")

engine_up() { timeout 10 docker info >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------- install
APT_UPDATED=0
apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  say "apt-get install ${missing[*]}"
  # The docker.io maintainer scripts would start the packaged service with its default settings (172.17/16 bridge,
  # iptables); policy-rc.d answering 101 stops invoke-rc.d from starting anything during the install.
  local policy=/usr/sbin/policy-rc.d restore=""
  if [ -e "$policy" ]; then
    restore=$(mktemp)
    cp -p "$policy" "$restore"
  fi
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  if [ -n "$restore" ]; then mv "$restore" "$policy"; else rm -f "$policy"; fi
  [ "$rc" -eq 0 ] || die "apt-get install failed (exit $rc)"
}

# ------------------------------------------------------------------------------------------------ network
# A private /24 for docker0 that no route or address on this machine uses; user-defined networks (testcontainers'
# `new Network()`, compose's default network) get /24s from a pool next to it.
# Docker's own bridges (docker0, br-*) outlive a stopped dockerd; they do not count as in use.
subnet_in_use() { # $1 = first two octets, e.g. 10.213
  ip -4 -o addr show 2>/dev/null | awk '$2 != "docker0" && $2 !~ /^br-/ {print $4}' | grep -q "^$1\." && return 0
  ip -4 route show 2>/dev/null | grep -v -E 'dev (docker0|br-)' | awk '{print $1}' | grep -q "^$1\." && return 0
  grep -q "nameserver $1\." /etc/resolv.conf 2>/dev/null && return 0
  return 1
}
pick_networks() {
  if [ -n "${RW_DOCKER_BIP:-}" ]; then
    BIP=$RW_DOCKER_BIP
    POOL=${RW_DOCKER_POOL:-}
    return
  fi
  local second
  for second in 213 223 233 243 203; do
    if ! subnet_in_use "10.$second" && ! subnet_in_use "10.$((second + 1))"; then
      BIP="10.$second.0.1/24"
      POOL="base=10.$((second + 1)).0.0/16,size=24"
      return
    fi
  done
  die "no free 10.x subnet found for docker0; set RW_DOCKER_BIP"
}

# ------------------------------------------------------------------------------------------------ dockerd
start_dockerd() {
  if engine_up; then
    say "engine already answering on $SOCKET ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    return
  fi
  if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    say "removing stale $PIDFILE"
    rm -f "$PIDFILE"
  fi
  [ -S "$SOCKET" ] && ! engine_up && rm -f "$SOCKET"
  pick_networks
  mkdir -p "$STATE_DIR"
  local log
  log=$(mktemp /tmp/roster-watch-dockerd.XXXXXX.log)
  echo "$log" >"$STATE_DIR/log-path"
  local args=(
    --iptables=false --ip-forward=false --ip-masq=false --ip=127.0.0.1
    --bip "$BIP"
    --host "unix://$SOCKET"
    --pidfile "$PIDFILE"
  )
  [ -n "$POOL" ] && args+=(--default-address-pool "$POOL")
  say "starting $DOCKERD (bridge $BIP${POOL:+, pool $POOL}), log: $log"
  # The engine's helpers (containerd, runc, docker-proxy, docker-init) come from the docker.io package: put its
  # directories first so a stray binary elsewhere on PATH is not picked up.
  PATH="/usr/sbin:/usr/bin:/usr/libexec/docker:/sbin:/bin:$PATH" setsid nohup "$DOCKERD" "${args[@]}" \
    </dev/null >>"$log" 2>&1 &
  echo $! >"$STATE_DIR/dockerd.pid"
  local t0=$SECONDS
  until engine_up; do
    if ! kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null; then
      tail -n 30 "$log" >&2 || true
      die "dockerd exited during start-up; full log in $log"
    fi
    [ $((SECONDS - t0)) -lt 60 ] || {
      tail -n 30 "$log" >&2
      die "dockerd did not answer within 60 s; log in $log"
    }
    sleep 0.5
  done
  say "engine up after $(elapsed "$t0"): server $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'), client $(docker version --format '{{.Client.Version}}') at $(command -v docker)"
}

stop_dockerd() {
  local pid=""
  # Only a dockerd this script started: an engine that was already there (a developer's, a host's)
  # is left alone, containers and all.
  [ -f "$STATE_DIR/dockerd.pid" ] && pid=$(cat "$STATE_DIR/dockerd.pid")
  if [ -z "$pid" ]; then
    say "no dockerd started by this script; leaving any other engine alone"
    return
  fi
  if ! kill -0 "$pid" 2>/dev/null || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "dockerd" ]; then
    say "dockerd (pid $pid) is not running"
    rm -f "$STATE_DIR/dockerd.pid"
    return
  fi
  say "stopping running containers"
  # shellcheck disable=SC2046
  docker ps -q | xargs -r docker stop -t 10 >/dev/null 2>&1 || true
  say "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  local t0=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    [ $((SECONDS - t0)) -lt 30 ] || {
      say "dockerd still running after 30 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    }
    sleep 0.5
  done
  rm -f "$STATE_DIR/dockerd.pid"
  say "dockerd stopped"
}

# ------------------------------------------------------------------------------------------- base images
image_node_label() { docker image inspect --format '{{index .Config.Labels "org.roster-watch.node-version"}}' "$1" 2>/dev/null || true; }
need_image() { # $1 = tag; true when it must be (re)built
  [ "${RW_REBUILD_BASES:-0}" = 1 ] && return 0
  [ "$(image_node_label "$1")" = "$NODE_VERSION" ] && return 1
  return 0
}

# Copies a file to the same absolute path under $root, following symlinks (so the libraries land as real files).
copy_into() { # $1 = root, $2 = absolute path
  mkdir -p "$1$(dirname "$2")"
  cp -L --preserve=mode "$2" "$1$2"
}

build_runtime_image() {
  need_image "$RUNTIME_IMAGE" || {
    say "$RUNTIME_IMAGE present (node $NODE_VERSION)"
    return
  }
  local t0=$SECONDS work root lib
  work=$(mktemp -d /tmp/roster-watch-runtime.XXXXXX)
  root=$work/rootfs
  say "building $RUNTIME_IMAGE from $NODE_BIN ($NODE_VERSION)"
  mkdir -p "$root"/{usr/bin,usr/local/bin,usr/lib/x86_64-linux-gnu,usr/lib64,etc/ssl/certs,tmp,home/node,dev,proc,sys,run,var/tmp}
  # merged /usr, like Debian bookworm
  ln -s usr/bin "$root/bin"
  ln -s usr/lib "$root/lib"
  ln -s usr/lib64 "$root/lib64"
  ln -s usr/bin "$root/sbin"
  cp -L --preserve=mode "$NODE_BIN" "$root/usr/local/bin/node"
  # exactly what ldd lists (the loader included); linux-vdso has no file
  while read -r lib; do
    copy_into "$root" "$lib"
  done < <(ldd "$NODE_BIN" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u)
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
node:x:1000:1000:node:/home/node:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
node:x:1000:
nogroup:x:65534:
EOF
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chown 1000:1000 "$root/home/node"
  say "runtime rootfs: $(du -sh "$root" | cut -f1), libraries: $(ldd "$NODE_BIN" | grep -c '/')"
  tar --numeric-owner -C "$root" -cf - . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change "LABEL org.roster-watch.node-version=$NODE_VERSION" \
    --change 'LABEL org.roster-watch.base=runtime' \
    --change 'CMD ["node"]' \
    --message "roster-watch runtime base: node $NODE_VERSION + ldd libraries" \
    - "$RUNTIME_IMAGE" >/dev/null
  rm -rf "$work"
  # smoke test: the binary starts inside the image
  docker run --rm --network none "$RUNTIME_IMAGE" node -e 'process.stdout.write(process.version)' >/dev/null ||
    die "$RUNTIME_IMAGE does not run node"
  say "$RUNTIME_IMAGE built in $(elapsed "$t0")"
}

debian_mirror() {
  if [ -n "${RW_DEBIAN_MIRROR:-}" ]; then
    echo "$RW_DEBIAN_MIRROR"
    return
  fi
  local uri
  # deb822 .sources first (bookworm default), then one-line sources.list; the main archive, not -security.
  uri=$(
    {
      grep -h -E '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{for(i=2;i<=NF;i++)print $i}'
      grep -h -E '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -E 's/\[[^]]*\]//' | awk '{print $2}'
    } | grep -E '/debian/?$' | grep -v -- '-security' | head -n1
  )
  echo "${uri:-http://deb.debian.org/debian}"
}

build_build_image() {
  need_image "$BUILD_IMAGE" || {
    say "$BUILD_IMAGE present (node $NODE_VERSION)"
    return
  }
  local t0=$SECONDS mirror tarball work root
  mirror=$(debian_mirror)
  mkdir -p "$CACHE_DIR"
  tarball="$CACHE_DIR/${SUITE}-minbase-${BUILD_PACKAGES//,/-}.tar"
  if [ ! -s "$tarball" ]; then
    work=$(mktemp -d /tmp/roster-watch-debootstrap.XXXXXX)
    say "debootstrap --variant=minbase --include=$BUILD_PACKAGES $SUITE from $mirror (cached afterwards in $tarball)"
    if ! debootstrap --variant=minbase --include="$BUILD_PACKAGES" "$SUITE" "$work/rootfs" "$mirror" \
      >"$work/debootstrap.log" 2>&1; then
      tail -n 30 "$work/debootstrap.log" >&2
      cp "$work/debootstrap.log" /tmp/roster-watch-debootstrap-failed.log
      rm -rf "$work"
      die "debootstrap failed; log in /tmp/roster-watch-debootstrap-failed.log"
    fi
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar --numeric-owner -C "$work/rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
    say "debootstrap done in $(elapsed "$t0"), cached $(du -h "$tarball" | cut -f1)"
  else
    say "using cached debootstrap tarball $tarball"
  fi

  work=$(mktemp -d /tmp/roster-watch-build.XXXXXX)
  root=$work/rootfs
  mkdir -p "$root"
  tar --numeric-owner -C "$root" -xf "$tarball"
  say "adding node $NODE_VERSION, npm and headers from $NODE_PREFIX"
  cp -L --preserve=mode "$NODE_BIN" "$root/usr/bin/node"
  mkdir -p "$root/usr/lib/node_modules" "$root/usr/include" "$root/usr/etc" "$root/etc/ssl/certs"
  cp -a "$NODE_PREFIX/lib/node_modules/npm" "$root/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  cp -a "$NODE_PREFIX/include/node" "$root/usr/include/node"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  {
    echo "cafile=/etc/ssl/certs/ca-certificates.crt"
    echo "nodedir=/usr"
    echo "registry=$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
    echo "fund=false"
    echo "audit=false"
    echo "update-notifier=false"
  } >"$root/usr/etc/npmrc"
  grep -q '^node:' "$root/etc/passwd" || {
    echo 'node:x:1000:1000:node:/home/node:/bin/bash' >>"$root/etc/passwd"
    echo 'node:x:1000:' >>"$root/etc/group"
    mkdir -p "$root/home/node"
    chown 1000:1000 "$root/home/node"
  }
  tar --numeric-owner -C "$root" -cf - . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV npm_config_nodedir=/usr' \
    --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
    --change "LABEL org.roster-watch.node-version=$NODE_VERSION" \
    --change 'LABEL org.roster-watch.base=build' \
    --change 'CMD ["/bin/bash"]' \
    --message "roster-watch build base: debootstrap minbase $SUITE + $BUILD_PACKAGES + node $NODE_VERSION" \
    - "$BUILD_IMAGE" >/dev/null
  rm -rf "$work"
  docker run --rm --network none "$BUILD_IMAGE" sh -c 'node --version && npm --version && g++ --version | head -n1' >/dev/null ||
    die "$BUILD_IMAGE smoke test failed"
  say "$BUILD_IMAGE built in $(elapsed "$t0")"
}

status() {
  if engine_up; then
    say "engine: up, server $(docker version --format '{{.Server.Version}}'), socket $SOCKET"
    [ -f "$STATE_DIR/log-path" ] && say "dockerd log: $(cat "$STATE_DIR/log-path")"
  else
    say "engine: not answering (start it with: bash $0 start)"
    return 0
  fi
  local img
  for img in "$RUNTIME_IMAGE" "$BUILD_IMAGE"; do
    if docker image inspect "$img" >/dev/null 2>&1; then
      say "$img: $(docker image inspect --format '{{.Size}}' "$img" | awk '{printf "%.0f MB", $1/1e6}')"
    else
      say "$img: absent"
    fi
  done
}

case "${1:-}" in
start)
  T0=$SECONDS
  command -v ip >/dev/null || apt_install iproute2
  apt_install docker.io debootstrap
  [ -x "$DOCKERD" ] || die "$DOCKERD missing after install"
  start_dockerd
  build_runtime_image
  build_build_image
  say "ready in $(elapsed "$T0"). For tests: export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 DOCKER_BUILDKIT=0"
  ;;
stop)
  stop_dockerd
  ;;
status)
  status
  ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
