using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>The notification channels (no secrets), a test send, and the outbox with its delivery attempts.</summary>
internal sealed class ChannelCommands(
    IDbContextFactory<UptimeWatchDbContext> dbFactory,
    Alerting.NotificationDispatcher dispatcher,
    IOptions<UptimeWatchOptions> options)
{
    /// <summary>The configured channels, secrets left out.</summary>
    public ChannelsResponse List() =>
        new([.. options.Value.Alerting.Channels.Select(c => new ChannelView(c.Name, c.Type, Alerting.ChannelDescription.Describe(c).Destination))]);

    /// <summary>Sends a test notification to one channel now and says what the receiver answered.</summary>
    public async Task<ChannelTestResult> TestAsync(string name, string by, CancellationToken cancellationToken)
    {
        var outcome = await dispatcher.SendTestAsync(name, by, cancellationToken)
            ?? throw AdminCommandException.NotFound("channel", name);
        return new ChannelTestResult(name, outcome.Delivered, outcome.StatusCode, outcome.Error);
    }

    /// <summary>
    /// The newest notifications in the outbox, each with its delivery attempts. A system alert's (about UptimeWatch
    /// itself: a probe location offline) names no monitor, only its subject.
    /// </summary>
    public async Task<NotificationsResponse> ListNotificationsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await (from n in db.Notifications.AsNoTracking()
                          join m in db.Monitors.AsNoTracking() on n.MonitorId equals (int?)m.Id into monitors
                          from m in monitors.DefaultIfEmpty()
                          orderby n.Id descending
                          select new { Notification = n, Slug = m == null ? null : m.Slug, Name = m == null ? null : m.Name })
            .Take(limit).ToListAsync(cancellationToken);
        var ids = rows.Select(r => r.Notification.Id).ToList();
        var attempts = (await db.DeliveryAttempts.AsNoTracking().Where(a => ids.Contains(a.NotificationId)).OrderBy(a => a.Id).ToListAsync(cancellationToken))
            .ToLookup(a => a.NotificationId);
        return new NotificationsResponse([.. rows.Select(r => r.Notification is var n
            ? new NotificationView(n.Id, n.Key, n.AlertId, r.Slug, r.Name ?? SystemSubject(n), n.Channel, n.Event, n.State.ToString().ToLowerInvariant(),
                n.Attempts, n.CreatedAt, n.State == NotificationState.Pending ? n.NextAttemptAt : null, n.DoneAt, n.LastError,
                [.. attempts[n.Id].Select(a => new AttemptView(a.At, a.Delivered, a.StatusCode, a.Error, a.DurationMs))])
            : null!)]);
    }

    /// <summary>What a system alert is about (<c>location eu-west</c>), as it was queued; its row has no monitor to name.</summary>
    private static string SystemSubject(OutboxNotification row)
    {
        try
        {
            return Journal.NotificationJson.Deserialize(row.Id, row.Payload).MonitorName;
        }
        catch (System.Text.Json.JsonException)
        {
            // A damaged payload (the dispatcher fails it with the reason): the list still shows the row.
            return "UptimeWatch";
        }
    }
}
