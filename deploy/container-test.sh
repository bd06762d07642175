#!/usr/bin/env bash
# Container test: builds the image FROM deploy/Dockerfile on base images made on this machine (no
# registry needed), runs deploy/docker-compose.yml (1 ps + 2 workers, a small run) to completion,
# and checks every container's exit code and the run directory the ps wrote to its volume.
#
#   deploy/container-test.sh [-o RUNS_DIR] [-u UPDATES] [-H HIDDEN]
#   -o  directory mounted as the ps's /data/runs (default: a new directory under /tmp; printed)
#   -u  training updates (default 200)      -H  hidden size (default 64)
#
# Needs a running Docker daemon (e.g. `dockerd &`; `--storage-driver=vfs` where overlay2 fails), docker-compose or
# `docker compose`, and NuGet reachable from a container (the image's build stage restores).
# The base images, actortrainer-local/dotnet-sdk:<SDK version> and actortrainer-local/dotnet-runtime:
# <runtime version>, are made once when missing: a Debian minbase root filesystem (debootstrap, as
# root, from the mirror in /etc/apt/sources.list*; cached as a tarball in $CONTAINER_TEST_CACHE,
# default /var/cache/actortrainer-container) plus this machine's .NET, then `docker import`.
# Exit code: 0 passed; 1 the build, the run or a check failed; 2 usage; 3 a prerequisite is missing.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
runs="" updates=200 hidden=64
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
for arg in "$@"; do [[ "$arg" == "--help" ]] && { usage; exit 0; }; done
while getopts "o:u:H:h" opt; do
  case "$opt" in
    o) runs="$OPTARG" ;;
    u) updates="$OPTARG" ;;
    H) hidden="$OPTARG" ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ "$updates" =~ ^[1-9][0-9]*$ ]] || { echo "error: -u must be a positive integer (got '$updates')" >&2; exit 2; }
[[ "$hidden" =~ ^[1-9][0-9]*$ ]] || { echo "error: -H must be a positive integer (got '$hidden')" >&2; exit 2; }

missing() { echo "error: $*" >&2; exit 3; }
failed() { echo "error: $*" >&2; exit 1; }
started=$SECONDS
phase() { echo "[container-test] $(( SECONDS - started ))s: $*" >&2; }

# 1. Prerequisites.
command -v docker >/dev/null || missing "no docker command on PATH"
docker info >/dev/null 2>&1 || missing "cannot reach a Docker daemon ($(docker info 2>&1 | grep -m1 -i error || echo 'docker info failed')); start one, e.g. dockerd &"
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null; then compose=(docker-compose)
else missing "neither 'docker compose' nor docker-compose is installed (Debian: apt-get install docker-compose)"; fi

# 2. Base images: Debian minbase + this machine's .NET, unless already made for these .NET versions.
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet || missing "no dotnet on PATH: the base images copy this machine's .NET")")")"
sdk_version="$(dotnet --version)"
runtime_version="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
[[ -d "$dotnet_root/sdk/$sdk_version" && -d "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" ]] \
  || missing "cannot find SDK $sdk_version and runtime $runtime_version under $dotnet_root"
sdk_image="actortrainer-local/dotnet-sdk:$sdk_version"
runtime_image="actortrainer-local/dotnet-runtime:$runtime_version"

suite="${DEBIAN_SUITE:-bookworm}"   # the packages below are bookworm's names (libicu72, libssl3)
cache="${CONTAINER_TEST_CACHE:-/var/cache/actortrainer-container}"
rootfs_tar="$cache/debian-$suite-minbase.tar"

# The Debian mirror apt already uses here (deb822 or one-line format); deb.debian.org if none.
debian_mirror() {
  local m
  m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }')"
  [[ -n "$m" ]] || m="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }')"
  echo "${m:-http://deb.debian.org/debian}"
}

make_rootfs_tar() {
  [[ -s "$rootfs_tar" ]] && return
  [[ $EUID -eq 0 ]] || missing "making the base root filesystem needs root (debootstrap); or import images named $sdk_image and $runtime_image yourself"
  command -v debootstrap >/dev/null || missing "debootstrap is not installed (Debian: apt-get install debootstrap)"
  local mirror dir
  mirror="$(debian_mirror)"
  dir="$(mktemp -d /tmp/actortrainer-rootfs.XXXXXX)"
  phase "debootstrap $suite (minbase) from $mirror"
  # What Microsoft's runtime-deps image adds to Debian: TLS roots, ICU, OpenSSL, zlib, time zones.
  debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,zlib1g,tzdata \
    "$suite" "$dir" "$mirror" >"$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; rm -rf "$dir"; failed "debootstrap failed (log above)"; }
  # Package caches, indexes, docs and translations: not needed to run or build.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/{doc,man,info,locale}/*
  mkdir -p "$cache"
  tar -C "$dir" --numeric-owner -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$dir" "$dir.log"
}

