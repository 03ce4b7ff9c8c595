using System.Globalization;
using UptimeWatch.Configuration;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// The live side of one active monitor: its definition and its current state. Checks of one monitor never run
/// concurrently (the job is <c>DisallowConcurrentExecution</c>), the lock only guards readers.
/// </summary>
internal sealed class MonitorRuntime(int id, MonitorDefinition definition, MonitorState state, DateTimeOffset? statusSince)
{
    private readonly Lock _lock = new();
    private MonitorState _state = state;
    private DateTimeOffset? _statusSince = statusSince;

    public int Id { get; } = id;

    public MonitorDefinition Definition { get; set; } = definition;

    /// <summary>When the last check of this monitor finished; tells a missed slot's reason.</summary>
    public DateTimeOffset? LastCheckFinishedAt { get; private set; }

    public MonitorState State
    {
        get { lock (_lock) { return _state; } }
    }

    /// <summary>Applies one check result and says what must be stored: the result, the new state, maybe a status change.</summary>
    public CheckWrite Record(ProbeResult result, DateTimeOffset startedAt, DateTimeOffset finishedAt)
    {
        var definition = Definition;
        lock (_lock)
        {
            var before = _state;
            _state = MonitorStateMachine.Apply(before, result.Success, definition.FailureThreshold, definition.SuccessThreshold);
            LastCheckFinishedAt = finishedAt;

            StatusChange? change = null;
            if (_state.Status != before.Status)
            {
                _statusSince = startedAt;
                change = new StatusChange(before.Status, _state.Status, startedAt, Reason(_state, result));
            }

            var check = new CheckRecord(startedAt, result.Success ? CheckOutcome.Up : CheckOutcome.Down,
                result.ElapsedMs, result.HttpStatus, result.Error);
            var snapshot = new StateSnapshot(_state, _statusSince, startedAt, result.ElapsedMs);
            return new CheckWrite(Id, definition.Slug, [check], snapshot, change);
        }
    }

    private static string Reason(MonitorState state, ProbeResult result)
    {
        if (state.Status == MonitorStatus.Down)
        {
            var n = state.ConsecutiveFailures;
            return $"{n.ToString(CultureInfo.InvariantCulture)} consecutive {(n == 1 ? "failure" : "failures")}: {result.Error}";
        }
        var s = state.ConsecutiveSuccesses;
        var detail = result.HttpStatus is { } status
            ? $"HTTP {status.ToString(CultureInfo.InvariantCulture)} in {result.ElapsedMs.ToString(CultureInfo.InvariantCulture)} ms"
            : $"responded in {result.ElapsedMs.ToString(CultureInfo.InvariantCulture)} ms";
        return $"{s.ToString(CultureInfo.InvariantCulture)} consecutive {(s == 1 ? "success" : "successes")}: {detail}";
    }
}

/// <summary>One slot's stored form.</summary>
internal sealed record CheckRecord(DateTimeOffset At, CheckOutcome Outcome, int? ResponseMs, int? HttpStatus, string? Error);

/// <summary>The state to persist on the monitor row after a check.</summary>
internal sealed record StateSnapshot(MonitorState State, DateTimeOffset? StatusSince, DateTimeOffset LastCheckedAt, int? LastResponseMs);

/// <summary>A change of status, to append to the event log.</summary>
internal sealed record StatusChange(MonitorStatus From, MonitorStatus To, DateTimeOffset At, string Reason);

/// <summary>Everything one check (and the slots it found missed) writes, in one transaction.</summary>
internal sealed record CheckWrite(int MonitorId, string Slug, IReadOnlyList<CheckRecord> Checks, StateSnapshot? State, StatusChange? Change);
