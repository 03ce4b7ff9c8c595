using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;
using UptimeWatch.Journal;
using UptimeWatch.Storage;

namespace UptimeWatch.StatusPage;

/// <summary>
/// What the status page loads: one snapshot of every public monitor with its history, and the incident log.
/// History comes from hourly and daily aggregates only, so the snapshot costs the same on day one and after a year.
/// Days are UTC days, the same for every viewer wherever they are.
/// </summary>
internal static class PageApi
{
    public const int MaxPageSize = 100;
    public const int MaxPage = 10_000;

    /// <summary>The most events a <c>page</c> number may skip; deeper pages are asked for with <c>before</c>.</summary>
    public const int MaxSkip = 1_000;

    public static IEndpointRouteBuilder MapPageApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Status page");
        api.MapGet("/status/page", GetPage).WithName("GetStatusPage")
            .WithSummary("The status page's snapshot: every public monitor with uptime, 90 daily bars and 24 h of response times, and the event cursor to go live from.")
            // Written by PageResult from cached JSON rather than serialized from a PageResponse; the shape is the same.
            .Produces<PageResponse>(StatusCodes.Status200OK, "application/json");
        api.MapGet("/incidents", GetIncidents).WithName("GetIncidents")
            .WithSummary("Status changes of public monitors, newest first, grouped by UTC day, paged by key: pass the previous page's nextBefore as before.");
        return app;
    }

    internal static async Task<PageResult> GetPage(UptimeWatchDbContext db, PageHistoryCache history, IOptions<UptimeWatchOptions> options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Read before the state (the Journal's rule for where a snapshot goes live from).
        var cursor = await JournalReader.SnapshotCursorAsync(db, cancellationToken);

        // The live half comes from the rows on every request: which monitors are public, and their state.
        var monitors = await JournalReader.PublicMonitors(db)
            .OrderBy(m => m.Group).ThenBy(m => m.Name)
            .Select(m => new PageMonitorState(m.Id, m.Slug, m.Name, m.Group, m.Type, m.Status, m.ConsecutiveFailures, m.LastCheckedAt, m.LastResponseMs)
            {
                Flapping = m.IsFlapping,
            })
            .ToListAsync(cancellationToken);
        var histories = await history.GetAsync([.. monitors.Select(m => m.Id)], now, cancellationToken);

        var page = options.Value.StatusPage;
        return new PageResult(new PageHeader(page.Title, page.Description, page.LogoUrl, page.Footer,
            StatusWords.Overall(monitors.Select(m => (m.Status, m.Flapping))), cursor, now), monitors, histories);
    }

    internal static async Task<Results<Ok<IncidentsResponse>, BadRequest<ProblemResponse>>> GetIncidents(
        UptimeWatchDbContext db, LiveEvents events, CancellationToken cancellationToken, int? page = null, int? pageSize = null,
        long? before = null)
    {
        var number = page ?? 1;
        var size = pageSize ?? 20;
        if (number is < 1 or > MaxPage)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("page", page, $"must be from 1 to {MaxPage}"));
        }
        if (size is < 1 or > MaxPageSize)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("pageSize", pageSize, $"must be from 1 to {MaxPageSize}"));
        }
        if (before is < 1)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("before", before, "must be an event id (1 or more): the nextBefore of the previous page"));
        }
        if (page is not null && before is not null)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("page", page, "cannot be combined with before: page by before alone"));
        }
        // OFFSET reads and discards every row it skips, so page numbers are kept only for the first pages (old
        // clients, links); deeper pages go by key, which costs the same at any depth and does not shift when
        // changes are added on top of the log.
        var skip = (number - 1) * size;
        if (skip > MaxSkip)
        {
            return TypedResults.BadRequest(ProblemResponse.Field("page", page,
                $"with pageSize {size} skips {skip} events, more than {MaxSkip}: page deeper with before=<nextBefore of the previous page>"));
        }

        // One row more than the page tells whether there is a next page without counting them all.
        var rows = await (
                from e in db.StatusEvents.AsNoTracking()
                join m in JournalReader.PublicMonitors(db) on e.MonitorId equals m.Id
                where e.Kind == EventKind.Status && (before == null || e.Id < before)
                orderby e.Id descending
                select new { Event = e, m.Slug, m.Name })
            .Skip(skip)
            .Take(size + 1)
            .ToListAsync(cancellationToken);

        // Pages are cut by event, not by day, so a busy day never makes a page unbounded; a day cut in two simply
        // appears at the end of one page and the start of the next.
        var days = rows.Take(size)
            .GroupBy(r => DateOnly.FromDateTime(r.Event.At.UtcDateTime))
            .Select(g => new IncidentDayDto(g.Key, [.. g.Select(r => events.PublicView(r.Event, r.Slug, r.Name))]))
            .ToList();
        var hasMore = rows.Count > size;
        return TypedResults.Ok(new IncidentsResponse(days, before is null ? number : null, size, hasMore, hasMore ? rows[size - 1].Event.Id : null));
    }
}

/// <summary>
/// The snapshot as OpenAPI describes it. <see cref="PageResult"/> writes exactly this shape (a test holds it to that)
/// from cached history, without building these objects on every request.
/// </summary>
internal sealed record PageResponse(string Title, string? Description, string? LogoUrl, string? Footer, string Overall,
    long Cursor, DateTimeOffset GeneratedAt, IReadOnlyList<PageMonitorDto> Monitors);

internal sealed record PageMonitorDto(string Slug, string Name, string? Group, string Type, string Status, bool Flapping,
    DateTimeOffset? LastCheckedAt, int? LastResponseMs, UptimeDto Uptime, DaysDto Days, ResponseTimesDto ResponseTimes);

/// <summary>Uptime in percent per period; null when there was nothing to count (no checks, or all in maintenance).</summary>
internal sealed record UptimeDto(
    [property: JsonPropertyName("24h")] double? Last24h,
    [property: JsonPropertyName("7d")] double? Last7d,
    [property: JsonPropertyName("30d")] double? Last30d,
    [property: JsonPropertyName("90d")] double? Last90d);

/// <summary>
/// The 90-day bar as columns of 90 entries, oldest first: entry i is the UTC day <c>From</c> + i days. A day without
/// any rollup has uptime null and zero counts. Columns, not one object per day: a tenth of the bytes.
/// </summary>
internal sealed record DaysDto(DateOnly From, IReadOnlyList<double?> Uptime, IReadOnlyList<int> Checks, IReadOnlyList<int> Failures,
    IReadOnlyList<int> Incidents, IReadOnlyList<int> Maintenance);

/// <summary>
/// The 24-hour response-time chart as columns of 24 entries, oldest first: entry i is the hour <c>From</c> + i hours
/// (up and degraded checks only); null for an hour without any.
/// </summary>
internal sealed record ResponseTimesDto(DateTimeOffset From, IReadOnlyList<int?> AvgMs, IReadOnlyList<int?> P95Ms, IReadOnlyList<int?> MaxMs);

/// <summary>One page of incidents. <c>NextBefore</c> is the <c>before</c> of the next page (null on the last);
/// <c>Page</c> is null when the page was asked for by <c>before</c>.</summary>
internal sealed record IncidentsResponse(IReadOnlyList<IncidentDayDto> Days, int? Page, int PageSize, bool HasMore, long? NextBefore);

internal sealed record IncidentDayDto(DateOnly Date, IReadOnlyList<EventDto> Events);
