using System.Net;
using UptimeWatch.Configuration;

namespace UptimeWatch.Agents;

/// <summary>
/// What <c>UptimeWatch agent</c> reads (docs/locations.md): <c>UptimeWatch:Agent</c> (<see cref="Server"/>,
/// <see cref="Token"/>, <see cref="Location"/>), and of the server's settings only <c>UptimeWatch:DataDirectory</c> (the
/// buffer file) and <c>UptimeWatch:Probing</c> (the probes' source address and extra CA certificates). The rest of the
/// file (monitors, storage…) is the server's and is not read, so one file may serve both.
/// </summary>
internal sealed record AgentSettings
{
    public const string Section = "UptimeWatch:Agent";

    /// <summary>The server's base URL (http or https); the agent opens <c>ws(s)://…/ws/agent</c> below it.</summary>
    public required Uri Server { get; init; }

    /// <summary>An agent token (<c>uw_agent_…</c>), made in the console for this location.</summary>
    public required string Token { get; init; }

    /// <summary>The location this agent checks from: it must be the token's.</summary>
    public required string Location { get; init; }

    /// <summary>The data folder, absolute: the buffer file and the logs go there.</summary>
    public required string DataDirectory { get; init; }

    public IPAddress? SourceAddress { get; init; }

    public string? CaCertificatesFile { get; init; }

    /// <summary><c>UptimeWatch:Probing:Canaries</c>: the agent's own way of telling that its network, not a target, is down.</summary>
    public IReadOnlyList<MonitorDefinition> Canaries { get; init; } = [];

    public int CanaryIntervalSeconds { get; init; } = CanarySettings.DefaultIntervalSeconds;

    /// <summary>Where the socket is: the server's URL with ws(s) for http(s) and the protocol's path below its own.</summary>
    public Uri SocketUri
    {
        get
        {
            var builder = new UriBuilder(Server) { Scheme = Server.Scheme == Uri.UriSchemeHttps ? "wss" : "ws", Query = "", Fragment = "" };
            builder.Path = builder.Path.TrimEnd('/') + AgentProtocol.Path;
            return builder.Uri;
        }
    }

    /// <summary>The settings, or null with one line per problem, each naming the key and the value.</summary>
    public static AgentSettings? Read(IConfiguration configuration, List<string> errors)
    {
        var before = errors.Count;
        var agent = new TrackedSection(configuration.GetSection(Section), Section);

        Uri? server = null;
        var serverText = agent["Server"]?.Trim();
        if (string.IsNullOrEmpty(serverText))
        {
            errors.Add($"{Section}:Server is required: the server's address, for example https://status.example.com");
        }
        else if (!Uri.TryCreate(serverText, UriKind.Absolute, out server) || server.Scheme is not ("http" or "https")
                 || string.IsNullOrEmpty(server.Host) || server.UserInfo.Length > 0)
        {
            errors.Add($"{Section}:Server \"{serverText}\" must be the server's http:// or https:// address, for example https://status.example.com");
            server = null;
        }

        var token = agent["Token"]?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            errors.Add($"{Section}:Token is required: an agent token (uw_agent_…) made in the console for this location");
        }
        else if (!AgentTokens.Secret.LooksValid(token))
        {
            // A secret, or part of one: only its first characters are repeated.
            var shown = token.Length <= 12 ? token : token[..12] + "…";
            errors.Add($"{Section}:Token \"{shown}\" is not an agent token: it must be uw_agent_ and 32 letters, digits, '-' or '_', as the console shows it once");
            token = null;
        }

        var locationText = agent["Location"];
        string? location = null;
        if (string.IsNullOrWhiteSpace(locationText))
        {
            errors.Add($"{Section}:Location is required: the location of the agent's token, {LocationName.Rule}");
        }
        else if ((location = LocationName.Normalize(locationText)) is null)
        {
            errors.Add($"{Section}:Location \"{locationText}\" must be {LocationName.Rule}");
        }

        agent.ReportUnknownKeys(errors);

        var root = configuration.GetSection(UptimeWatchOptions.Section);
        var dataDirectory = root["DataDirectory"] ?? new UptimeWatchOptions().DataDirectory;
        if (string.IsNullOrWhiteSpace(dataDirectory))
        {
            errors.Add("UptimeWatch:DataDirectory is empty: remove it to use the default \"data\", or name a folder");
        }

        IPAddress? sourceAddress = null;
        if (root["Probing:SourceAddress"]?.Trim() is { Length: > 0 } source
            && SourceAddressSetting.Problem(source, out sourceAddress) is { } sourceProblem)
        {
            errors.Add("UptimeWatch:" + sourceProblem);
        }

        var caFile = root["Probing:CaCertificatesFile"];
        if (!string.IsNullOrEmpty(caFile))
        {
            try
            {
                CaCertificates.Load(caFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                errors.Add($"UptimeWatch:Probing:CaCertificatesFile \"{caFile}\" cannot be read as PEM certificates: {ex.Message}");
            }
        }

        var (canaries, canaryInterval) = CanarySettings.Read(root.GetSection("Probing"), "UptimeWatch:Probing", errors);

        if (errors.Count > before)
        {
            return null;
        }
        return new AgentSettings
        {
            Server = server!, Token = token!, Location = location!, DataDirectory = Path.GetFullPath(dataDirectory),
            SourceAddress = sourceAddress, CaCertificatesFile = string.IsNullOrEmpty(caFile) ? null : caFile,
            Canaries = canaries, CanaryIntervalSeconds = canaryInterval,
        };
    }

    /// <summary>The server's options as far as the shared pieces (probes, logging) read them.</summary>
    public UptimeWatchOptions AsServerOptions() => new()
    {
        DataDirectory = DataDirectory,
        Location = Location,
        Probing = new ProbingOptions
        {
            SourceAddress = SourceAddress, CaCertificatesFile = CaCertificatesFile, Canaries = Canaries, CanaryIntervalSeconds = CanaryIntervalSeconds,
        },
    };

    /// <summary>Never the token: a record's generated ToString would print it into any log that shows the settings.</summary>
    public override string ToString() => $"agent of {Location} for {Server}";
}
