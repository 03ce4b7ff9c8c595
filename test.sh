#!/usr/bin/env bash
# Runs every test project in the solution, nothing filtered or skipped, and ends with one line:
#   N passed, N failed, N skipped
# Works on a fresh Debian 12 machine as root (installs Docker, docker-compose, debootstrap, busybox, Chromium, nginx,
# Caddy, PostgreSQL 15 and systemd's tools when missing) and in CI
# (CI=true, no stdin). Starts a Docker daemon only if none answers, and stops exactly that one on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

results="$root/TestResults"
logdir="$results/logs"
mkdir -p "$results" "$logdir"

say() { printf '==> %s\n' "$*" >&2; }

# --- 1. What the tests need from the system -------------------------------------------------------------
need_docker=0 need_busybox=0 need_chromium=0 deploy_tools=()
command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 || need_docker=1
[ -x /bin/busybox ] || need_busybox=1
[ -x /usr/bin/chromium ] || need_chromium=1
# The deploy/ tests run the shipped nginx.conf and Caddyfile in the real servers, and systemd-analyze on the unit.
[ -x /usr/sbin/nginx ] || deploy_tools+=(nginx)
[ -x /usr/bin/caddy ] || deploy_tools+=(caddy)
[ -x /usr/bin/systemd-analyze ] || deploy_tools+=(systemd)
# The shipped Dockerfile is built on stand-in .NET images made from a Debian root file system (tests/docker-standins.sh),
# and deploy/docker-compose.yml is checked by Debian's compose tool.
[ -x /usr/sbin/debootstrap ] || deploy_tools+=(debootstrap)
[ -x /usr/bin/docker-compose ] || deploy_tools+=(docker-compose)
# Storage:Provider = PostgreSQL is tested on a throwaway PostgreSQL 15 server (tests/Shared/PostgresServer.cs).
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || deploy_tools+=(postgresql-15)

