using System.Globalization;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Probing;
using UptimeWatch.Scheduling;
using UptimeWatch.Storage;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Operations on the running monitor (pause, resume, check now): they go through the single writer, in the monitor's
/// turn, so they are ordered with the checks around them.
/// </summary>
internal sealed partial class MonitorOperations(
    MonitorQueries queries,
    DefinitionGate gate,
    ScheduleReconciler reconciler,
    JournalWriter writer,
    CheckNow checkNow,
    ProbeRunner probes,
    MonitorChangeSignal cluster,
    TimeProvider time,
    ILogger<MonitorOperations> logger)
{
    public Task<MonitorView> PauseAsync(string slug, string by, CancellationToken cancellationToken) =>
        SetPausedAsync(slug, by, pause: true, cancellationToken);

    public Task<MonitorView> ResumeAsync(string slug, string by, CancellationToken cancellationToken) =>
        SetPausedAsync(slug, by, pause: false, cancellationToken);

    private async Task<MonitorView> SetPausedAsync(string slug, string by, bool pause, CancellationToken cancellationToken)
    {
        var monitor = queries.Runtime(slug);
        using (await gate.EnterAsync(cancellationToken))
        {
            Task<Committed>? stored = null;
            using (await monitor.EnterAsync(cancellationToken))
            {
                var now = time.GetUtcNow();
                if ((pause ? monitor.Pause(now, by) : monitor.Resume(now, by)) is { } judgement)
                {
                    // Once changed in memory, it must be stored even if the caller goes away now.
                    stored = await writer.AppendAwaitedAsync(CheckWrite.From(judgement), CancellationToken.None);
                }
            }
            if (stored is not null)
            {
                // The view returned below is read from the database: it must already say paused (or resumed).
                await stored.WaitAsync(cancellationToken);
                await reconciler.ReconcileAsync(cancellationToken);
                // The other nodes of a cluster stop (or start) checking it too.
                await cluster.NotifyAsync(monitor.Id, slug, pause ? "paused" : "resumed", cancellationToken);
                if (pause)
                {
                    LogPaused(slug, by);
                }
                else
                {
                    LogResumed(slug, by);
                    if (monitor.Definition.Type != MonitorType.Push)
                    {
                        // Judge it again at once rather than at the next slot, up to an interval away. (A push monitor
                        // waits for its sender, who has a whole period from now.)
                        _ = FireAndForgetCheckAsync(monitor.Id);
                    }
                }
            }
        }
        return await queries.GetAsync(slug, cancellationToken);
    }

    private async Task FireAndForgetCheckAsync(int monitorId)
    {
        try
        {
            await checkNow.RunAsync(monitorId, TimeSpan.FromMinutes(2), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFirstCheckFailed(ex, monitorId);
        }
    }

    public async Task<CheckNowResult> CheckNowAsync(string slug, CancellationToken cancellationToken)
    {
        var monitor = queries.Runtime(slug);
        var definition = monitor.Definition;
        if (monitor.State.Status == MonitorStatus.Paused)
        {
            // Paused: tell what the target does now, without judging or storing it.
            var at = time.GetUtcNow();
            var found = await probes.CheckAsync(definition, cancellationToken);
            return Result(definition.Slug, at, found, recorded: false, "paused");
        }
        // The probe's own deadline, plus room for a scheduled check of this monitor that may be running first.
        var deadline = TimeSpan.FromSeconds(2 * (definition.TimeoutSeconds > 0 ? definition.TimeoutSeconds : 10) + 10);
        CheckNowOutcome outcome;
        try
        {
            outcome = await checkNow.RunAsync(monitor.Id, deadline, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new AdminCommandException(AdminErrorCodes.Internal,
                $"The check of \"{slug}\" did not finish within {deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        return Result(definition.Slug, outcome.At, outcome.Result, recorded: outcome.Result.NothingNewUntil is null,
            StatusWords.Display(outcome.State.Status, outcome.State.ConsecutiveFailures)) with { Flapping = outcome.State.Flapping };
    }

    private static CheckNowResult Result(string slug, DateTimeOffset at, ProbeResult result, bool recorded, string status) =>
        new(slug, at, result.Verdict.ToString().ToLowerInvariant(), result.NothingNewUntil is null ? result.ElapsedMs : null, result.HttpStatus,
            result.Error ?? result.Summary, recorded, status);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} paused by {By}")]
    private partial void LogPaused(string monitor, string by);

    [LoggerMessage(LogLevel.Information, "Monitor {Monitor} resumed by {By}")]
    private partial void LogResumed(string monitor, string by);

    [LoggerMessage(LogLevel.Warning, "The first check of resumed monitor {MonitorId} failed to run")]
    private partial void LogFirstCheckFailed(Exception exception, int monitorId);
}
