using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;

namespace UptimeWatch.Configuration;

internal static partial class ConfigurationExtensions
{
    public const string ConfigEnvironmentVariable = "UPTIMEWATCH_CONFIG";

    private static readonly System.Reflection.PropertyInfo[] WritableProperties =
        [.. typeof(UptimeWatchOptions).GetProperties().Where(p => p.CanWrite)];

    /// <summary>
    /// Picks the config file (<c>--config</c>, else <c>UPTIMEWATCH_CONFIG</c>, else appsettings.json in the working
    /// directory, else the one next to the binary)
    /// and registers the validated <see cref="UptimeWatchOptions"/>. Environment variables still override the file.
    /// </summary>
    public static IHostApplicationBuilder AddUptimeWatchConfiguration(this IHostApplicationBuilder builder, string[] args)
    {
        builder.AddUptimeWatchConfigurationSources(args);

        builder.Services.AddOptions<UptimeWatchOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                var read = UptimeWatchConfigReader.Read(configuration);
                // Every setting the reader produced, including ones added later: copied one by one, a new one was
                // once left out and silently kept its default.
                foreach (var property in WritableProperties)
                {
                    property.SetValue(options, property.GetValue(read));
                }
            })
            .ValidateOnStart();
        // One read for both: the start-up check reads the options through IOptionsMonitor, every service through IOptions,
        // and each keeps its own copy, so reading the file twice (a second of a 10,000-monitor start). The options do
        // not change while running (a reload applies the monitors itself, ConfigReloader), so the monitor's copy is it.
        builder.Services.AddSingleton<IOptions<UptimeWatchOptions>>(services =>
            new OptionsWrapper<UptimeWatchOptions>(services.GetRequiredService<IOptionsMonitor<UptimeWatchOptions>>().CurrentValue));
        builder.Services.AddSingleton<IValidateOptions<UptimeWatchOptions>, UptimeWatchOptionsValidator>();
        return builder;
    }

    /// <summary>
    /// Only where the configuration comes from (the file as <see cref="AddUptimeWatchConfiguration"/> picks it, then
    /// environment variables and arguments), without the server's options: <c>UptimeWatch agent</c> reads its own.
    /// </summary>
    public static IHostApplicationBuilder AddUptimeWatchConfigurationSources(this IHostApplicationBuilder builder, string[] args)
    {
        var (path, origin) = ConfigFilePath(args);
        var inWorkingDirectory = Path.Combine(Environment.CurrentDirectory, "appsettings.json");
        if (path is null && File.Exists(inWorkingDirectory)
            && Path.GetFullPath(inWorkingDirectory) != Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))
        {
            // `dotnet run` from the repository: the file the user edits, not its copy in bin/, so edits reload live.
            path = inWorkingDirectory;
        }
        if (path is not null)
        {
            var fullPath = Path.GetFullPath(path);
            if (!File.Exists(fullPath))
            {
                throw new ConfigurationFileException($"Config file \"{fullPath}\" (from {origin}) does not exist");
            }
            UseConfigFile(builder.Configuration, fullPath);
        }
        IndexJsonFiles(builder.Configuration);
        return builder;
    }

    private static (string? Path, string Origin) ConfigFilePath(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
            {
                return i + 1 < args.Length
                    ? (args[i + 1], "--config")
                    : throw new ConfigurationFileException("--config needs a file path after it");
            }
            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return (args[i]["--config=".Length..], "--config");
            }
        }
        return (Environment.GetEnvironmentVariable(ConfigEnvironmentVariable) is { Length: > 0 } env ? env : null,
            ConfigEnvironmentVariable);
    }

    /// <summary>Every JSON file (the shipped appsettings.json too) read through the indexed provider: see <see cref="IndexedJsonConfigurationSource"/>.</summary>
    private static void IndexJsonFiles(IConfigurationManager configuration)
    {
        var sources = configuration.Sources;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource { Path: not null } json and not IndexedJsonConfigurationSource)
            {
                sources[i] = IndexedJsonConfigurationSource.From(json);
            }
        }
    }

    /// <summary>Puts the chosen file where appsettings.json was, so environment variables and arguments still win.</summary>
    private static void UseConfigFile(IConfigurationManager configuration, string fullPath)
    {
        var sources = configuration.Sources;
        var index = sources.Count;
        for (var i = sources.Count - 1; i >= 0; i--)
        {
            if (sources[i] is JsonConfigurationSource { Path: { } p } && p.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase))
            {
                sources.RemoveAt(i);
                index = i;
            }
        }
        // Reloaded on change: monitor edits apply without a restart (see ConfigReloader).
        // Watched in its own folder only: the data folder below it is written all the time (ConfigFolderFileProvider).
        var source = new IndexedJsonConfigurationSource
        {
            Path = Path.GetFileName(fullPath),
            FileProvider = new ConfigFolderFileProvider(Path.GetDirectoryName(fullPath)!),
            Optional = false,
            ReloadOnChange = true,
        };
        sources.Insert(Math.Min(index, sources.Count), source);
    }
}

/// <summary>Turns the reader's errors into a start-up failure: the host stops before anything is written.</summary>
internal sealed class UptimeWatchOptionsValidator : IValidateOptions<UptimeWatchOptions>
{
    public ValidateOptionsResult Validate(string? name, UptimeWatchOptions options) =>
        options.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Errors);
}

/// <summary>The config file named by the user cannot be used.</summary>
internal static partial class ConfigurationExtensions
{
    /// <summary>The file the monitors are read from (the last JSON file of the configuration that exists), or null when there is none.</summary>
    public static string? MonitorsFile(IConfiguration configuration) =>
        (configuration as IConfigurationRoot)?.Providers
            .OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider>()
            .Select(p => p.Source.FileProvider?.GetFileInfo(p.Source.Path ?? ""))
            .LastOrDefault(f => f is { Exists: true, PhysicalPath: not null })?.PhysicalPath;
}

internal sealed class ConfigurationFileException(string message) : Exception(message)
{
    /// <summary>
    /// A JSON syntax error: the outer message names the file, the innermost one the line and position
    /// ("… LineNumber: 3 | BytePositionInLine: 0."), so all of them are kept.
    /// </summary>
    public static ConfigurationFileException FromSyntaxError(InvalidDataException ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }
        return new ConfigurationFileException(string.Join(" ", messages));
    }
}
