using UptimeWatch.Configuration;
using UptimeWatch.Probing;
using UptimeWatch.Storage;

namespace UptimeWatch.Monitoring;

/// <summary>
/// The live side of one active monitor: its definition and its current state. Checks of one monitor never run
/// concurrently (the job is <c>DisallowConcurrentExecution</c>; push heartbeats take the same lock), the lock
/// also guards readers.
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

    /// <summary>Push monitors: when the last heartbeat arrived.</summary>
    public DateTimeOffset? LastHeartbeatAt { get; set; }

    public MonitorState State
    {
        get { lock (_lock) { return _state; } }
    }

    public Thresholds Thresholds => new(Definition.FailureThreshold, Definition.SuccessThreshold, Definition.FlapStartPercent, Definition.FlapStopPercent);

    /// <summary>Applies one check result and says what must be stored: the result, the new state, maybe a status change.</summary>
    public CheckWrite Record(ProbeResult result, DateTimeOffset startedAt, DateTimeOffset finishedAt)
    {
        var definition = Definition;
        var thresholds = Thresholds;
        var maintenanceEnd = definition.Maintenance.Select(w => w.EndOf(startedAt)).FirstOrDefault(e => e is not null);
        lock (_lock)
        {
            var before = _state;
            _state = MonitorStateMachine.Apply(before, result.Verdict, thresholds, definition.InMaintenance(startedAt));
            LastCheckFinishedAt = finishedAt;

            StatusChange? change = null;
            if (_state.Status != before.Status)
            {
                _statusSince = startedAt;
                change = new StatusChange(before.Status, _state.Status, startedAt,
                    MonitorStateMachine.Reason(before, _state, result, thresholds, maintenanceEnd));
            }

            var outcome = result.Verdict switch
            {
                Verdict.Up => CheckOutcome.Up,
                Verdict.Degraded => CheckOutcome.Degraded,
                _ => CheckOutcome.Down,
            };
            var check = new CheckRecord(startedAt, outcome, result.ElapsedMs, result.HttpStatus, result.Error)
            {
                Timings = result.Timings,
                CertificateDaysLeft = result.CertificateDaysLeft,
            };
            var snapshot = new StateSnapshot(_state, _statusSince, startedAt, result.ElapsedMs, LastHeartbeatAt);
            return new CheckWrite(Id, definition.Slug, [check], snapshot, change);
        }
    }
}

/// <summary>One slot's stored form.</summary>
internal sealed record CheckRecord(DateTimeOffset At, CheckOutcome Outcome, int? ResponseMs, int? HttpStatus, string? Error)
{
    public ProbeTimings? Timings { get; init; }
    public int? CertificateDaysLeft { get; init; }
}

/// <summary>The state to persist on the monitor row after a check.</summary>
internal sealed record StateSnapshot(MonitorState State, DateTimeOffset? StatusSince, DateTimeOffset LastCheckedAt, int? LastResponseMs,
    DateTimeOffset? LastHeartbeatAt);

/// <summary>A change of status, to append to the event log.</summary>
internal sealed record StatusChange(MonitorStatus From, MonitorStatus To, DateTimeOffset At, string Reason);

/// <summary>Everything one check (and the slots it found missed) writes, in one transaction.</summary>
internal sealed record CheckWrite(int MonitorId, string Slug, IReadOnlyList<CheckRecord> Checks, StateSnapshot? State, StatusChange? Change);
