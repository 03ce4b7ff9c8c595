using System.Globalization;
using System.Web;
using Cronos;
using DnsClient;

namespace UptimeWatch.Configuration;

/// <summary>
/// The one set of rules for a monitor definition. Input is the raw text of each field, exactly as the user
/// wrote it (config file today, console and REST later), flattened with ':' for nested values
/// (<c>Headers:Accept</c>, <c>Maintenance:0:Cron</c>), so every error can quote the value back.
/// </summary>
internal static class MonitorValidator
{
    public const int DefaultIntervalSeconds = 60;
    public const int DefaultTimeoutSeconds = 10;
    public const int MaxIntervalSeconds = 86_400;
    public const int MaxRedirectsLimit = 5;

    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    /// <summary>Headers the probe controls: one fresh connection per check, its own framing.</summary>
    private static readonly string[] ManagedHeaders = ["Connection", "Content-Length", "Transfer-Encoding", "Host"];

    /// <summary>Every field name a monitor can have (top level), for "did you mean" hints.</summary>
    public static readonly IReadOnlyList<string> KnownFields =
    [
        "Name", "Type", "Url", "IntervalSeconds", "TimeoutSeconds", "Group", "Public", "FailureThreshold",
        "SuccessThreshold", "RetryIntervalSeconds", "MaxResponseMs", "CertificateExpiryWarningDays", "Flapping",
        "Maintenance", "Method", "ExpectedStatus", "Keyword", "KeywordAbsent", "Json", "Headers", "Body",
        "RequiredHeaders", "BasicAuth", "BearerToken", "IgnoreTlsErrors", "MaxRedirects", "AllowInsecureRedirects", "GraceSeconds", "PushToken", "Alerts",
        "Locations", "Quorum",
    ];

    private static readonly string[] HttpOnly =
        ["Method", "ExpectedStatus", "Keyword", "KeywordAbsent", "Json", "Headers", "Body", "RequiredHeaders", "BasicAuth", "BearerToken", "IgnoreTlsErrors", "MaxRedirects", "AllowInsecureRedirects"];

    /// <summary>Validates one monitor. Returns the definition, or null with every error found.</summary>
    public static MonitorDefinition? Validate(IReadOnlyDictionary<string, string?> fields, List<FieldError> errors)
    {
        var before = errors.Count;
        var f = new FieldReader(fields, errors);

        var name = f.Text("Name")?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            f.Error("Name", null, "is required");
        }
        else if (name.Length > 200)
        {
            f.Error("Name", name, "is longer than 200 characters");
        }

        var (type, url) = TypeAndUrl(f);
        var isPush = type == MonitorType.Push;

        var interval = f.Int("IntervalSeconds", DefaultIntervalSeconds, 1, MaxIntervalSeconds,
            $"must be a whole number of seconds from 1 to {MaxIntervalSeconds}");
        int? timeout = null;
        if (isPush)
        {
            NotUsed(f, "TimeoutSeconds", "is not used by push monitors: they wait for a heartbeat (see GraceSeconds)");
        }
        else
        {
            // Unset, the timeout follows a short interval down so that "IntervalSeconds": 5 alone is valid.
            timeout = f.Int("TimeoutSeconds", Math.Min(DefaultTimeoutSeconds, interval ?? DefaultTimeoutSeconds),
                1, MaxIntervalSeconds, "must be a whole number of seconds, at least 1");
            if (timeout is not null && interval is not null && timeout > interval)
            {
                f.Error("TimeoutSeconds", f.Text("TimeoutSeconds"), $"must not be longer than IntervalSeconds ({Invariant(interval.Value)})");
            }
        }

        var group = f.Text("Group")?.Trim();
        if (group is { Length: > 100 })
        {
            f.Error("Group", group, "is longer than 100 characters");
        }

        var isPublic = f.Bool("Public", true);
        var failureThreshold = f.Int("FailureThreshold", 2, 1, 100, "must be a whole number from 1 to 100");
        var successThreshold = f.Int("SuccessThreshold", 1, 1, 100, "must be a whole number from 1 to 100");
        var retry = f.OptionalInt("RetryIntervalSeconds", 1, MaxIntervalSeconds, "must be a whole number of seconds, at least 1");
        if (retry is not null && interval is not null && retry > interval)
        {
            f.Error("RetryIntervalSeconds", f.Text("RetryIntervalSeconds"),
                $"must not be longer than IntervalSeconds ({Invariant(interval.Value)}): it is for re-checking sooner");
        }
        if (isPush && retry is not null)
        {
            NotUsed(f, "RetryIntervalSeconds", "is not used by push monitors: there is nothing to re-check");
        }

