namespace UptimeWatch.Alerting.Channels;

internal static class ChannelsExtensions
{
    public const string HttpClientName = "notify";

    /// <summary>Every channel sender, and the HTTP client they share (the dispatcher gives each attempt its deadline).</summary>
    public static IServiceCollection AddChannelSenders(this IServiceCollection services)
    {
        var version = typeof(ChannelsExtensions).Assembly.GetName().Version?.ToString(3) ?? "0";
        services.AddHttpClient(HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd($"UptimeWatch/{version}");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            .RemoveAllLoggers();
        services.AddSingleton<IChannelSender, WebhookSender>();
        services.AddSingleton<IChannelSender, SlackSender>();
        services.AddSingleton<IChannelSender, DiscordSender>();
        services.AddSingleton<IChannelSender, TeamsSender>();
        services.AddSingleton<IChannelSender, TelegramSender>();
        services.AddSingleton<IChannelSender, NtfySender>();
        return services;
    }
}
