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
    private readonly OneAtATime _turn = new();
    private MonitorState _state = state;
    private DateTimeOffset? _statusSince = statusSince;

    public int Id { get; } = id;

    public MonitorDefinition Definition { get; set; } = definition;

    /// <summary>When the last check of this monitor started and finished; tells a missed slot's reason.</summary>
    public (DateTimeOffset StartedAt, DateTimeOffset FinishedAt)? LastCheck { get; private set; }

    /// <summary>When this monitor was last resumed in this process, if it was.</summary>
    public DateTimeOffset? ResumedAt { get; private set; }

    /// <summary>Called after it is paused or resumed (<see cref="MonitorRegistry.Version"/> moves with it).</summary>
    public Action? PausedChanged { get; init; }

    /// <summary>Push monitors: when the last heartbeat arrived.</summary>
    public DateTimeOffset? LastHeartbeatAt { get; set; }

    /// <summary>
    /// Push monitors on a cluster: when the last check any node stored began, read from the database before each judgement;
    /// a deadline before it was already judged (or a heartbeat came after it). Null on a single node, which remembers itself.
    /// </summary>
    public DateTimeOffset? LastRecordedAt { get; set; }

    public MonitorState State
    {
        get { lock (_lock) { return _state; } }
    }

    /// <summary>Its alert rules (its own over the defaults), set whenever its definition is loaded.</summary>
    public Configuration.AlertRulesSettings AlertRules { get; set; } = new() { Channels = [] };

    /// <summary>Maintenance windows set in the console, besides the definition's own.</summary>
    public IReadOnlyList<MaintenanceWindow> ExtraMaintenance { get; set; } = [];

    /// <summary>This server's own location (<c>UptimeWatch:Location</c>), set whenever its definition is loaded.</summary>
    public string ServerLocation { get; set; } = "local";

    /// <summary>
    /// Whether its status is a quorum of its locations' verdicts (docs/locations.md): its <c>Locations</c> name an agent's
    /// location, or are <c>all</c>. Otherwise only this server checks it, and its thresholds decide alone.
    /// </summary>
    public bool ByQuorum => Definition.Locations is { } l && (l.All || l.Names.Any(n => !n.Equals(ServerLocation, StringComparison.OrdinalIgnoreCase)));

    // What each location's own checks confirmed (the monitor's thresholds, per location) and when it last checked.
    // Rebuilt from the stored checks when the monitor is loaded (RestoreVotes).
    // CutOff: its latest check was made while it could not reach the internet (held, not counted).
    private readonly Dictionary<string, (MonitorState State, DateTimeOffset LastReportAt, bool CutOff)> _votes = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// When this process began to listen for its locations' reports: when it loaded the monitor, or resumed it. No
    /// location is offline before it has had three intervals from then to report (<see cref="LocationQuorum.IsOffline"/>).
    /// </summary>
    public DateTimeOffset ListeningSince { get; set; }

    public Thresholds Thresholds => new(Definition.FailureThreshold, Definition.SuccessThreshold, Definition.FlapStartPercent, Definition.FlapStopPercent);

    /// <summary>
    /// One at a time per monitor for callers outside the scheduler: a push heartbeat and the scheduled
    /// no-heartbeat check both read the heartbeat clock, apply a verdict and queue the write. Each does all three
    /// in its turn, so a check never records a "no heartbeat" decided just before a heartbeat landed, and the writer
    /// gets results in the order they were decided. Async, because queueing the write may wait for room.
    /// </summary>
    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken) => _turn.EnterAsync(cancellationToken);

    /// <summary>
    /// Applies one check result and says what must be stored: the result, the new state, maybe a status change.
    /// <paramref name="held"/>: this server could not reach the internet (its canaries failed) when the check was made, so
    /// the check is stored as saying nothing of the target and the monitor's state does not move.
    /// </summary>
    public Judgement Record(ProbeResult result, DateTimeOffset startedAt, DateTimeOffset finishedAt, bool held = false)
    {
        if (ByQuorum)
        {
            LastCheck = (startedAt, finishedAt);
            return RecordAt(ServerLocation, CheckResult.ThisServer, result, startedAt, null, finishedAt, held);
        }
        var definition = Definition;
        var thresholds = Thresholds;
        var maintenanceEnd = definition.Maintenance.Concat(ExtraMaintenance).Select(w => w.EndOf(startedAt)).FirstOrDefault(e => e is not null);
        var inMaintenance = maintenanceEnd is not null;
        lock (_lock)
        {
            if (held)
            {
                LastCheck = (startedAt, finishedAt);
                return new Judgement(Id, definition, [Held(ToRecord(result, startedAt, inMaintenance), result, "this server")],
                    new StateSnapshot(_state, _statusSince, startedAt, result.ElapsedMs, LastHeartbeatAt), null) { Rules = AlertRules };
            }
            var before = _state;
            _state = MonitorStateMachine.Apply(before, result.Verdict, thresholds, inMaintenance);
            LastCheck = (startedAt, finishedAt);

            StatusChange? change = null;
            if (_state.Status != before.Status || _state.Flapping != before.Flapping)
            {
                // The flag starting or stopping is an event of its own (from = to): it changes what notifications do.
                _statusSince = _state.Status != before.Status ? startedAt : _statusSince;
                change = new StatusChange(before.Status, _state.Status, startedAt,
                    MonitorStateMachine.Reason(before, _state, result, thresholds, maintenanceEnd))
                {
                    WasFlapping = before.Flapping,
                    Flapping = _state.Flapping,
                    Public = PublicReasons.ForChange(_state, result),
                };
            }

            var check = ToRecord(result, startedAt, inMaintenance);
            var snapshot = new StateSnapshot(_state, _statusSince, startedAt, result.ElapsedMs, LastHeartbeatAt);
            return new Judgement(Id, definition, [check], snapshot, change)
            {
                Rules = AlertRules,
                CertificateExpiring = result.CertificateDaysLeft is { } days && days < definition.CertificateExpiryWarningDays,
            };
        }
    }

    /// <summary>
    /// One check of a monitor judged by quorum, made from <paramref name="location"/> (this server's, or a probe agent's,
    /// <paramref name="locationId"/>): it moves that location's own state with the monitor's thresholds, then the
    /// monitor's status is the quorum of its locations' states (<see cref="LocationQuorum"/>) at <paramref name="now"/>.
    /// <paramref name="held"/>: the location could not reach the internet (its canaries failed) when the check was made:
    /// the check is stored as saying nothing of the target, the location's state does not move, and while its latest
    /// check is held it does not vote.
    /// </summary>
    public Judgement RecordAt(string location, int locationId, ProbeResult result, DateTimeOffset startedAt, DateTimeOffset? slot, DateTimeOffset now,
        bool held = false)
    {
        var definition = Definition;
        var inMaintenance = InMaintenance(startedAt);
        var check = ToRecord(result, startedAt, inMaintenance) with
        {
            Slot = slot, LocationId = locationId, Location = locationId == CheckResult.ThisServer ? null : location,
        };
        if (held)
        {
            check = Held(check, result, locationId == CheckResult.ThisServer ? "this server" : location);
        }
        lock (_lock)
        {
            VoteLocked(location, result.Verdict, startedAt, held);
            var change = JudgeLocked(now, startedAt);
            return new Judgement(Id, definition, [check], new StateSnapshot(_state, _statusSince, startedAt, result.ElapsedMs, LastHeartbeatAt), change)
            {
                Rules = AlertRules,
                CertificateExpiring = result.CertificateDaysLeft is { } days && days < definition.CertificateExpiryWarningDays,
            };
        }
    }

    /// <summary>
    /// Moves <paramref name="location"/>'s own state with one of its checks (none when <paramref name="held"/>). A check
    /// uploaded late (an agent that was cut off) counts for its location's state, but not as a fresh report.
    /// </summary>
    private void VoteLocked(string location, Verdict verdict, DateTimeOffset startedAt, bool held)
    {
        var vote = _votes.TryGetValue(location, out var v) ? v : (State: MonitorState.Initial, LastReportAt: DateTimeOffset.MinValue, CutOff: false);
        var latest = startedAt >= vote.LastReportAt;
        _votes[location] = (held ? vote.State : MonitorStateMachine.Apply(vote.State, verdict, Thresholds, inMaintenance: false),
            latest ? startedAt : vote.LastReportAt, latest ? held : vote.CutOff);
    }

    /// <summary>
    /// Each location's state as its stored checks, oldest first, left it, in place of what memory had
    /// (<see cref="MonitorRegistry"/> reads them when it loads a monitor judged by quorum, and a cluster turn before each
    /// judgement): what the locations confirmed before a restart, or told another node, stands here too.
    /// </summary>
    public void RestoreVotes(IEnumerable<LocationCheck> checks)
    {
        lock (_lock)
        {
            _votes.Clear();
            foreach (var check in checks)
            {
                VoteLocked(check.Location, check.Verdict, check.At, check.Held);
            }
        }
    }

    /// <summary>
    /// A monitor judged by quorum, looked at again without a new check: a location that stopped reporting goes offline
    /// and stops voting. The judgement to store when that changed its status, otherwise null.
    /// </summary>
    public Judgement? Rejudge(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!ByQuorum || _state.Status == MonitorStatus.Paused || JudgeLocked(now, now) is not { } change)
            {
                return null;
            }
            return new Judgement(Id, Definition, [], new StateSnapshot(_state, _statusSince, null, null, LastHeartbeatAt), change) { Rules = AlertRules };
        }
    }

    /// <summary>Whether <see cref="Rejudge"/> at <paramref name="now"/> would change its status (nothing is changed).</summary>
    public bool RejudgeDue(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (!ByQuorum || _state.Status == MonitorStatus.Paused)
            {
                return false;
            }
            var status = InMaintenance(now) ? MonitorStatus.Maintenance : VerdictLocked(now).Status;
            return status != _state.Status || _state.Flapping;
        }
    }

    /// <summary>What each of its locations says now, for the console: the location, its confirmed status, when it last checked, whether it is offline.</summary>
    public IReadOnlyList<(LocationView View, bool Offline)> Locations(DateTimeOffset now)
    {
        lock (_lock)
        {
            var interval = TimeSpan.FromSeconds(Definition.IntervalSeconds);
            return [.. ViewsLocked().Select(v => (v, LocationQuorum.IsOffline(v, now, interval, ListeningSince)))];
        }
    }

    private List<LocationView> ViewsLocked()
    {
        var locations = Definition.Locations;
        IEnumerable<string> names = locations.All
            ? new[] { ServerLocation }.Concat(_votes.Keys.Where(k => !k.Equals(ServerLocation, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.OrdinalIgnoreCase))
            : locations.Names;
        return [.. names.Select(n => _votes.TryGetValue(n, out var vote)
            ? new LocationView(n, vote.State.Base, vote.LastReportAt, vote.CutOff)
            : new LocationView(n, MonitorStatus.Unknown, null, CutOff: false))];
    }

    /// <summary>Sets the monitor's status from its locations; the change, if any. Under the lock; nothing while paused.</summary>
    private StatusChange? JudgeLocked(DateTimeOffset now, DateTimeOffset at)
    {
        var before = _state;
        if (before.Status == MonitorStatus.Paused)
        {
            return null;
        }
        var verdict = VerdictLocked(now);
        var inMaintenance = InMaintenance(at);
        var status = inMaintenance ? MonitorStatus.Maintenance : verdict.Status;
        _state = new MonitorState(status, verdict.Status, 0, 0, before.History, Flapping: false);
        if (status == before.Status && !before.Flapping)
        {
            return null;
        }
        _statusSince = status != before.Status ? at : _statusSince;
        return new StatusChange(before.Status, status, at, inMaintenance ? $"in maintenance; {verdict.Reason}" : verdict.Reason)
        {
            WasFlapping = before.Flapping,
            Public = inMaintenance ? PublicReasons.ForStatus(MonitorStatus.Maintenance)
                : new PublicReason(status.ToString().ToLowerInvariant(), verdict.PublicReason),
        };
    }

    private QuorumVerdict VerdictLocked(DateTimeOffset now)
    {
        var views = ViewsLocked();
        var quorum = Definition.Quorum ?? LocationQuorum.Majority(views.Count);
        return LocationQuorum.Judge(views, Math.Min(quorum, Math.Max(views.Count, 1)), TimeSpan.FromSeconds(Definition.IntervalSeconds), now,
            ListeningSince);
    }

    private bool InMaintenance(DateTimeOffset at) => Definition.Maintenance.Concat(ExtraMaintenance).Any(w => w.EndOf(at) is not null);

    /// <summary>
    /// A check made while its location could not reach the internet: stored as a slot with no verdict on the target
    /// (counted neither up nor down, as a missed one), with what the probe found in its error.
    /// </summary>
    private static CheckRecord Held(CheckRecord check, ProbeResult result, string where) => check with
    {
        Outcome = CheckOutcome.Missed,
        Category = PublicReasons.Held,
        Error = $"not counted: {where} could not reach the internet (every canary failed); the check found: "
            + (result.Error ?? (result.Verdict == Verdict.Up ? "up" : result.Verdict.ToString().ToLowerInvariant())),
    };

    private static CheckRecord ToRecord(ProbeResult result, DateTimeOffset startedAt, bool inMaintenance) =>
        new(startedAt, result.Verdict switch
        {
            Verdict.Up => CheckOutcome.Up,
            Verdict.Degraded => CheckOutcome.Degraded,
            _ => CheckOutcome.Down,
        }, result.ElapsedMs, result.HttpStatus, result.Error)
        {
            Timings = result.Timings,
            CertificateDaysLeft = result.CertificateDaysLeft,
            Category = result.Failure is { } failure ? PublicReasons.Category(failure) : null,
            InMaintenance = inMaintenance,
        };

    /// <summary>
    /// Takes the state as stored (streaks, flap history, pending confirmation), when this process starts running a
    /// monitor that another cluster node ran until now: its own copy may be older than what that node stored.
    /// </summary>
    public void Restore(MonitorState state, DateTimeOffset? statusSince, DateTimeOffset? lastHeartbeatAt)
    {
        lock (_lock)
        {
            _state = state;
            _statusSince = statusSince;
            LastHeartbeatAt = lastHeartbeatAt ?? LastHeartbeatAt;
        }
    }

    /// <summary>Stops judging the monitor: status <c>paused</c> until resumed. Null when it already is paused.</summary>
    public Judgement? Pause(DateTimeOffset at, string by) => SetStatus(at, s => s.Status == MonitorStatus.Paused
        ? null
        : (s with { Status = MonitorStatus.Paused, Flapping = false }, $"paused by {by}", PublicReasons.ForStatus(MonitorStatus.Paused)));

    /// <summary>
    /// Starts judging again from scratch (status <c>unknown</c> until the next checks decide), since what was known
    /// before the pause may no longer be true. Null when it is not paused.
    /// </summary>
    public Judgement? Resume(DateTimeOffset at, string by)
    {
        var write = SetStatus(at, s => s.Status != MonitorStatus.Paused ? null : (MonitorState.Initial, $"resumed by {by}",
            new PublicReason(PublicReasons.Resumed, PublicReasons.Text(PublicReasons.Resumed))));
        if (write is not null)
        {
            ResumedAt = at;
            lock (_lock)
            {
                _votes.Clear();
                ListeningSince = at;
            }
        }
        return write;
    }

    /// <summary>
    /// Takes <paramref name="state"/> as read from the database, written by another node (a pause or resume there):
    /// nothing is stored, the other node did that. A monitor that leaves <c>paused</c> counts as resumed at <paramref name="now"/>.
    /// </summary>
    public void Restore(MonitorState state, DateTimeOffset? statusSince, DateTimeOffset now)
    {
        bool flipped;
        lock (_lock)
        {
            if (_state.Status == MonitorStatus.Paused && state.Status != MonitorStatus.Paused)
            {
                ResumedAt = now;
            }
            flipped = (_state.Status == MonitorStatus.Paused) != (state.Status == MonitorStatus.Paused);
            _state = state;
            _statusSince = statusSince;
        }
        if (flipped)
        {
            PausedChanged?.Invoke();
        }
    }

    private Judgement? SetStatus(DateTimeOffset at, Func<MonitorState, (MonitorState State, string Reason, PublicReason Public)?> change)
    {
        Judgement judgement;
        lock (_lock)
        {
            var before = _state;
            if (change(before) is not { } next)
            {
                return null;
            }
            _state = next.State;
            _statusSince = at;
            // No rules: a pause or resume is someone's choice, told to no one.
            judgement = new Judgement(Id, Definition, [], new StateSnapshot(_state, at, null, null, LastHeartbeatAt),
                new StatusChange(before.Status, _state.Status, at, next.Reason) { WasFlapping = before.Flapping, Flapping = _state.Flapping, Public = next.Public });
        }
        PausedChanged?.Invoke();
        return judgement;
    }
}

