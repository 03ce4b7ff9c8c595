namespace UptimeWatch.Probing;

/// <summary>
/// The one overall deadline of a check (connect, handshake, request, answer), linked with shutdown, and the
/// clock that measures the check. <see cref="Expired"/> tells "the target was too slow" apart from "we are
/// shutting down", which must not be recorded as a failure.
/// </summary>
internal sealed class ProbeDeadline : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _shutdown;
    private readonly TimeProvider _time;
    private readonly long _started;

    public ProbeDeadline(int timeoutSeconds, TimeProvider time, CancellationToken shutdown)
    {
        _time = time;
        _shutdown = shutdown;
        _started = time.GetTimestamp();
        _deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds), time);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _deadline.Token);
    }

    /// <summary>Cancelled at the deadline or at shutdown: pass it to every step of the check.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>The deadline passed (and it was not shutdown that cancelled).</summary>
    public bool Expired => _deadline.IsCancellationRequested && !_shutdown.IsCancellationRequested;

    public int ElapsedMs => (int)Math.Round(_time.GetElapsedTime(_started).TotalMilliseconds);

    public void Dispose()
    {
        _linked.Dispose();
        _deadline.Dispose();
    }
}
