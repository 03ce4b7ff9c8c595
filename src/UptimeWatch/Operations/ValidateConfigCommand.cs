using UptimeWatch.Configuration;

namespace UptimeWatch.Operations;

/// <summary>
/// <c>validate-config [file]</c>: the same checks and the same field-level messages as start-up, without starting
/// anything or touching the data folder, so a config change can be checked in CI before it is deployed.
/// </summary>
internal static class ValidateConfigCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var (hostArgs, positional) = CommandConfiguration.Split(args);
        if (positional.Count > 1)
        {
            await stderr.WriteLineAsync($"validate-config takes at most one file, not {positional.Count}: {string.Join(" ", positional)}");
            return Commands.BadInput;
        }
        if (positional.Count == 1)
        {
            hostArgs = [.. hostArgs, "--config", positional[0]];
        }

        CommandConfiguration config;
        try
        {
            config = CommandConfiguration.Load(hostArgs);
        }
        catch (ConfigurationFileException ex)
        {
            await stderr.WriteLineAsync(ex.Message);
            return Commands.BadInput;
        }

        var file = config.File ?? "(no config file: defaults and environment variables only)";
        var options = config.Options;
        if (options.Errors.Count > 0)
        {
            await stderr.WriteLineAsync($"{file}: the configuration has {options.Errors.Count} error(s):");
            foreach (var error in options.Errors)
            {
                await stderr.WriteLineAsync($"  - {error}");
            }
            return Commands.BadInput;
        }

        var kinds = options.Monitors.GroupBy(m => m.Type.ToString().ToLowerInvariant())
            .Select(g => $"{g.Count()} {g.Key}");
        var monitors = options.Monitors.Count == 0 ? "no monitors" : $"{options.Monitors.Count} monitor(s): {string.Join(", ", kinds)}";
        await stdout.WriteLineAsync($"{file}: valid; {monitors}; {options.Alerting.Channels.Count} alert channel(s).");
        return Commands.Success;
    }
}
