using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Hosting;

/// <summary>
/// How the serving process ends, for service managers (systemd's <c>Restart=on-failure</c>, Docker's restart policy):
/// 0 stopped on request, 1 stopped by a fault while running (restart it), 2 did not start because of the configuration or
/// another UptimeWatch on the same data folder (restarting will not help). README.md (Operations) lists them.
/// </summary>
internal static partial class ExitCodes
{
    public const int Stopped = 0;
    public const int Failed = 1;
    public const int NotStarted = 2;

    /// <summary>
    /// What must hold before the host starts anything: a valid configuration (then Storage takes the data folder's
    /// lock). Checked here rather than inside the host's start so that a refusal is one plain sentence, not the host's
    /// logged stack trace.
    /// </summary>
    public static void CheckBeforeStart(this WebApplication app)
    {
        // Reading the options runs the validator: OptionsValidationException lists every configuration error.
        _ = app.Services.GetRequiredService<IOptions<UptimeWatchOptions>>().Value;
    }

    /// <summary>
    /// Serves until stopped; returns 1 when it stopped because a background service failed. .NET's host stops on such a
    /// failure (BackgroundServiceExceptionBehavior.StopHost) but RunAsync then returns normally, which would exit 0,
    /// and a service manager would take a crash for a requested stop and never restart it.
    /// </summary>
    public static async Task<int> RunUntilStoppedAsync(this WebApplication app)
    {
        // Not RunAsync: it disposes the services (the logger too) before it returns, and they are needed below.
        await using var _ = app;
        await app.StartAsync();
        await app.WaitForShutdownAsync();
        var failed = app.Services.GetServices<IHostedService>().OfType<BackgroundService>()
            .Where(s => s.ExecuteTask is { IsFaulted: true }).ToList();
        if (failed.Count == 0)
        {
            return Stopped;
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ExitCodes).FullName!);
        foreach (var service in failed)
        {
            var error = service.ExecuteTask!.Exception?.GetBaseException();
            LogServiceFailed(logger, service.GetType().Name, error?.GetType().Name ?? "unknown", error?.Message ?? "", Failed);
        }
        return Failed;
    }

    /// <summary>
    /// Says on standard error that <paramref name="program"/> ("UptimeWatch", "UptimeWatch agent") did not start, with
    /// every configuration error on a line of its own; returns <see cref="NotStarted"/>.
    /// </summary>
    public static async Task<int> NotStartedAsync(string program, IReadOnlyCollection<string> errors)
    {
        await Console.Error.WriteLineAsync($"{program} did not start: the configuration has {errors.Count} error(s):");
        foreach (var error in errors)
        {
            await Console.Error.WriteLineAsync($"  - {error}");
        }
        return NotStarted;
    }

    /// <summary>Says on standard error that <paramref name="program"/> did not start, and why; returns <see cref="NotStarted"/>.</summary>
    public static async Task<int> NotStartedAsync(string program, string reason)
    {
        await Console.Error.WriteLineAsync($"{program} did not start: {reason}");
        return NotStarted;
    }

    [LoggerMessage(LogLevel.Critical,
        "UptimeWatch stopped because its background service {Service} failed ({ErrorType}: {Error}); exiting with code {ExitCode} so that the service manager restarts it")]
    private static partial void LogServiceFailed(ILogger logger, string service, string errorType, string error, int exitCode);
}
