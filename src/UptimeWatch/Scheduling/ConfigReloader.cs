using Microsoft.Extensions.Primitives;
using UptimeWatch.Configuration;
using UptimeWatch.Monitoring;
using UptimeWatch.Journal;

namespace UptimeWatch.Scheduling;

/// <summary>
/// Picks up edits to the config file without a restart. The new file is validated first with the same rules as
/// at start-up; an invalid file is rejected with every error logged, and the running monitors go on unchanged.
/// A valid one is applied like a start-up sync: monitors added, changed or archived, then rescheduled.
/// Only <c>UptimeWatch:Monitors</c> is reloaded; storage, scheduler and listening settings need a restart.
/// </summary>
internal sealed partial class ConfigReloader(
    IConfiguration configuration,
    ConfigMonitorSync sync,
    MonitorRegistry registry,
    ScheduleReconciler reconciler,
    DefinitionGate gate,
    LivePublisher live,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<ConfigReloader> logger) : IHostedService, IDisposable
{
    /// <summary>Editors save in several writes; wait for the file to settle before reading it.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    private IDisposable? _subscription;
    private ITimer? _debounce;

    /// <summary>The problems of the last rejected file, or empty when the last reload (or start-up) was applied.</summary>
    public IReadOnlyList<string> LastErrors { get; private set; } = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, () =>
        {
            _debounce?.Dispose();
            _debounce = time.CreateTimer(_ => _ = ReloadAsync(lifetime.ApplicationStopping), null, Settle, Timeout.InfiniteTimeSpan);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _debounce?.Dispose();
    }

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        using var turn = await gate.EnterAsync(cancellationToken);
        try
        {
            var read = UptimeWatchConfigReader.Read(configuration);
            if (read.Errors.Count > 0)
            {
                LastErrors = read.Errors;
                LogRejected(read.Errors.Count, string.Join(Environment.NewLine, read.Errors.Select(e => "  - " + e)));
                live.PublishAdmin("config.rejected", new ConfigStatusChanged(Configuration.ConfigurationExtensions.MonitorsFile(configuration), read.Errors));
                return;
            }
            LastErrors = [];
            // Not applied in a cluster whose file this already is (or that this node's old file would revert): the
            // monitors are still reloaded, since what the cluster runs may have changed meanwhile.
            var applied = await sync.SyncAsync(read.Monitors, cancellationToken);
            await registry.LoadAsync(cancellationToken);
            await reconciler.ReconcileAsync(cancellationToken);
            if (applied)
            {
                LogApplied(read.Monitors.Count);
            }
            live.PublishAdmin("monitors.changed", new MonitorsChanged(null, "reloaded"));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the next start reads the file anyway.
        }
        catch (Exception ex)
        {
            LogFailed(ex);
        }
    }

    [LoggerMessage(LogLevel.Error, "The changed config file was NOT applied ({Count} errors); monitors keep running as before:\n{Errors}")]
    private partial void LogRejected(int count, string errors);

    [LoggerMessage(LogLevel.Information, "Applied the changed config file: {Count} monitors")]
    private partial void LogApplied(int count);

    [LoggerMessage(LogLevel.Error, "Applying the changed config file failed; monitors keep running as before")]
    private partial void LogFailed(Exception exception);
}

/// <summary>A <c>config.rejected</c> push: the file, and why it was not applied.</summary>
internal sealed record ConfigStatusChanged(string? File, IReadOnlyList<string> Errors);

/// <summary>A <c>monitors.changed</c> push: which monitor (null: possibly all) and how.</summary>
internal sealed record MonitorsChanged(string? Slug, string Change);
