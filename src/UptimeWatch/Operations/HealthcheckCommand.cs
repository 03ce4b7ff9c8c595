namespace UptimeWatch.Operations;

/// <summary>
/// <c>healthcheck [url]</c>: asks the running instance's <c>/healthz</c> and exits 0 when it answers 200. For
/// container health checks: the runtime image has no curl or wget, and this needs nothing but the app itself.
/// </summary>
internal static class HealthcheckCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var (hostArgs, positional) = CommandConfiguration.Split(args);
        Uri url;
        if (positional.Count > 1)
        {
            await stderr.WriteLineAsync($"healthcheck takes at most one URL, not {positional.Count}");
            return Commands.BadInput;
        }
        if (positional.Count == 1)
        {
            if (!Uri.TryCreate(positional[0], UriKind.Absolute, out var given) || given.Scheme is not ("http" or "https"))
            {
                await stderr.WriteLineAsync($"healthcheck URL \"{positional[0]}\" must be an absolute http(s) URL, e.g. http://127.0.0.1:5080/healthz");
                return Commands.BadInput;
            }
            url = given;
        }
        else
        {
            try
            {
                url = LocalHealthUrl(CommandConfiguration.Load(hostArgs).Raw);
            }
            catch (Configuration.ConfigurationFileException ex)
            {
                await stderr.WriteLineAsync(ex.Message);
                return Commands.BadInput;
            }
        }

        using var handler = new SocketsHttpHandler
        {
            // Talking to itself: an https listener's certificate is for the public name, not for 127.0.0.1.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => url.IsLoopback },
            AllowAutoRedirect = false,
        };
        using var client = new HttpClient(handler) { Timeout = Timeout };
        try
        {
            using var response = await client.GetAsync(url, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var line = $"{url} answered {(int)response.StatusCode}: {(body.Length > 500 ? body[..500] : body)}";
            if (response.IsSuccessStatusCode)
            {
                await stdout.WriteLineAsync(line);
                return Commands.Success;
            }
            await stderr.WriteLineAsync(line);
            return Commands.Failed;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"{url} did not answer: {(ex is TaskCanceledException ? $"no response within {Timeout.TotalSeconds} s" : ex.Message)}");
            return Commands.Failed;
        }
    }

    /// <summary>
    /// <c>/healthz</c> on the first address the server listens on (<c>Urls</c>, else <c>ASPNETCORE_HTTP_PORTS</c>,
    /// else ASP.NET Core's default), with a wildcard host replaced by the loopback address.
    /// </summary>
    internal static Uri LocalHealthUrl(IConfiguration configuration)
    {
        var first = configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .OrderBy(u => u.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault();
        if (first is null && configuration["http_ports"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() is { } port)
        {
            first = $"http://127.0.0.1:{port}";
        }
        first ??= "http://localhost:5000";

        var schemeEnd = first.IndexOf("://", StringComparison.Ordinal);
        var hostStart = schemeEnd + 3;
        var portStart = first.LastIndexOf(':');
        var host = portStart > hostStart ? first[hostStart..portStart] : first[hostStart..].TrimEnd('/');
        var loopback = host switch
        {
            "0.0.0.0" or "*" or "+" => "127.0.0.1",
            "[::]" => "[::1]",
            _ => host,
        };
        var builder = new UriBuilder(first.Replace($"://{host}", $"://{loopback}", StringComparison.Ordinal)) { Path = "/healthz" };
        return builder.Uri;
    }
}
