using System.Text;
using System.Text.Json;

namespace UptimeWatch.Testing;

/// <summary>One SSE frame as it was sent: each field null when the frame had none (several data lines join with \n).</summary>
internal sealed record ReceivedSseFrame(string? Id, string? Event, string? Data, string? Retry)
{
    /// <summary>The event type a browser would dispatch: <c>message</c> when the frame names none.</summary>
    public string Type => Event ?? "message";

    public JsonElement Json() => JsonDocument.Parse(Data ?? throw new InvalidOperationException($"The {Type} frame has no data")).RootElement.Clone();
}

/// <summary>
/// Reads a Server-Sent Events stream frame by frame, for every test that reads one (in-process, real Kestrel, through a
/// proxy). Every read takes the caller's token: a wait made of many reads goes under ONE deadline
/// (<see cref="NextMatchingAsync"/>), because frames that do not end it (check results, keepalives) keep each read short.
/// Comments (<c>: keepalive</c>) are skipped but counted.
/// </summary>
/// <remarks>
/// Not <c>System.Net.ServerSentEvents.SseParser</c>: it drops comments and frames without data (the first <c>retry:</c>),
/// which are exactly what some tests assert, and the tests check the framing on the wire rather than an event model.
/// </remarks>
internal sealed class SseReader(Stream stream) : IDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);
    private readonly List<string> _seen = [];

    /// <summary>Opens the stream of a response read with <see cref="HttpCompletionOption.ResponseHeadersRead"/>.</summary>
    public static async Task<SseReader> OpenAsync(HttpResponseMessage response, CancellationToken cancellationToken = default) =>
        new(await response.Content.ReadAsStreamAsync(cancellationToken));

    /// <summary>How many comment lines (keepalives) were read so far.</summary>
    public int Comments { get; private set; }

    /// <summary>The text of the newest comment read (<c>keepalive</c>), or null before the first.</summary>
    public string? LastComment { get; private set; }

    /// <summary>The kinds of the frames and comments read so far (the last 20), for the message of a wait that gave up.</summary>
    public string Seen() => _seen.Count == 0 ? "nothing" : string.Join(", ", _seen.TakeLast(20));

    /// <summary>
    /// The next frame, or null when the stream ends; comments are counted and skipped. With <paramref name="stopAtComment"/>
    /// a comment ends the read too (as a null-field frame), for a test that waits for one.
    /// </summary>
    public async Task<ReceivedSseFrame?> NextAsync(CancellationToken cancellationToken, bool stopAtComment = false)
    {
        var fields = new Dictionary<string, string>();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (fields.Count == 0)
                {
                    continue;
                }
                var frame = new ReceivedSseFrame(fields.GetValueOrDefault("id"), fields.GetValueOrDefault("event"), fields.GetValueOrDefault("data"),
                    fields.GetValueOrDefault("retry"));
                _seen.Add(frame.Type);
                return frame;
            }
            if (line.StartsWith(':'))
            {
                Comments++;
                LastComment = line[1..].Trim();
                _seen.Add($":{LastComment}");
                if (stopAtComment && fields.Count == 0)
                {
                    return new ReceivedSseFrame(null, null, null, null);
                }
                continue;
            }
            // "field: value" (one optional space after the colon), or a bare field name with an empty value.
            var colon = line.IndexOf(':');
            var (name, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..]);
            value = value.StartsWith(' ') ? value[1..] : value;
            fields[name] = name == "data" && fields.TryGetValue("data", out var earlier) ? $"{earlier}\n{value}" : value;
        }
        return null;
    }

    /// <summary>
    /// The first frame that matches, skipping (and, when given, collecting) others, under one deadline for the whole
    /// search; fails naming <paramref name="what"/> and what was read instead, or when the stream ends first.
    /// </summary>
    public Task<ReceivedSseFrame> NextMatchingAsync(Func<ReceivedSseFrame, bool> match, string what, TimeSpan? timeout = null, List<ReceivedSseFrame>? collect = null) =>
        Eventually.Within(timeout ?? DefaultWait, what, ct => NextMatchingAsync(match, what, ct, collect), Seen);

    /// <summary>As <see cref="NextMatchingAsync(Func{ReceivedSseFrame, bool}, string, TimeSpan?, List{ReceivedSseFrame}?)"/>, under the caller's deadline.</summary>
    public async Task<ReceivedSseFrame> NextMatchingAsync(Func<ReceivedSseFrame, bool> match, string what, CancellationToken deadline, List<ReceivedSseFrame>? collect = null)
    {
        while (await NextAsync(deadline) is { } frame)
        {
            collect?.Add(frame);
            if (match(frame))
            {
                return frame;
            }
        }
        throw new EndOfStreamException($"The event stream ended before {what}; seen: {Seen()}");
    }

    /// <summary>The next frame of the given event type, skipping others (check results, retry).</summary>
    public Task<ReceivedSseFrame> NextEventAsync(string type, TimeSpan? timeout = null) =>
        NextMatchingAsync(f => f.Event == type, $"an SSE \"{type}\" event", timeout);

    /// <summary>The text of the next comment line, skipping frames, under one deadline.</summary>
    public Task<string> NextCommentAsync(TimeSpan? timeout = null) =>
        Eventually.Within(timeout ?? DefaultWait, "an SSE comment", async ct =>
        {
            var before = Comments;
            while (Comments == before)
            {
                _ = await NextAsync(ct, stopAtComment: true) ?? throw new EndOfStreamException($"The event stream ended before a comment; seen: {Seen()}");
            }
            return LastComment!;
        }, Seen);

    /// <summary>Reads until the server ends the stream; returns the frames read meanwhile.</summary>
    public async Task<List<ReceivedSseFrame>> ReadToEndAsync(CancellationToken deadline)
    {
        var frames = new List<ReceivedSseFrame>();
        while (await NextAsync(deadline) is { } frame)
        {
            frames.Add(frame);
        }
        return frames;
    }

    public void Dispose() => _reader.Dispose();
}
