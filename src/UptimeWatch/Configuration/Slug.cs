using System.Globalization;
using System.Text;

namespace UptimeWatch.Configuration;

/// <summary>Turns a monitor name into a stable, URL-safe identifier: "Main API (EU)" → "main-api-eu".</summary>
internal static class Slug
{
    public const int MaxLength = 80;

    public static string From(string name)
    {
        // Decompose so accented letters keep their base letter: "Café" → "cafe".
        var decomposed = name.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        var pendingDash = false;
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (pendingDash && builder.Length > 0)
                {
                    builder.Append('-');
                }
                builder.Append(char.ToLowerInvariant(c));
                pendingDash = false;
            }
            else
            {
                pendingDash = true;
            }
            if (builder.Length >= MaxLength)
            {
                break;
            }
        }

        if (builder.Length > 0)
        {
            return builder.ToString().TrimEnd('-');
        }

        // A name with no ASCII letters or digits at all still needs a stable slug.
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(name));
        return $"monitor-{Convert.ToHexStringLower(hash, 0, 4)}";
    }
}
