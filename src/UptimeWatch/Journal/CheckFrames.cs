using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// Coalesces public check results for the public SSE stream: instead of one frame per check per viewer (which grows
/// with the number of monitors times the number of viewers), each viewer gets one <c>checks</c> frame per window
/// with the newest check of every public monitor checked in it, plus what the window's other checks add to today's
/// bar and the response-time chart. Not thread-safe: <see cref="LivePublisher"/> calls it under its publish lock, so
/// a frame never overtakes a status event published before it.
/// </summary>
internal sealed class CheckFrames
{
    /// <summary>The SSE event type of a coalesced frame.</summary>
    public const string Kind = "checks";

    // Insertion order = the order monitors were first checked in the window; small, and emptied every window.
    private readonly Dictionary<int, Window> _pending = [];

    public int Pending => _pending.Count;

    public void Add(int monitorId, CheckEventDto check)
    {
        if (!_pending.TryGetValue(monitorId, out var window))
        {
            window = new Window();
            _pending.Add(monitorId, window);
        }
        window.Add(check);
    }

    /// <summary>A monitor's displayed status changed without a check (paused, resumed, maintenance): a pending entry must not carry the old one.</summary>
    public void StatusChanged(int monitorId, string status)
    {
        if (_pending.TryGetValue(monitorId, out var window))
        {
            window.Latest = window.Latest with { Status = status };
        }
    }

    /// <summary>Takes the window's entries, leaving out monitors <paramref name="isPublic"/> no longer says are public; null when there are none.</summary>
    public ChecksFrameDto? Take(Func<int, bool> isPublic)
    {
        if (_pending.Count == 0)
        {
            return null;
        }
        var checks = new List<CoalescedCheckDto>(_pending.Count);
        foreach (var (monitorId, window) in _pending)
        {
            if (isPublic(monitorId))
            {
                checks.Add(window.ToDto());
            }
        }
        _pending.Clear();
        return checks.Count == 0 ? null : new ChecksFrameDto(checks);
    }

    private sealed class Window
    {
        public CheckEventDto Latest = null!;
        private int _count;
        private int _failures;
        private int _timed;
        private long _timedSumMs;
        private int _maxMs;

        public void Add(CheckEventDto check)
        {
            // Checks of one monitor commit in order, but keep the newest by its time, whatever the order.
            if (_count == 0 || check.At >= Latest.At)
            {
                Latest = check;
            }
            _count++;
            if (check.Outcome == "down")
            {
                _failures++;
            }
            else if (check.ResponseMs is { } ms)
            {
                // Like the server's hourly figures: response times of checks that got an acceptable answer only.
                _timed++;
                _timedSumMs += ms;
                _maxMs = Math.Max(_maxMs, ms);
            }
        }

        public CoalescedCheckDto ToDto() => new(Latest.Monitor, Latest.At, Latest.Outcome, Latest.ResponseMs, Latest.Status,
            _count, _failures, _timed, _timed > 0 ? (int)Math.Round((double)_timedSumMs / _timed) : null, _timed > 0 ? _maxMs : null);
    }
}

/// <summary>The data of a <c>checks</c> frame.</summary>
internal sealed record ChecksFrameDto(IReadOnlyList<CoalescedCheckDto> Checks);

/// <summary>
/// One public monitor in a <c>checks</c> frame: its newest check in the window (the fields of the admin socket's
/// <c>check</c> event) and the window's totals: <paramref name="Count"/> checks, <paramref name="Failures"/> of them
/// down, <paramref name="Timed"/> with a response time that counts (answered, not down) averaging
/// <paramref name="AvgMs"/> and at most <paramref name="MaxMs"/>.
/// </summary>
internal sealed record CoalescedCheckDto(string Monitor, DateTimeOffset At, string Outcome, int? ResponseMs, string Status,
    int Count, int Failures, int Timed, int? AvgMs, int? MaxMs);
