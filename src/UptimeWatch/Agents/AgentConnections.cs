using System.Collections.Concurrent;

namespace UptimeWatch.Agents;

/// <summary>
/// The agents connected to this node: who they are (token, location), since when, and how to end one. A revoked token
/// ends its agent's socket at once with 1008 (policy violation), whichever request revoked it on this node; a
/// revocation made on another node of a cluster arrives through <see cref="AgentRevocations"/>.
/// </summary>
internal sealed class AgentConnections
{
    private readonly ConcurrentDictionary<long, AgentSession> _sessions = new();
    private long _next;

    /// <summary>Adds a connected agent; disposing the returned handle removes it.</summary>
    public IDisposable Add(AgentSession session)
    {
        var key = Interlocked.Increment(ref _next);
        _sessions[key] = session;
        return new Removal(this, key);
    }

    public IReadOnlyList<AgentSession> Sessions => [.. _sessions.Values];

    /// <summary>How many sockets each token has open on this node, those the server is ending (revoked) left out.</summary>
    public IReadOnlyDictionary<int, int> OpenByToken() =>
        _sessions.Values.Where(s => s.EndReason is null).CountBy(s => s.TokenId).ToDictionary();

    /// <summary>Ends every socket of an agent signed in with this token.</summary>
    public void Revoke(int tokenId)
    {
        foreach (var session in _sessions.Values.Where(s => s.TokenId == tokenId))
        {
            session.End(AgentCloseReasons.Revoked);
        }
    }

    private sealed class Removal(AgentConnections owner, long key) : IDisposable
    {
        public void Dispose() => owner._sessions.TryRemove(key, out _);
    }
}

/// <summary>One connected agent: its token, its location, and the way to end its socket from elsewhere.</summary>
internal sealed class AgentSession(int tokenId, int locationId, string location, DateTimeOffset connectedAt)
{
    private readonly CancellationTokenSource _ended = new();

    public int TokenId => tokenId;
    public int LocationId => locationId;
    public string Location => location;
    public DateTimeOffset ConnectedAt => connectedAt;

    /// <summary>Why the server ended the socket (sent as the close frame's reason), or null while it runs.</summary>
    public string? EndReason { get; private set; }

    /// <summary>Cancelled when the server ends the session (<see cref="End"/>).</summary>
    public CancellationToken Ended => _ended.Token;

    public void End(string reason)
    {
        EndReason ??= reason;
        _ended.Cancel();
    }
}

internal static class AgentCloseReasons
{
    public const string Revoked = "the agent token was revoked";
}
