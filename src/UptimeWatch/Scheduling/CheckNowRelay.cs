using System.Collections.Concurrent;
using System.Text.Json;
using UptimeWatch.Storage;

namespace UptimeWatch.Scheduling;

/// <summary>
/// "Check now" on a cluster runs on the node that runs the monitor's partition now, in the monitor's turn there, so it
/// never overlaps that node's scheduled check of the same monitor. The asked node NOTIFYs <see cref="Requests"/> with the
/// monitor and a request id; the owner (the node running the partition's current window) answers <c>accepted</c> on
/// <see cref="Answers"/> at once, runs the check, and answers with its outcome once the check is committed. When no node
/// accepts (the owner is dead, or between two windows twice in a row) the asked node runs the check itself.
/// </summary>
internal sealed partial class CheckNowRelay(DatabaseSignals signals, PartitionRunner partitions, IHostApplicationLifetime lifetime,
    ILogger<CheckNowRelay> logger) : BackgroundService
{
    public const string Requests = "uw_check_now";
    public const string Answers = "uw_check_now_done";

    /// <summary>How long the asker waits for an owner to accept; asked once more halfway (a window may just be changing hands).</summary>
    private static readonly TimeSpan AcceptWait = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan MaxAnswerWait = TimeSpan.FromMinutes(5);

    /// <summary>What an error text may take of a notification's payload (PostgreSQL refuses 8000 bytes and more).</summary>
    private const int MaxErrorLength = 2000;

    private readonly ConcurrentDictionary<string, Waiter> _waiting = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs the check on the monitor's owner (here when this node owns it or no owner answers); null: no such active monitor.</summary>
    public async Task<CheckNowOutcome?> RunAsync(int monitorId, CancellationToken cancellationToken)
    {
        if (!signals.Enabled || partitions.RunsWindowOf(monitorId) || !_listening.Task.IsCompleted)
        {
            return await partitions.CheckNowAsync(monitorId, cancellationToken);
        }
        var request = new Request(monitorId, Guid.NewGuid().ToString("N"));
        var waiter = new Waiter();
        _waiting[request.Id] = waiter;
        try
        {
            var payload = JsonSerializer.Serialize(request, JsonSerializerOptions.Web);
            for (var attempt = 0; attempt < 2 && !waiter.Accepted.Task.IsCompleted; attempt++)
            {
                await signals.NotifyAsync(Requests, payload, cancellationToken);
                await Task.WhenAny(waiter.Accepted.Task, Task.Delay(AcceptWait / 2, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
            }
            if (!waiter.Accepted.Task.IsCompleted)
            {
                LogNoOwner(monitorId);
                return await partitions.CheckNowAsync(monitorId, cancellationToken);
            }
            // The caller gives up at its own deadline; this bound only frees the waiter of an owner that died after accepting.
            var answer = await waiter.Done.Task.WaitAsync(MaxAnswerWait, cancellationToken);
            return answer.Error is { } error
                ? throw new InvalidOperationException($"The check of monitor {monitorId} on node {answer.Node} failed: {error}")
                : answer.Outcome;
        }
        finally
        {
            _waiting.TryRemove(request.Id, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!signals.Enabled)
        {
            return;
        }
        using var requests = signals.Subscribe(Requests, payload =>
            {
                if (Parse<Request>(payload) is { } request && partitions.RunsWindowOf(request.MonitorId))
                {
                    // Off the listener's thread: it must keep hearing.
                    _ = Task.Run(() => AnswerAsync(request, lifetime.ApplicationStopping));
                }
            },
            () => _listening.TrySetResult());
        using var answers = signals.Subscribe(Answers, payload =>
            {
                if (Parse<Answer>(payload) is { } answer && _waiting.TryGetValue(answer.Request, out var waiter))
                {
                    waiter.Accepted.TrySetResult();
                    if (answer.Kind == "done")
                    {
                        waiter.Done.TrySetResult(answer);
                    }
                }
            },
            () => { });
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>On the owner: accept, run the check in the monitor's turn, and answer once it is committed.</summary>
    private async Task AnswerAsync(Request request, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(new Answer(request.Id, "accepted", partitions.Node, null, null), cancellationToken);
            Answer answer;
            try
            {
                var outcome = await partitions.CheckNowAsync(request.MonitorId, cancellationToken);
                answer = outcome is null
                    // Not active there: the asker answers as it does when the monitor is not active on it.
                    ? new Answer(request.Id, "done", partitions.Node, null, null)
                    // Only what the asker's answer shows, so the payload stays small: no timings, no verdict history.
                    : new Answer(request.Id, "done", partitions.Node, outcome with
                    {
                        Result = outcome.Result with { Timings = null, Error = outcome.Result.Error is { Length: > MaxErrorLength } e ? e[..MaxErrorLength] : outcome.Result.Error },
                        State = outcome.State with { History = "" },
                    }, null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCheckFailed(ex, request.MonitorId);
                answer = new Answer(request.Id, "done", partitions.Node, null, "the check could not run");
            }
            await SendAsync(answer, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The asker gives up at its deadline and says so.
            LogAnswerFailed(ex, request.MonitorId);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task SendAsync(Answer answer, CancellationToken cancellationToken) =>
        signals.NotifyAsync(Answers, JsonSerializer.Serialize(answer, JsonSerializerOptions.Web), cancellationToken);

    private static T? Parse<T>(string payload) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Request(int MonitorId, string Id);

    /// <summary><c>accepted</c> (the owner took the request) or <c>done</c> (committed: the outcome, or an error).</summary>
    private sealed record Answer(string Request, string Kind, string Node, CheckNowOutcome? Outcome, string? Error);

    private sealed class Waiter
    {
        public TaskCompletionSource Accepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<Answer> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(LogLevel.Information, "No node owns monitor {MonitorId}'s partition now (or its owner did not answer): checking it here")]
    private partial void LogNoOwner(int monitorId);

    [LoggerMessage(LogLevel.Error, "The check of monitor {MonitorId} asked for by another node failed")]
    private partial void LogCheckFailed(Exception exception, int monitorId);

    [LoggerMessage(LogLevel.Warning, "Could not answer another node's check-now of monitor {MonitorId}")]
    private partial void LogAnswerFailed(Exception exception, int monitorId);
}
