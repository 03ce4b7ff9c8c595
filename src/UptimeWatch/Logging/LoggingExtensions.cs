using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;
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
            // Defaults for a config file that has no Serilog section (UPTIMEWATCH_CONFIG pointing at a file with
            // monitors only): quiet frameworks and a console. The section, when present, overrides them.
            logger.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
                .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
                .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
                .ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext();
            if (!builder.Configuration.GetSection("Serilog:WriteTo").Exists())
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
            }
            if (options.Errors.Count == 0)
            {
                logger.WriteTo.File(new CompactJsonFormatter(),
                    Path.Combine(StorageExtensions.DataDirectory(options), "logs", "uptimewatch-.json"),
                    rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14, fileSizeLimitBytes: 100 * 1024 * 1024,
                    rollOnFileSizeLimit: true);
            }
        },
        // The logger belongs to this host, not to the process-wide Log.Logger: two hosts in one process (the tests run
        // many) would otherwise share one, and disposing either would flush and close whichever was set last.
        preserveStaticLogger: true);
        // One logger per category (see CachingLoggerFactory): wrap the factory Serilog registered.
        var serilogFactory = builder.Services.Last(d => d.ServiceType == typeof(ILoggerFactory));
        builder.Services.Remove(serilogFactory);
        builder.Services.AddSingleton<ILoggerFactory>(services => new CachingLoggerFactory((ILoggerFactory)(
            serilogFactory.ImplementationInstance
            ?? serilogFactory.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, serilogFactory.ImplementationType!))));
        return builder;
    }

    public static WebApplication UseRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(request =>
        {
            // This host's logger: the request log would otherwise go to the static Log.Logger, which nothing sets.
            request.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            request.GetLevel = (context, _, exception) =>
                exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
                // Health probes and the self-monitor would otherwise fill the log.
                : context.Request.Path.StartsWithSegments("/healthz") ? LogEventLevel.Debug
                // A push URL's path is its secret: keep it out of the log unless someone asks for everything.
                : context.Request.Path.StartsWithSegments("/api/push") ? LogEventLevel.Verbose
                : LogEventLevel.Information;
        });
        return app;
    }
}
