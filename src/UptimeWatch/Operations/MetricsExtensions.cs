using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;
using UptimeWatch.Telemetry;
using UptimeWatch.Journal;

namespace UptimeWatch.Operations;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format: UptimeWatch's own instruments, the runtime's and ASP.NET Core's,
/// through the OpenTelemetry SDK and its Prometheus exporter. On by default, for loopback clients only;
/// <c>Metrics:Enabled</c> turns it off and <c>Metrics:BearerToken</c> opens it to any client that sends the token.
/// </summary>
internal static class MetricsExtensions
{
    public const string Path = "/metrics";

    public static IHostApplicationBuilder AddMetrics(this IHostApplicationBuilder builder)
    {
        // The instruments are always there (the hot paths call them); without a listener they cost nothing.
        builder.Services.AddSingleton<UptimeWatchMetrics>();
        builder.Services.AddSingleton<StateGauges>();
        if (!ReadOptions(builder).Enabled)
        {
            return builder;
        }
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(UptimeWatchMetrics.MeterName, "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
            foreach (var name in UptimeWatchMetrics.PerMonitorInstruments)
            {
                metrics.AddView(name, new MetricStreamConfiguration { CardinalityLimit = UptimeWatchMetrics.PerMonitorCardinalityLimit });
            }
            metrics.AddPrometheusExporter(prometheus =>
            {
                // A scrape sees the state as it is now, not as it was up to 300 ms ago (the exporter's default).
                prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
            });
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<IOptions<UptimeWatchOptions>>().Value.Metrics;
        if (!options.Enabled)
        {
            return app;
        }
        // The observable gauges exist from here on: they read the registry, the writer and the outbox at scrape time.
        app.ServiceProvider.GetRequiredService<StateGauges>();
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch =>
            {
                // Every monitor's slug is in there, private ones included: without a token only this machine may look.
                branch.Use(next => context => options.BearerToken is { } token
                    ? Authorized(context.Request, token) ? next(context) : RefuseAsync(context)
                    : IsLocal(context.Connection.RemoteIpAddress) ? next(context) : RefuseRemoteAsync(context));
            }, optionsName: null)
            .WithName("Metrics")
            .WithSummary("Prometheus metrics: checks, durations, monitor states, live connections, outbox and write queue.")
            .ExcludeFromDescription();
        return app;
    }

    // Whether to register the exporter is decided before the options are built; start-up's validation reports
    // a bad value with every other error, so the errors are not needed here.
    private static MetricsOptions ReadOptions(IHostApplicationBuilder builder) =>
        UptimeWatchConfigReader.ReadMetrics(builder.Configuration.GetSection($"{UptimeWatchOptions.Section}:Metrics"), []);

    private static bool Authorized(HttpRequest request, string token)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var sent = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(sent), SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>
    /// Whether the client is this machine. The address is the one after forwarded-header processing, so a remote
    /// client behind a trusted local proxy is remote here. No address at all is a Unix socket or an in-process host.
    /// </summary>
    private static bool IsLocal(IPAddress? address) =>
        address is null || IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static Task RefuseRemoteAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(
            "/metrics answers only this machine (127.0.0.1, ::1); to scrape it from elsewhere set UptimeWatch:Metrics:BearerToken and send \"Authorization: Bearer <token>\"\n",
            context.RequestAborted);
    }

    private static Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("/metrics needs \"Authorization: Bearer <token>\" with the token in UptimeWatch:Metrics:BearerToken\n",
            context.RequestAborted);
    }
}

/// <summary>
/// Gauges read at scrape time: the current status of every active monitor, results waiting for the database, and
/// notifications waiting for delivery. Nothing is kept up to date in between, so they cost nothing until scraped.
/// </summary>
internal sealed class StateGauges
{
    public StateGauges(UptimeWatchMetrics metrics, MonitorRegistry registry, JournalWriter writer, IDbContextFactory<UptimeWatchDbContext> dbFactory)
    {
        var meter = metrics.Meter;
        meter.CreateObservableGauge("uptimewatch.monitor.status", () => Statuses(registry), "{status}",
            "Current status of each active monitor: 0 unknown, 1 up, 2 degraded, 3 down, 5 maintenance, 6 paused, 7 pending (4 is no longer used).");
        meter.CreateObservableGauge("uptimewatch.monitor.flapping", () => Flapping(registry), "{monitor}",
            "1 while an active monitor is flapping (its repeated notifications are held back), else 0.");
        meter.CreateObservableGauge("uptimewatch.monitors", () => (long)registry.Active.Count, "{monitor}", "Active (not archived) monitors.");
        meter.CreateObservableGauge("uptimewatch.write_queue.length", () => (long)writer.QueueLength, "{write}",
            "Check results and state changes waiting to be written to the database.");
        meter.CreateObservableGauge("uptimewatch.outbox.pending", () => Pending(dbFactory), "{notification}",
            "Notifications in the outbox not yet delivered (waiting or being retried).");
    }

    /// <summary>The status codes of <c>uptimewatch_monitor_status</c>: the stored status, or 7 while a failure is being confirmed.</summary>
    internal static long Code(MonitorState state) => state.Pending ? 7 : (long)state.Status;

    private static IEnumerable<Measurement<long>> Statuses(MonitorRegistry registry)
    {
        foreach (var monitor in registry.Active)
        {
            yield return new Measurement<long>(Code(monitor.State), new KeyValuePair<string, object?>("monitor", monitor.Definition.Slug));
        }
    }

    private static IEnumerable<Measurement<long>> Flapping(MonitorRegistry registry) =>
        registry.Active.Select(m => new Measurement<long>(m.State.Flapping ? 1 : 0, new KeyValuePair<string, object?>("monitor", m.Definition.Slug)));

    private static long Pending(IDbContextFactory<UptimeWatchDbContext> dbFactory)
    {
        // A scrape is synchronous; the count is an index range scan on (State, Channel, Id).
        using var db = dbFactory.CreateDbContext();
        return db.Notifications.LongCount(n => n.State == NotificationState.Pending);
    }
}
