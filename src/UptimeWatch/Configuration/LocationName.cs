namespace UptimeWatch.Configuration;

/// <summary>
/// What a location may be called, wherever a name is typed (<c>UptimeWatch:Location</c>, <c>Agent:Location</c>, a new agent
/// token, a monitor's <c>Locations</c>): short, and safe in a log line, a metric label and a chat message as it is.
/// </summary>
internal static class LocationName
{
    public const int MaxLength = 32;

    public const string Rule = "1 to 32 letters, digits, '-', '_' or '.' (a name such as us-east or office)";

    /// <summary>The name trimmed, or null when it breaks the <see cref="Rule"/>.</summary>
    public static string? Normalize(string? name)
    {
        var trimmed = name?.Trim();
        return trimmed is { Length: > 0 and <= MaxLength } && trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? trimmed
            : null;
    }
}
