namespace UptimeWatch.Alerting;

internal static class AlertingExtensions
{
    /// <summary>The outbox dispatcher (delivery, retries, reminders) and the channel senders.</summary>
    public static IHostApplicationBuilder AddAlerting(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        Channels.ChannelsExtensions.AddChannelSenders(services);
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(s => s.GetRequiredService<NotificationDispatcher>());
        return builder;
    }
}
