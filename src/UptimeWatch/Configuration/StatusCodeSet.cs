using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace UptimeWatch.Configuration;

/// <summary>A set of HTTP status codes written as a list of codes and ranges, e.g. <c>200,301-302</c>.</summary>
internal sealed class StatusCodeSet
{
    public static readonly StatusCodeSet Success = new([(200, 299)]);

    private readonly (int From, int To)[] _ranges;

    private StatusCodeSet((int From, int To)[] ranges) => _ranges = ranges;

    public bool Contains(int status)
    {
        foreach (var (from, to) in _ranges)
        {
            if (status >= from && status <= to)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Parses <paramref name="text"/>; every code must be 100–599 and every range ascending.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out StatusCodeSet? set)
    {
        set = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var ranges = new List<(int, int)>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var dash = part.IndexOf('-', 1 < part.Length ? 1 : 0);
            var (fromText, toText) = dash > 0 ? (part[..dash], part[(dash + 1)..]) : (part, part);
            if (!TryParseCode(fromText, out var from) || !TryParseCode(toText, out var to) || from > to)
            {
                return false;
            }
            ranges.Add((from, to));
        }

        set = new StatusCodeSet([.. ranges]);
        return true;
    }

    private static bool TryParseCode(string text, out int code) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out code) && code is >= 100 and <= 599;

    /// <summary>The canonical text form, e.g. <c>200-299,301</c>.</summary>
    public override string ToString() =>
        string.Join(',', _ranges.Select(r => r.From == r.To
            ? r.From.ToString(CultureInfo.InvariantCulture)
            : $"{r.From.ToString(CultureInfo.InvariantCulture)}-{r.To.ToString(CultureInfo.InvariantCulture)}"));
}
