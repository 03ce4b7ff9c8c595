using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Formatting.Compact;
using UptimeWatch.Configuration;
using UptimeWatch.Storage;

namespace UptimeWatch.Logging;

internal static class LoggingExtensions
{
    /// <summary>
    /// Serilog from the <c>Serilog</c> config section (levels, console), plus a rolling JSON file under the data
    /// folder, which depends on the validated options and so is added here rather than in the config file.
    /// </summary>
    public static IHostApplicationBuilder AddLogging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSerilog((services, logger) =>
        {
            var options = services.GetRequiredService<IOptions<UptimeWatchOptions>>().Value;
            logger.ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext();
            if (options.Errors.Count == 0)
            {
                logger.WriteTo.File(new CompactJsonFormatter(),
                    Path.Combine(StorageExtensions.DataDirectory(options), "logs", "uptimewatch-.json"),
                    rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14, fileSizeLimitBytes: 100 * 1024 * 1024,
                    rollOnFileSizeLimit: true);
            }
        });
        return builder;
    }

    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(request =>
            request.GetLevel = (context, _, exception) =>
                exception is not null || context.Response.StatusCode >= 500 ? Serilog.Events.LogEventLevel.Error
                // Health probes and the self-monitor would otherwise fill the log.
                : context.Request.Path.StartsWithSegments("/healthz") ? Serilog.Events.LogEventLevel.Debug
                : Serilog.Events.LogEventLevel.Information);
        return app;
    }
}
