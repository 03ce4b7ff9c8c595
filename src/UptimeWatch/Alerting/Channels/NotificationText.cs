using System.Globalization;

namespace UptimeWatch.Alerting.Channels;

/// <summary>
/// The words of a notification, once for every channel: a title, a line of detail, a colour and a priority. Plain text:
/// each channel escapes it for its own markup.
/// </summary>
internal static class NotificationText
{
    public static string Title(Notification n) => n.Event switch
    {
        "down" => $"[DOWN] {n.MonitorName}",
        "reminder" => $"[STILL DOWN] {n.MonitorName}{Lasting(n, " for ")}",
        "recovered" => $"[RECOVERED] {n.MonitorName}{Lasting(n, " after ")}",
        "flapping.started" => $"[FLAPPING] {n.MonitorName}",
        "flapping.stopped" => $"[STOPPED FLAPPING] {n.MonitorName} is {n.Status}",
        "degraded" => $"[DEGRADED] {n.MonitorName}",
        "certificate" => $"[CERTIFICATE] {n.MonitorName}",
        "test" => "[TEST] UptimeWatch notifications work",
        _ => $"[{n.Event.ToUpperInvariant()}] {n.MonitorName}",
    };

    /// <summary>What happened and where: the reason, then the target.</summary>
    public static string Detail(Notification n) =>
        n.Event == "test" ? n.Reason : $"{n.Reason}\n{n.Target}";

    /// <summary>Red for trouble, green for good news, amber for in between; as 0xRRGGBB.</summary>
    public static int Colour(Notification n) => n.Event switch
    {
        "down" or "reminder" => 0xD93025,
        "recovered" or "test" => 0x1E8E3E,
        "flapping.stopped" when n.Status == "up" => 0x1E8E3E,
        _ => 0xF29900,
    };

    /// <summary>1 (min) to 5 (urgent), as ntfy counts.</summary>
    public static int Priority(Notification n) => n.Event switch
    {
        "down" or "reminder" => 5,
        "flapping.started" or "certificate" => 4,
        _ => 3,
    };

    public static string Emoji(Notification n) => Colour(n) switch
    {
        0xD93025 => "rotating_light",
        0x1E8E3E => "white_check_mark",
        _ => "warning",
    };

    private static string Lasting(Notification n, string prefix) =>
        n.IncidentStartedAt is { } start && n.At > start ? prefix + Duration(n.At - start) : "";

    public static string Duration(TimeSpan span) => span switch
    {
        { TotalMinutes: < 1 } => $"{Math.Max(1, (int)span.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s",
        { TotalHours: < 1 } => $"{((int)span.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min",
        { TotalDays: < 1 } => $"{((int)span.TotalHours).ToString(CultureInfo.InvariantCulture)} h {span.Minutes.ToString(CultureInfo.InvariantCulture)} min",
        _ => $"{((int)span.TotalDays).ToString(CultureInfo.InvariantCulture)} d {span.Hours.ToString(CultureInfo.InvariantCulture)} h",
    };
}
