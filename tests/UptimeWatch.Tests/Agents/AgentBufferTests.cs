using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Agents;
using UptimeWatch.Probing;

namespace UptimeWatch.Tests.Agents;

// The agent has no server database: run once, not once per provider (test.sh).
[Trait("Storage", "SqliteFile")]
public sealed class AgentBufferTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2031, 3, 4, 10, 0, 0, TimeSpan.Zero);

    private readonly string _data = TestPaths.NewTempDirectory("uw-buffer");
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly ListLogger<AgentBuffer> _log = new();

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private AgentBuffer Open(int maxRows = 1_000_000) => new(_data, _clock, _log, maxRows);

    private static AgentCheck Check(int monitor, int secondsBeforeNow, string? error = null) =>
        new(monitor, Now.AddSeconds(-secondsBeforeNow), Now.AddSeconds(-secondsBeforeNow).AddMilliseconds(3), error is null ? Verdict.Up : Verdict.Down,
            12, error is null ? 200 : null, error is null ? null : FailureKind.ConnectionRefused, error, new ProbeTimings(null, 1, null, 5), null);

    private static AgentCheck Parse(BufferedCheck check) => JsonSerializer.Deserialize<AgentCheck>(check.Json, AgentProtocol.Json)!;

    [Fact]
    public async Task A_second_check_of_the_same_monitor_and_slot_is_not_buffered_twice()
    {
        using var buffer = Open();

        await buffer.AddAsync(Check(7, 30), default);
        await buffer.AddAsync(Check(7, 30) with { Verdict = Verdict.Down }, default);
        await buffer.AddAsync(Check(8, 30), default);

        var checks = (await buffer.PeekAsync(100, 1_000_000, default)).Select(Parse).ToList();
        Assert.Equal([Check(7, 30), Check(8, 30)], checks);
        Assert.Equal(2, buffer.Count);
    }

    [Fact]
    public async Task Checks_are_read_oldest_slot_first_within_the_count_and_the_byte_limit_of_a_message()
    {
        using var buffer = Open();
        await buffer.AddAsync(Check(7, 10), default);
        await buffer.AddAsync(Check(8, 30), default);
        await buffer.AddAsync(Check(7, 20), default);

        var two = (await buffer.PeekAsync(2, 1_000_000, default)).Select(Parse).ToList();
        var all = await buffer.PeekAsync(100, 1_000_000, default);
        var message = ResultsMessage.Build(long.MaxValue, all);
        var fitting = await buffer.PeekAsync(100, message.Length - 1, default);

        Assert.Equal([Check(8, 30), Check(7, 20)], two);
        Assert.Equal(2, fitting.Count);
        Assert.True(ResultsMessage.Build(long.MaxValue, fitting).Length <= message.Length - 1);
        var parsed = JsonSerializer.Deserialize<AgentResults>(message, AgentProtocol.Json)!;
        Assert.Equal((long.MaxValue, 3), (parsed.Seq, parsed.Checks!.Count));
        Assert.Equal("results", JsonDocument.Parse(message).RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Checks_stay_until_removed_and_are_there_again_when_the_file_is_opened_again()
    {
        using (var buffer = Open())
        {
            await buffer.AddAsync(Check(7, 30), default);
            await buffer.AddAsync(Check(7, 20), default);
            await buffer.AddAsync(Check(7, 10), default);
            var first = await buffer.PeekAsync(1, 1_000_000, default);
            Assert.True(await buffer.RemoveAsync([first[0].Id], default));
        }

        using var reopened = Open();
        var left = (await reopened.PeekAsync(100, 1_000_000, default)).Select(Parse).ToList();

        Assert.Equal([Check(7, 20), Check(7, 10)], left);
        Assert.Equal(2, reopened.Count);
    }

    [Fact]
    public async Task Past_the_row_cap_the_oldest_checks_are_dropped_with_a_warning()
    {
        using var buffer = Open(maxRows: 3);

        for (var i = 5; i >= 1; i--)
        {
            await buffer.AddAsync(Check(7, i * 10), default);
        }

        var left = (await buffer.PeekAsync(100, 1_000_000, default)).Select(Parse).ToList();
        Assert.Equal([Check(7, 30), Check(7, 20), Check(7, 10)], left);
        Assert.Contains(_log.Lines, l => l.Contains("is full (3 checks)"));
    }

    [Fact]
    public async Task Checks_older_than_the_age_cap_are_dropped_with_a_warning()
    {
        using var buffer = Open();
        await buffer.AddAsync(Check(7, 60), default);

        _clock.Advance(TimeSpan.FromDays(7));
        await buffer.AddAsync(Check(7, -7 * 86_400), default);

        var left = (await buffer.PeekAsync(100, 1_000_000, default)).Select(Parse).ToList();
        Assert.Equal([Check(7, -7 * 86_400)], left);
        Assert.Contains(_log.Lines, l => l.Contains("older than 7 days"));
    }

    [Fact]
    public async Task A_long_probe_error_is_cut_so_that_one_check_always_fits_a_message()
    {
        using var buffer = Open();

        await buffer.AddAsync(Check(7, 30, error: new string('x', 100_000)), default);

        var check = Assert.Single(await buffer.PeekAsync(100, 8 * 1024, default));
        Assert.True(Encoding.UTF8.GetByteCount(check.Json) < 8 * 1024);
        Assert.StartsWith(new string('x', AgentBuffer.MaxErrorChars), Parse(check).Error);
    }

    [Fact]
    public async Task The_monitor_list_is_kept_across_opening_the_file_again()
    {
        var monitors = new[] { new AgentMonitor(7, "checkout", new Dictionary<string, string?> { ["Name"] = "Checkout", ["Url"] = "http://127.0.0.1:1/" }) };
        using (var buffer = Open())
        {
            Assert.Null(await buffer.LoadMonitorsAsync(default));
            await buffer.SaveMonitorsAsync(monitors, default);
        }

        using var reopened = Open();
        var loaded = await reopened.LoadMonitorsAsync(default);

        var monitor = Assert.Single(loaded!);
        Assert.Equal((7, "checkout", "http://127.0.0.1:1/"), (monitor.Id, monitor.Slug, monitor.Fields["Url"]));
    }

    [Fact]
    public void A_second_agent_on_the_same_data_folder_is_refused_with_a_sentence_naming_it()
    {
        using var first = Open();

        var refused = Assert.Throws<AgentBufferLockedException>(() => Open());

        Assert.Contains(_data, refused.Message);
        Assert.Contains("UptimeWatch:DataDirectory", refused.Message);
    }

    [Fact]
    public async Task On_a_full_disk_checks_are_held_in_memory_and_written_once_there_is_room_again()
    {
        await using var disk = await Tmpfs.MountAsync();
        var added = new List<AgentCheck>();
        using (var buffer = new AgentBuffer(disk.Path, _clock, _log))
        {
            await buffer.AddAsync(Check(7, 10_000), default);
            added.Add(Check(7, 10_000));
            await disk.FillAsync();

            // Until a write fails for want of room (the WAL may have some left): none of these may throw.
            for (var i = 1; i < 2_000 && !_log.Lines.Any(l => l.Contains("cannot be written")); i++)
            {
                var check = Check(7, 10_000 - i, error: new string('e', AgentBuffer.MaxErrorChars));
                await buffer.AddAsync(check, default);
                added.Add(check);
            }
            Assert.Contains(_log.Lines, l => l.Contains("cannot be written"));
            Assert.True(buffer.Count < added.Count);

            disk.Free();
            await buffer.AddAsync(Check(8, 1), default);
            added.Add(Check(8, 1));

            var all = (await buffer.PeekAsync(10_000, int.MaxValue, default)).Select(Parse).ToList();
            Assert.Equal(added.OrderBy(c => c.Slot), all);
            Assert.Contains(_log.Lines, l => l.Contains("can be written again"));
        }
    }

    [Fact]
    public async Task The_file_is_in_WAL_mode()
    {
        using (Open())
        {
        }
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_data, AgentBuffer.FileName)};Pooling=False");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }
}

/// <summary>Log lines as formatted, for tests that assert a warning was written.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
}
