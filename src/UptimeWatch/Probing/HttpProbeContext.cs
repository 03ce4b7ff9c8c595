namespace UptimeWatch.Probing;

/// <summary>Where an HTTP check is, so a deadline can say which step never finished.</summary>
internal enum HttpPhase
{
    Resolving,
    Connecting,
    Handshaking,
    Waiting,
    Receiving,
    ReadingBody,
}

/// <summary>
/// Per-check state shared between <see cref="HttpProbe"/> and the connection callbacks of
/// <see cref="HttpProbeHandler"/>. The probe puts it in <see cref="HttpRequestMessage.Options"/>; the connect
/// callback and the plaintext filter find it on <c>InitialRequestMessage</c> (the filter hands it to the
/// <see cref="HttpTimingStream"/>), so every phase of the connection made for this check is written here. Phase durations are summed over redirect hops; the first
/// byte is that of the latest hop. Written from connection threads, read by the probe after each step completes.
/// </summary>
internal sealed class HttpProbeContext(TimeProvider time, CancellationToken cancellationToken)
{
    public static readonly HttpRequestOptionsKey<HttpProbeContext> Key = new("UptimeWatch.HttpProbeContext");

    private long _dnsTicks = -1;
    private long _connectTicks = -1;
    private long _tlsTicks = -1;
    private long _connectedAt;
    private long _firstByteAt;
    private int _phase;
    private CancellationTokenRegistration _abortHandshake;

    public TimeProvider Time => time;

    /// <summary>The check's overall deadline (and shutdown); connection steps stop when it fires.</summary>
    public CancellationToken CancellationToken => cancellationToken;

    public long StartedAt { get; } = time.GetTimestamp();

    public HttpPhase Phase
    {
        get => (HttpPhase)Volatile.Read(ref _phase);
        set => Volatile.Write(ref _phase, (int)value);
    }

    /// <summary>Days left on the latest server certificate seen, whether or not it was accepted.</summary>
    public int? CertificateDaysLeft { get; set; }

    /// <summary>A new hop (the first request or a redirect) starts: no byte of its response yet.</summary>
    /// <param name="resolves">Whether the host is a name to look up rather than an IP address.</param>
    public void StartHop(bool resolves)
    {
        _firstByteAt = 0;
        Phase = resolves ? HttpPhase.Resolving : HttpPhase.Connecting;
    }

    public void Resolved(long startedAt) => Add(ref _dnsTicks, time.GetTimestamp() - startedAt);

    /// <summary>
    /// The socket is connected. Until the connection is handed over (<see cref="Ready"/>), the check's deadline
    /// closes the socket: otherwise the handler would go on with an abandoned TLS handshake for seconds.
    /// </summary>
    public void Connected(long startedAt, bool tls, IDisposable socket)
    {
        _abortHandshake = cancellationToken.UnsafeRegister(static s => ((IDisposable)s!).Dispose(), socket);
        _connectedAt = time.GetTimestamp();
        Add(ref _connectTicks, _connectedAt - startedAt);
        Phase = tls ? HttpPhase.Handshaking : HttpPhase.Waiting;
    }

    /// <summary>The connection is ready for the request; <paramref name="tls"/> when a handshake just ended.</summary>
    /// <exception cref="OperationCanceledException">The check gave up meanwhile: the connection must not be used,
    /// neither half-closed by the deadline nor handed to another check.</exception>
    public void Ready(bool tls)
    {
        // Dispose waits for a running callback, so afterwards the token alone says whether the socket may be dead.
        _abortHandshake.Dispose();
        cancellationToken.ThrowIfCancellationRequested();
        if (tls && _connectedAt != 0)
        {
            Add(ref _tlsTicks, time.GetTimestamp() - _connectedAt);
        }
        Phase = HttpPhase.Waiting;
    }

    public void FirstByte()
    {
        _firstByteAt = time.GetTimestamp();
        Phase = HttpPhase.Receiving;
    }

    /// <summary>The phases measured so far; null when not even a connection was made.</summary>
    public ProbeTimings? Timings()
    {
        if (_dnsTicks < 0 && _connectTicks < 0)
        {
            return null;
        }
        return new ProbeTimings(Ms(_dnsTicks), Ms(_connectTicks), Ms(_tlsTicks),
            _firstByteAt == 0 ? null : Ms(_firstByteAt - StartedAt));
    }

    private int? Ms(long ticks) => ticks < 0 ? null : (int)Math.Round(ticks * 1000.0 / time.TimestampFrequency);

    private static void Add(ref long total, long ticks) => total = total < 0 ? ticks : total + ticks;
}
