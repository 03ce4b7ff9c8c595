using System.Globalization;

namespace UptimeWatch.Configuration;

/// <summary>
/// The one set of rules for a monitor definition. Input is the raw text of each field, exactly as the user
/// wrote it (config file today, console and REST later), so every error can quote the value back.
/// </summary>
internal static class MonitorValidator
{
    public const int DefaultIntervalSeconds = 60;
    public const int DefaultTimeoutSeconds = 10;
    public const int MaxIntervalSeconds = 86_400;
    public const int MaxRedirectsLimit = 5;

    public static readonly IReadOnlyList<string> KnownFields =
    [
        "Name", "Url", "Method", "IntervalSeconds", "TimeoutSeconds", "ExpectedStatus", "Keyword", "Group",
        "Public", "FailureThreshold", "SuccessThreshold", "MaxRedirects",
    ];

    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    /// <summary>Validates one monitor. Returns the definition, or null with every error found.</summary>
    public static MonitorDefinition? Validate(IReadOnlyDictionary<string, string?> fields, List<FieldError> errors)
    {
        var before = errors.Count;
        foreach (var key in fields.Keys)
        {
            if (!KnownFields.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                var hint = ClosestName.Find(key, KnownFields);
                errors.Add(new FieldError(key, null, hint is null
                    ? "is not a monitor field"
                    : $"is not a monitor field (did you mean {hint}?)"));
            }
        }

        string? Get(string field) => fields.TryGetValue(field, out var v) ? v : null;

        var name = Get("Name")?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            errors.Add(new FieldError("Name", null, "is required"));
        }
        else if (name.Length > 200)
        {
            errors.Add(new FieldError("Name", name, "is longer than 200 characters"));
        }

        var urlText = Get("Url")?.Trim();
        Uri? url = null;
        if (string.IsNullOrEmpty(urlText))
        {
            errors.Add(new FieldError("Url", null, "is required"));
        }
        else if (!Uri.TryCreate(urlText, UriKind.Absolute, out url)
                 || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
                 || string.IsNullOrEmpty(url.Host))
        {
            errors.Add(new FieldError("Url", urlText, "is not an absolute http(s) URL"));
            url = null;
        }

        var method = (Get("Method")?.Trim() is { Length: > 0 } m ? m : "GET").ToUpperInvariant();
        if (!Methods.Contains(method))
        {
            errors.Add(new FieldError("Method", Get("Method"), $"is not a supported HTTP method ({string.Join(", ", Methods)})"));
        }

        var interval = Integer(fields, "IntervalSeconds", DefaultIntervalSeconds, 1, MaxIntervalSeconds,
            $"must be a whole number of seconds from 1 to {MaxIntervalSeconds}", errors);

        // Unset, the timeout follows a short interval down so that "IntervalSeconds": 5 alone is valid.
        var timeout = Integer(fields, "TimeoutSeconds", Math.Min(DefaultTimeoutSeconds, interval ?? DefaultTimeoutSeconds),
            1, MaxIntervalSeconds, "must be a whole number of seconds, at least 1", errors);
        if (timeout is not null && interval is not null && timeout > interval)
        {
            errors.Add(new FieldError("TimeoutSeconds", Get("TimeoutSeconds"),
                $"must not be longer than IntervalSeconds ({interval.Value.ToString(CultureInfo.InvariantCulture)})"));
        }

        var expectedText = Get("ExpectedStatus");
        var expected = StatusCodeSet.Success;
        if (expectedText is not null && !StatusCodeSet.TryParse(expectedText, out expected))
        {
            errors.Add(new FieldError("ExpectedStatus", expectedText,
                "is not a list of status codes (100-599) and ranges, like 200-299 or 200,301-302"));
        }

        var keyword = Get("Keyword");
        if (keyword is not null)
        {
            if (keyword.Length == 0)
            {
                errors.Add(new FieldError("Keyword", keyword, "is empty: remove it or give the text the page must contain"));
            }
            else if (keyword.Length > 1000)
            {
                errors.Add(new FieldError("Keyword", keyword[..40] + "…", "is longer than 1000 characters"));
            }
            else if (method == "HEAD")
            {
                errors.Add(new FieldError("Keyword", keyword, "cannot be checked with Method HEAD, which returns no body"));
            }
        }

        var group = Get("Group")?.Trim();
        if (group is { Length: > 100 })
        {
            errors.Add(new FieldError("Group", group, "is longer than 100 characters"));
        }

        var publicText = Get("Public");
        var isPublic = true;
        if (publicText is not null && !bool.TryParse(publicText.Trim(), out isPublic))
        {
            errors.Add(new FieldError("Public", publicText, "must be true or false"));
        }

        var failureThreshold = Integer(fields, "FailureThreshold", 2, 1, 100, "must be a whole number from 1 to 100", errors);
        var successThreshold = Integer(fields, "SuccessThreshold", 1, 1, 100, "must be a whole number from 1 to 100", errors);
        var maxRedirects = Integer(fields, "MaxRedirects", MaxRedirectsLimit, 0, MaxRedirectsLimit,
            $"must be a whole number from 0 to {MaxRedirectsLimit}", errors);

        if (errors.Count > before)
        {
            return null;
        }

        return new MonitorDefinition(
            Slug.From(name!), name!, string.IsNullOrEmpty(group) ? null : group, url!, method,
            interval!.Value, timeout!.Value, expected!, keyword, isPublic,
            failureThreshold!.Value, successThreshold!.Value, maxRedirects!.Value);
    }

    private static int? Integer(IReadOnlyDictionary<string, string?> fields, string field, int fallback, int min, int max,
        string message, List<FieldError> errors)
    {
        if (!fields.TryGetValue(field, out var text) || text is null)
        {
            return fallback;
        }
        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max)
        {
            return value;
        }
        errors.Add(new FieldError(field, text, message));
        return null;
    }
}
