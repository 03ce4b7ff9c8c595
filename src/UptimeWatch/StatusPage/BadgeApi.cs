using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Hosting;
using UptimeWatch.Storage;

using UptimeWatch.Journal;

namespace UptimeWatch.StatusPage;

/// <summary>
/// Badges to embed in a README or a wiki: a public monitor's status, or its uptime over a period. Cached by
/// browsers and CDNs for a minute, so an embed on a busy page does not hit the database on every view.
/// </summary>
internal static class BadgeApi
{
    public const string CacheControl = "public, max-age=60";
    public const string SvgContentType = "image/svg+xml";

    public static IEndpointRouteBuilder MapBadgeApi(this IEndpointRouteBuilder app)
    {
        var badges = app.MapGroup("/badge").WithTags("Badges");
        badges.MapGet("/{slug}/status.svg", GetStatusBadge).WithName("GetStatusBadge")
            .WithSummary("A public monitor's current status as an SVG badge.");
        badges.MapGet("/{slug}/uptime.svg", GetUptimeBadge).WithName("GetUptimeBadge")
            .WithSummary("A public monitor's uptime over 24h, 7d, 30d (default) or 90d as an SVG badge.");
        return app;
    }

    private static IQueryable<MonitorEntity> PublicMonitor(UptimeWatchDbContext db, string slug) =>
        JournalReader.PublicMonitors(db).Where(m => m.Slug == slug);

    internal static async Task<Results<ContentHttpResult, NotFound<ProblemResponse>>> GetStatusBadge(
        string slug, UptimeWatchDbContext db, HttpResponse response, CancellationToken cancellationToken, string? label = null)
    {
        var monitor = await PublicMonitor(db, slug)
            .Select(m => new { m.Name, m.Status, m.ConsecutiveFailures })
            .FirstOrDefaultAsync(cancellationToken);
        if (monitor is null)
        {
            return NotFound(slug);
        }
        var status = StatusWords.Display(monitor.Status, monitor.ConsecutiveFailures);
        return Svg(response, Badge.Render(Label(label, monitor.Name), status, Badge.StatusColor(status)));
    }

    internal static async Task<Results<ContentHttpResult, NotFound<ProblemResponse>, BadRequest<ProblemResponse>>> GetUptimeBadge(
        string slug, UptimeWatchDbContext db, TimeProvider time, HttpResponse response, CancellationToken cancellationToken,
        string? period = null, string? label = null)
    {
        var p = period ?? "30d";
        if (!RollupQueries.Periods.Contains(p))
        {
            return TypedResults.BadRequest(ProblemResponse.Field("period", period, $"must be one of {string.Join(", ", RollupQueries.Periods)}"));
        }
        var monitor = await PublicMonitor(db, slug).Select(m => new { m.Id }).FirstOrDefaultAsync(cancellationToken);
        if (monitor is null)
        {
            return NotFound(slug);
        }
        var uptime = await RollupQueries.UptimeAsync(db, monitor.Id, p, time.GetUtcNow(), cancellationToken);
        return Svg(response, Badge.Render(Label(label, $"uptime {p}"), Badge.UptimeText(uptime), Badge.UptimeColor(uptime)));
    }

    /// <summary>A caller's own label (shields' <c>?label=</c>), cut so a badge stays a badge.</summary>
    private static string Label(string? requested, string fallback) =>
        requested is { Length: > 0 } ? requested[..Math.Min(requested.Length, 100)] : fallback;

    private static ContentHttpResult Svg(HttpResponse response, string svg)
    {
        response.Headers.CacheControl = CacheControl;
        return TypedResults.Text(svg, SvgContentType);
    }

    // Private and unknown monitors get the same answer, so a badge URL reveals nothing about private ones.
    private static NotFound<ProblemResponse> NotFound(string slug) =>
        TypedResults.NotFound(new ProblemResponse($"No public monitor \"{slug}\"", null));
}