# import_image TAG DOTNET-PARTS...: the cached root filesystem + the listed parts of this machine's .NET
# (less the SDK's F#, global tools and .NET Framework test host: a console app's build needs none).
import_image() {
  local tag="$1"; shift
  local dir
  dir="$(mktemp -d /tmp/actortrainer-image.XXXXXX)"
  tar -C "$dir" -xf "$rootfs_tar"
  mkdir -p "$dir/usr/share/dotnet"
  tar -C "$dotnet_root" -c --exclude="sdk/*/FSharp" --exclude="sdk/*/DotnetTools" --exclude="sdk/*/TestHostNetFramework" \
    dotnet LICENSE.txt ThirdPartyNotices.txt host "$@" | tar -C "$dir/usr/share/dotnet" -x
  ln -s ../share/dotnet/dotnet "$dir/usr/bin/dotnet"
  # This machine reaches NuGet through whatever TLS roots it trusts (e.g. an intercepting proxy's CA):
  # the image trusts the same ones, and checks revocation as this machine is told to.
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  tar -C "$dir" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV DOTNET_RUNNING_IN_CONTAINER=true DOTNET_NOLOGO=true DOTNET_CLI_TELEMETRY_OPTOUT=true NUGET_XMLDOC_MODE=skip' \
    ${NUGET_CERT_REVOCATION_MODE:+--change "ENV NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE"} \
    --change 'CMD ["bash"]' - "$tag" >/dev/null
  rm -rf "$dir"
}

if ! docker image inspect "$sdk_image" >/dev/null 2>&1 || ! docker image inspect "$runtime_image" >/dev/null 2>&1; then
  make_rootfs_tar
  phase "importing $sdk_image and $runtime_image"
  # The SDK builds a console app: no ASP.NET Core, no templates.
  import_image "$sdk_image" sdk/"$sdk_version" sdk-manifests shared/Microsoft.NETCore.App/"$runtime_version" \
    packs/Microsoft.NETCore.App.Ref packs/Microsoft.NETCore.App.Host.linux-x64 $(cd "$dotnet_root" && ls -d metadata 2>/dev/null)
  import_image "$runtime_image" shared/Microsoft.NETCore.App/"$runtime_version"
fi

# 3. The image, from deploy/Dockerfile with the local bases (the build stage restores from NuGet).
phase "docker build -f deploy/Dockerfile"
docker build --force-rm -f "$root/deploy/Dockerfile" --build-arg SDK_IMAGE="$sdk_image" --build-arg RUNTIME_IMAGE="$runtime_image" \
  -t actortrainer:latest "$root" >&2 || failed "docker build failed (output above)"

# 4. The compose file as committed, with a small run and the runs volume pointed at $runs.
runs="${runs:-$(mktemp -d /tmp/actortrainer-compose-runs.XXXXXX)}"
mkdir -p "$runs"
runs="$(cd "$runs" && pwd)"
override="$(mktemp /tmp/actortrainer-compose-override.XXXXXX.yml)"
project="actortrainer-test-$$"
small="{ ACTORTRAINER_UPDATES: \"$updates\", ACTORTRAINER_HIDDEN: \"$hidden\" }"
cat >"$override" <<EOF
services:
  ps:      { environment: $small, volumes: ["$runs:/data/runs"] }
  worker1: { environment: $small }
  worker2: { environment: $small }
EOF
dc() { "${compose[@]}" -p "$project" -f "$root/deploy/docker-compose.yml" -f "$override" "$@"; }
cleanup() { dc down --remove-orphans >/dev/null 2>&1 || true; rm -f "$override"; }
trap cleanup EXIT

phase "compose up: 1 ps + 2 workers, $updates updates, hidden $hidden, runs in $runs"
dc up --no-build -d >&2 || failed "docker compose up failed (output above)"
ids=()
for service in ps worker1 worker2; do ids+=("$(dc ps -q "$service")"); done
# Bounded: a hung run fails the test instead of waiting for CI's limit.
timeout "${CONTAINER_TEST_TIMEOUT:-900}" docker wait "${ids[@]}" >/dev/null \
  || { dc logs --no-color >&2 || true; failed "the containers did not all exit within ${CONTAINER_TEST_TIMEOUT:-900}s"; }
dc logs --no-color >"$runs/compose.log" 2>&1 || true

status=0
for i in 0 1 2; do
  service=(ps worker1 worker2); code="$(docker inspect -f '{{.State.ExitCode}}' "${ids[$i]}")"
  echo "${service[$i]} exited $code"
  [[ "$code" == 0 ]] || status=1
done
[[ $status == 0 ]] || { cat "$runs/compose.log" >&2; failed "a container exited non-zero (logs above, and in $runs/compose.log)"; }

# 5. The ps wrote one run directory to the volume, with the model and the server's counters.
mapfile -t dirs < <(find "$runs" -mindepth 1 -maxdepth 1 -type d)
[[ ${#dirs[@]} == 1 ]] || failed "expected one run directory in $runs, found ${#dirs[@]}"
for file in model.safetensors server.json metrics.csv; do
  [[ -s "${dirs[0]}/$file" ]] || failed "$file is missing from the run directory ${dirs[0]}"
done
echo "run directory: ${dirs[0]}"
phase "passed"
