using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UptimeWatch.Alerting.Channels;

internal static class ChannelJson
{
    /// <summary>camelCase, nulls kept: the webhook documents every field as always present.</summary>
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web)
    {
        // These bodies go to HTTP receivers, never into an HTML page: no need to turn <, &, + or "é" into \u escapes,
        // and a person reading a raw (signed) body sees the text. Quotes, backslashes and controls are still escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>camelCase without nulls: chat services reject or mis-render explicit nulls.</summary>
    public static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A POST of <paramref name="body"/> as UTF-8 JSON.</summary>
    public static HttpRequestMessage Post(Uri url, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
    }

    public static HttpRequestMessage Post<T>(Uri url, T payload, JsonSerializerOptions? options = null) =>
        Post(url, JsonSerializer.SerializeToUtf8Bytes(payload, options ?? Compact));

    /// <summary>Cuts <paramref name="text"/> to a service's field limit, marking the cut.</summary>
    public static string Limit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
