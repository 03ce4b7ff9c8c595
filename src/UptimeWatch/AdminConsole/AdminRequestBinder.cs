using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UptimeWatch.AdminConsole;

/// <summary>
/// Binds a JSON object (a socket payload, a REST body) to a request record with System.Text.Json, strictly: a field
/// of the wrong JSON type is <c>bad_request</c> naming the field and the value sent, in the words of docs/admin-protocol.md
/// (<c>slug "42" must be a string</c>). Unknown fields are ignored; a null is as good as leaving the field out.
/// </summary>
internal static class AdminRequestBinder
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Names as the protocol spells them: "slug", not "Slug".
        PropertyNameCaseInsensitive = false,
        NumberHandling = JsonNumberHandling.Strict,
        Converters = { new NonNegativeLong(), new LenientTime() },
    };

    /// <param name="what">The object's name in a message when it is not an object (<c>payload</c>, <c>body</c>).</param>
    public static T Bind<T>(JsonElement json, string what) where T : IAdminRequest => (T)Bind(typeof(T), json, what);

    public static IAdminRequest Bind(Type type, JsonElement json, string what)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw AdminCommandException.BadRequest(what, null, "must be a JSON object");
        }
        try
        {
            return (IAdminRequest)(json.Deserialize(type, Options) ?? throw AdminCommandException.BadRequest(what, null, "must be a JSON object"));
        }
        catch (JsonException ex)
        {
            throw Refused(type, json, ex.Path);
        }
    }

    /// <summary>The field at fault (<c>$.limit</c> → <c>limit</c>), its value as sent, and what its type asks for.</summary>
    private static AdminCommandException Refused(Type type, JsonElement json, string? path)
    {
        var field = path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal)
            ? path[2..].Split('.', '[')[0]
            : null;
        var property = field is null ? null : type.GetProperty(field, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        if (field is null || property is null || !json.TryGetProperty(field, out var value))
        {
            return AdminCommandException.BadRequest("payload", null, "does not match the command's fields");
        }
        var problem = (Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) switch
        {
            var t when t == typeof(long) => "must be a whole number, 0 or more",
            var t when t == typeof(int) => "must be a whole number",
            var t when t == typeof(DateTimeOffset) => "must be a date and time, e.g. 2026-11-25T22:00:00Z",
            _ => "must be a string",
        };
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        return AdminCommandException.BadRequest(field, Check.Shorten(text), problem);
    }

    /// <summary>Ids and cursors: event-log ids and row ids are never negative.</summary>
    private sealed class NonNegativeLong : JsonConverter<long>
    {
        public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0 ? value : throw new JsonException();

        public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }

    /// <summary>Times as people write them (<c>2026-11-25 22:00</c> too); without an offset they are UTC.</summary>
    private sealed class LenientTime : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
            && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                ? time
                : throw new JsonException();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToString("O", CultureInfo.InvariantCulture));
    }
}
