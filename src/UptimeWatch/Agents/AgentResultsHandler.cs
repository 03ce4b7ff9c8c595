using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Scheduling;
using UptimeWatch.Storage;

namespace UptimeWatch.Agents;

/// <summary>
/// What an agent may check, and what becomes of the checks it reports (docs/agent-protocol.md): each is refused (with
/// the field, the value and why), a duplicate of a slot its location already has, or stored through the Journal on its
/// own slot and location, and judged with the monitor's other locations (docs/locations.md). The answer is given once they are
/// committed.
/// </summary>
internal sealed class AgentResultsHandler(MonitorRegistry registry, JournalWriter writer, ClusterTurns turns,
    IDbContextFactory<UptimeWatchDbContext> dbFactory, IOptions<UptimeWatchOptions> options, TimeProvider time)
{
    /// <summary>How long after its slot a check may start: an agent's scheduler may run late, never by more than this or an interval.</summary>
    private static readonly TimeSpan MinLateness = TimeSpan.FromSeconds(60);

    private const int MaxElapsedMs = 3_600_000;
    private const int MaxCertificateDays = 36_500;

    /// <summary>
    /// The monitors of <paramref name="location"/>: active, not paused, naming the location in <c>Locations</c> (or
    /// <c>all</c>), push monitors excepted (their heartbeats come to the server). Ordered by id.
    /// </summary>
    public IReadOnlyList<AgentMonitor> Assigned(string location) =>
        [.. registry.Active.Where(m => IsAssigned(m, location)).OrderBy(m => m.Id)
            .Select(m => new AgentMonitor(m.Id, m.Definition.Slug, m.Definition.Fields))];

    private static bool IsAssigned(MonitorRuntime monitor, string location) =>
        monitor.Definition.Type != MonitorType.Push && monitor.State.Status != MonitorStatus.Paused
        && monitor.Definition.Locations.IncludesAgent(location);

    public async Task<AgentAck> HandleAsync(AgentSession session, AgentResults message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var checks = message.Checks ?? [];
        var refused = new List<AgentRefusal>();
        var accepted = new List<(MonitorRuntime Monitor, AgentCheck Check)>();
        for (var i = 0; i < checks.Count; i++)
        {
            var check = checks[i] with { Slot = checks[i].Slot.ToUniversalTime(), At = checks[i].At.ToUniversalTime() };
            if (Refusal(i, check, session.Location, now, out var monitor) is { } refusal)
            {
                refused.Add(refusal);
            }
            else
            {
                accepted.Add((monitor!, check));
            }
        }

        // A slot is stored once per location: one already stored, or repeated in this message, is a duplicate. (Two
        // agents of one location racing on a slot: the writer's own look at stored slots keeps the second out.)
        var taken = await StoredSlotsAsync(session.LocationId, accepted, cancellationToken);
        var fresh = accepted.Where(a => taken.Add((a.Monitor.Id, a.Check.Slot))).ToList();
        var waits = new List<Task<Committed>>();
        foreach (var checksOf in fresh.GroupBy(f => f.Monitor, f => f.Check))
        {
            var monitor = checksOf.Key;
            // In the monitor's turn, as the server's own checks: each location's checks are judged, and reach the writer,
            // in the order they were made. On a cluster, in its cluster turn too, with the votes every node stored, and
            // committed before the turn ends.
            using var turn = await monitor.EnterAsync(cancellationToken);
            await using var clusterTurn = await turns.EnterAsync(monitor, cancellationToken);
            var mine = new List<Task<Committed>>();
            foreach (var check in checksOf)
            {
                var result = new ProbeResult(check.Verdict, check.ElapsedMs, check.HttpStatus, check.Failure, check.Error)
                {
                    Timings = check.Timings,
                    CertificateDaysLeft = check.CertificateDaysLeft,
                };
                var judgement = monitor.RecordAt(session.Location, session.LocationId, result, check.At, check.Slot, time.GetUtcNow(), held: check.CutOff);
                mine.Add(await writer.AppendAwaitedAsync(CheckWrite.From(judgement), cancellationToken));
            }
            if (clusterTurn is not null)
            {
                await Task.WhenAll(mine).WaitAsync(cancellationToken);
            }
            waits.AddRange(mine);
        }
        await Task.WhenAll(waits).WaitAsync(cancellationToken);
        return new AgentAck(message.Seq, fresh.Count, accepted.Count - fresh.Count, refused);
    }

    private AgentRefusal? Refusal(int index, AgentCheck check, string location, DateTimeOffset now, out MonitorRuntime? monitor)
    {
        var field = $"checks[{index.ToString(CultureInfo.InvariantCulture)}]";
        AgentRefusal Refuse(string name, string value, string error) => new(index, $"{field}.{name}", value, error);

        if (!registry.TryGet(check.Monitor, out monitor) || !IsAssigned(monitor, location))
        {
            return Refuse("monitor", Invariant(check.Monitor), $"is not a monitor assigned to {location}");
        }
        var definition = monitor.Definition;
        var interval = TimeSpan.FromSeconds(definition.IntervalSeconds);
        var slot = check.Slot;
        if (Partitions.SlotAtOrAfter(monitor.Id, interval, slot) != slot)
        {
            var near = Partitions.SlotAtOrAfter(monitor.Id, interval, slot);
            return Refuse("slot", Time(slot), $"is not a slot of {definition.Slug}'s schedule (every {Invariant(definition.IntervalSeconds)} s, e.g. {Time(near)})");
        }
        if (slot > now + AgentProtocol.ClockSkew)
        {
            return Refuse("slot", Time(slot), $"is ahead of the server's clock ({Time(now)}) by more than {Invariant((int)AgentProtocol.ClockSkew.TotalSeconds)} s");
        }
        var retentionDays = options.Value.Retention.RawDays;
        if (slot < now.AddDays(-retentionDays))
        {
            return Refuse("slot", Time(slot), $"is older than the check retention ({Invariant(retentionDays)} days)");
        }
        var lateness = interval > MinLateness ? interval : MinLateness;
        if (check.At < slot - AgentProtocol.ClockSkew || check.At > slot + lateness)
        {
            return Refuse("at", Time(check.At), $"must be from {Invariant((int)AgentProtocol.ClockSkew.TotalSeconds)} s before its slot to {Invariant((int)lateness.TotalSeconds)} s after it");
        }
        if (check.ElapsedMs is < 0 or > MaxElapsedMs)
        {
            return Refuse("elapsedMs", Invariant(check.ElapsedMs), $"must be from 0 to {Invariant(MaxElapsedMs)}");
        }
        if (check.HttpStatus is < 100 or > 599)
        {
            return Refuse("httpStatus", Invariant(check.HttpStatus.Value), "must be an HTTP status from 100 to 599");
        }
        if (check.CertificateDaysLeft is < -MaxCertificateDays or > MaxCertificateDays)
        {
            return Refuse("certificateDaysLeft", Invariant(check.CertificateDaysLeft.Value), $"must be from -{Invariant(MaxCertificateDays)} to {Invariant(MaxCertificateDays)}");
        }
        if (check.Timings is { } t && new[] { t.DnsMs, t.ConnectMs, t.TlsMs, t.FirstByteMs }.Any(ms => ms is < 0 or > MaxElapsedMs))
        {
            return Refuse("timings", $"{t.DnsMs}/{t.ConnectMs}/{t.TlsMs}/{t.FirstByteMs}", $"must each be from 0 to {Invariant(MaxElapsedMs)} ms");
        }
        return null;
    }

    private async Task<HashSet<(int, DateTimeOffset)>> StoredSlotsAsync(int locationId, List<(MonitorRuntime Monitor, AgentCheck Check)> accepted,
        CancellationToken cancellationToken)
    {
        if (accepted.Count == 0)
        {
            return [];
        }
        var ids = accepted.Select(a => a.Monitor.Id).Distinct().ToList();
        DateTimeOffset? from = accepted.Min(a => a.Check.Slot), to = accepted.Max(a => a.Check.Slot);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.CheckResults.AsNoTracking()
            .Where(c => c.LocationId == locationId && ids.Contains(c.MonitorId) && c.Slot >= from && c.Slot <= to)
            .Select(c => new { c.MonitorId, c.Slot })
            .ToListAsync(cancellationToken);
        return [.. stored.Select(s => (s.MonitorId, s.Slot!.Value))];
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
}
