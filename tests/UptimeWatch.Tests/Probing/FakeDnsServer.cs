using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UptimeWatch.Tests.Probing;

/// <summary>
/// A tiny authoritative DNS server on UDP 127.0.0.1:&lt;free port&gt; whose answers are built by hand, byte by byte,
/// so the DNS probe is tested against the wire format and not against another library's idea of it.
/// Unknown names are NXDOMAIN, <see cref="ServFailName"/> answers SERVFAIL, <see cref="HangName"/> is never answered.
/// </summary>
internal sealed class FakeDnsServer : IAsyncDisposable
{
    public const string ServFailName = "broken.test";
    public const string HangName = "hang.test";

    /// <summary>After this many queries the server stops, so a runaway client cannot keep it busy forever.</summary>
    private const int MaxQueries = 10_000;

    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, List<Record>> _zone = new(StringComparer.OrdinalIgnoreCase);
    private readonly Task _loop;
    private int _queries;

    public FakeDnsServer()
    {
        _loop = Task.Run(ServeAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.Client.LocalEndPoint!;

    /// <summary><c>127.0.0.1:port</c>, as written in <c>dns://…?server=</c>.</summary>
    public string Server => $"127.0.0.1:{EndPoint.Port}";

    /// <summary>How many queries have arrived (each check must really ask: no cache in between).</summary>
    public int Queries => Volatile.Read(ref _queries);

    public FakeDnsServer A(string name, params string[] addresses) => Add(name, addresses.Select(a => Record.Address(1, a)));

    public FakeDnsServer Aaaa(string name, params string[] addresses) => Add(name, addresses.Select(a => Record.Address(28, a)));

    public FakeDnsServer Cname(string name, string target) => Add(name, [new Record(5, EncodeName(target))]);

    public FakeDnsServer Mx(string name, ushort preference, string exchange)
    {
        var data = new byte[2].Concat(EncodeName(exchange)).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(data, preference);
        return Add(name, [new Record(15, data)]);
    }

    public FakeDnsServer Txt(string name, params string[] strings) =>
        Add(name, [new Record(16, strings.SelectMany(s => new[] { (byte)Encoding.UTF8.GetByteCount(s) }.Concat(Encoding.UTF8.GetBytes(s))).ToArray())]);

    private FakeDnsServer Add(string name, IEnumerable<Record> records)
    {
        lock (_zone)
        {
            if (!_zone.TryGetValue(name, out var list))
            {
                _zone[name] = list = [];
            }
            list.AddRange(records);
        }
        return this;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested && _queries < MaxQueries)
        {
            UdpReceiveResult request;
            try
            {
                request = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _queries);
            var response = Answer(request.Buffer);
            if (response is null)
            {
                continue;
            }
            try
            {
                await _socket.SendAsync(response, request.RemoteEndPoint, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }

    /// <summary>The response to one query, or null to stay silent.</summary>
    private byte[]? Answer(byte[] query)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4)) != 1)
        {
            return null;
        }
        // The question: labels up to the zero byte, then QTYPE and QCLASS.
        var labels = new List<string>();
        var offset = 12;
        while (offset < query.Length && query[offset] != 0)
        {
            int length = query[offset];
            labels.Add(Encoding.ASCII.GetString(query, offset + 1, length));
            offset += 1 + length;
        }
        var questionEnd = offset + 1 + 4;
        if (questionEnd > query.Length)
        {
            return null;
        }
        var name = string.Join('.', labels);
        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(offset + 1));

        if (name.Equals(HangName, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var answers = new List<Record>();
        byte rcode = 0;
        if (name.Equals(ServFailName, StringComparison.OrdinalIgnoreCase))
        {
            rcode = 2;
        }
        else
        {
            lock (_zone)
            {
                if (!_zone.TryGetValue(name, out var records))
                {
                    rcode = 3;
                }
                else
                {
                    answers.AddRange(records.Where(r => r.Type == type));
                    // Like a real server, a name that is an alias answers any type with the alias first.
                    if (answers.Count == 0 && type != 5 && records.FirstOrDefault(r => r.Type == 5) is { } alias)
                    {
                        answers.Add(alias);
                    }
                }
            }
        }

        using var response = new MemoryStream();
        var header = new byte[12];
        query.AsSpan(0, 2).CopyTo(header);                  // ID
        header[2] = (byte)(0x80 | 0x04 | (query[2] & 0x79)); // QR, AA, opcode and RD echoed
        header[3] = (byte)(0x80 | rcode);                   // RA, RCODE
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)answers.Count);
        response.Write(header);
        response.Write(query.AsSpan(12, questionEnd - 12));
        foreach (var answer in answers)
        {
            var fixedPart = new byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart, 0xC00C); // pointer to the name in the question
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart.AsSpan(2), answer.Type);
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart.AsSpan(4), 1); // IN
            // A long TTL on purpose: a probe that cached answers would stop asking, and the tests would notice.
            BinaryPrimitives.WriteUInt32BigEndian(fixedPart.AsSpan(6), 3600);
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart.AsSpan(10), (ushort)answer.Data.Length);
            response.Write(fixedPart);
            response.Write(answer.Data);
        }
        return response.ToArray();
    }

    private static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.Add(0);
        return [.. bytes];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop;
        _stop.Dispose();
    }

    private sealed record Record(ushort Type, byte[] Data)
    {
        public static Record Address(ushort type, string address) => new(type, IPAddress.Parse(address).GetAddressBytes());
    }
}
