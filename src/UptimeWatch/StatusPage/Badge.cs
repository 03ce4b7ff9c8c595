using System.Globalization;
using System.Security;

namespace UptimeWatch.StatusPage;

/// <summary>
/// A shields.io-style flat badge: grey label on the left, coloured value on the right. Rendered by hand (one
/// small template) rather than with a library; text widths are estimated per character for 11 px Verdana, the
/// font shields uses, which is close enough that text never overflows its box.
/// </summary>
internal static class Badge
{
    public const string Green = "#4c1";
    public const string YellowGreen = "#a4a61d";
    public const string Yellow = "#dfb317";
    public const string Orange = "#fe7d37";
    public const string Red = "#e05d44";
    public const string Blue = "#007ec6";
    public const string Grey = "#9f9f9f";
    private const string LabelGrey = "#555";
    private const int Padding = 6;

    public static string StatusColor(string displayStatus) => displayStatus switch
    {
        "up" => Green,
        "degraded" => Yellow,
        "flapping" => Orange,
        "down" => Red,
        "maintenance" => Blue,
        _ => Grey, // unknown, pending, paused
    };

    /// <summary>Green only for "three nines"; anything under 95 % is red.</summary>
    public static string UptimeColor(double? percent) => percent switch
    {
        null => Grey,
        >= 99.9 => Green,
        >= 99 => YellowGreen,
        >= 97 => Yellow,
        >= 95 => Orange,
        _ => Red,
    };

    /// <summary>At most two decimals, cut rather than rounded, so "100%" is only ever shown for no failures at all.</summary>
    public static string UptimeText(double? percent) => percent is { } p
        ? (Math.Floor(p * 100) / 100).ToString("0.##", CultureInfo.InvariantCulture) + "%"
        : "no data";

    public static string Render(string label, string value, string color)
    {
        var labelWidth = TextWidth(label) + 2 * Padding;
        var valueWidth = TextWidth(value) + 2 * Padding;
        var width = labelWidth + valueWidth;
        // Monitor names are user text: everything that goes into the SVG is escaped (&, <, >, ", ').
        var l = SecurityElement.Escape(label);
        var v = SecurityElement.Escape(value);
        return string.Create(CultureInfo.InvariantCulture, $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{l}: {v}"><title>{l}: {v}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{labelWidth}" height="20" fill="{LabelGrey}"/><rect x="{labelWidth}" width="{valueWidth}" height="20" fill="{color}"/><rect width="{width}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="{labelWidth / 2.0}" y="15" fill="#010101" fill-opacity=".3">{l}</text><text x="{labelWidth / 2.0}" y="14">{l}</text><text x="{labelWidth + valueWidth / 2.0}" y="15" fill="#010101" fill-opacity=".3">{v}</text><text x="{labelWidth + valueWidth / 2.0}" y="14">{v}</text></g></svg>
            """);
    }

    /// <summary>Estimated width in pixels of <paramref name="text"/> in 11 px Verdana.</summary>
    public static int TextWidth(string text)
    {
        double width = 0;
        foreach (var c in text)
        {
            width += c switch
            {
                'i' or 'l' or 'j' or '.' or ',' or ':' or ';' or '\'' or '!' or '|' => 3.5,
                'I' or 'f' or 't' or 'r' or ' ' or '(' or ')' or '[' or ']' or '-' or '/' => 4.8,
                'm' or 'w' or 'M' or 'W' or '%' or '@' => 10.5,
                >= 'A' and <= 'Z' => 7.6,
                >= '0' and <= '9' => 7,
                >= 'a' and <= 'z' => 6.6,
                _ => 8, // symbols, accents, other scripts: generous so they never spill out
            };
        }
        return (int)Math.Ceiling(width);
    }
}
