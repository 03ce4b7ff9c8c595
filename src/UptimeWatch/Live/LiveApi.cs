using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;
using UptimeWatch.Journal;

namespace UptimeWatch.Live;

/// <summary>
/// The public event stream over two transports with one cursor (the event-log id): Server-Sent Events at
/// <c>/api/live/events</c> and long polling at <c>/api/live/poll</c>. Only public monitors' events go out. What a
/// cursor means (replay, reset) is the <see cref="JournalReader"/>'s; these are the transports.
/// </summary>
internal static partial class LiveApi
{
    public static IEndpointRouteBuilder MapLiveApi(this IEndpointRouteBuilder app)
    {
        var live = app.MapGroup("/api/live").WithTags("Live");
        live.MapGet("/events", StreamAsync).WithName("LiveEvents")
            .WithSummary("Server-Sent Events: status changes (id = event-log id) at once, and the public monitors' check results coalesced into one checks frame every Live:CheckFrameMs; resumable with Last-Event-ID.");
        live.MapGet("/poll", PollAsync).WithName("LivePoll")
            .WithSummary("Long polling: status events after the cursor, held until one arrives or the timeout passes (then 204).");
        return app;
    }

    internal static async Task StreamAsync(HttpContext http, EventHub hub, ConnectionLimiter limiter, IOptions<UptimeWatchOptions> options,
        JournalReader journal, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        var settings = options.Value.Live;
        var lastText = http.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? http.Request.Query["lastEventId"].FirstOrDefault();
        if (!TryParseCursor(lastText, out var lastEventId))
        {
            await Problem(http, StatusCodes.Status400BadRequest, ProblemResponse.Field("lastEventId", lastText, "must be an event id (a whole number, 0 or more)"), json);
            return;
        }
        // Subscribe before reading the log: whatever commits during the replay is queued, and duplicates are
        // dropped by id below, so the hand-over from replay to live has neither a gap nor a repeat.
        using var connection = await LiveConnection.OpenAsync(http, "sse", LiveFeed.PublicStream, hub, limiter, settings, lifetime, json);
        if (connection is null)
        {
            return;
        }
        var subscription = connection.Subscription;
        var cancellationToken = connection.Token;
        var logger = loggers.CreateLogger("UptimeWatch.Live");

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var body = http.Response.BodyWriter;
        try
        {
            await body.WriteAsync(Encoding.UTF8.GetBytes($"retry: {settings.RetryMs.ToString(CultureInfo.InvariantCulture)}\n\n"), cancellationToken);
            await body.FlushAsync(cancellationToken);

            long? sent = null;
            if (lastEventId is { } after)
            {
                var reason = await journal.ResetReasonAsync(LiveFeed.PublicStream, after, settings.MaxReplayEvents, cancellationToken);
                if (reason is not null)
                {
                    // Read after subscribing: every event up to it is in the log (the snapshot shows it), every later
                    // one is in this connection's queue. The frame has no id, so a reconnect without a reload does not
                    // skip ahead; the client reloads the snapshot and continues from the cursor.
                    var newest = await journal.NewestIdAsync(cancellationToken);
                    await body.WriteAsync(SseFrame.Build(null, "reset", JsonSerializer.SerializeToUtf8Bytes(new StreamResetDto(reason, newest), json.Value.SerializerOptions)), cancellationToken);
                    sent = newest;
                }
                else
                {
                    sent = after;
                    // At most MaxReplayEvents entries: the check above saw every event committed before it, and anything
                    // committed since is also in the queue (dropped there by id if replayed here).
                    await foreach (var page in journal.ReplayAsync(LiveFeed.PublicStream, after, settings.MaxReplayEvents, cancellationToken))
                    {
                        foreach (var e in page.Events)
                        {
                            await body.WriteAsync(e.Frame, cancellationToken);
                        }
                        sent = page.UpTo;
                        await body.FlushAsync(cancellationToken);
                    }
                }
                await body.FlushAsync(cancellationToken);
            }

            // Keepalive comments come through the subscription too (LiveTimers), so the loop only ever waits for it.
            var reader = subscription.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var e))
                {
                    if (e.Id is { } id)
                    {
                        if (sent is { } last && id <= last)
                        {
                            continue;
                        }
                        sent = id;
                    }
                    await body.WriteAsync(e.Frame, cancellationToken);
                }
                await body.FlushAsync(cancellationToken);
            }
        }
        catch (SlowConsumerException)
        {
            LogSlowClient(logger, ClientKey.Address(http));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client left, or the server is stopping: ending the response tells EventSource to reconnect.
        }
    }

    internal static async Task PollAsync(HttpContext http, EventHub hub, ConnectionLimiter limiter, IOptions<UptimeWatchOptions> options,
        JournalReader journal, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime, TimeProvider time)
    {
        var settings = options.Value.Live;
        var afterText = http.Request.Query["after"].FirstOrDefault();
        if (!TryParseCursor(afterText, out var after))
        {
            await Problem(http, StatusCodes.Status400BadRequest, ProblemResponse.Field("after", afterText, "must be an event id (a whole number, 0 or more)"), json);
            return;
        }
        var timeoutText = http.Request.Query["timeout"].FirstOrDefault();
        // 25 s unless the server allows less: the cap holds for a poll that names no timeout too.
        var timeoutSeconds = Math.Min(25, settings.MaxPollTimeoutSeconds);
        if (timeoutText is not null && (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out timeoutSeconds)
                                        || timeoutSeconds > settings.MaxPollTimeoutSeconds))
        {
            await Problem(http, StatusCodes.Status400BadRequest,
                ProblemResponse.Field("timeout", timeoutText, $"must be a whole number of seconds from 0 to {settings.MaxPollTimeoutSeconds}"), json);
            return;
        }
        using var connection = await LiveConnection.OpenAsync(http, "longpoll", LiveFeed.PublicStatus, hub, limiter, settings, lifetime, json);
        if (connection is null)
        {
            return;
        }
        var subscription = connection.Subscription;
        var cancellationToken = connection.Token;
        http.Response.Headers.CacheControl = "no-store";

        List<ReadOnlyMemory<byte>> found = [];
        long cursor;
        if (after is { } upToDate && upToDate > 0 && upToDate == hub.LastId)
        {
            // The client has the newest event this process published, and it subscribed before looking: nothing in
            // the log is newer, and anything that commits from now on is in its queue. After every status change
            // all held polls come back at once with this cursor; four queries each were most of the fan-out's CPU.
            cursor = upToDate;
        }
        else
        {
            var newest = await journal.NewestIdAsync(cancellationToken);
            cursor = after ?? newest;
            if (await journal.ResetReasonAsync(LiveFeed.PublicStatus, cursor, settings.MaxReplayEvents, cancellationToken) is not null)
            {
                // Like SSE's reset: reload the snapshot, then poll on from this cursor (everything up to it is in the
                // snapshot, everything after it is still in the log).
                await WritePoll(http, [], newest, reset: true);
                return;
            }
            var page = await journal.ReadAsync(LiveFeed.PublicStatus, cursor, JournalReader.Page, cancellationToken);
            found.AddRange(page.Events.Select(e => e.Json));
            cursor = page.UpTo;
        }

        if (found.Count == 0 && timeoutSeconds > 0)
        {
            using var hold = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds), time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hold.Token);
            try
            {
                while (found.Count == 0 && await subscription.Reader.WaitToReadAsync(either.Token))
                {
                    while (subscription.Reader.TryRead(out var e))
                    {
                        // The feed has public status events only.
                        if (e.Id is { } id && id > cursor)
                        {
                            found.Add(e.Json);
                            cursor = id;
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (hold.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Held for the whole timeout without news.
            }
            catch (SlowConsumerException)
            {
                // Cannot happen for a poll that returns at its first event, but if it did, the client asks again.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (http.RequestAborted.IsCancellationRequested)
                {
                    return;
                }
                // The server is stopping: "nothing new" (204), so the client polls again with the same cursor, at
                // this node after its restart or at another one. An empty 200 would not be JSON.
            }
        }

        if (found.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        await WritePoll(http, found, cursor, reset: false);
    }

    private static async Task WritePoll(HttpContext http, List<ReadOnlyMemory<byte>> events, long cursor, bool reset)
    {
        // The events are already JSON (serialised once when published); the envelope is put around them as bytes.
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = http.Response.BodyWriter;
        await body.WriteAsync("{\"events\":["u8.ToArray());
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                await body.WriteAsync(","u8.ToArray());
            }
            await body.WriteAsync(events[i]);
        }
        await body.WriteAsync(Encoding.UTF8.GetBytes(
            $"],\"cursor\":{cursor.ToString(CultureInfo.InvariantCulture)},\"reset\":{(reset ? "true" : "false")}}}"));
        await body.FlushAsync();
    }

    private static bool TryParseCursor(string? text, out long? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            cursor = value;
            return true;
        }
        return false;
    }

    internal static Task Refuse(HttpContext http, int status, IOptions<JsonOptions> json)
    {
        http.Response.Headers.RetryAfter = "10";
        return Problem(http, status, new ProblemResponse(status == StatusCodes.Status429TooManyRequests
            ? "Too many live connections from your address; close some tabs or try again shortly"
            : "The server has as many live connections as it accepts; try again shortly", null), json);
    }

    private static Task Problem(HttpContext http, int status, ProblemResponse problem, IOptions<JsonOptions> json)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(problem, json.Value.SerializerOptions, http.RequestAborted);
    }

    [LoggerMessage(LogLevel.Information, "Disconnected a live client at {ClientIp} that did not keep up; it resumes by event id")]
    private static partial void LogSlowClient(ILogger logger, string clientIp);
}

