using System.Diagnostics.Metrics;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Telemetry;

/// <summary>
/// UptimeWatch's own instruments (meter <c>UptimeWatch</c>), exported at <c>/metrics</c> when metrics are on.
/// The hot paths only add to counters here; nothing is computed per check beyond a tag lookup, and with metrics off
/// no listener is attached, so every call is a no-op.
/// </summary>
/// <remarks>Names and labels are part of the contract: docs/operations.md lists them for dashboards and alert rules.</remarks>
internal sealed class UptimeWatchMetrics
{
    public const string MeterName = "UptimeWatch";

    /// <summary>Instruments with one series per monitor: the exporter's default cap (2,000) would fold most of them into an overflow series.</summary>
    public static readonly string[] PerMonitorInstruments = ["uptimewatch.checks", "uptimewatch.monitor.status"];

    /// <summary>Series per per-monitor instrument: every outcome of 10,000 monitors, with room to spare.</summary>
    public const int PerMonitorCardinalityLimit = 50_000;

    private readonly Counter<long> _checks;
    private readonly Histogram<double> _checkDuration;
    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _events;
    private readonly Counter<long> _writeFailures;

    /// <summary>The <c>location</c> label of this server's checks (<c>UptimeWatch:Location</c>).</summary>
    private readonly string _location;

    public UptimeWatchMetrics(IMeterFactory meters, Microsoft.Extensions.Options.IOptions<Configuration.UptimeWatchOptions> options)
    {
        _location = options.Value.Location;
        Meter = meters.Create(MeterName);
        _checks = Meter.CreateCounter<long>("uptimewatch.checks", "{check}",
            "Checks stored, by monitor, outcome (up, degraded, down, missed) and location.");
        _checkDuration = Meter.CreateHistogram<double>("uptimewatch.check.duration", "s",
            "How long checks took, by monitor type, outcome and location.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _connections = Meter.CreateUpDownCounter<long>("uptimewatch.live.connections", "{connection}",
            "Open live connections, by transport: sse, longpoll, websocket.");
        _events = Meter.CreateCounter<long>("uptimewatch.events.published", "{event}",
            "Live events handed to the connected clients, by kind (status, check, alert.raised, …).");
        _writeFailures = Meter.CreateCounter<long>("uptimewatch.storage.write_failures", "{failure}",
            "Failed attempts to commit a batch of check results and state changes (each is retried).");
    }

    public Meter Meter { get; }

    /// <summary>Counts checks once they are committed to the database.</summary>
    public void ChecksStored(string monitor, IReadOnlyList<Monitoring.CheckRecord> checks)
    {
        if (!_checks.Enabled)
        {
            return;
        }
        foreach (var check in checks)
        {
            _checks.Add(1, new KeyValuePair<string, object?>("monitor", monitor), new KeyValuePair<string, object?>("outcome", OutcomeName(check.Outcome)),
                new KeyValuePair<string, object?>("location", check.Location ?? _location));
        }
    }

    /// <summary>Counts one failed commit attempt of the writer.</summary>
    public void StorageWriteFailed() => _writeFailures.Add(1);

    public void CheckFinished(MonitorType type, Verdict verdict, int elapsedMs)
    {
        if (_checkDuration.Enabled)
        {
            _checkDuration.Record(elapsedMs / 1000.0, new KeyValuePair<string, object?>("type", TypeName(type)),
                new KeyValuePair<string, object?>("outcome", VerdictName(verdict)), new KeyValuePair<string, object?>("location", _location));
        }
    }

    /// <summary>Counts a live connection until the returned handle is disposed.</summary>
    public IDisposable Connected(string transport)
    {
        _connections.Add(1, new KeyValuePair<string, object?>("transport", transport));
        return new Connection(this, transport);
    }

    /// <summary>Counts one live event handed to the clients, by kind.</summary>
    /// <param name="publicCopy">The public copy of an event already counted in its full form: not counted again.</param>
    public void Published(string kind, bool publicCopy)
    {
        if (!publicCopy)
        {
            _events.Add(1, new KeyValuePair<string, object?>("kind", kind));
        }
    }

    private static string OutcomeName(CheckOutcome outcome) => outcome switch
    {
        CheckOutcome.Up => "up",
        CheckOutcome.Down => "down",
        CheckOutcome.Missed => "missed",
        CheckOutcome.Degraded => "degraded",
        _ => "other",
    };

    private static string VerdictName(Verdict verdict) => verdict switch
    {
        Verdict.Up => "up",
        Verdict.Degraded => "degraded",
        _ => "down",
    };

    private static string TypeName(MonitorType type) => type switch
    {
        MonitorType.Http => "http",
        MonitorType.Tcp => "tcp",
        MonitorType.Dns => "dns",
        MonitorType.Tls => "tls",
        MonitorType.Push => "push",
        _ => "other",
    };

    private sealed class Connection(UptimeWatchMetrics metrics, string transport) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                metrics._connections.Add(-1, new KeyValuePair<string, object?>("transport", transport));
            }
        }
    }
}
