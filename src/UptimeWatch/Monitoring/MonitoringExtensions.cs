namespace UptimeWatch.Monitoring;

internal static class MonitoringExtensions
{
    public static IHostApplicationBuilder AddMonitoring(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MonitorRegistry>();
        builder.Services.AddHostedService<ConfigMonitorSync>();
        return builder;
    }
}
