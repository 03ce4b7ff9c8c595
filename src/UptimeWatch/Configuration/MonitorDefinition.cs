namespace UptimeWatch.Configuration;

/// <summary>A validated monitor definition, as it comes from the config file (and later the console).</summary>
internal sealed record MonitorDefinition(
    string Slug,
    string Name,
    string? Group,
    Uri Url,
    string Method,
    int IntervalSeconds,
    int TimeoutSeconds,
    StatusCodeSet ExpectedStatus,
    string? Keyword,
    bool Public,
    int FailureThreshold,
    int SuccessThreshold,
    int MaxRedirects);
