using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

namespace UptimeWatch.Agents;

/// <summary>
/// The agent's one connection to the server (docs/agent-protocol.md): opens <c>/ws/agent</c> out, takes the monitor list
/// from <c>welcome</c> and <c>monitors</c>, and sends the buffer oldest first, one <c>results</c> message at a time,
/// each waiting for its <c>ack</c> before its checks leave the buffer. On a drop, a timeout or a refused connection it
/// connects again with backoff (1 s doubling to 60 s, with jitter), for ever; only a close with 1008 (token revoked,
/// wrong location) stops the agent, with the server's reason. Meanwhile the schedule runs from the last known list.
/// </summary>
internal sealed partial class AgentUploader(
    AgentSettings settings,
    AgentBuffer buffer,
    AgentSchedule schedule,
    AgentExit exit,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<AgentUploader> logger) : BackgroundService
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    /// <summary>How long the opening handshake, the <c>welcome</c>, or one <c>ack</c> may take before the connection is given up.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A check buffered is sent within about this long when nothing wakes the sender sooner.</summary>
    private static readonly TimeSpan SendPoll = TimeSpan.FromSeconds(1);

    /// <summary>The largest message read from the server: a monitor list of thousands of monitors, not more.</summary>
    private const int MaxIncomingBytes = 16 * 1024 * 1024;

    /// <summary>Counts up from the start's clock, so that a restarted agent does not reuse the numbers of the last run.</summary>
    private long _seq = time.GetUtcNow().ToUnixTimeMilliseconds();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The last list the server sent: probing goes on while the server cannot be reached, across restarts too.
        if (await buffer.LoadMonitorsAsync(stoppingToken) is { } saved)
        {
            LogResumed(saved.Count);
            await schedule.ApplyAsync(saved, stoppingToken);
        }

        var backoff = FirstBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            _welcomed = false;
            try
            {
                await RunConnectionAsync(stoppingToken);
            }
            catch (AgentRefusedException ex)
            {
                LogRefused(ex.Message);
                exit.Stop(ex.Message);
                lifetime.StopApplication();
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or HttpRequestException or JsonException
                                           or TimeoutException or OperationCanceledException or InvalidDataException)
            {
                LogDisconnected(settings.SocketUri, Describe(ex));
            }

            if (_welcomed)
            {
                // The connection worked (it ends in a drop, a timeout or a close): the next try starts from 1 s again.
                backoff = FirstBackoff;
            }
            // Full jitter over the upper half: many agents cut off together do not all come back in the same second.
            var delay = backoff * (0.5 + Random.Shared.NextDouble() / 2);
            LogRetrying(delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>Whether the current connection got its <c>welcome</c>: then the backoff starts over.</summary>
    private bool _welcomed;

    /// <summary>One connection, until it drops (it always ends in an exception, or in the agent's stop).</summary>
    private async Task RunConnectionAsync(CancellationToken stoppingToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + settings.Token);
        socket.Options.SetRequestHeader(AgentProtocol.LocationHeader, settings.Location);
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(15);
        socket.Options.CollectHttpResponseDetails = true;

        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            connect.CancelAfter(AnswerTimeout);
            try
            {
                await socket.ConnectAsync(settings.SocketUri, connect.Token);
            }
            catch (WebSocketException) when (socket.HttpStatusCode is HttpStatusCode.Unauthorized)
            {
                // Unknown or revoked: the server cannot say which, so the agent keeps trying (a token made on another
                // node of a cluster may not be known here yet); the log says what to do.
                throw new IOException($"the server refused the token {settings.Token[..AgentTokens.Secret.PrefixLength]}… (401): it is unknown or revoked; make a new one for {settings.Location} in the console");
            }
            catch (WebSocketException ex) when (socket.HttpStatusCode is { } status && status != 0)
            {
                throw new IOException($"the server answered {(int)status} instead of opening the socket ({ex.Message})");
            }
        }

        var welcome = await ReceiveAsync(socket, AnswerTimeout, stoppingToken) as AgentWelcome
            ?? throw new InvalidDataException("the server's first message was not a welcome");
        var limits = new AgentLimits(
            Math.Clamp(welcome.Limits?.MaxMessageBytes ?? AgentProtocol.MaxMessageBytes, 1024, AgentProtocol.MaxMessageBytes * 64),
            Math.Clamp(welcome.Limits?.MaxChecksPerMessage ?? AgentProtocol.MaxChecksPerMessage, 1, 100_000));
        _welcomed = true;
        LogWelcomed(settings.SocketUri, welcome.Location, welcome.Monitors?.Count ?? 0, buffer.Count);
        await ApplyMonitorsAsync(welcome.Monitors ?? [], stoppingToken);

        // The reader runs beside the sender: it applies monitor lists as they come and hands acks over.
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var acks = System.Threading.Channels.Channel.CreateBounded<AgentAck>(16);
        var reading = ReadAsync(socket, acks.Writer, connection.Token);
        try
        {
            await SendAsync(socket, limits, acks.Reader, reading, connection.Token);
        }
        finally
        {
            await connection.CancelAsync();
            try
            {
                await reading;
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or JsonException or InvalidDataException
                                            && !stoppingToken.IsCancellationRequested)
            {
                // The sender's failure is the one reported.
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            if (stoppingToken.IsCancellationRequested && socket.State == WebSocketState.Open)
            {
                await CloseQuietlyAsync(socket);
            }
        }
    }

    private async Task SendAsync(ClientWebSocket socket, AgentLimits limits, System.Threading.Channels.ChannelReader<AgentAck> acks,
        Task reading, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (reading.IsCompleted)
            {
                // The reader ended (a close, a drop): its exception says why.
                await reading;
                throw new IOException("the server closed the connection");
            }
            var batch = await buffer.PeekAsync(limits.MaxChecksPerMessage, limits.MaxMessageBytes, cancellationToken);
            if (batch.Count == 0)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(SendPoll);
                try
                {
                    await Task.WhenAny(buffer.WaitForChecksAsync(wait.Token), reading);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
                continue;
            }

            var seq = Interlocked.Increment(ref _seq);
            var message = ResultsMessage.Build(seq, batch);
            await socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken);

            var ack = await WaitForAckAsync(acks, seq, reading, cancellationToken);
            foreach (var refusal in ack.Refused ?? [])
            {
                LogRefusedCheck(seq, refusal.Index, refusal.Field, refusal.Value, refusal.Error);
            }
            LogAcked(seq, batch.Count, ack.Stored, ack.Duplicates, ack.Refused?.Count ?? 0);
            // Refused checks go too: refused is for good, sending them again changes nothing.
            await buffer.RemoveAsync([.. batch.Select(c => c.Id)], cancellationToken);
        }
    }

    private static async Task<AgentAck> WaitForAckAsync(System.Threading.Channels.ChannelReader<AgentAck> acks, long seq, Task reading,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        try
        {
            while (true)
            {
                var next = acks.ReadAsync(timeout.Token).AsTask();
                if (await Task.WhenAny(next, reading) != next)
                {
                    await reading;
                    throw new IOException("the server closed the connection before it acknowledged the last message");
                }
                var ack = await next;
                if (ack.Seq == seq)
                {
                    return ack;
                }
                // An ack of a message of an earlier connection cannot come on this one; anything else is ignored.
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no ack for message {seq} within {AnswerTimeout.TotalSeconds} s");
        }
    }

    private async Task ReadAsync(ClientWebSocket socket, System.Threading.Channels.ChannelWriter<AgentAck> acks, CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (await ReceiveAsync(socket, null, cancellationToken))
            {
                case AgentAck ack:
                    await acks.WriteAsync(ack, cancellationToken);
                    break;
                case AgentMonitors monitors:
                    LogMonitorsChanged(monitors.Monitors?.Count ?? 0);
                    await ApplyMonitorsAsync(monitors.Monitors ?? [], cancellationToken);
                    break;
                case AgentWelcome:
                    throw new InvalidDataException("the server sent a second welcome");
            }
        }
    }

    private async Task ApplyMonitorsAsync(IReadOnlyList<AgentMonitor> monitors, CancellationToken cancellationToken)
    {
        await buffer.SaveMonitorsAsync(monitors, cancellationToken);
        await schedule.ApplyAsync(monitors, cancellationToken);
    }

    /// <summary>The next message: a welcome, monitors or ack, or null for a type this agent does not know (ignored).</summary>
    private static async Task<object?> ReceiveAsync(ClientWebSocket socket, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
        {
            deadline.CancelAfter(limit);
        }
        var writer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(writer.GetMemory(4096), deadline.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.CloseStatus == WebSocketCloseStatus.PolicyViolation)
                    {
                        await CloseQuietlyAsync(socket);
                        throw new AgentRefusedException(socket.CloseStatusDescription is { Length: > 0 } reason
                            ? reason : "the server closed the connection with 1008 (policy violation) and no reason");
                    }
                    await CloseQuietlyAsync(socket);
                    throw new IOException($"the server closed the connection ({(int?)socket.CloseStatus} {socket.CloseStatusDescription})");
                }
                writer.Advance(result.Count);
                if (writer.WrittenCount > MaxIncomingBytes)
                {
                    throw new InvalidDataException($"the server sent a message larger than {MaxIncomingBytes} bytes");
                }
                if (result.EndOfMessage)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (timeout is not null && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the server said nothing within {timeout.Value.TotalSeconds} s");
        }

        var envelope = JsonSerializer.Deserialize<AgentEnvelope>(writer.WrittenSpan, AgentProtocol.Json);
        return envelope?.Type switch
        {
            AgentProtocol.Types.Welcome => JsonSerializer.Deserialize<AgentWelcome>(writer.WrittenSpan, AgentProtocol.Json),
            AgentProtocol.Types.Monitors => JsonSerializer.Deserialize<AgentMonitors>(writer.WrittenSpan, AgentProtocol.Json),
            AgentProtocol.Types.Ack => JsonSerializer.Deserialize<AgentAck>(writer.WrittenSpan, AgentProtocol.Json),
            _ => null,
        };
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "the agent is stopping", bound.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        WebSocketException { InnerException: { } inner } => $"{ex.Message} ({inner.Message})",
        OperationCanceledException => "timed out",
        _ => ex.Message,
    };

    [LoggerMessage(LogLevel.Information, "Connected to {Server} as location {Location}: {Monitors} monitor(s) to check, {Buffered} buffered check(s) to send")]
    private partial void LogWelcomed(Uri server, string location, int monitors, long buffered);

    [LoggerMessage(LogLevel.Information, "Resuming with the {Count} monitor(s) the server last sent, until it can be reached")]
    private partial void LogResumed(int count);

    [LoggerMessage(LogLevel.Information, "The server changed the monitor list: {Count} monitor(s)")]
    private partial void LogMonitorsChanged(int count);

    [LoggerMessage(LogLevel.Warning, "Not connected to {Server}: {Reason}")]
    private partial void LogDisconnected(Uri server, string reason);

    [LoggerMessage(LogLevel.Information, "Connecting again in {Seconds:0.0} s; checks stay in the buffer meanwhile")]
    private partial void LogRetrying(double seconds);

    [LoggerMessage(LogLevel.Debug, "Message {Seq}: {Sent} check(s) sent, {Stored} stored, {Duplicates} duplicate(s), {Refused} refused")]
    private partial void LogAcked(long seq, int sent, int stored, int duplicates, int refused);

    [LoggerMessage(LogLevel.Warning, "The server refused check {Index} of message {Seq} for good: {Field} \"{Value}\" {Error}")]
    private partial void LogRefusedCheck(long seq, int index, string field, string value, string error);

    [LoggerMessage(LogLevel.Critical, "The server refused this agent and closed the connection (1008): {Reason}. The agent stops; it would be refused again")]
    private partial void LogRefused(string reason);
}

/// <summary>The server closed the socket with 1008: the token was revoked or the location is not the token's.</summary>
internal sealed class AgentRefusedException(string reason) : Exception(reason);

/// <summary>Why the agent stopped by itself, for its exit code.</summary>
internal sealed class AgentExit
{
    public string? RefusedBecause { get; private set; }

    public void Stop(string reason) => RefusedBecause = reason;
}
