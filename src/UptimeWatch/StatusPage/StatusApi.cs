using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.StatusPage;

/// <summary>The public read API: only public, active monitors. Field names here are a contract.</summary>
internal static class StatusApi
{
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Status");
        api.MapGet("/status", GetStatus).WithName("GetStatus")
            .WithSummary("Overall status and every public monitor's current state.");
        api.MapGet("/monitors/{slug}/checks", GetChecks).WithName("GetChecks")
            .WithSummary("A public monitor's most recent checks, newest first.");
        api.MapGet("/events", GetEvents).WithName("GetEvents")
            .WithSummary("Status changes of public monitors after the cursor, oldest first. The id is the cursor for every live transport.");
        return app;
    }

    private static IQueryable<MonitorEntity> PublicMonitors(UptimeWatchDbContext db) =>
        db.Monitors.AsNoTracking().Where(m => m.IsPublic && m.ArchivedAt == null);

    internal static async Task<Ok<StatusResponse>> GetStatus(UptimeWatchDbContext db, StatusUptimeCache uptimeCache, TimeProvider time,
        CancellationToken cancellationToken)
    {
        // Read before the rows: a change that commits meanwhile makes the next request rebuild the uptime.
        var newestEvent = await db.StatusEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
        var monitors = await PublicMonitors(db)
            .OrderBy(m => m.Group).ThenBy(m => m.Name)
            .Select(m => new { m.Id, m.Slug, m.Name, m.Group, m.Type, m.Status, m.ConsecutiveFailures, m.LastCheckedAt, m.LastResponseMs, m.IsFlapping })
            .ToListAsync(cancellationToken);

        // The heavy part, the 24 h aggregate over raw checks, is shared between requests; the rows above are not.
        var uptime = await uptimeCache.GetAsync([.. monitors.Select(m => m.Id)], newestEvent, time.GetUtcNow(), cancellationToken);

        var items = monitors.Select(m => new MonitorStatusDto(
            m.Slug, m.Name, m.Group, m.Type, StatusWords.Display(m.Status, m.ConsecutiveFailures), m.LastCheckedAt, m.LastResponseMs,
            uptime.GetValueOrDefault(m.Id)) { Flapping = m.IsFlapping }).ToList();
        return TypedResults.Ok(new StatusResponse(Overall(monitors.Select(m => (m.Status, m.IsFlapping))), items));
    }

    internal static async Task<Results<Ok<ChecksResponse>, NotFound<ProblemResponse>, BadRequest<ProblemResponse>>> GetChecks(
        string slug, UptimeWatchDbContext db, IOptions<UptimeWatchOptions> options, CancellationToken cancellationToken, int? limit = null)
    {
        var take = limit ?? 50;
        if (take is < 1 or > MaxLimit)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("limit", limit, $"must be from 1 to {MaxLimit}"));
        }

        var monitorId = await PublicMonitors(db).Where(m => m.Slug == slug).Select(m => (int?)m.Id).FirstOrDefaultAsync(cancellationToken);
        if (monitorId is null)
        {
            return TypedResults.NotFound(new ProblemResponse($"No public monitor \"{slug}\"", null));
        }

        return TypedResults.Ok(new ChecksResponse(
            await RecentChecksAsync(db, monitorId.Value, take, fullText: options.Value.StatusPage.ShowErrorDetails, cancellationToken)));
    }

    /// <summary>
    /// A monitor's newest checks, newest first: <c>error</c> is the probe's own text when <paramref name="fullText"/>
    /// (admin surfaces, or <c>StatusPage:ShowErrorDetails</c>), else its category's public text.
    /// </summary>
    internal static async Task<List<CheckDto>> RecentChecksAsync(UptimeWatchDbContext db, int monitorId, int take, bool fullText,
        CancellationToken cancellationToken)
    {
        var checks = await db.CheckResults.AsNoTracking()
            .Where(c => c.MonitorId == monitorId)
            .OrderByDescending(c => c.At).ThenByDescending(c => c.Id)
            .Take(take)
            .ToListAsync(cancellationToken);
        return [.. checks.Select(c =>
        {
            var shown = PublicReasons.OfCheck(c.Category, c.Outcome, c.HttpStatus, c.CertificateDaysLeft);
            return new CheckDto(c.At, OutcomeText(c.Outcome), c.HttpStatus, c.ResponseMs, fullText ? c.Error : shown?.Text,
                c.DnsMs, c.ConnectMs, c.TlsMs, c.FirstByteMs, c.CertificateDaysLeft, shown?.Category);
        })];
    }

    internal static async Task<Results<Ok<EventsResponse>, BadRequest<ProblemResponse>>> GetEvents(
        UptimeWatchDbContext db, IOptions<UptimeWatchOptions> options, CancellationToken cancellationToken, long? after = null, int? limit = null)
    {
        var cursor = after ?? 0;
        var take = limit ?? 100;
        if (cursor < 0)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("after", after, "must be 0 or a previous event id"));
        }
        if (take is < 1 or > MaxLimit)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("limit", limit, $"must be from 1 to {MaxLimit}"));
        }

        return TypedResults.Ok(new EventsResponse(await PublicEventsAfterAsync(db, cursor, take, cancellationToken,
            options.Value.StatusPage.ShowErrorDetails)));
    }

    /// <summary>
    /// Status events of public, active monitors after <paramref name="after"/>, oldest first, with their public reasons
    /// (the full ones when <paramref name="showErrorDetails"/>: <c>StatusPage:ShowErrorDetails</c>).
    /// </summary>
    internal static async Task<List<EventDto>> PublicEventsAfterAsync(UptimeWatchDbContext db, long after, int take, CancellationToken cancellationToken,
        bool showErrorDetails = false)
    {
        var events = await (
                from e in db.StatusEvents.AsNoTracking()
                join m in PublicMonitors(db) on e.MonitorId equals m.Id
                where e.Id > after && e.Kind == EventKind.Status
                orderby e.Id
                select new { e.Id, m.Slug, m.Name, e.From, e.To, e.At, e.Reason, e.Category, e.PublicReason, e.Flapping })
            .Take(take)
            .ToListAsync(cancellationToken);
        return events.Select(e => EventDto.Create(e.Id, e.Slug, e.Name, e.From, e.To, e.At, e.Reason, e.Category, e.PublicReason, e.Flapping, !showErrorDetails))
            .ToList();
    }

    /// <summary>
    /// Down when every monitor with a verdict is down; degraded when some are, or any is degraded or flapping
    /// (up but unstable); up when all are up and steady. Unknown when none has a verdict yet. Monitors without a
    /// verdict, in maintenance or paused do not count.
    /// </summary>
    internal static string Overall(IEnumerable<(MonitorStatus Status, bool Flapping)> monitors)
    {
        var known = monitors.Where(m => m.Status is MonitorStatus.Up or MonitorStatus.Down or MonitorStatus.Degraded).ToList();
        if (known.Count == 0)
        {
            return "unknown";
        }
        var down = known.Count(m => m.Status == MonitorStatus.Down);
        return down == known.Count ? "down" : known.All(m => m is { Status: MonitorStatus.Up, Flapping: false }) ? "up" : "degraded";
    }

    private static string OutcomeText(CheckOutcome outcome) => outcome.ToString().ToLowerInvariant();
}

