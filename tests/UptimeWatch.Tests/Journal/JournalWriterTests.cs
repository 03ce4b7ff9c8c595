using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using UptimeWatch.Configuration;
using UptimeWatch.Journal;
using UptimeWatch.Monitoring;
using UptimeWatch.Storage;
using UptimeWatch.Tests.Operations;

namespace UptimeWatch.Tests.Journal;

/// <summary>
/// The writer on its own, without the web host: a real SQLite file with the real migrations, a fake clock, and a
/// post-commit step that looks into the database at the moment it is asked to publish.
/// </summary>
public sealed class JournalWriterTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private string _database = null!;
    private PooledDbContextFactory<UptimeWatchDbContext> _dbFactory = null!;
    private LookingAfterCommit _afterCommit = null!;
    private JournalWriter _writer = null!;
    private int _shop;
    private int _blog;

    public async Task InitializeAsync()
    {
        var options = Options.Create(new UptimeWatchOptions { DataDirectory = TestPaths.NewTempDirectory() });
        _database = Path.Combine(options.Value.DataDirectory, "uptimewatch.db");
        _dbFactory = new PooledDbContextFactory<UptimeWatchDbContext>(new DbContextOptionsBuilder<UptimeWatchDbContext>()
            .UseSqlite(StorageExtensions.ConnectionString(options.Value), sqlite => sqlite.MigrationsAssembly(StorageExtensions.MigrationsAssembly))
            .AddInterceptors(SqlitePragmas.Instance).Options);
        await using (var db = await _dbFactory.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
            var shop = Monitor("shop");
            var blog = Monitor("blog");
            db.Monitors.AddRange(shop, blog);
            await db.SaveChangesAsync();
            (_shop, _blog) = (shop.Id, blog.Id);
        }
        _afterCommit = new LookingAfterCommit(_database);
        _writer = new JournalWriter(options, new BatchWriter(_dbFactory, options), _afterCommit, _clock, NullLogger<JournalWriter>.Instance);
    }

    public async Task DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _writer.StopAsync(timeout.Token);
        _writer.Dispose();
    }

    [Fact]
    public async Task A_batch_commits_in_one_transaction_and_each_awaited_write_gets_its_own_answer()
    {
        // Queued before the writer starts: it takes them all into one batch.
        await _writer.AppendAsync(Check(_blog, CheckOutcome.Up, change: null), CancellationToken.None);
        var shopUp = await _writer.AppendAwaitedAsync(Check(_shop, CheckOutcome.Up, Change(MonitorStatus.Unknown, MonitorStatus.Up)), CancellationToken.None);
        await _writer.AppendAsync(Check(_blog, CheckOutcome.Up, change: null), CancellationToken.None);
        var blogDown = await _writer.AppendAwaitedAsync(Check(_blog, CheckOutcome.Down, Change(MonitorStatus.Unknown, MonitorStatus.Down)), CancellationToken.None);
        var noSuchAlert = await _writer.AppendAwaitedAsync(new AlertAcknowledgement(999, "ops", null, Start), CancellationToken.None);

        await _writer.StartAsync(CancellationToken.None);
        var answers = await Task.WhenAll(shopUp, blogDown, noSuchAlert).WaitAsync(TimeSpan.FromSeconds(30));

        using var db = ServingProcess.Open(_database);
        var published = Assert.Single(_afterCommit.Looks);
        Assert.Equal(5, published.Writes);
        Assert.Equal(4, ServingProcess.Scalar(db, "SELECT count(*) FROM check_results"));
        Assert.Equal(ServingProcess.Scalar(db, $"SELECT Id FROM status_events WHERE MonitorId = {_shop}"), answers[0].EventId);
        Assert.Equal(ServingProcess.Scalar(db, $"SELECT Id FROM status_events WHERE MonitorId = {_blog}"), answers[1].EventId);
        // The down raised an alert: the answer carries it, as stored.
        Assert.Equal(ServingProcess.Scalar(db, $"SELECT Id FROM alerts WHERE MonitorId = {_blog}"), answers[1].Alert!.Id);
        Assert.Equal(answers[1].EventId, answers[1].Alert!.RaisedEventId);
        Assert.Equal(new Committed(null, null), answers[2]);
    }

    [Fact]
    public async Task Publishing_happens_after_the_commit_and_before_any_waiter_is_answered()
    {
        var first = await _writer.AppendAwaitedAsync(Check(_shop, CheckOutcome.Up, Change(MonitorStatus.Unknown, MonitorStatus.Up)), CancellationToken.None);
        var second = await _writer.AppendAwaitedAsync(Check(_blog, CheckOutcome.Down, Change(MonitorStatus.Unknown, MonitorStatus.Down)), CancellationToken.None);
        _afterCommit.Waiters = [first, second];

        await _writer.StartAsync(CancellationToken.None);
        var answers = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));

        var look = Assert.Single(_afterCommit.Looks);
        // Every event it was asked to publish was already in the database, with its check.
        Assert.Equal([answers[0].EventId!.Value, answers[1].EventId!.Value], look.EventIds);
        Assert.Equal(look.EventIds, look.EventIdsStored);
        Assert.Equal(2, look.ChecksStored);
        Assert.False(look.WaitersAnswered);
    }

    [Fact]
    public async Task A_batch_that_fails_to_commit_publishes_nothing_and_answers_no_one_until_a_retry_stores_it_once()
    {
        // Fails the batch after its check row is written: the whole transaction must roll back.
        Execute("CREATE TRIGGER refuse_events BEFORE INSERT ON status_events BEGIN SELECT RAISE(ABORT, 'injected: no room for events'); END;");
        await _writer.StartAsync(CancellationToken.None);
        var stored = await _writer.AppendAwaitedAsync(Check(_shop, CheckOutcome.Down, Change(MonitorStatus.Unknown, MonitorStatus.Down)), CancellationToken.None);
        await Eventually.Until(() => Task.FromResult(_writer.CurrentFailure?.Attempts ?? 0), n => n >= 1, TimeSpan.FromSeconds(30), "a failed commit");
        var whileFailing = (Looks: _afterCommit.Looks.Count, Answered: stored.IsCompleted, Checks: Count("check_results"), Alerts: Count("alerts"));

        Execute("DROP TRIGGER refuse_events;");
        _clock.Advance(JournalWriter.MaxRetryDelay);
        var answer = await stored.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((0, false, 0L, 0L), whileFailing);
        Assert.Null(_writer.CurrentFailure);
        Assert.Equal(1, Count("check_results"));
        Assert.Equal(1, Count("status_events"));
        Assert.Equal(1, Count("alerts"));
        Assert.Equal([answer.EventId!.Value], Assert.Single(_afterCommit.Looks).EventIds);
    }

    [Fact]
    public async Task A_write_given_up_at_shutdown_cancels_its_waiter()
    {
        Execute("CREATE TRIGGER refuse_checks BEFORE INSERT ON check_results BEGIN SELECT RAISE(ABORT, 'injected: disk full'); END;");
        await _writer.StartAsync(CancellationToken.None);
        var stored = await _writer.AppendAwaitedAsync(Check(_shop, CheckOutcome.Up, Change(MonitorStatus.Unknown, MonitorStatus.Up)), CancellationToken.None);
        await Eventually.Until(() => Task.FromResult(_writer.CurrentFailure?.Attempts ?? 0), n => n >= 1, TimeSpan.FromSeconds(30), "a failed commit");

        // The host's shutdown timeout is over: the writer gives up what it holds.
        await _writer.StopAsync(new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stored.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(_afterCommit.Looks);
    }

    private static MonitorEntity Monitor(string slug) => new()
    {
        Slug = slug, Name = slug, Type = "http", Target = $"https://{slug}.example.test/", IntervalSeconds = 60, IsPublic = true,
        Definition = "{}", Source = "test", CreatedAt = Start, UpdatedAt = Start,
    };

    private static StatusChange Change(MonitorStatus from, MonitorStatus to) => new(from, to, Start, $"{from} to {to}");

    private static CheckWrite Check(int monitorId, CheckOutcome outcome, StatusChange? change)
    {
        var status = change?.To ?? MonitorStatus.Up;
        var state = new StateSnapshot(MonitorState.Initial with { Status = status, Base = status }, Start, Start, 12, null);
        return new CheckWrite(monitorId, $"monitor-{monitorId}", [new CheckRecord(Start, outcome, 12, 200, null)], state, change);
    }

    private long Count(string table)
    {
        using var db = ServingProcess.Open(_database);
        return ServingProcess.Scalar(db, $"SELECT count(*) FROM {table}");
    }

    private void Execute(string sql)
    {
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_database};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>What the database held when the post-commit step was asked to publish.</summary>
    private sealed record Look(int Writes, List<long> EventIds, List<long> EventIdsStored, long ChecksStored, bool WaitersAnswered);

    /// <summary>The real post-commit step, but its publishing part looks into the database (from a connection of its own) instead.</summary>
    private sealed class LookingAfterCommit(string database) : AfterCommit(NullLogger<AfterCommit>.Instance)
    {
        public List<Look> Looks { get; } = [];

        public IReadOnlyList<Task> Waiters { get; set; } = [];

        protected override void Publish(IReadOnlyList<CommittedWrite> steps)
        {
            using var db = ServingProcess.Open(database);
            var ids = steps.Where(s => s.Event is not null).Select(s => s.Event!.Id).ToList();
            var stored = ids.Where(id => ServingProcess.Scalar(db, $"SELECT count(*) FROM status_events WHERE Id = {id}") == 1).ToList();
            var checks = steps.Where(s => s.Check is not null)
                .Sum(s => ServingProcess.Scalar(db, $"SELECT count(*) FROM check_results WHERE Id = {s.Check!.Id}"));
            Looks.Add(new Look(steps.Count, ids, stored, checks, Waiters.Any(w => w.IsCompleted)));
        }
    }
}
