using System.Globalization;
using System.Text;

using UptimeWatch.Storage;

namespace UptimeWatch.Journal;

/// <summary>Builds one Server-Sent Events frame (<c>id:</c>, <c>event:</c>, <c>data:</c>, blank line) around JSON bytes.</summary>
internal static class SseFrame
{
    public static byte[] Build(long? id, string kind, ReadOnlySpan<byte> json)
    {
        var head = id is { } value
            ? $"id: {value.ToString(CultureInfo.InvariantCulture)}\nevent: {kind}\ndata: "
            : $"event: {kind}\ndata: ";
        var frame = new byte[Encoding.UTF8.GetByteCount(head) + json.Length + 2];
        var n = Encoding.UTF8.GetBytes(head, frame);
        json.CopyTo(frame.AsSpan(n));
        frame[^2] = (byte)'\n';
        frame[^1] = (byte)'\n';
        return frame;
    }
}
