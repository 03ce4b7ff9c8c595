namespace UptimeWatch.Live;

internal static class LiveExtensions
{
    public static IHostApplicationBuilder AddLive(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ConnectionLimiter>();
        builder.Services.AddHostedService<LiveTimers>();
        return builder;
    }

    public static IEndpointRouteBuilder MapLive(this IEndpointRouteBuilder app) => app.MapLiveApi();
}
