using Microsoft.EntityFrameworkCore;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>A monitor's newest check results as the status page (<c>/api/monitors/{slug}/checks</c>) and the admin console show them.</summary>
internal static class CheckHistory
{
    /// <summary>
    /// Newest first: <c>error</c> is the probe's own text when <paramref name="fullText"/> (admin surfaces, or
    /// <c>StatusPage:ShowErrorDetails</c>), else its category's public text.
    /// </summary>
    public static async Task<List<CheckDto>> RecentAsync(UptimeWatchDbContext db, int monitorId, int take, bool fullText,
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
            return new CheckDto(c.At, StatusWords.Outcome(c.Outcome), c.HttpStatus, c.ResponseMs, fullText ? c.Error : shown?.Text,
                c.DnsMs, c.ConnectMs, c.TlsMs, c.FirstByteMs, c.CertificateDaysLeft, shown?.Category);
        })];
    }
}

/// <summary>A check as the public sees it: <paramref name="Error"/> is the public text of <paramref name="Category"/> (the probe's
/// own words with <c>StatusPage:ShowErrorDetails</c>); both null for a check that did not fail.</summary>
internal sealed record CheckDto(DateTimeOffset At, string Outcome, int? Status, int? ResponseMs, string? Error,
    int? DnsMs, int? ConnectMs, int? TlsMs, int? FirstByteMs, int? CertificateDaysLeft, string? Category);

/// <summary>What <c>/api/monitors/{slug}/checks</c> and the admin API's checks answer.</summary>
internal sealed record ChecksResponse(IReadOnlyList<CheckDto> Checks);
