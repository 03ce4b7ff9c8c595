using UptimeWatch.Configuration;

namespace UptimeWatch.Operations;

/// <summary>
/// The configuration exactly as start-up would read it (same file choice, same environment overrides, same
/// reader), for commands that run beside or instead of the server.
/// </summary>
internal sealed record CommandConfiguration(UptimeWatchOptions Options, IConfiguration Raw, string? File)
{
    /// <summary>Reads it, or throws <see cref="ConfigurationFileException"/> with a message for the user.</summary>
    public static CommandConfiguration Load(string[] hostArgs)
    {
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = hostArgs,
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.AddUptimeWatchConfiguration(hostArgs);
            var options = UptimeWatchConfigReader.Read(builder.Configuration);
            return new CommandConfiguration(options, builder.Configuration, Configuration.ConfigurationExtensions.MonitorsFile(builder.Configuration));
        }
        catch (InvalidDataException ex)
        {
            throw Configuration.ConfigurationFileException.FromSyntaxError(ex);
        }
    }

    /// <summary>Splits <c>--config &lt;file&gt;</c> (and <c>--config=</c>) from the command's own arguments.</summary>
    public static (string[] HostArgs, List<string> Positional) Split(string[] args)
    {
        var host = new List<string>();
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                host.Add(args[i]);
                host.Add(args[++i]);
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                host.Add(args[i]);
            }
            else
            {
                positional.Add(args[i]);
            }
        }
        return (host.ToArray(), positional);
    }
}
