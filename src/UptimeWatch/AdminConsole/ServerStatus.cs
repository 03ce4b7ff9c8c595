using UptimeWatch.Journal;
using UptimeWatch.Monitoring;

using UptimeWatch.Scheduling;

namespace UptimeWatch.AdminConsole;

/// <summary>What the console shows about the server itself: the config file's last rejected edit (and, in a cluster, whether it is the cluster's), and storage health.</summary>
internal sealed class ServerStatus(JournalWriter writer, ConfigReloader reloader, ConfigMonitorSync sync, IConfiguration configuration)
{
    /// <summary>The file's last rejected edit and, in a PostgreSQL cluster, whether the file is the one the cluster runs.</summary>
    public async Task<ConfigStatus> ConfigAsync(CancellationToken cancellationToken) =>
        new(Configuration.ConfigurationExtensions.MonitorsFile(configuration), reloader.LastErrors)
        {
            Cluster = await sync.Cluster.StatusAsync(cancellationToken),
        };

    /// <summary>Whether writes to the database have been failing too long (a full disk), since when, and why.</summary>
    public StorageStatus Storage() => writer.Status();
}
