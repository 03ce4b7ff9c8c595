using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>
/// What a cluster node tells the others when a batch commits (NOTIFY <see cref="JournalTail.Channel"/>): the newest
/// event-log id it wrote (the entries themselves are read from the log, by cursor) and the live-only part that is not
/// in the log, the batch's check results and displayed statuses. A big batch is split into several notices sent in the
/// same transaction, each under PostgreSQL's 8000-byte payload limit.
/// </summary>
/// <param name="UpTo">The newest event id the batch wrote; 0 when it wrote none.</param>
internal sealed record JournalNotice(
    [property: JsonPropertyName("u")] long UpTo,
    [property: JsonPropertyName("c")] IReadOnlyList<NoticeItem> Items)
{
    /// <summary>The notices of one committed batch (none when it has nothing for a live viewer).</summary>
    public static List<string> Payloads(IReadOnlyList<CommittedWrite> steps)
    {
        var upTo = 0L;
        var items = new List<string>();
        foreach (var step in steps)
        {
            if (step.Event is { } e)
            {
                upTo = Math.Max(upTo, e.Id);
            }
            if (step.MonitorId is not { } monitorId)
            {
                // About no monitor (a system alert): nothing for live viewers.
                continue;
            }
            var status = step.Write?.State is { } st ? StatusWords.Display(st.State.Status, st.State.ConsecutiveFailures) : "unknown";
            if (step.Check is { } check)
            {
                items.Add(JsonSerializer.Serialize(new NoticeItem(monitorId, status, check.At.ToUnixTimeMilliseconds(),
                    StatusWords.Outcome(check.Outcome), check.ResponseMs, step.Write?.Checks.LastOrDefault()?.Location)));
            }
            else if (step.Event is { Kind: EventKind.Status })
            {
                // Paused, resumed, maintenance: no check, but a coalesced check waiting for the next frame must not show the old status.
                items.Add(JsonSerializer.Serialize(new NoticeItem(monitorId, status)));
            }
        }
        var payloads = new List<string>();
        if (upTo == 0 && items.Count == 0)
        {
            return payloads;
        }
        var head = $"{{\"u\":{upTo},\"c\":[";
        var payload = new StringBuilder(head);
        var inPayload = 0;
        foreach (var item in items)
        {
            // Item JSON is ASCII (ids, numbers, status words): its length in chars is its length in bytes.
            if (inPayload > 0 && payload.Length + item.Length + 3 > DatabaseSignals.MaxPayloadBytes)
            {
                payloads.Add(payload.Append("]}").ToString());
                payload.Clear().Append(head);
                inPayload = 0;
            }
            payload.Append(inPayload++ > 0 ? "," : "").Append(item);
        }
        payloads.Add(payload.Append("]}").ToString());
        return payloads;
    }

    /// <summary>Sends the batch's notices from its open transaction: the other nodes hear of it when, and only if, it commits.</summary>
    public static async Task SendAsync(UptimeWatchDbContext db, IReadOnlyList<CommittedWrite> steps, CancellationToken cancellationToken)
    {
        foreach (var payload in Payloads(steps))
        {
            await DatabaseSignals.NotifyInTransactionAsync(db, JournalTail.Channel, payload, cancellationToken);
        }
    }

    /// <summary>A notice as sent; null for one this version cannot read (a newer node's), which then only wakes the reader.</summary>
    public static JournalNotice? Parse(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<JournalNotice>(payload);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// One write of a batch for live viewers: the monitor, its displayed status, and its check (time in Unix ms, outcome
/// word, response time, an agent's location) when it has one. Short names: up to about a hundred fit in one notice.
/// </summary>
internal sealed record NoticeItem(
    [property: JsonPropertyName("m")] int MonitorId,
    [property: JsonPropertyName("s")] string Status,
    [property: JsonPropertyName("a"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? At = null,
    [property: JsonPropertyName("o"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Outcome = null,
    [property: JsonPropertyName("r"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ResponseMs = null,
    [property: JsonPropertyName("l"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Location = null);
