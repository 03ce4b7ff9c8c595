using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using UptimeWatch.Storage;

using UptimeWatch.Journal;

namespace UptimeWatch.StatusPage;

/// <summary>
/// Writes the status page snapshot as the JSON of <see cref="PageResponse"/>: the live fields of each monitor fresh,
/// its history copied from <see cref="PageHistoryCache"/>'s ready bytes, straight into the response in chunks.
/// </summary>
internal sealed class PageResult(PageHeader header, IReadOnlyList<PageMonitorState> monitors,
    IReadOnlyDictionary<int, MonitorHistoryJson> histories) : IResult
{
    private const int FlushBytes = 16 * 1024;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var cancellationToken = httpContext.RequestAborted;
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";

        var body = response.BodyWriter;
        await using var writer = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = json.Encoder, Indented = json.WriteIndented });
        writer.WriteStartObject();
        writer.WriteString("title", header.Title);
        writer.WriteString("description", header.Description);
        writer.WriteString("logoUrl", header.LogoUrl);
        writer.WriteString("footer", header.Footer);
        writer.WriteString("overall", header.Overall);
        writer.WriteNumber("cursor", header.Cursor);
        writer.WritePropertyName("generatedAt");
        JsonSerializer.Serialize(writer, header.GeneratedAt, json);
        writer.WriteStartArray("monitors");
        foreach (var m in monitors)
        {
            var history = histories[m.Id];
            writer.WriteStartObject();
            writer.WriteString("slug", m.Slug);
            writer.WriteString("name", m.Name);
            writer.WriteString("group", m.Group);
            writer.WriteString("type", m.Type);
            writer.WriteString("status", StatusWords.Display(m.Status, m.ConsecutiveFailures));
            writer.WriteBoolean("flapping", m.Flapping);
            writer.WritePropertyName("lastCheckedAt");
            JsonSerializer.Serialize(writer, m.LastCheckedAt, json);
            writer.WritePropertyName("lastResponseMs");
            JsonSerializer.Serialize(writer, m.LastResponseMs, json);
            // Produced by JsonSerializer with these same options when the cache was built.
            writer.WritePropertyName("uptime");
            writer.WriteRawValue(history.Uptime, skipInputValidation: true);
            writer.WritePropertyName("days");
            writer.WriteRawValue(history.Days, skipInputValidation: true);
            writer.WritePropertyName("responseTimes");
            writer.WriteRawValue(history.ResponseTimes, skipInputValidation: true);
            writer.WriteEndObject();
            if (writer.BytesPending >= FlushBytes)
            {
                writer.Flush();
                await body.FlushAsync(cancellationToken);
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        await body.FlushAsync(cancellationToken);
    }
}

/// <summary>The page-level fields of the snapshot.</summary>
internal sealed record PageHeader(string Title, string? Description, string? LogoUrl, string? Footer, string Overall, long Cursor,
    DateTimeOffset GeneratedAt);

/// <summary>A public monitor's row as the page reads it on every request.</summary>
internal sealed record PageMonitorState(int Id, string Slug, string Name, string? Group, string Type, MonitorStatus Status,
    int ConsecutiveFailures, DateTimeOffset? LastCheckedAt, int? LastResponseMs)
{
    public bool Flapping { get; init; }
}
