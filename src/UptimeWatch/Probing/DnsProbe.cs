using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using UptimeWatch.Configuration;

namespace UptimeWatch.Probing;

/// <summary>
/// DNS check: asks <see cref="DnsCheck.Server"/> (or this machine's resolvers) for one record type of one name,
/// every time (no cache), under the monitor's deadline. Up when the answer holds records of that type and, when
/// <see cref="DnsCheck.Expected"/> is set, one of them matches one expected value. The record values are only
/// read, never contacted.
/// </summary>
internal sealed class DnsProbe(TimeProvider time) : IProbe
{
    /// <summary>How many record values a message quotes before summarising the rest.</summary>
    private const int MaxValuesShown = 5;

    public MonitorType Type => MonitorType.Dns;

    public async ValueTask<ProbeResult> CheckAsync(MonitorDefinition monitor, CancellationToken cancellationToken)
    {
        using var deadline = new ProbeDeadline(monitor.TimeoutSeconds, time, cancellationToken);
        int Elapsed() => deadline.ElapsedMs;

        var check = monitor.Dns!;
        var type = check.RecordType.ToString();
        LookupClient client;
        try
        {
            client = new LookupClient(Options(check, monitor.TimeoutSeconds));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or DnsResponseException)
        {
            // Only reachable without an explicit server: the machine's resolver configuration names none.
            return ProbeResult.Failed(FailureKind.DnsFailure, Elapsed(), $"no DNS server to ask: {ex.Message}");
        }
        var servers = string.Join(", ", client.NameServers.Select(Describe));

        IDnsQueryResponse response;
        try
        {
            // WaitAsync: the deadline must hold even if a lookup does not notice cancellation on its own.
            response = await client.QueryAsync(check.Name, check.RecordType, QueryClass.IN, deadline.Token).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            return NoAnswer();
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout || IsTimeout(ex))
        {
            return NoAnswer();
        }
        catch (DnsResponseException ex)
        {
            var socket = FindInner<SocketException>(ex);
            return ProbeResult.Failed(FailureKind.DnsFailure, Elapsed(), socket?.SocketErrorCode == SocketError.ConnectionRefused
                ? $"nothing answers DNS at {servers} (connection refused)"
                : $"could not ask {servers} for {check.Name} {type}: {(socket ?? (Exception)ex).Message}");
        }

        var at = Describe(response.NameServer);
        switch (response.Header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                break;
            case DnsHeaderResponseCode.NotExistentDomain:
                return ProbeResult.Failed(FailureKind.DnsFailure, Elapsed(), $"{check.Name} does not exist (NXDOMAIN) at {at}");
            case var code:
                return ProbeResult.Failed(FailureKind.DnsFailure, Elapsed(), $"{RcodeText(code)} for {check.Name} {type} at {at}");
        }

        var values = response.Answers.Where(r => (int)r.RecordType == (int)check.RecordType).Select(ValueOf).ToList();
        if (values.Count == 0)
        {
            // An authoritative server answers an alias with just the CNAME when the target is not its own.
            var alias = response.Answers.OfType<CNameRecord>().Select(c => $" (it is an alias of {HostName(c.CanonicalName)})").FirstOrDefault();
            return ProbeResult.Failed(FailureKind.DnsFailure, Elapsed(), $"{check.Name} has no {type} records at {at}{alias}");
        }
        if (check.Expected.Count > 0 && !values.Any(v => check.Expected.Any(e => Matches(check.RecordType, v, e))))
        {
            var quote = check.RecordType == QueryType.TXT;
            return ProbeResult.Failed(FailureKind.DnsMismatch, Elapsed(),
                $"{check.Name} {type} is {List(values, "and", quote)}, expected {List(check.Expected, "or", quote)}");
        }
        return ProbeResult.Ok(Elapsed());

        ProbeResult NoAnswer() => ProbeResult.Failed(FailureKind.Timeout, Elapsed(),
            $"no DNS answer within {monitor.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)} s from {servers}");
    }

    private static LookupClientOptions Options(DnsCheck check, int timeoutSeconds)
    {
        var options = check.Server is { } server
            ? new LookupClientOptions(WithDefaultPort(IPEndPoint.Parse(server)))
            : new LookupClientOptions();
        // A monitor must see what the server says now: no cache, and an error answer is reported, not retried
        // elsewhere. Two tries of half the deadline each survive one lost UDP packet and still end in time.
        options.UseCache = false;
        options.CacheFailedResults = false;
        options.ThrowDnsErrors = false;
        options.ContinueOnDnsError = false;
        options.ContinueOnEmptyResponse = false;
        options.Retries = 1;
        options.Timeout = TimeSpan.FromMilliseconds(timeoutSeconds * 1000 / 2);
        return options;
    }

    private static IPEndPoint WithDefaultPort(IPEndPoint endpoint) =>
        endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, NameServer.DefaultPort) : endpoint;

    private static string Describe(NameServer server) =>
        TcpConnector.Endpoint(server.Address, server.Port);

    /// <summary>The value a user would write in <c>expected=</c> for this record.</summary>
    private static string ValueOf(DnsResourceRecord record) => record switch
    {
        AddressRecord a => a.Address.ToString(),
        CNameRecord c => HostName(c.CanonicalName),
        MxRecord mx => HostName(mx.Exchange),
        NsRecord ns => HostName(ns.NSDName),
        PtrRecord ptr => HostName(ptr.PtrDomainName),
        SrvRecord srv => HostName(srv.Target),
        SoaRecord soa => HostName(soa.MName),
        TxtRecord txt => string.Concat(txt.Text),
        CaaRecord caa => caa.Value,
        _ => record.ToString(),
    };

    private static string HostName(DnsString name) => name.Value.TrimEnd('.');

    private static bool Matches(QueryType type, string actual, string expected) => type switch
    {
        QueryType.A or QueryType.AAAA =>
            IPAddress.TryParse(expected, out var address) && IPAddress.TryParse(actual, out var got) && address.Equals(got),
        QueryType.TXT or QueryType.CAA => string.Equals(actual, expected, StringComparison.Ordinal),
        _ => string.Equals(actual, expected.TrimEnd('.'), StringComparison.OrdinalIgnoreCase),
    };

    private static string RcodeText(DnsHeaderResponseCode code) => code switch
    {
        DnsHeaderResponseCode.ServerFailure => "server failure (SERVFAIL)",
        DnsHeaderResponseCode.Refused => "query refused (REFUSED)",
        DnsHeaderResponseCode.NotImplemented => "query not supported (NOTIMP)",
        DnsHeaderResponseCode.FormatError => "query rejected as malformed (FORMERR)",
        _ => $"error answer (RCODE {((int)code).ToString(CultureInfo.InvariantCulture)})",
    };

    private static string List(IReadOnlyList<string> values, string conjunction, bool quote)
    {
        var shown = values.Take(MaxValuesShown).Select(v => quote ? $"\"{v}\"" : v).ToList();
        var rest = values.Count - shown.Count;
        return rest > 0 ? $"{string.Join(", ", shown)} {conjunction} {rest.ToString(CultureInfo.InvariantCulture)} more"
            : shown.Count == 1 ? shown[0]
            : $"{string.Join(", ", shown[..^1])} {conjunction} {shown[^1]}";
    }

    private static bool IsTimeout(Exception ex) => FindInner<TimeoutException>(ex) is not null
        || FindInner<SocketException>(ex)?.SocketErrorCode == SocketError.TimedOut;

    private static T? FindInner<T>(Exception ex) where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }
        return null;
    }
}