internal sealed record StatusResponse(string Overall, IReadOnlyList<MonitorStatusDto> Monitors);

internal sealed record MonitorStatusDto(string Slug, string Name, string? Group, string Type, string Status,
    DateTimeOffset? LastCheckedAt, int? LastResponseMs, double? Uptime24h)
{
    /// <summary>Flapping: a flag beside the status (shown as "unstable"), not a status of its own.</summary>
    public bool Flapping { get; init; }
}

internal sealed record ChecksResponse(IReadOnlyList<CheckDto> Checks);

/// <summary>A check as the public sees it: <paramref name="Error"/> is the public text of <paramref name="Category"/> (the probe's
/// own words with <c>StatusPage:ShowErrorDetails</c>); both null for a check that did not fail.</summary>
internal sealed record CheckDto(DateTimeOffset At, string Outcome, int? Status, int? ResponseMs, string? Error,
    int? DnsMs, int? ConnectMs, int? TlsMs, int? FirstByteMs, int? CertificateDaysLeft, string? Category);

internal sealed record EventsResponse(IReadOnlyList<EventDto> Events);

/// <summary>An error a client can act on: what is wrong and, for a bad parameter, which one and its value.</summary>
internal sealed record ProblemResponse(string Error, IReadOnlyDictionary<string, string>? Fields)
{
    public static ProblemResponse Field<T>(string name, T value, string message) =>
        new($"{name} \"{Convert.ToString(value, CultureInfo.InvariantCulture)}\" {message}", new Dictionary<string, string> { [name] = message });
}
