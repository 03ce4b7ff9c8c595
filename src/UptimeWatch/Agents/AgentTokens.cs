using UptimeWatch.AdminConsole;

namespace UptimeWatch.Agents;

/// <summary>Agent tokens' own kind of secret: <c>uw_agent_</c> and 32, never taken for an API token (nor one of those for this).</summary>
internal static class AgentTokens
{
    public static readonly TokenSecret Secret = new("uw_agent_", 13);
}
