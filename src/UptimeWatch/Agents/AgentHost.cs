using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Quartz;
using UptimeWatch.Configuration;
using UptimeWatch.Hosting;
using UptimeWatch.Logging;
using UptimeWatch.Probing;

namespace UptimeWatch.Agents;

/// <summary>
/// <c>UptimeWatch agent</c>: the same binary as a probe agent (docs/locations.md). A generic host with no database of the
/// server's, no web server: the probes, an in-memory Quartz scheduler on the server's grid, the local buffer and the
/// uploader. Exit codes as the server's (<see cref="ExitCodes"/>): 0 stopped on request, 1 a fault (restart it), 2 a bad
/// setting, or the server refused the agent for good (1008: revoked token, wrong location), which a restart will not cure.
/// </summary>
internal static class AgentHost
{
    public const string Command = "agent";

    private const string Name = "UptimeWatch agent";

    /// <summary>Runs the agent until it is stopped; <paramref name="args"/> are the arguments after <c>agent</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            // The shipped appsettings.json sits next to the binary, as for the server.
            ContentRootPath = AppContext.BaseDirectory,
        });
        AgentSettings? settings;
        try
        {
            builder.AddUptimeWatchConfigurationSources(args);
            var errors = new List<string>();
            settings = AgentSettings.Read(builder.Configuration, errors);
            if (settings is null)
            {
                return await ExitCodes.NotStartedAsync(Name, errors);
            }
        }
        catch (ConfigurationFileException ex)
        {
            return await ExitCodes.NotStartedAsync(Name, ex.Message);
        }
        catch (InvalidDataException ex)
        {
            return await ExitCodes.NotStartedAsync(Name, ConfigurationFileException.FromSyntaxError(ex).Message);
        }

        builder.AddAgent(settings);
        IHost host;
        try
        {
            host = builder.Build();
            // Opened before the host starts, so that a second agent on the same folder is one plain sentence.
            _ = host.Services.GetRequiredService<AgentBuffer>();
        }
        catch (AgentBufferLockedException ex)
        {
            return await ExitCodes.NotStartedAsync(Name, ex.Message);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            await Console.Error.WriteLineAsync(
                $"{Name} did not start: the buffer {Path.Combine(settings.DataDirectory, AgentBuffer.FileName)} cannot be opened: {ex.Message}");
            return ExitCodes.Failed;
        }
        catch (UnauthorizedAccessException ex)
        {
            return await ExitCodes.NotStartedAsync(Name, $"the data folder {settings.DataDirectory} cannot be written: {ex.Message}");
        }

        await using (host as IAsyncDisposable)
        {
            await host.StartAsync();
            await host.WaitForShutdownAsync();
            if (host.Services.GetRequiredService<AgentExit>().RefusedBecause is { } reason)
            {
                await Console.Error.WriteLineAsync($"{Name} stopped: the server refused it (1008): {reason}");
                return ExitCodes.NotStarted;
            }
            var failed = host.Services.GetServices<IHostedService>().OfType<BackgroundService>()
                .Where(s => s.ExecuteTask is { IsFaulted: true }).ToList();
            foreach (var service in failed)
            {
                var error = service.ExecuteTask!.Exception?.GetBaseException();
                await Console.Error.WriteLineAsync($"{Name} stopped: {service.GetType().Name} failed: {error?.GetType().Name}: {error?.Message}");
            }
            return failed.Count == 0 ? ExitCodes.Stopped : ExitCodes.Failed;
        }
    }

    /// <summary>The agent's services: the server's probes and logging, its own schedule, buffer and uploader.</summary>
    public static IHostApplicationBuilder AddAgent(this IHostApplicationBuilder builder, AgentSettings settings)
    {
        builder.Services.AddSingleton(settings);
        // The shared pieces (probes, logging) read the server's options: give them the agent's values.
        builder.Services.AddSingleton<IOptions<UptimeWatchOptions>>(Options.Create(settings.AsServerOptions()));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddLogging();
        builder.AddProbing();
        builder.Services.AddSingleton(services => new AgentBuffer(settings.DataDirectory, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<AgentBuffer>>()));
        builder.Services.AddQuartz(quartz =>
        {
            // A name of its own: Quartz keeps schedulers by name per process, and the tests run several hosts in one.
            quartz.ConfigureScheduler(s =>
            {
                s.InstanceName = $"uptimewatch-agent-{Guid.NewGuid():N}";
                s.ShutdownJobInterruption = ShutdownJobInterruption.Never;
            });
            quartz.UseInMemoryStore(store => store.MisfireThreshold = TimeSpan.FromSeconds(5));
            quartz.UseDefaultThreadPool(pool => pool.MaxConcurrency = 100);
        });
        builder.Services.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        builder.Services.AddSingleton<AgentSchedule>();
        builder.Services.AddSingleton<AgentExit>();
        builder.Services.AddHostedService<AgentUploader>();
        return builder;
    }
}
