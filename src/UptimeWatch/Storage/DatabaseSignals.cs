using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using UptimeWatch.Configuration;

namespace UptimeWatch.Storage;

/// <summary>
/// PostgreSQL's LISTEN/NOTIFY for the nodes of a cluster: one dedicated connection LISTENs on every channel someone
/// subscribed to and hands each notification to the channel's subscribers; writers signal with <see cref="NotifyAsync"/>
/// (or <see cref="NotifyInTransactionAsync"/>, delivered when their transaction commits). Notifications are a wake-up
/// call, not a log: one sent while the connection was down is lost, so every subscriber also gets a call once the
/// connection is (re)established and catches up from the database then. The connection is re-opened with backoff
/// whenever it drops. On SQLite (one node) there is no one to tell: <see cref="Enabled"/> is false and nothing runs.
/// </summary>
internal sealed partial class DatabaseSignals(IOptions<UptimeWatchOptions> options, ILogger<DatabaseSignals> logger) : BackgroundService
{
    /// <summary>The application name of the listening connection, so an operator (or a test) can find it in <c>pg_stat_activity</c>.</summary>
    public static string ListenerName => $"uptimewatch-listen-{Environment.ProcessId}";

    /// <summary>PostgreSQL refuses a payload of 8000 bytes or more.</summary>
    public const int MaxPayloadBytes = 7999;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Subscriber[]> _channels = new(StringComparer.Ordinal);
    private readonly Lock _subscribe = new();

    // Cancelled to break the wait when a channel is added while connected (it must be LISTENed to).
    private volatile CancellationTokenSource _interrupt = new();

    public bool Enabled => options.Value.Storage.IsPostgres;

    /// <summary>Whether the listening connection is up now.</summary>
    public bool Connected { get; private set; }

    /// <summary>
    /// Calls <paramref name="onNotification"/> with the payload of every notification on <paramref name="channel"/>,
    /// in the order the server sends them (commit order), on the listener's thread: return quickly. Calls
    /// <paramref name="onConnected"/> each time the connection is established, the first time included: anything
    /// signalled before then was not heard, so read it from the database.
    /// </summary>
    public IDisposable Subscribe(string channel, Action<string> onNotification, Action onConnected)
    {
        var subscriber = new Subscriber(channel, onNotification, onConnected);
        bool added;
        lock (_subscribe)
        {
            added = !_channels.TryGetValue(channel, out var existing);
            _channels[channel] = [.. existing ?? [], subscriber];
        }
        if (added)
        {
            // A new channel: the loop LISTENs to it before it waits again.
            _interrupt.Cancel();
        }
        return new Subscription(this, subscriber);
    }

    /// <summary>Sends a notification on its own (pooled) connection, at once.</summary>
    public async Task NotifyAsync(string channel, string payload, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(options.Value.Storage.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
        command.Parameters.AddWithValue("channel", channel);
        command.Parameters.AddWithValue("payload", payload);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Sends a notification from <paramref name="db"/>'s open transaction: the server delivers it when (and only if)
    /// that transaction commits, after its changes are visible, and notifications of one transaction in the order sent.
    /// </summary>
    public static Task NotifyInTransactionAsync(DbContext db, string channel, string payload, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({channel}, {payload})", cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }
        var delay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(() => delay = FirstRetryDelay, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogListenFailed(ex, delay.TotalSeconds);
            }
            finally
            {
                Connected = false;
            }
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private async Task ListenAsync(Action connected, CancellationToken stoppingToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.Value.Storage.ConnectionString)
        {
            // Its own physical connection: a pooled one could be handed back still LISTENing, or broken.
            Pooling = false,
            ApplicationName = ListenerName,
            // A connection that died without a word (a network cut) is noticed by the keepalive failing.
            KeepAlive = 10,
        };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(stoppingToken);
        connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);

        var listening = new HashSet<string>(StringComparer.Ordinal);
        var announced = false;
        while (true)
        {
            var interrupt = _interrupt;
            foreach (var channel in _channels.Keys.Where(c => !listening.Contains(c)).ToList())
            {
                await using var command = new NpgsqlCommand($"LISTEN \"{channel.Replace("\"", "\"\"")}\"", connection);
                await command.ExecuteNonQueryAsync(stoppingToken);
                listening.Add(channel);
                LogListening(channel);
                if (announced)
                {
                    // Subscribed while connected: it hears from now on, and catches up on what came before.
                    foreach (var subscriber in _channels.GetValueOrDefault(channel) ?? [])
                    {
                        Run(subscriber, static s => s.OnConnected());
                    }
                }
            }
            if (!announced)
            {
                announced = true;
                Connected = true;
                connected();
                foreach (var subscriber in _channels.Values.SelectMany(s => s))
                {
                    Run(subscriber, static s => s.OnConnected());
                }
            }
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, interrupt.Token);
            try
            {
                // Returns after each notification (delivered through the event above, on this thread).
                await connection.WaitAsync(either.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // A channel was added: LISTEN to it, then wait again.
                _interrupt = new CancellationTokenSource();
            }
        }
    }

    private void Dispatch(string channel, string payload)
    {
        if (_channels.TryGetValue(channel, out var subscribers))
        {
            foreach (var subscriber in subscribers)
            {
                Run(subscriber, s => s.OnNotification(payload));
            }
        }
    }

    private void Run(Subscriber subscriber, Action<Subscriber> call)
    {
        try
        {
            call(subscriber);
        }
        catch (Exception ex)
        {
            // One subscriber's bug must not stop the others hearing, nor drop the connection.
            LogSubscriberFailed(ex, subscriber.Channel);
        }
    }

    private void Remove(Subscriber subscriber)
    {
        lock (_subscribe)
        {
            if (_channels.TryGetValue(subscriber.Channel, out var existing))
            {
                // The channel stays LISTENed to: harmless, and a later subscriber needs it again.
                _channels[subscriber.Channel] = [.. existing.Where(s => s != subscriber)];
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _interrupt.Dispose();
    }

    private sealed record Subscriber(string Channel, Action<string> OnNotification, Action OnConnected);

    private sealed class Subscription(DatabaseSignals signals, Subscriber subscriber) : IDisposable
    {
        public void Dispose() => signals.Remove(subscriber);
    }

    [LoggerMessage(LogLevel.Debug, "Listening for other nodes' signals on {Channel}")]
    private partial void LogListening(string channel);

    [LoggerMessage(LogLevel.Warning, "Lost the connection that listens for other nodes' signals; reconnecting in {DelaySeconds} s (updates are caught up from the database then)")]
    private partial void LogListenFailed(Exception exception, double delaySeconds);

    [LoggerMessage(LogLevel.Error, "A subscriber of the database signal {Channel} failed")]
    private partial void LogSubscriberFailed(Exception exception, string channel);
}