        int? maxResponseMs = null;
        if (isPush)
        {
            NotUsed(f, "MaxResponseMs", "is not used by push monitors: they report their own time");
        }
        else
        {
            maxResponseMs = f.OptionalInt("MaxResponseMs", 1, 3_600_000, "must be a whole number of milliseconds, at least 1");
        }

        var certDays = 14;
        if (type is MonitorType.Http or MonitorType.Tls)
        {
            certDays = f.Int("CertificateExpiryWarningDays", 14, 0, 3650, "must be a whole number of days from 0 to 3650") ?? 14;
        }
        else
        {
            NotFor(f, "CertificateExpiryWarningDays", "https and tls monitors");
        }

        var flapStart = f.OptionalDouble("Flapping:StartPercent", 1, 100, "must be a percentage from 1 to 100") ?? 20;
        var flapStop = f.OptionalDouble("Flapping:StopPercent", 0, 100, "must be a percentage from 0 to 100") ?? 5;
        if (flapStop >= flapStart)
        {
            f.Error("Flapping:StopPercent", Invariant(flapStop), $"must be below Flapping:StartPercent ({Invariant(flapStart)})");
        }

        var maintenance = MaintenanceWindows(f);
        var http = type == MonitorType.Http ? HttpSettings(f) : null;
        if (type != MonitorType.Http)
        {
            foreach (var field in HttpOnly)
            {
                NotFor(f, field, "http(s) monitors");
            }
        }
        var dns = type == MonitorType.Dns && url is not null ? DnsSettings(f, url) : null;
        PushCheck? push = null;
        if (isPush)
        {
            push = PushSettings(f, interval ?? DefaultIntervalSeconds);
        }
        else
        {
            NotFor(f, "GraceSeconds", "push monitors");
            NotFor(f, "PushToken", "push monitors");
        }

        var (locations, quorum) = isPush ? (LocationSet.Default, (int?)null) : Locations(f);
        if (isPush)
        {
            NotUsed(f, "Locations", "is not used by push monitors: they are called, from wherever they run");
            NotUsed(f, "Quorum", "is not used by push monitors: they are called, from wherever they run");
        }

        // Alert rules: checked here for their form; channel names against the configured channels by the caller.
        AlertingConfigReader.ReadRules(f, "Alerts:", new AlertRulesSettings());
        foreach (var key in f.Unread().Where(k => k.StartsWith("Alerts:", StringComparison.OrdinalIgnoreCase)
                     && !AlertingConfigReader.RuleKeys.Contains(k["Alerts:".Length..].Split(':')[0], StringComparer.OrdinalIgnoreCase)).ToList())
        {
            var hint = ClosestName.Find(key["Alerts:".Length..], AlertingConfigReader.RuleKeys);
            f.Error(key, null, hint is null ? "is not an alert setting" : $"is not an alert setting (did you mean Alerts:{hint}?)");
        }

        foreach (var key in f.Unread().Where(k => !k.StartsWith("Alerts:", StringComparison.OrdinalIgnoreCase)))
        {
            var top = key.Split(':')[0];
            var hint = ClosestName.Find(top, KnownFields);
            f.Error(key, null, KnownFields.Contains(top, StringComparer.OrdinalIgnoreCase)
                ? "is not a setting of " + top
                : hint is null ? "is not a monitor field" : $"is not a monitor field (did you mean {hint}?)");
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new MonitorDefinition
        {
            Slug = Slug.From(name!), Name = name!, Group = string.IsNullOrEmpty(group) ? null : group, Type = type!.Value, Url = url,
            IntervalSeconds = interval!.Value, TimeoutSeconds = timeout ?? 0, Public = isPublic,
            FailureThreshold = failureThreshold!.Value, SuccessThreshold = successThreshold!.Value, RetryIntervalSeconds = retry,
            MaxResponseMs = maxResponseMs, CertificateExpiryWarningDays = certDays, FlapStartPercent = flapStart, FlapStopPercent = flapStop,
            Maintenance = maintenance, Http = http, Dns = dns, Push = push,
            Locations = locations, Quorum = quorum,
            Fields = new SortedDictionary<string, string?>(fields.ToDictionary(), StringComparer.OrdinalIgnoreCase),
        };
    }

