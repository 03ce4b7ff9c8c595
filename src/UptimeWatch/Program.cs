using Microsoft.Extensions.Options;
using UptimeWatch.AdminConsole;
using UptimeWatch.Agents;
using UptimeWatch.Alerting;
using UptimeWatch.Configuration;
using UptimeWatch.Health;
using UptimeWatch.Hosting;
using UptimeWatch.Journal;
using UptimeWatch.Live;
using UptimeWatch.Logging;
using UptimeWatch.Monitoring;
using UptimeWatch.Operations;
using UptimeWatch.Probing;
using UptimeWatch.Scheduling;
using UptimeWatch.StatusPage;
using UptimeWatch.Storage;

const string Name = "UptimeWatch";

try
{
    if (args is [AgentHost.Command, ..])
    {
        // A probe agent: the same binary, its own host (docs/locations.md).
        return await AgentHost.RunAsync(args[1..]);
    }
    if (await Commands.TryRunAsync(args) is { } exitCode)
    {
        return exitCode;
    }

    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = args,
        // The shipped appsettings.json is linked into the output folder; `dotnet run` must find it there.
        ContentRootPath = AppContext.BaseDirectory,
    });

    builder.AddUptimeWatchConfiguration(args);
    builder.AddLogging();
    builder.AddHosting();
    builder.AddStorage();
    builder.AddJournal();
    builder.AddMonitoring();
    builder.AddProbing();
    builder.AddScheduling();
    builder.AddStatusPage();
    builder.AddHealth();
    builder.AddLive();
    builder.AddAdminConsole();
    builder.AddAgents();
    builder.AddAlerting();
    builder.AddMetrics();

    var app = builder.Build();
    app.CheckBeforeStart();
    app.LockDataDirectory();
    app.UseProxyHeaders();
    app.UseRequestLogging();
    app.MapOpenApi();
    app.MapHealth();
    app.MapStatusPage();
    app.MapStatusPageUi();
    app.MapLive();
    app.MapPushApi();
    app.MapAdminConsole();
    app.MapAgents();
    app.MapMetrics();

    return await app.RunUntilStoppedAsync();
}
catch (OptionsValidationException ex) when (ex.OptionsType == typeof(UptimeWatchOptions))
{
    return await ExitCodes.NotStartedAsync(Name, [.. ex.Failures]);
}
catch (DataDirectoryLockedException ex)
{
    return await ExitCodes.NotStartedAsync(Name, ex.Message);
}
catch (ConfigurationFileException ex)
{
    return await ExitCodes.NotStartedAsync(Name, ex.Message);
}
catch (InvalidDataException ex)
{
    return await ExitCodes.NotStartedAsync(Name, ConfigurationFileException.FromSyntaxError(ex).Message);
}
catch (Exception ex) when (ex is not HostAbortedException)
{
    // Anything else (a database that cannot be opened, a port in use): the host has logged the details. Exit 1 rather
    // than the runtime's abort (134) for an unhandled exception: a fault a restart may cure, not a bad setting.
    await Console.Error.WriteLineAsync($"{Name} stopped: {ex.GetType().Name}: {ex.Message}");
    return ExitCodes.Failed;
}

/// <summary>The entry point, visible to <c>WebApplicationFactory</c> in the tests.</summary>
public partial class Program;