/// <summary>
/// The data of the public stream's <c>reset</c> event: the client must reload its snapshot; the stream goes on after
/// <paramref name="Cursor"/> (the newest event id when the reset was sent), which a client without a snapshot resumes from.
/// </summary>
internal sealed record StreamResetDto(string Reason, long Cursor);

/// <summary>
/// What every live connection holds while it is open: a slot under the connection limits, a subscription to the
/// hub (taken before the log is read), and a token that ends with the client or with the server.
/// </summary>
internal sealed class LiveConnection : IDisposable
{
    private readonly IDisposable _slot;
    private readonly CancellationTokenSource _stop;

    private LiveConnection(IDisposable slot, EventHub.Subscription subscription, CancellationTokenSource stop)
    {
        _slot = slot;
        Subscription = subscription;
        _stop = stop;
    }

    public EventHub.Subscription Subscription { get; }

    public CancellationToken Token => _stop.Token;

    /// <summary>Opens one, or answers 429/503 and returns null when the limits say no.</summary>
    public static async Task<LiveConnection?> OpenAsync(HttpContext http, string transport, LiveFeed feed, EventHub hub, ConnectionLimiter limiter, LiveOptions settings,
        IHostApplicationLifetime lifetime, IOptions<JsonOptions> json)
    {
        var (slot, refusal) = limiter.TryAcquire(http.Connection.RemoteIpAddress, transport);
        if (slot is null)
        {
            await LiveApi.Refuse(http, refusal, json);
            return null;
        }
        return new LiveConnection(slot, hub.Subscribe(settings.ClientQueueSize, feed),
            CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping));
    }

    public void Dispose()
    {
        _stop.Dispose();
        Subscription.Dispose();
        _slot.Dispose();
    }
}
