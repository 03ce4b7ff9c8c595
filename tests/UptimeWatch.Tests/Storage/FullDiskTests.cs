using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using UptimeWatch.Scheduling;
using UptimeWatch.Tests.Operations;

namespace UptimeWatch.Tests.Storage;

/// <summary>
/// The data directory on a disk that fills up and frees again, with the real binary on real Kestrel: the outage shows
/// on /healthz and /metrics, and once space is back every scheduled slot of every monitor is accounted for, stored as a
/// check or as a missed slot, none twice.
/// </summary>
[Trait("Storage", "SqliteFile")]
public sealed class FullDiskTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Monitors = 10;
    private const int QueueCapacity = 100;
    private TargetServer _target = null!;

    public async Task InitializeAsync() => _target = await TargetServer.StartAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task A_full_disk_turns_healthz_503_and_once_space_returns_every_slot_is_stored_as_a_check_or_a_missed_slot()
    {
        await using var disk = await Tmpfs.MountAsync();
        var work = TestPaths.NewTempDirectory();
        var config = ServingProcess.WriteConfig(work,
            Enumerable.Range(1, Monitors).Select(i => new
            {
                Name = $"Site {i}", Url = _target.Url($"/counted/site-{i}").ToString(), IntervalSeconds = 1, TimeoutSeconds = 1, FailureThreshold = 1,
            }),
            new
            {
                DataDirectory = disk.Path,
                // A small queue fills within the outage, so the checks that cannot be queued are part of the test too.
                Storage = new { UnhealthyAfterSeconds = 1, WriteQueueCapacity = QueueCapacity },
            });
        var (host, client) = await ServingProcess.StartAsync(work, config);
        await using var _ = host;
        using var __ = client;
        var database = Path.Combine(disk.Path, "uptimewatch.db");

        await Eventually.Until(() => client.GetFromJsonAsync<StatusDto>("/api/status"), s => s!.Monitors.Count == Monitors && s.Monitors.All(m => m.Status == "up"),
            TimeSpan.FromSeconds(60), "every monitor to be stored as up");
        var filledAt = DateTimeOffset.UtcNow;
        await disk.FillAsync();

        var failing = await Eventually.Until(() => HealthAsync(client), h => h.Code == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(60), "/healthz to answer 503");
        output.WriteLine($"filled {filledAt:HH:mm:ss.fff}, 503 at {DateTimeOffset.UtcNow:HH:mm:ss.fff}");
        var failures = await Eventually.Until(async () => MetricsTests.Scrape.Parse(await client.GetStringAsync("/metrics")),
            m => m.Value("uptimewatch_write_queue_length") >= QueueCapacity, TimeSpan.FromSeconds(60), "the write queue to fill up");
        // Hold the outage a little longer with the queue full: these slots' checks cannot be queued.
        output.WriteLine($"queue full at {DateTimeOffset.UtcNow:HH:mm:ss.fff}: {string.Join(", ", failures.Own.Where(o => o.Contains("queue") || o.Contains("storage")))}");
        var full = Stopwatch.StartNew();
        while (full.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(250);
        }
        var freedAt = DateTimeOffset.UtcNow;
        disk.Free();
        var healthy = await Eventually.Until(() => HealthAsync(client), h => h.Code == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "/healthz to answer 200 again");
        await Eventually.Until(async () => MetricsTests.Scrape.Parse(await client.GetStringAsync("/metrics")),
            m => m.Value("uptimewatch_write_queue_length") == 0, TimeSpan.FromSeconds(60), "the write queue to drain");
        // A slot missed while its check waited for room is recorded by the monitor's next check: let each make one.
        await Eventually.Until(() => Task.FromResult(CheckedAfter(database, freedAt)), n => n == Monitors, TimeSpan.FromSeconds(60),
            "a check of every monitor after space returned");
        host.SendSigterm();
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var storage = failing.Body.GetProperty("checks").GetProperty("storage");
        Assert.Equal("unhealthy", storage.GetProperty("status").GetString());
        Assert.Matches(@"^writes failing since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: .*full", storage.GetProperty("description").GetString());
        Assert.True(failures.Value("uptimewatch_storage_write_failures_total") >= 1, string.Join("\n", failures.Own));
        Assert.Equal("healthy", healthy.Body.GetProperty("checks").GetProperty("storage").GetProperty("status").GetString());

        using var db = ServingProcess.Open(database);
        var rows = Rows(db);
        output.WriteLine($"freed {freedAt:HH:mm:ss.fff}; {rows.Count} rows, missed: " +
            string.Join("; ", rows.Where(r => r.Outcome == 3).Select(r => $"{r.MonitorId} {r.At:HH:mm:ss.fff} {r.Error}")));
        foreach (var (id, slug) in MonitorIds(db))
        {
            var mine = rows.Where(r => r.MonitorId == id).ToList();
            // Slots sit at a fixed phase of each monitor's interval; a check starts at its slot or a little after it
            // (later than half the interval it is a missed slot instead), a missed slot is recorded at the slot itself.
            var phase = ScheduleReconciler.FirstSlot(id, TimeSpan.FromSeconds(1), DateTimeOffset.UnixEpoch).ToUnixTimeMilliseconds();
            long Slot(Row r) => (long)Math.Floor((r.At.ToUnixTimeMilliseconds() - phase + 250) / 1000.0);
            var slots = mine.Select(Slot).ToList();
            var expected = Enumerable.Range(0, (int)(slots.Max() - slots.Min() + 1)).Select(k => slots.Min() + k);
            var twice = slots.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            Assert.True(expected.SequenceEqual(slots.Order()),
                $"{slug} (phase {phase} ms): slots without a row: {string.Join(", ", expected.Except(slots))}; with two: " +
                string.Join("; ", mine.Where(r => twice.Contains(Slot(r))).Select(r => $"{r.At:HH:mm:ss.fff} {r.Outcome} {r.Error}")));
            // Checks were made and stored while the disk was full, not only before and after.
            Assert.Contains(mine, r => r.Outcome != 3 && r.At > filledAt.AddSeconds(2) && r.At < freedAt);
        }
        // Once the queue was full, slots went by with their monitors' checks waiting for room: recorded when writing resumed.
        Assert.True(rows.Any(r => r.Outcome == 3 && r.Error!.Contains("write queue was full", StringComparison.Ordinal)),
            $"no slot missed for a full queue between {filledAt:HH:mm:ss.fff} and {freedAt:HH:mm:ss.fff}; missed: " +
            string.Join("; ", rows.Where(r => r.Outcome == 3).Select(r => $"{r.MonitorId} {r.At:HH:mm:ss.fff} {r.Error}")) + "\n" + host.Stdout[^Math.Min(host.Stdout.Length, 6000)..]);
    }

    private static async Task<(HttpStatusCode Code, JsonElement Body)> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/healthz");
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    /// <summary>How many monitors have a check (not a missed slot) stored from after <paramref name="at"/>.</summary>
    private static long CheckedAfter(string database, DateTimeOffset at)
    {
        using var db = ServingProcess.Open(database);
        return ServingProcess.Scalar(db,
            $"SELECT count(DISTINCT MonitorId) FROM check_results WHERE Outcome <> 3 AND At > {at.ToUnixTimeMilliseconds()}");
    }

    private static List<(int Id, string Slug)> MonitorIds(Microsoft.Data.Sqlite.SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT Id, Slug FROM monitors ORDER BY Id";
        using var reader = command.ExecuteReader();
        var result = new List<(int, string)>();
        while (reader.Read())
        {
            result.Add((reader.GetInt32(0), reader.GetString(1)));
        }
        return result;
    }

    private sealed record Row(int MonitorId, DateTimeOffset At, int Outcome, string? Error);

    private static List<Row> Rows(Microsoft.Data.Sqlite.SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT MonitorId, At, Outcome, Error FROM check_results ORDER BY Id";
        using var reader = command.ExecuteReader();
        var result = new List<Row>();
        while (reader.Read())
        {
            result.Add(new Row(reader.GetInt32(0), AsTime(reader.GetValue(1)), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return result;
    }

    private static DateTimeOffset AsTime(object value) => value switch
    {
        long ms => DateTimeOffset.FromUnixTimeMilliseconds(ms),
        string text => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"check_results.At is a {value.GetType().Name}"),
    };
}
