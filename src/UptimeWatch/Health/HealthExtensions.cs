using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Quartz;
using UptimeWatch.Configuration;
using UptimeWatch.Scheduling;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.Health;

internal static class HealthExtensions
{
    public static IHostApplicationBuilder AddHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy())
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<StorageHealthCheck>("storage")
            .AddCheck<SchedulerHealthCheck>("scheduler")
            .AddCheck<ConfigHealthCheck>("config");
        return builder;
    }

    /// <summary>
    /// <c>GET /healthz</c>: 200 when the process, the database, writes to it and the scheduler all work, 503 otherwise.
    /// </summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        // The config check says whether this node's monitors file is the cluster's: only a PostgreSQL cluster has one.
        var clustered = app.ServiceProvider.GetRequiredService<IOptions<UptimeWatchOptions>>().Value.Storage.IsPostgres;
        app.MapHealthChecks("/healthz", new HealthCheckOptions
            {
                ResponseWriter = WriteAsync,
                Predicate = check => clustered || check.Name != "config",
            })
            .WithName("Health")
            .WithSummary("Process, database, storage (writes) and scheduler health; on PostgreSQL also whether this node's monitors file is the cluster's.");
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString().ToLowerInvariant(),
                description = e.Value.Description,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }
}

internal sealed class DatabaseHealthCheck(IDbContextFactory<UptimeWatchDbContext> dbFactory, JournalWriter writer) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var monitors = await db.Monitors.CountAsync(cancellationToken);
            return HealthCheckResult.Healthy($"{monitors} monitors, {writer.QueueLength} results waiting to be written");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"database query failed: {ex.Message}");
        }
    }
}

/// <summary>
/// Whether the writer's commits succeed. A read (the database check) still works on a full disk, so only this notices
/// that nothing has been stored for a while: degraded (still 200) while commits fail, unhealthy (503) once they have
/// failed for <c>Storage:UnhealthyAfterSeconds</c>, healthy again with the first commit that succeeds.
/// </summary>
internal sealed class StorageHealthCheck(JournalWriter writer) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = writer.Status();
        if (status is { Failing: true, Since: { } since })
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"writes failing since {Time(since)}: {status.Error}"));
        }
        return Task.FromResult(writer.CurrentFailure is { } failure
            ? HealthCheckResult.Degraded($"writes failing since {Time(failure.Since)}: {failure.Error} (unhealthy after {writer.UnhealthyAfter.TotalSeconds:0} s)")
            : HealthCheckResult.Healthy("writes succeed"));
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// On PostgreSQL: degraded (still 200: the node works, on the cluster's monitors) while this node's monitors file
/// differs from the one the cluster runs, so that a load balancer keeps it but an operator sees it.
/// </summary>
internal sealed class ConfigHealthCheck(ConfigMonitorSync sync) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await sync.Cluster.StatusAsync(cancellationToken) switch
            {
                null => HealthCheckResult.Healthy("no monitors file applied in the cluster yet"),
                { Differs: true } status => HealthCheckResult.Degraded(status.Message),
                var status => HealthCheckResult.Healthy(status.Message),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The database check reports the database itself; this one cannot tell without it.
            return HealthCheckResult.Degraded($"cannot compare the monitors file with the cluster's: {ex.GetBaseException().Message}");
        }
    }
}

internal sealed class SchedulerHealthCheck(ISchedulerFactory schedulerFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
        return scheduler.Status == SchedulerStatus.Running
            ? HealthCheckResult.Healthy("running")
            : HealthCheckResult.Unhealthy($"scheduler is {scheduler.Status.ToString().ToLowerInvariant()}");
    }
}