/// <summary>
/// What one check, pause or resume did to a monitor: the checks to store, its state now, the status change if any, and
/// what deciding on notifications needs. The caller hands it to the Journal.
/// </summary>
internal sealed record Judgement(int MonitorId, MonitorDefinition Definition, IReadOnlyList<CheckRecord> Checks, StateSnapshot State,
    StatusChange? Change)
{
    /// <summary>The rules to tell <see cref="Change"/> under; null for a pause or resume, which tell no one.</summary>
    public Configuration.AlertRulesSettings? Rules { get; init; }

    /// <summary>Whether the check found the certificate closer to expiry than the monitor's warning.</summary>
    public bool CertificateExpiring { get; init; }
}

/// <summary>One stored check of a monitor judged by quorum, as <see cref="MonitorRuntime.RestoreVotes"/> replays it.</summary>
internal readonly record struct LocationCheck(string Location, DateTimeOffset At, Verdict Verdict, bool Held);

/// <summary>One slot's stored form.</summary>
internal sealed record CheckRecord(DateTimeOffset At, CheckOutcome Outcome, int? ResponseMs, int? HttpStatus, string? Error)
{
    public ProbeTimings? Timings { get; init; }
    public int? CertificateDaysLeft { get; init; }
    public bool InMaintenance { get; init; }

