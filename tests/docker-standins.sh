#!/usr/bin/env bash
# Makes local stand-ins for the two official .NET images that deploy/Dockerfile starts FROM, so that the shipped
# Dockerfile builds unchanged on a machine that reaches no container registry:
#   uw-standin/debian:bookworm          a Debian 12 minbase root file system (debootstrap), imported
#   mcr.microsoft.com/dotnet/aspnet:10.0  + this machine's .NET runtime, the "app" user (uid 1654), ENV APP_UID
#   mcr.microsoft.com/dotnet/sdk:10.0     + this machine's whole .NET SDK, its CA bundle and its NuGet revocation mode
# An image whose tag exists and was made from the same .NET SDK by the same recipe (a label) is kept: only a fresh
# machine pays (about 1.5-3 min, debootstrap most of it). Needs root (debootstrap) and a Docker daemon. Run by test.sh
# and by the Docker image tests (tests/UptimeWatch.IntegrationTests/Docker/UptimeWatchImage.cs); see docs/development.md.
set -euo pipefail

export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"   # Debian's Docker 20.10

base=uw-standin/debian:bookworm
runtime=mcr.microsoft.com/dotnet/aspnet:10.0
sdk=mcr.microsoft.com/dotnet/sdk:10.0
label=org.uptimewatch.standin   # which .NET SDK and which recipe an image was made from

say() { printf '==> standin images: %s\n' "$*" >&2; }
die() { printf 'standin images: %s\n' "$*" >&2; exit 1; }

for tool in docker debootstrap dotnet tar flock; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (test.sh installs docker.io and debootstrap)"
done

dotnet_dir="$(dirname "$(readlink -f "$(command -v dotnet)")")"
dotnet_version="$(dotnet --version)"
recipe=2                               # raise when the images below change: images of an older recipe are rebuilt
made_from="$dotnet_version recipe $recipe"

# Two runs at once (a developer's test run beside test.sh) would both build: the second waits for the first.
exec 9>"/tmp/uptimewatch-standin-images.lock"
flock 9

current() { # current TAG: the image exists and was made from this machine's .NET SDK by this recipe
    [ "$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$1" 2>/dev/null)" = "$made_from" ]
}

if current "$runtime" && current "$sdk"; then
    exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/uw-standins.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- the Debian root file system ---------------------------------------------------------------------------
if ! docker image inspect "$base" >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "debootstrap needs root: run as root (or run test.sh as root) once to make $base"
    # The mirror apt already uses on this machine: the only Debian archive it may reach.
    mirror="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1 || true)"
    if [ -z "$mirror" ]; then
        mirror="$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\)[[:space:]]\+bookworm[[:space:]].*/\2/p' \
            /etc/apt/sources.list 2>/dev/null | head -n 1 || true)"
    fi
    mirror="${mirror:-http://deb.debian.org/debian}"
    say "debootstrap bookworm (minbase) from $mirror"
    # The packages the official aspnet image adds to Debian for .NET: ICU, OpenSSL, time zones, CA certificates.
    debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,tzdata \
        bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    say "importing it as $base"
    tar -C "$work/rootfs" -c . | docker import --change 'CMD ["bash"]' - "$base" >/dev/null
    rm -rf "$work/rootfs"
fi

# --- the .NET images -----------------------------------------------------------------------------------------
# Build contexts are hard links into the .NET folder where the file system allows (the SDK is over 600 MB), copies
# otherwise.
context() { # context NAME PART...: a folder holding the named parts of the .NET folder (those present) under dotnet/
    local dir="$work/$1" part
    shift
    mkdir -p "$dir/dotnet"
    for part in "$@"; do
        [ -e "$dotnet_dir/$part" ] || continue
        cp -al "$dotnet_dir/$part" "$dir/dotnet/" 2>/dev/null || cp -a "$dotnet_dir/$part" "$dir/dotnet/"
    done
    printf '%s\n' "$dir"
}
build() { # build TAG CONTEXT: the Dockerfile is read from stdin
    local old
    old="$(docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true)"
    say "building $1 from $dotnet_dir (.NET SDK $dotnet_version)"
    # The legacy builder (Debian's docker.io has no buildx): it takes FROM images from the local store. Its output,
    # a deprecation notice included, is shown only when the build fails.
    DOCKER_BUILDKIT=0 docker build --quiet --label "$label=$made_from" -t "$1" -f - "$2" >"$work/build.log" 2>&1 \
        || { cat "$work/build.log" >&2; die "building $1 failed (output above)"; }
    # The image this one replaces, unless something still uses it (the old SDK image still uses the old runtime one
    # until it is replaced too, and removing it then takes its untagged parents with it).
    if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$1")" ]; then
        docker rmi "$old" >/dev/null 2>&1 || true
    fi
}

# Like the official image: the runtime in /usr/share/dotnet, the unprivileged "app" user with uid and gid 1654
# (APP_UID, which deploy/Dockerfile uses), and ASP.NET Core's default port setting.
ctx="$(context runtime dotnet host shared LICENSE.txt ThirdPartyNotices.txt)"
build "$runtime" "$ctx" <<EOF
FROM $base
COPY dotnet/ /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \\
    && groupadd --gid=1654 app \\
    && useradd --uid=1654 --gid=1654 --create-home --shell /bin/false app
ENV APP_UID=1654 \\
    ASPNETCORE_HTTP_PORTS=8080 \\
    DOTNET_RUNNING_IN_CONTAINER=true
CMD ["bash"]
EOF

# The official SDK image is the runtime image plus the SDK. This machine reaches NuGet through a local certificate
# authority, so its CA bundle replaces the image's: without it "dotnet restore" in the build stage fails (UntrustedRoot).
# And as on this machine, NuGet checks package signatures without asking the certificate authorities about
# revocation: their servers are out of reach here, and each lookup waits for its timeout (restore: 2 min 10 s with
# lookups, 17 s without, measured). Signatures are still verified against the trusted roots.
ctx="$(context sdk sdk sdk-manifests packs templates metadata dnx)"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
build "$sdk" "$ctx" <<EOF
FROM $runtime
COPY dotnet/ /usr/share/dotnet/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false \\
    DOTNET_NOLOGO=true \\
    DOTNET_USE_POLLING_FILE_WATCHER=true \\
    NUGET_XMLDOC_MODE=skip \\
    NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-offline}
EOF

say "ready: $runtime and $sdk"
