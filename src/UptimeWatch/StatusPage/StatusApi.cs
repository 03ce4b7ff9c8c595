using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;
using UptimeWatch.Journal;
using UptimeWatch.Storage;

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

    internal static async Task<Ok<StatusResponse>> GetStatus(UptimeWatchDbContext db, StatusUptimeCache uptimeCache, TimeProvider time,
        CancellationToken cancellationToken)
    {
        // Read before the rows: a change that commits meanwhile makes the next request rebuild the uptime.
        var newestEvent = await db.StatusEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
        var monitors = await JournalReader.PublicMonitors(db)
            .OrderBy(m => m.Group).ThenBy(m => m.Name)
            .Select(m => new { m.Id, m.Slug, m.Name, m.Group, m.Type, m.Status, m.ConsecutiveFailures, m.LastCheckedAt, m.LastResponseMs, m.IsFlapping })
            .ToListAsync(cancellationToken);

        // The heavy part, the 24 h aggregate over raw checks, is shared between requests; the rows above are not.
        var uptime = await uptimeCache.GetAsync([.. monitors.Select(m => m.Id)], newestEvent, time.GetUtcNow(), cancellationToken);

        var items = monitors.Select(m => new MonitorStatusDto(
            m.Slug, m.Name, m.Group, m.Type, StatusWords.Display(m.Status, m.ConsecutiveFailures), m.LastCheckedAt, m.LastResponseMs,
            uptime.GetValueOrDefault(m.Id)) { Flapping = m.IsFlapping }).ToList();
        return TypedResults.Ok(new StatusResponse(StatusWords.Overall(monitors.Select(m => (m.Status, m.IsFlapping))), items));
    }

    internal static async Task<Results<Ok<ChecksResponse>, NotFound<ProblemResponse>, BadRequest<ProblemResponse>>> GetChecks(
        string slug, UptimeWatchDbContext db, IOptions<UptimeWatchOptions> options, CancellationToken cancellationToken, int? limit = null)
    {
        var take = limit ?? 50;
        if (take is < 1 or > MaxLimit)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("limit", limit, $"must be from 1 to {MaxLimit}"));
        }

        var monitorId = await JournalReader.PublicMonitors(db).Where(m => m.Slug == slug).Select(m => (int?)m.Id).FirstOrDefaultAsync(cancellationToken);
        if (monitorId is null)
        {
            return TypedResults.NotFound(new ProblemResponse($"No public monitor \"{slug}\"", null));
        }

        return TypedResults.Ok(new ChecksResponse(
            await CheckHistory.RecentAsync(db, monitorId.Value, take, fullText: options.Value.StatusPage.ShowErrorDetails, serverLocation: null, cancellationToken)));
    }

    internal static async Task<Results<Ok<EventsResponse>, BadRequest<ProblemResponse>>> GetEvents(
        JournalReader journal, CancellationToken cancellationToken, long? after = null, int? limit = null)
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

        return TypedResults.Ok(new EventsResponse(await journal.PublicEventsAfterAsync(cursor, take, cancellationToken)));
    }
}

internal sealed record StatusResponse(string Overall, IReadOnlyList<MonitorStatusDto> Monitors);

internal sealed record MonitorStatusDto(string Slug, string Name, string? Group, string Type, string Status,
    DateTimeOffset? LastCheckedAt, int? LastResponseMs, double? Uptime24h)
{
    /// <summary>Flapping: a flag beside the status (shown as "unstable"), not a status of its own.</summary>
    public bool Flapping { get; init; }
}

internal sealed record EventsResponse(IReadOnlyList<EventDto> Events);
