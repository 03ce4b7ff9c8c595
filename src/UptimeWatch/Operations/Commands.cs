using System.Reflection;
using System.Runtime.InteropServices;

namespace UptimeWatch.Operations;

/// <summary>
/// The binary's commands besides serving: <c>validate-config</c>, <c>backup</c>, <c>healthcheck</c>, <c>migrate-data</c>,
/// <c>--version</c>.
/// Without a command (or with only <c>--options</c>) the binary serves, as before.
/// </summary>
/// <remarks>Exit codes: 0 success, 1 the check or the backup failed, 2 bad usage or a bad configuration (as at start-up).</remarks>
internal static class Commands
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int BadInput = 2;

    public const string Usage = """
        Usage:
          UptimeWatch [--config <file>] [--urls <urls>]   serve: status page, API, admin console, checks
          UptimeWatch validate-config [<file>]             check a config file the way start-up does; exit 2 on errors
          UptimeWatch backup <file> [--config <file>]      consistent copy of the database, safe while UptimeWatch runs
          UptimeWatch healthcheck [<url>] [--config <file>] GET /healthz of the local instance; exit 0 when healthy
          UptimeWatch migrate-data --from <sqlite file> --to <connection string> [--overwrite] [--batch-size <rows>]
                                                           copy a SQLite install into PostgreSQL (resumable; see docs/scale-out.md)
          UptimeWatch agent [--config <file>]              run as a probe agent of a server (docs/locations.md)
          UptimeWatch --version                            print the version
        Without <file>, the config is found as at start-up: --config, else UPTIMEWATCH_CONFIG, else appsettings.json.
        """;

    /// <summary>Runs the command named by the first argument, or returns null when the arguments mean "serve".</summary>
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("--version" or "--help" or "-h")))
        {
            return null;
        }

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancel.Cancel();
        });
        try
        {
            var rest = args[1..];
            switch (args[0])
            {
                case "--version" or "version":
                    await Console.Out.WriteLineAsync($"UptimeWatch {Version} (.NET {Environment.Version})");
                    return Success;
                case "--help" or "-h" or "help":
                    await Console.Out.WriteLineAsync(Usage);
                    return Success;
                case "validate-config":
                    return await ValidateConfigCommand.RunAsync(rest, Console.Out, Console.Error);
                case "backup":
                    return await BackupCommand.RunAsync(rest, Console.Out, Console.Error, cancel.Token);
                case "healthcheck":
                    return await HealthcheckCommand.RunAsync(rest, Console.Out, Console.Error, cancel.Token);
                case "migrate-data":
                    return await MigrateDataCommand.RunAsync(rest, Console.Out, Console.Error, cancel.Token);
                default:
                    await Console.Error.WriteLineAsync($"\"{args[0]}\" is not an UptimeWatch command.\n{Usage}");
                    return BadInput;
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"{args[0]}: cancelled");
            return Failed;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>The version and, when built from git, the commit: <c>0.7.0+4f1c2e…</c>.</summary>
    public static string Version { get; } =
        typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Commands).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
