using System.Buffers;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;
using UptimeWatch.Journal;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// One open admin WebSocket (docs/admin-protocol.md): one receive loop, one send loop that every reply and push goes
/// through (a WebSocket allows one send at a time), commands run concurrently up to <see cref="MaxCommandsInFlight"/>,
/// and, after <c>subscribe</c>, a push loop forwarding the event hub. Whatever ends it — the peer, a bad frame, the
/// credentials, the server — ends it once, with the close code the protocol gives that reason.
/// </summary>
internal sealed partial class AdminSocket(
    WebSocket socket,
    AdminCommands commands,
    JournalReader log,
    EventHub hub,
    int queueSize,
    int maxMessageBytes,
    string by,
    JsonSerializerOptions json,
    ILogger logger)
{
    public const int MaxCommandsInFlight = 8;
    public const int MaxIdLength = 100;

    /// <summary>
    /// The replay is held in memory until the <c>ok</c> (which carries the newest seq) has gone out; a client this far
    /// behind gets a <c>reset</c> instead: reloading is quicker for it than replaying, and the server's memory stays bounded.
    /// </summary>
    public const int MaxReplay = 10_000;

    /// <summary>1013 "try again later": the socket fell behind the pushes. Not in <see cref="WebSocketCloseStatus"/>.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    /// <summary>How long the peer has to answer our close frame before the connection is dropped.</summary>
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private const int ReceiveChunk = 4096;

    private static readonly string[] Commands =
    [
        "monitors.list", "monitors.get", "monitors.create", "monitors.update", "monitors.delete", "monitors.pause",
        "monitors.resume", "monitors.checkNow", "monitors.export", "alerts.list", "alerts.ack", "maintenance.create",
        "maintenance.delete", "config.status", "storage.status", "channels.list", "channels.test", "notifications.list", "subscribe", "unsubscribe",
    ];

    // Replies and pushes wait here for the send loop. Bounded: a peer that stops reading stalls the commands and the
    // push loop, and then the hub cuts the subscription off (1013) instead of memory growing.
    private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(64)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly TaskCompletionSource<Ending> _ending = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(MaxCommandsInFlight, MaxCommandsInFlight);
    private readonly SemaphoreSlim _subscribeGate = new(1, 1);
    private Pusher? _pusher;

    /// <summary>Runs the socket until it ends; returns the close code sent, or null when the peer was simply gone.</summary>
    public async Task<WebSocketCloseStatus?> RunAsync(CancellationToken ended, CancellationToken aborted, CancellationToken stopping)
    {
        using var onStopping = stopping.Register(() => End(WebSocketCloseStatus.EndpointUnavailable,
            "The server is shutting down: reconnect and subscribe with after"));
        using var onEnded = ended.Register(() =>
        {
            if (aborted.IsCancellationRequested)
            {
                End(null, "");
            }
            else
            {
                End(WebSocketCloseStatus.PolicyViolation, "The session ended or the API token was revoked: sign in again");
            }
        });

        var sending = SendLoopAsync(aborted);
        var receiving = ReceiveLoopAsync(aborted);
        var ending = await _ending.Task;

        // Nothing new starts from here: commands and pushes see the token, the send loop stops taking messages.
        await _stop.CancelAsync();
        await sending;
        if (ending.Status is { } status && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
                await socket.CloseOutputAsync(status, ending.Description, timeout.Token);
            }
            catch (Exception ex) when (IsPeerGone(ex))
            {
                // The peer left while we were saying goodbye.
            }
        }
        try
        {
            // The receive loop ends when the peer's close frame arrives; a peer that never sends one is dropped.
            await receiving.WaitAsync(CloseHandshakeTimeout, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            socket.Abort();
            await receiving;
        }

        // Every command has finished once all the slots are free again.
        for (var i = 0; i < MaxCommandsInFlight; i++)
        {
            await _slots.WaitAsync(CancellationToken.None);
        }
        if (_pusher is { } pusher)
        {
            await pusher.DisposeAsync();
        }
        _stop.Dispose();
        return ending.Status;
    }

    /// <summary>Ends the socket with <paramref name="status"/> (null: drop it, the peer is gone). The first reason wins.</summary>
    private void End(WebSocketCloseStatus? status, string description) => _ending.TrySetResult(new Ending(status, description));

    private sealed record Ending(WebSocketCloseStatus? Status, string Description);

    private static bool IsPeerGone(Exception ex) =>
        ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException;

    private async Task SendLoopAsync(CancellationToken aborted)
    {
        try
        {
            var reader = _outgoing.Reader;
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                while (reader.TryRead(out var message))
                {
                    // Not _stop: cancelling a send aborts the whole WebSocket, and the close frame still has to go out.
                    await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, aborted);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Ending: whatever is still queued is dropped.
        }
        catch (Exception ex) when (IsPeerGone(ex))
        {
            End(null, "");
        }
        catch (Exception ex)
        {
            LogUnexpected(logger, ex, by);
            End(WebSocketCloseStatus.InternalServerError, "Unexpected server error");
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken aborted)
    {
        var buffer = new ArrayBufferWriter<byte>(ReceiveChunk);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.GetMemory(ReceiveChunk), aborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    End(WebSocketCloseStatus.NormalClosure, "");
                    return;
                }
                if (_ending.Task.IsCompleted)
                {
                    // Closing: the rest is read only to reach the peer's close frame.
                    buffer.ResetWrittenCount();
                    continue;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    End(WebSocketCloseStatus.InvalidMessageType, "Binary frames are not accepted: send JSON as text");
                    continue;
                }
                buffer.Advance(result.Count);
                if (buffer.WrittenCount > maxMessageBytes)
                {
                    End(WebSocketCloseStatus.MessageTooBig,
                        $"A message may be at most {maxMessageBytes.ToString(CultureInfo.InvariantCulture)} bytes");
                    continue;
                }
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var message = buffer.WrittenSpan.ToArray();
                buffer.ResetWrittenCount();
                try
                {
                    await HandleMessageAsync(message);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    // Ended while waiting for a slot or room to reply: keep reading until the peer's close frame.
                }
            }
        }
        catch (Exception ex) when (IsPeerGone(ex))
        {
            // The peer left, stopped answering pings, broke the protocol, or we dropped it after closing.
            End(null, "");
        }
        catch (Exception ex)
        {
            LogUnexpected(logger, ex, by);
            End(WebSocketCloseStatus.InternalServerError, "Unexpected server error");
        }
    }

    /// <summary>Checks the envelope, then runs the command in the background once a slot is free.</summary>
    private async Task HandleMessageAsync(byte[] message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException)
        {
            await EnqueueAsync(Error(null, AdminErrorCodes.BadRequest,
                "The message is not JSON: send one JSON object per text frame, like {\"type\":\"monitors.list\",\"id\":\"1\",\"payload\":{}}", null));
            return;
        }

        if (ReadEnvelope(document.RootElement, out var type, out var id, out var payload) is { } refused)
        {
            document.Dispose();
            await EnqueueAsync(refused);
            return;
        }
        if (!Commands.Contains(type, StringComparer.Ordinal))
        {
            document.Dispose();
            var hint = ClosestName.Find(type, Commands);
            await EnqueueAsync(Error(id, AdminErrorCodes.UnknownCommand,
                $"No command \"{type}\"" + (hint is null ? "" : $" (did you mean {hint}?)"), null));
            return;
        }

        // Waiting here stops reading: a client with 8 commands running sends the 9th when one of them finishes.
        try
        {
            await _slots.WaitAsync(_stop.Token);
        }
        catch
        {
            document.Dispose();
            throw;
        }
        _ = Task.Run(() => RunCommandAsync(document, type, id, payload));
    }

    /// <summary>Reads type, id and payload; returns the error reply when the envelope is malformed.</summary>
    private static byte[]? ReadEnvelope(JsonElement root, out string type, out string? id, out JsonElement payload)
    {
        (type, id, payload) = ("", null, Empty);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Error(null, AdminErrorCodes.BadRequest,
                "The message must be a JSON object with a string \"type\", like {\"type\":\"monitors.list\",\"id\":\"1\",\"payload\":{}}", null);
        }
        if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
        {
            if (idElement.ValueKind != JsonValueKind.String || idElement.GetString()!.Length > MaxIdLength)
            {
                var problem = $"must be a string of at most {MaxIdLength} characters";
                return Error(null, AdminErrorCodes.BadRequest, $"id {Shorten(idElement.GetRawText())} {problem}",
                    new Dictionary<string, string> { ["id"] = problem });
            }
            id = idElement.GetString();
        }
        if (!root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            const string problem = "is required: a string naming the command, like \"monitors.list\"";
            return Error(id, AdminErrorCodes.BadRequest, $"type {problem}", new Dictionary<string, string> { ["type"] = problem });
        }
        type = typeElement.GetString()!;
        if (root.TryGetProperty("payload", out var payloadElement) && payloadElement.ValueKind != JsonValueKind.Null)
        {
            if (payloadElement.ValueKind != JsonValueKind.Object)
            {
                const string problem = "must be a JSON object";
                return Error(id, AdminErrorCodes.BadRequest, $"payload {Shorten(payloadElement.GetRawText())} {problem}",
                    new Dictionary<string, string> { ["payload"] = problem });
            }
            payload = payloadElement;
        }
        return null;
    }

    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement;

    private async Task RunCommandAsync(JsonDocument document, string type, string? id, JsonElement payload)
    {
        try
        {
            using (document)
            {
                if (type == "subscribe")
                {
                    await SubscribeAsync(id, new Payload(payload));
                    return;
                }
                var result = await ExecuteAsync(type, new Payload(payload), _stop.Token);
                await EnqueueAsync(Reply(id, result));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The socket is ending: there is no one to answer.
        }
        catch (AdminCommandException ex)
        {
            await TryEnqueueAsync(Error(id, ex.Code, ex.Message, ex.Fields));
        }
        catch (Exception ex)
        {
            LogCommandFailed(logger, ex, type, id, by);
            await TryEnqueueAsync(Error(id, AdminErrorCodes.Internal, "The command failed unexpectedly; the details are in the server log", null));
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<object> ExecuteAsync(string type, Payload payload, CancellationToken cancellationToken) => type switch
    {
        "monitors.list" => new MonitorsResponse(await commands.ListMonitorsAsync(cancellationToken)),
        "monitors.get" => await commands.GetMonitorAsync(payload.RequiredString("slug"), cancellationToken),
        "monitors.create" => await commands.CreateMonitorAsync(MonitorJson.Flatten(payload.Required("monitor")), by, cancellationToken),
        "monitors.update" => await commands.UpdateMonitorAsync(payload.RequiredString("slug"), MonitorJson.Flatten(payload.Required("monitor")), by,
            cancellationToken),
        "monitors.delete" => await DeleteMonitorAsync(payload.RequiredString("slug"), cancellationToken),
        "monitors.pause" => await commands.PauseAsync(payload.RequiredString("slug"), by, cancellationToken),
        "monitors.resume" => await commands.ResumeAsync(payload.RequiredString("slug"), by, cancellationToken),
        "monitors.checkNow" => await commands.CheckNowAsync(payload.RequiredString("slug"), cancellationToken),
        "monitors.export" => await commands.ExportAsync(cancellationToken),
        "alerts.list" => new AlertsResponse(await commands.ListAlertsAsync(payload.AlertState(), payload.OptionalInt("limit") ?? 100, cancellationToken)),
        "alerts.ack" => await commands.AcknowledgeAlertAsync(payload.RequiredLong("id"), by, payload.OptionalString("note"), cancellationToken),
        "maintenance.create" => await commands.CreateMaintenanceAsync(payload.RequiredString("slug"), payload.OptionalTime("start"),
            payload.OptionalTime("end"), payload.OptionalInt("minutes"), payload.OptionalString("reason"), by, cancellationToken),
        "maintenance.delete" => await DeleteMaintenanceAsync(payload.RequiredLong("id"), cancellationToken),
        "config.status" => commands.ConfigStatus(),
        "storage.status" => commands.StorageStatus(),
        "channels.list" => new ChannelsResponse(commands.ListChannels()),
        "channels.test" => await commands.TestChannelAsync(payload.RequiredString("channel"), by, cancellationToken),
        "notifications.list" => new NotificationsResponse(await commands.ListNotificationsAsync(payload.OptionalInt("limit") ?? 100, cancellationToken)),
        "unsubscribe" => await UnsubscribeAsync(),
        _ => throw new InvalidOperationException($"Command {type} is listed but not dispatched"),
    };

    private async Task<object> DeleteMonitorAsync(string slug, CancellationToken cancellationToken)
    {
        await commands.DeleteMonitorAsync(slug, by, cancellationToken);
        return new DeletedMonitor(slug, true);
    }

    private async Task<object> DeleteMaintenanceAsync(long id, CancellationToken cancellationToken)
    {
        await commands.DeleteMaintenanceAsync(id, cancellationToken);
        return new DeletedMaintenance(id, true);
    }

    /// <summary>
    /// Subscribes to the hub first, then reads the log: whatever commits meanwhile is queued in the subscription and
    /// dropped below by seq if the replay already had it, so the hand-over has neither a gap nor a repeat.
    /// The <c>ok</c> goes out before the first push.
    /// </summary>
    private async Task SubscribeAsync(string? id, Payload payload)
    {
        var after = payload.OptionalLong("after");
        await _subscribeGate.WaitAsync(_stop.Token);
        try
        {
            // A second subscribe starts over from its own cursor.
            await StopPushingAsync();
            var subscription = hub.Subscribe(queueSize);
            try
            {
                string? reset = null;
                List<LiveEvent> replay = [];
                long? replayedUpTo = null;
                if (after is { } cursor)
                {
                    reset = await log.ResetReasonAsync(LiveFeed.Everything, cursor, MaxReplay, _stop.Token);
                    if (reset is null)
                    {
                        replayedUpTo = cursor;
                        await foreach (var page in log.ReplayAsync(LiveFeed.Everything, cursor, MaxReplay, _stop.Token))
                        {
                            replay.AddRange(page.Events);
                            replayedUpTo = page.UpTo;
                        }
                    }
                }
                // The hub only knows what it published since start-up; the log knows what came before a restart.
                var newest = Math.Max(Math.Max(hub.LastId, replayedUpTo ?? 0), await log.NewestIdAsync(_stop.Token));
                await EnqueueAsync(Reply(id, new { seq = newest }));
                _pusher = Pusher.Start(this, subscription, reset, replay, replayedUpTo);
                subscription = null;
            }
            finally
            {
                subscription?.Dispose();
            }
        }
        finally
        {
            _subscribeGate.Release();
        }
    }


    private async Task<object> UnsubscribeAsync()
    {
        await _subscribeGate.WaitAsync(_stop.Token);
        try
        {
            await StopPushingAsync();
            return new { };
        }
        finally
        {
            _subscribeGate.Release();
        }
    }

    private async Task StopPushingAsync()
    {
        if (_pusher is { } pusher)
        {
            _pusher = null;
            await pusher.DisposeAsync();
        }
    }

    /// <summary>One subscription's push loop: the reset or the replay, then the live events.</summary>
    private sealed class Pusher : IAsyncDisposable
    {
        private readonly EventHub.Subscription _subscription;
        private readonly CancellationTokenSource _stop;
        private Task _loop = Task.CompletedTask;

        private Pusher(EventHub.Subscription subscription, CancellationTokenSource stop)
        {
            _subscription = subscription;
            _stop = stop;
        }

        public static Pusher Start(AdminSocket socket, EventHub.Subscription subscription, string? reset, List<LiveEvent> replay, long? replayedUpTo)
        {
            var pusher = new Pusher(subscription, CancellationTokenSource.CreateLinkedTokenSource(socket._stop.Token));
            pusher._loop = Task.Run(() => socket.PushAsync(subscription, reset, replay, replayedUpTo, pusher._stop.Token));
            return pusher;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _subscription.Dispose();
            _stop.Dispose();
        }
    }

    /// <param name="replayedUpTo">The highest seq replayed (or the cursor): live events up to it were in the replay.</param>
    private async Task PushAsync(EventHub.Subscription subscription, string? reset, List<LiveEvent> replay, long? replayedUpTo,
        CancellationToken cancellationToken)
    {
        try
        {
            if (reset is not null)
            {
                await EnqueueAsync(Push("reset", null, JsonSerializer.SerializeToUtf8Bytes(new ResetDto(reset), json)), cancellationToken);
            }
            foreach (var e in replay)
            {
                await EnqueueAsync(Push(e.Kind, e.Id, e.Json.Span), cancellationToken);
            }
            var reader = subscription.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var e))
                {
                    // Events without a seq are live only and always pass. Only the replay's seqs are dropped: live, one
                    // seq can carry several events (a status change and the alert it raised), and the hub never repeats.
                    if (e.Id is { } seq && seq <= replayedUpTo)
                    {
                        continue;
                    }
                    await EnqueueAsync(Push(e.Kind, e.Id, e.Json.Span), cancellationToken);
                }
            }
        }
        catch (SlowConsumerException)
        {
            LogSlow(logger, by);
            End(TryAgainLater, "The socket fell behind the live pushes: reconnect and subscribe with after");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Unsubscribed, or the socket is ending.
        }
        catch (Exception ex)
        {
            LogUnexpected(logger, ex, by);
            End(WebSocketCloseStatus.InternalServerError, "Unexpected server error");
        }
    }

    private ValueTask EnqueueAsync(byte[] message, CancellationToken cancellationToken = default) =>
        _outgoing.Writer.WriteAsync(message, cancellationToken.CanBeCanceled ? cancellationToken : _stop.Token);

    private async Task TryEnqueueAsync(byte[] message)
    {
        try
        {
            await EnqueueAsync(message);
        }
        catch (OperationCanceledException)
        {
            // Ending.
        }
    }

    private byte[] Reply(string? id, object payload)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "ok");
            writer.WriteString("id", id);
            writer.WritePropertyName("payload");
            JsonSerializer.Serialize(writer, payload, payload.GetType(), json);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Error(string? id, string code, string message, IReadOnlyDictionary<string, string>? fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteString("id", id);
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            if (fields is null)
            {
                writer.WriteNull("fields");
            }
            else
            {
                writer.WriteStartObject("fields");
                foreach (var (field, problem) in fields)
                {
                    writer.WriteString(field, problem);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A push: the event's JSON (serialised once when it was published) inside the envelope, as bytes.</summary>
    internal static byte[] Push(string kind, long? seq, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(payload.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", kind);
            if (seq is { } value)
            {
                writer.WriteNumber("seq", value);
            }
            else
            {
                writer.WriteNull("seq");
            }
            writer.WritePropertyName("payload");
            writer.WriteRawValue(payload, skipInputValidation: true);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a command's payload fields; a missing or mistyped one is <c>bad_request</c> naming the field and value.</summary>
    private readonly struct Payload(JsonElement payload)
    {
        public JsonElement Required(string field) =>
            payload.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null
                ? value
                : throw AdminCommandException.BadRequest(field, null, "is required");

        public string RequiredString(string field) => OptionalString(field) ?? throw AdminCommandException.BadRequest(field, null, "is required");

        public string? OptionalString(string field)
        {
            if (Optional(field) is not { } value)
            {
                return null;
            }
            return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Wrong(field, value, "must be a string");
        }

        public long RequiredLong(string field) => OptionalLong(field) ?? throw AdminCommandException.BadRequest(field, null, "is required");

        public long? OptionalLong(string field)
        {
            if (Optional(field) is not { } value)
            {
                return null;
            }
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0
                ? number
                : throw Wrong(field, value, "must be a whole number, 0 or more");
        }

        /// <summary>The range is AdminCommands' to check, so the message reads the same as over REST.</summary>
        public int? OptionalInt(string field)
        {
            if (Optional(field) is not { } value)
            {
                return null;
            }
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw Wrong(field, value, "must be a whole number");
        }

        public DateTimeOffset? OptionalTime(string field)
        {
            if (Optional(field) is not { } value)
            {
                return null;
            }
            return value.ValueKind == JsonValueKind.String
                   && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                ? time
                : throw Wrong(field, value, "must be a date and time, e.g. 2026-11-25T22:00:00Z");
        }

        /// <summary><c>state</c> of <c>alerts.list</c>: true for "open" (the default), false for "all".</summary>
        public bool AlertState() => OptionalString("state") switch
        {
            null or "open" => true,
            "all" => false,
            var other => throw AdminCommandException.BadRequest("state", Shorten(other), "must be open or all"),
        };

        private JsonElement? Optional(string field) =>
            payload.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private static AdminCommandException Wrong(string field, JsonElement value, string problem) =>
            AdminCommandException.BadRequest(field, Shorten(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()), problem);
    }

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;

    [LoggerMessage(LogLevel.Error, "Admin command {CommandType} (id {CommandId}) of {By} failed unexpectedly")]
    private static partial void LogCommandFailed(ILogger logger, Exception exception, string commandType, string? commandId, string by);

    [LoggerMessage(LogLevel.Error, "The admin WebSocket of {By} failed unexpectedly; closing it with 1011")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string by);

    [LoggerMessage(LogLevel.Information, "Closed the admin WebSocket of {By} with 1013: it did not keep up with the live pushes")]
    private static partial void LogSlow(ILogger logger, string by);
}