    private static (MonitorType?, Uri?) TypeAndUrl(FieldReader f)
    {
        var typeText = f.Text("Type")?.Trim();
        MonitorType? type = null;
        if (typeText is not null)
        {
            if (Enum.TryParse<MonitorType>(typeText, ignoreCase: true, out var parsed) && !int.TryParse(typeText, out _))
            {
                type = parsed;
            }
            else
            {
                f.Error("Type", typeText, "is not a monitor type (http, tcp, dns, tls, push)");
                return (null, null);
            }
        }

        var urlText = f.Text("Url")?.Trim();
        if (type == MonitorType.Push)
        {
            if (!string.IsNullOrEmpty(urlText))
            {
                f.Error("Url", urlText, "is not used by push monitors: UptimeWatch gives them a URL to call");
            }
            return (type, null);
        }
        if (string.IsNullOrEmpty(urlText))
        {
            f.Error("Url", null, "is required (or set \"Type\": \"push\" for a heartbeat monitor)");
            return (type ?? MonitorType.Http, null);
        }
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || string.IsNullOrEmpty(url.Host))
        {
            f.Error("Url", urlText, type is null or MonitorType.Http
                ? "is not an absolute http(s) URL"
                : $"is not an absolute {type.ToString()!.ToLowerInvariant()}:// URL");
            return (type ?? MonitorType.Http, null);
        }

