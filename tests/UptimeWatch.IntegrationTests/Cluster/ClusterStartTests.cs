using Microsoft.EntityFrameworkCore;

namespace UptimeWatch.IntegrationTests.Cluster;

/// <summary>Two real UptimeWatch processes on one PostgreSQL database: both migrate, serve and store checks.</summary>
public sealed class ClusterStartTests : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private TargetServer _target = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _target = await TargetServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _target.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task Two_nodes_on_one_database_both_serve_the_same_monitors()
    {
        await using var cluster = await ClusterNodes.StartAsync(_postgres, 2,
            [new { Name = "Shop", Url = _target.Url("/health").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1 }]);

        await Eventually.Until(async () =>
        {
            await using var db = cluster.OpenDatabase();
            return await db.CheckResults.CountAsync();
        }, stored => stored > 0, TimeSpan.FromSeconds(60), "a stored check of Shop");
        for (var i = 0; i < cluster.Count; i++)
        {
            using var client = cluster[i].NewClient();
            var status = await client.GetStringAsync("/api/status");
            Assert.Contains("\"slug\":\"shop\"", status);
        }
    }
}
