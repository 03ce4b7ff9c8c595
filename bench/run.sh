#!/usr/bin/env bash
# Runs one benchmark scenario with the limits it needs, e.g.
#   bench/run.sh probe --monitors 10000 --interval 30 --duration 120
#   bench/run.sh live --sse 10000 --polls 1000
# Builds UptimeWatch and the bench in Release first (set NO_BUILD=1 to skip). Output also goes to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."

# 10,000 SSE clients are 10,000 sockets in the bench and 10,000 in UptimeWatch: raise the descriptor limit
# (as far as the hard limit allows; root may raise the hard limit too).
ulimit -Hn 200000 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 2>/dev/null || true
# A fresh connection per check at 333/s leaves many sockets in TIME_WAIT: widen the ephemeral port range and let
# loopback reuse TIME_WAIT ports (tcp_tw_reuse=2, the default, already does so for loopback). Needs root; when it is
# not permitted (a container), the defaults stay and the run reports connection errors if ports run out.
# The machine is shared: the previous range is put back when this script ends.
old_range=$(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' ' ')
if sysctl -q -w net.ipv4.ip_local_port_range="1024 65000" 2>/dev/null; then
  trap 'sysctl -q -w net.ipv4.ip_local_port_range="$old_range" 2>/dev/null || true' EXIT
else
  echo "[run.sh] could not widen the ephemeral port range (not permitted); keeping $old_range"
fi
echo "[run.sh] ulimit -n $(ulimit -n); ports $(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' ' '); tcp_tw_reuse $(cat /proc/sys/net/ipv4/tcp_tw_reuse); load $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${NO_BUILD:-}" != 1 ]]; then
  dotnet build -c Release src/UptimeWatch -v q -nologo >/dev/null
  dotnet build -c Release bench/UptimeWatch.Bench -v q -nologo >/dev/null
fi
mkdir -p bench/results
out="bench/results/$1-$(date -u +%Y%m%d-%H%M%S).md"
dotnet bench/UptimeWatch.Bench/bin/Release/net10.0/UptimeWatch.Bench.dll "$@" 2>&1 | tee "$out"
