using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Quartz;
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
            .AddCheck<SchedulerHealthCheck>("scheduler");
        return builder;
    }

    /// <summary>
    /// <c>GET /healthz</c>: 200 when the process, the database, writes to it and the scheduler all work, 503 otherwise.
    /// </summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteAsync })
            .WithName("Health")
            .WithSummary("Process, database, storage (writes) and scheduler health.");
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
