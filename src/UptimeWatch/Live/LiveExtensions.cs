using UptimeWatch.Journal;
namespace UptimeWatch.Live;

internal static class LiveExtensions
{
    public static IHostApplicationBuilder AddLive(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventHub>();
        builder.Services.AddSingleton<LivePublisher>();
        // The Journal's read side: the status page, the live streams and the admin socket read the log through it.
        builder.Services.AddSingleton<LiveEvents>();
        builder.Services.AddSingleton<JournalReader>();
        builder.Services.AddSingleton<ConnectionLimiter>();
        builder.Services.AddHostedService<LiveTimers>();
        return builder;
    }

    public static IEndpointRouteBuilder MapLive(this IEndpointRouteBuilder app) => app.MapLiveApi();
}
