using Microsoft.Extensions.Options;
using UptimeWatch.Configuration;

namespace UptimeWatch.Scheduling;

/// <summary>
/// The bound on a graceful stop. Once a stop is asked for (SIGTERM), running checks get
/// <c>Scheduler:ShutdownTimeoutSeconds</c> to finish on their own; whatever is still running then is cut short and
/// not recorded (it has no result), so a check with a long timeout can never eat the time the writer needs to store
/// every check that did finish. The host's own shutdown timeout is this plus <see cref="SchedulerOptions.WriteReserve"/>.
/// </summary>
internal sealed class CheckCutOff : IDisposable
{
    private readonly CancellationTokenSource _cut = new();
    private readonly CancellationTokenRegistration _stopping;
    private ITimer? _timer;

    public CheckCutOff(IHostApplicationLifetime lifetime, IOptions<UptimeWatchOptions> options, TimeProvider time)
    {
        var grace = TimeSpan.FromSeconds(options.Value.Scheduler.ShutdownTimeoutSeconds);
        _stopping = lifetime.ApplicationStopping.Register(() => _timer = time.CreateTimer(_ => Cut(), null, grace, Timeout.InfiniteTimeSpan));
    }

    /// <summary>Cancelled when running checks must give up.</summary>
    public CancellationToken Token => _cut.Token;

    private void Cut()
    {
        try
        {
            _cut.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The host was disposed first: nothing is running any more.
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _timer?.Dispose();
        _cut.Dispose();
    }
}
