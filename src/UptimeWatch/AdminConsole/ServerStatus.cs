using UptimeWatch.Journal;
using UptimeWatch.Monitoring;

using UptimeWatch.Scheduling;

namespace UptimeWatch.AdminConsole;

/// <summary>What the console shows about the server itself: the config file's last rejected edit, and storage health.</summary>
internal sealed class ServerStatus(JournalWriter writer, ConfigReloader reloader, IConfiguration configuration)
{
    public ConfigStatus Config() => new(Configuration.ConfigurationExtensions.MonitorsFile(configuration), reloader.LastErrors);

    /// <summary>Whether writes to the database have been failing too long (a full disk), since when, and why.</summary>
    public StorageStatus Storage() => writer.Status();
}
