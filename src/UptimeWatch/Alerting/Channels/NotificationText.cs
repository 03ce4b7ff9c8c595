using System.Globalization;
using UptimeWatch.Journal;

namespace UptimeWatch.Alerting.Channels;

/// <summary>How bad a notification is; each channel maps it to its own colour, emoji or priority.</summary>
internal enum NotificationSeverity
{
    Down,
    Warning,
    Ok,
    Info,
}

/// <summary>One labelled fact under the headline ("Reason: HTTP 503").</summary>
internal sealed record NotificationFact(string Label, string Value);

/// <summary>
/// The wording of every notification, in one place, so Slack, email and the webhook's <c>title</c> say the same
/// thing. Everything returned is plain text as the user wrote it: each channel escapes it for its own markup.
/// </summary>
internal static class NotificationText
{
    /// <summary>The bracketed tag: <c>DOWN</c>, <c>STILL DOWN</c>, <c>RECOVERED</c>, …</summary>
    public static string Tag(Notification n) => n.Event switch
    {
        "down" => "DOWN",
        "reminder" => "STILL DOWN",
        "recovered" => "RECOVERED",
        "degraded" => "DEGRADED",
        "certificate" => "CERTIFICATE",
        "flapping.started" => "FLAPPING",
        // Settled down: what matters is that it is down (its down alert went out when it went down).
        "flapping.stopped" => n.Status == "down" ? "DOWN" : "STABLE",
        "test" => "TEST",
        "location.offline" => "LOCATION OFFLINE",
        "location.online" => "LOCATION BACK",
        "location.isolated" => "LOCATION CUT OFF",
        "location.connected" => "LOCATION CONNECTED",
        "node.offline" => "OFFLINE",
        "node.online" => "ONLINE",
        _ => n.Event.ToUpperInvariant(),
    };

    /// <summary>The subject line: <c>[DOWN] Checkout API</c>.</summary>
    public static string Title(Notification n) => $"[{Tag(n)}] {n.MonitorName}";

    /// <summary>One sentence saying what happened.</summary>
    public static string Headline(Notification n)
    {
        var lasted = Lasted(n) is { } d ? Duration(d) : null;
        return n.Event switch
        {
            "down" => $"{n.MonitorName} is down.",
            "reminder" => lasted is null ? $"{n.MonitorName} is still down." : $"{n.MonitorName} is still down, for {lasted} now.",
            "recovered" => lasted is null ? $"{n.MonitorName} is back up." : $"{n.MonitorName} is back up after {lasted} down.",
            "degraded" => $"{n.MonitorName} is degraded.",
            "certificate" => $"{n.MonitorName} has a certificate that needs attention.",
            "flapping.started" => $"{n.MonitorName} is flapping: its status keeps changing (it is {n.Status} now). Repeated down and recovery alerts for it are held back until it settles.",
            "flapping.stopped" => $"{n.MonitorName} has stopped flapping; it is {n.Status} now.",
            "test" => $"Test notification from UptimeWatch for {n.MonitorName}: if you can read this, the channel works.",
            "location.offline" => $"The probe {n.MonitorName} has stopped reporting: its checks do not count until it is back, and nothing goes down because of it.",
            "location.online" => $"The probe {n.MonitorName} is reporting again.",
            "location.isolated" => $"The probe {n.MonitorName} cannot reach the internet: its checks are held, not counted as down, until its canaries answer again.",
            "location.connected" => $"The probe {n.MonitorName} reaches the internet again: its checks count again.",
            "node.offline" => $"This node is offline: {n.MonitorName} cannot reach the internet, so its checks are held, not counted as down, until its canaries answer again.",
            "node.online" => $"This node is back online: {n.MonitorName} reaches the internet again.",
            _ => $"{n.MonitorName}: {n.Event}.",
        };
    }

    /// <summary>The facts under the headline, in display order; empty values are left out.</summary>
    public static IReadOnlyList<NotificationFact> Facts(Notification n)
    {
        var facts = new List<NotificationFact>();
        if (!string.IsNullOrWhiteSpace(n.Reason))
        {
            facts.Add(new("Reason", n.Reason));
        }
        facts.Add(new("Status", n.PreviousStatus is { Length: > 0 } previous && previous != n.Status ? $"{n.Status} (was {previous})" : n.Status));
        if (!string.IsNullOrWhiteSpace(n.Target))
        {
            facts.Add(new("Target", n.Target));
        }
        if (n.IncidentStartedAt is { } started && n.Event is "down" or "reminder" or "recovered")
        {
            facts.Add(new(n.Event == "recovered" ? "Was down since" : "Down since", Time(started)));
        }
        if (Lasted(n) is { } lasted)
        {
            facts.Add(new(n.Event == "recovered" ? "Downtime" : "Down for", Duration(lasted)));
        }
        facts.Add(new("At", Time(n.At)));
        if (n.IncidentId > 0)
        {
            facts.Add(new("Incident", "#" + n.IncidentId.ToString(CultureInfo.InvariantCulture)));
        }
        return facts;
    }

    /// <summary>Headline, facts and link as plain text lines (email, ntfy).</summary>
    public static string PlainText(Notification n)
    {
        var lines = new List<string> { Headline(n), "" };
        lines.AddRange(Facts(n).Select(f => $"{f.Label}: {f.Value}"));
        if (n.StatusPageUrl is { Length: > 0 } url)
        {
            lines.Add("");
            lines.Add($"Status page: {url}");
        }
        return string.Join('\n', lines);
    }

    public static NotificationSeverity Severity(Notification n) => n.Event switch
    {
        "down" or "reminder" => NotificationSeverity.Down,
        "recovered" => NotificationSeverity.Ok,
        "degraded" or "certificate" or "flapping.started" or "location.offline" or "location.isolated" or "node.offline" => NotificationSeverity.Warning,
        "location.online" or "location.connected" or "node.online" => NotificationSeverity.Ok,
        "flapping.stopped" => n.Status == "down" ? NotificationSeverity.Down : NotificationSeverity.Ok,
        _ => NotificationSeverity.Info,
    };

    /// <summary>How long the incident has lasted (reminder) or lasted (recovered).</summary>
    public static TimeSpan? Lasted(Notification n) =>
        n.Event is "reminder" or "recovered" && n.IncidentStartedAt is { } started && n.At >= started ? n.At - started : null;

    /// <summary><c>45 s</c>, <c>12 min</c>, <c>1 h 5 min</c>, <c>2 d 3 h</c>: two units at most, for people.</summary>
    public static string Duration(TimeSpan d)
    {
        if (d < TimeSpan.FromMinutes(1))
        {
            return $"{Math.Max(0, (int)d.TotalSeconds)} s";
        }
        if (d < TimeSpan.FromHours(1))
        {
            return d.Seconds == 0 || d.TotalMinutes >= 10 ? $"{(int)d.TotalMinutes} min" : $"{(int)d.TotalMinutes} min {d.Seconds} s";
        }
        if (d < TimeSpan.FromDays(1))
        {
            return d.Minutes == 0 ? $"{(int)d.TotalHours} h" : $"{(int)d.TotalHours} h {d.Minutes} min";
        }
        return d.Hours == 0 ? $"{(int)d.TotalDays} d" : $"{(int)d.TotalDays} d {d.Hours} h";
    }

    /// <summary><c>2025-03-01 14:05:09 UTC</c>: channels reach people in many time zones, so UTC and say so.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