        MonitorType? fromScheme = url.Scheme switch
        {
            "http" or "https" => MonitorType.Http,
            "tcp" => MonitorType.Tcp,
            "dns" => MonitorType.Dns,
            "tls" => MonitorType.Tls,
            _ => null,
        };
        if (fromScheme is null)
        {
            f.Error("Url", urlText, type is null or MonitorType.Http
                ? "is not an absolute http(s) URL"
                : $"is not a {type.ToString()!.ToLowerInvariant()}:// URL");
            return (type ?? MonitorType.Http, null);
        }
        if (type is not null && type != fromScheme)
        {
            f.Error("Type", typeText, $"does not match the URL scheme \"{url.Scheme}\"");
            return (type, null);
        }
        if (fromScheme == MonitorType.Tcp && url.IsDefaultPort)
        {
            f.Error("Url", urlText, "needs a port: tcp://host:port");
            return (fromScheme, null);
        }
        if (fromScheme == MonitorType.Tls && url.IsDefaultPort)
        {
            url = new UriBuilder(url) { Port = 443 }.Uri;
        }
        return (fromScheme, url);
    }

    private static HttpCheck? HttpSettings(FieldReader f)
    {
        var before = f.Errors.Count;
        var methodText = f.Text("Method");
        var method = (methodText?.Trim() is { Length: > 0 } m ? m : "GET").ToUpperInvariant();
        if (!Methods.Contains(method))
        {
            f.Error("Method", methodText, $"is not a supported HTTP method ({string.Join(", ", Methods)})");
        }

        var expectedText = f.Text("ExpectedStatus");
        var expected = StatusCodeSet.Success;
        if (expectedText is not null && !StatusCodeSet.TryParse(expectedText, out expected))
        {
            f.Error("ExpectedStatus", expectedText, "is not a list of status codes (100-599) and ranges, like 200-299 or 200,301-302");
        }

        var keyword = BodyText(f, "Keyword", "the page must contain", method);
        var keywordAbsent = BodyText(f, "KeywordAbsent", "the page must not contain", method);

        JsonAssertion? json = null;
        var jsonText = f.Text("Json");
        if (jsonText is not null)
        {
            if (!JsonAssertion.TryParse(jsonText, out json, out var error))
            {
                f.Error("Json", jsonText, error);
            }
            else if (method == "HEAD")
            {
                f.Error("Json", jsonText, "cannot be checked with Method HEAD, which returns no body");
            }
        }

        var headers = f.Map("Headers");
        foreach (var (header, value) in headers)
        {
            if (!IsToken(header))
            {
                f.Error($"Headers:{header}", value, "has a name that is not a valid HTTP header name");
            }
            else if (value.Contains('\r') || value.Contains('\n') || value.Contains('\0'))
            {
                f.Error($"Headers:{header}", value, "must not contain line breaks");
            }
            else if (ManagedHeaders.Contains(header, StringComparer.OrdinalIgnoreCase))
            {
                f.Error($"Headers:{header}", value, "is set by UptimeWatch itself for every check");
            }
        }
        var required = f.Map("RequiredHeaders");
        foreach (var header in required.Keys.Where(h => !IsToken(h)))
        {
            f.Error($"RequiredHeaders:{header}", required[header], "has a name that is not a valid HTTP header name");
        }

        var body = f.Text("Body");
        if (body is null && headers.ContainsKey("Content-Type"))
        {
            f.Error("Headers:Content-Type", headers["Content-Type"], "is only sent with a Body");
        }
        if (body is not null && method is "GET" or "HEAD")
        {
            f.Error("Body", body.Length > 40 ? body[..40] + "…" : body, $"cannot be sent with Method {method}: use POST, PUT or PATCH");
        }

        var user = f.Text("BasicAuth:Username");
        var password = f.Text("BasicAuth:Password");
        if ((user is null) != (password is null))
        {
            f.Error(user is null ? "BasicAuth:Username" : "BasicAuth:Password", null, "is required when the other BasicAuth field is set");
        }
        if (user is not null && user.Contains(':', StringComparison.Ordinal))
        {
            f.Error("BasicAuth:Username", user, "must not contain ':' (Basic authentication cannot carry it)");
        }
        var bearer = f.Text("BearerToken");
        if (bearer is not null && bearer.Any(c => c is '\r' or '\n' or '\0'))
        {
            f.Error("BearerToken", "***", "must not contain line breaks");
        }
        if (bearer is not null && user is not null)
        {
            f.Error("BearerToken", "***", "cannot be combined with BasicAuth: pick one");
        }
        if (bearer is { Length: 0 })
        {
            f.Error("BearerToken", "", "is empty");
        }

        var ignoreTls = f.Bool("IgnoreTlsErrors", false);
        var maxRedirects = f.Int("MaxRedirects", MaxRedirectsLimit, 0, MaxRedirectsLimit, $"must be a whole number from 0 to {MaxRedirectsLimit}");
        var allowInsecureRedirects = f.Bool("AllowInsecureRedirects", false);

        return f.Errors.Count > before
            ? null
            : new HttpCheck(method, expected!, keyword, keywordAbsent, json, headers, body, required, user, password, bearer, ignoreTls, maxRedirects!.Value,
                allowInsecureRedirects);
    }

    private static string? BodyText(FieldReader f, string field, string what, string method)
    {
        var text = f.Text(field);
        if (text is null)
        {
            return null;
        }
        if (text.Length == 0)
        {
            f.Error(field, text, $"is empty: remove it or give the text {what}");
        }
        else if (text.Length > 1000)
        {
            f.Error(field, text[..40] + "…", "is longer than 1000 characters");
        }
        else if (method == "HEAD")
        {
            f.Error(field, text, "cannot be checked with Method HEAD, which returns no body");
        }
        return text;
    }

    private static DnsCheck? DnsSettings(FieldReader f, Uri url)
    {
        var query = HttpUtility.ParseQueryString(url.Query);
        var typeText = query["type"] ?? "A";
        if (!Enum.TryParse<QueryType>(typeText, ignoreCase: true, out var recordType) || int.TryParse(typeText, out _))
        {
            f.Error("Url", url.OriginalString, $"has type={typeText}, which is not a DNS record type (A, AAAA, CNAME, MX, TXT, NS, SOA, SRV, CAA, PTR)");
            return null;
        }
        var server = query["server"];
        if (server is not null && !System.Net.IPEndPoint.TryParse(server, out _))
        {
            f.Error("Url", url.OriginalString, $"has server={server}, which is not an IP address (optionally with :port)");
            return null;
        }
        var unknown = query.AllKeys.Where(k => k is not ("type" or "server" or "expected")).ToList();
        if (unknown.Count > 0)
        {
            f.Error("Url", url.OriginalString, $"has the unknown parameter \"{unknown[0]}\" (use type, server, expected)");
            return null;
        }
        var expected = (query["expected"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new DnsCheck(url.IdnHost.TrimEnd('.'), recordType, server, expected);
    }

    private static PushCheck PushSettings(FieldReader f, int interval)
    {
        var grace = f.Int("GraceSeconds", DefaultGraceSeconds(interval), 0, MaxIntervalSeconds,
            $"must be a whole number of seconds from 0 to {MaxIntervalSeconds}");
        var token = f.Text("PushToken");
        if (token is not null && (token.Length < 16 || token.Length > 128 || !token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            f.Error("PushToken", "***", "must be 16 to 128 letters, digits, '-' or '_' (it is the secret in the push URL)");
        }
        return new PushCheck(grace ?? 0, token);
    }

    /// <summary>A tenth of the interval, at least a minute: a nightly job may run a little late.</summary>
    public static int DefaultGraceSeconds(int interval) => Math.Max(60, interval / 10);

    /// <summary>
    /// <c>Locations</c>: where the monitor is checked from, as a list of location names, one string of names separated by
    /// commas, or <c>all</c>; unset, from this server only. <c>Quorum</c>: how many of them must confirm down (default a
    /// majority). Names follow <see cref="LocationName.Rule"/>; whether an agent exists for each is not the definition's
    /// concern (one may be set up later: until it reports, it does not vote).
    /// </summary>
    private static (LocationSet Set, int? Quorum) Locations(FieldReader f)
    {
        var raw = new List<(string Field, string? Value)>();
        if (f.Text("Locations") is { } single)
        {
            raw.AddRange(single.Split(',').Select(name => ("Locations", (string?)name)));
        }
        foreach (var index in f.Indexes("Locations"))
        {
            raw.Add(($"Locations:{index}", f.Text($"Locations:{index}")));
        }
        var names = new List<string>();
        var all = false;
        foreach (var (field, value) in raw)
        {
            if (value?.Trim() is { } trimmed && trimmed.Equals("all", StringComparison.OrdinalIgnoreCase))
            {
                all = true;
            }
            else if (LocationName.Normalize(value) is not { } name)
            {
                f.Error(field, value, $"must be a location name ({LocationName.Rule}) or all");
            }
            else if (names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                f.Error(field, value, "is listed twice");
            }
            else
            {
                names.Add(name);
            }
        }
        if (all && names.Count > 0)
        {
            f.Error("Locations", string.Join(", ", raw.Select(r => r.Value)), "is either all or a list of names, not both");
        }
        if (names.Count > LocationSet.MaxLocations)
        {
            f.Error("Locations", Invariant(names.Count) + " names", $"names more than {Invariant(LocationSet.MaxLocations)} locations");
        }
        if (f.Has("Locations") && raw.Count == 0)
        {
            f.Error("Locations", null, "must name at least one location, or be all");
        }

        int? quorum = null;
        if (f.Has("Quorum"))
        {
            var most = all || names.Count == 0 ? LocationSet.MaxLocations : names.Count;
            quorum = f.OptionalInt("Quorum", 1, most, all
                ? "must be a whole number, at least 1"
                : $"must be a whole number from 1 to the number of Locations ({Invariant(Math.Max(names.Count, 1))})");
            if (quorum is not null && !all && names.Count == 0)
            {
                f.Error("Quorum", f.Text("Quorum"), "needs Locations: a monitor checked from this server only has nobody to agree with");
                quorum = null;
            }
        }
        return (new LocationSet(all, names), quorum);
    }

    private static IReadOnlyList<MaintenanceWindow> MaintenanceWindows(FieldReader f)
    {
        var windows = new List<MaintenanceWindow>();
        foreach (var index in f.Indexes("Maintenance"))
        {
            var prefix = $"Maintenance:{index}";
            string? Get(string key) => f.Text($"{prefix}:{key}");
            var start = Get("Start");
            var end = Get("End");
            var cron = Get("Cron");
            var days = Get("Days");
            var time = Get("Time");
            var duration = f.OptionalInt($"{prefix}:DurationMinutes", 1, 7 * 24 * 60, "must be a whole number of minutes from 1 to 10080");
            var zoneText = Get("TimeZone");

            if (start is not null || end is not null)
            {
                if (cron is not null || days is not null || duration is not null)
                {
                    f.Error(prefix, null, "mixes a one-off window (Start, End) with a recurring one (Cron or Days, DurationMinutes)");
                    continue;
                }
                var from = Time(f, $"{prefix}:Start", start);
                var to = Time(f, $"{prefix}:End", end);
                if (from is not null && to is not null)
                {
                    if (to <= from)
                    {
                        f.Error($"{prefix}:End", end, $"must be after Start ({start})");
                    }
                    else
                    {
                        windows.Add(new OneOffMaintenance(from.Value, to.Value));
                    }
                }
                continue;
            }

            TimeZoneInfo zone = TimeZoneInfo.Utc;
            if (zoneText is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zoneText, out zone!))
            {
                f.Error($"{prefix}:TimeZone", zoneText, "is not a time zone name like Europe/Berlin or UTC");
                continue;
            }
            if (duration is null)
            {
                if (!f.Has($"{prefix}:DurationMinutes"))
                {
                    f.Error($"{prefix}:DurationMinutes", null, "is required for a recurring window");
                }
                continue;
            }

            string? expression = null;
            if (cron is not null && (days is not null || time is not null))
            {
                f.Error(prefix, null, "has both Cron and Days/Time: use one");
                continue;
            }
            if (cron is not null)
            {
                expression = cron;
            }
            else if (days is not null || time is not null)
            {
                expression = DaysAndTimeToCron(f, prefix, days, time);
            }
            else
            {
                f.Error(prefix, null, "needs Start and End, or Cron (or Days and Time) with DurationMinutes");
                continue;
            }
            if (expression is null)
            {
                continue;
            }
            try
            {
                windows.Add(new RecurringMaintenance(CronExpression.Parse(expression), TimeSpan.FromMinutes(duration.Value), zone, expression));
            }
            catch (CronFormatException ex)
            {
                f.Error(cron is not null ? $"{prefix}:Cron" : $"{prefix}:Days", cron ?? days, $"is not a valid schedule: {ex.Message}");
            }
        }
        return windows;
    }

    private static string? DaysAndTimeToCron(FieldReader f, string prefix, string? days, string? time)
    {
        if (days is null || time is null)
        {
            f.Error($"{prefix}:{(days is null ? "Days" : "Time")}", null, "is required with " + (days is null ? "Time" : "Days"));
            return null;
        }
        if (!TimeOnly.TryParseExact(time.Trim(), ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            f.Error($"{prefix}:Time", time, "is not a time of day like 02:30");
            return null;
        }
        var names = days.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var cronDays = new List<string>();
        foreach (var day in names)
        {
            var match = Enum.GetNames<DayOfWeek>().FirstOrDefault(d => d.StartsWith(day, StringComparison.OrdinalIgnoreCase) && day.Length >= 3);
            if (match is null)
            {
                f.Error($"{prefix}:Days", days, "is not a list of weekdays like Sat,Sun or Monday");
                return null;
            }
            cronDays.Add(Invariant((int)Enum.Parse<DayOfWeek>(match)));
        }
        return $"{Invariant(at.Minute)} {Invariant(at.Hour)} * * {string.Join(',', cronDays)}";
    }

    private static DateTimeOffset? Time(FieldReader f, string key, string? text)
    {
        if (text is null)
        {
            f.Error(key, null, "is required");
            return null;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value.ToUniversalTime();
        }
        f.Error(key, text, "is not a date and time like 2026-12-01T02:00:00Z");
        return null;
    }

    private static void NotFor(FieldReader f, string field, string appliesTo)
    {
        if (f.Has(field))
        {
            var value = f.Text(field);
            f.Map(field);
            f.Error(field, IsSecret(field) ? "***" : value, $"applies only to {appliesTo}");
        }
    }

    private static void NotUsed(FieldReader f, string field, string message)
    {
        if (f.Has(field))
        {
            f.Error(field, f.Text(field), message);
        }
    }

    private static bool IsSecret(string field) => field is "BearerToken" or "PushToken" or "BasicAuth";

    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
