namespace UptimeWatch.Agents;

/// <summary>The server's side of probe agents: their tokens, their sockets, what they report.</summary>
internal static class AgentsExtensions
{
    public static IHostApplicationBuilder AddAgents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AgentConnections>();
        builder.Services.AddSingleton<AgentResultsHandler>();
        builder.Services.AddHostedService<AgentRevocations>();
        builder.Services.AddHostedService<LocationWatch>();
        return builder;
    }

    public static IEndpointRouteBuilder MapAgents(this IEndpointRouteBuilder app)
    {
        app.MapAgentTokenApi();
        app.MapAgentSocket();
        return app;
    }
}
