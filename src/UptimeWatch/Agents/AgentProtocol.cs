using System.Text.Json;
using System.Text.Json.Serialization;
using UptimeWatch.Probing;

namespace UptimeWatch.Agents;

/// <summary>
/// The messages of <c>/ws/agent</c> (docs/agent-protocol.md), both sides: the server's endpoint and the agent read and
/// write these and nothing else. camelCase JSON, enums as camelCase strings, unknown properties ignored.
/// </summary>
internal static class AgentProtocol
{
    public const string Path = "/ws/agent";

    /// <summary>The header an agent names its configured location in; it must match its token's.</summary>
    public const string LocationHeader = "X-UptimeWatch-Location";

    public const int MaxMessageBytes = 256 * 1024;

    public const int MaxChecksPerMessage = 500;

    /// <summary>How far a slot may be ahead of the server's clock (the agent's clock may run a little fast).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static class Types
    {
        public const string Welcome = "welcome";
        public const string Monitors = "monitors";
        public const string Ack = "ack";
        public const string Results = "results";
    }

    public static class CloseReasons
    {
        public const string ServerStopping = "the server is shutting down";
    }
}

/// <summary>Any message: its <c>type</c> says which of the others it is.</summary>
internal sealed record AgentEnvelope(string? Type);

/// <summary>One monitor an agent checks: the server's id (its slot grid) and its fields as stored.</summary>
internal sealed record AgentMonitor(int Id, string Slug, IReadOnlyDictionary<string, string?> Fields);

internal sealed record AgentLimits(int MaxMessageBytes, int MaxChecksPerMessage);

/// <summary>Server → agent, first: who it is and what to check.</summary>
internal sealed record AgentWelcome(string Location, DateTimeOffset ServerTime, AgentLimits Limits, IReadOnlyList<AgentMonitor> Monitors)
{
    public string Type => AgentProtocol.Types.Welcome;
}

/// <summary>Server → agent: the whole list again after a change.</summary>
internal sealed record AgentMonitors(IReadOnlyList<AgentMonitor> Monitors)
{
    public string Type => AgentProtocol.Types.Monitors;
}

/// <summary>Agent → server: checks, oldest first.</summary>
internal sealed record AgentResults(long Seq, IReadOnlyList<AgentCheck>? Checks)
{
    public string Type => AgentProtocol.Types.Results;
}

/// <summary>
/// One check made by an agent, on the slot of the server's grid it fills. <paramref name="CutOff"/>: the agent could not
/// reach the internet when it was made (every one of its canaries failed), so its verdict is held, not counted.
/// </summary>
internal sealed record AgentCheck(int Monitor, DateTimeOffset Slot, DateTimeOffset At, Verdict Verdict, int ElapsedMs, int? HttpStatus,
    FailureKind? Failure, string? Error, ProbeTimings? Timings, int? CertificateDaysLeft, bool CutOff = false);

/// <summary>Server → agent: what became of one <see cref="AgentResults"/> message, once committed.</summary>
internal sealed record AgentAck(long Seq, int Stored, int Duplicates, IReadOnlyList<AgentRefusal> Refused)
{
    public string Type => AgentProtocol.Types.Ack;
}

/// <summary>A check that will never be stored: its index in the message, the field and value at fault, why.</summary>
internal sealed record AgentRefusal(int Index, string Field, string Value, string Error);