    /// <summary>The failure's public category (<see cref="PublicReasons"/>); null when the check did not fail.</summary>
    public string? Category { get; init; }

    /// <summary>On a cluster: the scheduled slot this record fills (unique per monitor) and the node that ran or missed it.</summary>
    public DateTimeOffset? Slot { get; init; }

    /// <inheritdoc cref="Slot"/>
    public string? Node { get; init; }

    /// <summary>Where it was made from: <see cref="CheckResult.ThisServer"/>, or a probe agent's location (its slot is then always set).</summary>
    public int LocationId { get; init; }

    /// <summary>The name of <see cref="LocationId"/> for an agent's check, for live viewers and metrics; null for this server's own.</summary>
    public string? Location { get; init; }
}

/// <summary>The state to persist on the monitor row after a check.</summary>
/// <remarks>A null <paramref name="LastCheckedAt"/> (pause, resume) leaves the last check's time and response time as they are.</remarks>
internal sealed record StateSnapshot(MonitorState State, DateTimeOffset? StatusSince, DateTimeOffset? LastCheckedAt, int? LastResponseMs,
    DateTimeOffset? LastHeartbeatAt);

/// <summary>A change of status or of the flapping flag (or both), to append to the event log.</summary>
/// <remarks><paramref name="Reason"/> is the full text (admin, alerts); <see cref="Public"/> what the public is shown.</remarks>
internal sealed record StatusChange(MonitorStatus From, MonitorStatus To, DateTimeOffset At, string Reason)
{
    /// <summary>Whether the monitor was flapping before the change.</summary>
    public bool WasFlapping { get; init; }

    /// <summary>Whether it is flapping after it.</summary>
    public bool Flapping { get; init; }

    /// <summary>The public reason; null only where no one made one (then the public sees the new status).</summary>
    public PublicReason? Public { get; init; }
}
