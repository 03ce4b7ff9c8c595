namespace UptimeWatch.Configuration;

/// <summary><c>UptimeWatch:Alerting</c>: where notifications go, when, and how hard delivery tries.</summary>
internal sealed class AlertingOptions
{
    /// <summary>The site's public address, for links in notifications (<c>https://status.example.com</c>).</summary>
    public Uri? PublicUrl { get; set; }

    public IReadOnlyList<ChannelSettings> Channels { get; set; } = [];

    /// <summary>The rules for monitors that say nothing else (<c>UptimeWatch:Alerting:Defaults</c>).</summary>
    public AlertRulesSettings Defaults { get; set; } = new();

    public DeliveryOptions Delivery { get; set; } = new();
}

/// <summary>Which steps of an incident (and which other changes) are sent, and to which channels.</summary>
internal sealed record AlertRulesSettings
{
    /// <summary>Channel names; null means every configured channel.</summary>
    public IReadOnlyList<string>? Channels { get; init; }
    public bool OnDown { get; init; } = true;
    public bool OnRecovery { get; init; } = true;
    public bool OnDegraded { get; init; }
    public bool OnCertificateExpiry { get; init; } = true;
    public bool OnFlapping { get; init; } = true;

    /// <summary>While an alert is open and not acknowledged, send a reminder this often; 0 for never.</summary>
    public int RemindEveryMinutes { get; init; }
}

/// <summary><c>UptimeWatch:Alerting:Delivery</c>: retries with exponential backoff, for a bounded time.</summary>
internal sealed class DeliveryOptions
{
    /// <summary>The wait before the first retry; each next one doubles, up to <see cref="MaxRetrySeconds"/>.</summary>
    public int FirstRetrySeconds { get; set; } = 5;
    public int MaxRetrySeconds { get; set; } = 600;

    /// <summary>A notification not delivered this long after it was queued is given up (expired).</summary>
    public int GiveUpAfterHours { get; set; } = 24;

    /// <summary>The deadline of one attempt.</summary>
    public int AttemptTimeoutSeconds { get; set; } = 15;
}
