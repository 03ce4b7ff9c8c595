using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;

namespace UptimeWatch.Tests.Journal;

/// <summary>
/// A cluster stores each monitor's slot once (unique key on check_results (monitor, slot)): the writer drops a slot
/// already stored, or repeated in its batch, and keeps the rest of the batch. The real writer and migrations on a real
/// SQLite file (the key is the same on PostgreSQL); checks without a slot (SQLite's, "check now") are never touched.
/// </summary>
public sealed class SlotKeyTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private PooledDbContextFactory<UptimeWatchDbContext> _dbFactory = null!;
    private JournalWriter _writer = null!;
    private int _shop;

    public async Task InitializeAsync()
    {
        var options = Options.Create(new UptimeWatchOptions { DataDirectory = TestPaths.NewTempDirectory() });
        _dbFactory = new PooledDbContextFactory<UptimeWatchDbContext>(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseSqlite(StorageExtensions.ConnectionString(options.Value), sqlite => sqlite.MigrationsAssembly(StorageExtensions.MigrationsAssembly))
            .AddInterceptors(SqlitePragmas.Instance).Options);
        await using var db = await _dbFactory.CreateDbContextAsync();
        await db.Database.MigrateAsync();
        var shop = new MonitorEntity
        {
            Slug = "shop", Name = "shop", Type = "http", Target = "https://shop.example.test/", IntervalSeconds = 2, IsPublic = true,
            Definition = "{}", Source = "test", CreatedAt = Start, UpdatedAt = Start,
        };
        db.Monitors.Add(shop);
        await db.SaveChangesAsync();
        _shop = shop.Id;
        _writer = new JournalWriter(options, new BatchWriter(_dbFactory, options), new AfterCommit(NullLogger<AfterCommit>.Instance),
            new FakeTimeProvider(Start), NullLogger<JournalWriter>.Instance);
    }

    public async Task DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _writer.StopAsync(timeout.Token);
        _writer.Dispose();
    }

    [Fact]
    public async Task A_slot_stored_twice_is_dropped_and_the_rest_of_its_batch_is_stored()
    {
        var x = Start;
        var y = Start.AddSeconds(2);
        var z = Start.AddSeconds(4);
        // One batch (queued before the writer starts): slot x twice, slot y, and a check without a slot.
        await _writer.AppendAsync(Check(x, "node-a", CheckOutcome.Up), CancellationToken.None);
        await _writer.AppendAsync(Check(x, "node-b", CheckOutcome.Down), CancellationToken.None);
        await _writer.AppendAsync(Check(y, "node-a", CheckOutcome.Up), CancellationToken.None);
        await _writer.AppendAsync(Check(null, null, CheckOutcome.Up), CancellationToken.None);
        await _writer.StartAsync(CancellationToken.None);
        // A later batch: slot x again (another node's late result), and slot z.
        await _writer.AppendAsync(Check(x, "node-c", CheckOutcome.Down), CancellationToken.None);
        await (await _writer.AppendAwaitedAsync(Check(z, "node-c", CheckOutcome.Up), CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(30));

        await using var db = await _dbFactory.CreateDbContextAsync();
        var stored = await db.CheckResults.Where(c => c.MonitorId == _shop).OrderBy(c => c.Id)
            .Select(c => new { c.Slot, c.Node, c.Outcome }).ToListAsync();
        Assert.Equal(
            [(x, "node-a", CheckOutcome.Up), (y, "node-a", CheckOutcome.Up), (null, null, CheckOutcome.Up), (z, "node-c", CheckOutcome.Up)],
            stored.Select(c => (c.Slot, c.Node, c.Outcome)));
    }

    [Fact]
    public async Task A_check_that_ran_replaces_its_slot_stored_as_missed_and_a_missed_never_replaces_a_check()
    {
        var x = Start;
        var y = Start.AddSeconds(2);
        var z = Start.AddSeconds(4);
        await _writer.StartAsync(CancellationToken.None);
        // Node b declared x and y missed (node a ran them, its results still queued while the database was away) and ran z.
        await Stored(Check(x, "node-b", CheckOutcome.Missed), Check(y, "node-b", CheckOutcome.Missed), Check(z, "node-b", CheckOutcome.Up));
        // Node a's results arrive: x and y replace the "missed" rows; z stays node b's check.
        await Stored(Check(x, "node-a", CheckOutcome.Up), Check(y, "node-a", CheckOutcome.Down), Check(z, "node-a", CheckOutcome.Down));
        // In one batch too: a missed then the check of the same slot, and a check then a missed.
        var v = Start.AddSeconds(6);
        var w = Start.AddSeconds(8);
        await Stored(Check(v, "node-b", CheckOutcome.Missed), Check(v, "node-a", CheckOutcome.Up),
            Check(w, "node-a", CheckOutcome.Up), Check(w, "node-b", CheckOutcome.Missed));

        await using var db = await _dbFactory.CreateDbContextAsync();
        var stored = await db.CheckResults.Where(c => c.MonitorId == _shop).OrderBy(c => c.Slot)
            .Select(c => new { c.Slot, c.Node, c.Outcome }).ToListAsync();
        Assert.Equal(
            [(x, "node-a", CheckOutcome.Up), (y, "node-a", CheckOutcome.Down), (z, "node-b", CheckOutcome.Up),
                (v, "node-a", CheckOutcome.Up), (w, "node-a", CheckOutcome.Up)],
            stored.Select(c => ((DateTimeOffset)c.Slot!, c.Node, c.Outcome)));
    }

    /// <summary>Queues the writes in order and returns once the last is stored (one write, or a few, per batch).</summary>
    private async Task Stored(params CheckWrite[] writes)
    {
        foreach (var write in writes[..^1])
        {
            await _writer.AppendAsync(write, CancellationToken.None);
        }
        await (await _writer.AppendAwaitedAsync(writes[^1], CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private CheckWrite Check(DateTimeOffset? slot, string? node, CheckOutcome outcome) =>
        new(_shop, "shop", [outcome == CheckOutcome.Missed
            ? new CheckRecord(slot ?? Start, outcome, null, null, "missed: node node-a stopped") { Slot = slot, Node = node }
            : new CheckRecord(slot ?? Start, outcome, 12, 200, null) { Slot = slot, Node = node }], null, null);
}
