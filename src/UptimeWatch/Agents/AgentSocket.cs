using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using UptimeWatch.Hosting;
using UptimeWatch.Monitoring;

namespace UptimeWatch.Agents;

/// <summary>
/// One agent's connection (docs/agent-protocol.md): <c>welcome</c>, then <c>results</c> answered by <c>ack</c> once
/// committed, and <c>monitors</c> whenever the location's monitors change. It ends when the agent leaves, breaks the
/// protocol (1007, 1009), its token is revoked (1008) or the server stops (1001).
/// </summary>
internal sealed partial class AgentSocket(WebSocket socket, AgentSession session, AgentResultsHandler results,
    MonitorRegistry registry, TimeProvider time, ILogger logger)
{
    /// <summary>How often the location's monitors are compared with what the agent was last sent.</summary>
    private static readonly TimeSpan ListPoll = TimeSpan.FromSeconds(1);

    private const int ReceiveChunk = 16 * 1024;

    // One frame at a time on the wire: acks, monitor lists and the close frame come from different loops.
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private byte[] _sentList = [];

    // The registry's version when the list was last looked at.
    private long _seenVersion;

    /// <summary>Why the server closed the socket, when it did (the agent leaving says nothing).</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Runs the connection until it ends; returns the close code the server sent, or null when the agent left or was gone.</summary>
    /// <param name="namedLocation">The location the agent says it is (<see cref="AgentProtocol.LocationHeader"/>).</param>
    public async Task<WebSocketCloseStatus?> RunAsync(string namedLocation, CancellationToken aborted, CancellationToken stopping)
    {
        try
        {
            return await RunCoreAsync(namedLocation, aborted, stopping);
        }
        catch (Exception ex) when (WebSocketPeer.IsGone(ex) || (ex is OperationCanceledException && aborted.IsCancellationRequested))
        {
            return null;
        }
        finally
        {
            await _stop.CancelAsync();
        }
    }

    private async Task<WebSocketCloseStatus?> RunCoreAsync(string namedLocation, CancellationToken aborted, CancellationToken stopping)
    {
        if (!string.Equals(namedLocation.Trim(), session.Location, StringComparison.OrdinalIgnoreCase))
        {
            var named = namedLocation.Length == 0 ? $"no {AgentProtocol.LocationHeader}" : $"\"{namedLocation}\"";
            return await CloseAsync(WebSocketCloseStatus.PolicyViolation, $"token is for \"{session.Location}\", agent says {named}", aborted);
        }
        _seenVersion = registry.Version;
        var monitors = results.Assigned(session.Location);
        _sentList = Serialize(monitors);
        await SendAsync(Serialize(new AgentWelcome(session.Location, time.GetUtcNow(),
            new AgentLimits(AgentProtocol.MaxMessageBytes, AgentProtocol.MaxChecksPerMessage), monitors)), aborted);

        using var ending = CancellationTokenSource.CreateLinkedTokenSource(stopping, session.Ended, _stop.Token);
        var watching = WatchAsync(ending.Token);
        // The receive loop is never cancelled (that would abort the socket before a close frame could go): it ends with
        // the agent's close frame, a broken rule, or the connection.
        var receiving = ReceiveLoopAsync(aborted);
        var stopped = Task.Delay(Timeout.Infinite, ending.Token);
        await Task.WhenAny(receiving, stopped, watching);

        if (receiving.IsCompleted)
        {
            var (status, reason) = await receiving;
            await _stop.CancelAsync();
            await IgnoreEndAsync(watching);
            if (status is null)
            {
                // The agent closed: answer its close frame.
                if (socket.State == WebSocketState.CloseReceived)
                {
                    await CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", aborted);
                }
                return null;
            }
            return await CloseAsync(status.Value, reason, aborted, receiving: null);
        }

        await _stop.CancelAsync();
        await IgnoreEndAsync(watching);
        return session.EndReason is { } ended
            ? await CloseAsync(WebSocketCloseStatus.PolicyViolation, ended, aborted, receiving)
            : stopping.IsCancellationRequested
                ? await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, AgentProtocol.CloseReasons.ServerStopping, aborted, receiving)
                : await CloseAsync(WebSocketCloseStatus.InternalServerError, "the connection's list of monitors could not be sent", aborted, receiving);
    }

    /// <summary>Reads messages until the agent closes (null) or breaks a rule (the close code and reason to send).</summary>
    private async Task<(WebSocketCloseStatus? Status, string Reason)> ReceiveLoopAsync(CancellationToken aborted)
    {
        var buffer = new ArrayBufferWriter<byte>(ReceiveChunk);
        while (true)
        {
            var received = await WebSocketPeer.ReceiveAsync(socket, buffer, ReceiveChunk, AgentProtocol.MaxMessageBytes, aborted);
            if (received.Type == WebSocketMessageType.Close)
            {
                return (null, "");
            }
            if (received.TooBig)
            {
                return (WebSocketCloseStatus.MessageTooBig,
                    $"a message may have at most {AgentProtocol.MaxMessageBytes.ToString(CultureInfo.InvariantCulture)} bytes");
            }
            if (_stop.IsCancellationRequested)
            {
                // Closing: what comes now is not answered.
                continue;
            }
            if (received.Type != WebSocketMessageType.Text)
            {
                return (WebSocketCloseStatus.InvalidPayloadData, "messages are JSON text frames");
            }
            if (await HandleAsync(buffer.WrittenMemory, aborted) is { } broken)
            {
                return broken;
            }
        }
    }

    private async Task<(WebSocketCloseStatus? Status, string Reason)?> HandleAsync(ReadOnlyMemory<byte> message, CancellationToken aborted)
    {
        AgentResults? batch;
        try
        {
            var type = JsonSerializer.Deserialize<AgentEnvelope>(message.Span, AgentProtocol.Json)?.Type;
            if (type != AgentProtocol.Types.Results)
            {
                return (WebSocketCloseStatus.InvalidPayloadData, type is null
                    ? "a message must be a JSON object with a \"type\""
                    : $"agents send only \"results\", not \"{Shorten(type, 40)}\"");
            }
            batch = JsonSerializer.Deserialize<AgentResults>(message.Span, AgentProtocol.Json);
        }
        catch (JsonException ex)
        {
            return (WebSocketCloseStatus.InvalidPayloadData, $"not a valid message at {Shorten(ex.Path ?? "$", 60)}");
        }
        if (batch?.Checks is not { } checks)
        {
            return (WebSocketCloseStatus.InvalidPayloadData, "\"results\" needs \"checks\", an array");
        }
        if (checks.Count > AgentProtocol.MaxChecksPerMessage)
        {
            return (WebSocketCloseStatus.MessageTooBig,
                $"a message may carry at most {AgentProtocol.MaxChecksPerMessage.ToString(CultureInfo.InvariantCulture)} checks, not {checks.Count.ToString(CultureInfo.InvariantCulture)}");
        }
        // Answered once committed; the agent sends its next message after this one's ack.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, _stop.Token);
        AgentAck ack;
        try
        {
            ack = await results.HandleAsync(session, batch, stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Closing before it committed: no ack, so the agent sends it again (a repeat is a duplicate, never stored twice).
            return null;
        }
        if (ack.Refused.Count > 0)
        {
            LogRefused(session.Location, ack.Refused.Count, ack.Refused[0].Field, ack.Refused[0].Value, ack.Refused[0].Error);
        }
        await SendAsync(Serialize(ack), aborted);
        return null;
    }

    /// <summary>Sends the location's monitors again whenever they differ from what the agent was last sent.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(ListPoll, time, cancellationToken);
            var version = registry.Version;
            if (version == _seenVersion)
            {
                // No load, pause or resume since: the list is the one last looked at.
                continue;
            }
            _seenVersion = version;
            var monitors = results.Assigned(session.Location);
            var list = Serialize(monitors);
            if (list.AsSpan().SequenceEqual(_sentList))
            {
                continue;
            }
            _sentList = list;
            LogMonitorsChanged(session.Location, monitors.Count);
            await SendAsync(Serialize(new AgentMonitors(monitors)), cancellationToken);
        }
    }

    private async Task<WebSocketCloseStatus?> CloseAsync(WebSocketCloseStatus status, string reason, CancellationToken aborted, Task? receiving = null)
    {
        CloseReason = reason;
        if (status != WebSocketCloseStatus.EndpointUnavailable && status != WebSocketCloseStatus.NormalClosure)
        {
            LogClosing(session.Location, (int)status, reason);
        }
        await CloseOutputAsync(status, reason, aborted);
        if (receiving is not null)
        {
            // The agent answers with its own close frame, which ends the receive loop.
            await WebSocketPeer.AwaitCloseAsync(socket, receiving);
        }
        return status;
    }

    private async Task CloseOutputAsync(WebSocketCloseStatus status, string reason, CancellationToken aborted)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(WebSocketPeer.CloseHandshakeTimeout);
        await _send.WaitAsync(timeout.Token);
        try
        {
            await WebSocketPeer.SendCloseAsync(socket, status, Shorten(reason, 120), timeout.Token);
        }
        finally
        {
            _send.Release();
        }
    }

    private async Task SendAsync(byte[] message, CancellationToken cancellationToken)
    {
        await _send.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _send.Release();
        }
    }

    private static async Task IgnoreEndAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is OperationCanceledException || WebSocketPeer.IsGone(ex))
        {
        }
    }

    private static byte[] Serialize<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, AgentProtocol.Json);

    /// <summary>A close reason fits in 123 bytes of UTF-8; cut whole characters, never in the middle of one.</summary>
    private static string Shorten(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }
        var end = text.Length;
        while (end > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, end)) > maxBytes - 3)
        {
            end--;
        }
        if (end > 0 && char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }
        return string.Concat(text.AsSpan(0, end), "…");
    }

    [LoggerMessage(LogLevel.Warning, "Closing the agent socket of {Location} with {CloseCode}: {Reason}")]
    private partial void LogClosing(string location, int closeCode, string reason);

    [LoggerMessage(LogLevel.Warning, "Refused {Count} checks from the agent of {Location}; the first: {Field} = {Value} {Error}")]
    private partial void LogRefused(string location, int count, string field, string value, string error);

    [LoggerMessage(LogLevel.Debug, "The monitors of {Location} changed: {Count} sent to its agent")]
    private partial void LogMonitorsChanged(string location, int count);
}
