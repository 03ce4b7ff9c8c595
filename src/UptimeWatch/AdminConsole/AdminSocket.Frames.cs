using System.Buffers;
using System.Text.Json;

namespace UptimeWatch.AdminConsole;

/// <summary>The socket's frames as bytes: <c>ok</c> replies, <c>error</c> replies and pushes (docs/admin-protocol.md).</summary>
internal sealed partial class AdminSocket
{
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

}
