using UptimeWatch.Probing;

namespace UptimeWatch.Monitoring;

internal static class MonitoringExtensions
{
    public static IHostApplicationBuilder AddMonitoring(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MonitorRegistry>();
        builder.Services.AddSingleton<IPushHeartbeats>(services => services.GetRequiredService<MonitorRegistry>());
        builder.Services.AddSingleton<DefinitionGate>();
        return builder;
    }
}