if [ $((need_docker + need_busybox + need_chromium + ${#deploy_tools[@]})) -gt 0 ]; then
    base=()
    if [ "$need_docker" = 1 ]; then base+=(docker.io); fi
    if [ "$need_busybox" = 1 ]; then base+=(busybox-static); fi
    base+=("${deploy_tools[@]}")
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing test dependencies, and not running as root to install them. As root, run:" >&2
        echo "  apt-get update" >&2
        if [ "${#base[@]}" -gt 0 ]; then echo "  DEBIAN_FRONTEND=noninteractive apt-get install -y ${base[*]}" >&2; fi
        if [ "$need_chromium" = 1 ]; then echo "  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium" >&2; fi
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    say "installing what the tests need"
    apt-get update </dev/null
    # Debian starts nginx and Caddy as soon as they are installed, both on port 80: the second one would fail its
    # install. The tests start their own on free ports, so service starts are held off during this install only.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    install_status=0
    if [ "${#base[@]}" -gt 0 ]; then
        apt-get install -y "${base[@]}" </dev/null || install_status=$?
    fi
    if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
    if [ "$install_status" -ne 0 ]; then exit "$install_status"; fi
    if [ "$need_chromium" = 1 ]; then
        apt-get install -y --no-install-recommends chromium </dev/null
    fi
fi

# --- 2. Environment for the tests ----------------------------------------------------------------------
export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"                      # Docker 20.10 speaks 1.41
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"  # the reaper image cannot be pulled
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
rm -rf "$results"/tmp/run-*                                                  # temp folders of earlier runs
export TMPDIR="$results/tmp/run-$$"
mkdir -p "$TMPDIR"

# --- 3. A Docker daemon: use a running one, or start one and stop it on exit ---------------------------
dockerd_pid=""
stop_dockerd() {
    if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
        say "stopping the Docker daemon this script started (pid $dockerd_pid)"
        kill -TERM "$dockerd_pid" 2>/dev/null || true
        for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$dockerd_pid" 2>/dev/null; then
            kill -KILL "$dockerd_pid" 2>/dev/null || true
        fi
        wait "$dockerd_pid" 2>/dev/null || true
    fi
    dockerd_pid=""
}
trap stop_dockerd EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if docker info >/dev/null 2>&1; then
    say "using the Docker daemon that is already running"
else
    if [ "$(id -u)" -ne 0 ]; then
        echo "No Docker daemon answers and only root can start one: run as root, or start it with" >&2
        echo "  dockerd --bridge=none --iptables=false" >&2
        exit 1
    fi
    say "starting a Docker daemon (log: $logdir/dockerd.log)"
    dockerd --bridge=none --iptables=false >"$logdir/dockerd.log" 2>&1 </dev/null &
    dockerd_pid=$!
    deadline=$((SECONDS + 30))
    until docker info >/dev/null 2>&1; do
        if ! kill -0 "$dockerd_pid" 2>/dev/null; then
            dockerd_pid=""
            echo "dockerd exited while starting; last lines of $logdir/dockerd.log:" >&2
            tail -n 20 "$logdir/dockerd.log" >&2 || true
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "dockerd did not answer within 30 s; last lines of $logdir/dockerd.log:" >&2
            tail -n 20 "$logdir/dockerd.log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    say "Docker daemon is up (pid $dockerd_pid)"
fi

# --- 4. Stand-in base images for deploy/Dockerfile ------------------------------------------------------
# Made while the solution compiles (debootstrap about 1 min, then the .NET images); kept between runs, so only a fresh
# machine pays. The image tests run the same script, which waits for this one (a lock) and then finds the images made.
say "making the stand-in .NET images for deploy/Dockerfile in the background (log: $logdir/standin-images.log)"
bash "$root/tests/docker-standins.sh" >"$logdir/standin-images.log" 2>&1 </dev/null &
standins_pid=$!

# --- 5. The tests ----------------------------------------------------------------------------------------
find "$results" \( -name '*.trx' -o -name 'Sequence_*.xml' -o -name '*_hangdump.dmp' \) -type f -delete

# A hang is named and dumped instead of holding the run until CI's limit: when no test of an assembly starts or ends for
# this long, VSTest's blame collector writes a mini dump of the test host (about 40 MB, beside the .trx) and the
# Sequence_*.xml that names the tests still running, then ends that host. The longest quiet stretch of a healthy run
# is the fixture that builds deploy/Dockerfile (about 2.5 min on a quiet machine), so the bound leaves it room on a
# loaded one.
hang_timeout="${UPTIMEWATCH_TEST_HANG_TIMEOUT:-8min}"

# Five runs in three lanes, side by side, each run in its own test host and logging to its own file (the failures of
# all are printed below). The in-process suite runs twice: on SQLite (the default) and on a throwaway PostgreSQL
# (UW_TEST_PROVIDER=PostgreSQL, tests/Shared/TestStorage.cs), so every provider-independent test holds on both. The
# cluster tests (several real nodes on PostgreSQL) run once; so do the tests of the SQLite file itself and of the real
# binary run as a process (trait Storage=SqliteFile), and the classes that store nothing (Storage=None). Lanes side by
# side measured faster end to end on 2 cores than one after the other (docs/development.md, "The test suite's runs");
# the runs are paired so the two long lanes take about as long: the in-process suite on SQLite then on PostgreSQL, the
# cluster tests then the Docker and browser tests (by then the stand-in images are made).
#   run NAME PROJECT FILTER [VAR=VALUE...]: one dotnet test run; its log is $logdir/NAME.log, its .trx starts with NAME
run() {
    local name=$1 project=$2 filter=$3
    shift 3
    local args=(--no-build
        --logger "trx;LogFilePrefix=$name"
        --logger "console;verbosity=normal"
        --blame-hang-timeout "$hang_timeout"
        --blame-hang-dump-type mini
        --results-directory "$results")
    if [ -n "$filter" ]; then args+=(--filter "$filter"); fi
    say "testing $name (log: $logdir/$name.log)"
    env "$@" dotnet test "$project" "${args[@]}" </dev/null >"$logdir/$name.log" 2>&1
}
# The tests start hundreds of short-lived hosts and processes: the JIT's profile-guided tiering instruments code that is
# never run long enough to profit from it. Off for the test runs (and the processes they start) only; it measured 36 %
# less CPU on the in-process suite (docs/development.md, "The test suite's runs"). UptimeWatch itself runs with the
# default. (The binaries the tests start also run without call counting: tests/Shared/HostProcess.cs.)
export DOTNET_TieredPGO=0
runs=(UptimeWatch.Tests IntegrationTests IntegrationTests.Cluster UptimeWatch.Tests.PostgreSQL IntegrationTests.Agents)
test_status=0
dotnet build UptimeWatch.sln </dev/null || test_status=$?
# The binary the tests start as a process (cluster nodes, agents, kill -9, migrate-data, ...) is published as a release
# is: Release, precompiled with ReadyToRun (tests/Shared/HostProcess.cs takes it from UW_TEST_HOST_DLL). Each of the
# ~140 starts of a run then costs about half the CPU of the Debug build's (docs/development.md, "Where a run's CPU
# goes"); the in-process tests use the solution's build above. Published after the build rather than beside it: on 2
# cores the two only share the CPU (measured: the tests started 6 s sooner and the binary was ready 36 s later).
if [ "$test_status" -eq 0 ]; then
    rm -rf "$results/app"
    say "publishing the binary the tests start (Release, ReadyToRun; log: $logdir/publish.log)"
    dotnet publish src/UptimeWatch/UptimeWatch.csproj -c Release -r linux-x64 --self-contained false \
        -p:PublishReadyToRun=true -o "$results/app" </dev/null >"$logdir/publish.log" 2>&1 || {
        echo "publishing the binary for the tests failed; last lines of $logdir/publish.log:" >&2
        tail -n 20 "$logdir/publish.log" >&2
        test_status=1
    }
    export UW_TEST_HOST_DLL="$results/app/UptimeWatch.dll"
fi
if [ "$test_status" -eq 0 ]; then
    # Each lane goes on after a failed run: every run reports.
    ( s=0
      run UptimeWatch.Tests tests/UptimeWatch.Tests "" UW_TEST_PROVIDER=Sqlite || s=$?
      run UptimeWatch.Tests.PostgreSQL tests/UptimeWatch.Tests "Storage!=SqliteFile&Storage!=None" UW_TEST_PROVIDER=PostgreSQL || s=$?
      exit "$s" ) &
    lane1=$!
    ( s=0
      run IntegrationTests.Cluster tests/UptimeWatch.IntegrationTests "FullyQualifiedName~.Cluster." || s=$?
      run IntegrationTests tests/UptimeWatch.IntegrationTests "FullyQualifiedName!~.Cluster.&FullyQualifiedName!~.Agents." || s=$?
      exit "$s" ) &
    lane2=$!
    # The agent tests mostly wait (a server stopped for 60 s, agents reconnecting): a short third lane beside the others
    # instead of 2 min in which the Docker and browser tests, which run one collection at a time after them, waited.
    ( run IntegrationTests.Agents tests/UptimeWatch.IntegrationTests "FullyQualifiedName~.Agents." ) &
    lane3=$!
    for lane in "$lane1" "$lane2" "$lane3"; do
        lane_status=0
        wait "$lane" || lane_status=$?
        if [ "$lane_status" -ne 0 ]; then test_status=$lane_status; fi
    done
    for name in "${runs[@]}"; do
        log="$logdir/$name.log"
        [ -f "$log" ] || { echo "$name: did not run (no $log)" >&2; test_status=1; continue; }
        # What failed, with its message, then the run's summary line.
        grep -E -A 12 '^[[:space:]]+Failed [A-Za-z]' "$log" >&2 || true
        printf '%s: ' "$name" >&2
        grep -E '^(Passed|Failed)!' "$log" >&2 || { echo >&2; tail -n 20 "$log" >&2; }
    done
fi

standins_status=0
wait "$standins_pid" || standins_status=$?
if [ "$standins_status" -ne 0 ]; then
    echo "tests/docker-standins.sh failed (exit $standins_status); last lines of $logdir/standin-images.log:" >&2
    tail -n 20 "$logdir/standin-images.log" >&2 || true
fi

# --- 6. The count ----------------------------------------------------------------------------------------
shopt -s nullglob
trx_files=("$results"/*.trx)
shopt -u nullglob

counter() { # counter NAME FILE: the NAME="N" attribute of the <Counters> element, 0 when absent
    grep -o '<Counters [^>]*>' "$2" | head -n 1 | sed -n "s/.* $1=\"\([0-9][0-9]*\)\".*/\1/p" | grep . || echo 0
}

passed=0 failed=0 skipped=0
for trx in "${trx_files[@]}"; do
    passed=$((passed + $(counter passed "$trx")))
    # Errors, timeouts and aborted tests are failures too.
    failed=$((failed + $(counter failed "$trx") + $(counter error "$trx") + $(counter timeout "$trx") + $(counter aborted "$trx")))
    skipped=$((skipped + $(counter notExecuted "$trx")))
done

# A test host ended by the hang bound leaves no result for the tests it was running: the .trx counts none of them.
# The blame collector's Sequence_*.xml names them (Completed="False"); each is a failure.
hung=()
while IFS= read -r name; do
    hung+=("$name")
done < <(find "$results" -name 'Sequence_*.xml' -type f -exec grep -ho '<Test Name="[^"]*"[^>]*Completed="False"' {} + 2>/dev/null \
    | sed 's/<Test Name="\([^"]*\)".*/\1/' | sort -u)
if [ "${#hung[@]}" -gt 0 ]; then
    echo "hung (no test started or ended for $hang_timeout; dump and Sequence_*.xml under $results):" >&2
    printf '  %s\n' "${hung[@]}" >&2
    failed=$((failed + ${#hung[@]}))
fi

stop_dockerd

status=0
if [ "${#trx_files[@]}" -eq 0 ]; then
    echo "no test results (.trx) were written to $results" >&2
    status=1
fi
if [ "$test_status" -ne 0 ]; then status=$test_status; fi
if [ "$standins_status" -ne 0 ] && [ "$status" -eq 0 ]; then status=1; fi
if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then status=1; fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
