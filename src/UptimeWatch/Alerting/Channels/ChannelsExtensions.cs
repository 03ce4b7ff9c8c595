using Microsoft.Extensions.DependencyInjection.Extensions;

namespace UptimeWatch.Alerting.Channels;

internal static class ChannelsExtensions
{
    /// <summary>
    /// Every <see cref="IChannelSender"/> (one per channel type) and the <c>notify</c> HTTP client they share.
    /// The client has no timeout of its own (the dispatcher gives each attempt a deadline) and follows no
    /// redirects (a redirected POST would arrive as a GET and still look delivered).
    /// </summary>
    public static IServiceCollection AddChannelSenders(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        var version = typeof(ChannelsExtensions).Assembly.GetName().Version?.ToString(3) ?? "0";
        services.AddHttpClient(HttpDelivery.ClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd($"UptimeWatch/{version}");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                // Webhook hosts move (DNS changes, failovers): do not pin a connection forever.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .RemoveAllLoggers();
        services.AddSingleton<HttpDelivery>();
        services.AddSingleton<IChannelSender, WebhookSender>();
        services.AddSingleton<IChannelSender, SlackSender>();
        services.AddSingleton<IChannelSender, DiscordSender>();
        services.AddSingleton<IChannelSender, TeamsSender>();
        services.AddSingleton<IChannelSender, TelegramSender>();
        services.AddSingleton<IChannelSender, NtfySender>();
        services.AddSingleton<IChannelSender>(provider => new EmailSender(provider.GetService<Probing.CertificateCheck>()));
        return services;
    }
}
