using Microsoft.EntityFrameworkCore;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>A monitor's newest check results as the status page (<c>/api/monitors/{slug}/checks</c>) and the admin console show them.</summary>
internal static class CheckHistory
{
    /// <summary>
    /// Newest first: <c>error</c> is the probe's own text when <paramref name="fullText"/> (admin surfaces, or
    /// <c>StatusPage:ShowErrorDetails</c>), else its category's public text. <c>location</c> names where each check was
    /// made from on admin surfaces (<paramref name="serverLocation"/>, this server's name, given); public ones leave
    /// it out: a location's name can say where a team's networks are.
    /// </summary>
    public static async Task<List<CheckDto>> RecentAsync(UptimeWatchDbContext db, int monitorId, int take, bool fullText,
        string? serverLocation, CancellationToken cancellationToken)
    {
        var checks = await db.CheckResults.AsNoTracking()
            .Where(c => c.MonitorId == monitorId)
            .OrderByDescending(c => c.At).ThenByDescending(c => c.Id)
            .Take(take)
            .ToListAsync(cancellationToken);
        // The agents' locations by id (few, and only read for an admin surface that shows them).
        List<int> agentIds = serverLocation is null ? [] : checks.Select(c => c.LocationId).Where(id => id != CheckResult.ThisServer).Distinct().ToList();
        var agents = agentIds.Count == 0
            ? new Dictionary<int, string>()
            : await db.Locations.AsNoTracking().Where(l => agentIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, l => l.Name, cancellationToken);
        return [.. checks.Select(c =>
        {
            var shown = PublicReasons.OfCheck(c.Category, c.Outcome, c.HttpStatus, c.CertificateDaysLeft);
            return new CheckDto(c.At, StatusWords.Outcome(c.Outcome), c.HttpStatus, c.ResponseMs, fullText ? c.Error : shown?.Text,
                c.DnsMs, c.ConnectMs, c.TlsMs, c.FirstByteMs, c.CertificateDaysLeft, shown?.Category,
                serverLocation is null ? null : LocationName(c.LocationId, serverLocation, agents));
        })];
    }

    /// <summary>A stored location's name: this server's for its own checks, an agent's from the locations table.</summary>
    public static string LocationName(int locationId, string serverLocation, IReadOnlyDictionary<int, string> agents) =>
        locationId == CheckResult.ThisServer ? serverLocation
        : agents.TryGetValue(locationId, out var name) ? name
        : "location " + locationId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A check as the public sees it: <paramref name="Error"/> is the public text of <paramref name="Category"/> (the probe's
/// own words with <c>StatusPage:ShowErrorDetails</c>); both null for a check that did not fail.</summary>
internal sealed record CheckDto(DateTimeOffset At, string Outcome, int? Status, int? ResponseMs, string? Error,
    int? DnsMs, int? ConnectMs, int? TlsMs, int? FirstByteMs, int? CertificateDaysLeft, string? Category,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Location = null);

/// <summary>What <c>/api/monitors/{slug}/checks</c> and the admin API's checks answer.</summary>
internal sealed record ChecksResponse(IReadOnlyList<CheckDto> Checks);
