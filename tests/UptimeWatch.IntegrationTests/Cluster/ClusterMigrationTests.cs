using Microsoft.EntityFrameworkCore;
using UptimeWatch.Storage;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>Several nodes started at the same moment on an empty PostgreSQL database, as an orchestrator starts them.</summary>
public sealed class ClusterMigrationTests : IAsyncLifetime
{
    private PostgresServer _postgres = null!;

    public async Task InitializeAsync() => _postgres = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    [Fact]
    public async Task Three_nodes_started_at_once_on_an_empty_database_migrate_it_once_without_errors()
    {
        // With the admin password in the config too, as a deployment's shared environment gives it to every node.
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 3,
            [new { Name = "Shop", Url = "http://127.0.0.1:9/", IntervalSeconds = 60 }],
            new { Admin = new { InitialPassword = "correct horse battery" } }, atOnce: true, emptyDatabase: true);

        await using var db = new UptimeWatchDbContext(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseNpgsql(cluster.ConnectionString, o => o.MigrationsAssembly(StorageExtensions.PostgresMigrationsAssembly)).Options);
        var known = db.Database.GetMigrations().ToList();
        Assert.NotEmpty(known);
        var applied = await db.Database.GetAppliedMigrationsAsync();
        Assert.Equal(known, applied);
        Assert.Equal("shop", Assert.Single(await db.Monitors.Select(m => m.Slug).ToListAsync()));
        Assert.Single(await db.AdminAccounts.ToListAsync());
        var output = cluster.Output();
        // Exactly one node migrated; the others found the schema up to date once they got the lock.
        Assert.Equal(1, cluster.Nodes.Count(n => n.Stdout.Contains("database migration(s)", StringComparison.Ordinal)));
        Assert.False(output.Contains(" ERR]", StringComparison.Ordinal) || output.Contains(" FTL]", StringComparison.Ordinal), output);
    }
}
