using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>What one round of this location's canaries found: cut off when every canary failed.</summary>
internal sealed record CanaryRound(DateTimeOffset StartedAt, bool CutOff, IReadOnlyList<(string Target, ProbeResult Result)> Findings)
{
    /// <summary>The canaries and what each found, for a log line or a message: <c>https://a (timeout), tcp://b:53 (connection refused)</c>.</summary>
    public string Describe() => string.Join(", ", Findings.Select(f => f.Result.Verdict == Verdict.Down ? $"{f.Target} ({f.Result.Error})" : $"{f.Target} (answered)"));
}

/// <summary>
/// "Is it me?" for this location (the server, or an agent): its canaries (<c>Probing:Canaries</c>), a few targets
/// outside its own network, are checked every <c>Probing:CanaryIntervalSeconds</c>, and again whenever a check fails (or
/// any check ends while it is cut off) and the last round is older than that. While every canary fails the location is cut off: its checks'
/// verdicts are held (not counted) instead of turning each of its monitors down. One round at a time: callers who need a
/// fresh one while one runs share the next, and rounds start at most one every <see cref="MinGap"/>.
/// </summary>
internal sealed partial class Canaries(ProbeRunner probes, IOptions<UptimeWatchOptions> options, TimeProvider time, ILogger<Canaries> logger)
    : BackgroundService
{
    /// <summary>
    /// The least time between two rounds: however many checks keep failing (one target down, many monitors on it), the
    /// canaries are asked at most this often, never hammered.
    /// </summary>
    public static readonly TimeSpan MinGap = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyList<MonitorDefinition> _canaries = options.Value.Probing.Canaries;
    private readonly SemaphoreSlim _one = new(1, 1);
    private volatile CanaryRound? _last;
    private DateTimeOffset? _cutOffSince;

    // When the last cut-off was found over (the round that found the canaries answering again began).
    private DateTimeOffset? _reachableAgainAt;

    /// <summary>Whether this location has canaries at all; without them every verdict counts.</summary>
    public bool Configured => _canaries.Count > 0;

    /// <summary>The latest round; null before the first.</summary>
    public CanaryRound? Last => _last;

    /// <summary>Cut off as far as the latest round knows (no round is run for this).</summary>
    public bool CutOff => _last is { CutOff: true };

    /// <summary>When the present cut-off began (the first round that found every canary failing); null while reachable.</summary>
    public DateTimeOffset? CutOffSince => _cutOffSince;

    /// <summary>
    /// After a round that changed the answer (cut off, or reachable again, with when the cut-off began); handlers must be quick.
    /// </summary>
    public event Action<CanaryRound, DateTimeOffset?>? Changed;

    /// <summary>
    /// Whether a check that ran from <paramref name="startedAt"/> to <paramref name="endedAt"/> with
    /// <paramref name="verdict"/> is held because this location was cut off. Never without canaries.
    /// <list type="bullet">
    /// <item>A failure while the canaries were last found failing, or that began before they were found answering
    /// again, is held at once: it may well be the outage's doing.</item>
    /// <item>Any other failure is decided by a round that started at or after <paramref name="endedAt"/> (shared with
    /// every check that ended before it began): so the first failure of an outage already knows.</item>
    /// <item>A check that worked while they were last found failing is decided by such a round too: the first check
    /// after the outage counts again.</item>
    /// </list>
    /// </summary>
    public async ValueTask<bool> HoldsAsync(Verdict verdict, DateTimeOffset startedAt, DateTimeOffset endedAt, CancellationToken cancellationToken)
    {
        if (!Configured)
        {
            return false;
        }
        if (verdict == Verdict.Down)
        {
            return CutOff || _reachableAgainAt > startedAt || (await RoundSinceAsync(endedAt, cancellationToken)).CutOff;
        }
        return CutOff && (await RoundSinceAsync(endedAt, cancellationToken)).CutOff;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Configured)
        {
            return;
        }
        LogWatching(_canaries.Count, string.Join(", ", _canaries.Select(c => c.Target)), options.Value.Probing.CanaryIntervalSeconds);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.Probing.CanaryIntervalSeconds), time);
        do
        {
            await RoundSinceAsync(time.GetUtcNow() - MinGap, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<CanaryRound> RoundSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        if (_last is { } recent && recent.StartedAt >= since)
        {
            return recent;
        }
        await _one.WaitAsync(cancellationToken);
        try
        {
            // Whoever held the turn may have just run the round this caller needs.
            if (_last is { } meanwhile && meanwhile.StartedAt >= since)
            {
                return meanwhile;
            }
            if (_last is { } previous && previous.StartedAt + MinGap - time.GetUtcNow() is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest, time, cancellationToken);
            }
            var startedAt = time.GetUtcNow();
            var results = await Task.WhenAll(_canaries.Select(c => probes.CheckAsync(c, cancellationToken).AsTask()));
            var round = new CanaryRound(startedAt, results.All(r => r.Verdict == Verdict.Down),
                [.. _canaries.Zip(results, (c, r) => (c.Target, r))]);
            var before = _last;
            _last = round;
            if (round.CutOff != (before?.CutOff ?? false))
            {
                var wasCutOffSince = _cutOffSince;
                _cutOffSince = round.CutOff ? startedAt : null;
                _reachableAgainAt = round.CutOff ? _reachableAgainAt : startedAt;
                if (round.CutOff)
                {
                    LogCutOff(round.Describe());
                }
                else
                {
                    LogReachable(wasCutOffSince, round.Describe());
                }
                Changed?.Invoke(round, wasCutOffSince);
            }
            return round;
        }
        finally
        {
            _one.Release();
        }
    }

    [LoggerMessage(LogLevel.Information, "Watching {Count} canaries ({Canaries}) every {IntervalSeconds} s: while every one fails, this location's verdicts are held")]
    private partial void LogWatching(int count, string canaries, int intervalSeconds);

    [LoggerMessage(LogLevel.Warning, "This location cannot reach the internet: every canary failed ({Canaries}); its checks' verdicts are held, not counted as down")]
    private partial void LogCutOff(string canaries);

    [LoggerMessage(LogLevel.Information, "This location reaches the internet again (cut off since {Since}): {Canaries}")]
    private partial void LogReachable(DateTimeOffset? since, string canaries);
}
