using Npgsql;
using static UptimeWatch.Bench.Harness;

namespace UptimeWatch.Bench;

/// <summary>
/// Live fan-out across a cluster (issue 17: "commit → viewer on another node p99 ≤ 500 ms on loopback"): N nodes on one
/// PostgreSQL database, SSE and long-poll viewers on one node only (the last, by default), status changes caused by
/// making target paths fail and recover as in <see cref="LiveScenario"/>. Each event is attributed to the node that
/// found it (the <c>Node</c> of the check stored with it: same monitor, same <c>At</c>), and the latency to the viewers
/// is reported separately for events found by another node. Latency runs from the event's commit when PostgreSQL
/// records commit times (<c>track_commit_timestamp = on</c>: <c>bench/postgres.sh start DIR PORT -c track_commit_timestamp=on</c>),
/// otherwise from the event's <c>at</c> (the start of the check, an upper bound). The database must exist and be empty.
/// </summary>
internal static class ClusterLiveScenario
{
    private sealed record StoredEvent(long Id, DateTimeOffset At, string? Node, DateTimeOffset? Committed);

    private sealed record Delivery(string Transport, string? Node, double FromAt, double? FromCommit);

    public static async Task<int> RunAsync(Args args, CancellationToken cancellationToken)
    {
        if (ClusterScenario.Database(args, "cluster-live") is not { } pg)
        {
            return 2;
        }
        var nodes = args.Int("nodes", 2);
        var viewerNode = args.Int("viewers-node", nodes);
        var sseCount = args.Int("sse", 2_000);
        var pollCount = args.Int("polls", 200);
        var monitors = args.Int("monitors", 10);
        var interval = args.Int("interval", 5);
        var flips = args.Int("flips", 10);
        await using var h = Harness.Create("cluster-live", args);

        var (config, targetPort) = await LiveScenario.StartTargetAsync(h, monitors, interval, cancellationToken);
        var started = await ClusterScenario.StartNodesAsync(h, config, pg, nodes, cancellationToken);
        var viewer = $"node-{viewerNode}";
        var baseUrl = $"http://127.0.0.1:{started[viewerNode - 1].Port}";
        await LiveClients.WaitAllUpAsync(h.Http, baseUrl, interval, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        var load = LoadAverage();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var client = LiveClients.CreateHttpClient();
        var (sse, sseTasks) = await LiveClients.ConnectSseAsync(client, $"{baseUrl}/api/live/events", sseCount, stop.Token, cancellationToken);
        var sseConnected = sse.Count(c => c.Connected);
        Console.WriteLine($"[bench] {sseConnected:N0} of {sseCount:N0} SSE clients connected to {viewer}");
        var cursor0 = await LiveClients.CursorAsync(h.Http, baseUrl, cancellationToken);
        var (polls, pollTasks) = LiveClients.StartPolls(client, baseUrl, cursor0, pollCount, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);

        var nodeCpu0 = started.Select(n => ProcStat.CpuSeconds(n.Process.Pid)).ToArray();
        var clientCpu0 = ProcStat.CpuSeconds(Environment.ProcessId);
        var t0 = DateTimeOffset.UtcNow;
        await LiveClients.FlipAsync(h.Http, targetPort, flips, monitors, interval, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var wall = (DateTimeOffset.UtcNow - t0).TotalSeconds;
        var nodeCpu = started.Select((n, i) => ProcStat.CpuSeconds(n.Process.Pid) - nodeCpu0[i]).ToArray();
        var clientCpu = ProcStat.CpuSeconds(Environment.ProcessId) - clientCpu0;

        var expected = await LiveClients.EventIdsAfterAsync(h.Http, baseUrl, cursor0, cancellationToken);
        await stop.CancelAsync();
        await Task.WhenAll(sseTasks.Concat(pollTasks)).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        var (stored, commitTimes) = await StoredEventsAsync(pg, cursor0, cancellationToken);
        foreach (var (process, _) in started)
        {
            await process.StopAsync(TimeSpan.FromSeconds(30));
        }

        var deliveries = new List<Delivery>();
        foreach (var (transport, clients) in new[] { ("SSE", sse), ("long-poll", polls) })
        {
            foreach (var c in clients)
            {
                for (var i = 0; i < c.Ids.Count; i++)
                {
                    if (stored.TryGetValue(c.Ids[i], out var e))
                    {
                        deliveries.Add(new Delivery(transport, e.Node, (c.ReceivedAt[i] - e.At).TotalMilliseconds,
                            e.Committed is { } committed ? (c.ReceivedAt[i] - committed).TotalMilliseconds : null));
                    }
                }
            }
        }
        var fromCommit = commitTimes && expected.All(id => stored.TryGetValue(id, out var e) && e.Committed is not null);
        var basis = fromCommit ? "commit → receipt" : "event at → receipt";

        var table = new Table($"Cluster live fan-out: {nodes} nodes + PostgreSQL, {sseCount:N0} SSE + {pollCount:N0} long-poll clients on {viewer}, " +
            $"{monitors} monitors every {interval} s, {flips} status changes");
        table.Add("Load average before connecting", load);
        table.Add("SSE clients connected", $"{sseConnected:N0} / {sseCount:N0}" + LiveClients.Errors(sse), $"{sseCount:N0}", sseConnected == sseCount);
        table.Add("Status events expected (from /api/events on the viewers' node)", $"{expected.Count}");
        table.Add("Found by (Node of the check stored with the event)", string.Join(", ", expected
            .GroupBy(id => stored.TryGetValue(id, out var e) ? e.Node ?? "unknown" : "not in the database").OrderBy(g => g.Key)
            .Select(g => $"{g.Key}: {g.Count()} (ids {string.Join(" ", g)})")));
        table.Add("Latency measured from", fromCommit
            ? "the event's commit (pg_xact_commit_timestamp of its row; PostgreSQL and the bench read the same clock)"
            : "the event's at, the start of the check that found it (commit times not recorded: start PostgreSQL with -c track_commit_timestamp=on)");
        var sseOnce = LiveClients.ReportExactlyOnce(table, "SSE", sse, expected);
        var pollOnce = LiveClients.ReportExactlyOnce(table, "long-poll", polls, expected);
        table.Add("Every client received every event exactly once (ids, no gap, no duplicate, in order)", sseOnce && pollOnce ? "yes" : "no", "yes", sseOnce && pollOnce);

        double Latency(Delivery d) => fromCommit ? d.FromCommit ?? double.NaN : d.FromAt;
        void Row(string metric, IEnumerable<Delivery> selected, Func<Delivery, double> latency)
        {
            var list = selected.ToList();
            if (list.Count == 0)
            {
                table.Add(metric, "no such event in this run");
                return;
            }
            LiveClients.ReportLatency(table, metric, list.Select(latency), 500);
        }
        var cross = deliveries.Where(d => d.Node is not null && d.Node != viewer).ToList();
        Row($"Found by another node, seen on {viewer}, SSE + long-poll: {basis} p50 / p99 / max", cross, Latency);
        Row("… SSE only", cross.Where(d => d.Transport == "SSE"), Latency);
        Row("… long-poll only", cross.Where(d => d.Transport == "long-poll"), Latency);
        if (fromCommit)
        {
            Row("… the same deliveries, event at → receipt (as the live scenario)", cross, d => d.FromAt);
        }
        Row($"Found by {viewer} itself, seen on {viewer}: {basis} p50 / p99 / max", deliveries.Where(d => d.Node == viewer), Latency);
        Row($"All events, all clients: {basis} p50 / p99 / max", deliveries, Latency);
        if (fromCommit && expected.Count > 0)
        {
            var toCommit = expected.Select(id => stored[id]).Select(e => (e.Committed!.Value - e.At).TotalMilliseconds).Order().ToList();
            table.Add("Event at → commit, per event (the check, the writer's window, the append)",
                $"{Percentile(toCommit, 50):F0} / {toCommit[^1]:F0} ms (p50 / max of {toCommit.Count})");
        }
        table.Add("Node CPU while delivering", string.Join(", ", nodeCpu.Select((c, i) => $"node-{i + 1} {c / wall * 100:F1} %")) + $" of one core over {wall:F0} s");
        table.Add("Bench process (all clients) CPU meanwhile", $"{clientCpu / wall * 100:F1} % of one core: the clients share the 2 cores, so their own delay is in the latency");
        table.Print();
        return 0;
    }

    /// <summary>The public status events after <paramref name="after"/>: their <c>at</c>, the node that found them and, when recorded, their commit time.</summary>
    private static async Task<(Dictionary<long, StoredEvent> Events, bool CommitTimes)> StoredEventsAsync(string pg, long after, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(pg);
        await connection.OpenAsync(cancellationToken);
        await using var show = new NpgsqlCommand("SHOW track_commit_timestamp", connection);
        var commitTimes = (string?)await show.ExecuteScalarAsync(cancellationToken) == "on";
        // The event and the check that caused it are stored in one write, with the same At (the start of the check).
        await using var command = new NpgsqlCommand($"""
            SELECT e."Id", e."At",
                   (SELECT c."Node" FROM check_results c WHERE c."MonitorId" = e."MonitorId" AND c."At" = e."At" ORDER BY c."Id" LIMIT 1),
                   {(commitTimes ? "pg_xact_commit_timestamp(e.xmin)" : "NULL::timestamptz")}
            FROM status_events e WHERE e."Id" > {after} AND e."Kind" = 0 ORDER BY e."Id"
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new Dictionary<long, StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetInt64(0);
            events[id] = new StoredEvent(id, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
        }
        return (events, commitTimes);
    }
}
