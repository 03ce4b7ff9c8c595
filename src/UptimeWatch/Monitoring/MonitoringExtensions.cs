namespace UptimeWatch.Monitoring;

internal static class MonitoringExtensions
{
    public static IHostApplicationBuilder AddMonitoring(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MonitorRegistry>();
        builder.Services.AddSingleton<ConfigMonitorSync>();
        builder.Services.AddSingleton<DefinitionGate>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConfigMonitorSync>());
        return builder;
    }
}
