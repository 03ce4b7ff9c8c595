namespace UptimeWatch.Configuration;

/// <summary>The <c>UptimeWatch</c> configuration section, validated. Built by <see cref="UptimeWatchConfigReader"/>.</summary>
internal sealed class UptimeWatchOptions
{
    public const string Section = "UptimeWatch";

    /// <summary>Folder for the SQLite file and the logs; relative paths are taken from the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    public StorageOptions Storage { get; set; } = new();

    public SchedulerOptions Scheduler { get; set; } = new();

    public ProbingOptions Probing { get; set; } = new();

    /// <summary>The monitors defined in the config file, in file order.</summary>
    public IReadOnlyList<MonitorDefinition> Monitors { get; set; } = [];

    /// <summary>Everything wrong with the section, one line per problem; empty when valid.</summary>
    public IReadOnlyList<string> Errors { get; set; } = [];
}

/// <summary><c>UptimeWatch:Storage</c>.</summary>
internal sealed class StorageOptions
{
    /// <summary>Overrides the database location; default is <c>Data Source={DataDirectory}/uptimewatch.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How many pending writes the writer holds before probes wait for it.</summary>
    public int WriteQueueCapacity { get; set; } = 50_000;

    /// <summary>The most results the writer puts in one transaction.</summary>
    public int WriteBatchSize { get; set; } = 1_000;
}

/// <summary><c>UptimeWatch:Scheduler</c>.</summary>
internal sealed class SchedulerOptions
{
    /// <summary>How many checks may run at the same time.</summary>
    public int MaxConcurrency { get; set; } = 200;

    /// <summary>How long shutdown waits for running checks and the write queue.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;
}

/// <summary><c>UptimeWatch:Probing</c>.</summary>
internal sealed class ProbingOptions
{
    /// <summary>A PEM file of extra CA certificates to trust (an internal PKI), besides the system's.</summary>
    public string? CaCertificatesFile { get; set; }
}
